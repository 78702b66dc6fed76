//! Signal numbers, sets of them, and their names.
//!
//! Linux numbers signals 1 to 64 on both targets pidone supports. The names
//! of 1 to 31 are the kernel's; 34 to 64 are named as `kill -l` names them
//! (`RTMIN` is 34, because glibc and musl keep 32 and 33 for themselves), and
//! 32 and 33 have only their numbers.

use crate::{Errno, Pid, strip_prefix, sys};
use core::num::NonZeroU8;
use core::time::Duration;

/// The highest signal number on Linux (x86_64 and aarch64 alike).
pub const MAX: u8 = 64;

/// `SIGRTMIN` as C programs see it: the first real-time signal that libc
/// leaves to applications.
pub const RTMIN: u8 = 34;

/// `SIGRTMAX`.
pub const RTMAX: u8 = MAX;

/// A signal number from 1 to 64.
#[derive(Copy, Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Signal(NonZeroU8);

/// The kernel's names of signals 1 to 31 without the `SIG` prefix, then
/// the other names `kill` and the C headers accept, each followed by its
/// number with the high bit set: one byte string instead of a table of
/// pointers keeps the binary small.
const NAMES: &[u8] = b"\
HUP\x81INT\x82QUIT\x83ILL\x84TRAP\x85ABRT\x86BUS\x87FPE\x88KILL\x89USR1\x8aSEGV\x8b\
USR2\x8cPIPE\x8dALRM\x8eTERM\x8fSTKFLT\x90CHLD\x91CONT\x92STOP\x93TSTP\x94TTIN\x95\
TTOU\x96URG\x97XCPU\x98XFSZ\x99VTALRM\x9aPROF\x9bWINCH\x9cIO\x9dPWR\x9eSYS\x9f\
IOT\x86CLD\x91POLL\x9dUNUSED\x9fRTMIN\xa2RTMAX\xc0";

/// The names of [`NAMES`] with their numbers, in order.
fn names() -> impl Iterator<Item = (&'static [u8], u8)> {
    let mut rest = NAMES;
    core::iter::from_fn(move || {
        let len = rest.iter().position(|&b| b >= 0x80)?;
        let (name, tail) = rest.split_at(len);
        let (&number, tail) = tail.split_first()?;
        rest = tail;
        Some((name, number & 0x7f))
    })
}

macro_rules! signals {
    ($($(#[$doc:meta])* $name:ident = $n:expr;)*) => {
        impl Signal {
            $(
                $(#[$doc])*
                pub const $name: Signal = Signal::new_const($n);
            )*
        }
    };
}

signals! {
    /// `SIGHUP`: the terminal hung up; daemons read it as "reload".
    HUP = 1;
    /// `SIGINT`: Ctrl-C.
    INT = 2;
    /// `SIGQUIT`: Ctrl-\.
    QUIT = 3;
    /// `SIGILL`: illegal instruction.
    ILL = 4;
    /// `SIGTRAP`: breakpoint.
    TRAP = 5;
    /// `SIGABRT`: `abort()`.
    ABRT = 6;
    /// `SIGBUS`: bad memory access.
    BUS = 7;
    /// `SIGFPE`: arithmetic fault.
    FPE = 8;
    /// `SIGKILL`: cannot be caught, blocked or ignored.
    KILL = 9;
    /// `SIGUSR1`.
    USR1 = 10;
    /// `SIGSEGV`: invalid memory reference.
    SEGV = 11;
    /// `SIGUSR2`.
    USR2 = 12;
    /// `SIGPIPE`: write to a pipe with no reader.
    PIPE = 13;
    /// `SIGALRM`.
    ALRM = 14;
    /// `SIGTERM`: the polite request to stop that `docker stop` sends.
    TERM = 15;
    /// `SIGCHLD`: a child stopped, continued or terminated.
    CHLD = 17;
    /// `SIGCONT`: continue if stopped.
    CONT = 18;
    /// `SIGSTOP`: cannot be caught, blocked or ignored.
    STOP = 19;
    /// `SIGTSTP`: Ctrl-Z.
    TSTP = 20;
    /// `SIGTTIN`: background read from the terminal.
    TTIN = 21;
    /// `SIGTTOU`: background write to the terminal.
    TTOU = 22;
    /// `SIGWINCH`: the terminal's window size changed.
    WINCH = 28;
}

impl Signal {
    const fn new_const(n: u8) -> Signal {
        match NonZeroU8::new(n) {
            Some(n) => Signal(n),
            None => panic!("signal 0"),
        }
    }

    /// The signal numbered `n`, if `n` is 1 to 64.
    pub const fn from_raw(n: i32) -> Option<Signal> {
        if n >= 0 && n <= MAX as i32 {
            match NonZeroU8::new(n as u8) {
                Some(n) => Some(Signal(n)),
                None => None,
            }
        } else {
            None
        }
    }

    /// The signal's number.
    pub const fn as_raw(self) -> i32 {
        self.0.get() as i32
    }

    /// The signal's name with its `SIG` prefix (`SIGTERM`, `SIGRTMIN+3`),
    /// or its number for 32 and 33.
    pub fn name(self) -> SignalName {
        let n = self.0.get();
        let (stem, offset): (&[u8], _) = match n {
            1..=31 => (
                names()
                    .find(|&(_, number)| number == n)
                    .unwrap_or_default()
                    .0,
                None,
            ),
            32 | 33 => (b"", Some(n)),
            RTMIN => (b"RTMIN", None),
            RTMAX => (b"RTMAX", None),
            _ if n - RTMIN <= (RTMAX - RTMIN) / 2 => (b"RTMIN+", Some(n - RTMIN)),
            _ => (b"RTMAX-", Some(RTMAX - n)),
        };
        let mut name = SignalName::new();
        // Every push fits: the longest name, "SIGRTMIN+15", is 11 bytes.
        if !stem.is_empty() {
            let _ = name.extend_from_slice(b"SIG");
            let _ = name.extend_from_slice(stem);
        }
        if let Some(k) = offset {
            if k >= 10 {
                let _ = name.push(b'0' + k / 10);
            }
            let _ = name.push(b'0' + k % 10);
        }
        name
    }

    /// Parses a signal as users write it: `TERM`, `SIGTERM`, `sigterm`, `15`,
    /// `RTMIN`, `RTMIN+3`, `SIGRTMAX-2`.
    pub fn parse(text: &[u8]) -> Result<Signal, ParseSignalError> {
        if let Some(n) = parse_decimal(text, 3) {
            return Signal::from_raw(n as i32).ok_or(ParseSignalError);
        }
        let name = strip_prefix(text, b"SIG", true).unwrap_or(text);
        for (row, n) in names() {
            let Some(rest) = strip_prefix(name, row, true) else {
                continue;
            };
            // RTMIN+K and RTMAX-K, in RTMIN..=RTMAX.
            let n = match (n, rest) {
                (_, []) => i32::from(n),
                (RTMIN, [b'+', digits @ ..]) => match parse_decimal(digits, 3) {
                    Some(k @ 0..=30) => i32::from(RTMIN) + k as i32,
                    _ => 0,
                },
                (RTMAX, [b'-', digits @ ..]) => match parse_decimal(digits, 3) {
                    Some(k @ 0..=30) => i32::from(RTMAX) - k as i32,
                    _ => 0,
                },
                _ => continue,
            };
            return Signal::from_raw(n).ok_or(ParseSignalError);
        }
        Err(ParseSignalError)
    }

    /// The same signal as rustix's type, for rustix's calls; `EINVAL` for
    /// a signal of [`SignalSet::LIBC_RESERVED`].
    pub(crate) fn to_rustix(self) -> Result<rustix::process::Signal, Errno> {
        if SignalSet::LIBC_RESERVED.contains(self) {
            return Err(Errno::INVAL);
        }
        // SAFETY: not one of the signals a libc reserves, just checked.
        Ok(unsafe { self.to_rustix_unchecked() })
    }

    /// [`Signal::to_rustix`] without the check.
    ///
    /// # Safety
    ///
    /// Not in [`SignalSet::LIBC_RESERVED`], or the program has no libc.
    pub(crate) const unsafe fn to_rustix_unchecked(self) -> rustix::process::Signal {
        // SAFETY: the number is 1 to 64, a valid signal; rustix's caveat,
        // the real-time signals a libc reserves (32, 33), is the caller's.
        unsafe { rustix::process::Signal::from_raw_unchecked(self.as_raw()) }
    }
}

/// A signal's name, as [`Signal::name`] formats it without allocating:
/// ASCII bytes.
pub type SignalName = heapless::Vec<u8, 12>;

/// The text given to [`Signal::parse`] names no signal from 1 to 64.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub struct ParseSignalError;

// For std programs; the `pidone` binary reports its own usage errors, and
// never links this.
impl core::fmt::Display for ParseSignalError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str("not a signal name or number from 1 to 64")
    }
}

impl core::error::Error for ParseSignalError {}

/// A set of signals, as `rt_sigprocmask(2)` and `rt_sigtimedwait(2)` take
/// them: bit `n - 1` stands for signal `n`.
#[derive(Copy, Clone, Debug, Default, PartialEq, Eq, Hash)]
pub struct SignalSet(u64);

impl SignalSet {
    /// No signal.
    pub const EMPTY: SignalSet = SignalSet(0);
    /// Every signal from 1 to 64. Blocking it blocks all but `SIGKILL` and
    /// `SIGSTOP`, which the kernel never blocks, and, through the safe
    /// functions, all but [`SignalSet::LIBC_RESERVED`].
    pub const ALL: SignalSet = SignalSet(!0);
    /// Signals 32 and 33, which glibc and musl use for their own threads
    /// (cancellation, `setxid`). In a program with a libc, blocking, waiting
    /// for or ignoring them would break it, so the safe functions of this
    /// module leave them out of every set ([`block`], [`set_mask`],
    /// [`wait`]) and refuse them alone with `EINVAL` ([`set_ignored`],
    /// [`send`], [`send_group`]), as glibc's own wrappers do. A program with
    /// no libc may use them through the `unsafe` [`wait_unchecked`] and
    /// [`send_unchecked`].
    pub const LIBC_RESERVED: SignalSet = SignalSet(1 << 31 | 1 << 32);

    /// The set whose bit `n - 1` is set for each signal `n` in it.
    pub const fn from_bits(bits: u64) -> SignalSet {
        SignalSet(bits)
    }

    /// The set's bits (bit `n - 1` for signal `n`), as in the `SigBlk` and
    /// `SigIgn` lines of `/proc/PID/status`.
    pub const fn bits(self) -> u64 {
        self.0
    }

    /// This set with `signal` added.
    pub const fn with(self, signal: Signal) -> SignalSet {
        SignalSet(self.0 | 1 << (signal.as_raw() - 1))
    }

    /// This set with `signal` taken out.
    pub const fn without(self, signal: Signal) -> SignalSet {
        SignalSet(self.0 & !(1 << (signal.as_raw() - 1)))
    }

    /// The signals of this set that are not in `other`.
    pub const fn difference(self, other: SignalSet) -> SignalSet {
        SignalSet(self.0 & !other.0)
    }

    /// Whether `signal` is in the set.
    pub const fn contains(self, signal: Signal) -> bool {
        self.0 & 1 << (signal.as_raw() - 1) != 0
    }

    /// The signals in the set, lowest first.
    pub fn iter(self) -> impl Iterator<Item = Signal> {
        (1..=MAX as i32)
            .filter_map(Signal::from_raw)
            .filter(move |&s| self.contains(s))
    }
}

/// `set` less [`SignalSet::LIBC_RESERVED`]: what the safe functions hand
/// the kernel.
const fn permitted(set: SignalSet) -> SignalSet {
    set.difference(SignalSet::LIBC_RESERVED)
}

/// `rt_sigprocmask(SIG_BLOCK)`: blocks the signals of `set` as well (less
/// [`SignalSet::LIBC_RESERVED`]), and returns the mask from before.
///
/// The mask is the calling thread's: other threads that exist already keep
/// theirs, and threads created later inherit their creator's.
pub fn block(set: SignalSet) -> Result<SignalSet, Errno> {
    // SAFETY: `permitted` took out the signals a libc reserves.
    unsafe { sys::block(permitted(set)) }
}

/// `rt_sigprocmask(SIG_SETMASK)`: blocks exactly `set` (less
/// [`SignalSet::LIBC_RESERVED`]), and returns the mask from before. A child
/// forked by a reaper restores the mask with this.
pub fn set_mask(set: SignalSet) -> Result<SignalSet, Errno> {
    // SAFETY: as in `block`.
    unsafe { sys::set_mask(permitted(set)) }
}

/// `rt_sigtimedwait(2)`: takes one pending signal of `set` (less
/// [`SignalSet::LIBC_RESERVED`]; the rest should be blocked), sleeping until
/// one comes or `timeout` passes (`EAGAIN`).
pub fn wait(set: SignalSet, timeout: Option<Duration>) -> Result<Signal, Errno> {
    // SAFETY: as in `block`.
    unsafe { sys::wait_signal(permitted(set), timeout) }
}

/// Sets `signal` to be ignored (`SIG_IGN`), or back to its default action
/// (`SIG_DFL`), and says whether it was ignored before. Installing handlers
/// is not offered: a reaper waits for signals instead of catching them.
/// `EINVAL` for [`SignalSet::LIBC_RESERVED`].
pub fn set_ignored(signal: Signal, ignored: bool) -> Result<bool, Errno> {
    sys::set_ignored(signal.to_rustix()?, ignored)
}

/// `kill(pid, signal)`: sends `signal` to one process. `EINVAL` for
/// [`SignalSet::LIBC_RESERVED`].
pub fn send(pid: Pid, signal: Signal) -> Result<(), Errno> {
    signal.to_rustix()?;
    // SAFETY: not a signal a libc reserves, just checked.
    unsafe { send_unchecked(Target::Process(pid), signal) }
}

/// `kill(-pgid, signal)`: sends `signal` to every process in a group.
/// `EINVAL` for [`SignalSet::LIBC_RESERVED`].
pub fn send_group(pgid: Pid, signal: Signal) -> Result<(), Errno> {
    signal.to_rustix()?;
    // SAFETY: not a signal a libc reserves, just checked.
    unsafe { send_unchecked(Target::Group(pgid), signal) }
}

/// [`wait`] for a program with no libc: `set` as it is, signals 32 and 33
/// included. The `pidone` binary waits for every signal with it.
///
/// # Safety
///
/// Nothing in the program relies on signals 32 and 33: it links no libc
/// (glibc and musl use them for their threads), and nothing else uses them.
pub unsafe fn wait_unchecked(set: SignalSet, timeout: Option<Duration>) -> Result<Signal, Errno> {
    // SAFETY: the caller's promise.
    unsafe { sys::wait_signal(set, timeout) }
}

/// [`send`] (`to` a process) or [`send_group`] (`to` a group) for a program
/// with no libc: signals 32 and 33 too. The `pidone` binary forwards every
/// signal with it.
///
/// # Safety
///
/// As for [`wait_unchecked`].
pub unsafe fn send_unchecked(to: Target, signal: Signal) -> Result<(), Errno> {
    // SAFETY: the caller's promise.
    let signal = unsafe { signal.to_rustix_unchecked() };
    match to {
        Target::Process(pid) => rustix::process::kill_process(pid, signal),
        Target::Group(pgid) => rustix::process::kill_process_group(pgid, signal),
    }
}

/// Whom [`send_unchecked`] sends a signal to.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum Target {
    /// One process: `kill(pid)`.
    Process(Pid),
    /// Every process of a group: `kill(-pgid)`; `Pid::INIT` is every process
    /// the caller may signal, `kill(-1)`.
    Group(Pid),
}

/// Parses one to `max_digits` decimal digits; anything else (signs,
/// spaces, more digits) is not a number of ours.
pub(crate) fn parse_decimal(text: &[u8], max_digits: usize) -> Option<u32> {
    if text.is_empty() || text.len() > max_digits {
        return None;
    }
    text.iter().try_fold(0u32, |n, &b| {
        b.is_ascii_digit().then(|| n * 10 + u32::from(b - b'0'))
    })
}

#[cfg(test)]
mod tests {
    extern crate std;
    use super::*;
    use std::vec::Vec;

    #[test]
    fn names_match_kill_l() {
        let name = |n| Signal::from_raw(n).unwrap().name();
        assert_eq!(&name(1)[..], b"SIGHUP");
        assert_eq!(&name(15)[..], b"SIGTERM");
        assert_eq!(&name(31)[..], b"SIGSYS");
        assert_eq!(&name(32)[..], b"32");
        assert_eq!(&name(34)[..], b"SIGRTMIN");
        assert_eq!(&name(37)[..], b"SIGRTMIN+3");
        assert_eq!(&name(49)[..], b"SIGRTMIN+15");
        assert_eq!(&name(50)[..], b"SIGRTMAX-14");
        assert_eq!(&name(64)[..], b"SIGRTMAX");
    }

    #[test]
    fn parses_the_forms_users_write() {
        let term = Ok(Signal::TERM);
        for text in ["TERM", "SIGTERM", "sigterm", "Term", "15", "015"] {
            assert_eq!(Signal::parse(text.as_bytes()), term, "{text}");
        }
        assert_eq!(Signal::parse(b"RTMIN+3").map(Signal::as_raw), Ok(37));
        assert_eq!(Signal::parse(b"SIGRTMAX-2").map(Signal::as_raw), Ok(62));
        assert_eq!(Signal::parse(b"rtmax").map(Signal::as_raw), Ok(64));
        assert_eq!(Signal::parse(b"IOT"), Ok(Signal::ABRT));
        assert_eq!(Signal::parse(b"CLD"), Ok(Signal::CHLD));
    }

    #[test]
    fn rejects_what_is_not_a_signal() {
        for text in [
            "",
            "0",
            "65",
            "999",
            "1000",
            "-1",
            "+1",
            " 15",
            "15 ",
            "SIG",
            "TERMS",
            "RTMIN+31",
            "RTMAX-31",
            "RTMIN-1",
            "RTMAX+1",
            "RTMIN+",
            "RTMIN+x",
            "SIGSIGTERM",
            "\u{e9}",
        ] {
            assert_eq!(
                Signal::parse(text.as_bytes()),
                Err(ParseSignalError),
                "{text:?}"
            );
        }
    }

    #[test]
    fn sets_hold_what_is_put_in() {
        let set = SignalSet::EMPTY
            .with(Signal::CHLD)
            .with(Signal::from_raw(64).unwrap());
        assert!(set.contains(Signal::CHLD));
        assert!(!set.contains(Signal::TERM));
        assert_eq!(set.bits(), 1 << 16 | 1 << 63);
        assert_eq!(set.iter().map(Signal::as_raw).collect::<Vec<_>>(), [17, 64]);
        assert_eq!(set.without(Signal::CHLD).bits(), 1 << 63);
        assert_eq!(SignalSet::ALL.iter().count(), 64);
    }
}
