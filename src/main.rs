//! `pidone`: a kilobyte-sized init for containers.
//!
//! It runs one program as its child, forwards every signal it can catch to
//! it, reaps every zombie (orphans included), and exits with the program's
//! status. The loop sleeps in `rt_sigtimedwait` with every signal blocked,
//! so that it makes no syscall while nothing happens; `SIGCHLD` means "reap",
//! and every other signal means "forward".
// `cargo clippy --all-targets` also checks the binary as a test harness,
// which brings std and its panic handler: there is nothing to test in it
// (tests/ runs the real program), so that build is empty.
#![cfg(not(test))]
#![no_std]
#![no_main]
#![deny(clippy::undocumented_unsafe_blocks)]

mod start;

use core::ffi::CStr;
use core::time::Duration;
use pidone::cli::{self, Command, Options, Switch};
use pidone::message::{errno_number, say, write_stderr, write_stdout};
use pidone::signal::{self, Signal, SignalSet, Target};
use pidone::spawn::{self, Spawn};
use pidone::{Errno, Pid, Reaped, WaitOptions, WaitTarget};

/// A usage error: the exit code tini, dumb-init and catatonit all use.
const EXIT_USAGE: u8 = 1;
/// pidone could not start the program (`fork` failed), as `env` uses it.
const EXIT_START_FAILED: u8 = 125;
/// A panic: a bug in pidone.
const EXIT_BUG: u8 = 124;

/// What `--version` prints: Docker's `docker info` reads the version of its
/// init from `tini version VERSION[ - git.COMMIT]` (build.rs).
const VERSION: &str = concat!(
    "tini version pidone-",
    env!("CARGO_PKG_VERSION"),
    env!("PIDONE_VERSION_COMMIT"),
    "\n"
);

/// The init, from `start_rust` with every signal blocked.
fn main(
    argc: usize,
    argv: *const *const u8,
    envp: *const *const u8,
    inherited_mask: SignalSet,
) -> ! {
    // SAFETY: argv holds argc pointers and a NULL; with argc 0 there is no
    // argv[0] to skip.
    let args = unsafe { spawn::env_entries(if argc == 0 { argv } else { argv.add(1) }) }
        .map(CStr::to_bytes);
    // SAFETY: envp is the kernel's NULL-terminated environment.
    let env = unsafe { spawn::env_entries(envp) }.map(CStr::to_bytes);
    let mut options = Options::default();
    match cli::parse(args, env, &mut options) {
        Ok(Command::Run) => {}
        Ok(Command::Help) => {
            write_stdout(cli::HELP.as_bytes());
            pidone::exit(0)
        }
        Ok(Command::Version) => {
            write_stdout(VERSION.as_bytes());
            pidone::exit(0)
        }
        Err(error) => {
            let (template, text) = error.template();
            say(template, text, [0; 2]);
            write_stderr(cli::USAGE.as_bytes());
            pidone::exit(EXIT_USAGE)
        }
    };
    let init = Init::new(&options, inherited_mask);
    let child = if options.has(Switch::Pause) {
        None
    } else {
        // SAFETY: `program` indexes an argument, so argv[1 + program] is a
        // C string and what follows it is the rest of argv with its NULL.
        let child_argv = unsafe { argv.add(1 + options.program) };
        // SAFETY: as above.
        let program = unsafe { CStr::from_ptr((*child_argv).cast()) };
        Some(init.spawn(program, child_argv, envp))
    };
    // The child has its working directory; pidone's own would only pin a
    // directory, and the mount it is on, for as long as pidone runs
    // (catatonit #28, #33: busy unmounts under rootless podman). `/` cannot
    // go away; if even that fails, staying put is all there is to do.
    let _ = rustix::process::chdir(c"/");
    init.supervise(child)
}

/// pidone once it knows what to do.
struct Init<'a> {
    options: &'a Options,
    /// The signal mask pidone started with, which the child gets back.
    inherited_mask: SignalSet,
    /// Whether `SIGCHLD` came in ignored: the child gets that back.
    sigchld_ignored: bool,
    pid1: bool,
    /// Whether the last [`Init::reap`] left children behind.
    children_left: bool,
}

impl<'a> Init<'a> {
    /// Sets the process up: `SIGCHLD` to its default, the parent-death
    /// signal, and subreaper mode.
    fn new(options: &'a Options, inherited_mask: SignalSet) -> Init<'a> {
        // An inherited SIG_IGN for SIGCHLD makes the kernel reap children
        // itself: no status would ever reach pidone (tini and catatonit hang
        // there). The default action, "ignore" too, still queues the signal
        // while it is blocked, and leaves zombies for wait4.
        let sigchld_ignored = signal::set_ignored(Signal::CHLD, false).unwrap_or(false);
        if let Some(signal) = options.parent_death
            && let Err(errno) = pidone::set_parent_death_signal(Some(signal))
        {
            warn(
                options,
                b"warning: cannot set the parent-death signal (\x02)",
                errno,
            );
        }
        let pid1 = pidone::is_pid1();
        // Not PID 1: orphans would go to the real PID 1, so ask for them as
        // catatonit does. QEMU 7 refuses the prctl (EINVAL); the program still
        // runs and is still waited for, so say so once and go on.
        if (options.has(Switch::Subreaper) || !pid1)
            && let Err(errno) = pidone::set_child_subreaper()
        {
            warn(
                options,
                b"warning: cannot become a child subreaper, so orphans are not reaped (\x02)",
                errno,
            );
        }
        Init {
            options,
            inherited_mask,
            sigchld_ignored,
            pid1,
            children_left: true,
        }
    }

    /// Starts the program as pidone's child, or exits 125 if it cannot.
    fn spawn(&self, program: &CStr, argv: *const *const u8, envp: *const *const u8) -> Pid {
        let spawn = Spawn {
            program,
            argv,
            envp,
            mask: self.inherited_mask,
            sigchld_ignored: self.sigchld_ignored,
        };
        // SAFETY: argv and envp come from the kernel; pidone has one thread.
        match unsafe { spawn.spawn() } {
            Ok(child) => child,
            Err(errno) => {
                say(
                    b"cannot start '\x01': fork: \x02",
                    program.to_bytes(),
                    [errno_number(errno), 0],
                );
                pidone::exit(EXIT_START_FAILED)
            }
        }
    }

    /// The loop: sleep until a signal comes; SIGCHLD means reap, any other
    /// means forward. Ends when the child has exited, with its status (after
    /// `--grace`); with no child (`-P`), when TERM or INT comes, with 0.
    fn supervise(mut self, child: Option<Pid>) -> ! {
        let code = loop {
            match wait(None) {
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
                    None if matches!(signal, Signal::TERM | Signal::INT) => pidone::exit(0),
                    None => {}
                },
                None => {}
            }
        };
        if let (Some(seconds), Some(child)) = (self.options.grace, child) {
            self.grace(child, seconds);
        }
        pidone::exit(if self.options.success_codes.contains(code) {
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
        let left = pidone::drain(
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
                let pid = pid.as_raw_nonzero().get() as u32;
                say(template, b"", [pid, u32::from(code)]);
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
        // SAFETY: pidone links no libc; signals 32 and 33 are forwarded like
        // any other.
        let _ = unsafe { signal::send_unchecked(to, signal) };
    }

    /// `--grace`: TERM to every process left (all of the namespace as its
    /// PID 1; otherwise the child's process group, never `kill(-1)`), reap
    /// until none is left or the time is over, then KILL what remains and
    /// give it two more seconds to go. A signal that comes meanwhile (a
    /// second `docker stop`, a Ctrl-C) is forwarded to the same processes,
    /// as any signal is while the child runs: the grace time is theirs to
    /// act on it, and it does not end the grace time.
    fn grace(&mut self, child: Pid, seconds: u32) {
        // As PID 1, every other process of the namespace: `kill(-1)`, which
        // is the group send to pid 1.
        let group = if self.pid1 { Pid::INIT } else { child };
        // SAFETY: TERM and KILL are not signals a libc reserves.
        let send = |signal| unsafe { signal::send_unchecked(Target::Group(group), signal) };
        if send(Signal::TERM) == Err(Errno::SRCH) {
            return;
        }
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
                let _ = send(Signal::KILL);
                killed = true;
                deadline = now + 2;
            }
            match wait(Some(Duration::from_secs(u64::from(deadline - now)))) {
                // A leftover exited, or the time passed: look again.
                Some(Signal::CHLD) | None => {}
                Some(signal) => self.forward(signal, Target::Group(group)),
            }
        }
    }
}

/// Sleeps until a signal comes and takes it, or until `timeout` passes:
/// `None`. Every signal is blocked: `pidone_start` blocked them in its
/// first instruction.
fn wait(timeout: Option<Duration>) -> Option<Signal> {
    // SAFETY: pidone links no libc, so it may wait for signals 32 and 33 too.
    match unsafe { signal::wait_unchecked(SignalSet::ALL, timeout) } {
        Ok(signal) => Some(signal),
        // The timeout passed, or a stop and continue interrupted the sleep.
        Err(Errno::AGAIN | Errno::INTR) => None,
        // rt_sigtimedwait fails otherwise only for bad arguments: nothing
        // to wait for any more, so stop waiting rather than spin.
        Err(_) => pidone::exit(EXIT_BUG),
    }
}

/// Seconds since boot (`sysinfo(2)`): a clock without the vDSO, whose
/// set-up would cost more than the rest of pidone. 32 bits count 136
/// years, and spare 32-bit targets 64-bit arithmetic.
fn uptime() -> u32 {
    u32::try_from(rustix::system::sysinfo().uptime).unwrap_or(0)
}

/// A warning at verbosity 1 and up: `pidone: warning: WHAT (REASON)`,
/// from a template with the errno's place.
fn warn(options: &Options, template: &[u8], errno: Errno) {
    if options.verbosity >= 1 {
        say(template, b"", [errno_number(errno), 0]);
    }
}
