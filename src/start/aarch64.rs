//! `pidone_start` for aarch64.

/// The kernel enters here with `sp` pointing at `argc` (see
/// [`super::start_rust`] for the layout, and the module docs for why the
/// first syscall blocks every signal). The set and the inherited mask take
/// a stack word each (16 bytes, keeping `sp` aligned).
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
        "mov x8, #{nr}",       // rt_sigprocmask
        "svc #0",
        "ldr x1, [sp], #16",   // 2nd argument: the inherited mask
        "mov x0, sp",          // 1st argument: &argc
        "mov x29, #0",         // the outermost frame (`bl` sets x30)
        "bl {main}",
        "udf #0",
        nr = const linux_raw_sys::general::__NR_rt_sigprocmask,
        main = sym super::start_rust,
    )
}
