//! The init's command line, parsed without allocating:
//! `pidone [OPTIONS] [--] PROGRAM [ARGS...]`.
//!
//! Option names are tini's where tini has one, so that pidone can stand in
//! for Docker's `docker-init` and podman's catatonit. Parsing stops at the
//! first argument that is not an option, as getopt does with a leading `+`,
//! so `pidone sh -c 'exit 3'` needs no `--`.

use crate::message::Message;
use crate::signal::{Signal, parse_decimal};

/// The one-line usage, printed after every usage error and before
/// [`HELP`].
pub const USAGE: &str = "usage: pidone [-hsgvwP] [-e CODE] [-p SIGNAL] [-r FROM:TO] [--grace SECONDS] [--] PROGRAM [ARGS...]\n";

/// What `-h` prints after [`USAGE`]: every byte of it is in the binary, so it
/// is terse; README.md says the rest.
pub const HELP: &str = "\
Runs PROGRAM, forwards signals to it, reaps zombies, exits with its status.
 -s  subreaper       -e CODE     exit 0 if the child exits with CODE
 -g  signal group    -p SIGNAL   parent-death signal
 -v  more messages   -r FROM:TO  forward FROM as TO (TO=0: drop)
 -w  warn on zombies --grace S   TERM leftovers, KILL them after S s
 -P  no program, reap until TERM or INT
Exit: the child's code or 128+signal; 1 usage; 125 fork failed;
126 cannot execute; 127 not found. See README.md.
";

/// The longest value a `-r` table can hold: signals 1 to 64.
const SIGNALS: usize = 65;

/// What the command line asks for.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Command {
    /// Run a program (or pause) with the options [`parse`] filled in.
    Run,
    /// `-h`/`--help`: print [`HELP`] on stdout and exit 0.
    Help,
    /// `--version`: print the version on stdout and exit 0.
    Version,
}

/// The options of a run.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Options {
    /// `-s`, or `TINI_SUBREAPER` set: become a child subreaper.
    pub subreaper: bool,
    /// `-g`, or `TINI_KILL_PROCESS_GROUP` set: forward signals to the
    /// child's process group.
    pub kill_group: bool,
    /// `-e CODE`: child exit codes that count as success.
    pub success_codes: ExitCodes,
    /// `-p SIGNAL`: the parent-death signal.
    pub parent_death: Option<Signal>,
    /// 0 fatal errors only, 1 warnings (the default), 2 and up more.
    pub verbosity: u8,
    /// `-w`: warn for every reaped zombie that is not the main child.
    pub warn_zombies: bool,
    /// `-r FROM:TO`: how signals are rewritten before forwarding.
    pub rewrites: Rewrites,
    /// `-P`: no program; reap until TERM or INT.
    pub pause: bool,
    /// `--grace SECONDS`: how long leftovers get between TERM and KILL.
    pub grace: Option<u32>,
    /// Where PROGRAM is among the arguments given to [`parse`] (which do not
    /// include pidone's own name); with `-P`, their count.
    pub program: usize,
}

impl Default for Options {
    fn default() -> Options {
        Options {
            subreaper: false,
            kill_group: false,
            success_codes: ExitCodes::NONE,
            parent_death: None,
            verbosity: 1,
            warn_zombies: false,
            rewrites: Rewrites::IDENTITY,
            pause: false,
            grace: None,
            program: 0,
        }
    }
}

/// A set of exit codes 0 to 255.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub struct ExitCodes([u64; 4]);

impl ExitCodes {
    /// No code.
    pub const NONE: ExitCodes = ExitCodes([0; 4]);

    /// The set with `code` added.
    pub const fn with(mut self, code: u8) -> ExitCodes {
        self.0[(code / 64) as usize] |= 1 << (code % 64);
        self
    }

    /// Whether `code` is in the set.
    pub const fn contains(self, code: u8) -> bool {
        self.0[(code / 64) as usize] & 1 << (code % 64) != 0
    }
}

/// The signal each signal is forwarded as (`-r`), or none. Entry `n` is 0
/// when signal `n` is forwarded as itself, [`Rewrites::DROP`] when it is
/// dropped, and the new number otherwise: all zeros is the table with no
/// rewrite, which costs nothing to set up.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub struct Rewrites([u8; SIGNALS]);

impl Rewrites {
    /// Every signal forwarded as itself.
    pub const IDENTITY: Rewrites = Rewrites([0; SIGNALS]);
    const DROP: u8 = u8::MAX;

    /// Forward `from` as `to`, or drop it when `to` is `None`.
    pub fn set(&mut self, from: Signal, to: Option<Signal>) {
        if let Some(slot) = self.0.get_mut(from.as_raw() as usize) {
            *slot = to.map_or(Rewrites::DROP, |to| to.as_raw() as u8);
        }
    }

    /// What `signal` is forwarded as; `None`: it is dropped.
    pub fn apply(&self, signal: Signal) -> Option<Signal> {
        match self.0.get(signal.as_raw() as usize) {
            Some(0) | None => Some(signal),
            Some(&to) => Signal::from_raw(i32::from(to)),
        }
    }
}

/// A command line pidone cannot run. Its [`UsageError::message`] names the
/// problem; pidone prints it and [`USAGE`], and exits 1, as tini, dumb-init
/// and catatonit do.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum UsageError<'a> {
    /// A long option pidone does not have.
    UnknownOption(&'a [u8]),
    /// A one-letter option pidone does not have (its letter).
    UnknownFlag(&'a [u8]),
    /// An option that takes a value came last.
    MissingValue(&'static str),
    /// `-e` with something other than 0 to 255.
    BadExitCode(&'a [u8]),
    /// `-p` or `-r` with something that names no signal.
    BadSignal(&'a [u8]),
    /// `-r` with no `:` between two signals.
    BadRewrite(&'a [u8]),
    /// `--grace` with something other than a whole number of seconds.
    BadGrace(&'a [u8]),
    /// No PROGRAM, and no `-P`.
    NoProgram,
    /// `-P` and a PROGRAM: pause mode runs nothing.
    PauseWithProgram,
}

impl UsageError<'_> {
    /// One line, `pidone: ...\n`, saying what is wrong.
    pub fn message(&self) -> Message {
        let (before, text, after): (&[u8], &[u8], &[u8]) = match *self {
            UsageError::UnknownOption(option) => (b"unknown option '", option, b"'"),
            UsageError::UnknownFlag(flag) => (b"unknown option '-", flag, b"'"),
            UsageError::MissingValue(option) => (b"option ", option.as_bytes(), b" needs a value"),
            UsageError::BadExitCode(code) => {
                (b"-e: '", code, b"' is not an exit code from 0 to 255")
            }
            UsageError::BadSignal(signal) => (b"'", signal, b"' is not a signal"),
            UsageError::BadRewrite(rewrite) => (
                b"-r: '",
                rewrite,
                b"' is not FROM:TO (two signals, TO may be 0)",
            ),
            UsageError::BadGrace(grace) => {
                (b"--grace: '", grace, b"' is not a whole number of seconds")
            }
            UsageError::NoProgram => (b"no program to run (or -P to pause)", b"", b""),
            UsageError::PauseWithProgram => (b"-P runs no program, but one was given", b"", b""),
        };
        let mut m = Message::new();
        m.push(b"pidone: ")
            .push(before)
            .push_quoted(text)
            .push(after)
            .push(b"\n");
        m
    }
}

/// Parses the arguments after pidone's own name, and the environment
/// (`NAME=VALUE` entries) for tini's variables.
pub fn parse<'a>(
    args: impl IntoIterator<Item = &'a [u8]>,
    env: impl IntoIterator<Item = &'a [u8]>,
    options: &mut Options,
) -> Result<Command, UsageError<'a>> {
    for entry in env {
        if entry.starts_with(b"TINI_SUBREAPER=") {
            options.subreaper = true;
        } else if entry.starts_with(b"TINI_KILL_PROCESS_GROUP=") {
            options.kill_group = true;
        } else if let Some(value) = entry.strip_prefix(b"TINI_VERBOSITY=") {
            options.verbosity = leading_number(value);
        }
    }

    let mut args = args.into_iter();
    let mut index = 0;
    let mut program = None;
    while let Some(arg) = args.next() {
        index += 1;
        if let Some(rest) = arg.strip_prefix(b"--grace") {
            let value = match rest {
                [] => {
                    index += 1;
                    args.next().ok_or(UsageError::MissingValue("--grace"))?
                }
                [b'=', value @ ..] => value,
                _ => return Err(UsageError::UnknownOption(arg)),
            };
            options.grace = Some(parse_seconds(value).ok_or(UsageError::BadGrace(value))?);
            continue;
        }
        match arg {
            b"--" => {
                program = args.next().map(|_| index);
                break;
            }
            b"--help" => return Ok(Command::Help),
            b"--version" => return Ok(Command::Version),
            [b'-', b'-', ..] => return Err(UsageError::UnknownOption(arg)),
            [b'-', cluster @ ..] if !cluster.is_empty() => {
                // getopt's clusters: `-sg`, `-e3`, `-vvv`, `-sge 3`.
                let mut rest = cluster;
                while let Some((flag, tail)) = rest.split_at_checked(1) {
                    rest = tail;
                    match flag {
                        b"h" => return Ok(Command::Help),
                        b"s" => options.subreaper = true,
                        b"g" => options.kill_group = true,
                        b"v" => options.verbosity = options.verbosity.saturating_add(1),
                        b"w" => options.warn_zombies = true,
                        b"P" => options.pause = true,
                        b"e" | b"p" | b"r" => {
                            let name = match flag {
                                b"e" => "-e",
                                b"p" => "-p",
                                _ => "-r",
                            };
                            let value = if rest.is_empty() {
                                index += 1;
                                args.next().ok_or(UsageError::MissingValue(name))?
                            } else {
                                core::mem::take(&mut rest)
                            };
                            apply_valued(options, flag, value)?;
                        }
                        _ => return Err(UsageError::UnknownFlag(flag)),
                    }
                }
            }
            _ => {
                program = Some(index - 1);
                break;
            }
        }
    }
    options.program = match (program, options.pause) {
        (Some(_), true) => return Err(UsageError::PauseWithProgram),
        (None, false) => return Err(UsageError::NoProgram),
        (Some(at), false) => at,
        (None, true) => index,
    };
    Ok(Command::Run)
}

fn apply_valued<'a>(
    options: &mut Options,
    flag: &[u8],
    value: &'a [u8],
) -> Result<(), UsageError<'a>> {
    match flag {
        b"e" => {
            let code = parse_decimal(value).and_then(|n| u8::try_from(n).ok());
            options.success_codes = options
                .success_codes
                .with(code.ok_or(UsageError::BadExitCode(value))?);
        }
        b"p" => {
            options.parent_death =
                Some(Signal::parse(value).map_err(|_| UsageError::BadSignal(value))?)
        }
        _ => {
            let mut parts = value.splitn(2, |&b| b == b':');
            let from = parts.next().unwrap_or_default();
            let to = parts.next().ok_or(UsageError::BadRewrite(value))?;
            let from = Signal::parse(from).map_err(|_| UsageError::BadSignal(from))?;
            let to = match to {
                b"0" => None,
                _ => Some(Signal::parse(to).map_err(|_| UsageError::BadSignal(to))?),
            };
            options.rewrites.set(from, to);
        }
    }
    Ok(())
}

/// A whole number of seconds, up to a year: longer is surely a mistake.
fn parse_seconds(text: &[u8]) -> Option<u32> {
    const YEAR: u32 = 366 * 24 * 3600;
    if text.is_empty() || text.len() > 8 || !text.iter().all(u8::is_ascii_digit) {
        return None;
    }
    let n = text.iter().fold(0u32, |n, &b| n * 10 + u32::from(b - b'0'));
    (n <= YEAR).then_some(n)
}

/// `atoi` as tini applies it to `TINI_VERBOSITY`, without its undefined
/// overflow: the leading digits, saturating at 255; no digits is 0.
fn leading_number(text: &[u8]) -> u8 {
    text.iter()
        .take_while(|b| b.is_ascii_digit())
        .fold(0u8, |n, &b| n.saturating_mul(10).saturating_add(b - b'0'))
}

#[cfg(test)]
mod tests {
    extern crate std;
    use super::*;
    use std::vec::Vec;

    fn parsed(args: &[&str], env: &[&'static [u8]]) -> (Result<Command, UsageError<'static>>, Options) {
        let args: Vec<&'static [u8]> = args
            .iter()
            .map(|a| &*std::boxed::Box::leak(a.as_bytes().to_vec().into_boxed_slice()))
            .collect();
        let mut options = Options::default();
        (parse(args, env.iter().copied(), &mut options), options)
    }

    fn run(args: &[&str]) -> Result<Command, UsageError<'static>> {
        parsed(args, &[]).0
    }

    fn options(args: &[&str]) -> Options {
        match parsed(args, &[]) {
            (Ok(Command::Run), options) => options,
            other => panic!("{args:?}: {other:?}"),
        }
    }

    #[test]
    fn program_starts_at_the_first_non_option() {
        assert_eq!(options(&["sh", "-c", "exit 3"]).program, 0);
        assert_eq!(options(&["-s", "sh", "-g"]).program, 1);
        assert_eq!(options(&["--", "sh"]).program, 1);
        assert_eq!(options(&["-s", "--", "-g"]).program, 2);
        assert!(!options(&["-s", "--", "-g"]).kill_group);
    }

    #[test]
    fn clusters_and_attached_values() {
        let o = options(&[
            "-sgvw",
            "-e3",
            "-e",
            "4",
            "-pTERM",
            "-r",
            "USR1:USR2",
            "true",
        ]);
        assert!(o.subreaper && o.kill_group && o.warn_zombies);
        assert_eq!(o.verbosity, 2);
        assert!(
            o.success_codes.contains(3)
                && o.success_codes.contains(4)
                && !o.success_codes.contains(0)
        );
        assert_eq!(o.parent_death, Some(Signal::TERM));
        assert_eq!(o.rewrites.apply(Signal::USR1), Some(Signal::USR2));
        assert_eq!(o.program, 7);
        assert_eq!(
            options(&["-sge", "255", "x"]).success_codes,
            ExitCodes::NONE.with(255)
        );
    }

    #[test]
    fn rewrite_to_zero_drops() {
        let o = options(&["-r", "15:0", "-r", "SIGHUP:SIGRTMIN+1", "x"]);
        assert_eq!(o.rewrites.apply(Signal::TERM), None);
        assert_eq!(o.rewrites.apply(Signal::HUP).map(Signal::as_raw), Some(35));
        assert_eq!(o.rewrites.apply(Signal::INT), Some(Signal::INT));
    }

    #[test]
    fn pause_and_grace() {
        let o = options(&["-P"]);
        assert!(o.pause);
        assert_eq!(o.program, 1);
        assert_eq!(options(&["--grace", "5", "x"]).grace, Some(5));
        assert_eq!(options(&["--grace=0", "x"]).grace, Some(0));
        assert_eq!(run(&["-P", "x"]), Err(UsageError::PauseWithProgram));
    }

    #[test]
    fn help_and_version() {
        assert_eq!(run(&["-h"]), Ok(Command::Help));
        assert_eq!(run(&["--help", "x"]), Ok(Command::Help));
        assert_eq!(run(&["-sh"]), Ok(Command::Help));
        assert_eq!(run(&["--version"]), Ok(Command::Version));
        // After the program, everything is the program's.
        assert_eq!(options(&["x", "--help"]).program, 0);
    }

    #[test]
    fn bad_input_names_the_problem() {
        assert_eq!(run(&[]), Err(UsageError::NoProgram));
        assert_eq!(run(&["--"]), Err(UsageError::NoProgram));
        assert_eq!(run(&["-x", "y"]), Err(UsageError::UnknownFlag(b"x")));
        assert_eq!(run(&["-sx", "y"]), Err(UsageError::UnknownFlag(b"x")));
        assert_eq!(
            run(&["--nope", "y"]),
            Err(UsageError::UnknownOption(b"--nope"))
        );
        assert_eq!(
            run(&["--gracefully", "y"]),
            Err(UsageError::UnknownOption(b"--gracefully"))
        );
        assert_eq!(run(&["-e"]), Err(UsageError::MissingValue("-e")));
        assert_eq!(
            run(&["-e", "300", "y"]),
            Err(UsageError::BadExitCode(b"300"))
        );
        assert_eq!(run(&["-e", "-1", "y"]), Err(UsageError::BadExitCode(b"-1")));
        assert_eq!(run(&["-r", "1:x", "y"]), Err(UsageError::BadSignal(b"x")));
        assert_eq!(run(&["-r", "1", "y"]), Err(UsageError::BadRewrite(b"1")));
        assert_eq!(
            run(&["-p", "NOPE", "y"]),
            Err(UsageError::BadSignal(b"NOPE"))
        );
        assert_eq!(
            run(&["--grace", "1.5", "y"]),
            Err(UsageError::BadGrace(b"1.5"))
        );
        assert_eq!(run(&["--grace"]), Err(UsageError::MissingValue("--grace")));
        let message = run(&["-e", "300", "y"]).unwrap_err().message();
        assert_eq!(
            message.as_bytes(),
            b"pidone: -e: '300' is not an exit code from 0 to 255\n"
        );
    }

    #[test]
    fn environment_as_tini_reads_it() {
        let env: [&[u8]; 3] = [
            b"TINI_SUBREAPER=",
            b"TINI_KILL_PROCESS_GROUP=1",
            b"TINI_VERBOSITY=3",
        ];
        let (Ok(Command::Run), o) = parsed(&["x"], &env) else {
            panic!()
        };
        assert!(o.subreaper && o.kill_group);
        assert_eq!(o.verbosity, 3);
        let verbosity = |value: &'static [u8]| match parsed(&["-v", "x"], &[value]) {
            (Ok(Command::Run), o) => o.verbosity,
            other => panic!("{other:?}"),
        };
        assert_eq!(verbosity(b"TINI_VERBOSITY=abc"), 1);
        assert_eq!(verbosity(b"TINI_VERBOSITY=99999999999"), 255);
        assert_eq!(verbosity(b"TINI_VERBOSITY=0"), 1);
        assert_eq!(verbosity(b"OTHER=1"), 2);
    }
}
