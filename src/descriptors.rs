//! pidone's own descriptors, once its child runs.
//!
//! What pidone inherited above stderr is its child's, which inherited it
//! too: a pipe whose reader waits for its end, a socket, a lock. Left open
//! in pidone, each would stay open for as long as pidone runs, however
//! early the child closes it, and after the child is gone (`--grace`, or
//! a pause process, `-P`): catatonit #12.

use crate::procfs;
use rustix::fd::{AsRawFd, RawFd};
use rustix::io;
use rustix::process::{Resource, getrlimit};

/// Closes every descriptor of this process above 2 (stderr): each one that
/// `/proc/self/fd` lists (`proc(5)`), or, where that cannot be read (no
/// `/proc` is mounted, as in an empty root), every number from 3 up to the
/// soft `RLIMIT_NOFILE` (`getrlimit(2)`), above which no descriptor can
/// have been opened, unless the limit was lowered since. rustix 1.1.6 has
/// no `close_range(2)`. The numbers one by one cost about 0.2 µs each
/// (natively on x86_64): 0.2 ms for the common limit of 1,024, 0.2 s for
/// the 1,048,576 that container runtimes often set.
///
/// # Safety
///
/// Nothing in the process holds a descriptor above 2 that it will use
/// again: no `OwnedFd`, `BorrowedFd` or raw number of one is left, since
/// its number, once closed, may be given to another file.
pub unsafe fn close_above_stderr() {
    // Closing an entry does not move the directory's position, as
    // /proc/self/fd is read by descriptor number.
    let listed = procfs::each_numbered(c"/proc/self/fd", |dir, _, fd| {
        // The directory is the one descriptor opened here: its own drop
        // closes it.
        if fd > 2 && fd != dir.as_raw_fd() as u32 {
            // SAFETY: the caller's promise.
            unsafe { close(fd as RawFd) };
        }
        Ok(true)
    });
    if listed.is_err() {
        // The limit is at most `fs.nr_open`, below 2^31; never
        // `RLIM_INFINITY` (None), which the kernel refuses for it.
        let limit = getrlimit(Resource::Nofile).current.unwrap_or(0);
        for fd in 3..limit as RawFd {
            // SAFETY: the caller's promise.
            unsafe { close(fd) };
        }
    }
}

/// `close(2)`, ignoring its error: `EBADF` for a number that is not open,
/// which rustix's `close` would assert against in a debug build.
///
/// # Safety
///
/// Nothing holds `fd` that will use it again.
unsafe fn close(fd: RawFd) {
    // SAFETY: the caller's promise.
    let _ = unsafe { io::try_close(fd) };
}
