//! `pidone_start` for x86_64.

/// The kernel enters here with `rsp` pointing at `argc` (see
/// [`super::start_rust`] for the layout, and the module docs for why the
/// first syscall blocks every signal). The set and the inherited mask take
/// a stack word each.
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
        "mov eax, {nr}",    // rt_sigprocmask
        "syscall",
        "pop rsi",          // 2nd argument: the inherited mask
        "pop rax",          // drop the set
        "mov rdi, rsp",     // 1st argument: &argc
        "xor ebp, ebp",     // the outermost frame
        "call {main}",      // rsp is 16-byte aligned before the call
        "ud2",
        nr = const linux_raw_sys::general::__NR_rt_sigprocmask,
        main = sym super::start_rust,
    )
}
