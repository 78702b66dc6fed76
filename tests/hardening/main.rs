//! Hardening: pidone under load (storms and bursts of orphans, a storm of
//! signals), under faults (`fork` failing, programs that cannot run, fault
//! and stop signals sent with `kill`, a stopped child, its parent's death),
//! and as PID 1 of an empty root, as in a `FROM scratch` image.
//!
//! pidone's programs are this test binary, in the roles of `roles.rs` and
//! `common`'s kid. Under QEMU the continuous storm is smaller
//! ([`storm_orphans`]), and the synchronous signals that can kill QEMU
//! itself are not sent.

#[path = "../common/mod.rs"]
mod common;
mod roles;

use common::*;
use roles::{HardeningRole, ORPHAN_CODE};

/// This test binary's roles, besides common's.
type OwnRole = HardeningRole;
use std::ffi::OsString;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

/// An ELF program header's type for the loader's path.
const PT_INTERP: u32 = 3;

/// How the tests run, for their reports.
fn how() -> &'static str {
    if emulated() { "under QEMU" } else { "native" }
}

/// Sends `signal` to `pid`, which must exist.
fn send(pid: i32, signal: i32) {
    // SAFETY: a plain call.
    let sent = unsafe { libc::kill(pid, signal) };
    assert_eq!(
        sent,
        0,
        "kill({pid}, {signal}): {}",
        std::io::Error::last_os_error()
    );
}

/// pidone's child: the one program it runs (under QEMU, the QEMU that
/// runs it).
fn only_child(running: &mut Running) -> i32 {
    let pidone = running.pidone_pid();
    match children(pidone)[..] {
        [child] => child.pid,
        ref others => panic!("pidone's children: {others:?}"),
    }
}

/// Waits until `pid`'s state (as `/proc/PID/stat` says) is `state`.
fn wait_for_state(pid: i32, state: char) {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let now = process(pid).map(|p| p.state);
        if now == Some(state) {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "{pid} is in state {now:?}, not {state}"
        );
        std::thread::sleep(Duration::from_millis(5));
    }
}

/// Waits until `signal` is pending for `pid` (sent to the process, as
/// `ShdPnd` in `/proc/PID/status` shows).
fn wait_until_pending(pid: i32, signal: i32) {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let pending = status_field(pid, "ShdPnd").and_then(|s| u64::from_str_radix(&s, 16).ok());
        if pending.is_some_and(|set| set & signal_bit(signal) != 0) {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "signal {signal} is not pending for {pid}: {pending:x?}"
        );
        std::thread::sleep(Duration::from_millis(5));
    }
}

/// Starts `pidone` with [`HardeningRole::Collector`] as its program, and
/// waits until that is ready.
fn start_collector(pidone: Pidone, storm: bool, code: u8) -> Running {
    let mut running = pidone.kid(HardeningRole::Collector { storm, code }).spawn();
    assert_eq!(running.line(), "ready");
    running
}

/// How many orphans the collector's storm maker made, as it says when it
/// stops (`storm N`).
fn orphans_of_the_storm(running: &mut Running) -> usize {
    let line = running.line();
    line.strip_prefix("storm ")
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("not the storm's end: {line:?}"))
}

/// The number on a line of the collector's.
fn signal_line(running: &mut Running) -> usize {
    let line = running.line();
    line.parse()
        .unwrap_or_else(|_| panic!("not a signal number: {line:?}"))
}

/// `VmHWM` of `/proc/PID/status`, the peak of the resident set, in KiB.
fn peak_kib(pid: i32) -> u64 {
    let field = status_field(pid, "VmHWM").unwrap_or_else(|| panic!("no VmHWM for {pid}"));
    field
        .trim_end_matches(" kB")
        .parse()
        .unwrap_or_else(|_| panic!("VmHWM {field:?}"))
}

/// Waits until everything below pidone is its one child, alive: every
/// orphan reaped, no zombie left in the namespace (as PID 1, everything in
/// it is below pidone).
fn wait_until_reaped(running: &mut Running) {
    let pid = running.pidone_pid();
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let below = descendants(pid);
        let zombies = below
            .iter()
            .filter(|&&p| process(p).is_some_and(|p| p.state == 'Z'))
            .count();
        if below.len() == 1 && zombies == 0 {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "below pidone: {} processes, {zombies} of them zombies",
            below.len()
        );
        std::thread::sleep(Duration::from_millis(10));
    }
}

/// Orphans of the continuous storm: 100,000 natively, 10,000 under QEMU,
/// whose `fork` of a whole emulator makes each orphan ten to twenty times
/// slower (about a millisecond here): the same test, in bounded time.
fn storm_orphans() -> usize {
    if emulated() { 10_000 } else { 100_000 }
}

/// How much pidone's peak resident set (`VmHWM`) may grow over a storm, in
/// KiB. pidone allocates nothing: natively its resident pages are its code,
/// data and stack, which the warm-up's orphans touch as the storm's do; two
/// pages spare, where a byte kept per orphan would show as 98 KiB. Under
/// QEMU the peak is QEMU's, whose heap also holds translated code and its
/// own bookkeeping, which a path taken for the first time can grow: 256 KiB
/// spare, 26 bytes an orphan. Both were measured not to move at all.
fn peak_tolerance_kib() -> u64 {
    if emulated() { 256 } else { 8 }
}

/// Runs [`HardeningRole::Orphans`]: a warm-up, then `batches` batches of
/// `batch` orphans while the kid runs. Checks that pidone reaped every one (`-w`),
/// that no zombie is left, that its peak memory did not grow, and that it
/// exits with the kid's status.
fn orphan_load(mode: Mode, batches: usize, batch: usize, together: bool) {
    const WARM_UP: usize = 100;
    let role = HardeningRole::Orphans {
        warm_up: WARM_UP,
        batches,
        batch,
        together,
        code: 4,
    };
    let mut running = Pidone::new(mode)
        .args(["-w", "--"])
        .kid(role)
        .stdin_piped()
        .timeout(Duration::from_secs(120))
        .spawn();
    assert_eq!(running.line(), "warm");
    wait_until_reaped(&mut running);
    let pid = running.pidone_pid();
    let before = peak_kib(pid);
    let start = Instant::now();
    running.close_stdin();
    assert_eq!(running.line(), "orphans exited");
    wait_until_reaped(&mut running);
    let elapsed = start.elapsed();
    let after = peak_kib(pid);
    running.signal(SIGTERM);
    let finished = running.wait();
    assert_eq!(finished.code(), 4, "{mode:?}\n{finished}");
    let orphans = WARM_UP + batches * batch;
    assert_eq!(
        reaped_zombies(&finished, ORPHAN_CODE.into()),
        (orphans, orphans),
        "{mode:?}"
    );
    assert_eq!(
        finished.stderr_lines().len(),
        orphans,
        "{mode:?}: other lines on stderr"
    );
    assert!(
        after <= before + peak_tolerance_kib(),
        "{mode:?}: pidone's peak grew from {before} KiB to {after} KiB"
    );
    let kind = if together {
        "exiting together"
    } else {
        "exiting as they come"
    };
    report(&format!(
        "{mode:?} ({}): {} orphans, {batches} batches of {batch} {kind}, reaped in {elapsed:.1?}; VmHWM {before} -> {after} KiB",
        how(),
        batches * batch,
    ));
}

/// A continuous storm of short-lived orphans ([`storm_orphans`]).
fn orphan_storm(mode: Mode) {
    orphan_load(
        mode,
        storm_orphans() / roles::STORM_BATCH,
        roles::STORM_BATCH,
        false,
    );
}
test_each_mode!(orphan_storm);

/// Ten bursts of 1,000 orphans that exit at the same moment.
fn orphan_bursts(mode: Mode) {
    orphan_load(mode, 10, 1000, true);
}
test_each_mode!(orphan_bursts);

/// 10,000 signals of every kind to pidone while orphans exit: it lives, the
/// kid takes every real-time one (they queue) and at least one of each
/// standard one sent (those merge while pending), then the last TERM, and
/// pidone exits with the kid's status.
fn signal_storm(mode: Mode) {
    const SIGNALS: usize = 10_000;
    // At most this many are sent before the kid has taken every real-time
    // one, so that pending ones stay far below RLIMIT_SIGPENDING (which all
    // of root's processes share). SIGNALS is a multiple of it.
    const BURST: usize = 500;
    // Every one pidone can take but TERM, which ends the storm. SIGCHLD
    // among them is pidone's own: a reap that may find nothing, and never
    // forwarded.
    let kinds: Vec<i32> = signals_to_send()
        .into_iter()
        .filter(|&s| s != SIGTERM)
        .collect();
    let realtime = |signal: usize| signal >= 32;
    let start = Instant::now();
    let pidone = Pidone::new(mode)
        .args(["-w", "--"])
        .timeout(Duration::from_secs(120));
    let mut running = start_collector(pidone, true, 3);
    let mut sent = [0usize; 65];
    let mut taken = [0usize; 65];
    let (mut realtime_sent, mut realtime_taken) = (0, 0);
    for i in 0..SIGNALS {
        // Every kind in turn, mixed: 37 is prime, and no number of
        // kinds here is a multiple of it.
        let signal = kinds[i * 37 % kinds.len()];
        running.signal(signal);
        sent[signal as usize] += 1;
        realtime_sent += usize::from(realtime(signal as usize));
        if (i + 1) % BURST == 0 {
            // Real-time signals queue one by one; of a standard one,
            // at most one is pending anywhere.
            while realtime_taken < realtime_sent {
                let signal = signal_line(&mut running);
                taken[signal] += 1;
                realtime_taken += usize::from(realtime(signal));
            }
        }
    }
    // Standard ones sent last may still be on their way when TERM, a
    // lower number, overtakes them: each kind was sent many times
    // before, so at least one was taken.
    running.signal(SIGTERM);
    loop {
        let signal = signal_line(&mut running);
        taken[signal] += 1;
        if signal == SIGTERM as usize {
            break;
        }
    }
    let made = orphans_of_the_storm(&mut running);
    let finished = running.wait();
    assert_eq!(finished.code(), 3, "{mode:?}\n{finished}");
    assert!(made > 0, "{mode:?}: no orphans");
    assert_eq!(
        reaped_zombies(&finished, ORPHAN_CODE.into()),
        (made, made),
        "{mode:?}"
    );
    assert_eq!(finished.stderr_lines().len(), made, "{mode:?}\n{finished}");
    for signal in 1..=64 {
        let (sent, taken) = (sent[signal], taken[signal]);
        let expected = if signal == SIGTERM as usize {
            taken == 1
        } else if signal == SIGCHLD as usize {
            taken == 0
        } else if realtime(signal) {
            taken == sent
        } else {
            (sent == 0 && taken == 0) || (1..=sent).contains(&taken)
        };
        assert!(
            expected,
            "{mode:?}: signal {signal}: {sent} sent, {taken} taken"
        );
    }
    report(&format!(
        "{mode:?} ({}): {SIGNALS} signals of {} kinds in {:.1?}, {made} orphans meanwhile",
        how(),
        kinds.len(),
        start.elapsed()
    ));
}
test_each_mode!(signal_storm);

/// With RLIMIT_NPROC exhausted, pidone's `fork` fails: it says so and exits
/// 125 at once.
fn failed_fork_is_125(mode: Mode) {
    let program = host_tool("true");
    // A user of this test's own, and of this mode's, rather than `nobody`:
    // no process outside it can come or go and move the count (the two
    // modes' runs, which libtest runs at once, would, through one user).
    let id = 2_000_000_000 + 2 * std::process::id() + u32::from(mode == Mode::Pid1);
    // What QEMU starts before its guest runs: one thread (call_rcu's).
    let room = u64::from(emulated());
    // A copy that user can reach: the build may lie where only root can.
    let dir = TempDir::new();
    let pidone = dir.path().join("pidone");
    std::fs::copy(pidone_binary(), &pidone).expect("copy pidone");
    for path in [dir.path(), &pidone] {
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o755)).expect("chmod");
    }
    let finished = Pidone::new(mode)
        .binary(&pidone)
        .env(
            HardeningRole::VAR,
            HardeningRole::NoForks { id, room }.encode(),
        )
        .exec_through(test_program())
        .arg("--")
        .arg(&program)
        .timeout(Duration::from_secs(20))
        .run();
    assert_eq!(finished.code(), 125, "{mode:?}\n{finished}");
    assert_eq!(
        finished.stderr_text(),
        format!(
            "pidone: cannot start '{}': fork: Resource temporarily unavailable\n",
            program.display()
        ),
        "{mode:?}"
    );
    assert!(finished.stdout.is_empty(), "{mode:?}\n{finished}");
}
test_each_mode!(failed_fork_is_125);

/// An ELF executable for the host's machine (which executes it, under QEMU
/// too) that names `loader` as its interpreter: a header and one
/// `PT_INTERP` program header, which is all the kernel reads before it
/// looks for the loader.
fn elf_needing(loader: &str) -> Vec<u8> {
    let machine = host_abi().elf_machine;
    const HEADERS: u64 = 64 + 56;
    let path_size = loader.len() as u64 + 1;
    let mut elf = b"\x7fELF\x02\x01\x01\0\0\0\0\0\0\0\0\0".to_vec();
    elf.extend(2u16.to_le_bytes()); // ET_EXEC
    elf.extend(machine.to_le_bytes());
    elf.extend(1u32.to_le_bytes()); // EV_CURRENT
    elf.extend(0x40_0000u64.to_le_bytes()); // entry
    elf.extend(64u64.to_le_bytes()); // program headers' offset
    elf.extend(0u64.to_le_bytes()); // section headers' offset
    elf.extend(0u32.to_le_bytes()); // flags
    // Sizes of this header and of a program header, one program header, and
    // no sections.
    elf.extend(
        [64u16, 56, 1, 64, 0, 0]
            .iter()
            .flat_map(|n| n.to_le_bytes()),
    );
    elf.extend(PT_INTERP.to_le_bytes());
    elf.extend(4u32.to_le_bytes()); // PF_R
    elf.extend(HEADERS.to_le_bytes()); // offset
    elf.extend(0u64.to_le_bytes()); // vaddr
    elf.extend(0u64.to_le_bytes()); // paddr
    elf.extend(path_size.to_le_bytes()); // filesz
    elf.extend(path_size.to_le_bytes()); // memsz
    elf.extend(1u64.to_le_bytes()); // align
    assert_eq!(elf.len() as u64, HEADERS);
    elf.extend(loader.as_bytes());
    elf.push(0);
    elf
}

/// Whether the ELF file at `path` names a loader (`PT_INTERP`): whether it
/// needs more than itself in a root.
fn needs_loader(path: &Path) -> bool {
    // binutils' reader rather than one more of our own: qemu/shared.py is
    // the project's one ELF reader, for the scripts.
    let output = Command::new(host_tool("readelf"))
        .args(["--program-headers", "--wide"])
        .arg(path)
        .env("LC_ALL", "C")
        .output()
        .expect("readelf");
    assert!(
        output.status.success(),
        "readelf {}: {output:?}",
        path.display()
    );
    String::from_utf8_lossy(&output.stdout)
        .lines()
        .any(|line| line.split_whitespace().next() == Some("INTERP"))
}

/// The 126 and 127 cases tests/init.rs does not have: each says why, as
/// `pidone: cannot run 'NAME': REASON`.
fn more_programs_that_cannot_run(mode: Mode) {
    let dir = TempDir::new();
    let path = |name: &str| dir.path().join(name);
    let no_loader = dir.file("no-loader", &elf_needing("/nonexistent/ld.so"), 0o755);
    let empty = dir.file("empty", b"", 0o755);
    let not_executable = dir.file("not-executable", b"#!/bin/sh\n", 0o644);
    let bad_interpreter = dir.file(
        "interpreter-not-executable",
        format!("#!{}\n", not_executable.display()).as_bytes(),
        0o755,
    );
    // Scripts whose interpreters are scripts, eight deep: more than the
    // kernel follows (five), which fails with ELOOP.
    let mut interpreter = PathBuf::from("/bin/sh");
    for depth in (0..8).rev() {
        let script = format!("#!{}\n", interpreter.display());
        interpreter = dir.file(&format!("script-{depth}"), script.as_bytes(), 0o755);
    }
    let too_deep = interpreter;
    std::os::unix::fs::symlink(path("loop-b"), path("loop-a")).expect("symlink");
    std::os::unix::fs::symlink(path("loop-a"), path("loop-b")).expect("symlink");
    std::os::unix::fs::symlink(path("missing"), path("dangling")).expect("symlink");
    let busy = dir.file(
        "busy",
        &std::fs::read(host_tool("true")).expect("read true"),
        0o755,
    );
    // Open for writing (close-on-exec, so no other test's child keeps it):
    // the kernel refuses to execute it.
    let _writer = std::fs::OpenOptions::new()
        .append(true)
        .open(&busy)
        .expect("open for writing");
    let too_long = path(&"x".repeat(300));
    let under_a_file = empty.join("x");

    let loop_text = "Too many levels of symbolic links";
    let cases: [(PathBuf, i32, &str); 9] = [
        (
            no_loader,
            126,
            "its interpreter or loader is missing (No such file or directory)",
        ),
        (empty, 126, "Exec format error"),
        (bad_interpreter, 126, "Permission denied"),
        (too_deep, 126, loop_text),
        (path("loop-a"), 126, loop_text),
        // A link to nothing is no program at all.
        (path("dangling"), 127, "No such file or directory"),
        (busy, 126, "Text file busy"),
        (too_long, 126, "File name too long"),
        (under_a_file, 126, "Not a directory"),
    ];
    for (program, code, reason) in &cases {
        let finished = Pidone::new(mode).arg("--").arg(program).run();
        let what = format!("{mode:?} {program:?}\n{finished}");
        assert_eq!(finished.code(), *code, "{what}");
        // pidone cuts a name past 64 bytes.
        let name = program.to_string_lossy();
        let name = match name.get(..64) {
            Some(head) if name.len() > 64 => format!("{head}..."),
            _ => name.into_owned(),
        };
        assert_eq!(
            finished.stderr_text(),
            format!("pidone: cannot run '{name}': {reason}\n"),
            "{what}"
        );
        assert!(finished.stdout.is_empty(), "{what}");
    }
}
test_each_mode!(more_programs_that_cannot_run);

/// SEGV, BUS, FPE, ILL, ABRT, TSTP, TTIN and TTOU sent to pidone with
/// `kill`, as PID 1 and not: it neither dies nor stops, forwards each, then
/// a later signal, and exits with the child's status. Under QEMU, not the
/// first four, which can kill QEMU itself when they come from `kill`.
fn fault_and_stop_signals_neither_kill_nor_stop_pidone(mode: Mode) {
    let signals: Vec<i32> = [SIGSEGV, SIGBUS, SIGFPE, SIGILL]
        .into_iter()
        .filter(|&s| !kills_qemu(s))
        .chain([SIGABRT, SIGTSTP, SIGTTIN, SIGTTOU])
        .collect();
    let mut running = start_collector(Pidone::new(mode).arg("--"), false, 6);
    let pidone = running.pidone_pid();
    for &signal in signals.iter().chain(&[SIGUSR1]) {
        running.signal(signal);
        assert_eq!(signal_line(&mut running), signal as usize, "{mode:?}");
        let state = process(pidone).map(|p| p.state);
        assert!(
            !matches!(state, None | Some('T' | 't' | 'Z' | 'X')),
            "{mode:?}: pidone's state {state:?} after signal {signal}"
        );
    }
    running.signal(SIGTERM);
    assert_eq!(signal_line(&mut running), SIGTERM as usize, "{mode:?}");
    let finished = running.wait();
    assert_eq!(finished.code(), 6, "{mode:?}\n{finished}");
    assert!(finished.stderr.is_empty(), "{mode:?}\n{finished}");
}
test_each_mode!(fault_and_stop_signals_neither_kill_nor_stop_pidone);

/// The child stopped (SIGSTOP) and continued: pidone waits on, and exits
/// with its status; or killed while stopped: 128 + 9.
fn stopped_child_is_still_waited_for(mode: Mode) {
    let mut running = start_collector(Pidone::new(mode).arg("--"), false, 7);
    let kid = only_child(&mut running);
    send(kid, SIGSTOP);
    wait_for_state(kid, 'T');
    // pidone took the stop for no exit: it forwards this to the
    // stopped kid, which takes it once continued.
    running.signal(SIGUSR1);
    wait_until_pending(kid, SIGUSR1);
    send(kid, SIGCONT);
    // CONT, blocked, is also left pending; the lower number comes first.
    assert_eq!(signal_line(&mut running), SIGUSR1 as usize, "{mode:?}");
    assert_eq!(signal_line(&mut running), SIGCONT as usize, "{mode:?}");
    running.signal(SIGTERM);
    assert_eq!(signal_line(&mut running), SIGTERM as usize, "{mode:?}");
    let finished = running.wait();
    assert_eq!(finished.code(), 7, "{mode:?}\n{finished}");

    let mut running = start_collector(Pidone::new(mode).arg("--"), false, 7);
    let kid = only_child(&mut running);
    send(kid, SIGSTOP);
    wait_for_state(kid, 'T');
    send(kid, SIGKILL);
    let finished = running.wait();
    assert_eq!(finished.code(), 128 + SIGKILL, "{mode:?}\n{finished}");
}
test_each_mode!(stopped_child_is_still_waited_for);

/// Kills pidone and everything below it when dropped armed (a failed test):
/// once its parent is killed, pidone is no longer below the process the test
/// started, where [`Running`]'s own clean-up looks.
struct Adopted(Option<i32>);

impl Drop for Adopted {
    fn drop(&mut self) {
        if let Some(pidone) = self.0 {
            for pid in descendants(pidone).into_iter().chain([pidone]) {
                // SAFETY: a plain call.
                unsafe { libc::kill(pid, SIGKILL) };
            }
        }
    }
}

/// `-p`: pidone's parent dies (SIGKILL) while orphans come and go; the
/// parent-death signal, a real-time one, reaches the kid, and pidone goes on
/// to exit with the kid's status (which it tells, `-v`: its own goes to
/// whoever adopted it).
fn parent_death_signal_under_load(mode: Mode) {
    const RTMIN_1: i32 = SIGRTMIN + 1;
    let pidone = Pidone::new(mode)
        .with_parent_process()
        .args(["-p", "RTMIN+1", "-v", "-w", "--"]);
    let mut running = start_collector(pidone, true, 8);
    // Found while its parent is there to find it by.
    let mut adopted = Adopted(Some(running.pidone_pid()));
    running.kill_parent();
    assert_eq!(signal_line(&mut running), RTMIN_1 as usize, "{mode:?}");
    running.signal(SIGTERM);
    assert_eq!(signal_line(&mut running), SIGTERM as usize, "{mode:?}");
    let made = orphans_of_the_storm(&mut running);
    let finished = running.wait();
    adopted.0 = None;
    assert_eq!(
        reaped_zombies(&finished, ORPHAN_CODE.into()),
        (made, made),
        "{mode:?}"
    );
    let status: Vec<String> = finished
        .stderr_lines()
        .into_iter()
        .filter(|l| !is_reaped_zombie(l))
        .collect();
    assert!(
        status.len() == 1 && is_child_status(&status[0], 8),
        "{mode:?}: {status:?}"
    );
}
test_each_mode!(parent_death_signal_under_load);

/// Every file below `dir`, relative to it.
fn files_below(dir: &Path) -> Vec<PathBuf> {
    let mut files = Vec::new();
    for entry in std::fs::read_dir(dir).expect("read_dir") {
        let path = entry.expect("entry").path();
        if path.is_dir() {
            files.extend(
                files_below(&path)
                    .into_iter()
                    .map(|f| Path::new(path.file_name().expect("name")).join(f)),
            );
        } else {
            files.push(PathBuf::from(path.file_name().expect("name")));
        }
    }
    files
}

/// A root that holds nothing but pidone, the test program (this static
/// binary) and, under QEMU, QEMU (static too): no shell, no libc, no
/// loader, no /proc, no /etc. Each at its path outside, so that the command
/// lines stay the same.
fn empty_root_dir() -> TempDir {
    let root = TempDir::new();
    // The check below can fail: a program that names a loader is caught.
    let dynamic = root.file("dynamic", &elf_needing("/lib/ld.so"), 0o755);
    assert!(
        needs_loader(&dynamic),
        "readelf misses the PT_INTERP of {}",
        dynamic.display()
    );
    std::fs::remove_file(&dynamic).expect("rm");
    let binaries: Vec<PathBuf> = [pidone_binary(), test_binary()]
        .into_iter()
        .map(Path::to_path_buf)
        .chain(target_runner())
        .chain(pidone_runner().filter(|runner| Some(runner) != target_runner().as_ref()))
        .collect();
    for binary in &binaries {
        assert!(
            !needs_loader(binary),
            "{} is dynamically linked: an empty root needs static programs (for QEMU, qemu-user-static)",
            binary.display()
        );
        let copy = root
            .path()
            .join(binary.strip_prefix("/").expect("absolute path"));
        std::fs::create_dir_all(copy.parent().expect("parent")).expect("mkdir");
        std::fs::copy(binary, &copy).expect("copy into the root");
    }
    let mut inside = files_below(root.path());
    inside.sort();
    let mut expected: Vec<PathBuf> = binaries
        .iter()
        .map(|b| b.strip_prefix("/").expect("absolute").to_path_buf())
        .collect();
    expected.sort();
    assert_eq!(inside, expected);
    root
}

/// `chroot ROOT`: runs the rest of its command line in `root`.
fn chroot(root: &TempDir) -> [OsString; 2] {
    [host_tool("chroot").into(), root.path().into()]
}

/// pidone as PID 1 in `root`: `unshare --pid --fork --mount-proc chroot
/// ROOT [runner] pidone ...` (the new /proc is outside the root).
fn in_root(root: &TempDir) -> Pidone {
    Pidone::new(Mode::Pid1).exec_through(chroot(root))
}

/// pidone as PID 1 of an [`empty_root_dir`], the `FROM scratch` case: the
/// exit status, signal forwarding, orphan reaping and closing descriptors
/// work there as anywhere.
#[test]
fn empty_root() {
    let root = empty_root_dir();
    let in_root = || in_root(&root);

    let finished = in_root().kid(Kid::Exit(5)).run();
    assert_eq!(finished.code(), 5, "{finished}");
    assert!(finished.stderr.is_empty(), "{finished}");

    let mut running = in_root().kid(Kid::Signals(3)).spawn();
    assert_eq!(running.line(), "ready");
    for signal in [SIGHUP, SIGUSR1, SIGRTMIN + 2] {
        running.signal(signal);
        assert_eq!(running.line(), signal.to_string());
    }
    let finished = running.wait();
    assert_eq!(finished.code(), 0, "{finished}");

    let mut running = in_root()
        .args(["-w", "--"])
        .kid(Kid::Orphans {
            count: 100,
            orphan_code: ORPHAN_CODE,
            code: 4,
        })
        .stdin_piped()
        .spawn();
    assert_eq!(running.line(), "orphans exited");
    wait_until_reaped(&mut running);
    running.close_stdin();
    let finished = running.wait();
    assert_eq!(finished.code(), 4, "{finished}");
    assert_eq!(
        reaped_zombies(&finished, ORPHAN_CODE.into()),
        (100, 100),
        "{finished}"
    );

    // In a root with no /proc, pidone still closes every descriptor above
    // stderr once the child runs, and the child has them.
    let shell = [
        host_tool("sh").into_os_string(),
        "-c".into(),
        "exec 5</dev/null 7</dev/null; exec \"$@\"".into(),
        "sh".into(),
    ];
    let mut running = Pidone::new(Mode::Pid1)
        .exec_through(shell.into_iter().chain(chroot(&root)))
        .kid(Kid::Signals(1))
        .spawn();
    assert_eq!(running.line(), "ready");
    running.wait_until_idle();
    let pidone = running.pidone_pid();
    let fds = |pid: i32| -> Vec<i32> {
        let mut fds: Vec<i32> = std::fs::read_dir(format!("/proc/{pid}/fd"))
            .expect("/proc/PID/fd")
            .filter_map(|entry| entry.ok()?.file_name().to_str()?.parse().ok())
            .collect();
        fds.sort();
        fds
    };
    assert_eq!(fds(pidone), [0, 1, 2]);
    let kid = children(pidone)[0].pid;
    assert!(
        fds(kid).contains(&5) && fds(kid).contains(&7),
        "{:?}",
        fds(kid)
    );
    running.signal(SIGTERM);
    let finished = running.wait();
    assert_eq!(finished.code(), 0, "{finished}");

    // No shell in there.
    let finished = in_root().arg("/bin/sh").run();
    assert_eq!(finished.code(), 127, "{finished}");
    assert_eq!(
        finished.stderr_text(),
        "pidone: cannot run '/bin/sh': No such file or directory\n"
    );
}

/// `-u` (the `user` feature) in an [`empty_root_dir`]: numbers need no
/// `/etc/passwd`, names do; then, with files of its own there, names and
/// the groups that list them, comments and long lines among them.
#[cfg(feature = "user")]
#[test]
fn empty_root_users() {
    let root = empty_root_dir();
    // What the kid (Kid::Ids) says with these ids, its groups sorted.
    let ids = |uid: u32, gid: u32, groups: &[u32]| {
        let groups: Vec<String> = groups.iter().map(u32::to_string).collect();
        [
            format!("uid {uid} {uid} {uid}"),
            format!("gid {gid} {gid} {gid}"),
            format!("groups {}", groups.join(" ")),
        ]
    };
    let check = |user: &str, want: &[String]| {
        let finished = in_root(&root).args(["-u", user, "--"]).kid(Kid::Ids).run();
        let what = format!("-u {user}\n{finished}");
        if want.len() == 1 {
            assert_eq!(finished.code(), 123, "{what}");
            assert_eq!(finished.stderr_lines(), want, "{what}");
            assert!(finished.stdout.is_empty(), "the kid ran: {what}");
        } else {
            assert_eq!(finished.code(), 0, "{what}");
            assert_eq!(finished.stdout_lines(), want, "{what}");
            assert!(finished.stderr.is_empty(), "{what}");
        }
    };
    let no_user = |name: &str| [format!("pidone: -u: no user '{name}' in /etc/passwd")];
    let no_group = |name: &str| [format!("pidone: -u: no group '{name}' in /etc/group")];

    // No /etc at all. A number with no entry takes pidone's gid (root's).
    check("1000:2000", &ids(1000, 2000, &[2000]));
    check("1000", &ids(1000, 0, &[0]));
    check("app", &no_user("app"));
    check("1000:staff", &no_group("staff"));

    std::fs::create_dir(root.path().join("etc")).expect("mkdir etc");
    let long_list: Vec<String> = (0..2000).map(|n| format!("member{n}")).collect();
    let files = [
        (
            "passwd",
            "# app:x:1:1:a comment, not an entry:/:/bin/sh\n\
             root:x:0:0:root:/root:/bin/sh\n\
             \n\
             app:x:1000:1000::/home/app:/bin/sh\n\
             application:x:1001:1001::/:/bin/sh\n\
             ap:x:1002:1002::/:/bin/sh"
                .to_owned(),
        ),
        (
            "group",
            format!(
                "root:x:0:\n\
                 app:x:1000:\n\
                 staff:x:2001:application,app\n\
                 #audio:x:2002:app\n\
                 audio:x:2003:appl,app\n\
                 video:x:2004:application\n\
                 big:x:2005:{},app\n\
                 users:x:2006:apple,ap\n",
                long_list.join(",")
            ),
        ),
    ];
    for (name, text) in files {
        std::fs::write(root.path().join("etc").join(name), text).expect("write");
    }
    let app = ids(1000, 1000, &[1000, 2001, 2003, 2005]);
    check("app", &app);
    check("1000", &app);
    check("application", &ids(1001, 1001, &[1001, 2001, 2004]));
    check("ap", &ids(1002, 1002, &[1002, 2006]));
    check("0", &ids(0, 0, &[0]));
    // Only the comment has uid 1.
    check("1", &ids(1, 0, &[0]));
    // A group given: that gid alone, from /etc/group or as a number.
    check("app:staff", &ids(1000, 2001, &[2001]));
    check("app:7", &ids(1000, 7, &[7]));
    check("4000:video", &ids(4000, 2004, &[2004]));
    check("appl", &no_user("appl"));
    check("app:#audio", &no_group("#audio"));
    check("app:aud", &no_group("aud"));
}
