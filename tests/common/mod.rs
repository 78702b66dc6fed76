//! What the tests that run the `pidone` binary share:
//!
//! - [`Pidone`]: starts pidone as PID 1 of a new PID namespace or as an
//!   ordinary process (a child subreaper), under a deadline, and collects its
//!   status and output; [`Running`] drives a run that is still going (reads
//!   its lines, sends it signals), and kills all it started if the test fails.
//! - [`Kid`]: the program pidone runs in the tests: this very test binary,
//!   re-executed with a role in `$PIDONE_TEST_KID`. The one function in
//!   `.init_array` plays it before libtest's `main` starts, as it plays the
//!   [`Launcher`] and a test binary's roles of its own ([`Role`]).
//! - Readers of `/proc`, a pseudo-terminal, temporary directories.
//!
//! Target binaries (pidone, the kid) are started through
//! `$PIDONE_TARGET_RUNNER` when it is set: under qemu-user, an emulated
//! program's `execve` of another target binary goes to the host kernel,
//! which cannot run it. Signal numbers are the target's throughout: under
//! QEMU, the test sends them with the emulated `kill`, which maps them as
//! the emulated pidone and kid expect.

// Each test file uses a part of these.
#![allow(dead_code)]

use std::ffi::{CStr, CString, OsString, c_char, c_ulong};
use std::fmt;
use std::fs::File;
use std::io::{Read, Write};
use std::mem::ManuallyDrop;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
use std::os::unix::ffi::OsStringExt;
use std::os::unix::process::{CommandExt, ExitStatusExt};
use std::path::{Path, PathBuf};
use std::process::{ChildStdin, Command, ExitStatus, Stdio};
use std::sync::OnceLock;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError};
use std::time::{Duration, Instant};

/// The target's signal numbers, which the tests send and the kid prints.
#[allow(unused_imports, reason = "as dead_code: each test file uses a part")]
pub use libc::{
    SIGABRT, SIGBUS, SIGCHLD, SIGCONT, SIGFPE, SIGHUP, SIGILL, SIGINT, SIGKILL, SIGPIPE, SIGQUIT,
    SIGSEGV, SIGSTOP, SIGTERM, SIGTSTP, SIGTTIN, SIGTTOU, SIGUSR1, SIGUSR2, SIGWINCH,
};
/// `SIGRTMIN` as pidone names it (`RTMIN+N` is 34 + N), as glibc and
/// `kill -l` do; musl keeps 32 to 34 for itself, and its `SIGRTMIN` is 35.
pub const SIGRTMIN: i32 = 34;

/// How long a run may take before the test kills it and fails.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(30);

/// Every signal a test can send pidone: all but SIGKILL and SIGSTOP, which
/// nobody can take.
///
/// Under QEMU, fewer, for QEMU's sake. Its guests have no signals 61 to 64:
/// it maps guest signal N from 32 up to host signal N + 2 and keeps the
/// host's last two for itself. Nor those of [`kills_qemu`].
pub fn signals_to_send() -> Vec<i32> {
    (1..=64)
        .filter(|&s| s != SIGKILL && s != SIGSTOP)
        .filter(|&s| !(emulated() && s > 60))
        .filter(|&s| !kills_qemu(s))
        .collect()
}

/// Whether `signal` sent with `kill` may kill QEMU itself (and so its
/// guest), which the tests then do not send: under QEMU, a guest may crash
/// (QEMU dies of SIGSEGV) when SIGSEGV, SIGBUS, SIGILL or SIGFPE comes from
/// `kill()` while it runs guest code: pidone forwarding one, or the kid
/// printing one.
pub fn kills_qemu(signal: i32) -> bool {
    emulated() && [SIGSEGV, SIGBUS, SIGILL, SIGFPE].contains(&signal)
}

/// The set of one signal, as in the `SigBlk` and `SigIgn` lines of
/// `/proc/PID/status`: bit `n - 1` for signal `n`.
pub const fn signal_bit(signal: i32) -> u64 {
    1 << (signal - 1)
}

/// The raw signal syscalls, whose 64-bit sets musl's wrappers would filter
/// (musl keeps signals 32 to 34 for itself). Every other call of the tests
/// is a plain `libc` one.
mod sys {
    use linux_raw_sys::general::{__kernel_sighandler_t, kernel_sigaction};
    use std::ffi::{c_int, c_long};
    use std::time::Duration;

    pub const SIG_DFL: usize = libc::SIG_DFL;
    pub const SIG_IGN: usize = libc::SIG_IGN;
    // `syscall` is variadic, and the kernel takes each of its arguments
    // from a whole register: each is passed as a `c_long` or a pointer,
    // none as an `int` whose upper half would be left to chance.
    const SIG_BLOCK: c_long = libc::SIG_BLOCK as c_long;
    const SIG_SETMASK: c_long = libc::SIG_SETMASK as c_long;
    /// The kernel's signal sets are 64 bits.
    const SIGSET_SIZE: c_long = 8;

    /// The signal mask, as `rt_sigprocmask` gives it.
    pub fn signal_mask() -> u64 {
        let mut old = 0u64;
        // SAFETY: a NULL new set only reads the mask into `old`.
        unsafe {
            libc::syscall(
                libc::SYS_rt_sigprocmask,
                SIG_BLOCK,
                std::ptr::null::<u64>(),
                &mut old,
                SIGSET_SIZE,
            )
        };
        old
    }

    pub fn set_signal_mask(mask: u64) {
        // SAFETY: 8 bytes at `mask`, as the size says.
        unsafe {
            libc::syscall(
                libc::SYS_rt_sigprocmask,
                SIG_SETMASK,
                &mask,
                std::ptr::null_mut::<u64>(),
                SIGSET_SIZE,
            )
        };
    }

    /// The signal's handler: [`SIG_DFL`], [`SIG_IGN`] or a function.
    pub fn handler(signal: c_int) -> usize {
        // SAFETY: all zeroes is a valid `kernel_sigaction` (no handler).
        let mut old: kernel_sigaction = unsafe { std::mem::zeroed() };
        // SAFETY: a NULL new action only reads the current one.
        unsafe {
            libc::syscall(
                libc::SYS_rt_sigaction,
                c_long::from(signal),
                std::ptr::null::<kernel_sigaction>(),
                &mut old,
                SIGSET_SIZE,
            )
        };
        old.sa_handler_kernel
            .map_or(SIG_DFL, |function| function as usize)
    }

    /// Sets the signal to [`SIG_DFL`] or [`SIG_IGN`], if it can be.
    pub fn set_handler(signal: c_int, handler: usize) {
        assert!(handler == SIG_DFL || handler == SIG_IGN);
        // SAFETY: all zeroes is a valid `kernel_sigaction`; the handler is
        // 0 or 1, which the kernel takes for SIG_DFL and SIG_IGN and never
        // calls, so `Option<fn>` holds it without a function behind it.
        let new = kernel_sigaction {
            sa_handler_kernel: unsafe {
                std::mem::transmute::<usize, __kernel_sighandler_t>(handler)
            },
            ..unsafe { std::mem::zeroed() }
        };
        // SAFETY: no function handler, so no restorer is needed.
        unsafe {
            libc::syscall(
                libc::SYS_rt_sigaction,
                c_long::from(signal),
                &new,
                std::ptr::null_mut::<kernel_sigaction>(),
                SIGSET_SIZE,
            )
        };
    }

    /// Takes one pending signal of `set`, which should be blocked; `None`
    /// when `timeout` passes first.
    pub fn wait_signal(set: u64, timeout: Option<Duration>) -> Option<c_int> {
        // The kernel's `timespec` for this call: two longs on every target
        // (32-bit ones have another call for a 64-bit `time_t`).
        let timespec: Option<[c_long; 2]> =
            timeout.map(|t| [t.as_secs() as c_long, t.subsec_nanos() as c_long]);
        let timespec = timespec
            .as_ref()
            .map_or(std::ptr::null(), |t| t as *const [c_long; 2]);
        loop {
            // SAFETY: 8 bytes at `set`; no siginfo wanted.
            let signal = unsafe {
                libc::syscall(
                    libc::SYS_rt_sigtimedwait,
                    &set,
                    std::ptr::null_mut::<libc::siginfo_t>(),
                    timespec,
                    SIGSET_SIZE,
                )
            };
            if signal > 0 {
                return Some(signal as c_int);
            }
            if std::io::Error::last_os_error().raw_os_error() != Some(libc::EINTR) {
                return None;
            }
        }
    }

    /// Every signal's bit.
    pub const ALL_SIGNALS: u64 = !0;

    unsafe extern "C" {
        /// The C library's environment, which `libc` declares for glibc
        /// only (musl has it too).
        pub static environ: *const *const std::ffi::c_char;
    }
}

/// The raw signal calls, for the roles of a test file's own (musl's
/// wrappers would filter signals 32 to 34 out of their sets).
#[allow(unused_imports, reason = "as dead_code: each test file uses a part")]
pub use sys::{ALL_SIGNALS, set_signal_mask, signal_mask, wait_signal};

/// Sets RLIMIT_CORE to 0, so that a process killed by a signal writes no
/// core file, which would litter the directory (QEMU writes one of the
/// guest's too).
pub fn no_core_files() {
    let none = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: a plain call.
    unsafe { libc::setrlimit(libc::RLIMIT_CORE, &none) };
}

/// Writes one line to stdout with one `write(2)`, so that lines of several
/// processes on one pipe do not mix.
pub fn say(line: &str) {
    // SAFETY: fd 1 is only borrowed.
    let mut stdout = ManuallyDrop::new(unsafe { File::from_raw_fd(1) });
    let _ = stdout.write_all(format!("{line}\n").as_bytes());
}

fn write_stdout(bytes: &[u8]) {
    // SAFETY: fd 1 is only borrowed.
    let mut stdout = ManuallyDrop::new(unsafe { File::from_raw_fd(1) });
    stdout.write_all(bytes).expect("kid: write to stdout");
}

/// The roles of the kid, the program pidone runs in the tests.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Kid {
    /// Exits with the code.
    Exit(u8),
    /// Kills itself with the signal, dumping no core.
    Kill(i32),
    /// Blocks every signal, prints `ready`, then the number of each signal
    /// it takes, one a line; exits 0 after that many.
    Signals(usize),
    /// Prints its state and exits 0: `own-group true|false`,
    /// `tty foreground|background|none`, `blocked HEX` and `ignored HEX`
    /// (its signal mask and ignored signals, as in `/proc/PID/status`).
    State,
    /// Leaves `count` orphans (each one's parent exits at once) that exit
    /// with `orphan_code` all together once they are all orphans; prints
    /// `orphans exited` when they have, then exits with `code` at the end
    /// of its stdin.
    Orphans {
        count: usize,
        orphan_code: u8,
        code: u8,
    },
    /// Forks a leftover, which ignores TERM or not, stays in the kid's
    /// process group or makes one of its own, and then sleeps until a
    /// signal kills it; prints `ready` when it is set, and exits with
    /// `code`.
    Leftover {
        ignores_term: bool,
        own_group: bool,
        code: u8,
    },
    /// Blocks every signal and forks a grandchild (same process group);
    /// prints `ready`, takes one signal and prints `kid N`, then sends USR2
    /// to the grandchild, waits for it and exits 0. The grandchild prints
    /// `grandchild N` for each signal it takes until USR2, and then for
    /// those still pending.
    Group,
    /// Prints its command line as `/proc/self/cmdline` has it.
    Argv,
    /// Prints its environment, each entry followed by a NUL.
    Env,
    /// Copies its stdin to its stdout.
    Cat,
    /// Prints its ids, `uid R E S`, `gid R E S` (real, effective, saved)
    /// and `groups G...` (the supplementary groups, sorted), then exits 0 at
    /// the end of its stdin.
    Ids,
}

impl Role for Kid {
    const VAR: &'static str = "PIDONE_TEST_KID";

    fn encode(&self) -> String {
        match *self {
            Kid::Exit(code) => format!("exit {code}"),
            Kid::Kill(signal) => format!("kill {signal}"),
            Kid::Signals(count) => format!("signals {count}"),
            Kid::State => "state".into(),
            Kid::Orphans {
                count,
                orphan_code,
                code,
            } => format!("orphans {count} {orphan_code} {code}"),
            Kid::Leftover {
                ignores_term,
                own_group,
                code,
            } => format!("leftover {ignores_term} {own_group} {code}"),
            Kid::Group => "group".into(),
            Kid::Argv => "argv".into(),
            Kid::Env => "env".into(),
            Kid::Cat => "cat".into(),
            Kid::Ids => "ids".into(),
        }
    }

    fn decode(words: &RoleWords) -> Kid {
        match words.name() {
            "exit" => Kid::Exit(words.number(1)),
            "kill" => Kid::Kill(words.number(1)),
            "signals" => Kid::Signals(words.number(1)),
            "state" => Kid::State,
            "orphans" => Kid::Orphans {
                count: words.number(1),
                orphan_code: words.number(2),
                code: words.number(3),
            },
            "leftover" => Kid::Leftover {
                ignores_term: words.flag(1),
                own_group: words.flag(2),
                code: words.number(3),
            },
            "group" => Kid::Group,
            "argv" => Kid::Argv,
            "env" => Kid::Env,
            "cat" => Kid::Cat,
            "ids" => Kid::Ids,
            _ => words.bad(),
        }
    }

    fn play(self) -> ! {
        match self {
            Kid::Exit(code) => std::process::exit(code.into()),
            Kid::Kill(signal) => {
                no_core_files();
                // SAFETY: a plain call; no core dump at all, whatever
                // `core_pattern` says.
                unsafe { libc::prctl(libc::PR_SET_DUMPABLE, 0 as c_ulong) };
                sys::set_handler(signal, sys::SIG_DFL);
                sys::set_signal_mask(0);
                // SAFETY: a plain call.
                unsafe { libc::kill(libc::getpid(), signal) };
                say("kid: still alive after the signal");
                std::process::exit(100)
            }
            Kid::Signals(count) => {
                sys::set_signal_mask(sys::ALL_SIGNALS);
                say("ready");
                for _ in 0..count {
                    let signal = sys::wait_signal(sys::ALL_SIGNALS, None).expect("sigtimedwait");
                    say(&signal.to_string());
                }
                std::process::exit(0)
            }
            Kid::State => {
                let blocked = sys::signal_mask();
                let ignored = (1..=64)
                    .filter(|&s| sys::handler(s) == sys::SIG_IGN)
                    .fold(0, |set, s| set | signal_bit(s));
                // SAFETY: plain calls.
                let (own_group, tty) = unsafe {
                    let tty = if libc::isatty(0) == 0 {
                        "none"
                    } else if libc::tcgetpgrp(0) == libc::getpgrp() {
                        "foreground"
                    } else {
                        "background"
                    };
                    (libc::getpgrp() == libc::getpid(), tty)
                };
                say(&format!(
                    "own-group {own_group}\ntty {tty}\nblocked {blocked:016x}\nignored {ignored:016x}"
                ));
                std::process::exit(0)
            }
            Kid::Orphans {
                count,
                orphan_code,
                code,
            } => {
                let (gate_reader, gate_writer) = std::io::pipe().expect("pipe");
                let (done_reader, done_writer) = std::io::pipe().expect("pipe");
                for _ in 0..count {
                    // SAFETY: one thread; the children only make plain calls.
                    match unsafe { libc::fork() } {
                        0 => {
                            // SAFETY: as above.
                            if unsafe { libc::fork() } == 0 {
                                drop(gate_writer);
                                drop(done_reader);
                                // The gate opens (EOF) when every parent is
                                // gone and the kid closed its end.
                                let _ = (&gate_reader).read(&mut [0]);
                                // `done_writer` closes as it exits.
                                // SAFETY: a plain call.
                                unsafe { libc::_exit(orphan_code.into()) }
                            }
                            // SAFETY: as above.
                            unsafe { libc::_exit(0) }
                        }
                        -1 => panic!("kid: fork: {}", std::io::Error::last_os_error()),
                        // With SIGCHLD ignored this fails with ECHILD once
                        // the parent is gone: gone either way.
                        // SAFETY: a plain call.
                        parent => unsafe {
                            libc::waitpid(parent, std::ptr::null_mut(), 0);
                        },
                    }
                }
                drop(done_writer);
                drop(gate_writer);
                let _ = (&done_reader).read_to_end(&mut Vec::new());
                say("orphans exited");
                // SAFETY: fd 0 is only borrowed.
                let mut stdin = ManuallyDrop::new(unsafe { File::from_raw_fd(0) });
                let _ = stdin.read_to_end(&mut Vec::new());
                std::process::exit(code.into())
            }
            Kid::Leftover {
                ignores_term,
                own_group,
                code,
            } => {
                let (ready_reader, ready_writer) = std::io::pipe().expect("pipe");
                // SAFETY: one thread; the child only makes plain calls.
                if unsafe { libc::fork() } == 0 {
                    drop(ready_reader);
                    if ignores_term {
                        sys::set_handler(SIGTERM, sys::SIG_IGN);
                    }
                    if own_group {
                        // SAFETY: a plain call.
                        unsafe { libc::setpgid(0, 0) };
                    }
                    drop(ready_writer);
                    loop {
                        // SAFETY: a plain call.
                        unsafe { libc::pause() };
                    }
                }
                drop(ready_writer);
                let _ = (&ready_reader).read_to_end(&mut Vec::new());
                say("ready");
                std::process::exit(code.into())
            }
            Kid::Group => {
                sys::set_signal_mask(sys::ALL_SIGNALS);
                // SAFETY: one thread; the child only makes plain calls.
                let grandchild = unsafe { libc::fork() };
                if grandchild == 0 {
                    loop {
                        let signal = sys::wait_signal(sys::ALL_SIGNALS, None).expect("sigwait");
                        say(&format!("grandchild {signal}"));
                        if signal == SIGUSR2 {
                            while let Some(signal) =
                                sys::wait_signal(sys::ALL_SIGNALS, Some(Duration::ZERO))
                            {
                                say(&format!("grandchild {signal}"));
                            }
                            // SAFETY: a plain call.
                            unsafe { libc::_exit(0) }
                        }
                    }
                }
                say("ready");
                let signal = sys::wait_signal(sys::ALL_SIGNALS, None).expect("sigtimedwait");
                say(&format!("kid {signal}"));
                // SAFETY: plain calls.
                unsafe {
                    libc::kill(grandchild, SIGUSR2);
                    libc::waitpid(grandchild, std::ptr::null_mut(), 0);
                }
                std::process::exit(0)
            }
            Kid::Argv => {
                write_stdout(&std::fs::read("/proc/self/cmdline").expect("/proc/self/cmdline"));
                std::process::exit(0)
            }
            Kid::Env => {
                write_stdout(
                    &environment()
                        .iter()
                        .flat_map(|e| e.as_bytes_with_nul())
                        .copied()
                        .collect::<Vec<u8>>(),
                );
                std::process::exit(0)
            }
            Kid::Cat => {
                // SAFETY: fds 0 and 1 are only borrowed.
                let (mut stdin, mut stdout) = unsafe {
                    (
                        ManuallyDrop::new(File::from_raw_fd(0)),
                        ManuallyDrop::new(File::from_raw_fd(1)),
                    )
                };
                std::io::copy(&mut *stdin, &mut *stdout).expect("kid: copy");
                std::process::exit(0)
            }
            Kid::Ids => {
                let ([mut ruid, mut euid, mut suid], [mut rgid, mut egid, mut sgid]) =
                    ([0; 3], [0; 3]);
                let mut groups = vec![0; 65536];
                // SAFETY: plain calls, with room for every group there is.
                let count = unsafe {
                    libc::getresuid(&mut ruid, &mut euid, &mut suid);
                    libc::getresgid(&mut rgid, &mut egid, &mut sgid);
                    libc::getgroups(groups.len() as i32, groups.as_mut_ptr())
                };
                groups.truncate(usize::try_from(count).expect("getgroups"));
                groups.sort_unstable();
                let groups: Vec<String> = groups.iter().map(|g| g.to_string()).collect();
                say(&format!(
                    "uid {ruid} {euid} {suid}\ngid {rgid} {egid} {sgid}\ngroups {}",
                    groups.join(" ")
                ));
                // SAFETY: fd 0 is only borrowed.
                let mut stdin = ManuallyDrop::new(unsafe { File::from_raw_fd(0) });
                let _ = stdin.read_to_end(&mut Vec::new());
                std::process::exit(0)
            }
        }
    }
}

/// The launcher: sets exactly this signal state and executes the rest of
/// its command line in place.
pub struct Launcher {
    pub blocked: u64,
    pub ignored: u64,
}

impl Role for Launcher {
    const VAR: &'static str = "PIDONE_TEST_LAUNCH";

    /// `BLOCKED IGNORED`, two hexadecimal sets.
    fn encode(&self) -> String {
        format!("{:x} {:x}", self.blocked, self.ignored)
    }

    fn decode(words: &RoleWords) -> Launcher {
        let set = |i| u64::from_str_radix(words.word(i), 16).unwrap_or_else(|_| words.bad());
        Launcher {
            blocked: set(0),
            ignored: set(1),
        }
    }

    fn play(self) -> ! {
        for signal in (1..=64).filter(|&s| s != SIGKILL && s != SIGSTOP) {
            let handler = if self.ignored & signal_bit(signal) != 0 {
                sys::SIG_IGN
            } else {
                sys::SIG_DFL
            };
            // QEMU refuses the few guest signals it cannot map to the
            // host's; the tests leave those out of the sets.
            sys::set_handler(signal, handler);
        }
        sys::set_signal_mask(self.blocked);
        exec_rest_of_command_line(Self::VAR)
    }
}

/// Executes this process's command line less its first word (this test
/// binary), with the environment variable `role_var`, which gave it its
/// role, taken out. For roles that set something up and then become what
/// follows them on the command line.
pub fn exec_rest_of_command_line(role_var: &str) -> ! {
    // SAFETY: before `main`, with one thread.
    unsafe { std::env::remove_var(role_var) };
    let args = rest_of_command_line();
    let argv = null_terminated(&args);
    // SAFETY: a NULL-terminated array of C strings that outlive the call.
    unsafe { libc::execv(argv[0], argv.as_ptr()) };
    panic!("exec {:?}: {}", args[0], std::io::Error::last_os_error())
}

/// This process's command line less its first word (this test binary).
pub fn rest_of_command_line() -> Vec<CString> {
    let cmdline = std::fs::read("/proc/self/cmdline").expect("/proc/self/cmdline");
    // Each argument ends with a NUL.
    cmdline
        .strip_suffix(b"\0")
        .expect("/proc/self/cmdline ends with a NUL")
        .split(|&b| b == 0)
        .skip(1)
        .map(|arg| CString::new(arg).expect("no NUL"))
        .collect()
}

/// `strings` as the NULL-terminated array of pointers that `execve` takes;
/// it points into `strings`.
pub fn null_terminated(strings: &[CString]) -> Vec<*const c_char> {
    strings
        .iter()
        .map(|s| s.as_ptr())
        .chain([std::ptr::null()])
        .collect()
}

/// This process's environment, entry by entry, in its order (which
/// `std::env::vars` does not promise), duplicates included.
pub fn environment() -> Vec<CString> {
    let mut entries = Vec::new();
    // SAFETY: the NULL-terminated environment, read while nothing changes
    // it (a role before `main`, or one thread).
    unsafe {
        let mut entry = sys::environ;
        while !(*entry).is_null() {
            entries.push(CStr::from_ptr(*entry).to_owned());
            entry = entry.add(1);
        }
    }
    entries
}

/// A family of roles this test binary plays, besides running tests: when
/// the environment variable [`Role::VAR`] names one of them, the process
/// plays it before libtest's `main` starts a thread, and never gets to run
/// a test.
pub trait Role: Sized {
    /// The variable whose value, [`Role::encode`]'s, gives the role.
    const VAR: &'static str;
    /// The role as words: a name, then its values.
    fn encode(&self) -> String;
    /// The role back from [`Role::encode`]'s words; fails the process on
    /// others.
    fn decode(words: &RoleWords) -> Self;
    /// Plays the role: exits, or executes another program.
    fn play(self) -> !;
}

/// Plays the role of family `R` that the environment gives this process, if
/// it gives one.
fn take<R: Role>() {
    if let Some(text) = std::env::var_os(R::VAR) {
        let text = text.to_string_lossy();
        R::decode(&RoleWords::new(R::VAR, &text)).play()
    }
}

/// A role's words, as [`Role::encode`] wrote them.
pub struct RoleWords<'a> {
    var: &'static str,
    text: &'a str,
    words: Vec<&'a str>,
}

impl<'a> RoleWords<'a> {
    fn new(var: &'static str, text: &'a str) -> RoleWords<'a> {
        RoleWords {
            var,
            text,
            words: text.split(' ').collect(),
        }
    }

    /// The first word, which names the role in a family of several.
    pub fn name(&self) -> &'a str {
        self.word(0)
    }

    /// Word `i`, counted from the name.
    pub fn word(&self, i: usize) -> &'a str {
        self.words.get(i).copied().unwrap_or_else(|| self.bad())
    }

    /// Word `i`, parsed.
    pub fn number<N: std::str::FromStr>(&self, i: usize) -> N {
        self.word(i).parse().unwrap_or_else(|_| self.bad())
    }

    /// Word `i`, `true` or `false`.
    pub fn flag(&self, i: usize) -> bool {
        self.number(i)
    }

    /// Fails: the words are not a role of this family.
    pub fn bad(&self) -> ! {
        panic!("{}: bad role {:?}", self.var, self.text)
    }
}

/// A test binary's roles of its own, besides the launcher and the kid.
pub trait OwnRoles {
    /// Plays the role the environment gives this process, if it is one of
    /// these.
    fn take();
}

impl<R: Role> OwnRoles for R {
    fn take() {
        take::<R>()
    }
}

/// No roles of its own.
impl OwnRoles for () {
    fn take() {}
}

/// A test binary's own roles, by default: none. A test binary with roles of
/// its own names their type `OwnRole` at its root, which shadows this
/// default that `use common::*` brings there.
pub type OwnRole = ();

/// Plays the role the environment gives this process, if any, before
/// libtest's `main`; it never returns then. The one hook of every test
/// binary: the launcher's, the test binary's own, and the kid's, in the
/// order in which one may lead to the next.
extern "C" fn take_role() {
    take::<Launcher>();
    <crate::OwnRole as OwnRoles>::take();
    take::<Kid>();
}

#[used]
#[unsafe(link_section = ".init_array")]
static TAKE_ROLE: extern "C" fn() = take_role;

/// `$PIDONE_TARGET_RUNNER`: the QEMU that runs target binaries, or `None`
/// when they run natively.
pub fn target_runner() -> Option<PathBuf> {
    std::env::var_os("PIDONE_TARGET_RUNNER")
        .filter(|runner| !runner.is_empty())
        .map(PathBuf::from)
}

/// Whether pidone runs under QEMU.
pub fn emulated() -> bool {
    pidone_runner().is_some()
}

/// Says `line` on the test's own stderr, even when the test passes: libtest
/// captures `eprintln!`, not writes to `std::io::stderr`. For numbers that
/// README quotes.
pub fn report(line: &str) {
    let _ = writeln!(std::io::stderr(), "{line}");
}

/// The command line that runs `binary` under `runner`: `[runner] binary`.
fn program(runner: Option<PathBuf>, binary: &Path) -> Vec<OsString> {
    runner
        .into_iter()
        .map(OsString::from)
        .chain([binary.into()])
        .collect()
}

/// `$PIDONE_BIN`, which qemu/test sets for the targets it has no standard
/// library for: the pidone to test, built for such a target, with
/// `$PIDONE_BIN_RUNNER` the QEMU that runs it. This test binary is then one
/// for the host's target, run under `$PIDONE_TARGET_RUNNER` as usual, so
/// that signal numbers are the emulated ones on both sides.
fn other_target_pidone() -> Option<&'static Path> {
    static BIN: OnceLock<Option<PathBuf>> = OnceLock::new();
    BIN.get_or_init(|| std::env::var_os("PIDONE_BIN").map(PathBuf::from))
        .as_deref()
}

/// The pidone binary under test: `$PIDONE_BIN`, or the one cargo built.
pub fn pidone_binary() -> &'static Path {
    other_target_pidone().unwrap_or(Path::new(env!("CARGO_BIN_EXE_pidone")))
}

/// The QEMU that runs [`pidone_binary`], or `None` when it runs natively:
/// `$PIDONE_BIN_RUNNER` with `$PIDONE_BIN`, else [`target_runner`].
pub fn pidone_runner() -> Option<PathBuf> {
    match other_target_pidone() {
        Some(_) => std::env::var_os("PIDONE_BIN_RUNNER")
            .filter(|runner| !runner.is_empty())
            .map(PathBuf::from),
        None => target_runner(),
    }
}

/// The command line that runs pidone (or a copy of it):
/// `[pidone runner] pidone`. Every test starts pidone through this.
pub fn pidone_program(copy: Option<&Path>) -> Vec<OsString> {
    program(pidone_runner(), copy.unwrap_or(pidone_binary()))
}

/// The command line that runs this test binary, in a [`Role`]:
/// `[runner] test-binary`.
pub fn test_program() -> Vec<OsString> {
    program(target_runner(), test_binary())
}

/// What runs a command as PID 1 of a new PID namespace, with its own
/// `/proc`: `unshare --pid --fork --mount-proc`.
pub fn pid1_prefix() -> Vec<OsString> {
    [host_tool("unshare").into_os_string()]
        .into_iter()
        .chain(["--pid", "--fork", "--mount-proc"].map(OsString::from))
        .collect()
}

/// The command line that runs example `name`, which a plain `cargo test`
/// builds beside the test binaries: `[runner] examples/name`.
pub fn example_program(name: &str) -> Vec<OsString> {
    let deps = test_binary().parent().expect("the test binary's folder");
    let example = deps.with_file_name("examples").join(name);
    assert!(
        example.is_file(),
        "{} is missing: `cargo test` builds the examples, `cargo test --test X` does not \
         (`cargo build --examples` then)",
        example.display()
    );
    program(target_runner(), &example)
}

/// The command line that runs examples/no_libc_init.rs, the in-process init
/// with no libc, built for the test binaries' target: `[runner] binary`.
pub fn no_libc_init_program() -> Vec<OsString> {
    program(
        target_runner(),
        Path::new(env!("CARGO_BIN_EXE_no-libc-init")),
    )
}

/// This test binary, which also plays every [`Role`].
pub fn test_binary() -> &'static Path {
    static EXE: OnceLock<PathBuf> = OnceLock::new();
    EXE.get_or_init(|| std::env::current_exe().expect("current_exe"))
}

/// A host program's path, from `$PATH`.
pub fn host_tool(name: &str) -> PathBuf {
    let path = std::env::var_os("PATH").unwrap_or_else(|| "/usr/bin:/bin".into());
    std::env::split_paths(&path)
        .map(|dir| dir.join(name))
        .find(|candidate| candidate.is_file())
        .unwrap_or_else(|| {
            panic!("{name} is not in PATH (qemu/install installs what the tests need)")
        })
}

/// The host's machine, as `uname -m` says (under QEMU, the guest's
/// `uname` would say the target's).
pub fn host_machine() -> &'static str {
    static MACHINE: OnceLock<String> = OnceLock::new();
    MACHINE.get_or_init(|| {
        let output = Command::new(host_tool("uname"))
            .arg("-m")
            .output()
            .expect("uname -m");
        String::from_utf8_lossy(&output.stdout).trim().to_owned()
    })
}

/// The host's numbers that the tests use: under QEMU too, `/proc` shows and
/// seccomp filters QEMU's own syscalls, and the kernel loads only programs
/// for the host's machine, so these are the host's, not the target's.
pub struct HostAbi {
    pub rt_sigtimedwait: i64,
    pub prctl: u32,
    pub close_range: u32,
    /// `AUDIT_ARCH_*`, as seccomp filters see it.
    pub audit_arch: u32,
    /// `EM_*`, an ELF header's `e_machine`.
    pub elf_machine: u16,
}

/// The [`HostAbi`] of [`host_machine`].
pub fn host_abi() -> HostAbi {
    match host_machine() {
        "x86_64" => HostAbi {
            rt_sigtimedwait: 128,
            prctl: 157,
            close_range: 436,
            audit_arch: 0xc000_003e,
            elf_machine: 62,
        },
        "aarch64" => HostAbi {
            rt_sigtimedwait: 137,
            prctl: 167,
            close_range: 436,
            audit_arch: 0xc000_00b7,
            elf_machine: 183,
        },
        other => panic!("no numbers for a {other} host"),
    }
}

/// Where pidone runs in a test.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum Mode {
    /// PID 1 of a new PID namespace, as in a container:
    /// `unshare --pid --fork --mount-proc [runner] pidone ...`.
    Pid1,
    /// An ordinary process, the test's child: pidone makes itself a child
    /// subreaper.
    Subreaper,
}

/// One test per [`Mode`] of each function `NAME(mode: Mode)` named:
/// `NAME::pid1` and `NAME::subreaper`, so that a failure in one mode does
/// not hide the other's result.
#[allow(unused_macros, reason = "as dead_code: each test file uses a part")]
macro_rules! test_each_mode {
    ($($name:ident),+ $(,)?) => {$(
        mod $name {
            #[test]
            fn pid1() {
                super::$name($crate::common::Mode::Pid1)
            }

            #[test]
            fn subreaper() {
                super::$name($crate::common::Mode::Subreaper)
            }
        }
    )+};
}
#[allow(unused_imports, reason = "as dead_code: each test file uses a part")]
pub(crate) use test_each_mode;

enum Input {
    Null,
    Bytes(Vec<u8>),
    Pipe,
}

/// A run of pidone to set up: `Pidone::new(mode).args(...).kid(...)`, then
/// [`Pidone::run`] or [`Pidone::spawn`].
pub struct Pidone {
    mode: Mode,
    args: Vec<OsString>,
    env: Vec<(OsString, OsString)>,
    clear_env: bool,
    stdin: Input,
    timeout: Duration,
    exec_through: Vec<OsString>,
    signal_state: Option<(u64, u64)>,
    refuse_subreaper: bool,
    refuse_close_range: bool,
    parent_process: bool,
    tty: bool,
    binary: Option<PathBuf>,
}

impl Pidone {
    pub fn new(mode: Mode) -> Pidone {
        Pidone {
            mode,
            args: Vec::new(),
            env: Vec::new(),
            clear_env: false,
            stdin: Input::Null,
            timeout: DEFAULT_TIMEOUT,
            exec_through: Vec::new(),
            signal_state: None,
            refuse_subreaper: false,
            refuse_close_range: false,
            parent_process: false,
            tty: false,
            binary: None,
        }
    }

    /// One more argument of pidone's.
    pub fn arg(mut self, arg: impl Into<OsString>) -> Pidone {
        self.args.push(arg.into());
        self
    }

    pub fn args<A: Into<OsString>>(mut self, args: impl IntoIterator<Item = A>) -> Pidone {
        self.args.extend(args.into_iter().map(Into::into));
        self
    }

    /// pidone's program is this test binary in `role` (the kid's, or one
    /// of the test binary's own): `[runner] test-binary`.
    pub fn kid<R: Role>(self, role: R) -> Pidone {
        self.env(R::VAR, role.encode()).args(test_program())
    }

    pub fn env(mut self, name: impl Into<OsString>, value: impl Into<OsString>) -> Pidone {
        self.env.push((name.into(), value.into()));
        self
    }

    /// Starts from an empty environment.
    pub fn env_clear(mut self) -> Pidone {
        self.clear_env = true;
        self
    }

    /// Feeds `bytes` to stdin, then closes it. Stdin is `/dev/null`
    /// otherwise: never the test's own terminal.
    pub fn stdin_bytes(mut self, bytes: Vec<u8>) -> Pidone {
        self.stdin = Input::Bytes(bytes);
        self
    }

    /// Stdin is a pipe the test closes with [`Running::close_stdin`].
    pub fn stdin_piped(mut self) -> Pidone {
        self.stdin = Input::Pipe;
        self
    }

    /// Stdin is a pseudo-terminal, pidone's controlling terminal, whose
    /// foreground process group is pidone's.
    pub fn tty(mut self) -> Pidone {
        self.tty = true;
        self
    }

    pub fn timeout(mut self, timeout: Duration) -> Pidone {
        self.timeout = timeout;
        self
    }

    /// Starts `command ARGS... [runner] pidone ...` instead of pidone: a
    /// command that ends by executing its arguments, so that pidone takes
    /// its place (and its children).
    pub fn exec_through<A: Into<OsString>>(
        mut self,
        command: impl IntoIterator<Item = A>,
    ) -> Pidone {
        self.exec_through
            .extend(command.into_iter().map(Into::into));
        self
    }

    /// pidone starts with exactly these signals blocked and ignored (a
    /// launcher sets them and executes it: `unshare` would reset SIGCHLD).
    pub fn signal_state(mut self, blocked: u64, ignored: u64) -> Pidone {
        self.signal_state = Some((blocked, ignored));
        self
    }

    /// pidone runs under a seccomp filter that fails
    /// `prctl(PR_SET_CHILD_SUBREAPER)` with EINVAL, as QEMU 7 does.
    pub fn refusing_subreaper(mut self) -> Pidone {
        self.refuse_subreaper = true;
        self
    }

    /// pidone runs under a seccomp filter that fails `close_range` with
    /// ENOSYS, as a kernel older than 5.9 does.
    pub fn refusing_close_range(mut self) -> Pidone {
        self.refuse_close_range = true;
        self
    }

    /// pidone's parent is a process of its own, which
    /// [`Running::kill_parent`] kills: `unshare` as PID 1, a shell
    /// otherwise (the test's process must live on).
    pub fn with_parent_process(mut self) -> Pidone {
        self.parent_process = true;
        self
    }

    /// Runs this copy of pidone rather than [`pidone_binary`] (which may
    /// lie where only root can reach it).
    pub fn binary(mut self, path: impl Into<PathBuf>) -> Pidone {
        self.binary = Some(path.into());
        self
    }

    /// Starts the run.
    pub fn spawn(self) -> Running {
        let mut argv: Vec<OsString> = Vec::new();
        let mut env = self.env;
        let HostAbi {
            prctl, close_range, ..
        } = host_abi();
        const PR_SET_CHILD_SUBREAPER: u32 = 36;
        let refusals = [
            (
                self.refuse_subreaper,
                (prctl, Some(PR_SET_CHILD_SUBREAPER), EINVAL),
            ),
            (self.refuse_close_range, (close_range, None, ENOSYS)),
        ];
        let refused: Vec<Refusal> = refusals
            .into_iter()
            .filter_map(|(wanted, refusal)| wanted.then_some(refusal))
            .collect();
        if !refused.is_empty() {
            argv.extend(refusing_command(&refused));
        }
        if self.parent_process && self.mode == Mode::Subreaper {
            argv.extend([
                host_tool("sh").into(),
                "-c".into(),
                "\"$@\"; exit $?".into(),
                "sh".into(),
            ]);
        }
        if self.mode == Mode::Pid1 {
            argv.extend(pid1_prefix());
        }
        if let Some((blocked, ignored)) = self.signal_state {
            argv.extend(test_program());
            let launcher = Launcher { blocked, ignored };
            env.push((Launcher::VAR.into(), launcher.encode().into()));
        }
        argv.extend(self.exec_through);
        argv.extend(pidone_program(self.binary.as_deref()));
        argv.extend(self.args);
        let layers = usize::from(self.mode == Mode::Pid1 || self.parent_process);

        let mut command = Command::new(&argv[0]);
        command.args(&argv[1..]);
        if self.clear_env {
            command.env_clear();
        }
        command.envs(env);
        command.stdout(Stdio::piped()).stderr(Stdio::piped());
        command.stdin(match self.stdin {
            Input::Null => Stdio::null(),
            Input::Bytes(_) | Input::Pipe => Stdio::piped(),
        });
        let pty = self.tty.then(|| stdin_on_new_terminal(&mut command));
        // Long arguments cut, so that a failure's message stays readable.
        let description = argv
            .iter()
            .take(40)
            .map(|arg| cut(&arg.to_string_lossy(), 80))
            .collect::<Vec<_>>()
            .join(" ");
        let mut child = command
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {description}: {e}"));
        drop(command);
        let root = child.id() as i32;
        let stdout = Stream::new(child.stdout.take().expect("stdout"));
        let stderr = Stream::new(child.stderr.take().expect("stderr"));
        let mut stdin = child.stdin.take();
        if let Input::Bytes(bytes) = self.stdin {
            let mut pipe = stdin.take().expect("stdin");
            std::thread::spawn(move || {
                // The program may well not read it all.
                let _ = pipe.write_all(&bytes);
            });
        }
        let (status_sender, status) = mpsc::channel();
        std::thread::spawn(move || {
            let _ = status_sender.send(child.wait().expect("wait"));
        });
        Running {
            description,
            root,
            layers,
            mode: self.mode,
            deadline: Instant::now() + self.timeout,
            status,
            exit: None,
            stdin,
            stdout,
            stderr,
            pidone: None,
            _pty: pty,
        }
    }

    /// Runs to the end.
    pub fn run(self) -> Finished {
        self.spawn().wait()
    }
}

/// A syscall a seccomp filter fails: its number, the value of its first
/// argument (any, with `None`), and the errno.
type Refusal = (u32, Option<u32>, u32);
const EINVAL: u32 = 22;
const ENOSYS: u32 = 38;

/// The command that runs its arguments under a seccomp filter failing each
/// of `refused`. QEMU refuses its guests seccomp (EINVAL for the prctl,
/// ENOSYS for the syscall), and the filter must see QEMU's host syscalls
/// anyway: so a host program installs it, Perl (part of every Debian
/// system), from a filter built here for the host's architecture.
fn refusing_command(refused: &[Refusal]) -> Vec<OsString> {
    const LD_W_ABS: u16 = 0x20;
    const JEQ_K: u16 = 0x15;
    const RET_K: u16 = 0x06;
    const RET_ALLOW: u32 = 0x7fff_0000;
    const RET_ERRNO: u32 = 0x0005_0000;
    // seccomp_data: nr at 0, arch at 4, args[0] (its low half) at 16.
    let HostAbi {
        audit_arch,
        prctl: nr_prctl,
        ..
    } = host_abi();
    // Each refusal: its number, or on to the next; its argument, or on to
    // the next; its errno. Any other syscall, or arch, is allowed.
    let mut rules: Vec<(u16, u8, u8, u32)> = Vec::new();
    for &(nr, arg, errno) in refused {
        match arg {
            None => rules.extend([(LD_W_ABS, 0, 0, 0), (JEQ_K, 0, 1, nr)]),
            Some(arg) => rules.extend([
                (LD_W_ABS, 0, 0, 0),
                (JEQ_K, 0, 3, nr),
                (LD_W_ABS, 0, 0, 16),
                (JEQ_K, 0, 1, arg),
            ]),
        }
        rules.push((RET_K, 0, 0, RET_ERRNO | errno));
    }
    let mut filter = vec![
        (LD_W_ABS, 0, 0, 4),
        (JEQ_K, 0, rules.len() as u8, audit_arch),
    ];
    filter.extend(rules);
    filter.push((RET_K, 0, 0, RET_ALLOW));
    let hex: String = filter
        .iter()
        .flat_map(|&(code, jt, jf, k)| {
            let mut bytes = code.to_le_bytes().to_vec();
            bytes.extend([jt, jf]);
            bytes.extend(k.to_le_bytes());
            bytes
        })
        .map(|b| format!("{b:02x}"))
        .collect();
    // PR_SET_NO_NEW_PRIVS is 38, PR_SET_SECCOMP 22, SECCOMP_MODE_FILTER 2.
    const SCRIPT: &str = r#"
        my $prctl = 0 + shift;
        my $filter = pack("H*", shift);
        syscall($prctl, 38, 1, 0, 0, 0) == 0 or die "PR_SET_NO_NEW_PRIVS: $!\n";
        my $program = pack("S x![P] P", length($filter) / 8, $filter);
        syscall($prctl, 22, 2, $program, 0, 0) == 0 or die "PR_SET_SECCOMP: $!\n";
        exec { $ARGV[0] } @ARGV or die "exec $ARGV[0]: $!\n";
    "#;
    vec![
        host_tool("perl").into(),
        "-e".into(),
        SCRIPT.into(),
        nr_prctl.to_string().into(),
        hex.into(),
    ]
}

/// Output read from a pipe by a thread of its own, kept whole; lines are
/// taken from it in order.
struct Stream {
    chunks: Receiver<Vec<u8>>,
    data: Vec<u8>,
    taken: usize,
    eof: bool,
}

impl Stream {
    fn new(mut pipe: impl Read + Send + 'static) -> Stream {
        let (sender, chunks) = mpsc::channel();
        std::thread::spawn(move || {
            let mut buffer = vec![0; 65536];
            while let Ok(n @ 1..) = pipe.read(&mut buffer) {
                if sender.send(buffer[..n].to_vec()).is_err() {
                    break;
                }
            }
        });
        Stream {
            chunks,
            data: Vec::new(),
            taken: 0,
            eof: false,
        }
    }

    /// Waits for more output; false at the end of it or at the deadline.
    fn more(&mut self, deadline: Instant) -> bool {
        if self.eof {
            return false;
        }
        let left = deadline.saturating_duration_since(Instant::now());
        match self.chunks.recv_timeout(left) {
            Ok(chunk) => {
                self.data.extend(chunk);
                true
            }
            Err(RecvTimeoutError::Disconnected) => {
                self.eof = true;
                false
            }
            Err(RecvTimeoutError::Timeout) => false,
        }
    }

    fn line(&mut self, deadline: Instant) -> Option<String> {
        loop {
            if let Some(end) = self.data[self.taken..].iter().position(|&b| b == b'\n') {
                let line = &self.data[self.taken..self.taken + end];
                self.taken += end + 1;
                return Some(String::from_utf8_lossy(line).into_owned());
            }
            if !self.more(deadline) {
                return None;
            }
        }
    }

    /// Reads to the end; false if the deadline came first.
    fn finish(&mut self, deadline: Instant) -> bool {
        while self.more(deadline) {}
        self.eof
    }
}

/// A run of pidone that is going on. Dropping it before [`Running::wait`]
/// (a failed test) kills every process it started.
pub struct Running {
    description: String,
    /// The process the test started: pidone, or what runs it.
    root: i32,
    /// How many forks lie between `root` and pidone.
    layers: usize,
    mode: Mode,
    deadline: Instant,
    status: Receiver<ExitStatus>,
    exit: Option<ExitStatus>,
    stdin: Option<ChildStdin>,
    stdout: Stream,
    stderr: Stream,
    pidone: Option<i32>,
    _pty: Option<OwnedFd>,
}

impl Running {
    /// pidone's pid, in the test's PID namespace. Under QEMU, that of the
    /// QEMU that runs it, which passes signals on to it.
    pub fn pidone_pid(&mut self) -> i32 {
        if let Some(pid) = self.pidone {
            return pid;
        }
        let mut pid = self.root;
        for _ in 0..self.layers {
            pid = loop {
                match children(pid)[..] {
                    [child] => break child.pid,
                    [] if Instant::now() < self.deadline => {
                        std::thread::sleep(Duration::from_millis(5))
                    }
                    _ => self.fail(&format!("cannot tell pidone among the children of {pid}")),
                }
            };
        }
        if self.mode == Mode::Pid1 && ns_pids(pid).last() != Some(&1) {
            self.fail(&format!("pid {pid} is not PID 1 of its namespace"));
        }
        self.pidone = Some(pid);
        pid
    }

    /// Sends `signal` to pidone.
    pub fn signal(&mut self, signal: i32) {
        let pid = self.pidone_pid();
        // SAFETY: a plain call.
        if unsafe { libc::kill(pid, signal) } != 0 {
            let error = std::io::Error::last_os_error();
            self.fail(&format!("kill({pid}, {signal}): {error}"));
        }
    }

    /// Kills pidone's parent with SIGKILL (see
    /// [`Pidone::with_parent_process`]).
    pub fn kill_parent(&mut self) {
        assert_eq!(self.layers, 1, "pidone's parent is the test");
        // SAFETY: a plain call.
        unsafe { libc::kill(self.root, SIGKILL) };
    }

    /// Waits until pidone sleeps in `rt_sigtimedwait`: past its start-up,
    /// every signal blocked, in its loop.
    pub fn wait_until_idle(&mut self) {
        let rt_sigtimedwait = host_abi().rt_sigtimedwait;
        let pid = self.pidone_pid();
        while current_syscall(pid) != Some(rt_sigtimedwait) {
            if Instant::now() >= self.deadline {
                self.fail("pidone never got idle");
            }
            std::thread::sleep(Duration::from_millis(5));
        }
    }

    /// The next line of stdout, without its newline.
    pub fn line(&mut self) -> String {
        match self.stdout.line(self.deadline) {
            Some(line) => line,
            None => self.fail("no more lines on stdout"),
        }
    }

    /// The next line of stderr, without its newline.
    pub fn stderr_line(&mut self) -> String {
        match self.stderr.line(self.deadline) {
            Some(line) => line,
            None => self.fail("no more lines on stderr"),
        }
    }

    pub fn close_stdin(&mut self) {
        self.stdin = None;
    }

    /// Waits for the started process to exit and for the ends of stdout and
    /// stderr (every process holding them gone).
    pub fn wait(mut self) -> Finished {
        self.stdin = None;
        let left = self.deadline.saturating_duration_since(Instant::now());
        match self.status.recv_timeout(left) {
            Ok(status) => self.exit = Some(status),
            Err(_) => self.fail("timed out"),
        }
        if !(self.stdout.finish(self.deadline) && self.stderr.finish(self.deadline)) {
            self.fail("stdout or stderr still open: a process outlived pidone");
        }
        Finished {
            description: std::mem::take(&mut self.description),
            status: self.exit.expect("status"),
            stdout: std::mem::take(&mut self.stdout.data),
            stderr: std::mem::take(&mut self.stderr.data),
        }
    }

    /// Fails the test with what is known of the run: its status and output,
    /// waited for a moment in case it is about to end.
    fn fail(&mut self, what: &str) -> ! {
        let moment = Instant::now() + Duration::from_millis(500);
        if self.exit.is_none() {
            let left = moment.saturating_duration_since(Instant::now());
            self.exit = self.status.recv_timeout(left).ok();
        }
        self.stdout.finish(moment);
        self.stderr.finish(moment);
        let status = self.exit;
        panic!(
            "{what}\n  command: {}\n  status: {}\n  stdout: {:?}\n  stderr: {:?}",
            self.description,
            status.map_or("running".to_owned(), |status| status.to_string()),
            String::from_utf8_lossy(&self.stdout.data),
            String::from_utf8_lossy(&self.stderr.data),
        )
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        if self.exit.is_some() {
            return;
        }
        // What is still attached below the root: pidone (as PID 1, its
        // death ends the namespace) and, as a subreaper, all below it. A
        // pidone whose parent a test killed (`-p`) is no longer below the
        // root, so it and its descendants are looked up by its own pid too.
        for _ in 0..3 {
            let mut descendants = descendants(self.root);
            if let Some(pidone) = self.pidone
                && !descendants.contains(&pidone)
                && std::fs::read(format!("/proc/{pidone}/cmdline"))
                    .is_ok_and(|cmdline| cmdline.windows(6).any(|w| w == b"pidone"))
            {
                descendants.extend(self::descendants(pidone));
                descendants.push(pidone);
            }
            if descendants.is_empty() {
                break;
            }
            for pid in descendants {
                // SAFETY: a plain call.
                unsafe { libc::kill(pid, SIGKILL) };
            }
        }
        // SAFETY: a plain call.
        unsafe { libc::kill(self.root, SIGKILL) };
        let _ = self.status.recv_timeout(Duration::from_secs(5));
    }
}

/// A run that ended.
pub struct Finished {
    pub description: String,
    pub status: ExitStatus,
    pub stdout: Vec<u8>,
    pub stderr: Vec<u8>,
}

impl Finished {
    /// The exit code; fails the test if a signal killed the process.
    pub fn code(&self) -> i32 {
        self.status
            .code()
            .unwrap_or_else(|| panic!("killed by signal {:?}\n{self}", self.status.signal()))
    }

    pub fn stdout_text(&self) -> String {
        String::from_utf8_lossy(&self.stdout).into_owned()
    }

    pub fn stderr_text(&self) -> String {
        String::from_utf8_lossy(&self.stderr).into_owned()
    }

    pub fn stdout_lines(&self) -> Vec<String> {
        self.stdout_text().lines().map(str::to_owned).collect()
    }

    pub fn stderr_lines(&self) -> Vec<String> {
        self.stderr_text().lines().map(str::to_owned).collect()
    }
}

/// What pidone prints of the child's end from verbosity 2 (`-v`) up:
/// `pidone: child PID, status CODE`.
const CHILD_STATUS: &str = "pidone: child ";
/// What pidone prints of each zombie it reaps with `-w`:
/// `pidone: reaped zombie PID, status CODE`.
const REAPED_ZOMBIE: &str = "pidone: reaped zombie ";

/// Whether `line` is pidone's report of its child's end with `code`.
pub fn is_child_status(line: &str, code: i32) -> bool {
    line.starts_with(CHILD_STATUS) && line.ends_with(&format!(", status {code}"))
}

/// Whether `line` is pidone's report (`-w`) of a reaped zombie.
pub fn is_reaped_zombie(line: &str) -> bool {
    line.starts_with(REAPED_ZOMBIE)
}

/// Whether `line` is pidone's report (`-w`) of a zombie that had `code`.
pub fn is_reaped_zombie_with(line: &str, code: i32) -> bool {
    is_reaped_zombie(line) && line.ends_with(&format!(", status {code}"))
}

/// How many zombies pidone says it reaped (`-w`), and how many of them had
/// `code`.
pub fn reaped_zombies(finished: &Finished, code: i32) -> (usize, usize) {
    let lines = finished.stderr_lines();
    let reaped = lines.iter().filter(|l| is_reaped_zombie(l)).count();
    let with_code = lines
        .iter()
        .filter(|l| is_reaped_zombie_with(l, code))
        .count();
    (reaped, with_code)
}

impl fmt::Display for Finished {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let stdout = cut(&self.stdout_text(), 2000);
        write!(
            f,
            "  command: {}\n  status: {}\n  stdout: {stdout:?}\n  stderr: {:?}",
            self.description,
            self.status,
            self.stderr_text()
        )
    }
}

impl fmt::Debug for Finished {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

/// A process, as `/proc/PID/stat` shows it.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub struct Process {
    pub pid: i32,
    /// `R`, `S`, `T`, `Z` (a zombie), ...: the state of its main thread.
    pub state: char,
    /// The parent's pid; 0 for processes with none.
    pub ppid: i32,
    pub pgrp: i32,
    /// `utime + stime` of all its threads, in clock ticks.
    pub cpu_ticks: u64,
}

/// `/proc/PID/stat`, if the process exists.
pub fn process(pid: i32) -> Option<Process> {
    let stat = std::fs::read(format!("/proc/{pid}/stat")).ok()?;
    // The name, in parentheses, may hold anything: the rest follows its
    // last `)`.
    let rest = &stat[stat.iter().rposition(|&b| b == b')')? + 2..];
    // Counted from `state`, field 3 of proc(5): ppid is field 4, pgrp 5,
    // utime 14 and stime 15.
    let fields: Vec<&[u8]> = rest.split(|&b| b == b' ').collect();
    fn number<N: std::str::FromStr>(fields: &[&[u8]], i: usize) -> Option<N> {
        std::str::from_utf8(fields.get(i)?).ok()?.parse().ok()
    }
    Some(Process {
        pid,
        state: char::from(*fields.first()?.first()?),
        ppid: number(&fields, 1)?,
        pgrp: number(&fields, 2)?,
        cpu_ticks: number::<u64>(&fields, 11)? + number::<u64>(&fields, 12)?,
    })
}

/// The process's state letter, or `-` when it is gone.
pub fn process_state(pid: i32) -> char {
    process(pid).map_or('-', |p| p.state)
}

/// Every process in the test's PID namespace.
pub fn processes() -> Vec<Process> {
    let Ok(entries) = std::fs::read_dir("/proc") else {
        return Vec::new();
    };
    entries
        .filter_map(|entry| entry.ok()?.file_name().to_str()?.parse().ok())
        .filter_map(process)
        .collect()
}

/// The children of `pid`, zombies included.
pub fn children(pid: i32) -> Vec<Process> {
    processes().into_iter().filter(|p| p.ppid == pid).collect()
}

/// The zombie children of `pid`.
pub fn zombies(pid: i32) -> Vec<Process> {
    children(pid)
        .into_iter()
        .filter(|p| p.state == 'Z')
        .collect()
}

/// Every process below `pid`.
pub fn descendants(pid: i32) -> Vec<i32> {
    let all = processes();
    let mut found = vec![pid];
    let mut at = 0;
    while at < found.len() {
        let parent = found[at];
        found.extend(all.iter().filter(|p| p.ppid == parent).map(|p| p.pid));
        at += 1;
    }
    found.remove(0);
    found
}

/// A line's value in `/proc/PID/status` (`SigBlk`, `NSpid`, ...).
pub fn status_field(pid: i32, name: &str) -> Option<String> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    status
        .lines()
        .find_map(|line| line.strip_prefix(name)?.strip_prefix(':'))
        .map(|value| value.trim().to_owned())
}

/// The process's pids, from the test's PID namespace down to its own.
pub fn ns_pids(pid: i32) -> Vec<i32> {
    status_field(pid, "NSpid")
        .unwrap_or_default()
        .split_whitespace()
        .filter_map(|n| n.parse().ok())
        .collect()
}

/// The host syscall the process's main thread is in, if it sleeps in one.
pub fn current_syscall(pid: i32) -> Option<i64> {
    let syscall = std::fs::read_to_string(format!("/proc/{pid}/syscall")).ok()?;
    syscall.split_whitespace().next()?.parse().ok()
}

/// A pseudo-terminal: its master and slave, both close-on-exec.
pub fn open_pty() -> (OwnedFd, OwnedFd) {
    let (mut master, mut slave) = (-1, -1);
    // SAFETY: two ints to fill; no name, termios or size wanted.
    let opened = unsafe {
        libc::openpty(
            &mut master,
            &mut slave,
            std::ptr::null_mut(),
            std::ptr::null(),
            std::ptr::null(),
        )
    };
    assert_eq!(opened, 0, "openpty: {}", std::io::Error::last_os_error());
    // SAFETY: openpty opened both; they are ours.
    let (master, slave) = unsafe { (OwnedFd::from_raw_fd(master), OwnedFd::from_raw_fd(slave)) };
    // Close-on-exec, so that what other tests start meanwhile does not
    // keep the terminal.
    for fd in [&master, &slave] {
        // SAFETY: a plain call on an open fd.
        unsafe { libc::fcntl(fd.as_raw_fd(), libc::F_SETFD, libc::FD_CLOEXEC) };
    }
    (master, slave)
}

/// Gives `command` a new pseudo-terminal as its stdin and as its
/// controlling terminal, in a session of its own; returns the master, which
/// types to it.
pub fn stdin_on_new_terminal(command: &mut Command) -> OwnedFd {
    let (master, slave) = open_pty();
    command.stdin(slave);
    // SAFETY: setsid and ioctl are async-signal-safe.
    unsafe {
        command.pre_exec(|| {
            if libc::setsid() < 0 || libc::ioctl(0, libc::TIOCSCTTY, 0 as c_ulong) < 0 {
                return Err(std::io::Error::last_os_error());
            }
            Ok(())
        })
    };
    master
}

/// A directory of the test's own, removed when dropped.
pub struct TempDir(PathBuf);

impl TempDir {
    pub fn new() -> TempDir {
        static COUNT: AtomicUsize = AtomicUsize::new(0);
        let path = std::env::temp_dir().join(format!(
            "pidone-test-{}-{}",
            std::process::id(),
            COUNT.fetch_add(1, Ordering::Relaxed)
        ));
        std::fs::create_dir_all(&path).expect("create a temporary directory");
        TempDir(path)
    }

    pub fn path(&self) -> &Path {
        &self.0
    }

    /// Writes a file with these permission bits.
    pub fn file(&self, name: &str, contents: &[u8], mode: u32) -> PathBuf {
        use std::os::unix::fs::PermissionsExt;
        let path = self.0.join(name);
        std::fs::write(&path, contents).expect("write a temporary file");
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(mode)).expect("chmod");
        path
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// `text`, cut after `chars` characters.
fn cut(text: &str, chars: usize) -> String {
    match text.char_indices().nth(chars) {
        Some((end, _)) => format!("{}...", &text[..end]),
        None => text.to_owned(),
    }
}

/// `OsString` from raw bytes, for arguments that are not UTF-8.
pub fn os(bytes: &[u8]) -> OsString {
    OsString::from_vec(bytes.to_vec())
}

impl Kid {
    /// The `NAME=VALUE` environment entry that gives the kid this role, for
    /// tests that start pidone by other means than [`Pidone`].
    pub fn env_entry(&self) -> OsString {
        format!("{}={}", Kid::VAR, self.encode()).into()
    }
}

/// Every signal's handler back to the default and none blocked: the state a
/// container runtime starts its init in. Raw syscalls only, so that a child
/// forked from the threaded test may call it before it executes something.
pub fn reset_signal_state() {
    for signal in (1..=64).filter(|&s| s != SIGKILL && s != SIGSTOP) {
        sys::set_handler(signal, sys::SIG_DFL);
    }
    sys::set_signal_mask(0);
}
