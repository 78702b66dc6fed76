//! An in-process init: [`fork_init`], go-reaper's `RunForked` done right.

use crate::cli::Options;
use crate::signal::{self, Signal, SignalSet};
use crate::supervise::Supervisor;
use crate::{Error, sys, threads};

/// Makes this program its own init, in one call at the top of `main`: for a
/// `FROM scratch` image that holds one static Rust binary.
///
/// The process forks. The child returns `Ok(())` from the call with the
/// signal state it had before, and runs the program; its own children are
/// its own, so `std::process::Command`'s waits work as they always do. The
/// parent never returns: it is the init. It forwards every signal it can
/// catch to the child, reaps every process that is re-parented to it (as
/// PID 1, or as a child subreaper when it is not PID 1), and when the child
/// ends it exits with the child's status: its exit code, or 128 + the
/// signal that killed it, as a shell reports it.
///
/// The parent runs the `pidone` binary's own loop, with its default
/// options: the same forwarding and reaping, tested by the same tests.
///
/// This is the default way to use the library in a std program: no wait of
/// the program's ever fails with `ECHILD` or gets another's status, since
/// the reaper is another process.
///
/// Errors come before the fork, in the one process: [`Error::Threads`]
/// when a thread exists already (the child of a fork keeps only the
/// calling thread, and any lock another one held stays locked forever),
/// [`Error::Proc`] when `/proc/self/task` cannot tell,
/// [`Error::Subreaper`] when the process is not PID 1 and cannot become a
/// child subreaper, and [`Error::Sys`] when `fork` or the signal mask fails.
pub fn fork_init() -> Result<(), Error> {
    match threads::single() {
        Ok(true) => {}
        Ok(false) => return Err(Error::Threads),
        Err(errno) => return Err(Error::Proc(errno)),
    }
    let pid1 = crate::is_pid1();
    if !pid1 && !crate::is_child_subreaper() {
        crate::set_child_subreaper().map_err(Error::Subreaper)?;
    }
    // An inherited SIG_IGN for SIGCHLD would have the kernel reap every
    // child itself, and the init would never learn the child's status.
    let sigchld_ignored = signal::set_ignored(Signal::CHLD, false)?;
    let previous_mask = signal::block(SignalSet::ALL)?;
    // SAFETY: the process has one thread, checked above.
    match unsafe { sys::fork() } {
        Ok(Some(child)) => {
            let options = Options::default();
            // SAFETY: the waited set leaves out signals 32 and 33, as every
            // safe function does, and the default options rewrite nothing;
            // `block` blocked the rest.
            let init = unsafe {
                Supervisor::new(
                    &options,
                    SignalSet::ALL.difference(SignalSet::LIBC_RESERVED),
                    pid1,
                )
            };
            init.run(Some(child))
        }
        Ok(None) => {
            if sigchld_ignored {
                signal::set_ignored(Signal::CHLD, true)?;
            }
            signal::set_mask(previous_mask)?;
            Ok(())
        }
        Err(errno) => {
            signal::set_mask(previous_mask)?;
            Err(Error::Sys(errno))
        }
    }
}
