//! Program start-up without a libc: the entry point per architecture, the
//! panic handler, and the memory functions the compiler calls.

#[cfg(target_arch = "aarch64")]
mod aarch64;
#[cfg(target_arch = "x86_64")]
mod x86_64;

use core::ffi::{c_char, c_int, c_void};
use pidone::signal::SignalSet;

/// Called by `pidone_start` with every signal blocked: `stack` points at
/// `argc`, and `inherited_mask` is the signal mask pidone was started with.
///
/// # Safety
///
/// `stack` is the stack the kernel set up for a new program.
unsafe extern "C" fn start_rust(stack: *const usize, inherited_mask: u64) -> ! {
    // SAFETY: the kernel's layout: argc, argv[argc], NULL, envp..., NULL.
    let (argc, argv) = unsafe { (*stack, stack.add(1).cast::<*const u8>()) };
    // SAFETY: envp starts after argv's terminating NULL.
    let envp = unsafe { argv.add(argc + 1) };
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
