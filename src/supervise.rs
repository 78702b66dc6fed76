//! The supervising loop of an init, which the `pidone` binary and
//! [`crate::fork_init`] share: one set of forwarding rules, one `--grace`.
//! It belongs to the binary's internals, outside the documented API and
//! its semver promise.

use crate::cli::{Options, Switch};
use crate::message::{pid_number, say};
use crate::signal::{self, Signal, SignalSet, Target};
use crate::{Errno, Pid, Reaped, WaitOptions, WaitTarget};
use core::time::Duration;

/// The exit code of an init that cannot wait for signals any more, or that
/// panicked: a bug.
pub const EXIT_BUG: u8 = 124;

/// An init once its child runs: it forwards signals to the child, reaps
/// every process, and exits with the child's status.
pub struct Supervisor<'a> {
    options: &'a Options<'a>,
    /// The signals the loop waits for, which its caller blocked.
    waited: SignalSet,
    /// Whether this process is PID 1 of its namespace: `--grace` then
    /// signals every process in it.
    pid1: bool,
    /// Whether the last [`Supervisor::reap`] left children behind.
    children_left: bool,
}

impl<'a> Supervisor<'a> {
    /// The loop for `options`, waiting for `waited` (which the caller
    /// blocked), in a process that is PID 1 or not (`pid1`).
    ///
    /// # Safety
    ///
    /// `waited` holds signals 32 and 33, and `options.rewrites` turns a
    /// signal into one of them, only in a program with no libc, as
    /// [`signal::wait_unchecked`] and [`signal::send_unchecked`] require.
    pub unsafe fn new(options: &'a Options<'a>, waited: SignalSet, pid1: bool) -> Supervisor<'a> {
        Supervisor {
            options,
            waited,
            pid1,
            children_left: true,
        }
    }

    /// The loop: sleep until a signal comes; SIGCHLD means reap, any other
    /// means forward. Ends when the child has exited, with its status (after
    /// `-W` and `--grace`); with no child (`-P`), when TERM or INT comes,
    /// with 0.
    pub fn run(mut self, child: Option<Pid>) -> ! {
        let code = loop {
            match self.wait(None) {
                Some(Signal::CHLD) => {
                    if let Some(code) = self.reap(child) {
                        break code;
                    }
                }
                Some(signal) => match child {
                    Some(child) => {
                        let to = if self.options.has(Switch::KillGroup) {
                            Target::Group(child)
                        } else {
                            Target::Process(child)
                        };
                        self.forward(signal, to)
                    }
                    None if matches!(signal, Signal::TERM | Signal::INT) => crate::exit(0),
                    None => {}
                },
                None => {}
            }
        };
        if let Some(child) = child {
            self.leftovers(child);
        }
        crate::exit(if self.options.success_codes.contains(code) {
            0
        } else {
            code
        })
    }

    /// Reaps what is pending; returns the main child's exit code once it
    /// has exited or been killed. Orphans' statuses never replace it. One
    /// `-v` tells of the child, `-w` of the others: `pidone: WHAT PID, status
    /// CODE`; signal names would cost the binary their formatting code.
    fn reap(&mut self, child: Option<Pid>) -> Option<u8> {
        let mut status = None;
        let options = self.options;
        let left = crate::drain(
            WaitTarget::Any,
            WaitOptions::NONE,
            |Reaped {
                 pid,
                 status: reported,
             }| {
                // Only terminated children are reported (no `WaitOptions`).
                let code = reported.code().unwrap_or(0);
                let template: &[u8] = if Some(pid) == child {
                    status = Some(code);
                    if options.verbosity < 2 {
                        return;
                    }
                    b"child \x03, status \x03"
                } else if options.has(Switch::WarnZombies) {
                    b"reaped zombie \x03, status \x03"
                } else {
                    return;
                };
                say(template, b"", [pid_number(pid), u32::from(code)]);
            },
        );
        // An error other than ECHILD: try again at the next SIGCHLD.
        self.children_left = left != Ok(false);
        status
    }

    /// Forwards `signal`, rewritten by `-r`, to `to`. Synchronous signals
    /// (SEGV, BUS, FPE, ILL, ABRT) reach this only when someone sent them
    /// with `kill`, since pidone's own faults are not blockable: they are
    /// forwarded too, and pidone never dies of them. TSTP, TTIN and TTOU are
    /// blocked, so they never stop pidone.
    fn forward(&self, signal: Signal, to: Target) {
        let Some(signal) = self.options.rewrites.apply(signal) else {
            return;
        };
        if self.options.verbosity >= 3 {
            say(b"forwarding signal \x03", b"", [signal.as_raw() as u32, 0]);
        }
        // ESRCH: the target is gone and its SIGCHLD is on its way.
        // SAFETY: `signal` came from `waited` or from `-r`, which hold 32 or
        // 33 only in a program with no libc (`Supervisor::new`'s contract).
        let _ = unsafe { signal::send_unchecked(to, signal) };
    }

    /// What is left once the main child has exited: with `-W`, wait for it
    /// to exit (a TERM or INT then starts `--grace`, if given); with
    /// `--grace` alone, TERM it at once. Either reaches every process of
    /// the namespace as its PID 1 (`kill(-1)`, the group send to pid 1);
    /// otherwise the child's process group, never `kill(-1)`.
    fn leftovers(&mut self, child: Pid) {
        let group = if self.pid1 { Pid::INIT } else { child };
        let grace = self.options.grace;
        if !self.options.has(Switch::WaitAll) {
            if let Some(seconds) = grace {
                // SAFETY: TERM is not a signal a libc reserves.
                if unsafe { signal::send_unchecked(Target::Group(group), Signal::TERM) }
                    != Err(Errno::SRCH)
                {
                    self.grace(group, seconds);
                }
            }
            return;
        }
        // `-W`: daemons that forked and left the main child to exit. Signals
        // go where `--grace`'s go; a stop (what `docker stop` and Ctrl-C
        // send) gives them the grace time, which a reload (HUP) does not.
        loop {
            self.reap(None);
            if !self.children_left {
                return;
            }
            match self.wait(None) {
                Some(Signal::CHLD) | None => {}
                Some(signal) => {
                    self.forward(signal, Target::Group(group));
                    if let (Signal::TERM | Signal::INT, Some(seconds)) = (signal, grace) {
                        return self.grace(group, seconds);
                    }
                }
            }
        }
    }

    /// `--grace`, once `group` has had its TERM: reap until none is left or
    /// the time is over, then KILL what remains and give it two more seconds
    /// to go. A signal that comes meanwhile (a second `docker stop`, a
    /// Ctrl-C) is forwarded to the same processes, as any signal is while
    /// the child runs: the grace time is theirs to act on it, and it does
    /// not end the grace time.
    fn grace(&mut self, group: Pid, seconds: u32) {
        // sysinfo's uptime counts whole seconds; one more makes sure the
        // leftovers get at least the time asked for.
        let mut deadline = uptime().saturating_add(seconds).saturating_add(1);
        let mut killed = false;
        loop {
            self.reap(None);
            if !self.children_left {
                return;
            }
            let now = uptime();
            if now >= deadline {
                // What outlives SIGKILL by two seconds is beyond pidone's
                // reach (stuck in the kernel, or not its child), and not
                // worth holding the child's status back for.
                if killed {
                    return;
                }
                // SAFETY: KILL is not a signal a libc reserves.
                let _ = unsafe { signal::send_unchecked(Target::Group(group), Signal::KILL) };
                killed = true;
                deadline = now + 2;
            }
            match self.wait(Some(Duration::from_secs(u64::from(deadline - now)))) {
                // A leftover exited, or the time passed: look again.
                Some(Signal::CHLD) | None => {}
                Some(signal) => self.forward(signal, Target::Group(group)),
            }
        }
    }

    /// Sleeps until a signal of [`Supervisor::new`]'s set comes and takes
    /// it, or until `timeout` passes: `None`. The caller blocked them.
    fn wait(&self, timeout: Option<Duration>) -> Option<Signal> {
        // SAFETY: `waited` holds signals 32 and 33 only in a program with
        // no libc, as `Supervisor::new`'s caller promised.
        match unsafe { signal::wait_unchecked(self.waited, timeout) } {
            Ok(signal) => Some(signal),
            // The timeout passed, or a stop and continue interrupted the
            // sleep.
            Err(Errno::AGAIN | Errno::INTR) => None,
            // rt_sigtimedwait fails otherwise only for bad arguments:
            // nothing to wait for any more, so stop waiting rather than spin.
            Err(_) => crate::exit(EXIT_BUG),
        }
    }
}

/// Seconds since boot (`sysinfo(2)`): a clock without the vDSO, whose
/// set-up would cost more than the rest of pidone. 32 bits count 136
/// years, and spare 32-bit targets 64-bit arithmetic.
fn uptime() -> u32 {
    u32::try_from(rustix::system::sysinfo().uptime).unwrap_or(0)
}
