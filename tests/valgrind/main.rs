//! pidone under valgrind's memcheck, as tini's own test suite runs its init
//! (`valgrind --leak-check=full --error-exitcode=1 INIT ls`, as PID 1).
//!
//! valgrind keeps the program's signal mask itself, and its
//! `rt_sigprocmask` writes the old mask before it reads the new set. An init
//! whose start-up passes one word as both (which the kernel allows, and
//! POSIX's `restrict` does not) blocks nothing there: SIGCHLD, at its default
//! disposition and unblocked, is dropped, and the init sleeps for ever after
//! its child exits. These runs end with the child's status, or fail at their
//! deadline.
//!
//! They need Debian's `valgrind` on x86_64, natively: under QEMU, valgrind
//! would run QEMU, not pidone. Elsewhere they print why they are skipped.

#[path = "../common/mod.rs"]
mod common;

use common::*;
use std::io::Write;
use std::path::PathBuf;
use std::process::Command;
use std::time::Duration;

/// valgrind's exit code when memcheck found errors: none of pidone's.
const MEMCHECK_ERRORS: i32 = 99;

/// valgrind starts in well under a second; this leaves room for a loaded
/// machine, and a run that hangs fails here.
const DEADLINE: Duration = Duration::from_secs(60);

/// valgrind's path, or `None` (having said why) where these runs cannot be
/// made.
fn valgrind() -> Option<PathBuf> {
    let skip = |why: &str| {
        // Straight to stderr, past libtest's capture, so that a skip shows.
        let _ = writeln!(std::io::stderr(), "valgrind tests skipped: {why}");
        None
    };
    if !cfg!(target_arch = "x86_64") {
        return skip("they run on x86_64 only");
    }
    if target_runner().is_some() {
        return skip("under QEMU, valgrind would run QEMU, not pidone");
    }
    match Command::new("valgrind").arg("--version").output() {
        Ok(output) if output.status.success() => Some(host_tool("valgrind")),
        _ => skip("valgrind is not installed (Debian package valgrind)"),
    }
}

/// pidone as `mode`, under memcheck: `valgrind ... pidone -- PROGRAM...`.
fn under_valgrind(valgrind: PathBuf, mode: Mode, program: &[&str]) -> Pidone {
    Pidone::new(mode)
        .exec_through([
            valgrind.into_os_string(),
            "-q".into(),
            // No gdbserver, and so none of its FIFOs in /tmp, which valgrind
            // names by its pid: as PID 1 of namespaces of their own, two of
            // these runs at once would share the names, and one would
            // remove the other's ("could not unlink ...-1-by-...").
            "--vgdb=no".into(),
            "--leak-check=full".into(),
            format!("--error-exitcode={MEMCHECK_ERRORS}").into(),
        ])
        .arg("--")
        .args(program.iter().copied())
        .timeout(DEADLINE)
}

/// The child's exit status comes back: pidone takes the child's SIGCHLD.
fn exit_status(mode: Mode) {
    let Some(valgrind) = valgrind() else { return };
    let finished = under_valgrind(valgrind, mode, &["/bin/sh", "-c", "exit 3"]).run();
    assert_eq!(finished.code(), 3, "{mode:?}\n{finished}");
    // With -q, valgrind says nothing unless memcheck found something.
    assert_eq!(finished.stderr_text(), "", "{mode:?}\n{finished}");
}

/// A SIGTERM to pidone reaches the child, and pidone still exits with the
/// child's status (here, that of its trap) rather than sleep on.
fn forwarded_term(mode: Mode) {
    let Some(valgrind) = valgrind() else { return };
    let script = "trap 'exit 7' TERM; echo ready; while :; do sleep 0.05; done";
    let mut running = under_valgrind(valgrind, mode, &["/bin/sh", "-c", script]).spawn();
    assert_eq!(running.line(), "ready");
    running.signal(SIGTERM);
    let finished = running.wait();
    assert_eq!(finished.code(), 7, "{mode:?}\n{finished}");
    assert_eq!(finished.stderr_text(), "", "{mode:?}\n{finished}");
}

test_each_mode!(exit_status, forwarded_term);
