//! Program start-up without a libc: the entry point per architecture, the
//! panic handler, and the memory functions the compiler calls.
//!
//! Each architecture's file has one `pidone_start`, the ELF entry point
//! (build.rs names it), and its very first syscall is
//! `rt_sigprocmask(SIG_BLOCK, every signal)`: the kernel drops a signal sent
//! to PID 1 of a namespace while that signal has its default disposition
//! and is not blocked, so every instruction before this syscall is a window
//! in which `docker stop` can be lost. The kernel hands back the mask pidone
//! inherited, which `pidone_start` passes to [`start_rust`] and which the
//! child gets back. The set and that old mask take a stack word each (two
//! words each on 32-bit architectures): POSIX makes the two pointers
//! `restrict`, and valgrind writes the old mask before it reads the set, so
//! one shared word would block nothing there. The syscall number comes from
//! linux-raw-sys.
//!
//! A new architecture needs one more file here, with its `cfg` below.

#[cfg(target_arch = "aarch64")]
mod aarch64;
#[cfg(target_arch = "arm")]
mod arm;
#[cfg(target_arch = "riscv64")]
mod riscv64;
#[cfg(target_arch = "x86")]
mod x86;
#[cfg(target_arch = "x86_64")]
mod x86_64;

use core::ffi::{c_char, c_int, c_void};
use pidone::signal::SignalSet;

/// Called by `pidone_start` with every signal blocked, by the C ABI of the
/// architecture: `stack` points at what the kernel put on the stack for a
/// new program, `argc`, the `argv` pointers, a NULL, the `envp` pointers, a
/// NULL, and the auxiliary vector; `inherited_mask` is the signal mask
/// pidone was started with (64 bits on every architecture).
///
/// # Safety
///
/// `stack` is the stack the kernel set up for a new program.
unsafe extern "C" fn start_rust(stack: *const usize, inherited_mask: u64) -> ! {
    // The kernel aligns the initial stack to 16 bytes on every
    // architecture, and each `pidone_start` leaves `stack` where it found
    // it: a misplaced `stack` shows here first.
    debug_assert!(!stack.is_null());
    debug_assert_eq!(stack.addr() % 16, 0);
    // SAFETY: the kernel's layout: argc, argv[argc], NULL, envp..., NULL.
    let (argc, argv) = unsafe { (*stack, stack.add(1).cast::<*const u8>()) };
    // SAFETY: argv has argc entries and a NULL, as the next line checks.
    debug_assert!(unsafe { *argv.add(argc) }.is_null());
    // SAFETY: envp starts after argv's terminating NULL.
    let envp = unsafe { argv.add(argc + 1) };
    // rustix's syscalls on 32-bit x86 go through the vDSO, which rustix
    // finds in the auxiliary vector after envp (Cargo.toml).
    #[cfg(target_arch = "x86")]
    // SAFETY: envp is the kernel's, and no rustix function has run yet.
    unsafe {
        rustix::param::init(envp.cast_mut().cast())
    };
    crate::main(argc, argv, envp, SignalSet::from_bits(inherited_mask))
}

/// A panic is a bug in pidone: say so and exit at once with
/// [`crate::EXIT_BUG`], rather than loop or lose the child's status
/// silently. No `core::fmt` is pulled in to format the panic's message.
#[panic_handler]
fn panic(_: &core::panic::PanicInfo<'_>) -> ! {
    pidone::message::write_stderr(b"pidone: internal error (a bug in pidone); exiting\n");
    pidone::exit(crate::EXIT_BUG)
}

// The compiler lowers copies and comparisons to these; the musl targets'
// prebuilt compiler_builtins leave them to the libc pidone does not have.
// They are written as plain byte loops: LLVM does not turn loops into calls
// to the very function it is compiling, and pidone's copies are small.

/// `memcpy(3)`.
///
/// # Safety
///
/// As `memcpy`: `n` bytes readable at `src`, writable at `dest`, not
/// overlapping.
#[unsafe(no_mangle)]
unsafe extern "C" fn memcpy(dest: *mut c_void, src: *const c_void, n: usize) -> *mut c_void {
    let (d, s) = (dest.cast::<u8>(), src.cast::<u8>());
    let mut i = 0;
    while i < n {
        // SAFETY: the caller's promise.
        unsafe { *d.add(i) = *s.add(i) };
        i += 1;
    }
    dest
}

/// `memmove(3)`.
///
/// # Safety
///
/// As `memmove`: `n` bytes readable at `src`, writable at `dest`.
#[unsafe(no_mangle)]
unsafe extern "C" fn memmove(dest: *mut c_void, src: *const c_void, n: usize) -> *mut c_void {
    if (dest as usize) < (src as usize) {
        // SAFETY: the caller's promise; copying forwards is safe when the
        // destination starts first.
        return unsafe { memcpy(dest, src, n) };
    }
    let (d, s) = (dest.cast::<u8>(), src.cast::<u8>());
    let mut i = n;
    while i > 0 {
        i -= 1;
        // SAFETY: the caller's promise.
        unsafe { *d.add(i) = *s.add(i) };
    }
    dest
}

/// `memset(3)`.
///
/// # Safety
///
/// As `memset`: `n` bytes writable at `dest`.
#[unsafe(no_mangle)]
unsafe extern "C" fn memset(dest: *mut c_void, byte: c_int, n: usize) -> *mut c_void {
    let d = dest.cast::<u8>();
    let mut i = 0;
    while i < n {
        // SAFETY: the caller's promise.
        unsafe { *d.add(i) = byte as u8 };
        i += 1;
    }
    dest
}

/// `memcmp(3)`, and `bcmp(3)`, which only needs zero or not.
///
/// # Safety
///
/// As `memcmp`: `n` bytes readable at `a` and at `b`.
#[unsafe(no_mangle)]
unsafe extern "C" fn memcmp(a: *const c_void, b: *const c_void, n: usize) -> c_int {
    let (a, b) = (a.cast::<u8>(), b.cast::<u8>());
    let mut i = 0;
    while i < n {
        // SAFETY: the caller's promise.
        let (x, y) = unsafe { (*a.add(i), *b.add(i)) };
        if x != y {
            return i32::from(x) - i32::from(y);
        }
        i += 1;
    }
    0
}

/// `bcmp(3)`: see [`memcmp`].
///
/// # Safety
///
/// As `memcmp`.
#[unsafe(no_mangle)]
unsafe extern "C" fn bcmp(a: *const c_void, b: *const c_void, n: usize) -> c_int {
    // SAFETY: the caller's promise.
    unsafe { memcmp(a, b, n) }
}

/// `strlen(3)`, for `CStr::from_ptr`.
///
/// # Safety
///
/// As `strlen`: `s` points at a NUL-terminated string.
#[unsafe(no_mangle)]
unsafe extern "C" fn strlen(s: *const c_char) -> usize {
    let mut n = 0;
    // SAFETY: the caller's promise.
    while unsafe { *s.add(n) } != 0 {
        n += 1;
    }
    n
}

/// The personality routine that libcore's prebuilt objects name in their
/// unwind tables. With `panic = "abort"` nothing unwinds, so it is never
/// called; release builds (LTO) drop the reference, and unoptimised builds,
/// which the tests run, link against this.
#[unsafe(no_mangle)]
extern "C" fn rust_eh_personality() {}
