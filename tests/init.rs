//! The `pidone` binary as an init: run as PID 1 of a new PID namespace and
//! as an ordinary process (a child subreaper), with the kid (this test
//! binary, re-executed) as its program: exit statuses, signals, reaping,
//! the child's start-up state, and the command line.

mod common;

use common::*;
use std::ffi::{CString, OsString};
use std::io::Read;
use std::os::fd::AsRawFd;
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

/// This test binary's roles, besides common's.
type OwnRole = Wrapper;

/// What pidone is executed through, in the tests of what it inherits: this
/// test binary, which sets something up and executes the rest of its
/// command line, pidone, which keeps its pid.
#[derive(Clone, Debug)]
enum Wrapper {
    /// Opens `file` for reading as descriptor 5 and `fifo` for writing as
    /// descriptor 7, both left open across `execve`, and writes to `listing`
    /// every descriptor that is, as `NUMBER TARGET` lines.
    Descriptors {
        file: PathBuf,
        fifo: PathBuf,
        listing: PathBuf,
    },
    /// Executes with its environment and `extra` entries after it (no
    /// commas or spaces in them), `{pid}` in them replaced by its own pid,
    /// and writes that environment to `record`, each entry followed by a
    /// NUL.
    Environment { record: PathBuf, extra: Vec<String> },
}

impl Role for Wrapper {
    const VAR: &'static str = "PIDONE_TEST_WRAPPER";

    fn encode(&self) -> String {
        match self {
            Wrapper::Descriptors {
                file,
                fifo,
                listing,
            } => format!(
                "descriptors {} {} {}",
                file.display(),
                fifo.display(),
                listing.display()
            ),
            Wrapper::Environment { record, extra } => {
                format!("environment {} {}", record.display(), extra.join(","))
            }
        }
    }

    fn decode(words: &RoleWords) -> Wrapper {
        let path = |i| PathBuf::from(words.word(i));
        match words.name() {
            "descriptors" => Wrapper::Descriptors {
                file: path(1),
                fifo: path(2),
                listing: path(3),
            },
            "environment" => Wrapper::Environment {
                record: path(1),
                extra: words
                    .word(2)
                    .split(',')
                    .filter(|e| !e.is_empty())
                    .map(str::to_owned)
                    .collect(),
            },
            _ => words.bad(),
        }
    }

    fn play(self) -> ! {
        match self {
            Wrapper::Descriptors {
                file,
                fifo,
                listing,
            } => {
                let file = std::fs::File::open(file).expect("open the file");
                let fifo = std::fs::OpenOptions::new()
                    .write(true)
                    .open(fifo)
                    .expect("open the fifo");
                for (opened, fd) in [(file, 5), (fifo, 7)] {
                    // SAFETY: plain calls; dup2 leaves the copy open across
                    // execve, and so does clearing FD_CLOEXEC when it is
                    // the number already.
                    unsafe {
                        if opened.as_raw_fd() == fd {
                            libc::fcntl(fd, libc::F_SETFD, 0);
                            std::mem::forget(opened);
                        } else {
                            libc::dup2(opened.as_raw_fd(), fd);
                        }
                    }
                }
                let lines: String = descriptors(None)
                    .iter()
                    .map(|(fd, target)| format!("{fd} {}\n", target.display()))
                    .collect();
                std::fs::write(listing, lines).expect("write the listing");
                exec_rest_of_command_line(Self::VAR)
            }
            Wrapper::Environment { record, extra } => {
                // SAFETY: before `main`, with one thread.
                unsafe { std::env::remove_var(Self::VAR) };
                let pid = std::process::id().to_string();
                let mut env = environment();
                env.extend(
                    extra
                        .iter()
                        .map(|e| CString::new(e.replace("{pid}", &pid)).expect("no NUL")),
                );
                let bytes: Vec<u8> = env
                    .iter()
                    .flat_map(|e| e.as_bytes_with_nul())
                    .copied()
                    .collect();
                std::fs::write(record, bytes).expect("write the record");
                let args = rest_of_command_line();
                let (argv, envp) = (null_terminated(&args), null_terminated(&env));
                // SAFETY: NULL-terminated arrays of C strings that outlive
                // the call.
                unsafe { libc::execve(argv[0], argv.as_ptr(), envp.as_ptr()) };
                panic!("exec {:?}: {}", args[0], std::io::Error::last_os_error())
            }
        }
    }
}

/// pidone, executed through `wrapper`.
fn through(pidone: Pidone, wrapper: &Wrapper) -> Pidone {
    pidone
        .env(Wrapper::VAR, wrapper.encode())
        .exec_through(test_program())
}

/// The descriptors of process `pid`, in order, with what each one is
/// (`/proc/PID/fd/N`'s target). Of this process (`None`), those it keeps
/// across `execve`: without `FD_CLOEXEC`, which leaves out the directory
/// read here.
fn descriptors(pid: Option<i32>) -> Vec<(i32, PathBuf)> {
    let dir = match pid {
        Some(pid) => format!("/proc/{pid}/fd"),
        None => "/proc/self/fd".to_owned(),
    };
    let mut fds: Vec<(i32, PathBuf)> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{dir}: {e}"))
        .filter_map(|entry| {
            let fd: i32 = entry.ok()?.file_name().to_str()?.parse().ok()?;
            // SAFETY: a plain call, on a number that may not be open.
            let kept = pid.is_some() || unsafe { libc::fcntl(fd, libc::F_GETFD) } == 0;
            let target = std::fs::read_link(format!("{dir}/{fd}")).ok()?;
            kept.then_some((fd, target))
        })
        .collect();
    fds.sort();
    fds
}

const SUBREAPER_WARNING: &str = "pidone: warning: cannot become a child subreaper, so orphans are not reaped (Invalid argument)";

fn exit_status_is_the_childs(mode: Mode) {
    let cases = [
        (Kid::Exit(0), 0),
        (Kid::Exit(3), 3),
        (Kid::Exit(255), 255),
        (Kid::Kill(SIGKILL), 128 + SIGKILL),
        (Kid::Kill(SIGTERM), 128 + SIGTERM),
        (Kid::Kill(SIGSEGV), 128 + SIGSEGV),
        (Kid::Kill(SIGINT), 128 + SIGINT),
        (Kid::Kill(SIGHUP), 128 + SIGHUP),
    ];
    for (kid, code) in cases {
        let finished = Pidone::new(mode).kid(kid.clone()).run();
        assert_eq!(finished.code(), code, "{mode:?} {kid:?}\n{finished}");
        assert!(finished.stdout.is_empty(), "{mode:?} {kid:?}\n{finished}");
        // QEMU tells on stderr of a guest killed by a signal; pidone
        // says nothing at its default verbosity.
        if let Kid::Exit(_) = kid {
            assert!(finished.stderr.is_empty(), "{mode:?} {kid:?}\n{finished}");
        }
    }
}
test_each_mode!(exit_status_is_the_childs);

fn programs_that_cannot_run(mode: Mode) {
    let dir = TempDir::new();
    let missing = dir.path().join("missing");
    let not_executable = dir.file("not-executable", b"#!/bin/sh\nexit 0\n", 0o644);
    let bad_interpreter = dir.file("bad-interpreter", b"#!/nonexistent/sh\nexit 0\n", 0o755);
    let not_a_program = dir.file("not-a-program", b"\x01\x02 neither ELF nor #!\n", 0o755);
    let cases: [(OsString, i32, &str); 6] = [
        (missing.into(), 127, "No such file or directory"),
        (
            "pidone-test-nowhere-in-path".into(),
            127,
            "No such file or directory",
        ),
        (not_executable.into(), 126, "Permission denied"),
        (dir.path().into(), 126, "Is a directory"),
        (
            bad_interpreter.into(),
            126,
            "its interpreter or loader is missing (No such file or directory)",
        ),
        (not_a_program.into(), 126, "Exec format error"),
    ];
    for (program, code, reason) in &cases {
        let finished = Pidone::new(mode).arg("--").arg(program).run();
        let what = format!("{mode:?} {program:?}\n{finished}");
        assert_eq!(finished.code(), *code, "{what}");
        assert_eq!(
            finished.stderr_text(),
            format!(
                "pidone: cannot run '{}': {reason}\n",
                program.to_string_lossy()
            ),
            "{what}"
        );
        assert!(finished.stdout.is_empty(), "{what}");
    }
}
test_each_mode!(programs_that_cannot_run);

fn program_is_searched_in_path_like_execvp(mode: Mode) {
    let first = TempDir::new();
    let second = TempDir::new();
    // Found but not executable in the first directory: execvp goes on, and
    // reports EACCES only if nothing else is found.
    first.file("pidone-test-program", b"#!/bin/sh\necho first\n", 0o644);
    second.file(
        "pidone-test-program",
        b"#!/bin/sh\necho second \"$@\"; exit 4\n",
        0o755,
    );
    let path = |dirs: &[&TempDir]| {
        std::env::join_paths(dirs.iter().map(|d| d.path())).expect("join_paths")
    };
    let finished = Pidone::new(mode)
        .env("PATH", path(&[&first, &second]))
        .args(["pidone-test-program", "-v", "x"])
        .run();
    assert_eq!(finished.code(), 4, "{mode:?}\n{finished}");
    assert_eq!(
        finished.stdout_text(),
        "second -v x\n",
        "{mode:?}\n{finished}"
    );

    let finished = Pidone::new(mode)
        .env("PATH", path(&[&first]))
        .arg("pidone-test-program")
        .run();
    assert_eq!(finished.code(), 126, "{mode:?}\n{finished}");
    assert_eq!(
        finished.stderr_text(),
        "pidone: cannot run 'pidone-test-program': Permission denied\n",
        "{mode:?}"
    );

    // Parsing stops at the program, with or without `--`.
    for args in [&["sh", "-c", "exit 3"][..], &["--", "sh", "-c", "exit 3"]] {
        let finished = Pidone::new(mode).args(args).run();
        assert_eq!(finished.code(), 3, "{mode:?} {args:?}\n{finished}");
    }
}
test_each_mode!(program_is_searched_in_path_like_execvp);

/// TERM, INT, HUP, USR1, USR2, QUIT, WINCH and the real-time signals among
/// them: each reaches the kid, and pidone lives on.
fn forwards_every_signal_it_can_catch(mode: Mode) {
    // All it can take but SIGCHLD, which is its own.
    let signals: Vec<i32> = signals_to_send()
        .into_iter()
        .filter(|&s| s != SIGCHLD)
        .collect();
    let mut running = Pidone::new(mode)
        .args(["-vv", "--"])
        .kid(Kid::Signals(signals.len()))
        .spawn();
    assert_eq!(running.line(), "ready");
    for &signal in &signals {
        running.signal(signal);
        assert_eq!(running.line(), signal.to_string(), "{mode:?}");
    }
    let finished = running.wait();
    assert_eq!(finished.code(), 0, "{mode:?}\n{finished}");
    let forwarded: Vec<String> = finished
        .stderr_lines()
        .into_iter()
        .filter(|line| line.starts_with("pidone: forwarding "))
        .collect();
    let expected: Vec<String> = signals
        .iter()
        .map(|s| format!("pidone: forwarding signal {s}"))
        .collect();
    assert_eq!(forwarded, expected, "{mode:?}");
}
test_each_mode!(forwards_every_signal_it_can_catch);

fn rewrites_and_drops_signals(mode: Mode) {
    let mut running = Pidone::new(mode)
        .args(["-r", "USR1:USR2", "-r", "HUP:0", "-r", "SIGWINCH:RTMIN+3"])
        .args(["-r", "15:SIGINT", "--"])
        .kid(Kid::Signals(3))
        .spawn();
    assert_eq!(running.line(), "ready");
    // Were HUP forwarded, the kid would take it first: the lowest
    // pending signal comes first, and HUP is sent first.
    running.signal(SIGHUP);
    running.signal(SIGUSR1);
    assert_eq!(running.line(), SIGUSR2.to_string(), "{mode:?}");
    running.signal(SIGWINCH);
    assert_eq!(running.line(), (SIGRTMIN + 3).to_string(), "{mode:?}");
    running.signal(SIGTERM);
    assert_eq!(running.line(), SIGINT.to_string(), "{mode:?}");
    let finished = running.wait();
    assert_eq!(finished.code(), 0, "{mode:?}\n{finished}");
}
test_each_mode!(rewrites_and_drops_signals);

fn forwards_to_the_process_group_with_g(mode: Mode) {
    let plain = Pidone::new(mode).arg("--");
    let g = Pidone::new(mode).args(["-g", "--"]);
    let env = Pidone::new(mode).env("TINI_KILL_PROCESS_GROUP", "1");
    for (pidone, to_group) in [(plain, false), (g, true), (env, true)] {
        let mut running = pidone.kid(Kid::Group).spawn();
        assert_eq!(running.line(), "ready");
        running.signal(SIGTERM);
        let finished = running.wait();
        assert_eq!(finished.code(), 0, "{mode:?}\n{finished}");
        let mut lines = finished.stdout_lines();
        lines.sort();
        let mut expected = vec!["grandchild 12", "kid 15", "ready"];
        if to_group {
            expected.insert(1, "grandchild 15");
        }
        assert_eq!(lines, expected, "{mode:?} to group: {to_group}\n{finished}");
    }
}
test_each_mode!(forwards_to_the_process_group_with_g);

fn success_codes_with_e(mode: Mode) {
    let cases: [(&[&str], Kid, i32); 5] = [
        (&["-e", "3"], Kid::Exit(3), 0),
        (&["-e", "3"], Kid::Exit(4), 4),
        (&["-e3", "-e", "143"], Kid::Kill(SIGTERM), 0),
        (&["-e", "0"], Kid::Exit(0), 0),
        (&["-e", "255", "-e", "1"], Kid::Exit(255), 0),
    ];
    for (args, kid, code) in cases {
        let finished = Pidone::new(mode).args(args).arg("--").kid(kid).run();
        assert_eq!(finished.code(), code, "{mode:?} {args:?}\n{finished}");
    }
}
test_each_mode!(success_codes_with_e);

fn parent_death_signal_is_forwarded(mode: Mode) {
    let mut running = Pidone::new(mode)
        .with_parent_process()
        .args(["-p", "SIGUSR1", "-v", "--"])
        .kid(Kid::Signals(1))
        .spawn();
    assert_eq!(running.line(), "ready");
    running.kill_parent();
    assert_eq!(running.line(), SIGUSR1.to_string(), "{mode:?}");
    // pidone's own status goes to whoever adopted it; it tells the
    // kid's.
    let finished = running.wait();
    let lines = finished.stderr_lines();
    assert!(
        lines.len() == 1 && is_child_status(&lines[0], 0),
        "{mode:?}\n{finished}"
    );
}
test_each_mode!(parent_death_signal_is_forwarded);

fn pause_reaps_until_term_or_int(mode: Mode) {
    // A child that pidone gets from the shell it replaces, which exits at
    // the end of stdin (the shell gives a background job /dev/null, so it
    // reads a copy made before).
    let shell = [
        host_tool("sh").into_os_string(),
        "-c".into(),
        "exec 3<&0; (cat <&3 >/dev/null; exit 7) & exec \"$@\"".into(),
        "sh".into(),
    ];
    for stop in [SIGTERM, SIGINT] {
        let mut running = Pidone::new(mode)
            .exec_through(shell.clone())
            .args(["-P", "-w"])
            .stdin_piped()
            .spawn();
        running.wait_until_idle();
        // Taken and ignored: had it ended pidone, nothing would be
        // reaped below (pidone takes USR1 before the SIGCHLD that comes
        // after it).
        running.signal(SIGUSR1);
        running.close_stdin();
        let line = running.stderr_line();
        assert!(is_reaped_zombie_with(&line, 7), "{mode:?}: {line}");
        running.signal(stop);
        let finished = running.wait();
        assert_eq!(finished.code(), 0, "{mode:?} {stop}\n{finished}");
    }
}
test_each_mode!(pause_reaps_until_term_or_int);

#[test]
fn grace_terminates_what_is_left() {
    // As PID 1, pidone sends TERM to every process in the namespace; as a
    // subreaper, to the kid's process group only (never kill(-1)).
    let cases = [
        (Mode::Pid1, true),
        (Mode::Pid1, false),
        (Mode::Subreaper, false),
    ];
    for (mode, own_group) in cases {
        let mut running = Pidone::new(mode)
            .args(["--grace", "20", "-w", "--"])
            .kid(Kid::Leftover {
                ignores_term: false,
                own_group,
                code: 5,
            })
            .spawn();
        assert_eq!(running.line(), "ready");
        let start = Instant::now();
        let finished = running.wait();
        let elapsed = start.elapsed();
        let what = format!("{mode:?}, own group: {own_group}\n{finished}");
        assert_eq!(finished.code(), 5, "{what}");
        assert_eq!(reaped_zombies(&finished, 128 + SIGTERM), (1, 1), "{what}");
        assert!(elapsed < Duration::from_secs(10), "{elapsed:?}: {what}");
    }
}

/// pidone with `--grace SECONDS` (and `extra` options), whose kid exits
/// with 6 and leaves a leftover that ignores TERM; once the kid said
/// `ready`.
fn leftover_ignoring_term(mode: Mode, seconds: u64, extra: &[&str]) -> Running {
    let mut running = Pidone::new(mode)
        .args(["--grace", &seconds.to_string(), "-w"])
        .args(extra.iter().copied())
        .arg("--")
        .kid(Kid::Leftover {
            ignores_term: true,
            own_group: false,
            code: 6,
        })
        .spawn();
    assert_eq!(running.line(), "ready");
    running
}

/// pidone exited with the kid's 6, and `-w` told of the leftover, killed
/// by `signal`.
fn assert_kid_status_and_leftover_killed_by(finished: &Finished, signal: i32, mode: Mode) {
    assert_eq!(finished.code(), 6, "{mode:?}\n{finished}");
    assert_eq!(
        reaped_zombies(finished, 128 + signal),
        (1, 1),
        "{mode:?}\n{finished}"
    );
}

fn grace_kills_what_ignores_term(mode: Mode) {
    const GRACE: Duration = Duration::from_secs(2);
    let running = leftover_ignoring_term(mode, GRACE.as_secs(), &[]);
    let start = Instant::now();
    let finished = running.wait();
    let elapsed = start.elapsed();
    assert_kid_status_and_leftover_killed_by(&finished, SIGKILL, mode);
    // The grace time, plus up to a second of rounding; the kid printed
    // `ready` a moment before it exited and the time began.
    assert!(
        elapsed > GRACE - Duration::from_millis(500)
            && elapsed < GRACE + Duration::from_secs(1) + Duration::from_secs(3),
        "{mode:?}: {elapsed:?}"
    );
}
test_each_mode!(grace_kills_what_ignores_term);

/// A signal that comes during the grace time goes to what is left: here
/// an INT from outside ends a leftover that ignores the TERM pidone sent
/// it, long before the grace time would have.
fn grace_forwards_signals_to_what_is_left(mode: Mode) {
    let mut running = leftover_ignoring_term(mode, 60, &["-v"]);
    // `-v` tells of the child once it is reaped, and the grace time starts
    // with TERM right after: once pidone sleeps again, it is in there.
    let line = running.stderr_line();
    assert!(
        line.starts_with("pidone: child ") && line.ends_with(", status 6"),
        "{mode:?}: {line}"
    );
    running.wait_until_idle();
    let start = Instant::now();
    running.signal(SIGINT);
    let finished = running.wait();
    let elapsed = start.elapsed();
    assert_kid_status_and_leftover_killed_by(&finished, SIGINT, mode);
    assert!(
        elapsed < Duration::from_secs(20),
        "{mode:?}: {elapsed:?}\n{finished}"
    );
}
test_each_mode!(grace_forwards_signals_to_what_is_left);

/// `-W`: once the kid has exited, pidone waits for its leftover, and sends
/// it what it gets (here HUP, which ends it); then exits with the kid's 5.
fn wait_all_waits_for_leftovers_and_forwards_to_them(mode: Mode) {
    let mut running = Pidone::new(mode)
        .args(["-W", "-v", "-w", "--"])
        .kid(Kid::Leftover {
            ignores_term: false,
            own_group: false,
            code: 5,
        })
        .spawn();
    assert_eq!(running.line(), "ready");
    let line = running.stderr_line();
    assert!(is_child_status(&line, 5), "{mode:?}: {line}");
    // Without -W pidone would be gone by now; with it, it sleeps on.
    std::thread::sleep(Duration::from_millis(300));
    running.wait_until_idle();
    running.signal(SIGHUP);
    let finished = running.wait();
    assert_eq!(finished.code(), 5, "{mode:?}\n{finished}");
    assert_eq!(
        reaped_zombies(&finished, 128 + SIGHUP),
        (1, 1),
        "{mode:?}\n{finished}"
    );
}
test_each_mode!(wait_all_waits_for_leftovers_and_forwards_to_them);

/// `-W` with `--grace`: a TERM while pidone waits for a leftover that
/// ignores it starts the grace time, and KILL ends the leftover.
fn wait_all_with_grace_kills_after_a_stop(mode: Mode) {
    let mut running = leftover_ignoring_term(mode, 1, &["-W", "-v"]);
    let line = running.stderr_line();
    assert!(is_child_status(&line, 6), "{mode:?}: {line}");
    // Longer than the grace time and its rounding: without -W, it would
    // have begun when the kid exited, and be over.
    std::thread::sleep(Duration::from_secs(3));
    running.wait_until_idle();
    let start = Instant::now();
    running.signal(SIGTERM);
    let finished = running.wait();
    let elapsed = start.elapsed();
    assert_kid_status_and_leftover_killed_by(&finished, SIGKILL, mode);
    assert!(
        elapsed > Duration::from_millis(500) && elapsed < Duration::from_secs(5),
        "{mode:?}: {elapsed:?}\n{finished}"
    );
}
test_each_mode!(wait_all_with_grace_kills_after_a_stop);

/// examples/no_libc_init.rs, `fork_init` in a program with no libc and no
/// std, as PID 1 of a new namespace: the child's exit code comes back, and
/// a TERM sent to the init reaches the child, which exits 128 + 15. Under
/// QEMU, whose own threads the program sees, `fork_init` refuses, and the
/// program says so and exits 3.
#[test]
fn fork_init_without_a_libc() {
    let run = |args: &[&str]| {
        let argv: Vec<OsString> = pid1_prefix()
            .into_iter()
            .chain(no_libc_init_program())
            .chain(args.iter().map(OsString::from))
            .collect();
        let mut command = Command::new(&argv[0]);
        command.args(&argv[1..]).stdin(std::process::Stdio::null());
        command
    };
    let output = run(&["exit", "7"]).output().expect("run no-libc-init");
    if target_runner().is_some() {
        assert_eq!(output.status.code(), Some(3), "{output:?}");
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(
            stderr.contains("fork_init refused: a thread exists already"),
            "{stderr}"
        );
        return;
    }
    assert_eq!(output.status.code(), Some(7), "{output:?}");

    let mut waiting = run(&["wait"]).spawn().expect("run no-libc-init");
    let unshare = waiting.id() as i32;
    // The init is unshare's one child; its child, the program, waits.
    let deadline = Instant::now() + Duration::from_secs(10);
    let init = loop {
        match children(unshare)[..] {
            [init] if !children(init.pid).is_empty() => break init.pid,
            _ if Instant::now() < deadline => std::thread::sleep(Duration::from_millis(10)),
            _ => panic!("no-libc-init never started its child"),
        }
    };
    // SAFETY: a plain call.
    assert_eq!(unsafe { libc::kill(init, SIGTERM) }, 0);
    let status = waiting.wait().expect("wait for no-libc-init");
    assert_eq!(status.code(), Some(128 + SIGTERM), "{status:?}");
}

/// Once the child runs, pidone's working directory is `/`, so that it pins
/// no directory or mount; the child keeps the one pidone was started in.
fn working_directory_is_root_once_the_child_runs(mode: Mode) {
    let mut running = Pidone::new(mode).kid(Kid::Signals(1)).spawn();
    assert_eq!(running.line(), "ready");
    let pidone = running.pidone_pid();
    let cwd = |pid: i32| std::fs::read_link(format!("/proc/{pid}/cwd")).expect("/proc/PID/cwd");
    assert_eq!(cwd(pidone), Path::new("/"), "{mode:?}: pidone's");
    let kid = match children(pidone)[..] {
        [kid] => kid.pid,
        ref other => panic!("{mode:?}: pidone's children: {other:?}"),
    };
    let started_in = std::env::current_dir().expect("current_dir");
    assert_eq!(cwd(kid), started_in, "{mode:?}: the child's");
    running.signal(SIGTERM);
    let finished = running.wait();
    assert_eq!(finished.code(), 0, "{mode:?}\n{finished}");
}
test_each_mode!(working_directory_is_root_once_the_child_runs);

/// A fifo in `dir` whose read end is open here, not blocking: a read gives
/// `WouldBlock` while a writer has it open, and end of file once none has.
fn fifo(dir: &TempDir) -> (PathBuf, std::fs::File) {
    let path = dir.path().join("fifo");
    let name = CString::new(path.as_os_str().as_bytes()).expect("no NUL");
    // SAFETY: a plain call.
    assert_eq!(unsafe { libc::mkfifo(name.as_ptr(), 0o600) }, 0, "mkfifo");
    let reader = std::fs::OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_NONBLOCK)
        .open(&path)
        .expect("open the fifo's read end");
    (path, reader)
}

/// pidone is started with descriptors 5 and 7 open, a file and a fifo:
/// once its child runs it holds no descriptor above 2, while the child has
/// every descriptor pidone was started with, each the same file. So with
/// `close_range`, and with the numbers one by one where a seccomp filter
/// refuses it, as a kernel older than 5.9 does.
fn holds_no_descriptor_above_2_once_the_child_runs(mode: Mode) {
    for close_range_refused in [false, true] {
        descriptors_above_2_closed(mode, close_range_refused);
    }
}
test_each_mode!(holds_no_descriptor_above_2_once_the_child_runs);

fn descriptors_above_2_closed(mode: Mode, close_range_refused: bool) {
    let mode_and_refusal = format!("{mode:?}, close_range refused: {close_range_refused}");
    let pidone = match close_range_refused {
        false => Pidone::new(mode),
        true => Pidone::new(mode).refusing_close_range(),
    };
    let dir = TempDir::new();
    let (fifo, _reader) = fifo(&dir);
    let wrapper = Wrapper::Descriptors {
        file: dir.file("file", b"five", 0o644),
        fifo,
        listing: dir.path().join("listing"),
    };
    let mut running = through(pidone, &wrapper).kid(Kid::Signals(1)).spawn();
    assert_eq!(running.line(), "ready");
    running.wait_until_idle();
    let pidone = running.pidone_pid();
    let kid = match children(pidone)[..] {
        [kid] => kid.pid,
        ref other => panic!("{mode_and_refusal}: pidone's children: {other:?}"),
    };
    let Wrapper::Descriptors { listing, .. } = &wrapper else {
        unreachable!()
    };
    let inherited: Vec<String> = std::fs::read_to_string(listing)
        .expect("read the listing")
        .lines()
        .map(str::to_owned)
        .collect();
    let lines = |fds: Vec<(i32, PathBuf)>| -> Vec<String> {
        fds.iter()
            .map(|(fd, target)| format!("{fd} {}", target.display()))
            .collect()
    };
    let pidones = lines(descriptors(Some(pidone)));
    assert!(
        pidones.iter().all(|line| line
            .split(' ')
            .next()
            .is_some_and(|fd| fd.parse::<i32>().is_ok_and(|fd| fd <= 2))),
        "{mode_and_refusal}: pidone holds {pidones:?}; it was started with {inherited:?}"
    );
    for fd in ["5 ", "7 "] {
        assert!(
            inherited.iter().any(|line| line.starts_with(fd)),
            "{mode_and_refusal}: {inherited:?}"
        );
    }
    assert_eq!(
        lines(descriptors(Some(kid))),
        inherited,
        "{mode_and_refusal}: the child's"
    );
    running.signal(SIGTERM);
    let finished = running.wait();
    assert_eq!(finished.code(), 0, "{mode_and_refusal}\n{finished}");
}

/// The case of catatonit #12: the reader of a pipe that pidone got too sees
/// its end as soon as the child closes its own copy, not when the child
/// (here `sleep 100`) exits.
fn a_pipe_the_child_closes_ends_at_once(mode: Mode) {
    let dir = TempDir::new();
    let (fifo, mut reader) = fifo(&dir);
    let wrapper = Wrapper::Descriptors {
        file: dir.file("file", b"five", 0o644),
        fifo,
        listing: dir.path().join("listing"),
    };
    let script = "exec 7>&-; echo closed; exec sleep 100";
    let mut running = through(Pidone::new(mode), &wrapper)
        .args([
            "--".into(),
            host_tool("sh").into_os_string(),
            "-c".into(),
            script.into(),
        ])
        .spawn();
    assert_eq!(running.line(), "closed");
    let start = Instant::now();
    let waited = loop {
        match reader.read(&mut [0; 16]) {
            Ok(0) => break start.elapsed(),
            Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {
                assert!(
                    start.elapsed() < Duration::from_secs(5),
                    "{mode:?}: no end of file 5 s after the child closed its end"
                );
                std::thread::sleep(Duration::from_millis(1));
            }
            other => panic!("{mode:?}: read the fifo: {other:?}"),
        }
    };
    report(&format!(
        "{mode:?}: end of file {} ms after the child said it closed its end",
        waited.as_millis()
    ));
    // The child still runs: the end came from pidone, not from its exit.
    assert_eq!(children(running.pidone_pid()).len(), 1, "{mode:?}");
    running.signal(SIGTERM);
    let finished = running.wait();
    assert_eq!(finished.code(), 128 + SIGTERM, "{mode:?}\n{finished}");
}
test_each_mode!(a_pipe_the_child_closes_ends_at_once);

/// Socket activation: with `LISTEN_FDS` set and `LISTEN_PID` naming
/// pidone, the child gets its own pid in `LISTEN_PID` (with the
/// `socket-activation` feature; without it, pidone's); the rest of its
/// environment is pidone's, entry by entry and in order, duplicates and
/// a second `LISTEN_PID` included. `LISTEN_PID` naming another process
/// (4,194,304 is more than any pid can be), or not a number, and
/// `LISTEN_PID` without `LISTEN_FDS`, are left alone. Under QEMU the kid's
/// environment has no duplicates: QEMU drops them for its guest.
fn listen_pid_becomes_the_childs(mode: Mode) {
    let cases: [(&[&str], bool); 5] = [
        (
            &[
                "LISTEN_FDS=1",
                "DUP=a",
                "LISTEN_PID={pid}",
                "DUP=b",
                "LISTEN_PID={pid}",
                "Z=",
            ],
            true,
        ),
        (&["LISTEN_PID={pid}", "LISTEN_FDS=2"], true),
        (&["LISTEN_FDS=1", "LISTEN_PID=4194304"], false),
        (&["LISTEN_FDS=1", "LISTEN_PID=+{pid}"], false),
        (&["LISTEN_PID={pid}", "LISTEN_FDSX=1"], false),
    ];
    for (extra, rewritten) in cases {
        let dir = TempDir::new();
        let record = dir.path().join("environment");
        let wrapper = Wrapper::Environment {
            record: record.clone(),
            extra: extra.iter().map(|e| e.to_string()).collect(),
        };
        let finished = through(Pidone::new(mode).env("A", "1"), &wrapper)
            .args(["-v", "--"])
            .kid(Kid::Env)
            .run();
        let what = format!("{mode:?} {extra:?}");
        assert_eq!(finished.code(), 0, "{what}\n{finished}");
        // `-v`: pidone: child PID, status 0.
        let kid = finished
            .stderr_lines()
            .iter()
            .find_map(|line| {
                line.strip_prefix("pidone: child ")?
                    .strip_suffix(", status 0")?
                    .parse::<u32>()
                    .ok()
            })
            .unwrap_or_else(|| panic!("{what}: no child's pid\n{finished}"));
        let entries = |bytes: &[u8]| -> Vec<Vec<u8>> {
            bytes
                .strip_suffix(b"\0")
                .expect("NUL-terminated entries")
                .split(|&b| b == 0)
                .map(<[u8]>::to_vec)
                .collect()
        };
        let mut expected = entries(&std::fs::read(&record).expect("read the record"));
        if target_runner().is_some() {
            // QEMU builds its guest's environment from a list that keeps
            // one entry per name, the first: it drops the duplicates.
            let mut names = std::collections::HashSet::new();
            expected.retain(|e| names.insert(e.split(|&b| b == b'=').next().map(<[u8]>::to_vec)));
        }
        if rewritten && cfg!(feature = "socket-activation") {
            let first = expected
                .iter_mut()
                .find(|e| e.starts_with(b"LISTEN_PID="))
                .expect("a LISTEN_PID");
            *first = format!("LISTEN_PID={kid}").into_bytes();
        }
        let got = entries(&finished.stdout);
        let text = |entries: &[Vec<u8>]| -> Vec<String> {
            entries
                .iter()
                .map(|e| String::from_utf8_lossy(e).into_owned())
                .collect()
        };
        assert!(
            got == expected,
            "{what}:\n  got      {:?}\n  expected {:?}",
            text(&got),
            text(&expected)
        );
    }
}
test_each_mode!(listen_pid_becomes_the_childs);

/// Runs the kid that leaves `count` orphans, and checks that pidone reaps
/// them all while the kid runs on, and exits with the kid's status.
fn check_orphans_reaped(pidone: Pidone, count: usize) {
    let mut running = pidone
        .args(["-w", "--"])
        .kid(Kid::Orphans {
            count,
            orphan_code: 9,
            code: 4,
        })
        .stdin_piped()
        .timeout(Duration::from_secs(60))
        .spawn();
    assert_eq!(running.line(), "orphans exited");
    let pid = running.pidone_pid();
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let children = children(pid);
        if let [kid] = children[..]
            && kid.state != 'Z'
        {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "pidone's children: {:?} (zombies {:?})",
            children.len(),
            zombies(pid).len()
        );
        std::thread::sleep(Duration::from_millis(10));
    }
    running.close_stdin();
    let finished = running.wait();
    // Orphans' statuses never replace the kid's.
    assert_eq!(finished.code(), 4, "{finished}");
    assert_eq!(reaped_zombies(&finished, 9), (count, count), "{finished}");
}

fn reaps_200_orphans(mode: Mode) {
    check_orphans_reaped(Pidone::new(mode), 200);
}
test_each_mode!(reaps_200_orphans);

fn child_starts_with_the_inherited_signal_state(mode: Mode) {
    // QEMU cannot map the last real-time signals to the host's: none here.
    let blocked = [SIGINT, SIGUSR1, SIGTERM, SIGRTMIN + 3, SIGRTMIN + 6, 32]
        .map(signal_bit)
        .into_iter()
        .fold(0, |set, bit| set | bit);
    let ignored = [SIGHUP, SIGUSR2, SIGPIPE, SIGRTMIN + 1]
        .map(signal_bit)
        .into_iter()
        .fold(0, |set, bit| set | bit);
    let states = [
        (0, 0),
        (blocked, ignored),
        (blocked, ignored | signal_bit(SIGCHLD)),
    ];
    for (blocked, ignored) in states {
        let finished = Pidone::new(mode)
            .signal_state(blocked, ignored)
            .kid(Kid::State)
            .run();
        assert_eq!(finished.code(), 0, "{mode:?}\n{finished}");
        assert_eq!(
            finished.stdout_lines(),
            [
                "own-group true".to_owned(),
                "tty none".to_owned(),
                format!("blocked {blocked:016x}"),
                format!("ignored {ignored:016x}"),
            ],
            "{mode:?}"
        );
    }
}
test_each_mode!(child_starts_with_the_inherited_signal_state);

/// An inherited SIG_IGN for SIGCHLD would make the kernel reap pidone's
/// children for it, and pidone wait forever: it takes SIGCHLD back for
/// itself (the kid still gets it ignored, above).
fn inherited_ignored_sigchld(mode: Mode) {
    let finished = Pidone::new(mode)
        .signal_state(0, signal_bit(SIGCHLD))
        .kid(Kid::Exit(5))
        .run();
    assert_eq!(finished.code(), 5, "{mode:?}\n{finished}");
    check_orphans_reaped(Pidone::new(mode).signal_state(0, signal_bit(SIGCHLD)), 3);
}
test_each_mode!(inherited_ignored_sigchld);

fn child_takes_the_terminal_foreground(mode: Mode) {
    let finished = Pidone::new(mode).tty().kid(Kid::State).run();
    assert_eq!(finished.code(), 0, "{mode:?}\n{finished}");
    assert_eq!(
        finished.stdout_lines()[..2],
        ["own-group true", "tty foreground"],
        "{mode:?}"
    );
}
test_each_mode!(child_takes_the_terminal_foreground);

fn arguments_pass_through_unchanged(mode: Mode) {
    let mut args: Vec<OsString> = vec![
        "".into(),
        " ".into(),
        "two words".into(),
        os(b"not UTF-8: \xff\xfe\x80"),
        "-v".into(),
        "--".into(),
        "--version".into(),
        // The longest one argument can be (MAX_ARG_STRLEN, its NUL
        // included, is 32 pages).
        "x".repeat(131071).into(),
    ];
    args.extend((0..5000).map(|i| OsString::from(format!("arg{i}"))));
    let mut expected: Vec<u8> = Vec::new();
    for arg in std::iter::once(test_binary().as_os_str()).chain(args.iter().map(|a| a.as_os_str()))
    {
        expected.extend(std::os::unix::ffi::OsStrExt::as_bytes(arg));
        expected.push(0);
    }
    let finished = Pidone::new(mode).kid(Kid::Argv).args(args.clone()).run();
    assert_eq!(finished.code(), 0, "{mode:?}\n{finished}");
    assert!(
        finished.stdout == expected,
        "{mode:?}: {} bytes of arguments instead of {}\n{finished}",
        finished.stdout.len(),
        expected.len()
    );
}
test_each_mode!(arguments_pass_through_unchanged);

fn environment_passes_through_unchanged(mode: Mode) {
    let vars: [(&str, OsString); 6] = [
        ("EMPTY", "".into()),
        ("SPACES", " two  words ".into()),
        ("EQUALS", "a=b=c".into()),
        ("NOT_UTF8", os(b"\xff\xfe\x80")),
        ("LONG", "y".repeat(100_000).into()),
        ("TINI_SUBREAPER_NOT", "1".into()),
    ];
    let mut pidone = Pidone::new(mode).env_clear();
    for (name, value) in &vars {
        pidone = pidone.env(*name, value);
    }
    let finished = pidone.kid(Kid::Env).run();
    assert_eq!(finished.code(), 0, "{mode:?}\n{finished}");
    let mut entries: Vec<&[u8]> = finished
        .stdout
        .strip_suffix(b"\0")
        .expect("NUL-terminated entries")
        .split(|&b| b == 0)
        .collect();
    entries.sort();
    let mut expected: Vec<Vec<u8>> = vars
        .iter()
        .map(|(name, value)| [name.as_bytes(), b"=", value.as_encoded_bytes()].concat())
        .chain([format!("PIDONE_TEST_KID={}", Kid::Env.encode()).into_bytes()])
        .collect();
    expected.sort();
    assert!(
        entries == expected,
        "{mode:?}: {:?}",
        entries
            .iter()
            .map(|e| String::from_utf8_lossy(&e[..e.len().min(40)]))
            .collect::<Vec<_>>()
    );
}
test_each_mode!(environment_passes_through_unchanged);

fn stdin_and_stdout_pass_through_unchanged(mode: Mode) {
    // A MiB of every byte value, in an order that repeats only slowly.
    let data: Vec<u8> = (0..1u32 << 20)
        .map(|i| (i ^ (i >> 8) ^ (i >> 16)) as u8)
        .collect();
    let finished = Pidone::new(mode)
        .stdin_bytes(data.clone())
        .kid(Kid::Cat)
        .run();
    assert_eq!(finished.code(), 0, "{mode:?}\n{finished}");
    assert!(
        finished.stdout == data,
        "{mode:?}: {} bytes out",
        finished.stdout.len()
    );
}
test_each_mode!(stdin_and_stdout_pass_through_unchanged);

fn bad_command_lines_are_usage_errors(mode: Mode) {
    // Each case, and what its message must name.
    let cases: [(&[&str], &str); 13] = [
        (&["-x", "true"], "'-x'"),
        (&["-sx", "true"], "'-x'"),
        (&["--nope", "true"], "'--nope'"),
        (&["-e"], "-e"),
        (&["-e", "300", "true"], "'300'"),
        (&["-e", "-1", "true"], "'-1'"),
        (&["-r", "1:x", "true"], "'x'"),
        (&["-r", "1", "true"], "'1'"),
        (&["-p", "NOPE", "true"], "'NOPE'"),
        (&["--grace", "1.5", "true"], "'1.5'"),
        (&[], "no program"),
        (&["--"], "no program"),
        (&["-P", "true"], "-P"),
    ];
    for (args, named) in cases {
        let finished = Pidone::new(mode).args(args).run();
        let what = format!("{mode:?} {args:?}\n{finished}");
        assert_eq!(finished.code(), 1, "{what}");
        assert!(finished.stdout.is_empty(), "{what}");
        let lines = finished.stderr_lines();
        assert_eq!(lines.len(), 2, "{what}");
        assert!(
            lines[0].starts_with("pidone: ") && lines[0].contains(named),
            "{what}"
        );
        assert!(lines[1].starts_with("usage: pidone"), "{what}");
    }
}
test_each_mode!(bad_command_lines_are_usage_errors);

fn help_and_version(mode: Mode) {
    for help in ["-h", "--help"] {
        let finished = Pidone::new(mode).arg(help).run();
        assert_eq!(finished.code(), 0, "{mode:?}\n{finished}");
        assert!(
            finished.stdout_text().starts_with("usage: pidone"),
            "{finished}"
        );
        assert!(finished.stderr.is_empty(), "{finished}");
    }
    let finished = Pidone::new(mode).arg("--version").run();
    assert_eq!(finished.code(), 0, "{mode:?}\n{finished}");
    assert!(finished.stderr.is_empty(), "{finished}");
    // As moby's parseInitVersion reads it for `docker info`: the version,
    // then ` - git.COMMIT`, COMMIT this checkout's (7 hex digits).
    let line = finished.stdout_text();
    let (version, commit) = line
        .trim_end()
        .split_once(" - ")
        .unwrap_or_else(|| panic!("{mode:?}: no ' - ' in {line:?}"));
    assert_eq!(
        version.strip_prefix("tini version "),
        Some(concat!("pidone-", env!("CARGO_PKG_VERSION"))),
        "{mode:?}: {line:?}"
    );
    let head = Command::new("git")
        .args(["rev-parse", "--short=7", "HEAD"])
        .output()
        .expect("git rev-parse");
    let head = String::from_utf8_lossy(&head.stdout);
    assert_eq!(
        commit.strip_prefix("git."),
        Some(head.trim()),
        "{mode:?}: {line:?}"
    );
}
test_each_mode!(help_and_version);

fn verbosity_from_v_and_tini_verbosity(mode: Mode) {
    let quiet = Pidone::new(mode).kid(Kid::Exit(3)).run();
    assert_eq!(quiet.code(), 3, "{mode:?}\n{quiet}");
    assert!(quiet.stderr.is_empty(), "{mode:?}\n{quiet}");
    let v = Pidone::new(mode).args(["-v", "--"]);
    let env = Pidone::new(mode).env("TINI_VERBOSITY", "2");
    for pidone in [v, env] {
        let finished = pidone.kid(Kid::Exit(3)).run();
        assert_eq!(finished.code(), 3, "{mode:?}\n{finished}");
        let lines = finished.stderr_lines();
        assert!(
            lines.len() == 1 && is_child_status(&lines[0], 3),
            "{mode:?}\n{finished}"
        );
    }
}
test_each_mode!(verbosity_from_v_and_tini_verbosity);

/// The `env` feature: options from PIDONE_ variables, the command line
/// winning over them, and a bad value a usage error that names its
/// variable.
#[cfg(feature = "env")]
fn options_from_pidone_variables(mode: Mode) {
    let finished = Pidone::new(mode)
        .env("PIDONE_SUCCESS_CODES", "4,3")
        .env("PIDONE_VERBOSITY", "2")
        .kid(Kid::Exit(3))
        .run();
    assert_eq!(finished.code(), 0, "{mode:?}\n{finished}");
    let lines = finished.stderr_lines();
    assert!(
        lines.len() == 1 && is_child_status(&lines[0], 3),
        "{mode:?}\n{finished}"
    );
    // `-e 5` on the command line: PIDONE_SUCCESS_CODES is not read.
    let finished = Pidone::new(mode)
        .env("PIDONE_SUCCESS_CODES", "3")
        .args(["-e", "5", "--"])
        .kid(Kid::Exit(3))
        .run();
    assert_eq!(finished.code(), 3, "{mode:?}\n{finished}");
    // A leftover that ignores TERM, killed after PIDONE_GRACE's second.
    let mut running = Pidone::new(mode)
        .env("PIDONE_GRACE", "1")
        .env("PIDONE_WARN_ZOMBIES", "1")
        .kid(Kid::Leftover {
            ignores_term: true,
            own_group: false,
            code: 6,
        })
        .spawn();
    assert_eq!(running.line(), "ready");
    assert_kid_status_and_leftover_killed_by(&running.wait(), SIGKILL, mode);
    for (name, value) in [
        ("PIDONE_GRACE", "1.5"),
        ("PIDONE_SUBREAPER", "yes"),
        ("PIDONE_REWRITE", "TERM:INT,HUP"),
        ("PIDONE_VERBOSITY", "-1"),
    ] {
        let finished = Pidone::new(mode).env(name, value).kid(Kid::Exit(0)).run();
        let what = format!("{mode:?} {name}={value}\n{finished}");
        assert_eq!(finished.code(), 1, "{what}");
        let lines = finished.stderr_lines();
        assert!(
            lines.len() == 2 && lines[0].starts_with(&format!("pidone: {name}: ")),
            "{what}"
        );
        assert!(lines[1].starts_with("usage: pidone"), "{what}");
    }
}
#[cfg(feature = "env")]
test_each_mode!(options_from_pidone_variables);

/// QEMU 7 refuses PR_SET_CHILD_SUBREAPER: a seccomp filter does the same.
#[test]
fn refused_subreaper_is_one_warning() {
    // Not PID 1: pidone asks, is refused, says so once, and goes on.
    let mut running = Pidone::new(Mode::Subreaper)
        .refusing_subreaper()
        .kid(Kid::Signals(1))
        .spawn();
    assert_eq!(running.line(), "ready");
    running.signal(SIGTERM);
    assert_eq!(running.line(), SIGTERM.to_string());
    let finished = running.wait();
    assert_eq!(finished.code(), 0, "{finished}");
    assert_eq!(finished.stderr_lines(), [SUBREAPER_WARNING], "{finished}");

    let finished = Pidone::new(Mode::Subreaper)
        .refusing_subreaper()
        .kid(Kid::Exit(3))
        .run();
    assert_eq!(finished.code(), 3, "{finished}");
    assert_eq!(finished.stderr_lines(), [SUBREAPER_WARNING], "{finished}");

    let finished = Pidone::new(Mode::Subreaper)
        .refusing_subreaper()
        .env("TINI_VERBOSITY", "0")
        .kid(Kid::Exit(3))
        .run();
    assert_eq!(finished.code(), 3, "{finished}");
    assert!(finished.stderr.is_empty(), "{finished}");

    // PID 1 asks only with -s or TINI_SUBREAPER.
    let plain = Pidone::new(Mode::Pid1).arg("--");
    let s = Pidone::new(Mode::Pid1).args(["-s", "--"]);
    let env = Pidone::new(Mode::Pid1).env("TINI_SUBREAPER", "");
    for (pidone, asks) in [(plain, false), (s, true), (env, true)] {
        let finished = pidone.refusing_subreaper().kid(Kid::Exit(3)).run();
        assert_eq!(finished.code(), 3, "{finished}");
        let expected: &[&str] = if asks { &[SUBREAPER_WARNING] } else { &[] };
        assert_eq!(finished.stderr_lines(), expected, "{finished}");
    }
}

/// `-u USER[:GROUP]` (the `user` feature): the program runs with the ids
/// asked for, pidone keeps its own, and what cannot be done is exit 123
/// with the program never run. Names here are the host's; tests/hardening's
/// empty root has files of its own.
#[cfg(feature = "user")]
mod user {
    use super::*;

    /// The kid's ids, as [`Kid::Ids`] prints them, and pidone's own
    /// `Uid`, `Gid` and `Groups` lines of `/proc/PID/status`, while the kid
    /// runs; then the finished run.
    fn ids(pidone: Pidone) -> ([String; 3], [String; 3], Finished) {
        let mut running = pidone.kid(Kid::Ids).stdin_piped().spawn();
        let kid = [running.line(), running.line(), running.line()];
        let pid = running.pidone_pid();
        let own = ["Uid", "Gid", "Groups"].map(|name| {
            let value = status_field(pid, name).expect("/proc/PID/status");
            value.split_whitespace().collect::<Vec<_>>().join(" ")
        });
        running.close_stdin();
        (kid, own, running.wait())
    }

    /// What [`Kid::Ids`] prints for these ids, the groups in any order.
    fn kid_ids(uid: u32, gid: u32, groups: &[u32]) -> [String; 3] {
        let mut groups = groups.to_vec();
        groups.sort_unstable();
        let groups: Vec<String> = groups.iter().map(u32::to_string).collect();
        [
            format!("uid {uid} {uid} {uid}"),
            format!("gid {gid} {gid} {gid}"),
            format!("groups {}", groups.join(" ")),
        ]
    }

    /// `id FLAG USER` on the host: glibc's answer, the model for names.
    fn host_id(flag: &str, user: &str) -> Vec<u32> {
        let out = Command::new(host_tool("id"))
            .args([flag, user])
            .output()
            .expect("id");
        assert!(out.status.success(), "id {flag} {user}: {out:?}");
        let mut ids: Vec<u32> = String::from_utf8(out.stdout)
            .expect("id's output")
            .split_whitespace()
            .map(|n| n.parse().expect("a number"))
            .collect();
        ids.sort_unstable();
        ids.dedup();
        ids
    }

    fn runs_as_the_user_asked_for(mode: Mode) {
        // pidone's own ids: the test's.
        let own = ids(Pidone::new(mode).arg("--")).1;
        // SAFETY: plain calls.
        let (uid, gid) = unsafe { (libc::getuid(), libc::getgid()) };
        assert_eq!(uid, 0, "the tests run as root");
        let numeric = Pidone::new(mode).args(["-u", "65534:65534", "--"]);
        let (nobody, nogroup) = (host_id("-u", "nobody")[0], host_id("-g", "nobody")[0]);
        let cases = [
            (numeric, kid_ids(65534, 65534, &[65534])),
            // A name, and its gid and groups from /etc/passwd and
            // /etc/group, as glibc's initgroups gives them.
            (
                Pidone::new(mode).args(["-u", "nobody", "--"]),
                kid_ids(nobody, nogroup, &host_id("-G", "nobody")),
            ),
            // A number with an entry is that entry's user.
            (
                Pidone::new(mode).args(["-u", &nobody.to_string(), "--"]),
                kid_ids(nobody, nogroup, &host_id("-G", "nobody")),
            ),
            // A group given: the gid and the one group, whatever the
            // user's own.
            (
                Pidone::new(mode).args(["-unobody:0", "--"]),
                kid_ids(nobody, 0, &[0]),
            ),
            // A number with no entry: pidone's own gid, as su-exec and
            // gosu do.
            (
                Pidone::new(mode).args(["-u", "4000000", "--"]),
                kid_ids(4_000_000, gid, &[gid]),
            ),
        ];
        for (pidone, want) in cases {
            let (kid, pidone_ids, finished) = ids(pidone);
            assert_eq!(kid, want, "{mode:?}\n{finished}");
            assert_eq!(pidone_ids, own, "{mode:?}: pidone's own ids\n{finished}");
            assert_eq!(finished.code(), 0, "{mode:?}\n{finished}");
            assert!(finished.stderr.is_empty(), "{mode:?}\n{finished}");
        }
        #[cfg(feature = "env")]
        {
            let pidone = Pidone::new(mode).env("PIDONE_USER", "65534:65534");
            let (kid, _, finished) = ids(pidone);
            assert_eq!(kid, kid_ids(65534, 65534, &[65534]), "{mode:?}\n{finished}");
        }
    }
    test_each_mode!(runs_as_the_user_asked_for);

    /// A name not found, or a call refused, is exit 123 and one line, and
    /// the program never runs.
    fn what_cannot_be_done_runs_nothing(mode: Mode) {
        // pidone, not root, cannot give up its groups: the child's
        // setgroups fails.
        let not_root = ["--reuid=65534", "--regid=65534", "--clear-groups"];
        let setpriv = [host_tool("setpriv").into_os_string()]
            .into_iter()
            .chain(not_root.map(OsString::from));
        let cases = [
            (
                Pidone::new(mode).args(["-u", "pidone-no-such-user", "--"]),
                "pidone: -u: no user 'pidone-no-such-user' in /etc/passwd",
            ),
            (
                Pidone::new(mode).args(["-u", "nobody:pidone-no-such-group", "--"]),
                "pidone: -u: no group 'pidone-no-such-group' in /etc/group",
            ),
            (
                Pidone::new(mode).args(["-u", "0:pidone-no-such-group", "--"]),
                "pidone: -u: no group 'pidone-no-such-group' in /etc/group",
            ),
            (
                Pidone::new(mode)
                    .exec_through(setpriv)
                    .args(["-u", "0", "--"]),
                "pidone: -u: setgroups: Operation not permitted",
            ),
        ];
        for (pidone, message) in cases {
            let finished = pidone.kid(Kid::Ids).run();
            assert_eq!(finished.code(), 123, "{mode:?}\n{finished}");
            assert_eq!(finished.stderr_lines(), [message], "{mode:?}\n{finished}");
            assert!(
                finished.stdout.is_empty(),
                "{mode:?}: the kid ran\n{finished}"
            );
        }
    }
    test_each_mode!(what_cannot_be_done_runs_nothing);
}
