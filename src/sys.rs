//! The one place that touches rustix's `runtime` module.
//!
//! `rt_sigprocmask`, `rt_sigtimedwait`, `sigaction`, `fork`, `execve` and
//! `exit_group` exist in rustix only in that module, which rustix publishes
//! (from 1.1.5 on) under a rotating, deliberately obscure name and keeps out
//! of its semver promise: it is meant for libc implementations. Cargo.toml
//! pins rustix to one exact version, and this module is all that has to change
//! when that pin moves: the name below and, if rustix changed them, the
//! signatures.

use crate::signal::{Signal, SignalSet};
use core::ffi::CStr;
use core::time::Duration;
use runtime::{How, KernelSigSet, KernelSigaction, Timespec};
use rustix::io;
use rustix::process::Pid;
use rustix::runtime_448b8ad740e2a26f as runtime;

// `SignalSet` is the kernel's `sigset_t` on both targets: one 64-bit word.
const _: () = assert!(size_of::<KernelSigSet>() == size_of::<u64>());

fn to_kernel(set: SignalSet) -> KernelSigSet {
    // SAFETY: `KernelSigSet` is `repr(transparent)` over the kernel's
    // `sigset_t`, one `c_ulong` on 64-bit Linux (asserted above), with bit
    // `n - 1` for signal `n`: the layout of `SignalSet`'s bits.
    unsafe { core::mem::transmute::<u64, KernelSigSet>(set.bits()) }
}

fn from_kernel(set: KernelSigSet) -> SignalSet {
    // SAFETY: as in `to_kernel`, the other way round.
    SignalSet::from_bits(unsafe { core::mem::transmute::<KernelSigSet, u64>(set) })
}

/// `rt_sigprocmask(SIG_BLOCK, set)`: adds `set` to the blocked signals and
/// returns the mask as it was before.
///
/// # Safety
///
/// `set` holds no signal of `SignalSet::LIBC_RESERVED`, or the program has
/// no libc.
pub(crate) unsafe fn block(set: SignalSet) -> io::Result<SignalSet> {
    // SAFETY: the caller's promise.
    unsafe { runtime::kernel_sigprocmask(How::BLOCK, Some(&to_kernel(set))) }.map(from_kernel)
}

/// `rt_sigprocmask(SIG_SETMASK, set)`: replaces the mask, returning the old.
///
/// # Safety
///
/// `set` holds no signal of `SignalSet::LIBC_RESERVED`, or the program has
/// no libc.
pub(crate) unsafe fn set_mask(set: SignalSet) -> io::Result<SignalSet> {
    // SAFETY: the caller's promise.
    unsafe { runtime::kernel_sigprocmask(How::SETMASK, Some(&to_kernel(set))) }.map(from_kernel)
}

/// `rt_sigtimedwait(set, timeout)`: takes one pending signal of `set`,
/// sleeping until one comes (forever with no timeout). `EAGAIN` means the
/// timeout passed; `EINTR`, that a signal outside `set` ran a handler.
///
/// # Safety
///
/// `set` holds no signal of `SignalSet::LIBC_RESERVED`, or the program has
/// no libc.
pub(crate) unsafe fn wait_signal(set: SignalSet, timeout: Option<Duration>) -> io::Result<Signal> {
    let timeout = timeout.map(|t| Timespec {
        tv_sec: i64::try_from(t.as_secs()).unwrap_or(i64::MAX),
        tv_nsec: i64::from(t.subsec_nanos()),
    });
    // SAFETY: the caller's promise.
    let info = unsafe { runtime::kernel_sigtimedwait(&to_kernel(set), timeout.as_ref()) }?;
    // SAFETY: `si_signo` leads every variant of the union.
    let signo = unsafe { info.__bindgen_anon_1.__bindgen_anon_1.si_signo };
    // The kernel only hands out signals of `set`, all of them 1 to 64.
    Signal::from_raw(signo).ok_or(io::Errno::INVAL)
}

/// SIG_IGN, as `sigaction` reads and writes it: the handler address 1.
const SIG_IGN: usize = 1;

/// Sets `signal`'s disposition to "ignore" or to the default (`SIG_DFL`,
/// no handler), returning whether it was ignored before.
pub(crate) fn set_ignored(signal: rustix::process::Signal, ignored: bool) -> io::Result<bool> {
    // SAFETY: SIG_IGN is never called as a function: the kernel reads it as
    // "ignore". SIG_DFL is the null handler, `None`.
    let handler = ignored.then(|| unsafe {
        core::mem::transmute::<usize, unsafe extern "C" fn(core::ffi::c_int)>(SIG_IGN)
    });
    let action = KernelSigaction {
        sa_handler_kernel: handler,
        sa_flags: runtime::KernelSigactionFlags::empty(),
        #[cfg(not(target_arch = "riscv64"))]
        sa_restorer: None,
        sa_mask: KernelSigSet::empty(),
    };
    // SAFETY: installs no handler, only SIG_IGN or SIG_DFL; `signal` came
    // through `Signal::to_rustix`, which refuses the signals a libc reserves.
    unsafe { runtime::kernel_sigaction(signal, Some(action)) }
        .map(|old| old.sa_handler_kernel.map(|f| f as usize) == Some(SIG_IGN))
}

/// `fork(2)`: `Some(child)` in the parent, `None` in the child.
///
/// # Safety
///
/// The child of a multi-threaded process may only make async-signal-safe
/// calls until it execs; pidone's init has one thread.
pub(crate) unsafe fn fork() -> io::Result<Option<Pid>> {
    // SAFETY: the caller's promise. (Matched in full: with `?`, the binary
    // grows by 64 bytes.)
    match unsafe { runtime::kernel_fork() } {
        Ok(runtime::Fork::ParentOf(pid)) => Ok(Some(pid)),
        Ok(runtime::Fork::Child(_)) => Ok(None),
        Err(errno) => Err(errno),
    }
}

/// `execve(2)`: runs `path` in this process; returns only on failure.
///
/// # Safety
///
/// `argv` and `envp` are NULL-terminated arrays of NUL-terminated strings.
pub(crate) unsafe fn execve(
    path: &CStr,
    argv: *const *const u8,
    envp: *const *const u8,
) -> io::Errno {
    // SAFETY: the caller's promise.
    unsafe { runtime::execve(path, argv, envp) }
}

/// `exit_group(2)`: ends the process with `code`.
pub(crate) fn exit_group(code: u8) -> ! {
    runtime::exit_group(i32::from(code))
}
