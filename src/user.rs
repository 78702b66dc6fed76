//! `-u USER[:GROUP]`: the ids the program runs as, looked up in
//! `/etc/passwd` and `/etc/group` without allocating, and taken in the
//! child before it executes the program.
//!
//! They are chosen as su-exec chooses them (gosu differs only in leaving
//! the gid out of the supplementary groups):
//!
//! - USER is a name of `/etc/passwd` or a number. A number is looked up
//!   there as a uid, and needs no entry: a `FROM scratch` image has none.
//! - The gid is GROUP's (a name of `/etc/group` or a number), else USER's
//!   entry's, else pidone's own.
//! - The supplementary groups are the gid and, when USER has an entry and no
//!   GROUP is given, every group of `/etc/group` that lists USER's name, as
//!   `initgroups(3)` sets them.
//!
//! The files are read a byte at a time through a small buffer, so a line
//! of any length is read whole. Lines that start with `#` are comments. A
//! missing file has no entries; one that cannot be read is an error, and so
//! is anything else that would leave the ids in doubt: the program never
//! runs with other ids than these.

use crate::Errno;
use crate::message::{errno_number, say};
use crate::signal::parse_decimal;
use crate::spawn::EXIT_USER;
use core::ffi::CStr;
use core::mem::MaybeUninit;
use rustix::fs::{Mode, OFlags};
use rustix::process::{Gid, Uid};

/// The most supplementary groups `-u` sets, the gid included.
pub const GROUPS_MAX: usize = 64;

/// The longest name of a user whose groups can be looked up: Linux's
/// `LOGIN_NAME_MAX`, 256 with its NUL. The entry found (by name or by uid)
/// keeps its name for that; a longer one is an error, never groups left
/// out.
pub const NAME_MAX: usize = 255;

/// The most digits of a uid or gid that `-u` reads: 999,999,999 is the
/// largest, which no `u32` overflows on the way to.
pub const ID_DIGITS: usize = 9;

/// The file of users.
pub const PASSWD: &CStr = c"/etc/passwd";
/// The file of groups.
pub const GROUP: &CStr = c"/etc/group";

/// The message of a name that is not in `/etc/passwd`.
const NO_USER: &[u8] = b"-u: no user '\x01' in /etc/passwd";
/// The message of a name that is not in `/etc/group`.
const NO_GROUP: &[u8] = b"-u: no group '\x01' in /etc/group";
/// The message of a user in more than [`GROUPS_MAX`] groups.
const TOO_MANY_GROUPS: &[u8] = b"-u: '\x01' is in more than \x03 groups";
/// The message of a file that cannot be read, or a call that failed: the
/// file's path or the call's name, and the errno.
const FAILED: &[u8] = b"-u: \x01: \x02";

/// Whom the program runs as.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Ids {
    /// The user id.
    pub uid: Uid,
    /// The group id.
    pub gid: Gid,
    /// The supplementary groups, the gid first.
    pub groups: heapless::Vec<Gid, GROUPS_MAX>,
}

/// The ids of `spec`, `USER` or `USER:GROUP` (neither empty), looked up in
/// [`PASSWD`] and [`GROUP`]; if they cannot be, says why and exits
/// [`EXIT_USER`].
pub fn resolve(spec: &[u8]) -> Ids {
    let colon = spec.iter().position(|&b| b == b':');
    let (user, group) = spec.split_at(colon.unwrap_or(spec.len()));
    // The colon, if any, then GROUP.
    let group = group.get(1..);
    let uid = number(user);
    let mut name = Name::new();
    let mut entry = Entry::default();
    let found = find(PASSWD, user, &mut Pass::User(uid), &mut entry, &mut name);
    let (uid, mut gid) = match (found, entry.numbers, uid) {
        (true, [Some(uid), Some(gid)], _) => (uid, gid),
        (false, _, Some(uid)) => (uid, rustix::process::getgid().as_raw()),
        _ => fail(NO_USER, user, 0),
    };
    if let Some(group) = group {
        gid = match number(group) {
            Some(gid) => gid,
            None => {
                let mut entry = Entry::default();
                let found = find(GROUP, group, &mut Pass::Group, &mut entry, &mut Name::new());
                match (found, entry.numbers[0]) {
                    (true, Some(gid)) => gid,
                    _ => fail(NO_GROUP, group, 0),
                }
            }
        };
    }
    let mut groups = Groups::new();
    let _ = groups.push(Gid::from_raw_unchecked(gid));
    if found && group.is_none() {
        if entry.long {
            fail(FAILED, PASSWD.to_bytes(), errno_number(Errno::NAMETOOLONG));
        }
        let mut pass = Pass::Member(&mut groups);
        find(
            GROUP,
            &name,
            &mut pass,
            &mut Entry::default(),
            &mut Name::new(),
        );
    }
    Ids {
        uid: Uid::from_raw_unchecked(uid),
        gid: Gid::from_raw_unchecked(gid),
        groups,
    }
}

impl Ids {
    /// Takes these ids: the supplementary groups, the gid, then the uid,
    /// after which the other two could no longer be changed; if a call
    /// fails, says so and exits [`EXIT_USER`]. The raw syscalls change the
    /// calling thread's ids only (glibc and musl make every thread do the
    /// same): in a forked child, whose one thread is the process, that is
    /// all of it.
    pub fn take(&self) {
        use rustix::thread::{set_thread_gid, set_thread_groups, set_thread_uid};
        must(set_thread_groups(&self.groups), b"setgroups");
        must(set_thread_gid(self.gid), b"setgid");
        must(set_thread_uid(self.uid), b"setuid");
    }
}

/// Goes on if `call` succeeded; fails as [`fail`] does if not.
fn must(result: Result<(), Errno>, call: &[u8]) {
    if let Err(errno) = result {
        fail(FAILED, call, errno_number(errno));
    }
}

/// Says why `-u` cannot be done, with one of this module's messages, and
/// exits [`EXIT_USER`].
fn fail(template: &[u8], text: &[u8], number: u32) -> ! {
    say(template, text, [number, 0]);
    crate::exit(EXIT_USER)
}

/// `text` as an id: one to [`ID_DIGITS`] decimal digits.
fn number(text: &[u8]) -> Option<u32> {
    parse_decimal(text, ID_DIGITS)
}

/// A name read from a file: its first [`NAME_MAX`] bytes.
type Name = heapless::Vec<u8, NAME_MAX>;

/// The supplementary groups.
type Groups = heapless::Vec<Gid, GROUPS_MAX>;

/// What one pass over a file looks for, entry by entry.
enum Pass<'g> {
    /// USER's entry of `/etc/passwd`: by its name, or by the uid when USER
    /// is a number.
    User(Option<u32>),
    /// GROUP's entry of `/etc/group`, by its name.
    Group,
    /// Every group of `/etc/group` that lists the user, whose gid goes in
    /// the groups (after the first, if it is that one).
    Member(&'g mut Groups),
}

impl Pass<'_> {
    /// Whether `entry`, compared with `who`, is the one looked for. Too
    /// many groups fail as [`fail`] does.
    fn stops_at(&mut self, entry: &Entry, who: &[u8]) -> bool {
        match self {
            Pass::User(uid) => entry.is_user(*uid),
            Pass::Group => entry.is_group(),
            Pass::Member(groups) => {
                if entry.lists_who
                    && let Some(gid) = entry.numbers[0]
                    && groups.first() != Some(&Gid::from_raw_unchecked(gid))
                    && groups.push(Gid::from_raw_unchecked(gid)).is_err()
                {
                    fail(TOO_MANY_GROUPS, who, GROUPS_MAX as u32);
                }
                false
            }
        }
    }
}

/// Reads the file at `path` into `entry` and `name` until `pass` stops at
/// an entry (compared with `who` as [`Entry`] says), and says whether it
/// did; a file that does not exist has no entries. One that cannot be read
/// fails as [`fail`] does.
fn find(path: &CStr, who: &[u8], pass: &mut Pass<'_>, entry: &mut Entry, name: &mut Name) -> bool {
    let fd = match rustix::fs::open(path, OFlags::RDONLY | OFlags::CLOEXEC, Mode::empty()) {
        Ok(fd) => fd,
        Err(Errno::NOENT) => return false,
        Err(errno) => fail(FAILED, path.to_bytes(), errno_number(errno)),
    };
    let mut chunk = [MaybeUninit::uninit(); 512];
    loop {
        // No read is interrupted (`EINTR`): pidone runs with every signal
        // blocked.
        let (bytes, _) = rustix::io::read(&fd, &mut chunk)
            .unwrap_or_else(|errno| fail(FAILED, path.to_bytes(), errno_number(errno)));
        let end = bytes.is_empty();
        // The end of the file ends its last line too.
        for &byte in if end { b"\n" } else { &*bytes } {
            if entry.take(byte, who, name) {
                if pass.stops_at(entry, who) {
                    return true;
                }
                *entry = Entry::default();
                name.clear();
            }
        }
        if end {
            return false;
        }
    }
}

/// A field index no entry has: a comment's bytes go there.
const COMMENT: u32 = 1 << 16;

/// One line of `/etc/passwd` (`name:password:uid:gid:...`) or `/etc/group`
/// (`name:password:gid:member,member...`), as far as `-u` needs it, read a
/// byte at a time and compared on the way with a name, `who`.
#[derive(Copy, Clone, Debug, Default)]
struct Entry {
    /// The field the next byte is in.
    field: u32,
    /// Whether the name is longer than [`NAME_MAX`].
    long: bool,
    /// Whether the name is `who`.
    name_is_who: bool,
    /// Whether field 3, a group's members, lists `who`.
    lists_who: bool,
    /// Fields 2 and 3 as numbers, when they are ones: the uid and gid of a
    /// user, the gid of a group.
    numbers: [Option<u32>; 2],
    /// The length of the item being read: a field, or one member.
    len: usize,
    /// Whether that item differs from `who` so far.
    differs: bool,
    /// That item as a number so far, unless it is none (then it is any
    /// value).
    value: u32,
    /// Whether that item is no number.
    not_number: bool,
}

impl Entry {
    /// Whether this entry of `/etc/passwd` is USER's: USER's name is `who`,
    /// or, when USER is a number, `uid`, its uid. An entry with no uid or no
    /// gid is nobody's.
    fn is_user(&self, uid: Option<u32>) -> bool {
        match self.numbers {
            [Some(found), Some(_)] => uid.map_or(self.name_is_who, |uid| uid == found),
            _ => false,
        }
    }

    /// Whether this entry of `/etc/group` is GROUP's, whose name is `who`.
    /// An entry with no gid is none.
    fn is_group(&self) -> bool {
        self.name_is_who && self.numbers[0].is_some()
    }

    /// Takes the line's next byte, the name's into `name`; says whether it
    /// ended the line.
    fn take(&mut self, byte: u8, who: &[u8], name: &mut Name) -> bool {
        let ends_field = byte == b':' || byte == b'\n';
        if ends_field || (byte == b',' && self.field == 3) {
            // Never an empty name: an empty field is nobody.
            let is_who = !self.differs && self.len == who.len() && self.len > 0;
            match self.field {
                0 => self.name_is_who = is_who,
                3 => self.lists_who |= is_who,
                _ => {}
            }
            if ends_field {
                if let Some(slot) = self.numbers.get_mut(self.field.wrapping_sub(2) as usize) {
                    *slot = (self.len > 0 && !self.not_number).then_some(self.value);
                }
                self.field += 1;
                self.value = 0;
                self.not_number = false;
            } else {
                // A list is no number.
                self.not_number = true;
            }
            self.len = 0;
            self.differs = false;
            return byte == b'\n';
        }
        if self.field == 0 {
            if self.len == 0 && byte == b'#' {
                self.field = COMMENT;
            } else if name.push(byte).is_err() {
                self.long = true;
            }
        }
        self.differs |= who.get(self.len) != Some(&byte);
        let digit = byte.wrapping_sub(b'0');
        if digit > 9 || self.len >= ID_DIGITS {
            self.not_number = true;
        }
        self.value = self.value.wrapping_mul(10).wrapping_add(u32::from(digit));
        self.len += 1;
        false
    }
}

#[cfg(test)]
mod tests {
    extern crate std;
    use super::*;
    use std::ffi::CString;
    use std::vec::Vec;

    /// `text` in a file of its own, for [`find`] to read; removed when
    /// dropped.
    struct File(CString);

    impl File {
        fn new(text: &[u8]) -> File {
            use std::sync::atomic::{AtomicUsize, Ordering};
            static COUNT: AtomicUsize = AtomicUsize::new(0);
            let path = std::env::temp_dir().join(std::format!(
                "pidone-user-{}-{}",
                std::process::id(),
                COUNT.fetch_add(1, Ordering::Relaxed)
            ));
            std::fs::write(&path, text).unwrap();
            File(CString::new(path.into_os_string().into_encoded_bytes()).unwrap())
        }
    }

    impl Drop for File {
        fn drop(&mut self) {
            let _ = std::fs::remove_file(std::str::from_utf8(self.0.to_bytes()).unwrap());
        }
    }

    const PASSWD_TEXT: &[u8] = b"\
# a comment:x:1000:0:looks like an entry
root:x:0:0:root:/root:/bin/sh

ann:x:1000:1000::/home/ann:/bin/sh
anna:x:1001:1001::/home/anna:/bin/sh
broken:x:notanumber:5::/:
nogid:x:1002:::/:
empty:x::5::/:
two:x:1003:7,8::/:
dup:x:1000:1:first wins by uid, not this one:/:
last:x:1004:1004::/:/bin/sh";

    /// `(name, uid, gid)` of the passwd entry that `resolve` finds for
    /// `user` in `text`.
    fn user(text: &[u8], user: &[u8]) -> Option<(Vec<u8>, u32, u32)> {
        let file = File::new(text);
        let (mut entry, mut name) = (Entry::default(), Name::new());
        let mut pass = Pass::User(number(user));
        find(&file.0, user, &mut pass, &mut entry, &mut name).then(|| {
            let [Some(uid), Some(gid)] = entry.numbers else {
                panic!("found without numbers")
            };
            (name.to_vec(), uid, gid)
        })
    }

    #[test]
    fn users_by_name_and_by_uid() {
        let found = |name: &[u8], uid, gid| Some((name.to_vec(), uid, gid));
        assert_eq!(user(PASSWD_TEXT, b"root"), found(b"root", 0, 0));
        assert_eq!(user(PASSWD_TEXT, b"ann"), found(b"ann", 1000, 1000));
        assert_eq!(user(PASSWD_TEXT, b"anna"), found(b"anna", 1001, 1001));
        // Prefixes and extensions of a name are other names.
        assert_eq!(user(PASSWD_TEXT, b"an"), None);
        assert_eq!(user(PASSWD_TEXT, b"annab"), None);
        // The first entry with the uid, not the comment before it.
        assert_eq!(user(PASSWD_TEXT, b"1000"), found(b"ann", 1000, 1000));
        assert_eq!(user(PASSWD_TEXT, b"0"), found(b"root", 0, 0));
        // No newline after the last line.
        assert_eq!(user(PASSWD_TEXT, b"last"), found(b"last", 1004, 1004));
        assert_eq!(user(PASSWD_TEXT, b"1004"), found(b"last", 1004, 1004));
    }

    #[test]
    fn malformed_entries_are_nobody() {
        for name in [&b"broken"[..], b"nogid", b"empty", b"two", b"5", b"7", b"8"] {
            assert_eq!(user(PASSWD_TEXT, name), None, "{name:?}");
        }
        assert_eq!(user(PASSWD_TEXT, b"1002"), None);
        assert_eq!(user(PASSWD_TEXT, b"1003"), None);
        // `#` starts a comment only at the start of a line.
        assert_eq!(
            user(b"a#b:x:3:4::/:", b"a#b"),
            Some((b"a#b".to_vec(), 3, 4))
        );
        assert_eq!(user(b"#a:x:3:4::/:", b"#a"), None);
        assert_eq!(user(b"", b"0"), None);
        assert_eq!(user(b"\n\n", b"0"), None);
        // An empty name is nobody's, even looked up by uid.
        assert_eq!(user(b":x:0:0::/:", b""), None);
        // More digits than an id has.
        assert_eq!(user(b"big:x:4294967296:1::/:", b"big"), None);
        assert_eq!(user(b"ten:x:1000000000:1::/:", b"ten"), None);
        assert_eq!(
            user(b"nine:x:999999999:1::/:", b"nine"),
            Some((b"nine".to_vec(), 999_999_999, 1))
        );
    }

    #[test]
    fn a_file_that_is_not_there_has_no_entries() {
        let mut pass = Pass::User(Some(0));
        let (mut entry, mut name) = (Entry::default(), Name::new());
        let missing = c"/nonexistent/pidone/passwd";
        assert!(!find(missing, b"0", &mut pass, &mut entry, &mut name));
    }

    #[test]
    fn long_lines_are_read_whole() {
        // Longer than a read's chunk, between and across them.
        let mut text = Vec::new();
        for n in 0..50 {
            text.extend_from_slice(std::format!("u{n}:x:{n}:{n}:").as_bytes());
            text.extend(core::iter::repeat_n(b'g', 97 * n));
            text.extend_from_slice(b":/:\n");
        }
        text.extend_from_slice(b"long:x:5:6:");
        text.extend(core::iter::repeat_n(b'g', 100_000));
        text.extend_from_slice(b":/:\nafter:x:7:8::/:\n");
        for n in 0..50 {
            let name = std::format!("u{n}").into_bytes();
            assert_eq!(user(&text, &name), Some((name, n, n)));
        }
        assert_eq!(user(&text, b"after"), Some((b"after".to_vec(), 7, 8)));
        assert_eq!(user(&text, b"long"), Some((b"long".to_vec(), 5, 6)));
        // A name longer than NAME_MAX matches whole, and says it is cut.
        let mut name = std::vec![b'n'; NAME_MAX + 10];
        let mut text = name.clone();
        text.extend_from_slice(b":x:9:9::/:\n");
        let file = File::new(&text);
        let (mut entry, mut kept) = (Entry::default(), Name::new());
        assert!(find(
            &file.0,
            &name,
            &mut Pass::User(None),
            &mut entry,
            &mut kept
        ));
        assert!(entry.long && kept.len() == NAME_MAX);
        name.pop();
        let (mut entry, mut kept) = (Entry::default(), Name::new());
        assert!(!find(
            &file.0,
            &name,
            &mut Pass::User(None),
            &mut entry,
            &mut kept
        ));
    }

    const GROUP_TEXT: &[u8] = b"\
root:x:0:
#wheel:x:10:ann
wheel:x:10:anna,ann
staff:x:50:annabel,bob
ann:x:1000:
users:x:100:bob,ann
bad:x:x1:ann
nogid:x::ann
list:x:7,8:ann
again:x:100:ann
empty:x:60:,,";

    /// The groups `resolve` gives `name`, whose gid is `gid`.
    fn groups_of(name: &[u8], gid: u32) -> Vec<u32> {
        let file = File::new(GROUP_TEXT);
        let mut groups = Groups::new();
        groups.push(Gid::from_raw_unchecked(gid)).unwrap();
        let mut pass = Pass::Member(&mut groups);
        let (mut entry, mut kept) = (Entry::default(), Name::new());
        assert!(!find(&file.0, name, &mut pass, &mut entry, &mut kept));
        groups.iter().map(|gid| gid.as_raw()).collect()
    }

    #[test]
    fn groups_listing_a_user() {
        // Listed twice: the kernel keeps what setgroups is given.
        assert_eq!(groups_of(b"ann", 1000), [1000, 10, 100, 100]);
        // Its own gid is not repeated.
        assert_eq!(groups_of(b"ann", 10), [10, 100, 100]);
        assert_eq!(groups_of(b"anna", 1001), [1001, 10]);
        assert_eq!(groups_of(b"bob", 5), [5, 50, 100]);
        assert_eq!(groups_of(b"annabel", 5), [5, 50]);
        assert_eq!(groups_of(b"an", 5), [5]);
        assert_eq!(groups_of(b"nobody", 5), [5]);
    }

    #[test]
    fn groups_by_name() {
        let file = File::new(GROUP_TEXT);
        let gid = |name: &[u8]| {
            let (mut entry, mut kept) = (Entry::default(), Name::new());
            find(&file.0, name, &mut Pass::Group, &mut entry, &mut kept)
                .then_some(entry.numbers[0])
                .flatten()
        };
        assert_eq!(gid(b"wheel"), Some(10));
        assert_eq!(gid(b"users"), Some(100));
        assert_eq!(gid(b"ann"), Some(1000));
        assert_eq!(gid(b"empty"), Some(60));
        for name in [&b"#wheel"[..], b"bad", b"nogid", b"list", b"use", b"x", b""] {
            assert_eq!(gid(name), None, "{name:?}");
        }
    }

    #[test]
    fn numbers() {
        assert_eq!(number(b"0"), Some(0));
        assert_eq!(number(b"65534"), Some(65534));
        assert_eq!(number(b"999999999"), Some(999_999_999));
        // More digits than an id has, and what is no number.
        let too_long = [&b"1000000000"[..], b"0000000001", b"4294967296"];
        let not_numbers = [&b""[..], b"-1", b"+1", b" 1", b"1a", b"nobody"];
        for text in too_long.iter().chain(&not_numbers) {
            assert_eq!(number(text), None, "{text:?}");
        }
    }
}
