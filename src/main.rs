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
use pidone::cli::{self, Command, Options, Switch};
use pidone::message::{errno_number, say, write_stderr, write_stdout};
use pidone::signal::{self, Signal, SignalSet};
use pidone::spawn::{self, Spawn};
use pidone::supervise::{self, Supervisor};
use pidone::{Errno, Pid};

/// A usage error: the exit code tini, dumb-init and catatonit all use.
const EXIT_USAGE: u8 = 1;
// 123, `-u` failed, is `spawn::EXIT_USER`: pidone::user and the child
// exit with it.
/// pidone could not start the program (`fork` failed), as `env` uses it.
const EXIT_START_FAILED: u8 = 125;
/// A panic: a bug in pidone, as the loop's own.
const EXIT_BUG: u8 = supervise::EXIT_BUG;

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
            #[cfg(feature = "user")]
            write_stdout(cli::USER_HELP.as_bytes());
            #[cfg(feature = "env")]
            write_stdout(cli::ENV_HELP.as_bytes());
            write_stdout(cli::EXIT_HELP.as_bytes());
            pidone::exit(0)
        }
        Ok(Command::Version) => {
            write_stdout(VERSION.as_bytes());
            pidone::exit(0)
        }
        Err(error) => {
            error.report();
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
        // The kernel's envp array, on pidone's own stack: writable.
        Some(init.spawn(program, child_argv, envp.cast_mut()))
    };
    // The child has its working directory; pidone's own would only pin a
    // directory, and the mount it is on, for as long as pidone runs
    // (catatonit #28, #33: busy unmounts under rootless podman). `/` cannot
    // go away; if even that fails, staying put is all there is to do.
    let _ = rustix::process::chdir(c"/");
    // Likewise every descriptor above stderr: the child has its own copies,
    // and pidone's would hold a pipe or socket open for as long as pidone
    // runs (catatonit #12). With `-P` there is no child to pass them to, and
    // a pause process runs for as long as its namespaces are wanted.
    // SAFETY: pidone opened none of them and holds none: its own use of
    // descriptors is stdin, stdout and stderr.
    unsafe { pidone::descriptors::close_above_stderr() };
    // SAFETY: pidone links no libc, and `pidone_start` blocked every
    // signal.
    unsafe { Supervisor::new(&options, SignalSet::ALL, init.pid1) }.run(child)
}

/// pidone once it knows what to do, until its child runs.
struct Init {
    /// The signal mask pidone started with, which the child gets back.
    inherited_mask: SignalSet,
    /// Whether `SIGCHLD` came in ignored: the child gets that back.
    sigchld_ignored: bool,
    /// Whether pidone is PID 1 of its namespace.
    pid1: bool,
    /// `-u USER[:GROUP]`, as given (from argv or the environment, which
    /// last as long as pidone).
    #[cfg(feature = "user")]
    user: Option<&'static [u8]>,
}

impl Init {
    /// Sets the process up: `SIGCHLD` to its default, the parent-death
    /// signal, and subreaper mode.
    fn new(options: &Options<'static>, inherited_mask: SignalSet) -> Init {
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
            inherited_mask,
            sigchld_ignored,
            pid1,
            #[cfg(feature = "user")]
            user: options.user,
        }
    }

    /// Starts the program as pidone's child, or exits 125 if it cannot.
    fn spawn(&self, program: &CStr, argv: *const *const u8, envp: *mut *const u8) -> Pid {
        let spawn = Spawn {
            program,
            argv,
            envp,
            mask: self.inherited_mask,
            sigchld_ignored: self.sigchld_ignored,
            #[cfg(feature = "user")]
            user: self.user,
        };
        // SAFETY: argv and envp come from the kernel, envp's array on
        // pidone's stack, which the child alone rewrites in its own copy;
        // pidone has one thread.
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
}

/// A warning at verbosity 1 and up: `pidone: warning: WHAT (REASON)`,
/// from a template with the errno's place.
fn warn(options: &Options<'_>, template: &[u8], errno: Errno) {
    if options.verbosity >= 1 {
        say(template, b"", [errno_number(errno), 0]);
    }
}
