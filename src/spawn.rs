//! Starting the child: `fork`, its own process group, the terminal's
//! foreground, the signal state pidone inherited, socket activation's
//! `LISTEN_PID`, and `execvp`'s `PATH` search, without allocating.

#[cfg(feature = "socket-activation")]
use crate::message::{Message, pid_number};
use crate::message::{errno_number, say};
#[cfg(feature = "socket-activation")]
use crate::signal::parse_decimal;
use crate::signal::{self, Signal, SignalSet};
use crate::{Errno, Pid, strip_prefix, sys};
use core::ffi::CStr;
use rustix::fd::BorrowedFd;
use rustix::process;

/// Linux's `PATH_MAX`: the longest path, its NUL included, `execve` takes.
pub const PATH_MAX: usize = 4096;

/// The search path `execvp` uses when `PATH` is unset (musl's).
pub const DEFAULT_PATH: &CStr = c"/usr/local/bin:/bin:/usr/bin";

/// Socket activation's variable, with its `=` ([`listen_pid_slot`]).
#[cfg(feature = "socket-activation")]
const LISTEN_PID: &[u8] = b"LISTEN_PID=";

/// The exit code of `-u` failing: a name not found, a file unreadable,
/// or a call refused, in pidone or in the child. Just below `env`'s 125.
pub const EXIT_USER: u8 = 123;

/// The exit code of a child that could not run its program, as shells give
/// it: 127 when it was not found (`ENOENT`), 126 when it was found but could
/// not be executed (a directory, no permission, not an executable format).
/// A missing interpreter is `ENOENT` too: [`Spawn::spawn`]'s child tells it
/// apart, and exits 126 for it.
pub const fn exit_code_for(errno: Errno) -> u8 {
    if errno.raw_os_error() == Errno::NOENT.raw_os_error() {
        127
    } else {
        126
    }
}

/// How to start the child.
#[derive(Copy, Clone, Debug)]
pub struct Spawn<'a> {
    /// The program, a path or a name to look up in `PATH`.
    pub program: &'a CStr,
    /// The child's `argv`: a NULL-terminated array of C strings.
    pub argv: *const *const u8,
    /// The child's environment: a NULL-terminated array of C strings, which
    /// the child may rewrite in its own copy (`listen_pid_slot`, with the
    /// `socket-activation` feature). `PATH` is looked up in it.
    pub envp: *mut *const u8,
    /// The signal mask the child starts with: the one pidone inherited.
    pub mask: SignalSet,
    /// Whether `SIGCHLD` was inherited as ignored: the child gets it back.
    pub sigchld_ignored: bool,
    /// `-u USER[:GROUP]`: whom the program runs as, looked up in pidone
    /// before the fork ([`crate::user`]); `None`: as pidone.
    #[cfg(feature = "user")]
    pub user: Option<&'a [u8]>,
}

impl Spawn<'_> {
    /// Looks `-u`'s ids up (the `user` feature), then forks the child,
    /// which takes them, puts itself in a process group of its own, takes
    /// the terminal's foreground if stdin is a terminal, restores the
    /// inherited signal state, passes on socket activation's sockets
    /// (`listen_pid_slot`, with the `socket-activation` feature), and
    /// executes the program. If the ids cannot be looked up or taken,
    /// pidone or the child says why on stderr and exits [`EXIT_USER`]; if
    /// the program cannot run, the child says why and exits 126 or 127
    /// ([`exit_code_for`]).
    ///
    /// Returns the child's pid, which is also its process group's id.
    ///
    /// # Safety
    ///
    /// `argv` and `envp` are as their fields say, and `envp`'s array is
    /// writable memory that nothing else uses in the child. In a process
    /// with more threads, the child only makes raw syscalls, as `fork`
    /// requires. The program has no libc: the child restores
    /// [`Spawn::mask`] exactly, signals 32 and 33 included.
    pub unsafe fn spawn(&self) -> Result<Pid, Errno> {
        // Before the fork, so that a name not found starts nothing.
        #[cfg(feature = "user")]
        let ids = self.user.map(crate::user::resolve);
        // SAFETY: the caller's promise.
        match unsafe { sys::fork() } {
            Ok(Some(child)) => {
                // The parent sets the group too, so that a signal forwarded
                // to the group right away finds it; whichever of the two
                // calls comes second fails harmlessly.
                let _ = process::setpgid(Some(child), Some(child));
                Ok(child)
            }
            Ok(None) => {
                // First: nothing the child does next needs root's rights.
                #[cfg(feature = "user")]
                if let Some(ids) = &ids {
                    ids.take();
                }
                // SAFETY: the caller's promise.
                unsafe { self.become_program() }
            }
            Err(errno) => Err(errno),
        }
    }

    /// The child of [`Spawn::spawn`].
    unsafe fn become_program(&self) -> ! {
        let _ = process::setpgid(None, None);
        let me = process::getpid();
        // SAFETY: fd 0 is only borrowed; if it is not open, isatty says no.
        let stdin = unsafe { BorrowedFd::borrow_raw(0) };
        if rustix::termios::isatty(stdin) {
            // Every signal is still blocked, SIGTTOU included, so a
            // background group may take the foreground.
            let _ = rustix::termios::tcsetpgrp(stdin, me);
        }
        // "LISTEN_PID=", at most 7 digits (PID_DIGITS) and the NUL, which
        // always fit in a `Message`. It lives on this stack until `execve`
        // copies it.
        #[cfg(feature = "socket-activation")]
        let mut listen_pid = Message::new();
        // The parent is pidone, which the sockets were passed to.
        #[cfg(feature = "socket-activation")]
        if let Some(parent) = process::getppid()
            // SAFETY: the caller's promise on envp.
            && let Some(slot) = unsafe { listen_pid_slot(self.envp, pid_number(parent)) }
        {
            listen_pid
                .push(LISTEN_PID)
                .push_decimal(pid_number(me))
                .push(b"\0");
            // SAFETY: `slot` is an entry of envp, whose array this process
            // alone uses (its copy since the fork), and which the caller
            // promised writable.
            unsafe { *self.envp.add(slot) = listen_pid.as_bytes().as_ptr() };
        }
        if self.sigchld_ignored {
            let _ = signal::set_ignored(Signal::CHLD, true);
        }
        // The mask exactly as pidone inherited it, 32 and 33 included.
        // SAFETY: `spawn`'s caller has no libc.
        let _ = unsafe { sys::set_mask(self.mask) };
        // SAFETY: the caller's promise on argv and envp.
        let errno = unsafe { execvp(self.program, self.argv, self.envp) };
        crate::exit(report_exec_failure(self.program, errno))
    }
}

/// `execvp(3)` without allocation: [`search`] along `PATH` (from `envp`, or
/// [`DEFAULT_PATH`]), with `execve(2)` for each candidate.
///
/// Returns only on failure, with the reason.
///
/// # Safety
///
/// `argv` and `envp` are NULL-terminated arrays of C strings.
pub unsafe fn execvp(program: &CStr, argv: *const *const u8, envp: *const *const u8) -> Errno {
    // SAFETY: the caller's promise.
    let path = unsafe { find_env(envp, b"PATH=") }.map_or(DEFAULT_PATH, |(_, path)| path);
    // SAFETY: the caller's promise.
    search(path, program, |candidate| unsafe {
        sys::execve(candidate, argv, envp)
    })
}

/// `execvp`'s search, with `exec` trying one path and saying why it
/// failed. A `program` with a `/` is tried as it is; otherwise each
/// directory of `path` (a `PATH` value) is tried in turn, an empty one
/// meaning the current directory, and one too long for [`PATH_MAX`] is
/// skipped. As glibc and musl do, a directory where the program exists but
/// may not be executed (`EACCES`) does not end the search, but is what is
/// reported if nothing else is found; other errors end it. An empty
/// `program` is not found (`ENOENT`).
pub fn search(path: &CStr, program: &CStr, mut exec: impl FnMut(&CStr) -> Errno) -> Errno {
    let name = program.to_bytes();
    if name.is_empty() {
        return Errno::NOENT;
    }
    if has_slash(name) {
        return exec(program);
    }
    // Both are C strings: no NUL inside, so none in what `join` builds.
    let mut rest = path.to_bytes();
    let mut buffer = PathBuffer::new();
    let mut result = Errno::NOENT;
    loop {
        let colon = rest.iter().position(|&b| b == b':');
        let (dir, tail) = rest.split_at(colon.unwrap_or(rest.len()));
        let errno = match join(&mut buffer, dir, name) {
            Some(candidate) => exec(candidate),
            None => Errno::NAMETOOLONG,
        };
        match errno {
            Errno::ACCESS => result = Errno::ACCESS,
            Errno::NOENT | Errno::NOTDIR | Errno::NAMETOOLONG => {}
            other => return other,
        }
        match tail {
            [_, tail @ ..] => rest = tail,
            [] => return result,
        }
    }
}

/// `dir/name` (or `name` for an empty `dir`) as a C string in `buffer`, if
/// it fits.
fn join<'b>(buffer: &'b mut PathBuffer, dir: &[u8], name: &[u8]) -> Option<&'b CStr> {
    buffer.clear();
    let slash: &[u8] = if dir.is_empty() { b"" } else { b"/" };
    for part in [dir, slash, name, b"\0"] {
        for &byte in part {
            buffer.push(byte).ok()?;
        }
    }
    // SAFETY: `dir` and `name` come from C strings, so the only NUL is the
    // one just pushed.
    Some(unsafe { CStr::from_bytes_with_nul_unchecked(buffer) })
}

/// Socket activation (`sd_listen_fds(3)`): the place in `envp` of the
/// entry `LISTEN_PID=PID` when `PID` is `pid` (pidone's, which the
/// sockets were passed to) and `LISTEN_FDS` is set too. The child then gets
/// its own pid there; without that, `sd_listen_fds` in the child would take
/// the sockets for another process's and ignore them (catatonit #13,
/// cri-o #1300). Only the first `LISTEN_PID` counts, as `getenv(3)` finds it;
/// one that names another pid, or is not a decimal number (leading zeros
/// are read as decimal), is left alone.
///
/// # Safety
///
/// `envp` is NULL or a NULL-terminated array of C strings.
#[cfg(feature = "socket-activation")]
pub unsafe fn listen_pid_slot(envp: *const *const u8, pid: u32) -> Option<usize> {
    // SAFETY: the caller's promise.
    unsafe { find_env(envp, b"LISTEN_FDS=") }?;
    // SAFETY: the caller's promise.
    let (slot, value) = unsafe { find_env(envp, LISTEN_PID) }?;
    (parse_decimal(value.to_bytes(), PID_DIGITS) == Some(pid)).then_some(slot)
}

/// The most digits a pid has: Linux's `PID_MAX_LIMIT` is 2^22, 4,194,304.
/// (More would not fit [`parse_decimal`]'s 32 bits either.)
#[cfg(feature = "socket-activation")]
const PID_DIGITS: usize = 7;

/// The first entry of a NULL-terminated `envp` that starts with `prefix`,
/// a name and its `=`, as `getenv(3)` finds it: its place in the array, and
/// its value. (The `=` is the caller's: one comparison less in the binary.)
///
/// # Safety
///
/// `envp` is NULL or a NULL-terminated array of C strings that outlive `'a`.
pub unsafe fn find_env<'a>(envp: *const *const u8, prefix: &[u8]) -> Option<(usize, &'a CStr)> {
    // SAFETY: the caller's promise.
    let (slot, value) = unsafe { env_entries(envp) }
        .enumerate()
        .find_map(|(slot, entry)| {
            Some((
                slot,
                strip_prefix(entry.to_bytes_with_nul(), prefix, false)?,
            ))
        })?;
    // SAFETY: the tail of a C string is one, NUL included.
    Some((slot, unsafe { CStr::from_bytes_with_nul_unchecked(value) }))
}

/// The entries of a NULL-terminated `envp` (or `argv`), as bytes.
///
/// # Safety
///
/// `envp` is NULL or a NULL-terminated array of C strings that outlive `'a`.
pub unsafe fn env_entries<'a>(envp: *const *const u8) -> impl Iterator<Item = &'a CStr> + Clone {
    let mut at = envp;
    core::iter::from_fn(move || {
        if at.is_null() {
            return None;
        }
        // SAFETY: the caller's promise: `at` is within the array.
        let entry = unsafe { *at };
        if entry.is_null() {
            return None;
        }
        // SAFETY: not the terminating NULL, so the next slot exists.
        at = unsafe { at.add(1) };
        // SAFETY: a C string, by the caller's promise.
        Some(unsafe { CStr::from_ptr(entry.cast()) })
    })
}

/// Room for one candidate path and its NUL.
pub type PathBuffer = heapless::Vec<u8, PATH_MAX>;

/// Whether `path` has a `/`, which makes `execvp` run it without a search.
#[expect(
    clippy::manual_contains,
    reason = "`contains` brings a 200-byte memchr into the binary"
)]
fn has_slash(path: &[u8]) -> bool {
    path.iter().any(|&b| b == b'/')
}

/// Says on stderr why `program` could not be run:
/// `pidone: cannot run 'NAME': REASON`, and returns the exit code. A path
/// that exists but gave `ENOENT` names its missing interpreter or loader,
/// and exits 126 where [`exit_code_for`] the errno alone would say 127; one
/// that gave `EACCES` and is a directory says so.
fn report_exec_failure(program: &CStr, errno: Errno) -> u8 {
    use rustix::fs::{Access, access};
    let exists = has_slash(program.to_bytes()) && access(program, Access::EXISTS).is_ok();
    let (template, errno, code): (&[u8], Errno, u8) = match errno {
        Errno::NOENT if exists => (
            b"cannot run '\x01': its interpreter or loader is missing (\x02)",
            errno,
            126,
        ),
        // `chdir` succeeds only into a directory, and this process exits
        // next: cheaper than `stat` (`statx`, and its fallback on 32-bit
        // targets).
        Errno::ACCESS if exists && rustix::process::chdir(program).is_ok() => {
            (b"cannot run '\x01': \x02", Errno::ISDIR, 126)
        }
        _ => (b"cannot run '\x01': \x02", errno, exit_code_for(errno)),
    };
    say(template, program.to_bytes(), [errno_number(errno), 0]);
    code
}

#[cfg(test)]
mod tests {
    extern crate std;
    use super::*;
    use std::ffi::CString;
    use std::vec::Vec;

    /// The paths `search` tries (each failing with `errors`' entry for its
    /// position, ENOENT past them), and what it returns.
    fn tried(path: &[u8], program: &[u8], errors: &[Errno]) -> (Vec<Vec<u8>>, Errno) {
        let (path, program) = (CString::new(path).unwrap(), CString::new(program).unwrap());
        let mut paths = Vec::new();
        let errno = search(&path, &program, |candidate| {
            paths.push(candidate.to_bytes().to_vec());
            errors.get(paths.len() - 1).copied().unwrap_or(Errno::NOENT)
        });
        (paths, errno)
    }

    #[test]
    fn searches_path_in_order_with_empty_meaning_here() {
        let (paths, errno) = tried(b"/a:/b/::c", b"sh", &[]);
        assert_eq!(paths, [&b"/a/sh"[..], b"/b//sh", b"sh", b"c/sh"]);
        assert_eq!(errno, Errno::NOENT);
        assert_eq!(tried(b"", b"sh", &[]).0, [b"sh"]);
    }

    #[test]
    fn a_slash_means_no_search() {
        assert_eq!(tried(b"/a:/b", b"./sh", &[]).0, [b"./sh"]);
        assert_eq!(tried(b"/a", b"/bin/sh", &[]).0, [b"/bin/sh"]);
    }

    #[test]
    fn denied_goes_on_and_other_errors_stop() {
        let denied = tried(b"/a:/b:/c", b"sh", &[Errno::ACCESS]);
        assert_eq!((denied.0.len(), denied.1), (3, Errno::ACCESS));
        let bad = tried(b"/a:/b:/c", b"sh", &[Errno::NOTDIR, Errno::NOEXEC]);
        assert_eq!((bad.0.len(), bad.1), (2, Errno::NOEXEC));
    }

    #[test]
    fn bad_names_and_long_entries() {
        assert_eq!(
            tried(b"/a", b"", &[]),
            (Vec::<Vec<u8>>::new(), Errno::NOENT)
        );
        let long = [b'd'; PATH_MAX];
        let mut path = long.to_vec();
        path.extend_from_slice(b":/bin");
        assert_eq!(tried(&path, b"sh", &[]).0, [b"/bin/sh"]);
        assert_eq!(
            tried(b"/a", &long, &[]),
            (Vec::<Vec<u8>>::new(), Errno::NOENT)
        );
    }

    #[test]
    fn exit_codes_follow_shells() {
        assert_eq!(exit_code_for(Errno::NOENT), 127);
        assert_eq!(exit_code_for(Errno::ACCESS), 126);
        assert_eq!(exit_code_for(Errno::NOEXEC), 126);
    }

    /// `listen_pid_slot` of these entries, for pidone's pid 42.
    #[cfg(feature = "socket-activation")]
    fn listen_pid_slot_of(entries: &[&CStr]) -> Option<usize> {
        let mut array: Vec<*const u8> = entries.iter().map(|e| e.as_ptr().cast()).collect();
        array.push(core::ptr::null());
        // SAFETY: a NULL-terminated array of C strings.
        unsafe { listen_pid_slot(array.as_ptr(), 42) }
    }

    #[cfg(feature = "socket-activation")]
    #[test]
    fn listen_pid_is_pidones_own_and_comes_with_listen_fds() {
        let fds = c"LISTEN_FDS=1";
        assert_eq!(
            listen_pid_slot_of(&[c"A=1", fds, c"LISTEN_PID=42"]),
            Some(2)
        );
        assert_eq!(listen_pid_slot_of(&[c"LISTEN_PID=42", c"B=", fds]), Some(0));
        assert_eq!(listen_pid_slot_of(&[c"LISTEN_PID=0042", fds]), Some(0));
        assert_eq!(listen_pid_slot_of(&[c"LISTEN_PID=42"]), None);
        assert_eq!(
            listen_pid_slot_of(&[c"LISTEN_FDSX=1", c"LISTEN_PID=42"]),
            None
        );
        assert_eq!(listen_pid_slot_of(&[fds, c"LISTEN_PID=43"]), None);
        assert_eq!(listen_pid_slot_of(&[fds]), None);
        // The first LISTEN_PID is the one getenv finds.
        assert_eq!(
            listen_pid_slot_of(&[fds, c"LISTEN_PID=7", c"LISTEN_PID=42"]),
            None
        );
        assert_eq!(
            listen_pid_slot_of(&[fds, c"LISTEN_PID=42", c"LISTEN_PID=7"]),
            Some(1)
        );
        for malformed in [
            c"LISTEN_PID=",
            c"LISTEN_PID= 42",
            c"LISTEN_PID=+42",
            c"LISTEN_PID=42 ",
            c"LISTEN_PID=4x2",
            c"LISTEN_PID=00000000042",
            c"LISTEN_PID=9999999999",
            c"LISTEN_PIDX=42",
        ] {
            assert_eq!(listen_pid_slot_of(&[fds, malformed]), None, "{malformed:?}");
        }
    }

    #[test]
    fn find_env_finds_exact_names() {
        let entries = [
            c"PATHX=1".as_ptr(),
            c"PATH=/x".as_ptr(),
            c"PATH=/y".as_ptr(),
            core::ptr::null(),
        ];
        // SAFETY: a NULL-terminated array of C strings.
        let found = unsafe { find_env(entries.as_ptr().cast(), b"PATH=") };
        assert_eq!(found, Some((1, c"/x")));
        // SAFETY: as above.
        assert_eq!(unsafe { find_env(core::ptr::null(), b"PATH=") }, None);
    }
}
