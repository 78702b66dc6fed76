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

/// What `-h` prints first: the usage line ([`USAGE`]), then a summary of
/// the options; then the features' lines, and [`EXIT_HELP`]. Every byte of
/// it is in the binary, so it is terse; README.md says the rest.
pub const HELP: &str = "\
usage: pidone [OPTIONS] [--] PROGRAM [ARGS...]
 -s  subreaper       -e CODE     exit 0 if the child exits with CODE
 -g  signal group    -p SIGNAL   parent-death signal
 -v  more messages   -r FROM:TO  forward FROM as TO (TO=0: drop)
 -w  warn on zombies --grace S   TERM leftovers, KILL them after S s
 -W  wait for every process      -P  no program, reap until TERM or INT
";

/// What `-h` prints last: the exit codes.
pub const EXIT_HELP: &str = "\
Exit: the child's code or 128+signal; 1 usage; 125 fork failed;
126 cannot execute; 127 not found. See README.md.
";

/// What `-h` prints after [`HELP`] with the `user` feature.
#[cfg(feature = "user")]
pub const USER_HELP: &str =
    " -u USER[:GROUP]  run PROGRAM as USER (names or ids); 123 if it cannot\n";

/// What `-h` prints after [`HELP`] with the `env` feature.
#[cfg(feature = "env")]
pub const ENV_HELP: &str = "Every option is also a PIDONE_ variable; the command line wins.\n";

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
    /// `-u USER[:GROUP]` (the `user` feature): whom the program runs as, as
    /// given: a user, and a group after a colon, each a name or a number.
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
    /// `-s`, or `TINI_SUBREAPER` set: become a child subreaper.
    Subreaper = 1 << 0,
    /// `-g`, or `TINI_KILL_PROCESS_GROUP` set: forward signals to the
    /// child's process group.
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

/// The one-letter switches: a row each.
const SWITCHES: [(u8, Switch); 5] = [
    (b's', Switch::Subreaper),
    (b'g', Switch::KillGroup),
    (b'w', Switch::WarnZombies),
    (b'W', Switch::WaitAll),
    (b'P', Switch::Pause),
];

/// An option that takes a value: `-e3`, `-e 3`, `--grace=5`, `--grace 5`.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum Valued {
    /// `-e CODE`.
    SuccessCode,
    /// `-p SIGNAL`.
    ParentDeath,
    /// `-r FROM:TO`.
    Rewrite,
    /// `--grace SECONDS`.
    Grace,
    /// `-u USER[:GROUP]` (the `user` feature).
    #[cfg(feature = "user")]
    User,
}

impl Valued {
    /// The option as the user writes it, for [`UsageError::MissingValue`].
    pub const fn name(self) -> &'static str {
        match self {
            Valued::SuccessCode => "-e",
            Valued::ParentDeath => "-p",
            Valued::Rewrite => "-r",
            Valued::Grace => "--grace",
            #[cfg(feature = "user")]
            Valued::User => "-u",
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
    /// `-e` with something other than 0 to 255.
    BadExitCode(&'a [u8]),
    /// `-p` or `-r` with something that names no signal.
    BadSignal(&'a [u8]),
    /// `-r` with no `:` between two signals.
    BadRewrite(&'a [u8]),
    /// `--grace` with something other than a whole number of seconds.
    BadGrace(&'a [u8]),
    /// `-u` with an empty USER or GROUP.
    #[cfg(feature = "user")]
    BadUser(&'a [u8]),
    /// A variable's value that its option cannot take (the `env` feature):
    /// the variable's name, and what the option's own error says.
    #[cfg(feature = "env")]
    BadVariable {
        /// `PIDONE_...`.
        name: &'a [u8],
        /// The error's template, from [`UsageError::template`].
        template: &'static [u8],
        /// Its text: the value, or the part of it that is wrong.
        text: &'a [u8],
    },
    /// No PROGRAM, and no `-P`.
    NoProgram,
    /// `-P` and a PROGRAM: pause mode runs nothing.
    PauseWithProgram,
}

impl<'a> UsageError<'a> {
    /// What is wrong, as a template for [`crate::message::say`] and the
    /// user's text that fills it in.
    pub fn template(&self) -> (&'static [u8], &'a [u8]) {
        let (index, text): (usize, &[u8]) = match *self {
            UsageError::UnknownOption(option) => (0, option),
            UsageError::UnknownFlag(flag) => (1, flag),
            UsageError::MissingValue(option) => (2, option.as_bytes()),
            UsageError::BadExitCode(code) => (3, code),
            UsageError::BadSignal(signal) => (4, signal),
            UsageError::BadRewrite(rewrite) => (5, rewrite),
            UsageError::BadGrace(grace) => (6, grace),
            #[cfg(feature = "user")]
            UsageError::BadUser(user) => return (b"-u: '\x01' is not USER[:GROUP]", user),
            // The variable's name is `write_to`'s to add.
            #[cfg(feature = "env")]
            UsageError::BadVariable { template, text, .. } => return (template, text),
            UsageError::NoProgram => (7, b""),
            // The last: USAGE_ERROR_COUNT - 1.
            UsageError::PauseWithProgram => (8, b""),
        };
        const _: () = assert!(8 == USAGE_ERROR_COUNT - 1);
        // In step, as the assertion after USAGE_ERROR_STARTS makes sure:
        // every line starts after the one before and ends with a newline.
        let start = usize::from(USAGE_ERROR_STARTS[index]);
        let end = usize::from(USAGE_ERROR_STARTS[index + 1]) - 1;
        (USAGE_ERRORS.get(start..end).unwrap_or_default(), text)
    }

    /// One line, `pidone: ...\n`, saying what is wrong.
    pub fn message(&self) -> Message {
        let (template, text) = self.template();
        let mut m = Message::new();
        m.push(b"pidone: ");
        #[cfg(feature = "env")]
        if let UsageError::BadVariable { name, .. } = *self {
            m.push_quoted(name).push(b": ");
        }
        m.fill(template, text, [0; 2]).push(b"\n");
        m
    }

    /// Writes [`UsageError::message`] to stderr.
    pub fn report(&self) {
        #[cfg(feature = "env")]
        if let UsageError::BadVariable { .. } = *self {
            return crate::message::write_stderr(self.message().as_bytes());
        }
        // The same line, through the function every other message takes.
        let (template, text) = self.template();
        crate::message::say(template, text, [0; 2]);
    }
}

/// The templates of [`UsageError::template`], one a line, in the order of
/// its variants: one byte string instead of a table of pointers.
const USAGE_ERRORS: &[u8] = b"\
unknown option '\x01'
unknown option '-\x01'
option \x01 needs a value
-e: '\x01' is not an exit code from 0 to 255
'\x01' is not a signal
-r: '\x01' is not FROM:TO (two signals, TO may be 0)
--grace: '\x01' is not a whole number of seconds
no program to run (or -P to pause)
-P runs no program, but one was given
";

/// How many variants [`UsageError`] has, and so lines [`USAGE_ERRORS`].
const USAGE_ERROR_COUNT: usize = 9;

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
    "USAGE_ERRORS needs one line, ending in a newline, per UsageError variant"
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
/// (`NAME=VALUE` entries): tini's three variables and, with the `env`
/// feature, each option's `PIDONE_` variable. What the command line gives
/// is not read from the environment, but `-v` counts up from the verbosity
/// a variable sets.
///
/// A new option is an arm among the letters below (or beside `--grace`)
/// and, if it takes a value, a [`Valued`] variant, whose arms in
/// [`Valued::name`] and in `apply` the compiler then asks for; with `env`,
/// a word of `VARIABLES` and a row of `VARIABLE_KINDS`.
// Without the `env` feature, what the command line gave is never asked.
#[cfg_attr(not(feature = "env"), expect(unused_assignments, unused_variables))]
pub fn parse<'a>(
    args: impl IntoIterator<Item = &'a [u8]>,
    env: impl IntoIterator<Item = &'a [u8], IntoIter: Clone>,
    options: &mut Options<'a>,
) -> Result<Command, UsageError<'a>> {
    // What the command line gave: `Switch` bits and `given_value` bits.
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
                    let valued = match flag {
                        b'h' => return Ok(Command::Help),
                        b'v' => {
                            louder = louder.saturating_add(1);
                            None
                        }
                        b'e' => Some(Valued::SuccessCode),
                        b'p' => Some(Valued::ParentDeath),
                        b'r' => Some(Valued::Rewrite),
                        #[cfg(feature = "user")]
                        b'u' => Some(Valued::User),
                        _ => match SWITCHES.iter().find(|(letter, _)| letter == flag) {
                            Some(&(_, switch)) => {
                                options.set(switch);
                                given |= switch as u16;
                                None
                            }
                            None => {
                                return Err(UsageError::UnknownFlag(core::slice::from_ref(flag)));
                            }
                        },
                    };
                    if let Some(option) = valued {
                        next = Next::Value(option);
                        break;
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
        given |= given_value(option);
        apply(options, option, value)?;
    }
    if let Next::Value(option) = next {
        return Err(UsageError::MissingValue(option.name()));
    }
    // tini's variables first, so that pidone's win over them.
    let env = env.into_iter();
    #[cfg(feature = "env")]
    let ours = env.clone();
    for entry in env {
        read_tini_variable(options, entry);
    }
    #[cfg(feature = "env")]
    for entry in ours {
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

/// `option`'s bit among what [`parse`] was given, above [`Switch`]'s.
const fn given_value(option: Valued) -> u16 {
    1 << (8 + option as u16)
}

/// A `PIDONE_VERBOSITY` entry's bit among what [`parse`] was given, between
/// [`Switch`]'s and [`given_value`]'s: `-v` never sets it.
#[cfg(feature = "env")]
const GIVEN_VERBOSITY: u16 = 1 << 7;

/// Applies one environment entry if it is one of tini's variables: set at
/// all, a switch is on; the verbosity is read as `atoi` reads it. Neither
/// undoes an option: a switch only turns on, and `-v` counts up from the
/// verbosity.
fn read_tini_variable(options: &mut Options<'_>, entry: &[u8]) {
    let Some(name) = strip_prefix(entry, b"TINI_", false) else {
        return;
    };
    if strip_prefix(name, b"SUBREAPER=", false).is_some() {
        options.set(Switch::Subreaper);
    } else if strip_prefix(name, b"KILL_PROCESS_GROUP=", false).is_some() {
        options.set(Switch::KillGroup);
    } else if let Some(value) = strip_prefix(name, b"VERBOSITY=", false) {
        options.verbosity = leading_number(value);
    }
}

/// What a `PIDONE_` variable is to [`read_variable`].
#[cfg(feature = "env")]
#[derive(Copy, Clone)]
enum Kind {
    /// `1` turns it on, `0` off.
    Switch(Switch),
    /// The level, 0 to 255.
    Verbosity,
    /// The option's value; a list, split at commas, for `-e` and `-r`.
    Valued(Valued),
}

/// The variables, after `PIDONE_`, a word each, in the order of
/// [`VARIABLE_KINDS`]: one byte string instead of a table of pointers.
#[cfg(feature = "env")]
const VARIABLES: &[u8] = b"SUBREAPER KILL_PROCESS_GROUP WARN_ZOMBIES WAIT_ALL PAUSE VERBOSITY \
SUCCESS_CODES PARENT_DEATH_SIGNAL REWRITE GRACE USER";

/// What each word of [`VARIABLES`] is.
#[cfg(feature = "env")]
const VARIABLE_KINDS: [Kind; 10 + cfg!(feature = "user") as usize] = [
    Kind::Switch(Switch::Subreaper),
    Kind::Switch(Switch::KillGroup),
    Kind::Switch(Switch::WarnZombies),
    Kind::Switch(Switch::WaitAll),
    Kind::Switch(Switch::Pause),
    Kind::Verbosity,
    Kind::Valued(Valued::SuccessCode),
    Kind::Valued(Valued::ParentDeath),
    Kind::Valued(Valued::Rewrite),
    Kind::Valued(Valued::Grace),
    // Without the `user` feature, the last word, USER, has no row: no -u.
    #[cfg(feature = "user")]
    Kind::Valued(Valued::User),
];
#[cfg(feature = "env")]
const _: () = {
    let (mut at, mut words) = (0, 1);
    while at < VARIABLES.len() {
        words += (VARIABLES[at] == b' ') as usize;
        at += 1;
    }
    let rows = VARIABLE_KINDS.len() + !cfg!(feature = "user") as usize;
    assert!(
        words == rows,
        "VARIABLES needs a word per row of VARIABLE_KINDS"
    );
};

/// Applies one environment entry if it is a `PIDONE_` variable and its
/// option is not in `given`, which it then joins: the first of two entries
/// counts, as `getenv` finds it. Other `PIDONE_` names are left alone, as
/// tini leaves other `TINI_` ones: tools have their own (this project's
/// tests: `PIDONE_BIN`).
#[cfg(feature = "env")]
fn read_variable<'a>(
    options: &mut Options<'a>,
    entry: &'a [u8],
    given: &mut u16,
) -> Result<(), UsageError<'a>> {
    let Some(equals) = entry.iter().position(|&b| b == b'=') else {
        return Ok(());
    };
    let (name, value) = (&entry[..equals], &entry[equals + 1..]);
    let Some(short) = strip_prefix(name, b"PIDONE_", false) else {
        return Ok(());
    };
    let (mut row, mut word) = (0, VARIABLES);
    let kind = loop {
        let Some(&kind) = VARIABLE_KINDS.get(row) else {
            return Ok(());
        };
        let end = word.iter().position(|&b| b == b' ').unwrap_or(word.len());
        if strip_prefix(short, &word[..end], false) == Some(&[]) {
            break kind;
        }
        word = word.get(end + 1..).unwrap_or_default();
        row += 1;
    };
    let bit = match kind {
        Kind::Switch(switch) => switch as u16,
        Kind::Verbosity => GIVEN_VERBOSITY,
        Kind::Valued(option) => given_value(option),
    };
    if *given & bit != 0 {
        return Ok(());
    }
    *given |= bit;
    let bad = |template, text| UsageError::BadVariable {
        name,
        template,
        text,
    };
    match kind {
        Kind::Switch(switch) => match value {
            b"1" => options.set(switch),
            b"0" => options.switches &= !(switch as u8),
            _ => return Err(bad(b"'\x01' is not 0 or 1", value)),
        },
        Kind::Verbosity => match parse_decimal(value, 3).and_then(|n| u8::try_from(n).ok()) {
            Some(level) => options.verbosity = level,
            None => return Err(bad(b"'\x01' is not a number from 0 to 255", value)),
        },
        // A list for the options that may be given again, `-e` and `-r`.
        Kind::Valued(option) => {
            let list = matches!(option, Valued::SuccessCode | Valued::Rewrite);
            for part in value.split(|&b| b == b',' && list) {
                apply(options, option, part).map_err(|error| {
                    let (template, text) = error.template();
                    bad(template, text)
                })?;
            }
        }
    }
    Ok(())
}

/// Applies an option's value.
// Inlined where it has one caller; with `env`, it has three.
#[cfg_attr(not(feature = "env"), inline(always))]
fn apply<'a>(
    options: &mut Options<'a>,
    option: Valued,
    value: &'a [u8],
) -> Result<(), UsageError<'a>> {
    match option {
        Valued::SuccessCode => {
            let code = parse_decimal(value, 3).and_then(|n| u8::try_from(n).ok());
            options
                .success_codes
                .insert(code.ok_or(UsageError::BadExitCode(value))?);
        }
        Valued::ParentDeath => {
            options.parent_death =
                Some(Signal::parse(value).map_err(|_| UsageError::BadSignal(value))?)
        }
        Valued::Grace => {
            options.grace = Some(parse_seconds(value).ok_or(UsageError::BadGrace(value))?)
        }
        #[cfg(feature = "user")]
        Valued::User => {
            // USER or USER:GROUP, neither part empty: which ids they are is
            // looked up before the child starts.
            let colon = value.iter().position(|&b| b == b':');
            let (user, group) = value.split_at(colon.unwrap_or(value.len()));
            if user.is_empty() || group == b":" {
                return Err(UsageError::BadUser(value));
            }
            options.user = Some(value);
        }
        Valued::Rewrite => {
            let colon = value.iter().position(|&b| b == b':');
            let colon = colon.ok_or(UsageError::BadRewrite(value))?;
            let (from, to) = (&value[..colon], &value[colon + 1..]);
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
    fn wait_all() {
        assert!(options(&["-W", "x"]).has(Switch::WaitAll));
        assert!(options(&["-sWg", "x"]).has(Switch::WaitAll));
        assert!(!options(&["x", "-W"]).has(Switch::WaitAll));
    }

    #[cfg(feature = "user")]
    #[test]
    fn user_and_group() {
        assert_eq!(options(&["-u", "nobody", "x"]).user, Some(&b"nobody"[..]));
        assert_eq!(options(&["-u0:0", "x"]).user, Some(&b"0:0"[..]));
        assert_eq!(run(&["-u", ":0", "x"]), Err(UsageError::BadUser(b":0")));
        assert_eq!(run(&["-u", "0:", "x"]), Err(UsageError::BadUser(b"0:")));
        assert_eq!(run(&["-u"]), Err(UsageError::MissingValue("-u")));
    }

    #[cfg(not(feature = "user"))]
    #[test]
    fn no_user_without_the_feature() {
        assert_eq!(run(&["-u", "0", "x"]), Err(UsageError::UnknownFlag(b"u")));
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

    #[cfg(feature = "env")]
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
        let user = if cfg!(feature = "user") {
            Some(&b"nobody:nogroup"[..])
        } else {
            None
        };
        assert_eq!(o.user, user);
        // The command line wins, option by option; `-v` counts up from
        // the variable's level.
        let args = ["-v", "-e5", "-pTERM", "-r", "USR1:USR2", "--grace=1", "x"];
        let (Ok(Command::Run), o) = parsed(&args, &env) else {
            panic!()
        };
        assert_eq!(o.verbosity, 1);
        assert_eq!(o.success_codes, ExitCodes::NONE.with(5));
        assert_eq!(o.parent_death, Some(Signal::TERM));
        assert_eq!(o.rewrites.apply(Signal::TERM), Some(Signal::TERM));
        assert_eq!(o.rewrites.apply(Signal::USR1), Some(Signal::USR2));
        assert_eq!(o.grace, Some(1));
        // A switch's `0` is off, unless the command line turns it on.
        let off: [&[u8]; 2] = [b"PIDONE_SUBREAPER=0", b"TINI_SUBREAPER="];
        assert!(!parsed(&["x"], &off).1.has(Switch::Subreaper));
        assert!(parsed(&["-s", "x"], &off).1.has(Switch::Subreaper));
        // PIDONE_ wins over TINI_, and the first entry over a second.
        let levels: [&[u8]; 3] = [
            b"PIDONE_VERBOSITY=4",
            b"TINI_VERBOSITY=7",
            b"PIDONE_VERBOSITY=5",
        ];
        assert_eq!(parsed(&["x"], &levels).1.verbosity, 4);
        assert_eq!(parsed(&[], &[b"PIDONE_PAUSE=1"]).0, Ok(Command::Run));
    }

    #[cfg(feature = "env")]
    #[test]
    fn bad_variables_name_themselves() {
        let message = |entry: &'static [u8]| {
            let error = parsed(&["x"], &[entry]).0.unwrap_err();
            std::string::String::from_utf8(error.message().as_bytes().to_vec()).unwrap()
        };
        assert_eq!(
            message(b"PIDONE_GRACE=1.5"),
            "pidone: PIDONE_GRACE: --grace: '1.5' is not a whole number of seconds\n"
        );
        assert_eq!(
            message(b"PIDONE_SUCCESS_CODES=3,,4"),
            "pidone: PIDONE_SUCCESS_CODES: -e: '' is not an exit code from 0 to 255\n"
        );
        assert_eq!(
            message(b"PIDONE_REWRITE=HUP:0,TERM:NOPE"),
            "pidone: PIDONE_REWRITE: 'NOPE' is not a signal\n"
        );
        assert_eq!(
            message(b"PIDONE_SUBREAPER=yes"),
            "pidone: PIDONE_SUBREAPER: 'yes' is not 0 or 1\n"
        );
        assert_eq!(
            message(b"PIDONE_VERBOSITY=256"),
            "pidone: PIDONE_VERBOSITY: '256' is not a number from 0 to 255\n"
        );
        // Given on the command line, the variable is not read at all.
        let (result, _) = parsed(&["--grace", "2", "x"], &[b"PIDONE_GRACE=1.5"]);
        assert_eq!(result, Ok(Command::Run));
        // Other names, and entries with no `=`, are no concern.
        let others: [&[u8]; 4] = [
            b"TINI_GRACE=x",
            b"PIDONE",
            b"PIDONEX=1",
            b"PIDONE_GRACEFUL=x",
        ];
        assert_eq!(parsed(&["x"], &others).0, Ok(Command::Run));
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
