//! pidone in real containers: podman with runc, rootful and rootless, as
//! `--init` (`podman run --init --init-path=PIDONE`, which podman starts as
//! `/run/podman-init -- CMD`) and as the ENTRYPOINT (the binary bind-mounted
//! read-only at `/init`), next to Debian's tini-static in the same run.
//!
//! `qemu/install-containers` installs podman, runc, uidmap, busybox-static
//! and tini, writes the containers.conf below, adds the rootless user and
//! imports the image (a static busybox, no registry). When any of that is
//! missing, these tests fail and say what and how to install it.
//!
//! x86_64 only, and natively: under QEMU the init in the container would be
//! the host's binary, not the emulated one, so qemu/test's emulated runs
//! leave these tests out (`--skip in_podman_`, counted as filtered out), and
//! a run under QEMU that does not fails.

#![cfg(target_arch = "x86_64")]

#[path = "../common/mod.rs"]
mod common;

use common::*;
use std::io::{Read, Write};
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc;
use std::time::{Duration, Instant};

// What qemu/install-containers sets up: keep the two in step.
const CONTAINERS_CONF: &str = "/etc/pidone-tests/containers.conf";
const ROOTLESS_USER: &str = "pidone-rootless-test";
const IMAGE: &str = "localhost/pidone-test";
const TINI: &str = "/usr/bin/tini-static";
const INSTALL: &str = "qemu/install-containers (as root)";

/// A podman run that takes longer than this has hung.
const DEADLINE: Duration = Duration::from_secs(60);
/// podman stop's grace period, and the most a stop may take: with an init
/// that forwards SIGTERM it takes about 0.1 s; without, the full 10 s.
const STOP_GRACE_SECONDS: u32 = 10;
const STOP_MOST: Duration = Duration::from_secs(5);

#[derive(Clone, Copy, PartialEq)]
enum Runner {
    Rootful,
    Rootless,
}

impl Runner {
    fn name(self) -> &'static str {
        match self {
            Runner::Rootful => "rootful",
            Runner::Rootless => "rootless",
        }
    }

    /// `podman`, as root or as the rootless user, with the test
    /// containers.conf. setpriv rather than runuser or su: those start a new
    /// session, and the `-it` runs need the terminal as the controlling one.
    fn podman(self) -> Command {
        let mut command = match self {
            Runner::Rootful => Command::new("podman"),
            Runner::Rootless => {
                let (uid, gid, home) = rootless_user();
                let mut command = Command::new("setpriv");
                command
                    .arg(format!("--reuid={uid}"))
                    .arg(format!("--regid={gid}"))
                    .arg("--init-groups")
                    .arg("podman")
                    .env("HOME", home)
                    .env("XDG_RUNTIME_DIR", format!("/run/user/{uid}"));
                command
            }
        };
        command.env("CONTAINERS_CONF", CONTAINERS_CONF);
        command
    }
}

/// The rootless user's uid, gid and home, from /etc/passwd.
fn rootless_user() -> (u32, u32, String) {
    let passwd = std::fs::read_to_string("/etc/passwd").expect("read /etc/passwd");
    passwd
        .lines()
        .map(|line| line.split(':').collect::<Vec<_>>())
        .find(|fields| fields[0] == ROOTLESS_USER && fields.len() >= 6)
        .map(|f| {
            (
                f[2].parse().unwrap(),
                f[3].parse().unwrap(),
                f[5].to_owned(),
            )
        })
        .unwrap_or_else(|| panic!("user {ROOTLESS_USER} is missing: run {INSTALL}"))
}

/// Fails, naming what is missing and the command that installs it, unless
/// podman, runc, tini-static, the containers.conf and `runner`'s image are
/// all there.
fn require(runner: Runner) {
    for (file, package) in [
        ("/usr/bin/podman", "podman"),
        ("/usr/sbin/runc", "runc"),
        ("/usr/bin/newuidmap", "uidmap"),
        (TINI, "tini"),
        (CONTAINERS_CONF, "qemu/install-containers writes it"),
    ] {
        assert!(
            Path::new(file).exists(),
            "{file} is missing ({package}): run {INSTALL}"
        );
    }
    if runner == Runner::Rootless {
        let (uid, ..) = rootless_user();
        let dir = format!("/run/user/{uid}");
        assert!(
            Path::new(&dir).is_dir(),
            "{dir}, {ROOTLESS_USER}'s XDG_RUNTIME_DIR, is missing: run {INSTALL}"
        );
    }
    let exists = runner
        .podman()
        .args(["image", "exists", IMAGE])
        .stderr(Stdio::null())
        .status()
        .unwrap_or_else(|e| panic!("cannot run podman: {e}: run {INSTALL}"));
    assert!(
        exists.success(),
        "{} image {IMAGE} is missing: run {INSTALL}",
        runner.name()
    );
}

/// Rootless podman leaves a pause process for the user, which holds its
/// namespaces: ended, by its pid, when the test ends. Podman 4.3.1 here
/// runs its own (`podman pause`); others run `catatonit -P`.
struct EndPauseProcess;

impl Drop for EndPauseProcess {
    fn drop(&mut self) {
        let (uid, ..) = rootless_user();
        // `--rm` cleans up after the container has exited, from the conmon
        // that outlives it, and that cleanup would start a new pause
        // process: wait for the user's conmons first.
        let deadline = Instant::now() + Duration::from_secs(10);
        while user_runs(uid, "conmon") && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(50));
        }
        let pid_file = format!("/run/user/{uid}/libpod/tmp/pause.pid");
        let Some(pid) = std::fs::read_to_string(&pid_file)
            .ok()
            .and_then(|pid| pid.trim().parse::<i32>().ok())
        else {
            return;
        };
        let comm = std::fs::read_to_string(format!("/proc/{pid}/comm")).unwrap_or_default();
        if ["podman pause", "catatonit"].contains(&comm.trim()) {
            // SAFETY: a plain kill of the pause process named by its file.
            unsafe { libc::kill(pid, libc::SIGTERM) };
        }
    }
}

/// Whether a process of user `uid` runs the program `comm`.
fn user_runs(uid: u32, comm: &str) -> bool {
    use std::os::unix::fs::MetadataExt;
    let Ok(entries) = std::fs::read_dir("/proc") else {
        return false;
    };
    entries.flatten().any(|entry| {
        entry.metadata().is_ok_and(|m| m.uid() == uid)
            && std::fs::read_to_string(entry.path().join("comm")).is_ok_and(|c| c.trim() == comm)
    })
}

/// How the init gets into the container.
#[derive(Clone, Copy)]
enum Way {
    /// `--init --init-path=BINARY`: podman runs `/run/podman-init -- CMD`.
    InitPath,
    /// `-v BINARY:/init:ro --entrypoint /init IMAGE -- CMD`. Not at
    /// `/sbin/init`: podman takes an entrypoint there for systemd
    /// (`--systemd=true`, its default) and stops the container with
    /// SIGRTMIN+3, not SIGTERM: exit 165, not 143.
    Entrypoint,
}

const WAYS: [Way; 2] = [Way::InitPath, Way::Entrypoint];

impl Way {
    fn name(self) -> &'static str {
        match self {
            Way::InitPath => "--init-path",
            Way::Entrypoint => "entrypoint",
        }
    }
}

/// An init to run: pidone or tini-static.
struct Init {
    name: &'static str,
    path: PathBuf,
}

fn inits() -> [Init; 2] {
    [
        Init {
            name: "pidone",
            path: pidone_binary().to_owned(),
        },
        Init {
            name: "tini-static",
            path: TINI.into(),
        },
    ]
}

/// One container configuration: who runs podman, which init, and how.
/// With no init, the control: what the checks see when nothing reaps or
/// forwards.
struct Case<'a> {
    runner: Runner,
    init: Option<&'a Init>,
    way: Way,
}

impl Case<'_> {
    fn name(&self) -> String {
        match self.init {
            Some(init) => format!("{} {} {}", self.runner.name(), init.name, self.way.name()),
            None => format!("{} no init", self.runner.name()),
        }
    }

    /// `podman run OPTIONS... [init options] IMAGE [--] COMMAND...`.
    fn run(&self, options: &[&str], command: &[&str]) -> Command {
        self.run_with(options, &[], command)
    }

    /// [`Case::run`], with `init_args` for the init before the `--` that
    /// ends them: only an ENTRYPOINT can be given any.
    fn run_with(&self, options: &[&str], init_args: &[&str], command: &[&str]) -> Command {
        assert!(
            init_args.is_empty() || (self.init.is_some() && matches!(self.way, Way::Entrypoint)),
            "only an init as the ENTRYPOINT takes arguments"
        );
        let mut podman = self.runner.podman();
        podman.arg("run").args(options);
        if let Some(init) = self.init {
            let binary = init.path.display();
            match self.way {
                Way::InitPath => podman.arg("--init").arg(format!("--init-path={binary}")),
                Way::Entrypoint => podman
                    .arg(format!("--volume={binary}:/init:ro"))
                    .arg("--entrypoint=/init"),
            };
        }
        podman.arg(IMAGE);
        if let (Some(_), Way::Entrypoint) = (self.init, self.way) {
            podman.args(init_args).arg("--");
        }
        podman.args(command);
        podman
    }
}

/// A name for a container of this test run.
fn container_name() -> String {
    static COUNT: AtomicUsize = AtomicUsize::new(0);
    format!(
        "pidone-test-{}-{}",
        std::process::id(),
        COUNT.fetch_add(1, Ordering::Relaxed)
    )
}

/// Runs to the end, or fails at the deadline.
fn output(mut command: Command) -> Output {
    let description = format!("{command:?}");
    command.stdin(Stdio::null());
    let child = command
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("cannot start {description}: {e}"));
    let pid = child.id() as i32;
    let (sender, result) = mpsc::channel();
    std::thread::spawn(move || {
        let _ = sender.send(child.wait_with_output());
    });
    match result.recv_timeout(DEADLINE) {
        Ok(output) => output.expect("wait"),
        Err(_) => {
            // SAFETY: a plain kill of our own child.
            unsafe { libc::kill(pid, libc::SIGKILL) };
            panic!("{description} still runs after {DEADLINE:?}");
        }
    }
}

/// The exit code, or -1 for a podman killed by a signal.
fn code(output: &Output) -> i32 {
    output.status.code().unwrap_or(-1)
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).trim().to_owned()
}

/// What went wrong, gathered so that one run reports every failed check.
#[derive(Default)]
struct Failures(Vec<String>);

impl Failures {
    fn check(&mut self, ok: bool, what: impl FnOnce() -> String) {
        if !ok {
            let what = what();
            report(&format!("container: FAILED: {what}"));
            self.0.push(what);
        }
    }

    fn assert_none(self) {
        assert!(
            self.0.is_empty(),
            "{} checks failed:\n{}",
            self.0.len(),
            self.0.join("\n")
        );
    }
}

fn exit_codes(case: &Case, options: &[&str], failures: &mut Failures) {
    for (script, want) in [("exit 0", 0), ("exit 3", 3), ("kill -9 $$", 137)] {
        let out = output(case.run(&[&["--rm"], options].concat(), &["sh", "-c", script]));
        report(&format!(
            "container: {} {options:?}: sh -c '{script}': exit {}",
            case.name(),
            code(&out)
        ));
        failures.check(code(&out) == want, || {
            format!(
                "{} {options:?}: sh -c '{script}' exited {}, not {want}; stderr: {}",
                case.name(),
                code(&out),
                text(&out.stderr)
            )
        });
    }
}

/// pidone's options as `podman run -e` sets them (the `env` feature), the
/// one way to reach an `--init`: each check a variable, a script, the exit
/// code it must give, and what stderr must hold.
#[cfg(feature = "env")]
fn variables(case: &Case, failures: &mut Failures) {
    let checks: [(&str, &str, i32, &str); 5] = [
        ("PIDONE_SUCCESS_CODES=3,4", "exit 3", 0, ""),
        ("PIDONE_VERBOSITY=2", "exit 3", 3, ", status 3"),
        (
            "PIDONE_WARN_ZOMBIES=1",
            "(sleep 0.1 &); sleep 1",
            0,
            "pidone: reaped zombie ",
        ),
        (
            "PIDONE_REWRITE=TERM:0",
            "kill -TERM 1; sleep 1; exit 4",
            4,
            "",
        ),
        (
            "PIDONE_GRACE=1.5",
            "exit 0",
            1,
            "pidone: PIDONE_GRACE: --grace: '1.5'",
        ),
    ];
    for (variable, script, want, said) in checks {
        let options = ["--rm", "-e", variable];
        let out = output(case.run(&options, &["sh", "-c", script]));
        let stderr = text(&out.stderr);
        report(&format!(
            "container: {} -e {variable}: sh -c '{script}': exit {}",
            case.name(),
            code(&out)
        ));
        failures.check(code(&out) == want && stderr.contains(said), || {
            format!(
                "{} -e {variable}: sh -c '{script}' exited {}, not {want}, or its stderr lacks {said:?}: {stderr}",
                case.name(),
                code(&out)
            )
        });
    }
}

/// `podman stop -t 10` of the container `name`, then its exit code, and
/// its removal: podman stop's output, how long it took, and the code.
fn stop_and_remove(runner: Runner, name: &str) -> (Output, Duration, String) {
    let mut podman_stop = runner.podman();
    podman_stop.args(["stop", &format!("--time={STOP_GRACE_SECONDS}"), name]);
    let start = Instant::now();
    let stopped = output(podman_stop);
    let took = start.elapsed();
    let mut inspect = runner.podman();
    inspect.args(["inspect", "--format={{.State.ExitCode}}", name]);
    let exit = text(&output(inspect).stdout);
    let mut remove = runner.podman();
    remove.args(["rm", "--force", name]);
    output(remove);
    (stopped, took, exit)
}

/// `podman stop -t 10` of a container whose main child is `sleep 100`.
fn stop(case: &Case, options: &[&str], failures: &mut Failures) {
    let name = container_name();
    let started = output(case.run(
        &[&["--detach", &format!("--name={name}")], options].concat(),
        &["sleep", "100"],
    ));
    if code(&started) != 0 {
        // A container that failed to start is left "Created".
        let mut remove = case.runner.podman();
        remove.args(["rm", "--force", &name]);
        output(remove);
        failures.check(false, || {
            format!(
                "{} {options:?}: podman run --detach: {}",
                case.name(),
                text(&started.stderr)
            )
        });
        return;
    }
    let (stopped, took, exit) = stop_and_remove(case.runner, &name);
    report(&format!(
        "container: {} {options:?}: podman stop took {:.2} s, exit {exit}",
        case.name(),
        took.as_secs_f64()
    ));
    // With no init, `sleep` is PID 1 with no SIGTERM handler: the kernel
    // drops the signal, and podman kills it at the end of the grace period.
    let (fast, want) = match case.init {
        Some(_) => (took < STOP_MOST, "143"),
        None => (
            took >= Duration::from_secs(STOP_GRACE_SECONDS.into()),
            "137",
        ),
    };
    failures.check(code(&stopped) == 0 && fast, || {
        format!(
            "{} {options:?}: podman stop took {took:?} (most {STOP_MOST:?} with an init, the {STOP_GRACE_SECONDS} s grace period without), status {}: {}",
            case.name(),
            code(&stopped),
            text(&stopped.stderr)
        )
    });
    failures.check(exit == want, || {
        format!(
            "{} {options:?}: stopped container exited {exit:?}, not {want}",
            case.name()
        )
    });
}

/// The main child: a program that leaves 50 orphans, which exit after
/// 0.1 s, then `sleep`, which reaps nothing. Only PID 1 can reap them.
const ORPHANS_SCRIPT: &str = r#"sh -c 'for i in $(seq 50); do sleep 0.1 & done'; exec sleep 100"#;
/// Run in the container by `podman exec`, a second later.
const COUNT_ZOMBIES: &str = r#"cat /proc/[0-9]*/stat 2>/dev/null | grep -c '^[0-9]* ([^)]*) Z '"#;
const ORPHANS: usize = 50;

/// Zombies in the container while the main child still runs: 0 with an
/// init, all 50 orphans without one (the control, which shows they were
/// there to reap and that the count sees them).
fn orphans(case: &Case, failures: &mut Failures) {
    let name = container_name();
    let remove = || {
        let mut kill = case.runner.podman();
        kill.args(["kill", &name]);
        output(kill);
        let mut remove = case.runner.podman();
        remove.args(["rm", "--force", &name]);
        output(remove);
    };
    let started = output(case.run(
        &["--detach", &format!("--name={name}")],
        &["sh", "-c", ORPHANS_SCRIPT],
    ));
    if code(&started) != 0 {
        remove();
        return failures.check(false, || {
            format!(
                "{}: podman run --detach: {}",
                case.name(),
                text(&started.stderr)
            )
        });
    }
    std::thread::sleep(Duration::from_secs(1));
    let mut count = case.runner.podman();
    count.args(["exec", &name, "sh", "-c", COUNT_ZOMBIES]);
    let counted = output(count);
    remove();
    let zombies: Option<usize> = text(&counted.stdout).parse().ok();
    let want = if case.init.is_some() { 0 } else { ORPHANS };
    report(&format!("container: {}: zombies {zombies:?}", case.name()));
    failures.check(zombies == Some(want), || {
        format!(
            "{}: {zombies:?} zombies, not {want}; podman exec: {}",
            case.name(),
            text(&counted.stderr)
        )
    })
}

/// `podman run -it` on a terminal of its own: waits for `ready` in what the
/// container shows, types `typed`, and returns the exit code and the output.
fn on_terminal(case: &Case, command: &[&str], ready: &str, typed: &[u8]) -> (i32, String) {
    let mut podman = case.run(&["--rm", "--interactive", "--tty"], command);
    let master: OwnedFd = stdin_on_new_terminal(&mut podman);
    let mut child = podman
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start podman run -it");
    let mut stdout = child.stdout.take().expect("stdout");
    let (sender, chunks) = mpsc::channel();
    std::thread::spawn(move || {
        let mut buffer = [0; 4096];
        while let Ok(n @ 1..) = stdout.read(&mut buffer) {
            if sender.send(buffer[..n].to_vec()).is_err() {
                break;
            }
        }
    });
    let deadline = Instant::now() + DEADLINE;
    let mut seen = Vec::new();
    let mut typed_yet = false;
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        match chunks.recv_timeout(left.min(Duration::from_millis(100))) {
            Ok(chunk) => seen.extend(chunk),
            Err(mpsc::RecvTimeoutError::Disconnected) => break,
            Err(mpsc::RecvTimeoutError::Timeout) if left.is_zero() => {
                let _ = child.kill();
                let _ = child.wait();
                return (-1, format!("deadline; output {:?}", text(&seen)));
            }
            Err(mpsc::RecvTimeoutError::Timeout) => {}
        }
        if !typed_yet && String::from_utf8_lossy(&seen).contains(ready) {
            std::fs::File::from(master.try_clone().expect("dup"))
                .write_all(typed)
                .expect("type on the terminal");
            typed_yet = true;
        }
    }
    let status = child.wait().expect("wait");
    let mut stderr = String::new();
    let _ = child
        .stderr
        .take()
        .expect("stderr")
        .read_to_string(&mut stderr);
    let shown = format!("output {:?}, stderr {:?}", text(&seen), stderr.trim());
    (status.code().unwrap_or(-1), shown)
}

fn terminal(case: &Case, failures: &mut Failures) {
    // ash's prompt for root ends in "# ".
    let (exit, shown) = on_terminal(case, &["sh"], "# ", b"exit 5\r");
    report(&format!(
        "container: {}: -it sh, typed exit 5: exit {exit}",
        case.name()
    ));
    failures.check(exit == 5, || {
        format!(
            "{}: -it sh, typed exit 5: exit {exit}, not 5; {shown}",
            case.name()
        )
    });
    let script = "echo ready; exec sleep 100";
    let (exit, shown) = on_terminal(case, &["sh", "-c", script], "ready", b"\x03");
    report(&format!(
        "container: {}: -it sleep, Ctrl-C: exit {exit}",
        case.name()
    ));
    failures.check(exit == 130, || {
        format!(
            "{}: -it sleep, Ctrl-C: exit {exit}, not 130; {shown}",
            case.name()
        )
    });
}

/// `-u` (the `user` feature), pidone's alone: its ids, given with `-u` to
/// the ENTRYPOINT and, with the `env` feature, as `PIDONE_USER` through
/// `--init`. The image has no `/etc/passwd`: numbers work, a name is 123;
/// with no capabilities, setgroups is refused: 123 too.
#[cfg(feature = "user")]
fn user_ids(runner: Runner, pidone: &Init, failures: &mut Failures) {
    const IDS: &str = "uid=65534 gid=65534 groups=65534";
    const NO_USER: &str = "pidone: -u: no user 'nobody' in /etc/passwd";
    const REFUSED: &str = "pidone: -u: setgroups: Operation not permitted";
    // `IMAGE -u USER -- id`, pidone as the ENTRYPOINT.
    let entrypoint = |options: &[&str], user: &str| {
        let mut podman = runner.podman();
        podman
            .args(["run", "--rm"])
            .args(options)
            .arg(format!("--volume={}:/init:ro", pidone.path.display()))
            .args(["--entrypoint=/init", IMAGE, "-u", user, "--", "id"]);
        (
            format!("{} pidone entrypoint -u {user} {options:?}", runner.name()),
            podman,
        )
    };
    #[cfg_attr(
        not(feature = "env"),
        expect(unused_mut, reason = "the --init cases below need `env`")
    )]
    let mut cases = vec![
        (entrypoint(&[], "65534:65534"), 0, IDS),
        (entrypoint(&[], "nobody"), 123, NO_USER),
        (entrypoint(&["--cap-drop=all"], "65534:65534"), 123, REFUSED),
    ];
    // Through `--init`, only the environment reaches pidone: PIDONE_USER.
    #[cfg(feature = "env")]
    {
        let case = Case {
            runner,
            init: Some(pidone),
            way: Way::InitPath,
        };
        for (user, want, shown) in [("65534:65534", 0, IDS), ("nobody", 123, NO_USER)] {
            let variable = format!("PIDONE_USER={user}");
            let podman = case.run(&["--rm", "--env", &variable], &["id"]);
            cases.push(((format!("{} {variable}", case.name()), podman), want, shown));
        }
    }
    for ((name, podman), want, shown) in cases {
        let out = output(podman);
        let seen = if want == 0 { &out.stdout } else { &out.stderr };
        report(&format!(
            "container: {name}: exit {}, {:?}",
            code(&out),
            text(seen)
        ));
        failures.check(code(&out) == want && text(seen) == shown, || {
            format!(
                "{name}: exit {}, not {want}; {:?}, not {shown:?}; stderr: {}",
                code(&out),
                text(seen),
                text(&out.stderr)
            )
        });
    }
}

/// Default seccomp, no capabilities, no new privileges, a read-only root
/// and nobody's ids.
const HARDENED: [&str; 4] = [
    "--cap-drop=all",
    "--security-opt=no-new-privileges",
    "--read-only",
    "--user=65534:65534",
];

/// `command` with `files` as its descriptors 3, 4, ... in that order, as
/// `--preserve-fds` and socket activation pass them.
fn with_descriptors(command: &mut Command, files: Vec<OwnedFd>) {
    // Copies at 10 and up first, so that no target (3 to 9) is a file not
    // yet moved.
    let sources: Vec<OwnedFd> = files
        .iter()
        .map(|file| {
            // SAFETY: a plain call; the copy is owned below.
            let raw = unsafe { libc::fcntl(file.as_raw_fd(), libc::F_DUPFD_CLOEXEC, 10) };
            assert!(
                raw >= 10,
                "F_DUPFD_CLOEXEC: {}",
                std::io::Error::last_os_error()
            );
            // SAFETY: a new descriptor, nobody else's.
            unsafe { OwnedFd::from_raw_fd(raw) }
        })
        .collect();
    assert!(sources.len() <= 7);
    // SAFETY: between fork and exec, dup2 alone, which is async-signal-safe;
    // the copy it makes is not close-on-exec.
    unsafe {
        command.pre_exec(move || {
            for (target, source) in (3..).zip(&sources) {
                if libc::dup2(source.as_raw_fd(), target) == -1 {
                    return Err(std::io::Error::last_os_error());
                }
            }
            Ok(())
        })
    };
}

/// pidone with `--preserve-fds=2`: once its child runs it holds no
/// descriptor above 2, and the child has both.
fn descriptors_in_container(case: &Case, failures: &mut Failures) {
    let (reader, writer) = std::io::pipe().expect("pipe");
    let mut podman = case.run(
        &["--rm", "--preserve-fds=2"],
        &["sh", "-c", "ls /proc/1/fd; echo -; ls /proc/$$/fd"],
    );
    with_descriptors(&mut podman, vec![reader.into(), writer.into()]);
    let out = output(podman);
    let listed = text(&out.stdout);
    let (pidones, childs) = listed.split_once("\n-\n").unwrap_or_default();
    let fds = |list: &str| -> Vec<u32> { list.lines().filter_map(|fd| fd.parse().ok()).collect() };
    let (pidones, childs) = (fds(pidones), fds(childs));
    report(&format!(
        "container: {}: --preserve-fds=2: PID 1 holds {pidones:?}, the child {childs:?}",
        case.name()
    ));
    failures.check(
        pidones == [0, 1, 2] && childs.contains(&3) && childs.contains(&4),
        || {
            format!(
                "{}: --preserve-fds=2: PID 1 holds {pidones:?} (want 0, 1, 2), the child {childs:?} (want 3 and 4 among them); stderr: {}",
                case.name(),
                text(&out.stderr)
            )
        },
    );
}

/// Socket activation as systemd does it: podman started with a listening
/// socket as descriptor 3, `LISTEN_FDS=1` and `LISTEN_PID` its own pid,
/// which passes the socket on and gives the container `LISTEN_PID=1`, its
/// init's. pidone's child sees its own pid there instead (with the
/// `socket-activation` feature; 1 without), and the socket. `LISTEN_PID`
/// with no `LISTEN_FDS` is left as it is.
fn socket_activation(case: &Case, failures: &mut Failures) {
    let dir = TempDir::new();
    let listener = std::os::unix::net::UnixListener::bind(dir.path().join("socket"))
        .expect("bind a unix socket");
    let podman = case.run(
        &["--rm"],
        &[
            "sh",
            "-c",
            "echo $$ $LISTEN_PID $LISTEN_FDS; readlink /proc/self/fd/3",
        ],
    );
    let mut activated = Command::new("sh");
    activated
        .args([
            "-c",
            r#"export LISTEN_FDS=1 LISTEN_PID=$$; exec "$@""#,
            "sh",
        ])
        .arg(podman.get_program())
        .args(podman.get_args());
    for (name, value) in podman.get_envs() {
        match value {
            Some(value) => activated.env(name, value),
            None => activated.env_remove(name),
        };
    }
    with_descriptors(&mut activated, vec![listener.into()]);
    let out = output(activated);
    let seen = text(&out.stdout);
    report(&format!(
        "container: {}: socket-activated podman: child's $$ LISTEN_PID LISTEN_FDS, fd 3: {seen:?}",
        case.name()
    ));
    let ok = match seen.lines().collect::<Vec<_>>()[..] {
        [pids, fd3] => {
            let words: Vec<&str> = pids.split(' ').collect();
            // Without the feature, the init's pid, as tini-static gives.
            let listen_pid = if cfg!(feature = "socket-activation") {
                words[0]
            } else {
                "1"
            };
            words.len() == 3
                && words[1] == listen_pid
                && words[2] == "1"
                && fd3.starts_with("socket:")
        }
        _ => false,
    };
    failures.check(ok, || {
        format!(
            "{}: socket-activated podman: the child saw {seen:?}, not its own pid in LISTEN_PID and a socket as fd 3; stderr: {}",
            case.name(),
            text(&out.stderr)
        )
    });
    let out = output(case.run(
        &["--rm", "--env=LISTEN_PID=1"],
        &["sh", "-c", "echo $LISTEN_PID"],
    ));
    failures.check(text(&out.stdout) == "1", || {
        format!(
            "{}: LISTEN_PID=1 without LISTEN_FDS became {:?}; stderr: {}",
            case.name(),
            text(&out.stdout),
            text(&out.stderr)
        )
    });
}

/// The case of catatonit #12 inside a container: a shell as the
/// ENTRYPOINT starts a reader of a fifo, opens its write end and executes
/// pidone, whose child closes it at once and sleeps 3 s. The reader sees
/// its end (and says when, by the container's uptime) as soon as the child
/// has closed its end, not when it exits. (Through `--preserve-fds`
/// conmon holds the container's descriptors itself while the container
/// runs, so no init can end a pipe passed that way.)
fn pipe_end_in_container(runner: Runner, pidone: &Init, failures: &mut Failures) {
    const UPTIME: &str = "$(cut -d' ' -f1 /proc/uptime)";
    let script = format!(
        "mkfifo /tmp/fifo; (cat /tmp/fifo >/dev/null; echo eof {UPTIME}) & \
         exec /init -- sh -c 'exec 7>&-; echo closed {}; exec sleep 3' 7>/tmp/fifo",
        UPTIME.replace('\'', "\"")
    );
    let case = Case {
        runner,
        init: None,
        way: Way::InitPath,
    };
    let volume = format!("--volume={}:/init:ro", pidone.path.display());
    let out = output(case.run(&["--rm", &volume, "--entrypoint=/bin/sh"], &["-c", &script]));
    let seen = text(&out.stdout);
    let at = |what: &str| -> Option<f64> {
        seen.lines()
            .find_map(|line| line.strip_prefix(what)?.trim().parse().ok())
    };
    let waited = at("eof")
        .zip(at("closed"))
        .map(|(eof, closed)| eof - closed);
    report(&format!(
        "container: {} pidone: a fifo the child closes at once ends {waited:?} s later (it then sleeps 3 s)",
        runner.name()
    ));
    failures.check(waited.is_some_and(|waited| waited < 1.5), || {
        format!(
            "{} pidone: the fifo's end came {waited:?} s after the child closed it, not at once; stdout {seen:?}, stderr: {}",
            runner.name(),
            text(&out.stderr)
        )
    });
}

/// Once its child runs, pidone's working directory is `/`, so that it pins
/// no directory and no mount (catatonit #28, #33), while the child keeps
/// the container's (`--workdir`).
fn working_directory(case: &Case, failures: &mut Failures) {
    let out = output(case.run(
        &["--rm", "--workdir=/tmp"],
        &["sh", "-c", "readlink /proc/1/cwd; pwd"],
    ));
    let seen = text(&out.stdout);
    report(&format!(
        "container: {}: --workdir=/tmp: PID 1's cwd, the child's: {seen:?}",
        case.name()
    ));
    failures.check(seen == "/\n/tmp", || {
        format!(
            "{}: --workdir=/tmp: PID 1's working directory and the child's were {seen:?}, not / and /tmp; stderr: {}",
            case.name(),
            text(&out.stderr)
        )
    });
}

/// `-W`, given to pidone as the ENTRYPOINT: the container lives until what
/// the main child left behind has exited, and exits with the main child's
/// code; without `-W`, at once, and the leftover is killed with the
/// namespace. With `--grace 1`, `podman stop` ends a leftover that ignores
/// TERM a second after the TERM, well before podman's own 10 s.
fn wait_all(runner: Runner, pidone: &Init, failures: &mut Failures) {
    let case = Case {
        runner,
        init: Some(pidone),
        way: Way::Entrypoint,
    };
    let script = "(sleep 2; echo late) & exit 3";
    for (init_args, late) in [(&["-W"][..], true), (&[][..], false)] {
        let out = output(case.run_with(&["--rm"], init_args, &["sh", "-c", script]));
        let seen = text(&out.stdout);
        report(&format!(
            "container: {} {init_args:?}: sh -c '{script}': exit {}, stdout {seen:?}",
            case.name(),
            code(&out)
        ));
        failures.check(code(&out) == 3 && (seen == "late") == late, || {
            format!(
                "{} {init_args:?}: sh -c '{script}' exited {} with stdout {seen:?}: the leftover {} have finished",
                case.name(),
                code(&out),
                if late { "should" } else { "should not" }
            )
        });
    }
    let name = container_name();
    let leftover = "(trap '' TERM; exec sleep 60) & exit 3";
    let started = output(case.run_with(
        &["--detach", &format!("--name={name}")],
        &["-W", "--grace", "1"],
        &["sh", "-c", leftover],
    ));
    // Once the main child has exited and pidone waits for the leftover.
    std::thread::sleep(Duration::from_secs(1));
    let (stopped, took, exit) = stop_and_remove(case.runner, &name);
    report(&format!(
        "container: {} -W --grace 1: podman stop took {:.2} s, exit {exit}",
        case.name(),
        took.as_secs_f64()
    ));
    failures.check(
        code(&started) == 0 && code(&stopped) == 0 && took < STOP_MOST && exit == "3",
        || {
            format!(
                "{} -W --grace 1: podman stop took {took:?} (most {STOP_MOST:?}), the container exited {exit:?}, not 3; stderr: {}",
                case.name(),
                text(&started.stderr)
            )
        },
    );
}

/// What pidone does and the other inits do not, checked in the real
/// runtime for pidone alone: its descriptors, the end of a pipe, socket
/// activation's `LISTEN_PID`, its working directory, and `-W`.
fn pidone_only_checks(runner: Runner, pidone: &Init, failures: &mut Failures) {
    for way in WAYS {
        let case = Case {
            runner,
            init: Some(pidone),
            way,
        };
        descriptors_in_container(&case, failures);
        socket_activation(&case, failures);
        working_directory(&case, failures);
    }
    pipe_end_in_container(runner, pidone, failures);
    wait_all(runner, pidone, failures);
}

fn every_check(runner: Runner) {
    assert!(
        !emulated(),
        "the containers would run the host's pidone, not the emulated one: run natively (qemu/test skips these under QEMU)"
    );
    require(runner);
    let _end_pause = (runner == Runner::Rootless).then_some(EndPauseProcess);
    let inits = inits();
    let mut failures = Failures::default();
    let control = Case {
        runner,
        init: None,
        way: Way::InitPath,
    };
    stop(&control, &[], &mut failures);
    orphans(&control, &mut failures);
    for init in &inits {
        for way in WAYS {
            let init = Some(init);
            let case = Case { runner, init, way };
            exit_codes(&case, &[], &mut failures);
            stop(&case, &[], &mut failures);
            orphans(&case, &mut failures);
            terminal(&case, &mut failures);
            exit_codes(&case, &HARDENED, &mut failures);
            stop(&case, &HARDENED, &mut failures);
            #[cfg(feature = "env")]
            if init.is_some_and(|init| init.name == "pidone") {
                variables(&case, &mut failures);
            }
        }
    }
    let pidone = inits.iter().find(|init| init.name == "pidone");
    let pidone = pidone.expect("pidone");
    pidone_only_checks(runner, pidone, &mut failures);
    #[cfg(feature = "user")]
    user_ids(runner, pidone, &mut failures);
    failures.assert_none();
}

// Two tests, which libtest runs in parallel: each runs its cases in turn,
// since rootless podman's pause process is ended at the end.
#[test]
fn in_podman_rootful() {
    every_check(Runner::Rootful);
}

#[test]
fn in_podman_rootless() {
    every_check(Runner::Rootless);
}
