//! The roles this test binary plays for the hardening tests, besides
//! `common`'s kid and launcher: `common`'s one `.init_array` hook plays the
//! one `$PIDONE_HARDENING_ROLE` names before libtest's `main` starts a
//! thread.
//!
//! Orphans are made the same way throughout: an intermediate process forks
//! a batch of children and exits, which hands them to pidone (PID 1, or the
//! subreaper above). Each child blocks reading a gate pipe, exits with
//! [`ORPHAN_CODE`] at its end of file, and holds a "done" pipe open until
//! then, so that reading that pipe to its end tells when every orphan is
//! gone.

use crate::common::{
    ALL_SIGNALS, Role, RoleWords, SIGCHLD, SIGTERM, exec_rest_of_command_line, no_core_files,
    processes, say, set_signal_mask, signal_bit, wait_signal,
};
use std::fs::File;
use std::io::{PipeReader, PipeWriter, Read};
use std::mem::ManuallyDrop;
use std::os::fd::{AsRawFd, FromRawFd, RawFd};
use std::time::{Duration, Instant};

/// The exit code of every orphan.
pub const ORPHAN_CODE: u8 = 9;

/// How many orphans each intermediate of a storm leaves.
pub const STORM_BATCH: usize = 100;

/// The roles, each encoded as its words in `$PIDONE_HARDENING_ROLE`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum HardeningRole {
    /// Blocks every signal and leaves `warm_up` orphans, waits for them to
    /// exit and prints `warm`; then, at the end of its stdin, leaves
    /// `batches` batches of `batch` orphans and prints `orphans exited`
    /// when every one has; then exits with `code` at the first signal.
    /// A batch's orphans exit as soon as they are orphans (a storm), or,
    /// `together`, all at once when every one of them is.
    Orphans {
        warm_up: usize,
        batches: usize,
        batch: usize,
        together: bool,
        code: u8,
    },
    /// Blocks every signal; with `storm`, forks a storm maker that leaves
    /// orphans in batches of [`STORM_BATCH`] until told to stop. Prints
    /// `ready`, then the number of each signal it takes, one a line (no
    /// SIGCHLD of its own comes before the end: the storm maker is its one
    /// child). At SIGTERM it stops the storm, waits for every orphan to be
    /// gone, and exits with `code`; the storm maker prints `storm N` as it
    /// stops, N the number of orphans it made.
    Collector { storm: bool, code: u8 },
    /// Becomes the unprivileged user and group `id` (root's processes are
    /// never held to RLIMIT_NPROC), sets its soft RLIMIT_NPROC to the
    /// number of tasks `id` has plus `room` (what the runner starts before
    /// the program runs: QEMU's thread), and executes the rest of its
    /// command line, so that the program's first `fork` fails.
    NoForks { id: u32, room: u64 },
}

impl Role for HardeningRole {
    const VAR: &'static str = "PIDONE_HARDENING_ROLE";

    fn encode(&self) -> String {
        match *self {
            HardeningRole::Orphans {
                warm_up,
                batches,
                batch,
                together,
                code,
            } => format!("orphans {warm_up} {batches} {batch} {together} {code}"),
            HardeningRole::Collector { storm, code } => format!("collector {storm} {code}"),
            HardeningRole::NoForks { id, room } => format!("no-forks {id} {room}"),
        }
    }

    fn decode(words: &RoleWords) -> HardeningRole {
        match words.name() {
            "orphans" => HardeningRole::Orphans {
                warm_up: words.number(1),
                batches: words.number(2),
                batch: words.number(3),
                together: words.flag(4),
                code: words.number(5),
            },
            "collector" => HardeningRole::Collector {
                storm: words.flag(1),
                code: words.number(2),
            },
            "no-forks" => HardeningRole::NoForks {
                id: words.number(1),
                room: words.number(2),
            },
            _ => words.bad(),
        }
    }

    fn play(self) -> ! {
        match self {
            HardeningRole::Orphans {
                warm_up,
                batches,
                batch,
                together,
                code,
            } => {
                set_signal_mask(ALL_SIGNALS);
                let done = Done::new();
                leave_orphans(warm_up, None);
                done.wait();
                say("warm");
                // SAFETY: fd 0 is only borrowed.
                let mut stdin = ManuallyDrop::new(unsafe { File::from_raw_fd(0) });
                let _ = stdin.read_to_end(&mut Vec::new());
                let done = Done::new();
                for _ in 0..batches {
                    if together {
                        let (gate, gate_writer) = std::io::pipe().expect("pipe");
                        leave_orphans(batch, Some((&gate, &gate_writer)));
                        // Every one is an orphan now, blocked on the gate.
                        drop(gate_writer);
                    } else {
                        leave_orphans(batch, None);
                    }
                }
                done.wait();
                say("orphans exited");
                // Not the SIGCHLD the intermediates left pending.
                wait_signal(ALL_SIGNALS & !signal_bit(SIGCHLD), None).expect("sigtimedwait");
                std::process::exit(code.into())
            }
            HardeningRole::Collector { storm, code } => {
                set_signal_mask(ALL_SIGNALS);
                let done = Done::new();
                let (stop, stop_writer) = std::io::pipe().expect("pipe");
                let storm_maker = if storm {
                    // SAFETY: one thread; the child makes plain calls, and
                    // allocates only in a copy of this one-thread process.
                    match unsafe { libc::fork() } {
                        0 => {
                            drop(stop_writer);
                            let mut made = 0;
                            while !at_end(&stop) {
                                leave_orphans(STORM_BATCH, None);
                                made += STORM_BATCH;
                            }
                            say(&format!("storm {made}"));
                            // SAFETY: a plain call.
                            unsafe { libc::_exit(0) }
                        }
                        -1 => panic!("fork: {}", std::io::Error::last_os_error()),
                        pid => Some(pid),
                    }
                } else {
                    None
                };
                drop(stop);
                say("ready");
                loop {
                    let signal = wait_signal(ALL_SIGNALS, None).expect("sigtimedwait");
                    say(&signal.to_string());
                    if signal == SIGTERM {
                        break;
                    }
                }
                drop(stop_writer);
                if let Some(pid) = storm_maker {
                    wait_ok(pid, "the storm maker");
                }
                done.wait();
                std::process::exit(code.into())
            }
            HardeningRole::NoForks { id, room } => no_forks(id, room),
        }
    }
}

/// The pipe every orphan made while it exists holds open until it exits:
/// they inherit its write end.
struct Done {
    reader: PipeReader,
    writer: PipeWriter,
}

impl Done {
    fn new() -> Done {
        let (reader, writer) = std::io::pipe().expect("pipe");
        Done { reader, writer }
    }

    /// Waits until every orphan made since [`Done::new`] is gone: has
    /// exited, and been reaped by pidone.
    fn wait(self) {
        let Done { mut reader, writer } = self;
        drop(writer);
        let _ = reader.read_to_end(&mut Vec::new());
        // An exiting process closes its files before it becomes a zombie
        // and its SIGCHLD is sent: at end of file the last orphans may not
        // have reached pidone yet, and this process's own exit would race
        // them. So wait until this process is pidone's only child, as /proc
        // shows it (where there is no /proc, as in an empty root, there is
        // nothing to wait on, and the count is not checked there).
        let pidone = std::os::unix::process::parent_id() as i32;
        let me = std::process::id() as i32;
        let deadline = Instant::now() + Duration::from_secs(60);
        while processes().iter().any(|p| p.ppid == pidone && p.pid != me) {
            assert!(
                Instant::now() < deadline,
                "orphans left unreaped for a minute"
            );
            std::thread::sleep(Duration::from_millis(1));
        }
    }
}

/// Forks an intermediate process that forks `count` children and exits, and
/// waits for it: the children are orphans then. Without a `gate`, each
/// child exits when the intermediate does (some may do so before it is
/// gone, and are handed over as zombies); with one, when the caller
/// closes the gate's write end. They hold every fd the caller has, a
/// [`Done`] pipe's among them, until they exit.
fn leave_orphans(count: usize, gate: Option<(&PipeReader, &PipeWriter)>) {
    // SAFETY: one thread; the intermediate allocates only in its own copy
    // of this one-thread process, and its children make plain calls.
    match unsafe { libc::fork() } {
        0 => {
            let own_gate;
            let (gate, gate_writer): (RawFd, RawFd) = match gate {
                Some((reader, writer)) => (reader.as_raw_fd(), writer.as_raw_fd()),
                None => {
                    own_gate = std::io::pipe().expect("pipe");
                    (own_gate.0.as_raw_fd(), own_gate.1.as_raw_fd())
                }
            };
            for _ in 0..count {
                // SAFETY: as above.
                match unsafe { libc::fork() } {
                    0 => {
                        let mut byte = [0u8];
                        // SAFETY: plain calls on fds this process holds; the
                        // read ends at the gate's end of file.
                        unsafe {
                            libc::close(gate_writer);
                            let mut gate = ManuallyDrop::new(File::from_raw_fd(gate));
                            let _ = gate.read(&mut byte);
                            libc::_exit(ORPHAN_CODE.into())
                        }
                    }
                    -1 => {
                        eprintln!("intermediate: fork: {}", std::io::Error::last_os_error());
                        // SAFETY: a plain call.
                        unsafe { libc::_exit(1) }
                    }
                    _ => {}
                }
            }
            // SAFETY: a plain call; the children keep the gate shut until
            // this process (or the caller) closes its end.
            unsafe { libc::_exit(0) }
        }
        -1 => panic!("fork: {}", std::io::Error::last_os_error()),
        intermediate => wait_ok(intermediate, "an intermediate"),
    }
}

/// Waits for the child `pid`, which must exit 0.
fn wait_ok(pid: libc::pid_t, what: &str) {
    let mut status = 0;
    // SAFETY: a plain call.
    let waited = unsafe { libc::waitpid(pid, &mut status, 0) };
    assert!(
        waited == pid && status == 0,
        "{what} failed: waitpid {waited}, status {status:#x}"
    );
}

/// Whether the pipe's write end is closed, without blocking.
fn at_end(reader: &PipeReader) -> bool {
    let mut fd = libc::pollfd {
        fd: reader.as_raw_fd(),
        events: libc::POLLIN,
        revents: 0,
    };
    // SAFETY: one pollfd.
    unsafe { libc::poll(&mut fd, 1, 0) > 0 }
}

/// [`HardeningRole::NoForks`]. The limit is lowered after `setuid`: at
/// `setuid` the kernel marks a process that is over its limit, and then
/// fails its `execve` with EAGAIN. How many tasks `id` has system-wide is found by
/// trying: a `fork` fails while they are, with the new one, over the limit.
fn no_forks(id: u32, room: u64) -> ! {
    // SAFETY: plain calls.
    unsafe {
        assert_eq!(libc::setgroups(0, std::ptr::null()), 0, "setgroups");
        assert_eq!(libc::setgid(id), 0, "setgid");
        assert_eq!(libc::setuid(id), 0, "setuid");
    }
    let mut limit = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: a limit to fill.
    assert_eq!(
        unsafe { libc::getrlimit(libc::RLIMIT_NPROC, &mut limit) },
        0
    );
    let hard = limit.rlim_max;
    let set_soft = |soft: u64| {
        let limit = libc::rlimit {
            rlim_cur: soft,
            rlim_max: hard,
        };
        // SAFETY: a limit, soft below hard.
        let set = unsafe { libc::setrlimit(libc::RLIMIT_NPROC, &limit) };
        assert_eq!(set, 0, "setrlimit: {}", std::io::Error::last_os_error());
    };
    // Under QEMU a trial fork's child is a QEMU, which may find no room for
    // a thread of its own, say so on stderr and abort: the fork itself
    // succeeded, and the child's stderr is /dev/null, with no core file.
    let quiet = File::open("/dev/null").expect("/dev/null");
    no_core_files();
    // SAFETY: a plain call.
    let stderr = unsafe { libc::dup(2) };
    let forks_at = |soft: u64| {
        set_soft(soft);
        // SAFETY: one thread; the child exits at once. The fds are this
        // process's own.
        let forked = unsafe {
            libc::dup2(quiet.as_raw_fd(), 2);
            let forked = libc::fork();
            if forked == 0 {
                libc::_exit(0)
            }
            libc::dup2(stderr, 2);
            forked
        };
        if forked == -1 {
            let error = std::io::Error::last_os_error();
            assert_eq!(error.raw_os_error(), Some(libc::EAGAIN), "fork: {error}");
            return false;
        }
        // SAFETY: a plain call.
        unsafe { libc::waitpid(forked, std::ptr::null_mut(), 0) };
        true
    };
    let tasks = (1..hard.min(10_000))
        .find(|&soft| forks_at(soft))
        .expect("forks fail at every limit")
        - 1;
    drop(quiet);
    // SAFETY: the copy made above.
    unsafe { libc::close(stderr) };
    set_soft(tasks + room);
    exec_rest_of_command_line(HardeningRole::VAR)
}
