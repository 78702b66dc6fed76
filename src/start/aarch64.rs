//! `pidone_start` for aarch64: the process's first instructions.

/// The kernel enters here with `sp` pointing at `argc`, then the `argv`
/// pointers, a NULL, the `envp` pointers, a NULL, and the auxiliary vector.
///
/// The very first thing is `rt_sigprocmask(SIG_BLOCK, all)`: a signal sent to
/// PID 1 of a namespace while its disposition is the default and it is not
/// blocked is dropped by the kernel, so every instruction before this syscall
/// is a window in which `docker stop` can be lost. The set and the mask
/// pidone inherited, which is handed to Rust for the child, share 16 bytes of
/// stack (keeping `sp` aligned), a word each: POSIX makes the two pointers
/// `restrict`, and valgrind writes the old mask before it reads the set, so
/// one shared word would block nothing.
#[unsafe(no_mangle)]
#[unsafe(naked)]
unsafe extern "C" fn pidone_start() -> ! {
    core::arch::naked_asm!(
        "mov x9, #-1",
        "stp xzr, x9, [sp, #-16]!", // [sp]: oldset; [sp, #8]: every signal
        "mov x0, #0",          // SIG_BLOCK
        "add x1, sp, #8",      // set
        "mov x2, sp",          // oldset
        "mov x3, #8",          // sizeof(sigset_t)
        "mov x8, #135",        // __NR_rt_sigprocmask
        "svc #0",
        "ldr x1, [sp], #16",   // 2nd argument: the inherited mask
        "mov x0, sp",          // 1st argument: &argc
        "mov x29, #0",         // the outermost frame
        "mov x30, #0",
        "bl {main}",
        "udf #0",
        main = sym super::start_rust,
    )
}
