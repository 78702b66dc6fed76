//! pidone's own descriptors, once its child runs.
//!
//! What pidone inherited above stderr is its child's, which inherited it
//! too: a pipe whose reader waits for its end, a socket, a lock. Left open
//! in pidone, each would stay open for as long as pidone runs, however
//! early the child closes it, and after the child is gone (`--grace`, or
//! a pause process, `-P`): catatonit #12.

use rustix::fd::RawFd;
use rustix::process::{Resource, getrlimit};

/// Closes every descriptor of this process above 2 (stderr): with one
/// `close_range(2)` (Linux 5.9), or, where that fails (an older kernel, or
/// a seccomp filter that refuses it), with `close(2)` for every number from
/// 3 up to the soft `RLIMIT_NOFILE` (`getrlimit(2)`), above which no
/// descriptor can have been opened, unless the limit was lowered since.
/// That way costs about 0.2 µs a number (natively on x86_64): 0.2 ms for
/// the common limit of 1,024, 0.2 s for the 1,048,576 that container
/// runtimes often set.
///
/// # Safety
///
/// Nothing in the process holds a descriptor above 2 that it will use
/// again: no `OwnedFd`, `BorrowedFd` or raw number of one is left, since
/// its number, once closed, may be given to another file.
pub unsafe fn close_above_stderr() {
    // An architecture with no `close_range` below goes by the numbers.
    #[cfg(any(
        target_arch = "x86_64",
        target_arch = "aarch64",
        target_arch = "riscv64",
        target_arch = "arm",
        target_arch = "x86"
    ))]
    // SAFETY: the caller's promise.
    if unsafe { close_range::close_range(3, u32::MAX, 0) } == 0 {
        return;
    }
    // The limit is at most `fs.nr_open`, below 2^31; never `RLIM_INFINITY`
    // (None), which the kernel refuses for it.
    let limit = getrlimit(Resource::Nofile).current.unwrap_or(0);
    for fd in 3..limit as RawFd {
        // EBADF, for a number that is not open, is the common answer.
        // SAFETY: the caller's promise.
        let _ = unsafe { rustix::io::try_close(fd) };
    }
}

/// `close_range(first, last, flags)`, which rustix 1.1.6 does not have: one
/// syscall instruction per architecture, in a function of its own so that
/// the registers are the C ABI's, with no constraint for the compiler to
/// work around (r7 on Thumb, ebx on x86). Returns what the kernel does: 0,
/// or an errno negated. The syscall number is linux-raw-sys's. A new
/// architecture works without one, slower ([`close_above_stderr`]).
mod close_range {
    use linux_raw_sys::general::__NR_close_range;

    #[cfg(target_arch = "x86_64")]
    #[unsafe(naked)]
    pub(super) unsafe extern "C" fn close_range(first: u32, last: u32, flags: u32) -> isize {
        // The arguments are already in rdi, rsi and rdx.
        core::arch::naked_asm!("mov eax, {nr}", "syscall", "ret", nr = const __NR_close_range)
    }

    #[cfg(target_arch = "aarch64")]
    #[unsafe(naked)]
    pub(super) unsafe extern "C" fn close_range(first: u32, last: u32, flags: u32) -> isize {
        // The arguments are already in x0, x1 and x2.
        core::arch::naked_asm!("mov x8, #{nr}", "svc #0", "ret", nr = const __NR_close_range)
    }

    #[cfg(target_arch = "riscv64")]
    #[unsafe(naked)]
    pub(super) unsafe extern "C" fn close_range(first: u32, last: u32, flags: u32) -> isize {
        // The arguments are already in a0, a1 and a2.
        core::arch::naked_asm!("li a7, {nr}", "ecall", "ret", nr = const __NR_close_range)
    }

    #[cfg(target_arch = "arm")]
    #[unsafe(naked)]
    pub(super) unsafe extern "C" fn close_range(first: u32, last: u32, flags: u32) -> isize {
        // The arguments are already in r0, r1 and r2; r7, the syscall
        // number's register, is the caller's (Thumb's frame pointer), so it
        // waits in r12, which a call may clobber.
        core::arch::naked_asm!(
            "mov r12, r7",
            "movw r7, #{nr}",
            "svc #0",
            "mov r7, r12",
            "bx lr",
            nr = const __NR_close_range,
        )
    }

    #[cfg(target_arch = "x86")]
    #[unsafe(naked)]
    pub(super) unsafe extern "C" fn close_range(first: u32, last: u32, flags: u32) -> isize {
        // The arguments are on the stack, above the return address and the
        // caller's ebx, which the C ABI wants back.
        core::arch::naked_asm!(
            "push ebx",
            "mov ebx, [esp + 8]",
            "mov ecx, [esp + 12]",
            "mov edx, [esp + 16]",
            "mov eax, {nr}",
            "int 0x80",
            "pop ebx",
            "ret",
            nr = const __NR_close_range,
        )
    }
}
