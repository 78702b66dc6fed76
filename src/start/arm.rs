//! `pidone_start` for 32-bit ARM (armv7, hard float).

/// The kernel enters here with `sp` pointing at `argc` (see
/// [`super::start_rust`] for the layout, and the module docs for why the
/// first syscall blocks every signal). The set and the inherited mask, 64
/// bits each as on every Linux architecture, take two stack words each (16
/// bytes, keeping `sp` aligned).
///
/// The C ABI (AAPCS) passes a 64-bit argument that follows a 32-bit one in
/// the register pair r2:r3, low word first, and leaves r1 unused.
#[unsafe(no_mangle)]
#[unsafe(naked)]
unsafe extern "C" fn pidone_start() -> ! {
    core::arch::naked_asm!(
        "mvn r2, #0",
        "mvn r3, #0",
        "push {{r2, r3}}",   // the set to block: every signal
        "sub sp, sp, #8",    // room for the inherited mask
        "mov r0, #0",        // SIG_BLOCK
        "add r1, sp, #8",    // set
        "mov r2, sp",        // oldset
        "mov r3, #8",        // sizeof(sigset_t)
        "mov r7, #{nr}",     // rt_sigprocmask
        "svc #0",
        "pop {{r2, r3}}",    // 2nd argument: the inherited mask
        "add sp, sp, #8",    // drop the set
        "mov r0, sp",        // 1st argument: &argc
        "mov fp, #0",        // the outermost frame (`bl` sets lr)
        "bl {main}",         // sp is 16-byte aligned, as the kernel left it
        "udf #0",
        nr = const linux_raw_sys::general::__NR_rt_sigprocmask,
        main = sym super::start_rust,
    )
}
