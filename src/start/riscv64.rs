//! `pidone_start` for riscv64.

/// The kernel enters here with `sp` pointing at `argc` (see
/// [`super::start_rust`] for the layout, and the module docs for why the
/// first syscall blocks every signal). The set and the inherited mask take
/// a stack word each (16 bytes, keeping `sp` aligned).
///
/// `gp` is left unset: rust-lld relaxes no access to be relative to it
/// unless asked to (`--relax-gp`), and pidone does not ask.
#[unsafe(no_mangle)]
#[unsafe(naked)]
unsafe extern "C" fn pidone_start() -> ! {
    core::arch::naked_asm!(
        "li t0, -1",
        "addi sp, sp, -16",
        "sd t0, 8(sp)",      // the set to block: every signal
        "li a0, 0",          // SIG_BLOCK
        "addi a1, sp, 8",    // set
        "mv a2, sp",         // oldset
        "li a3, 8",          // sizeof(sigset_t)
        "li a7, {nr}",       // rt_sigprocmask
        "ecall",
        "ld a1, 0(sp)",      // 2nd argument: the inherited mask
        "addi sp, sp, 16",
        "mv a0, sp",         // 1st argument: &argc
        "li s0, 0",          // the outermost frame (`call` sets ra)
        "call {main}",
        "unimp",
        nr = const linux_raw_sys::general::__NR_rt_sigprocmask,
        main = sym super::start_rust,
    )
}
