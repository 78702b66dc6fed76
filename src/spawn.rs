//! Starting the child: `fork`, its own process group, the terminal's
//! foreground, the signal state pidone inherited, and `execvp`'s `PATH`
//! search, without allocating.

use crate::message::Message;
use crate::signal::{self, Signal, SignalSet};
use crate::{Errno, Pid, sys};
use core::ffi::CStr;
use rustix::fd::BorrowedFd;
use rustix::process;

/// Linux's `PATH_MAX`: the longest path, its NUL included, `execve` takes.
pub const PATH_MAX: usize = 4096;

/// The search path `execvp` uses when `PATH` is unset (musl's).
pub const DEFAULT_PATH: &CStr = c"/usr/local/bin:/bin:/usr/bin";

/// The exit code of a child that could not run its program: 127 when it was
/// not found, 126 when it was found but could not be executed (a directory,
/// no permission, not an executable format, a missing interpreter), as
/// shells do.
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
    /// The child's environment: a NULL-terminated array of C strings. `PATH`
    /// is looked up in it.
    pub envp: *const *const u8,
    /// The signal mask the child starts with: the one pidone inherited.
    pub mask: SignalSet,
    /// Whether `SIGCHLD` was inherited as ignored: the child gets it back.
    pub sigchld_ignored: bool,
}

impl Spawn<'_> {
    /// Forks the child, which puts itself in a process group of its own,
    /// takes the terminal's foreground if stdin is a terminal, restores the
    /// inherited signal state, and executes the program; if it cannot, it
    /// says why on stderr and exits 126 or 127 ([`exit_code_for`]).
    ///
    /// Returns the child's pid, which is also its process group's id.
    ///
    /// # Safety
    ///
    /// `argv` and `envp` are as their fields say. In a process with more
    /// threads, the child only makes raw syscalls, as `fork` requires.
    pub unsafe fn spawn(&self) -> Result<Pid, Errno> {
        // SAFETY: the caller's promise.
        match unsafe { sys::fork() }? {
            Some(child) => {
                // The parent sets the group too, so that a signal forwarded
                // to the group right away finds it; whichever of the two
                // calls comes second fails harmlessly.
                let _ = process::setpgid(Some(child), Some(child));
                Ok(child)
            }
            // SAFETY: the caller's promise.
            None => unsafe { self.become_program() },
        }
    }

    unsafe fn become_program(&self) -> ! {
        let _ = process::setpgid(None, None);
        // SAFETY: fd 0 is only borrowed; if it is not open, isatty says no.
        let stdin = unsafe { BorrowedFd::borrow_raw(0) };
        if rustix::termios::isatty(stdin) {
            // Every signal is still blocked, SIGTTOU included, so a
            // background group may take the foreground.
            let _ = rustix::termios::tcsetpgrp(stdin, process::getpid());
        }
        if self.sigchld_ignored {
            let _ = signal::set_ignored(Signal::CHLD, true);
        }
        let _ = signal::set_mask(self.mask);
        // SAFETY: the caller's promise on argv and envp.
        let errno = unsafe { execvp(self.program, self.argv, self.envp) };
        report_exec_failure(self.program, errno);
        crate::exit(exit_code_for(errno))
    }
}

/// `execvp(3)` without allocation: a `program` with a `/` is executed as it
/// is; otherwise each directory of `PATH` (from `envp`, or
/// [`DEFAULT_PATH`]) is tried in turn, an empty one meaning the current
/// directory. As glibc and musl do, a directory where the program exists but
/// may not be executed (`EACCES`) does not end the search, but is what is
/// reported if nothing else is found; other errors end it.
///
/// Returns only on failure, with the reason.
///
/// # Safety
///
/// `argv` and `envp` are NULL-terminated arrays of C strings.
pub unsafe fn execvp(program: &CStr, argv: *const *const u8, envp: *const *const u8) -> Errno {
    // SAFETY: the caller's promise.
    let path = unsafe { getenv(envp, b"PATH") }.unwrap_or(DEFAULT_PATH);
    let mut buffer = PathBuffer::new();
    let mut candidates = Candidates::new(path, program);
    let mut found_denied = false;
    while let Some(candidate) = candidates.next(&mut buffer) {
        let errno = match candidate {
            // SAFETY: the caller's promise.
            Ok(path) => unsafe { sys::execve(path, argv, envp) },
            Err(errno) => errno,
        };
        match errno {
            Errno::ACCESS if candidates.searching() => found_denied = true,
            Errno::NOENT | Errno::NOTDIR | Errno::NAMETOOLONG if candidates.searching() => {}
            other => return other,
        }
    }
    if found_denied {
        Errno::ACCESS
    } else {
        Errno::NOENT
    }
}

/// Looks `name` up in a NULL-terminated `envp`.
///
/// # Safety
///
/// `envp` is NULL or a NULL-terminated array of C strings.
pub unsafe fn getenv<'a>(envp: *const *const u8, name: &[u8]) -> Option<&'a CStr> {
    // SAFETY: the caller's promise.
    let value = unsafe { env_entries(envp) }.find_map(|entry| {
        entry
            .to_bytes_with_nul()
            .strip_prefix(name)?
            .strip_prefix(b"=")
    })?;
    // SAFETY: the tail of a C string is one, NUL included.
    Some(unsafe { CStr::from_bytes_with_nul_unchecked(value) })
}

/// The entries of a NULL-terminated `envp` (or `argv`), as bytes.
///
/// # Safety
///
/// `envp` is NULL or a NULL-terminated array of C strings that outlive `'a`.
pub unsafe fn env_entries<'a>(envp: *const *const u8) -> impl Iterator<Item = &'a CStr> {
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

/// The paths `execvp` tries for a program, one at a time.
#[derive(Clone, Debug)]
pub struct Candidates<'a> {
    /// What is left of `PATH`; `None` once done.
    rest: Option<&'a [u8]>,
    program: &'a [u8],
    search: bool,
}

impl<'a> Candidates<'a> {
    /// The candidates for `program` along `path` (a `PATH` value).
    pub fn new(path: &'a CStr, program: &'a CStr) -> Candidates<'a> {
        let program = program.to_bytes();
        let search = !has_slash(program);
        Candidates {
            rest: Some(if search { path.to_bytes() } else { b"" }),
            program,
            search,
        }
    }

    /// Whether the program is looked up in `PATH` (it has no `/`).
    pub fn searching(&self) -> bool {
        self.search
    }

    /// The next path to try, as a C string in `buffer`, or the error that
    /// stands for it: `ENOENT` for an empty program name, `ENAMETOOLONG`
    /// for a path longer than [`PATH_MAX`].
    pub fn next<'b>(&mut self, buffer: &'b mut PathBuffer) -> Option<Result<&'b CStr, Errno>> {
        let rest = self.rest?;
        buffer.clear();
        if self.program.is_empty() {
            self.rest = None;
            return Some(Err(Errno::NOENT));
        }
        let mut dir: &[u8] = b"";
        self.rest = None;
        if self.search {
            let mut parts = rest.splitn(2, |&b| b == b':');
            dir = parts.next().unwrap_or_default();
            self.rest = parts.next();
        }
        let fits = (dir.is_empty()
            || (buffer.extend_from_slice(dir).is_ok() && buffer.push(b'/').is_ok()))
            && buffer.extend_from_slice(self.program).is_ok()
            && buffer.push(0).is_ok();
        if !fits {
            return Some(Err(Errno::NAMETOOLONG));
        }
        // SAFETY: `dir` and `program` come from C strings, so the only NUL
        // is the one just pushed.
        Some(Ok(unsafe { CStr::from_bytes_with_nul_unchecked(buffer) }))
    }
}

/// Whether `path` has a `/`, which makes `execvp` run it without a search.
#[expect(
    clippy::manual_contains,
    reason = "`contains` brings a 200-byte memchr into the binary"
)]
fn has_slash(path: &[u8]) -> bool {
    path.iter().any(|&b| b == b'/')
}

/// Says on stderr why `program` could not be run:
/// `pidone: cannot run 'NAME': REASON`. A path that exists but gave
/// `ENOENT` names its missing interpreter or loader; one that gave `EACCES`
/// and is a directory says so.
fn report_exec_failure(program: &CStr, errno: Errno) {
    use rustix::fs::{Access, FileType, access, stat};
    let exists = has_slash(program.to_bytes()) && access(program, Access::EXISTS).is_ok();
    let mut m = Message::new();
    m.push(b"pidone: cannot run '")
        .push_quoted(program.to_bytes())
        .push(b"': ");
    match errno {
        Errno::NOENT if exists => {
            m.push(b"its interpreter or loader is missing (No such file or directory)")
        }
        Errno::ACCESS
            if exists
                && stat(program)
                    .is_ok_and(|st| FileType::from_raw_mode(st.st_mode) == FileType::Directory) =>
        {
            m.push(b"Is a directory")
        }
        _ => m.push_errno(errno),
    };
    m.write_line();
}

#[cfg(test)]
mod tests {
    extern crate std;
    use super::*;
    use std::ffi::CString;
    use std::vec::Vec;

    fn all(path: &[u8], program: &[u8]) -> Vec<Result<Vec<u8>, Errno>> {
        let (path, program) = (CString::new(path).unwrap(), CString::new(program).unwrap());
        let mut buffer = PathBuffer::new();
        let mut candidates = Candidates::new(&path, &program);
        let mut out = Vec::new();
        while let Some(c) = candidates.next(&mut buffer) {
            out.push(c.map(|c| c.to_bytes().to_vec()));
        }
        out
    }

    #[test]
    fn searches_path_in_order_with_empty_meaning_here() {
        assert_eq!(
            all(b"/a:/b/::c", b"sh"),
            [
                Ok(b"/a/sh".to_vec()),
                Ok(b"/b//sh".to_vec()),
                Ok(b"sh".to_vec()),
                Ok(b"c/sh".to_vec())
            ]
        );
        assert_eq!(all(b"", b"sh"), [Ok(b"sh".to_vec())]);
    }

    #[test]
    fn a_slash_means_no_search() {
        assert_eq!(all(b"/a:/b", b"./sh"), [Ok(b"./sh".to_vec())]);
        assert_eq!(all(b"/a", b"/bin/sh"), [Ok(b"/bin/sh".to_vec())]);
    }

    #[test]
    fn bad_names_and_long_entries() {
        assert_eq!(all(b"/a", b""), [Err(Errno::NOENT)]);
        let long = [b'd'; PATH_MAX];
        let mut path = long.to_vec();
        path.extend_from_slice(b":/bin");
        assert_eq!(
            all(&path, b"sh"),
            [Err(Errno::NAMETOOLONG), Ok(b"/bin/sh".to_vec())]
        );
        assert_eq!(all(b"/a", &long), [Err(Errno::NAMETOOLONG)]);
    }

    #[test]
    fn exit_codes_follow_shells() {
        assert_eq!(exit_code_for(Errno::NOENT), 127);
        assert_eq!(exit_code_for(Errno::ACCESS), 126);
        assert_eq!(exit_code_for(Errno::NOEXEC), 126);
    }

    #[test]
    fn getenv_finds_exact_names() {
        let entries = [c"PATHX=1".as_ptr(), c"PATH=/x".as_ptr(), core::ptr::null()];
        // SAFETY: a NULL-terminated array of C strings.
        let found = unsafe { getenv(entries.as_ptr().cast(), b"PATH") };
        assert_eq!(found, Some(c"/x"));
        // SAFETY: as above.
        assert_eq!(unsafe { getenv(core::ptr::null(), b"PATH") }, None);
    }
}
