//! Messages on stderr, built without `core::fmt` (which would cost
//! kilobytes) and written with one `write(2)` each.

use crate::{Errno, Pid};
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
        for &byte in bytes {
            // Full: the rest is cut.
            let _ = self.0.push(byte);
        }
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
    /// 32 bits hold every number pidone says (a pid, a status, a signal, an
    /// errno), and spare 32-bit targets the code of 64-bit division.
    pub fn push_decimal(&mut self, n: u32) -> &mut Message {
        // Recursion: the digits come out in order, with no buffer.
        if n >= 10 {
            self.push_decimal(n / 10);
        }
        self.push(&[b'0' + (n % 10) as u8])
    }

    /// Appends what `strerror` says of `errno` (for the errors pidone meets),
    /// or `error N`.
    pub fn push_errno(&mut self, errno: Errno) -> &mut Message {
        self.push_errno_number(errno_number(errno))
    }

    fn push_errno_number(&mut self, number: u32) -> &mut Message {
        match errno_text(number) {
            Some(text) => self.push(text),
            None => self.push(b"error ").push_decimal(number),
        }
    }

    /// Appends `template` with its placeholders filled in: [`TEXT`] by
    /// `text` (cut as [`Message::push_quoted`] cuts it), [`ERRNO`] by what
    /// `strerror` says of the next number of `numbers`, [`NUMBER`] by the
    /// next number in decimal. One template and one call cost the binary
    /// less than a `push` per piece.
    pub fn fill(&mut self, template: &[u8], text: &[u8], numbers: [u32; 2]) -> &mut Message {
        let [mut next, mut after] = numbers;
        for &byte in template {
            match byte {
                TEXT => self.push_quoted(text),
                ERRNO => self.push_errno_number(next),
                NUMBER => self.push_decimal(next),
                _ => self.push(&[byte]),
            };
            if byte == ERRNO || byte == NUMBER {
                (next, after) = (after, 0);
            }
        }
        self
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

/// `errno`'s number, for an [`ERRNO`] placeholder.
pub fn errno_number(errno: Errno) -> u32 {
    errno.raw_os_error().unsigned_abs()
}

/// `pid`'s number, for a [`NUMBER`] placeholder or an environment entry.
pub fn pid_number(pid: Pid) -> u32 {
    pid.as_raw_nonzero().get() as u32
}

/// In a [`Message::fill`] template: the user's text.
pub const TEXT: u8 = 1;
/// In a [`Message::fill`] template: an errno's text.
pub const ERRNO: u8 = 2;
/// In a [`Message::fill`] template: a number in decimal.
pub const NUMBER: u8 = 3;

/// Writes `pidone: `, `template` filled in as [`Message::fill`] does, and a
/// newline to stderr, in one `write(2)`.
pub fn say(template: &[u8], text: &[u8], numbers: [u32; 2]) {
    Message::new()
        .push(b"pidone: ")
        .fill(template, text, numbers)
        .write_line();
}

/// What `strerror` says of the errors `execve`, `fork` and `prctl` give:
/// each text follows its errno's number with the high bit set, which also
/// ends the text before it. One byte string instead of a table of pointers
/// keeps the binary small.
const ERRNO_TEXTS: &[u8] = b"\
\x81Operation not permitted\
\x82No such file or directory\
\x87Argument list too long\
\x88Exec format error\
\x8bResource temporarily unavailable\
\x8cOut of memory\
\x8dPermission denied\
\x94Not a directory\
\x95Is a directory\
\x96Invalid argument\
\x9aText file busy\
\xa4File name too long\
\xa8Too many levels of symbolic links";

/// The text [`ERRNO_TEXTS`] has for errno `number`.
fn errno_text(number: u32) -> Option<&'static [u8]> {
    if number >= 0x80 {
        return None;
    }
    let marker = 0x80 | number as u8;
    let start = ERRNO_TEXTS.iter().position(|&b| b == marker)? + 1;
    let text = ERRNO_TEXTS.get(start..)?;
    let len = text.iter().position(|&b| b >= 0x80).unwrap_or(text.len());
    text.get(..len)
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
            .push_decimal(4294967295);
        assert_eq!(m.as_bytes().len(), 2 + 64 + 3 + 2 + 1 + 10);
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
