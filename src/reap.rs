//! `wait4(2)` and the statuses it reports.

use crate::signal::Signal;
use rustix::io;
use rustix::process::{self, Pid, WaitOptions as RawWaitOptions};

/// What a reaped (or stopped, or continued) child's status says, decoded:
/// the reaper's view of a `wait4` status word. (Named so as not to clash with
/// `std::process::ExitStatus`, which a std program also uses for its own
/// children.)
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum ChildStatus {
    /// The child called `exit(code)`.
    Exited(u8),
    /// A signal killed the child.
    Killed {
        /// The signal.
        signal: Signal,
        /// Whether the kernel wrote a core dump.
        core_dumped: bool,
    },
    /// A signal stopped the child (reported with [`WaitOptions::UNTRACED`]).
    Stopped(Signal),
    /// `SIGCONT` resumed the child (reported with
    /// [`WaitOptions::CONTINUED`]).
    Continued,
}

impl ChildStatus {
    /// Decodes a raw `wait4` status word.
    pub const fn from_raw(status: i32) -> ChildStatus {
        let high = (status >> 8) & 0xff;
        match status & 0x7f {
            0 => ChildStatus::Exited(high as u8),
            // Stopped by signal `high`; `0xffff`, with no signal, is
            // "continued".
            0x7f => match Signal::from_raw(high) {
                Some(signal) => ChildStatus::Stopped(signal),
                None => ChildStatus::Continued,
            },
            low => match Signal::from_raw(low) {
                Some(signal) => ChildStatus::Killed {
                    signal,
                    core_dumped: status & 0x80 != 0,
                },
                // The kernel reports no signal above 64.
                None => ChildStatus::Exited(high as u8),
            },
        }
    }

    /// The code a shell would give: the exit code, or 128 + the signal that
    /// killed the child. `None` for a child that only stopped or continued.
    pub const fn code(self) -> Option<u8> {
        match self {
            ChildStatus::Exited(code) => Some(code),
            ChildStatus::Killed { signal, .. } => Some(128 + signal.as_raw() as u8),
            ChildStatus::Stopped(_) | ChildStatus::Continued => None,
        }
    }

    /// Whether the child is gone: it exited or was killed.
    pub const fn is_terminal(self) -> bool {
        self.code().is_some()
    }
}

/// One child that `wait4` reported.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub struct Reaped {
    /// Its process id.
    pub pid: Pid,
    /// What happened to it.
    pub status: ChildStatus,
}

/// Which children to wait for: `wait4`'s first argument.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum WaitTarget {
    /// Any child (`-1`), orphans that were re-parented to us included.
    Any,
    /// Only this child.
    Pid(Pid),
    /// Only children in this process group.
    Group(Pid),
}

/// Options passed to `wait4`. `WNOHANG` is not one of them: the reaper adds
/// it itself when draining, and never blocks in `wait4`.
#[derive(Copy, Clone, Debug, Default, PartialEq, Eq, Hash)]
pub struct WaitOptions(u32);

impl WaitOptions {
    /// Only terminated children (the default).
    pub const NONE: WaitOptions = WaitOptions(0);
    /// `WUNTRACED`: also report children stopped by a signal.
    pub const UNTRACED: WaitOptions = WaitOptions(linux_raw_sys::general::WUNTRACED);
    /// `WCONTINUED`: also report stopped children resumed by `SIGCONT`.
    pub const CONTINUED: WaitOptions = WaitOptions(linux_raw_sys::general::WCONTINUED);
    /// `__WALL`: wait for all children, clones included.
    pub const ALL: WaitOptions = WaitOptions(linux_raw_sys::general::__WALL);
    /// `__WCLONE`: wait only for clone children.
    pub const CLONE: WaitOptions = WaitOptions(linux_raw_sys::general::__WCLONE);
    /// `__WNOTHREAD`: do not wait for children of other threads.
    pub const NOTHREAD: WaitOptions = WaitOptions(linux_raw_sys::general::__WNOTHREAD);

    /// The raw option bits.
    pub const fn bits(self) -> u32 {
        self.0
    }

    /// Both sets of options.
    pub const fn union(self, other: WaitOptions) -> WaitOptions {
        WaitOptions(self.0 | other.0)
    }
}

impl core::ops::BitOr for WaitOptions {
    type Output = WaitOptions;
    fn bitor(self, other: WaitOptions) -> WaitOptions {
        self.union(other)
    }
}

/// The reaping loop: [`wait_nohang`]'s one `wait4` until no selected child has anything
/// more to report, handing each one to `each`. `Ok(true)`: selected children
/// are left, running or stopped; `Ok(false)`: none is (`ECHILD`). Never
/// blocks.
pub fn drain(
    target: WaitTarget,
    options: WaitOptions,
    mut each: impl FnMut(Reaped),
) -> io::Result<bool> {
    loop {
        match wait4(target, options) {
            Ok(Some((pid, status))) => each(Reaped::decoded(pid, status)),
            Ok(None) => return Ok(true),
            Err(io::Errno::CHILD) => return Ok(false),
            Err(io::Errno::INTR) => {}
            Err(errno) => return Err(errno),
        }
    }
}

/// One `wait4(target, WNOHANG | options)`: `Ok(None)` when no selected child
/// has anything to report, `Err(ECHILD)` when there is no such child at all.
pub fn wait_nohang(target: WaitTarget, options: WaitOptions) -> io::Result<Option<Reaped>> {
    Ok(wait4(target, options)?.map(|(pid, status)| Reaped::decoded(pid, status)))
}

impl Reaped {
    /// `pid`, with its raw `wait4` status word decoded.
    fn decoded(pid: Pid, status: i32) -> Reaped {
        Reaped {
            pid,
            status: ChildStatus::from_raw(status),
        }
    }
}

/// The one `wait4(target, WNOHANG | options)` of [`wait_nohang`] and
/// [`drain`], with the raw status word: decoded only where it is handed
/// on, which keeps the binary's loop small.
fn wait4(target: WaitTarget, options: WaitOptions) -> io::Result<Option<(Pid, i32)>> {
    let options = RawWaitOptions::from_bits_retain(options.0) | RawWaitOptions::NOHANG;
    let found = match target {
        // `waitpid(None, ..)` would be pid 0, the caller's process group;
        // `wait` is pid -1, any child.
        WaitTarget::Any => process::wait(options),
        WaitTarget::Pid(pid) => process::waitpid(Some(pid), options),
        WaitTarget::Group(pgid) => process::waitpgid(pgid, options),
    }?;
    Ok(found.map(|(pid, status)| (pid, status.as_raw())))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decodes_status_words() {
        assert_eq!(ChildStatus::from_raw(0), ChildStatus::Exited(0));
        assert_eq!(ChildStatus::from_raw(3 << 8), ChildStatus::Exited(3));
        assert_eq!(ChildStatus::from_raw(255 << 8).code(), Some(255));
        let killed = ChildStatus::from_raw(9);
        assert_eq!(
            killed,
            ChildStatus::Killed {
                signal: Signal::KILL,
                core_dumped: false
            }
        );
        assert_eq!(killed.code(), Some(137));
        assert_eq!(
            ChildStatus::from_raw(11 | 0x80),
            ChildStatus::Killed {
                signal: Signal::SEGV,
                core_dumped: true
            }
        );
        assert_eq!(
            ChildStatus::from_raw(19 << 8 | 0x7f),
            ChildStatus::Stopped(Signal::STOP)
        );
        assert_eq!(ChildStatus::from_raw(0xffff), ChildStatus::Continued);
        assert_eq!(ChildStatus::Continued.code(), None);
    }
}
