//! `pidone_start` for 32-bit x86 (i686).

/// The kernel enters here with `esp` pointing at `argc` (see
/// [`super::start_rust`] for the layout, and the module docs for why the
/// first syscall blocks every signal). The set and the inherited mask, 64
/// bits each as on every Linux architecture, take two stack words each.
///
/// The C ABI passes every argument on the stack, a 64-bit one as two words,
/// low word first, and wants `esp` 16-byte aligned at the `call`: the set,
/// 12 bytes of padding, the two words of the mask and `&argc` make 32.
#[unsafe(no_mangle)]
#[unsafe(naked)]
unsafe extern "C" fn pidone_start() -> ! {
    core::arch::naked_asm!(
        "push -1",
        "push -1",           // the set to block: every signal
        "mov ecx, esp",      // set
        "sub esp, 20",       // padding, and room for the inherited mask
        "mov edx, esp",      // oldset
        "xor ebx, ebx",      // SIG_BLOCK
        "mov esi, 8",        // sizeof(sigset_t)
        "mov eax, {nr}",     // rt_sigprocmask
        "int 0x80",
        "lea eax, [esp + 28]",
        "push eax",          // 1st argument: &argc; the 2nd, the inherited
                             // mask, is above it
        "xor ebp, ebp",      // the outermost frame
        "call {main}",
        "ud2",
        nr = const linux_raw_sys::general::__NR_rt_sigprocmask,
        main = sym super::start_rust,
    )
}
