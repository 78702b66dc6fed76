//! Link arguments for the `pidone` binary alone; the library's test binaries
//! link as ordinary static musl programs.

fn main() {
    println!("cargo:rerun-if-changed=build.rs");
    println!("cargo:rerun-if-changed=src/start/link.ld");
    let target_os = std::env::var("CARGO_CFG_TARGET_OS").unwrap_or_default();
    let target_env = std::env::var("CARGO_CFG_TARGET_ENV").unwrap_or_default();
    if target_os != "linux" || target_env != "musl" {
        // The init is built for the musl targets only; on others (the host's
        // gnu target, for rustdoc and clippy) it is an empty program.
        return;
    }
    let dir = std::env::var("CARGO_MANIFEST_DIR").unwrap_or_default();
    for arg in [
        // rustc links the musl targets' C start files (crt1.o and friends),
        // whose `_start` would call into a libc pidone does not have. Ours
        // has another name; the linker script drops theirs.
        "--entry=pidone_start",
        &format!("-T{dir}/src/start/link.ld"),
        // No RELRO: rustc asks for it, and on x86_64 its page-aligned
        // read-only-after-start segment costs 136 bytes (measured; aarch64
        // has no writable data, so nothing to protect). rust-lld already
        // writes no build id and shares pages between code and data, so
        // `--build-id=none` and `-znoseparate-code` would change nothing.
        "-znorelro",
    ] {
        println!("cargo:rustc-link-arg-bin=pidone={arg}");
    }
}
