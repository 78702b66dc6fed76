//! Whether every thread of the process blocks a signal, from
//! `/proc/self/task/TID/status`: what makes a reaper on one thread of many
//! receive its `SIGCHLD`.

use crate::signal::{Signal, SignalSet, parse_decimal};
use crate::strip_prefix;
use core::ffi::CStr;
use core::mem::MaybeUninit;
use rustix::fd::{AsFd, BorrowedFd};
use rustix::fs::{self, CWD, Mode, OFlags, RawDir};
use rustix::io::{self, Errno};

/// Whether every thread of this process blocks `signal`. A thread that does
/// not would have the kernel deliver a process-wide `signal` to it, where
/// its default action (for `SIGCHLD`, "ignore") throws it away.
pub(crate) fn all_block(signal: Signal) -> io::Result<bool> {
    each_thread(|task, tid| match blocked(task, tid) {
        Ok(set) => Ok(set.contains(signal)),
        // The thread ended since the directory was read.
        Err(Errno::NOENT | Errno::SRCH) => Ok(true),
        Err(errno) => Err(errno),
    })
}

/// Whether this process has only one thread: what `fork` needs, since the
/// child gets only the calling thread and none of the locks the others
/// might hold.
pub(crate) fn single() -> io::Result<bool> {
    let mut threads = 0;
    each_thread(|_, _| {
        threads += 1;
        Ok(threads == 1)
    })
}

/// Calls `each` with `/proc/self/task` and each thread id in it, until it
/// says `false` (then `Ok(false)`) or the threads are done (`Ok(true)`).
fn each_thread(mut each: impl FnMut(BorrowedFd, &[u8]) -> io::Result<bool>) -> io::Result<bool> {
    let flags = OFlags::RDONLY | OFlags::DIRECTORY | OFlags::CLOEXEC;
    let task = fs::openat(CWD, c"/proc/self/task", flags, Mode::empty())?;
    let mut buffer = [MaybeUninit::uninit(); 1024];
    let mut entries = RawDir::new(task.as_fd(), &mut buffer);
    while let Some(entry) = entries.next() {
        let entry = entry?;
        let tid = entry.file_name().to_bytes();
        // "." and "..": every other entry is a thread id.
        if parse_decimal(tid, 10).is_some() && !each(task.as_fd(), tid)? {
            return Ok(false);
        }
    }
    Ok(true)
}

/// The `SigBlk` line of thread `tid`'s status, under `task`.
fn blocked(task: impl AsFd, tid: &[u8]) -> io::Result<SignalSet> {
    // "TID/status" and its NUL: a thread id has at most 10 digits.
    let mut path = [0u8; 24];
    let (head, tail) = path.split_at_mut(tid.len());
    head.copy_from_slice(tid);
    tail[..7].copy_from_slice(b"/status");
    let path = CStr::from_bytes_until_nul(&path).map_err(|_| Errno::INVAL)?;
    let file = fs::openat(task, path, OFlags::RDONLY | OFlags::CLOEXEC, Mode::empty())?;
    // `SigBlk` comes about 1,000 bytes in, after `Groups` (up to 65,536
    // groups would push it far out; the buffer takes 4 KiB of them).
    let mut text = [0u8; 8192];
    let mut len = 0;
    while len < text.len() {
        match io::read(&file, &mut text[len..]) {
            Ok(0) => break,
            Ok(n) => len += n,
            Err(Errno::INTR) => {}
            Err(errno) => return Err(errno),
        }
    }
    text[..len]
        .split(|&b| b == b'\n')
        .find_map(|line| strip_prefix(line, b"SigBlk:\t", false))
        .and_then(parse_hex)
        .map(SignalSet::from_bits)
        .ok_or(Errno::INVAL)
}

/// The 16 hex digits of a `/proc` signal set.
fn parse_hex(digits: &[u8]) -> Option<u64> {
    if digits.is_empty() || digits.len() > 16 {
        return None;
    }
    digits.iter().try_fold(0u64, |n, &b| {
        let digit = char::from(b).to_digit(16)?;
        Some(n << 4 | u64::from(digit))
    })
}
