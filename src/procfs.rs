//! The numbered entries of a `/proc` directory (`/proc/self/task`,
//! `/proc/self/fd`), read with `getdents64(2)` into a buffer on the stack.

use crate::signal::parse_decimal;
use core::ffi::CStr;
use core::mem::MaybeUninit;
use rustix::fd::{AsFd, BorrowedFd};
use rustix::fs::{self, CWD, Mode, OFlags, RawDir};
use rustix::io;

/// Calls `each` with the directory at `path`, and the name and number of
/// each entry whose name is a number (every entry but `.` and `..` in the
/// directories of `/proc(5)` this reads), until it says `false` (then
/// `Ok(false)`) or the entries are done (`Ok(true)`).
pub(crate) fn each_numbered(
    path: &CStr,
    mut each: impl FnMut(BorrowedFd, &[u8], u32) -> io::Result<bool>,
) -> io::Result<bool> {
    let flags = OFlags::RDONLY | OFlags::DIRECTORY | OFlags::CLOEXEC;
    let dir = fs::openat(CWD, path, flags, Mode::empty())?;
    // Aligned for `linux_dirent64`, so that `RawDir` has no offset to find.
    #[repr(align(8))]
    struct Buffer([MaybeUninit<u8>; 1024]);
    let mut buffer = Buffer([MaybeUninit::uninit(); 1024]);
    let mut entries = RawDir::new(dir.as_fd(), &mut buffer.0);
    while let Some(entry) = entries.next() {
        let entry = entry?;
        let name = entry.file_name().to_bytes();
        // A pid or a descriptor: at most 10 digits.
        if let Some(number) = parse_decimal(name, 10)
            && !each(dir.as_fd(), name, number)?
        {
            return Ok(false);
        }
    }
    Ok(true)
}

#[cfg(test)]
mod tests {
    extern crate std;
    use super::*;
    use std::os::fd::AsRawFd;
    use std::vec::Vec;

    #[test]
    fn lists_this_processs_descriptors_and_no_dots() {
        let file = std::fs::File::open("/proc/self/status").expect("open");
        let mut listed = Vec::new();
        let mut names_match = true;
        let all = each_numbered(c"/proc/self/fd", |_, name, fd| {
            names_match &= name == std::format!("{fd}").as_bytes();
            listed.push(fd);
            Ok(true)
        });
        assert_eq!(all, Ok(true));
        assert!(names_match, "{listed:?}");
        assert!(listed.contains(&(file.as_raw_fd() as u32)), "{listed:?}");
        assert!(listed.contains(&0) && listed.contains(&2), "{listed:?}");
        let mut seen = 0;
        let stopped = each_numbered(c"/proc/self/fd", |_, _, _| {
            seen += 1;
            Ok(false)
        });
        assert_eq!((stopped, seen), (Ok(false), 1));
        assert_eq!(
            each_numbered(c"/proc/self/no such directory", |_, _, _| Ok(true)),
            Err(io::Errno::NOENT)
        );
    }
}
