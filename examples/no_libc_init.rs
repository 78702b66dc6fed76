//! The in-process init in a program with no libc and no std: `#![no_std]`,
//! `#![no_main]`, started by pidone's own `pidone_start` (src/start/), a
//! static program of a few KiB. `pidone::fork_init` makes it its own
//! init: the parent forwards signals, reaps every orphan and exits with the
//! child's status; the child returns and runs the program, which here is:
//!
//! ```text
//! no-libc-init exit N    exit with N at once
//! no-libc-init wait      wait for TERM, INT or HUP, and exit 128 + its number
//! ```
//!
//! It is a `[[bin]]` of the package, built and linked as the `pidone`
//! binary is (build.rs), since an example cannot have link arguments of its
//! own; tests/init.rs runs it as PID 1 of a new namespace.
#![cfg(not(test))]
#![no_std]
#![no_main]
#![deny(clippy::undocumented_unsafe_blocks)]

#[path = "../src/start/mod.rs"]
mod start;

use core::ffi::CStr;
use pidone::message::{say, write_stderr};
use pidone::signal::{self, Signal, SignalSet};
use pidone::spawn::env_entries;

/// What a panic exits with, as for the `pidone` binary.
const EXIT_BUG: u8 = pidone::supervise::EXIT_BUG;
/// A bad command line.
const EXIT_USAGE: u8 = 2;
/// `fork_init` refused (a thread exists, as under QEMU; no `/proc`).
const EXIT_NO_INIT: u8 = 3;

/// From `start_rust`, with every signal blocked.
fn main(
    argc: usize,
    argv: *const *const u8,
    _envp: *const *const u8,
    _inherited_mask: SignalSet,
) -> ! {
    if let Err(error) = pidone::fork_init() {
        let reason: &[u8] = match error {
            pidone::Error::Threads => b"a thread exists already",
            pidone::Error::Proc(_) => b"/proc/self/task cannot be read",
            _ => b"a syscall failed",
        };
        say(b"no-libc-init: fork_init refused: \x01", reason, [0; 2]);
        pidone::exit(EXIT_NO_INIT)
    }
    // The child, with the mask it had at the call: every signal blocked.
    // SAFETY: argv holds argc pointers and a NULL; with argc 0 there is no
    // argv[0] to skip.
    let mut args =
        unsafe { env_entries(if argc == 0 { argv } else { argv.add(1) }) }.map(CStr::to_bytes);
    match (args.next(), args.next()) {
        (Some(b"exit"), Some([digit @ b'0'..=b'9'])) => pidone::exit(digit - b'0'),
        (Some(b"wait"), None) => {
            let stops = SignalSet::EMPTY
                .with(Signal::TERM)
                .with(Signal::INT)
                .with(Signal::HUP);
            loop {
                if let Ok(signal) = signal::wait(stops, None) {
                    pidone::exit(128 + signal.as_raw() as u8)
                }
            }
        }
        _ => usage(),
    }
}

fn usage() -> ! {
    write_stderr(b"usage: no-libc-init exit DIGIT | no-libc-init wait\n");
    pidone::exit(EXIT_USAGE)
}
