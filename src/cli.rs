//! The init's command line, parsed without allocating:
//! `pidone [OPTIONS] [--] PROGRAM [ARGS...]`.
//!
//! Option names are tini's where tini has one, so that pidone can stand in
//! for Docker's `docker-init` and podman's catatonit. Parsing stops at the
//! first argument that is not an option, as getopt does with a leading `+`,
//! so `pidone sh -c 'exit 3'` needs no `--`.

use crate::message::Message;
use crate::signal::{Signal, parse_decimal};
use crate::strip_prefix;

/// What `-h` prints: the usage line ([`USAGE`]), then a summary. Every byte
/// of it is in the binary, so it is terse; README.md says the rest.
pub const HELP: &str = "\
usage: pidone [-hsgvwWP] [-e CODE] [-p SIGNAL] [-r FROM:TO] [-u USER[:GROUP]] [--grace SECONDS] [--] PROGRAM [ARGS...]
 -s  subreaper       -e CODE     exit 0 if the child exits with CODE
 -g  signal group    -p SIGNAL   parent-death signal
 -v  more messages   -r FROM:TO  forward FROM as TO (TO=0: drop)
 -w  warn on zombies --grace S   TERM leftovers, KILL them after S s
 -W  wait for all    -u U[:G]    run PROGRAM as user U (and group G)
 -P  no program, reap until TERM or INT
Each option is also a PIDONE_ variable; the command line wins.
Exit: the child's code or 128+signal; 1 usage; 123 -u failed;
125 fork failed; 126 cannot execute; 127 not found. See README.md.
";

/// The one-line usage, printed after every usage error: the first line of
/// [`HELP`], which shares its bytes.
pub const USAGE: &str = HELP.split_at(usage_len()).0;

/// The length of [`HELP`]'s first line, its newline included.
const fn usage_len() -> usize {
    let bytes = HELP.as_bytes();
    let mut len = 0;
    while bytes[len] != b'\n' {
        len += 1;
    }
    len + 1
}

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
pub struct Options<'a> {
    /// The [`Switch`]es given, a bit each: [`Options::has`] reads them.
    pub switches: u8,
    /// `-e CODE`: child exit codes that count as success.
    pub success_codes: ExitCodes,
    /// `-p SIGNAL`: the parent-death signal.
    pub parent_death: Option<Signal>,
    /// 0 fatal errors only, 1 warnings (the default), 2 and up more.
    pub verbosity: u8,
    /// `-r FROM:TO`: how signals are rewritten before forwarding.
    pub rewrites: Rewrites,
    /// `--grace SECONDS`: how long leftovers get between TERM and KILL.
    pub grace: Option<u32>,
    /// `-u USER[:GROUP]`: whom the program runs as, as given (a user, and
    /// a group after a colon, each a name or a number; neither empty).
    pub user: Option<&'a [u8]>,
    /// Where PROGRAM is among the arguments given to [`parse`] (which do not
    /// include pidone's own name); with `-P`, their count.
    pub program: usize,
}

impl Default for Options<'_> {
    fn default() -> Self {
        Options {
            switches: 0,
            success_codes: ExitCodes::NONE,
            parent_death: None,
            verbosity: 1,
            rewrites: Rewrites::IDENTITY,
            grace: None,
            user: None,
            program: 0,
        }
    }
}

/// An option with no value that turns something on: its bit in
/// [`Options::switches`].
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
#[repr(u8)]
pub enum Switch {
    /// `-s`: become a child subreaper.
    Subreaper = 1 << 0,
    /// `-g`: forward signals to the child's process group.
    KillGroup = 1 << 1,
    /// `-w`: warn for every reaped zombie that is not the main child.
    WarnZombies = 1 << 2,
    /// `-P`: no program; reap until TERM or INT.
    Pause = 1 << 3,
    /// `-W`: when the main child exits, wait until no process is left.
    WaitAll = 1 << 4,
}

impl Options<'_> {
    /// Whether `switch` was given.
    pub const fn has(&self, switch: Switch) -> bool {
        self.switches & switch as u8 != 0
    }

    /// Turns `switch` on.
    pub const fn set(&mut self, switch: Switch) {
        self.switches |= switch as u8;
    }
}

/// An option that takes a value: `-e3`, `-e 3`, `--grace=5`, `--grace 5`.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
#[repr(u8)]
pub enum Valued {
    /// `-e CODE`.
    SuccessCode,
    /// `-p SIGNAL`.
    ParentDeath,
    /// `-r FROM:TO`.
    Rewrite,
    /// `--grace SECONDS`.
    Grace,
    /// `-u USER[:GROUP]`.
    User,
}

impl Valued {
    /// The option as the user writes it, for [`UsageError`]'s messages.
    pub const fn name(self) -> &'static str {
        match self {
            Valued::SuccessCode => "-e",
            Valued::ParentDeath => "-p",
            Valued::Rewrite => "-r",
            Valued::Grace => "--grace",
            Valued::User => "-u",
        }
    }

    /// Whether the option adds to what it sets, and may be given again: the
    /// environment's form then takes a list, `PIDONE_REWRITE=HUP:0,USR1:TERM`.
    const fn repeats(self) -> bool {
        matches!(self, Valued::SuccessCode | Valued::Rewrite)
    }
}

/// What an option of [`OPTIONS`] is to the parser.
#[derive(Copy, Clone)]
enum Kind {
    /// A [`Switch`]: on the command line it turns it on; its variable is
    /// `1` (on) or `0` (off).
    Switch(Switch),
    /// `-v`: one more each time; its variable is the level, 0 to 255.
    Verbosity,
    /// An option with a value: its variable has the same value.
    Valued(Valued),
}

impl Kind {
    /// Whether tini reads its variable too, as `TINI_` and its name: set at
    /// all, a switch is on; the verbosity is read as `atoi` reads it.
    const fn tini_reads(self) -> bool {
        matches!(
            self,
            Kind::Switch(Switch::Subreaper | Switch::KillGroup) | Kind::Verbosity
        )
    }

    /// Its bit in the set of options given so far.
    const fn bit(self) -> u16 {
        match self {
            Kind::Switch(switch) => switch as u16,
            Kind::Verbosity => 1 << 7,
            Kind::Valued(option) => 1 << (8 + option as u16),
        }
    }
}

/// The prefix of pidone's variables: `PIDONE_GRACE=5` is `--grace 5`.
const PREFIX: &[u8] = b"PIDONE_";

/// Every option of a run: its letter on the command line (`--grace` has
/// none) and what it is. Its variable is the word of [`VARIABLES`] in the
/// same place. A new option is a row here and a word there and, if it takes
/// a value, a [`Valued`] variant, whose arms in [`Valued::name`] and `apply`
/// the compiler then asks for.
const OPTIONS: [(Option<u8>, Kind); 11] = [
    (Some(b's'), Kind::Switch(Switch::Subreaper)),
    (Some(b'g'), Kind::Switch(Switch::KillGroup)),
    (Some(b'w'), Kind::Switch(Switch::WarnZombies)),
    (Some(b'W'), Kind::Switch(Switch::WaitAll)),
    (Some(b'P'), Kind::Switch(Switch::Pause)),
    (Some(b'v'), Kind::Verbosity),
    (Some(b'e'), Kind::Valued(Valued::SuccessCode)),
    (Some(b'p'), Kind::Valued(Valued::ParentDeath)),
    (Some(b'r'), Kind::Valued(Valued::Rewrite)),
    (None, Kind::Valued(Valued::Grace)),
    (Some(b'u'), Kind::Valued(Valued::User)),
];

/// The variables of [`OPTIONS`], after [`PREFIX`], a word each in its
/// order: one byte string instead of a table of pointers. tini reads three
/// of them after `TINI_` ([`Kind::tini_reads`]).
const VARIABLES: &[u8] = b"SUBREAPER KILL_PROCESS_GROUP WARN_ZOMBIES WAIT_ALL PAUSE VERBOSITY \
SUCCESS_CODES PARENT_DEATH_SIGNAL REWRITE GRACE USER";
const _: () = {
    let (mut at, mut words) = (0, 1);
    while at < VARIABLES.len() {
        words += (VARIABLES[at] == b' ') as usize;
        at += 1;
    }
    assert!(
        words == OPTIONS.len(),
        "VARIABLES needs a word per row of OPTIONS"
    );
};

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

    /// Adds `code` to the set.
    pub const fn insert(&mut self, code: u8) {
        self.0[(code / 64) as usize] |= 1 << (code % 64);
    }

    /// Whether `code` is in the set.
    pub const fn contains(&self, code: u8) -> bool {
        self.0[(code / 64) as usize] & 1 << (code % 64) != 0
    }
}

/// The signal each signal is forwarded as (`-r`), or none. Entry `n` is 0
/// when signal `n` is forwarded as itself, 255 when it is dropped, and the
/// new number otherwise: all zeros is the table with no rewrite, which
/// costs nothing to set up.
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
    /// No PROGRAM, and no `-P`.
    NoProgram,
    /// `-P` and a PROGRAM: pause mode runs nothing.
    PauseWithProgram,
    /// A value that an option, or a variable, cannot take.
    BadValue {
        /// Where it was given: the option (`-e`) or the variable's name.
        at: &'a [u8],
        /// The value, or the part of it that is wrong.
        value: &'a [u8],
        /// What it should have been.
        wanted: Wanted,
    },
}

/// What a value should have been, for [`UsageError::BadValue`].
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
#[repr(u8)]
pub enum Wanted {
    /// `-e`: 0 to 255.
    ExitCode,
    /// `-p`, or either half of `-r`.
    Signal,
    /// `-r`: two signals and a colon.
    Rewrite,
    /// `--grace`: up to a year.
    Seconds,
    /// A switch's variable.
    OnOff,
    /// The verbosity's variable.
    Level,
    /// `-u`.
    User,
}

impl UsageError<'_> {
    /// One line, `pidone: ...\n`, saying what is wrong.
    pub fn message(&self) -> Message {
        let mut m = Message::new();
        m.push(b"pidone: ");
        let (line, text): (usize, &[u8]) = match *self {
            UsageError::UnknownOption(option) => (0, option),
            UsageError::UnknownFlag(flag) => (1, flag),
            UsageError::MissingValue(option) => (2, option.as_bytes()),
            UsageError::NoProgram => (3, b""),
            // The last before BadValue's lines.
            UsageError::PauseWithProgram => (WANTED_LINE - 1, b""),
            UsageError::BadValue { at, value, wanted } => {
                m.push_quoted(at)
                    .push(b": '")
                    .push_quoted(value)
                    .push(b"' is not ");
                (WANTED_LINE + wanted as usize, b"")
            }
        };
        // In step, as the assertion after USAGE_ERROR_STARTS makes sure:
        // every line starts after the one before and ends with a newline.
        let start = usize::from(USAGE_ERROR_STARTS[line]);
        let end = usize::from(USAGE_ERROR_STARTS[line + 1]) - 1;
        let template = USAGE_ERRORS.get(start..end).unwrap_or_default();
        m.fill(template, text, [0; 2]).push(b"\n");
        m
    }
}

/// The templates of [`UsageError::message`], one a line: a line per variant
/// but the last, in their order, then what each [`Wanted`] says, in its
/// order. One byte string instead of a table of pointers.
const USAGE_ERRORS: &[u8] = b"\
unknown option '\x01'
unknown option '-\x01'
option \x01 needs a value
no program to run (or -P to pause)
-P runs no program, but one was given
an exit code from 0 to 255
a signal
FROM:TO (two signals, TO may be 0)
a whole number of seconds
0 or 1
a number from 0 to 255
USER[:GROUP]
";

/// Where [`Wanted`]'s lines start among [`USAGE_ERRORS`]'.
const WANTED_LINE: usize = 5;

/// How many lines [`USAGE_ERRORS`] has: [`WANTED_LINE`], and one per
/// [`Wanted`] variant (the last is `User`).
const USAGE_ERROR_COUNT: usize = WANTED_LINE + Wanted::User as usize + 1;

/// Where each line of [`USAGE_ERRORS`] starts, and where the last ends
/// (after its newline), worked out when compiling. A line more than
/// [`USAGE_ERROR_COUNT`] fails the build here (an index out of bounds), a
/// line fewer in the assertion below.
const USAGE_ERROR_STARTS: [u16; USAGE_ERROR_COUNT + 1] = {
    let mut starts = [0; USAGE_ERROR_COUNT + 1];
    let (mut at, mut line) = (0, 0);
    while at < USAGE_ERRORS.len() {
        at += 1;
        if USAGE_ERRORS[at - 1] == b'\n' {
            line += 1;
            starts[line] = at as u16;
        }
    }
    starts
};
const _: () = assert!(
    USAGE_ERROR_STARTS[USAGE_ERROR_COUNT] as usize == USAGE_ERRORS.len(),
    "USAGE_ERRORS needs one line, ending in a newline, per UsageError variant and Wanted variant"
);

/// What the next argument is to the parser.
#[derive(Copy, Clone)]
enum Next {
    /// An option, or else the program.
    Option,
    /// The value of this option.
    Value(Valued),
    /// The program, after `--`.
    Program,
}

/// Parses the arguments after pidone's own name, then the environment
/// (`NAME=VALUE` entries): each option's variable, `PIDONE_` and its name in
/// [`OPTIONS`], and tini's three. An option given on the command line is
/// not read from the environment, but `-v` counts up from the verbosity a
/// variable sets. A `PIDONE_` variable wins over tini's, and the first of
/// two entries of one variable over the second, as `getenv` finds it.
pub fn parse<'a>(
    args: impl IntoIterator<Item = &'a [u8]>,
    env: impl IntoIterator<Item = &'a [u8]>,
    options: &mut Options<'a>,
) -> Result<Command, UsageError<'a>> {
    // The options given so far: Kind::bit's.
    let mut given = 0u16;
    // How many `-v`s.
    let mut louder = 0u8;
    let mut next = Next::Option;
    let mut index = 0;
    let mut program = None;
    for arg in args {
        index += 1;
        let (option, value) = match (next, arg) {
            (Next::Program, _) => {
                program = Some(index - 1);
                break;
            }
            (Next::Value(option), value) => (option, value),
            (Next::Option, [b'-', b'-', long @ ..]) => {
                let is = |name| strip_prefix(long, name, false).is_some_and(<[u8]>::is_empty);
                if long.is_empty() {
                    next = Next::Program;
                    continue;
                } else if is(b"help") {
                    return Ok(Command::Help);
                } else if is(b"version") {
                    return Ok(Command::Version);
                }
                given |= Kind::Valued(Valued::Grace).bit();
                match strip_prefix(long, b"grace", false) {
                    Some([]) => {
                        next = Next::Value(Valued::Grace);
                        continue;
                    }
                    Some([b'=', value @ ..]) => (Valued::Grace, value),
                    _ => return Err(UsageError::UnknownOption(arg)),
                }
            }
            // getopt's clusters: `-sg`, `-e3`, `-vvv`, `-sge 3`.
            (Next::Option, [b'-', cluster @ ..]) if !cluster.is_empty() => {
                let mut rest = cluster;
                while let [flag, tail @ ..] = rest {
                    if *flag == b'h' {
                        return Ok(Command::Help);
                    }
                    let Some(&(_, kind)) =
                        OPTIONS.iter().find(|(letter, _)| *letter == Some(*flag))
                    else {
                        return Err(UsageError::UnknownFlag(core::slice::from_ref(flag)));
                    };
                    match kind {
                        // Counted apart: `-v` is "one more" than the level
                        // of the environment, or the default.
                        Kind::Verbosity => louder = louder.saturating_add(1),
                        Kind::Switch(switch) => {
                            given |= kind.bit();
                            options.set(switch);
                        }
                        Kind::Valued(option) => {
                            given |= kind.bit();
                            next = Next::Value(option);
                            break;
                        }
                    }
                    rest = tail;
                }
                // A value in the same argument: `-e3`.
                match (next, rest) {
                    (Next::Value(option), [_, value @ ..]) if !value.is_empty() => (option, value),
                    _ => continue,
                }
            }
            (Next::Option, _) => {
                program = Some(index - 1);
                break;
            }
        };
        next = Next::Option;
        apply(options, option, value, option.name().as_bytes())?;
    }
    if let Next::Value(option) = next {
        return Err(UsageError::MissingValue(option.name()));
    }
    for entry in env {
        read_variable(options, entry, &mut given)?;
    }
    options.verbosity = options.verbosity.saturating_add(louder);
    options.program = match (program, options.has(Switch::Pause)) {
        (Some(_), true) => return Err(UsageError::PauseWithProgram),
        (None, false) => return Err(UsageError::NoProgram),
        (Some(at), false) => at,
        (None, true) => index,
    };
    Ok(Command::Run)
}

/// Applies one environment entry, if it is an option's variable whose
/// option is not in `given`; a `PIDONE_` one joins `given`.
fn read_variable<'a>(
    options: &mut Options<'a>,
    entry: &'a [u8],
    given: &mut u16,
) -> Result<(), UsageError<'a>> {
    let Some(equals) = entry.iter().position(|&b| b == b'=') else {
        return Ok(());
    };
    let (name, value) = (&entry[..equals], &entry[equals + 1..]);
    let (ours, short) = match (
        strip_prefix(name, PREFIX, false),
        strip_prefix(name, b"TINI_", false),
    ) {
        (Some(short), _) => (true, short),
        (None, Some(short)) => (false, short),
        (None, None) => return Ok(()),
    };
    // The word of VARIABLES that is `short`, and its row. Other `PIDONE_`
    // names are left alone, as tini leaves other `TINI_` ones: tools have
    // their own (this project's tests: `PIDONE_BIN`).
    let (mut row, mut word) = (0, VARIABLES);
    let kind = loop {
        let Some(&(_, kind)) = OPTIONS.get(row) else {
            return Ok(());
        };
        let end = word.iter().position(|&b| b == b' ').unwrap_or(word.len());
        if (ours || kind.tini_reads()) && strip_prefix(short, &word[..end], false) == Some(&[]) {
            break kind;
        }
        word = word.get(end + 1..).unwrap_or_default();
        row += 1;
    };
    let bit = kind.bit();
    if *given & bit != 0 {
        return Ok(());
    }
    let bad = |wanted| UsageError::BadValue {
        at: name,
        value,
        wanted,
    };
    match kind {
        Kind::Switch(switch) => match (ours, value) {
            (false, _) | (true, b"1") => options.set(switch),
            (true, b"0") => options.switches &= !(switch as u8),
            (true, _) => return Err(bad(Wanted::OnOff)),
        },
        Kind::Verbosity if ours => {
            let level = parse_decimal(value, 3).and_then(|n| u8::try_from(n).ok());
            options.verbosity = level.ok_or(bad(Wanted::Level))?;
        }
        Kind::Verbosity => options.verbosity = leading_number(value),
        Kind::Valued(option) if option.repeats() => {
            for part in value.split(|&b| b == b',') {
                apply(options, option, part, name)?;
            }
        }
        Kind::Valued(option) => apply(options, option, value, name)?,
    }
    if ours {
        *given |= bit;
    }
    Ok(())
}

/// Applies an option's value, given at `at` (the option, or its variable).
fn apply<'a>(
    options: &mut Options<'a>,
    option: Valued,
    value: &'a [u8],
    at: &'a [u8],
) -> Result<(), UsageError<'a>> {
    let bad = |value, wanted| UsageError::BadValue { at, value, wanted };
    let signal = |text| Signal::parse(text).map_err(|_| bad(text, Wanted::Signal));
    match option {
        Valued::SuccessCode => {
            let code = parse_decimal(value, 3).and_then(|n| u8::try_from(n).ok());
            options
                .success_codes
                .insert(code.ok_or(bad(value, Wanted::ExitCode))?);
        }
        Valued::ParentDeath => options.parent_death = Some(signal(value)?),
        Valued::Grace => {
            options.grace = Some(parse_seconds(value).ok_or(bad(value, Wanted::Seconds))?)
        }
        Valued::Rewrite => {
            let colon = value.iter().position(|&b| b == b':');
            let colon = colon.ok_or(bad(value, Wanted::Rewrite))?;
            let (from, to) = (&value[..colon], &value[colon + 1..]);
            let from = signal(from)?;
            let to = match to {
                b"0" => None,
                _ => Some(signal(to)?),
            };
            options.rewrites.set(from, to);
        }
        Valued::User => {
            // USER or USER:GROUP, neither part empty: which ids they are is
            // looked up when the child starts.
            let colon = value.iter().position(|&b| b == b':').unwrap_or(value.len());
            let (user, group) = value.split_at(colon);
            if user.is_empty() || group == b":" {
                return Err(bad(value, Wanted::User));
            }
            options.user = Some(value);
        }
    }
    Ok(())
}

/// A whole number of seconds, up to a year: longer is surely a mistake.
fn parse_seconds(text: &[u8]) -> Option<u32> {
    const YEAR: u32 = 366 * 24 * 3600;
    parse_decimal(text, 8).filter(|&n| n <= YEAR)
}

/// `atoi` as tini applies it to `TINI_VERBOSITY`, without its undefined
/// overflow: the leading digits, saturating at 255; no digits is 0.
fn leading_number(text: &[u8]) -> u8 {
    // Once at 255, n * 10 + digit stays above it.
    let n = text
        .iter()
        .take_while(|b| b.is_ascii_digit())
        .fold(0u32, |n, &b| (n * 10 + u32::from(b - b'0')).min(255));
    n as u8
}

#[cfg(test)]
mod tests {
    extern crate std;
    use super::*;
    use std::vec::Vec;

    fn parsed(
        args: &[&str],
        env: &[&'static [u8]],
    ) -> (Result<Command, UsageError<'static>>, Options<'static>) {
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

    fn options(args: &[&str]) -> Options<'static> {
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
        assert!(!options(&["-s", "--", "-g"]).has(Switch::KillGroup));
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
        assert!(o.has(Switch::Subreaper) && o.has(Switch::KillGroup) && o.has(Switch::WarnZombies));
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
        assert!(o.has(Switch::Pause));
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
        let bad = |at: &'static str, value: &'static str, wanted| {
            Err(UsageError::BadValue {
                at: at.as_bytes(),
                value: value.as_bytes(),
                wanted,
            })
        };
        assert_eq!(run(&["-e", "300", "y"]), bad("-e", "300", Wanted::ExitCode));
        assert_eq!(run(&["-e", "-1", "y"]), bad("-e", "-1", Wanted::ExitCode));
        assert_eq!(run(&["-r", "1:x", "y"]), bad("-r", "x", Wanted::Signal));
        assert_eq!(run(&["-r", "1", "y"]), bad("-r", "1", Wanted::Rewrite));
        assert_eq!(run(&["-p", "NOPE", "y"]), bad("-p", "NOPE", Wanted::Signal));
        assert_eq!(
            run(&["--grace", "1.5", "y"]),
            bad("--grace", "1.5", Wanted::Seconds)
        );
        assert_eq!(run(&["-u", ":0", "y"]), bad("-u", ":0", Wanted::User));
        assert_eq!(run(&["-u0:", "y"]), bad("-u", "0:", Wanted::User));
        assert_eq!(run(&["--grace"]), Err(UsageError::MissingValue("--grace")));
        let message = run(&["-e", "300", "y"]).unwrap_err().message();
        assert_eq!(
            message.as_bytes(),
            b"pidone: -e: '300' is not an exit code from 0 to 255\n"
        );
        let message = run(&["-P", "y"]).unwrap_err().message();
        assert_eq!(
            message.as_bytes(),
            b"pidone: -P runs no program, but one was given\n"
        );
    }

    #[test]
    fn every_option_has_a_variable_and_the_command_line_wins() {
        let env: [&[u8]; 11] = [
            b"PIDONE_SUBREAPER=1",
            b"PIDONE_KILL_PROCESS_GROUP=1",
            b"PIDONE_WARN_ZOMBIES=1",
            b"PIDONE_WAIT_ALL=1",
            b"PIDONE_VERBOSITY=0",
            b"PIDONE_SUCCESS_CODES=3,4",
            b"PIDONE_PARENT_DEATH_SIGNAL=KILL",
            b"PIDONE_REWRITE=TERM:INT,HUP:0",
            b"PIDONE_GRACE=7",
            b"PIDONE_USER=nobody:nogroup",
            b"PIDONE_PAUSE=0",
        ];
        let (Ok(Command::Run), o) = parsed(&["x"], &env) else {
            panic!()
        };
        assert!(o.has(Switch::Subreaper) && o.has(Switch::KillGroup));
        assert!(o.has(Switch::WarnZombies) && o.has(Switch::WaitAll) && !o.has(Switch::Pause));
        assert_eq!(o.verbosity, 0);
        assert_eq!(o.success_codes, ExitCodes::NONE.with(3).with(4));
        assert_eq!(o.parent_death, Some(Signal::KILL));
        assert_eq!(o.rewrites.apply(Signal::TERM), Some(Signal::INT));
        assert_eq!(o.rewrites.apply(Signal::HUP), None);
        assert_eq!(o.grace, Some(7));
        assert_eq!(o.user, Some(&b"nobody:nogroup"[..]));
        // The command line wins, option by option; `-v` counts up from
        // the variable's level.
        let args = [
            "-v",
            "-e5",
            "-pTERM",
            "-r",
            "USR1:USR2",
            "--grace=1",
            "-u0",
            "x",
        ];
        let (Ok(Command::Run), o) = parsed(&args, &env) else {
            panic!()
        };
        assert_eq!(o.verbosity, 1);
        assert_eq!(o.success_codes, ExitCodes::NONE.with(5));
        assert_eq!(o.parent_death, Some(Signal::TERM));
        assert_eq!(o.rewrites.apply(Signal::TERM), Some(Signal::TERM));
        assert_eq!(o.rewrites.apply(Signal::USR1), Some(Signal::USR2));
        assert_eq!((o.grace, o.user), (Some(1), Some(&b"0"[..])));
        // A switch's `0` is off, unless the command line turns it on.
        let off: [&[u8]; 2] = [b"TINI_SUBREAPER=", b"PIDONE_SUBREAPER=0"];
        assert!(!parsed(&["x"], &off).1.has(Switch::Subreaper));
        assert!(parsed(&["-s", "x"], &off).1.has(Switch::Subreaper));
        // PIDONE_ wins over TINI_, and the first entry over a second.
        let levels: [&[u8]; 3] = [
            b"PIDONE_VERBOSITY=4",
            b"TINI_VERBOSITY=7",
            b"PIDONE_VERBOSITY=5",
        ];
        assert_eq!(parsed(&["x"], &levels).1.verbosity, 4);
        let levels: [&[u8]; 2] = [b"TINI_VERBOSITY=7", b"PIDONE_VERBOSITY=4"];
        assert_eq!(parsed(&["x"], &levels).1.verbosity, 4);
        assert_eq!(
            parsed(&[], &[b"PIDONE_PAUSE=1"]).0,
            Ok(Command::Run),
            "-P from the environment"
        );
    }

    #[test]
    fn bad_variables_name_themselves() {
        let bad = |entry: &'static [u8]| parsed(&["x"], &[entry]).0.unwrap_err();
        let error = bad(b"PIDONE_GRACE=1.5");
        assert_eq!(
            error.message().as_bytes(),
            b"pidone: PIDONE_GRACE: '1.5' is not a whole number of seconds\n"
        );
        assert_eq!(
            bad(b"PIDONE_SUCCESS_CODES=3,,4"),
            UsageError::BadValue {
                at: b"PIDONE_SUCCESS_CODES",
                value: b"",
                wanted: Wanted::ExitCode
            }
        );
        assert_eq!(
            bad(b"PIDONE_SUBREAPER=yes").message().as_bytes(),
            b"pidone: PIDONE_SUBREAPER: 'yes' is not 0 or 1\n"
        );
        assert_eq!(
            bad(b"PIDONE_VERBOSITY=256").message().as_bytes(),
            b"pidone: PIDONE_VERBOSITY: '256' is not a number from 0 to 255\n"
        );
        // Given on the command line, the variable is not read at all.
        let (result, _) = parsed(&["--grace", "2", "x"], &[b"PIDONE_GRACE=1.5"]);
        assert_eq!(result, Ok(Command::Run));
        // Other programs' variables, and entries with no `=`, are no concern.
        let (result, _) = parsed(
            &["x"],
            &[
                b"TINI_GRACE=x",
                b"PIDONE",
                b"PIDONEX=1",
                b"PIDONE_GRACEFUL=x",
            ],
        );
        assert_eq!(result, Ok(Command::Run));
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
        assert!(o.has(Switch::Subreaper) && o.has(Switch::KillGroup));
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
