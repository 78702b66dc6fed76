//! Link arguments for the `pidone` binary alone; the library's test binaries
//! link as ordinary static musl programs.

use std::process::Command;

fn main() {
    println!("cargo:rerun-if-changed=build.rs");
    println!("cargo:rerun-if-changed=src/start/link.ld");
    version_commit();
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
        // examples/no_libc_init.rs starts and links as pidone does.
        for bin in ["pidone", "no-libc-init"] {
            println!("cargo:rustc-link-arg-bin={bin}={arg}");
        }
    }
}

/// `--version`'s commit part, ` - git.COMMIT`, as `PIDONE_VERSION_COMMIT`:
/// `docker info` shows COMMIT as its init's version (moby's
/// `parseInitVersion` splits the line on ` - `), and older moby cuts its own
/// commit to COMMIT's length, so it is 7 hex digits. Outside a git checkout
/// (a crate from crates.io) there is no commit, and no part.
fn version_commit() {
    let git = |args: &[&str]| {
        let output = Command::new("git").args(args).output().ok()?;
        let text = String::from_utf8(output.stdout).ok()?;
        output.status.success().then(|| text.trim().to_owned())
    };
    let commit = git(&["rev-parse", "--short=7", "HEAD"])
        .filter(|c| c.len() == 7 && c.bytes().all(|b| b.is_ascii_hexdigit()));
    let part = commit.map_or(String::new(), |commit| format!(" - git.{commit}"));
    println!("cargo:rustc-env=PIDONE_VERSION_COMMIT={part}");
    // A new commit moves the branch HEAD names (or HEAD itself, detached).
    let branch = git(&["symbolic-ref", "-q", "HEAD"]).unwrap_or_else(|| "HEAD".to_owned());
    for reference in ["HEAD", &branch] {
        if let Some(path) = git(&["rev-parse", "--git-path", reference]) {
            println!("cargo:rerun-if-changed={path}");
        }
    }
}
