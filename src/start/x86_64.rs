//! `pidone_start` for x86_64: the process's first instructions.

/// The kernel enters here with `rsp` pointing at `argc`, then the `argv`
/// pointers, a NULL, the `envp` pointers, a NULL, and the auxiliary vector.
///
/// The very first thing is `rt_sigprocmask(SIG_BLOCK, all)`: a signal sent to
/// PID 1 of a namespace while its disposition is the default and it is not
/// blocked is dropped by the kernel, so every instruction before this syscall
/// is a window in which `docker stop` can be lost. The set and the mask
/// pidone inherited, which is handed to Rust for the child, take a stack word
/// each: POSIX makes the two pointers `restrict`, and valgrind writes the old
/// mask before it reads the set, so one shared word would block nothing.
#[unsafe(no_mangle)]
#[unsafe(naked)]
unsafe extern "C" fn pidone_start() -> ! {
    core::arch::naked_asm!(
        "push -1",          // the set to block: every signal
        "mov rsi, rsp",     // set
        "push rax",         // room for the inherited mask
        "mov rdx, rsp",     // oldset
        "xor edi, edi",     // SIG_BLOCK
        "mov r10d, 8",      // sizeof(sigset_t)
        "mov eax, 14",      // __NR_rt_sigprocmask
        "syscall",
        "pop rsi",          // 2nd argument: the inherited mask
        "pop rax",          // drop the set
        "mov rdi, rsp",     // 1st argument: &argc
        "xor ebp, ebp",     // the outermost frame
        "call {main}",      // rsp is 16-byte aligned before the call
        "ud2",
        main = sym super::start_rust,
    )
}
