//! The reaping library's public API, with real processes.
//!
//! Each test runs a scenario (`scenario.rs`) in a fresh process of
//! this test binary, which reaps as a child subreaper and prints what it
//! saw; the test reads that and asserts. Under QEMU, the scenario's process
//! starts with `$PIDONE_TARGET_RUNNER` in front: it runs emulated as the
//! test does, and an aarch64 binary runs at all.

#[path = "../common/mod.rs"]
mod common;
mod scenario;
mod wire;

/// This test binary's roles, besides common's.
type OwnRole = Scenario;

use common::{Mode, Process, Role, process, test_program};
use pidone::signal::{self, Signal, SignalSet};
use pidone::{ChildStatus, Errno, Error, Pid, Reaped};
use scenario::{
    COMMANDS, FORK_INIT_CODE, IDLE_TIMEOUT, ORPHANS, PRODUCER_CODES, QUEUE_CODES, RT_SIGNAL,
    RUN_ORPHANS, STATUS_SCRIPTS, Scenario, THREAD_ORPHANS,
};
use std::collections::{HashMap, HashSet};
use std::io::{BufRead, BufReader, Read};
use std::os::unix::process::CommandExt;
use std::process::{Child, ChildStdout, Command, Stdio};
use std::sync::mpsc::{self, RecvTimeoutError};
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant};

/// How long a scenario may run before the test kills it with everything it
/// started: far beyond what any takes, under QEMU included. The scenarios
/// give up on their own sooner, and say why.
const WATCHDOG: Duration = Duration::from_secs(120);

#[test]
fn two_hundred_orphans_are_all_reaped_and_reported() {
    let outcome = run(Scenario::Orphans);
    let intermediates = outcome.pids("intermediate");
    let orphans = outcome.pids("orphan");
    assert_eq!(intermediates.len(), ORPHANS);
    assert_eq!(orphans.len(), ORPHANS);
    let everyone: HashSet<Pid> = intermediates.iter().chain(&orphans).copied().collect();
    assert_eq!(everyone.len(), 2 * ORPHANS, "pids are not distinct");

    let reports = outcome.reaped("reaped");
    let mut by_pid: HashMap<Pid, Vec<ChildStatus>> = HashMap::new();
    for reaped in &reports {
        by_pid.entry(reaped.pid).or_default().push(reaped.status);
    }
    for pid in &intermediates {
        assert_eq!(
            by_pid.get(pid),
            Some(&vec![ChildStatus::Exited(0)]),
            "{pid:?}"
        );
    }
    for pid in &orphans {
        assert_eq!(
            by_pid.get(pid),
            Some(&vec![ChildStatus::Exited(7)]),
            "{pid:?}"
        );
    }
    assert_eq!(reports.len(), 2 * ORPHANS, "reports of other processes");
    assert_eq!(outcome.values("zombie"), Vec::<&str>::new());
    assert_eq!(outcome.value("left"), echild());
}

#[test]
fn statuses_are_decoded() {
    let outcome = run(Scenario::Statuses);
    let children = outcome.pids("child");
    assert_eq!(children.len(), STATUS_SCRIPTS.len());
    let reports = outcome.reaped("reaped");
    assert_eq!(reports.len(), children.len());
    let status = |index: usize| {
        let found: Vec<ChildStatus> = reports
            .iter()
            .filter(|r| r.pid == children[index])
            .map(|r| r.status)
            .collect();
        assert_eq!(found.len(), 1, "{}: {found:?}", STATUS_SCRIPTS[index]);
        found[0]
    };
    let killed = |signal| ChildStatus::Killed {
        signal,
        core_dumped: false,
    };
    assert_eq!(status(0), ChildStatus::Exited(0));
    assert_eq!(status(1), ChildStatus::Exited(3));
    assert_eq!(status(2), ChildStatus::Exited(255));
    assert_eq!(status(3), killed(Signal::KILL));
    assert_eq!(status(4), killed(Signal::TERM));
    // A `core_pattern` that pipes to a program dumps core whatever
    // RLIMIT_CORE says: only the signal is certain.
    assert!(
        matches!(status(5), ChildStatus::Killed { signal, .. } if signal == Signal::SEGV),
        "{:?}",
        status(5)
    );
    let codes: Vec<Option<u8>> = (0..children.len()).map(|i| status(i).code()).collect();
    let shell_codes = [0, 3, 255, 128 + 9, 128 + 15, 128 + 11];
    assert_eq!(codes, shell_codes.map(Some));
}

#[test]
fn stops_and_continues_are_reported_when_asked_for() {
    let outcome = run(Scenario::StopReported);
    let pid = outcome.pid("child");
    assert_eq!(outcome.value("after-stop"), "T");
    assert_ne!(outcome.value("after-continue"), "T");
    let reaped = |status| Reaped { pid, status };
    assert_eq!(
        outcome.reaped("reaped"),
        [
            reaped(ChildStatus::Stopped(Signal::STOP)),
            reaped(ChildStatus::Continued),
            reaped(ChildStatus::Exited(5)),
        ]
    );
}

#[test]
fn stops_and_continues_are_not_reported_unless_asked_for() {
    let outcome = run(Scenario::StopUnreported);
    let pid = outcome.pid("child");
    // The reaper drained while the child was stopped, and again once it
    // was continued: there was something it could have reported.
    assert_eq!(outcome.value("after-stop"), "T");
    assert_ne!(outcome.value("after-continue"), "T");
    assert_eq!(
        outcome.reaped("reaped"),
        [Reaped {
            pid,
            status: ChildStatus::Exited(5)
        }]
    );
}

#[test]
fn a_reaper_of_one_pid_leaves_other_zombies_alone() {
    let outcome = run(Scenario::OnePid);
    let target = outcome.pid("target");
    assert_eq!(
        outcome.reaped("reaped"),
        [Reaped {
            pid: target,
            status: ChildStatus::Exited(4)
        }]
    );
    assert_bystanders_left_as_zombies(&outcome);
}

#[test]
fn a_reaper_of_one_group_leaves_other_zombies_alone() {
    let outcome = run(Scenario::Group);
    let leader = outcome.pid("group");
    let member = outcome.pid("member");
    let reported: HashMap<Pid, ChildStatus> = outcome
        .reaped("reaped")
        .into_iter()
        .map(|r| (r.pid, r.status))
        .collect();
    let expected = HashMap::from([
        (leader, ChildStatus::Exited(4)),
        (member, ChildStatus::Exited(5)),
    ]);
    assert_eq!(reported, expected);
    assert_eq!(outcome.values("reaped").len(), 2, "reported twice");
    assert_bystanders_left_as_zombies(&outcome);
}

/// The bystanders of [`Scenario::OnePid`] and [`Scenario::Group`] (which
/// exit 1 and 2) were still zombies after the reaper's drains, and kept
/// their statuses for whoever waits for them.
fn assert_bystanders_left_as_zombies(outcome: &Transcript) {
    let bystanders: Vec<(Pid, &str)> = outcome
        .values("bystander")
        .into_iter()
        .map(|value| {
            let (pid, state) = value.split_once(' ').expect("PID STATE");
            (wire::parse_pid(pid), state)
        })
        .collect();
    assert_eq!(bystanders.len(), 2);
    for (pid, state) in &bystanders {
        assert_eq!(*state, "Z", "{pid:?}");
    }
    let statuses = [ChildStatus::Exited(1), ChildStatus::Exited(2)];
    let expected: Vec<Reaped> = bystanders
        .iter()
        .zip(statuses)
        .map(|(&(pid, _), status)| Reaped { pid, status })
        .collect();
    assert_eq!(outcome.reaped("then"), expected);
}

#[test]
fn a_full_queue_counts_what_it_drops() {
    let outcome = run(Scenario::FullQueue);
    // heapless's `Queue<_, N>` holds N - 1.
    for (label, codes, capacity) in [("queue", QUEUE_CODES, 4), ("producer", PRODUCER_CODES, 3)] {
        let children: HashMap<Pid, u8> = outcome
            .values(&format!("{label}-child"))
            .into_iter()
            .map(|value| {
                let (pid, code) = value.split_once(' ').expect("PID CODE");
                (wire::parse_pid(pid), code.parse().expect("an exit code"))
            })
            .collect();
        assert_eq!(children.len(), codes.len(), "{label}");
        let excess = codes.len() - capacity;
        assert_eq!(
            outcome.value(&format!("{label}-count")),
            codes.len().to_string(),
            "{label}: every child is reaped, delivered or not"
        );
        assert_eq!(
            outcome.value(&format!("{label}-dropped")),
            excess.to_string(),
            "{label}"
        );
        let delivered = outcome.reaped(&format!("{label}-delivered"));
        assert_eq!(delivered.len(), capacity, "{label}");
        let distinct: HashSet<Pid> = delivered.iter().map(|r| r.pid).collect();
        assert_eq!(distinct.len(), capacity, "{label}: {delivered:?}");
        for reaped in &delivered {
            let code = children.get(&reaped.pid).copied();
            let status = code.map(ChildStatus::Exited);
            assert_eq!(Some(reaped.status), status, "{label}: {reaped:?}");
        }
        assert_eq!(outcome.value(&format!("{label}-left")), echild(), "{label}");
    }
}

#[test]
fn with_no_children_a_drain_ends_at_once() {
    let outcome = run(Scenario::NoChildren);
    let (result, micros) = outcome
        .value("reap")
        .split_once(' ')
        .expect("RESULT MICROSECONDS");
    assert_eq!(result, format!("{:?}", Ok::<usize, Error>(0)));
    // Generous, for QEMU: a drain that slept would take far longer.
    let micros: u64 = micros.parse().expect("microseconds");
    assert!(micros < 1_000_000, "{micros} µs");
    assert_eq!(outcome.value("wait_nohang"), echild());
}

#[test]
fn a_drain_says_whether_children_are_left() {
    let outcome = run(Scenario::ChildrenLeft);
    let child = outcome.pids("child");
    // While the child runs: nothing reaped, and it is left.
    assert_eq!(outcome.value("running"), "0 true");
    let reports = outcome.reaped("reaped");
    assert_eq!(reports.len(), 1);
    assert_eq!(reports[0].pid, child[0]);
    assert_eq!(reports[0].status, ChildStatus::Exited(4));
    // Once it is reaped, wait4 says ECHILD: none is left.
    assert_eq!(outcome.value("exited"), "false");
    assert_eq!(outcome.value("drain"), "Ok(false) 0");
}

#[test]
fn an_idle_reaper_sleeps_without_cpu_until_its_signal() {
    let mut idle = Running::start(Scenario::Idle, Stdio::null());
    let pid = idle.pid();
    let timed_out = idle.next_line();
    assert_eq!(idle.next_line(), "waiting");
    let before = await_sleep(pid);
    // The length of the idle time being measured, not a synchronisation.
    thread::sleep(Duration::from_secs(1));
    let after = process(pid.as_raw_pid()).expect("the idle reaper is gone");
    signal::send(pid, Signal::USR1).expect("cannot send SIGUSR1");
    let outcome = idle.finish();

    let (result, millis) = timed_out
        .strip_prefix("timed-out ")
        .and_then(|rest| rest.split_once(' '))
        .expect("timed-out RESULT MILLISECONDS");
    assert_eq!(result, "none");
    let millis: u128 = millis.parse().expect("milliseconds");
    let timeout = IDLE_TIMEOUT.as_millis();
    assert!((timeout..timeout + 5_000).contains(&millis), "{millis} ms");

    assert_eq!(after.state, 'S', "no longer asleep: {after:?}");
    // A tick is 10 ms of CPU time; spinning for the second would take 100.
    // One more than nothing allows for the time spent going to sleep,
    // which the ticks counted before may have been just short of.
    let used = after.cpu_ticks.saturating_sub(before.cpu_ticks);
    assert!(used <= 1, "{used} ticks of CPU time in a second of waiting");
    assert_eq!(
        outcome.value("woke"),
        Signal::USR1.as_raw().to_string(),
        "wait(None) did not return SIGUSR1"
    );
}

/// Waits until `pid` is asleep, and returns its stat then.
fn await_sleep(pid: Pid) -> Process {
    // The process says it is about to wait, not that it is waiting: there
    // is nothing to wait on for that but its state.
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let stat = process(pid.as_raw_pid()).expect("the idle reaper is gone");
        if stat.state == 'S' {
            return stat;
        }
        assert!(Instant::now() < deadline, "never went to sleep: {stat:?}");
        thread::sleep(Duration::from_millis(10));
    }
}

#[test]
fn the_pid1_check_refuses_unless_off_or_a_subreaper() {
    let outcome = run(Scenario::Pid1Check);
    assert_eq!(outcome.value("is-pid1"), "false");
    assert_eq!(outcome.value("subreaper-before"), "false");
    assert_eq!(
        outcome.value("strict"),
        format!("{:?}", Err::<(), _>(Error::NotPid1))
    );
    let ok = format!("{:?}", Ok::<(), Error>(()));
    assert_eq!(outcome.value("lenient"), ok);
    assert_eq!(outcome.value("as-subreaper"), ok);
    assert_eq!(outcome.value("subreaper-after"), "true");
}

#[test]
fn run_reaps_orphans_into_a_closure() {
    let mut running = Running::start(Scenario::Run, Stdio::piped());
    while running.next_line() != "running" {}
    let intermediates = running.transcript.pids("intermediate");
    let orphans = running.transcript.pids("orphan");
    assert_eq!(intermediates.len(), RUN_ORPHANS);
    assert_eq!(orphans.len(), RUN_ORPHANS);

    let mut reported = HashMap::new();
    let mut read_reports_of = |running: &mut Running, pids: &[Pid]| {
        while !pids.iter().all(|pid| reported.contains_key(pid)) {
            let line = running.next_line();
            let reaped = wire::parse(line.strip_prefix("reaped ").expect("a reaped line"));
            let again = reported.insert(reaped.pid, reaped.status);
            assert_eq!(again, None, "{:?} reported twice", reaped.pid);
        }
    };
    read_reports_of(&mut running, &intermediates);
    // The orphans exit when the scenario's stdin closes.
    running.close_stdin();
    read_reports_of(&mut running, &orphans);
    running.kill();

    let expected: HashMap<Pid, ChildStatus> = intermediates
        .iter()
        .map(|&pid| (pid, ChildStatus::Exited(0)))
        .chain(orphans.iter().map(|&pid| (pid, ChildStatus::Exited(7))))
        .collect();
    assert_eq!(reported, expected);
}

#[test]
fn signals_besides_sigchld_are_returned_by_wait() {
    let outcome = run(Scenario::Signals);
    let mut extra: Vec<i32> = outcome
        .values("extra")
        .into_iter()
        .map(|value| value.parse().expect("a signal number"))
        .collect();
    extra.sort_unstable();
    let sent = [Signal::HUP, Signal::USR1, Signal::TERM].map(Signal::as_raw);
    assert_eq!(extra, [sent[0], sent[1], sent[2], RT_SIGNAL]);
    assert_eq!(outcome.value("then"), "none");
    assert_eq!(
        outcome.value("after-exit"),
        Signal::CHLD.as_raw().to_string()
    );
}

/// What a `wait_nohang` with no child at all says.
fn echild() -> String {
    format!("errno {}", Errno::CHILD.raw_os_error())
}

/// Runs `scenario` to its end, and returns what it printed.
fn run(scenario: Scenario) -> Transcript {
    Running::start(scenario, Stdio::null()).finish()
}

/// The lines a scenario printed: `KEY VALUE...`.
#[derive(Debug, Default)]
struct Transcript {
    lines: Vec<String>,
}

impl Transcript {
    /// The values of every line with `key`, in order.
    fn values(&self, key: &str) -> Vec<&str> {
        self.lines
            .iter()
            .filter_map(|line| line.strip_prefix(key)?.strip_prefix(' '))
            .collect()
    }

    /// The value of the one line with `key`.
    fn value(&self, key: &str) -> &str {
        match self.values(key)[..] {
            [value] => value,
            ref values => panic!("{} lines with {key:?}: {values:?}", values.len()),
        }
    }

    fn pids(&self, key: &str) -> Vec<Pid> {
        self.values(key).into_iter().map(wire::parse_pid).collect()
    }

    fn pid(&self, key: &str) -> Pid {
        wire::parse_pid(self.value(key))
    }

    fn reaped(&self, key: &str) -> Vec<Reaped> {
        self.values(key).into_iter().map(wire::parse).collect()
    }
}

/// A scenario's process, started in a process group of its own, which a
/// watchdog kills if it runs too long, and dropping does if it still runs.
struct Running {
    scenario: Scenario,
    child: Child,
    stdout: BufReader<ChildStdout>,
    transcript: Transcript,
    stderr: Option<JoinHandle<String>>,
    /// Dropping it disarms the watchdog.
    disarm: Option<mpsc::Sender<()>>,
    /// Says whether it fired.
    watchdog: Option<JoinHandle<bool>>,
}

impl Running {
    fn start(scenario: Scenario, stdin: Stdio) -> Running {
        Running::start_in(scenario, stdin, Mode::Subreaper)
    }

    /// [`Running::start`], as PID 1 of a new PID namespace with
    /// [`Mode::Pid1`].
    fn start_in(scenario: Scenario, stdin: Stdio, mode: Mode) -> Running {
        let mut program = test_program();
        if mode == Mode::Pid1 {
            program.splice(0..0, common::pid1_prefix());
        }
        let mut child = Command::new(&program[0])
            .args(&program[1..])
            .env(Scenario::VAR, scenario.encode())
            .stdin(stdin)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .process_group(0)
            .spawn()
            .expect("cannot start the scenario");
        let stdout = BufReader::new(child.stdout.take().expect("stdout is piped"));
        let mut stderr = child.stderr.take().expect("stderr is piped");
        let stderr = thread::spawn(move || {
            let mut text = String::new();
            let _ = stderr.read_to_string(&mut text);
            text
        });
        let group = i32::try_from(child.id())
            .ok()
            .and_then(Pid::from_raw)
            .expect("a pid is a positive i32");
        let (disarm, armed) = mpsc::channel::<()>();
        let watchdog = thread::spawn(move || {
            let fired = armed.recv_timeout(WATCHDOG) == Err(RecvTimeoutError::Timeout);
            if fired {
                let _ = signal::send_group(group, Signal::KILL);
            }
            fired
        });
        Running {
            scenario,
            child,
            stdout,
            transcript: Transcript::default(),
            stderr: Some(stderr),
            disarm: Some(disarm),
            watchdog: Some(watchdog),
        }
    }

    /// The scenario's pid (the pid of QEMU running it, under QEMU: the same
    /// process).
    fn pid(&self) -> Pid {
        i32::try_from(self.child.id())
            .ok()
            .and_then(Pid::from_raw)
            .expect("a pid is a positive i32")
    }

    /// The next line the scenario prints; panics if it ends first.
    fn next_line(&mut self) -> String {
        let mut line = String::new();
        let read = self.stdout.read_line(&mut line);
        if read.is_err() || !line.ends_with('\n') {
            let (status, stderr) = self.end();
            panic!(
                "{:?} ended without saying more: {status}, after {:#?}; stderr:\n{stderr}",
                self.scenario, self.transcript.lines
            );
        }
        line.pop();
        self.transcript.lines.push(line.clone());
        line
    }

    fn close_stdin(&mut self) {
        drop(self.child.stdin.take());
    }

    /// Reads what is left of the scenario's output, and returns it all once
    /// it has exited successfully.
    fn finish(mut self) -> Transcript {
        let mut rest = String::new();
        let read = self.stdout.read_to_string(&mut rest);
        self.transcript
            .lines
            .extend(rest.lines().map(str::to_owned));
        let (status, stderr) = self.end();
        // Shown with the test's output if it fails.
        println!(
            "{:?}: {status}\n{}",
            self.scenario,
            self.transcript.lines.join("\n")
        );
        assert!(
            read.is_ok() && status.success(),
            "{:?} failed: {status}; stderr:\n{stderr}",
            self.scenario
        );
        std::mem::take(&mut self.transcript)
    }

    /// Kills the scenario, which would run forever.
    fn kill(mut self) {
        let _ = signal::send_group(self.pid(), Signal::KILL);
        self.end();
    }

    /// Waits for the scenario to exit, disarms the watchdog, and returns the
    /// exit status and stderr; panics if the watchdog fired.
    fn end(&mut self) -> (std::process::ExitStatus, String) {
        let status = self.child.wait().expect("cannot wait for the scenario");
        drop(self.disarm.take());
        let fired = self
            .watchdog
            .take()
            .is_some_and(|w| w.join().unwrap_or(true));
        let stderr = self.stderr.take().map_or_else(String::new, |s| {
            s.join().unwrap_or_else(|_| "(unreadable)".to_owned())
        });
        assert!(!fired, "{:?} timed out after {WATCHDOG:?}", self.scenario);
        (status, stderr)
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        // A failed assertion leaves the scenario running: stop it and what
        // it started.
        if let Ok(None) = self.child.try_wait() {
            let _ = signal::send_group(self.pid(), Signal::KILL);
            let _ = self.child.wait();
        }
        drop(self.disarm.take());
        if let Some(watchdog) = self.watchdog.take() {
            let _ = watchdog.join();
        }
    }
}

/// The errors read as sentences with `{}`, errno included, and go into a
/// `Box<dyn std::error::Error>` as `?` and `anyhow` want them.
#[test]
fn errors_are_std_errors() {
    let subreaper: Box<dyn std::error::Error> = Box::new(Error::Subreaper(Errno::INVAL));
    assert_eq!(
        subreaper.to_string(),
        format!("cannot become a child subreaper: {}", Errno::INVAL)
    );
    assert!(Error::NotPid1.to_string().contains("child subreaper"));
    let boxed: Box<dyn std::error::Error> = Box::new(Signal::parse(b"TREM").unwrap_err());
    assert_eq!(
        boxed.to_string(),
        "not a signal name or number from 1 to 64"
    );
}

/// In a program with a libc (this test binary links musl), the safe
/// functions never block, wait for, ignore or send signals 32 and 33, which
/// the libc's threads use: they leave them out of sets and refuse them
/// alone. On a thread of its own, since the mask is per thread.
#[test]
fn safe_functions_leave_the_libc_signals_alone() {
    thread::spawn(|| {
        let reserved = SignalSet::LIBC_RESERVED;
        assert_eq!(
            reserved.iter().map(Signal::as_raw).collect::<Vec<_>>(),
            [32, 33]
        );
        let before = signal::block(SignalSet::ALL).expect("rt_sigprocmask");
        let blocked = common::signal_mask();
        let during_set_mask = {
            signal::set_mask(SignalSet::ALL).expect("rt_sigprocmask");
            common::signal_mask()
        };
        signal::set_mask(before).expect("rt_sigprocmask");
        let unblockable = SignalSet::EMPTY.with(Signal::KILL).with(Signal::STOP);
        let mut expected = SignalSet::ALL.difference(reserved).difference(unblockable);
        // QEMU keeps the highest signals for itself, and blocks none of them.
        if common::target_runner().is_some() {
            expected = SignalSet::from_bits(expected.bits() & (common::signal_bit(61) - 1));
        }
        assert_eq!(SignalSet::from_bits(blocked), expected, "after block(ALL)");
        assert_eq!(
            SignalSet::from_bits(during_set_mask),
            expected,
            "after set_mask(ALL)"
        );
        // An empty set once 32 and 33 are out: nothing to take.
        assert_eq!(
            signal::wait(reserved, Some(Duration::ZERO)),
            Err(Errno::AGAIN)
        );
        let me = Pid::from_raw(std::process::id() as i32).expect("a pid");
        for signal in reserved.iter() {
            assert_eq!(signal::set_ignored(signal, true), Err(Errno::INVAL));
            assert_eq!(signal::send(me, signal), Err(Errno::INVAL));
            assert_eq!(signal::send_group(me, signal), Err(Errno::INVAL));
            assert_eq!(
                pidone::set_parent_death_signal(Some(signal)),
                Err(Errno::INVAL)
            );
        }
        // The check is on 32 and 33 only: 34 goes through.
        let rtmin = Signal::from_raw(34).expect("signal 34");
        assert_eq!(signal::set_ignored(rtmin, true), Ok(false));
        assert_eq!(signal::set_ignored(rtmin, false), Ok(true));
    })
    .join()
    .expect("the checks passed");
}

/// A reaper started on a thread while a thread that does not block SIGCHLD
/// exists refuses at once, rather than sleep through every orphan's exit.
#[test]
fn a_reaper_started_beside_an_unblocking_thread_refuses() {
    let outcome = run(Scenario::ThreadFirst);
    assert_eq!(
        outcome.value("start"),
        format!("{:?}", Err::<(), _>(Error::ThreadsUnblocked))
    );
}

/// SIGCHLD blocked in `main` before any thread: a reaper started and run
/// on a thread of its own reaps every orphan, with another thread around.
#[test]
fn a_reaper_on_a_thread_reaps_every_orphan_when_main_blocked_first() {
    let outcome = run(Scenario::BlockedFirst);
    let count = THREAD_ORPHANS.to_string();
    assert_eq!(outcome.value("orphans"), count);
    assert_eq!(outcome.value("orphans-reaped"), count);
    assert_eq!(outcome.value("zombies"), "0");
    common::report(&format!(
        "reaper on a thread: {count} of {count} orphans reaped, 0 zombies"
    ));
}

/// Whether the fork_init tests cannot run here: under QEMU, whose own
/// threads (its RCU thread) are in `/proc/self/task`, `fork_init` refuses
/// with `Error::Threads`, as it should in a program with threads. Says so.
fn fork_init_cannot_run() -> bool {
    let emulated = common::target_runner().is_some();
    if emulated {
        common::report("fork_init test skipped: under QEMU, QEMU's own threads exist");
    }
    emulated
}

/// The in-process init, as PID 1 of a new namespace and as a child
/// subreaper: 1,000 `Command::status` calls of the program, each of whose
/// shells leaves an orphan, all get their own status back (none fails with
/// ECHILD), an orphan is the init's, and the init is left with no zombie.
fn fork_init_keeps_commands_working_and_reaps_orphans(mode: Mode) {
    if fork_init_cannot_run() {
        return;
    }
    let outcome = Running::start_in(Scenario::ForkInitRace, Stdio::null(), mode).finish();
    assert_eq!(outcome.value("init-pid1"), (mode == Mode::Pid1).to_string());
    assert_eq!(outcome.value("right"), COMMANDS.to_string());
    assert_eq!(outcome.value("wrong"), "0");
    assert_eq!(outcome.value("echild"), "0");
    assert_eq!(outcome.value("other"), "0");
    assert_eq!(outcome.value("init-others"), "0");
    assert_eq!(outcome.value("init-zombies"), "0");
    assert_eq!(outcome.value("orphan-adopted"), "Some(true)");
    common::report(&format!(
        "fork_init ({mode:?}): {} of {COMMANDS} statuses right, 0 ECHILD, 0 zombies left",
        outcome.value("right")
    ));
}

/// The init exits with its child's exit code.
fn fork_init_exits_with_the_childs_code(mode: Mode) {
    if fork_init_cannot_run() {
        return;
    }
    let mut running = Running::start_in(Scenario::ForkInitExit, Stdio::null(), mode);
    let (status, stderr) = running.end();
    assert_eq!(status.code(), Some(FORK_INIT_CODE), "{stderr}");
}

/// SIGTERM to the init reaches the child, which dies of it, and the init
/// exits 128 + 15. As PID 1 the init is `unshare`'s child.
fn fork_init_forwards_signals_and_exits_128_plus_the_signal(mode: Mode) {
    if fork_init_cannot_run() {
        return;
    }
    let mut running = Running::start_in(Scenario::ForkInitTerm, Stdio::null(), mode);
    assert_eq!(running.next_line(), "ready");
    let init = match mode {
        Mode::Pid1 => {
            let children = common::children(running.pid().as_raw_pid());
            let [init] = children[..] else {
                panic!("unshare's children: {children:?}");
            };
            Pid::from_raw(init.pid).expect("a pid")
        }
        Mode::Subreaper => running.pid(),
    };
    signal::send(init, Signal::TERM).expect("cannot send SIGTERM");
    let (status, stderr) = running.end();
    assert_eq!(status.code(), Some(128 + 15), "{stderr}");
}

common::test_each_mode!(
    fork_init_keeps_commands_working_and_reaps_orphans,
    fork_init_exits_with_the_childs_code,
    fork_init_forwards_signals_and_exits_128_plus_the_signal,
);

/// examples/tokio_reaper: `fork_init`, then a tokio runtime whose
/// `tokio::process` children, each leaving an orphan, all get their own
/// status back, and the init is left with no zombie.
#[test]
fn the_tokio_example_gets_every_status_and_leaves_no_zombie() {
    if fork_init_cannot_run() {
        return;
    }
    let program = common::example_program("tokio_reaper");
    let output = Command::new(&program[0])
        .args(&program[1..])
        .arg("200")
        .output()
        .expect("cannot run the example");
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "{}: {stdout}{}",
        output.status,
        String::from_utf8_lossy(&output.stderr)
    );
    assert_eq!(stdout, "200 of 200 statuses right\n0 zombies left\n");
    common::report(&format!("tokio_reaper: {}", stdout.replace('\n', "; ")));
}
