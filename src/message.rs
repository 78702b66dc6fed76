//! Messages on stderr, built without `core::fmt` (which would cost
//! kilobytes) and written with one `write(2)` each.

use crate::Errno;
use rustix::fd::BorrowedFd;

/// One message line for stderr, built without `core::fmt` and written with
/// one `write(2)`, so that lines from pidone and its children do not
/// interleave. What does not fit in 256 bytes is cut, and a user's text is
/// cut at 64 bytes with `...`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Message(heapless::Vec<u8, 256>);

impl Message {
    /// An empty message.
    pub const fn new() -> Message {
        Message(heapless::Vec::new())
    }

    /// Appends `bytes`, as much as fits.
    pub fn push(&mut self, bytes: &[u8]) -> &mut Message {
        let room = self.0.capacity() - self.0.len();
        let _ = self.0.extend_from_slice(&bytes[..bytes.len().min(room)]);
        self
    }

    /// Appends a user's text, cut at 64 bytes.
    pub fn push_quoted(&mut self, text: &[u8]) -> &mut Message {
        match text.get(..64) {
            Some(head) if text.len() > 64 => self.push(head).push(b"..."),
            _ => self.push(text),
        }
    }

    /// Appends `n` in decimal.
    pub fn push_decimal(&mut self, mut n: u64) -> &mut Message {
        let mut digits = [0u8; 20];
        let mut at = digits.len();
        loop {
            at -= 1;
            digits[at] = b'0' + (n % 10) as u8;
            n /= 10;
            if n == 0 {
                break;
            }
        }
        self.push(&digits[at..])
    }

    /// Appends what `strerror` says of `errno` (for the errors pidone meets),
    /// or `error N`.
    pub fn push_errno(&mut self, errno: Errno) -> &mut Message {
        match errno_text(errno) {
            Some(text) => self.push(text),
            None => self
                .push(b"error ")
                .push_decimal(u64::from(errno.raw_os_error().unsigned_abs())),
        }
    }

    /// Appends a newline and writes the message to stderr.
    pub fn write_line(&mut self) {
        self.push(b"\n");
        write_stderr(self.as_bytes());
    }

    /// The bytes so far.
    pub fn as_bytes(&self) -> &[u8] {
        &self.0
    }
}

/// What `strerror` says of the errors `execve`, `fork` and `prctl` give:
/// each text follows its errno's number (one byte) and ends with a NUL. One
/// byte string instead of a table of pointers keeps the binary small.
const ERRNO_TEXTS: &[u8] = b"\
\x01Operation not permitted\0\
\x02No such file or directory\0\
\x05Input/output error\0\
\x07Argument list too long\0\
\x08Exec format error\0\
\x0bResource temporarily unavailable\0\
\x0cOut of memory\0\
\x0dPermission denied\0\
\x14Not a directory\0\
\x15Is a directory\0\
\x16Invalid argument\0\
\x1aText file busy\0\
\x24File name too long\0\
\x28Too many levels of symbolic links\0\
\x50Accessing a corrupted shared library\0";

/// The text [`ERRNO_TEXTS`] has for `errno`.
fn errno_text(errno: Errno) -> Option<&'static [u8]> {
    let number = errno.raw_os_error();
    ERRNO_TEXTS
        .split(|&b| b == 0)
        .find_map(|entry| match entry {
            [n, text @ ..] if i32::from(*n) == number => Some(text),
            _ => None,
        })
}

/// Writes `bytes` to stderr in as few `write(2)`s as it takes; errors are
/// ignored, for there is nowhere else to say them.
pub fn write_stderr(bytes: &[u8]) {
    // SAFETY: fd 2 is only borrowed for the write; a closed one fails it.
    write_all(unsafe { BorrowedFd::borrow_raw(2) }, bytes);
}

/// Writes `bytes` to stdout, as [`write_stderr`] does to stderr.
pub fn write_stdout(bytes: &[u8]) {
    // SAFETY: as for stderr.
    write_all(unsafe { BorrowedFd::borrow_raw(1) }, bytes);
}

fn write_all(fd: BorrowedFd<'_>, mut bytes: &[u8]) {
    while !bytes.is_empty() {
        match rustix::io::write(fd, bytes) {
            Ok(0) => return,
            Ok(n) => bytes = bytes.get(n..).unwrap_or_default(),
            Err(Errno::INTR) => {}
            Err(_) => return,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_cut_long_text() {
        let long = [b'a'; 1000];
        let mut m = Message::new();
        m.push(b"x ")
            .push_quoted(&long)
            .push(b" y")
            .push_decimal(0)
            .push_decimal(18446744073709551615);
        assert_eq!(m.as_bytes().len(), 2 + 64 + 3 + 2 + 1 + 20);
        let mut full = Message::new();
        full.push(&long).push(b"more");
        assert_eq!(full.as_bytes().len(), 256);
    }

    #[test]
    fn errno_texts_and_numbers() {
        let mut m = Message::new();
        m.push_errno(Errno::NOENT)
            .push(b"; ")
            .push_errno(Errno::from_raw_os_error(200));
        assert_eq!(m.as_bytes(), b"No such file or directory; error 200");
    }
}
