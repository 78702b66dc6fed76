//! Hostile input to what reads the user's bytes: the command line
//! (`cli::parse`), signal names (`Signal::parse`) and the `PATH` search
//! (`spawn::search`, with an `exec` that only records what it is asked to
//! run). proptest makes the input: arguments with no program, options with
//! no value, values of thousands of bytes, bytes that are not UTF-8, `PATH`s
//! with empty, relative and over-long elements. Any panic, an index out of
//! bounds included, fails the test; every answer is checked against a plain
//! model written from the documentation, and the slices an error borrows
//! must lie inside the input.
//!
//! `TINI_VERBOSITY` is checked at the parser's level and once end to end,
//! with the real binary.

mod common;

use common::*;
use pidone::Errno;
use pidone::cli::{self, Command, Options, Switch, UsageError};
use pidone::signal::Signal;
use pidone::spawn::{self, PATH_MAX};
use proptest::prelude::*;
use proptest::sample::select;
use std::ffi::{CStr, CString};

/// `cases` natively; under QEMU, which runs these about ten times slower,
/// a quarter of them, through the same tests. Failures are not saved in
/// files: nothing is written into the repository.
fn config(cases: u32) -> ProptestConfig {
    let cases = if emulated() { cases / 4 } else { cases };
    ProptestConfig {
        cases,
        failure_persistence: None,
        ..ProptestConfig::default()
    }
}

/// Bytes a C string may hold: any but NUL, UTF-8 or not.
fn c_bytes(len: std::ops::Range<usize>) -> impl Strategy<Value = Vec<u8>> {
    prop::collection::vec(1u8..=255, len)
}

/// `byte` repeated up to 20,000 times.
fn long(byte: u8) -> impl Strategy<Value = Vec<u8>> {
    (0usize..20_000).prop_map(move |n| vec![byte; n])
}

fn strings(list: &[&'static str]) -> impl Strategy<Value = Vec<u8>> {
    select(list.to_vec()).prop_map(|s| s.as_bytes().to_vec())
}

/// Signals as users write them, and things that are nearly signals.
fn signal_text() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        strings(&[
            "TERM",
            "sigterm",
            "SIGUSR1",
            "HUP",
            "15",
            "015",
            "0015",
            "0",
            "64",
            "65",
            "999",
            "RTMIN",
            "RTMIN+3",
            "rtmin+30",
            "RTMIN+31",
            "SIGRTMAX-2",
            "RTMAX-30",
            "RTMAX-31",
            "RTMIN+",
            "RTMAX-",
            "RTMIN-1",
            "RTMAX+1",
            "SIG",
            "",
            "IOT",
            "CLD",
            "-15",
            "+15",
        ]),
        "[0-9]{1,5}".prop_map(String::into_bytes),
        "(SIG)?(RTMIN\\+|RTMAX-)[0-9]{1,4}".prop_map(String::into_bytes),
    ]
}

/// Numbers, some of them around the limits of `-e` (255) and `--grace`
/// (a year), with leading zeros.
fn number() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        1 => "[0-9]{1,12}".prop_map(String::into_bytes),
        3 => (0usize..3, prop_oneof![0u32..300, 31_622_390u32..31_622_410])
            .prop_map(|(zeros, n)| format!("{}{n}", "0".repeat(zeros)).into_bytes()),
    ]
}

/// Values for options: numbers, signals, rewrites, anything.
fn value() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        number(),
        signal_text(),
        (signal_text(), signal_text()).prop_map(|(from, to)| [from, to].join(&b':')),
        strings(&[":", "1:", ":1", "15:0", "15:00", "0:15", "65:1", "1:2:3"]),
        c_bytes(0..16),
        prop::collection::vec(0x80u8..=0xff, 1..8),
        long(b'9'),
        long(b':'),
    ]
}

/// One argument: options, clusters, values, programs and anything else.
fn argument() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        6 => strings(&[
            "-s", "-g", "-v", "-w", "-W", "-P", "-e", "-p", "-r", "-u", "--grace", "--", "-",
            "", "sh",
        ]),
        1 => strings(&["-h", "--help", "--version"]),
        4 => ("[sgvwWPepruhxZ-]{1,6}", prop::option::of(value())).prop_map(|(letters, value)| {
            let mut arg = format!("-{letters}").into_bytes();
            arg.extend(value.unwrap_or_default());
            arg
        }),
        4 => value(),
        1 => value().prop_map(|value| [&b"--grace="[..], &value].concat()),
        1 => "--[a-z=-]{1,10}".prop_map(String::into_bytes),
        1 => c_bytes(0..12),
    ]
}

/// One environment entry: tini's variables, well or badly set, and others.
fn env_entry() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        prop_oneof![value(), long(b'7'), Just(b"99999999999".to_vec())].prop_map(|value| [
            &b"TINI_VERBOSITY="[..],
            &value
        ]
        .concat()),
        c_bytes(0..8).prop_map(|value| [&b"TINI_SUBREAPER="[..], &value].concat()),
        c_bytes(0..8).prop_map(|value| [&b"TINI_KILL_PROCESS_GROUP="[..], &value].concat()),
        (
            select(VARIABLES.to_vec()),
            prop_oneof![
                strings(&["0", "1", "", "2"]),
                value(),
                prop::collection::vec(value(), 1..3).prop_map(|values| values.join(&b',')),
            ]
        )
            .prop_map(|(name, value)| [b"PIDONE_", name.as_bytes(), b"=", &value].concat()),
        strings(&[
            "TINI_VERBOSITY",
            "tini_verbosity=3",
            "TINI_SUBREAPER",
            "TINI_VERBOSITY =3",
            "PIDONE_NOPE=1",
            "PIDONE_GRACE",
            "=",
            "",
        ]),
        c_bytes(0..20),
    ]
}

/// pidone's variables, after `PIDONE_`, as README's table has them.
const VARIABLES: [&str; 11] = [
    "SUBREAPER",
    "KILL_PROCESS_GROUP",
    "WARN_ZOMBIES",
    "WAIT_ALL",
    "PAUSE",
    "VERBOSITY",
    "SUCCESS_CODES",
    "PARENT_DEATH_SIGNAL",
    "REWRITE",
    "GRACE",
    "USER",
];

/// `atoi` as README says `TINI_VERBOSITY` is read: the leading digits,
/// 255 past 255, 0 with none.
fn leading_number(text: &[u8]) -> u8 {
    let digits = text.iter().take_while(|b| b.is_ascii_digit()).count();
    let digits = std::str::from_utf8(&text[..digits]).expect("ASCII digits");
    match digits.trim_start_matches('0') {
        "" => 0,
        n if n.len() > 3 => 255,
        n => n.parse::<u32>().expect("three digits").min(255) as u8,
    }
}

/// One to `max` ASCII digits, as a number.
fn digits(text: &[u8], max: usize) -> Option<u32> {
    if text.is_empty() || text.len() > max || !text.iter().all(u8::is_ascii_digit) {
        return None;
    }
    std::str::from_utf8(text).ok()?.parse().ok()
}

/// What `cli::parse` should make of `args` and `env`, written from README
/// and the usage text as plainly as can be: the command, and the options
/// for `Command::Run`.
fn model<'a>(
    args: &[&'a [u8]],
    env: &[&'a [u8]],
) -> Result<(Command, Options<'a>), UsageError<'a>> {
    let mut options = Options::default();
    // The options the command line gave, by letter (`G`: `--grace`).
    let mut given = Vec::new();
    let mut louder = 0u8;
    let mut program = None;
    let mut at = 0;
    // The value of the option at `at`: what is left of its argument, or
    // the next argument.
    let value_of = |at: &mut usize, rest: &'a [u8], name| {
        if !rest.is_empty() {
            return Ok(rest);
        }
        *at += 1;
        args.get(*at).copied().ok_or(UsageError::MissingValue(name))
    };
    while at < args.len() {
        let arg = args[at];
        if arg == b"--" {
            program = (at + 1 < args.len()).then_some(at + 1);
            break;
        } else if let Some(long) = arg.strip_prefix(b"--") {
            match long {
                b"help" => return Ok((Command::Help, options)),
                b"version" => return Ok((Command::Version, options)),
                b"grace" => {
                    let value = value_of(&mut at, b"", "--grace")?;
                    valued(&mut options, b'G', value)?;
                }
                _ => match long.strip_prefix(b"grace=") {
                    Some(value) => valued(&mut options, b'G', value)?,
                    None => return Err(UsageError::UnknownOption(arg)),
                },
            }
            given.push(b'G');
        } else if arg.len() > 1 && arg[0] == b'-' {
            for (i, &letter) in arg.iter().enumerate().skip(1) {
                let rest = &arg[i + 1..];
                match letter {
                    b'h' => return Ok((Command::Help, options)),
                    b'v' => louder = louder.saturating_add(1),
                    b's' | b'g' | b'w' | b'W' | b'P' => options.set(switch(letter)),
                    b'e' | b'p' | b'r' => {
                        let name =
                            ["-e", "-p", "-r"][b"epr".iter().position(|&l| l == letter).unwrap()];
                        valued(&mut options, letter, value_of(&mut at, rest, name)?)?;
                    }
                    b'u' if cfg!(feature = "user") => {
                        valued(&mut options, letter, value_of(&mut at, rest, "-u")?)?;
                    }
                    _ => return Err(UsageError::UnknownFlag(&arg[i..=i])),
                }
                // `-v` counts up from PIDONE_VERBOSITY: it does not take
                // its place.
                if letter != b'v' {
                    given.push(letter);
                }
                if b"epru".contains(&letter) {
                    break;
                }
            }
        } else {
            program = Some(at);
            break;
        }
        at += 1;
    }
    // tini's variables, which only turn things on.
    for entry in env {
        if entry.starts_with(b"TINI_SUBREAPER=") {
            options.set(Switch::Subreaper);
        } else if entry.starts_with(b"TINI_KILL_PROCESS_GROUP=") {
            options.set(Switch::KillGroup);
        } else if let Some(value) = entry.strip_prefix(b"TINI_VERBOSITY=") {
            options.verbosity = leading_number(value);
        }
    }
    // pidone's, for what the command line left out; a variable's first
    // entry counts.
    #[cfg(feature = "env")]
    for entry in env {
        let Some(equals) = entry.iter().position(|&b| b == b'=') else {
            continue;
        };
        let (name, value) = (&entry[..equals], &entry[equals + 1..]);
        let Some(short) = name.strip_prefix(b"PIDONE_") else {
            continue;
        };
        let Some(row) = VARIABLES.iter().position(|v| v.as_bytes() == short) else {
            continue;
        };
        let letter = b"sgwWPveprGu"[row];
        if given.contains(&letter) || (letter == b'u' && !cfg!(feature = "user")) {
            continue;
        }
        given.push(letter);
        let in_variable = |error: UsageError<'a>| {
            let (template, text) = error.template();
            UsageError::BadVariable {
                name,
                template,
                text,
            }
        };
        match letter {
            b's' | b'g' | b'w' | b'W' | b'P' => match value {
                b"1" => options.set(switch(letter)),
                b"0" => options.switches &= !(switch(letter) as u8),
                _ => {
                    let template = &b"'\x01' is not 0 or 1"[..];
                    return Err(UsageError::BadVariable {
                        name,
                        template,
                        text: value,
                    });
                }
            },
            b'v' => match digits(value, 3).and_then(|n| u8::try_from(n).ok()) {
                Some(level) => options.verbosity = level,
                None => {
                    let template = &b"'\x01' is not a number from 0 to 255"[..];
                    return Err(UsageError::BadVariable {
                        name,
                        template,
                        text: value,
                    });
                }
            },
            b'e' | b'r' => {
                for part in value.split(|&b| b == b',') {
                    valued(&mut options, letter, part).map_err(in_variable)?;
                }
            }
            _ => valued(&mut options, letter, value).map_err(in_variable)?,
        }
    }
    options.verbosity = options.verbosity.saturating_add(louder);
    options.program = match (program, options.has(Switch::Pause)) {
        (Some(_), true) => return Err(UsageError::PauseWithProgram),
        (None, false) => return Err(UsageError::NoProgram),
        (Some(at), false) => at,
        (None, true) => args.len(),
    };
    Ok((Command::Run, options))
}

/// The switch of `letter`.
fn switch(letter: u8) -> Switch {
    match letter {
        b's' => Switch::Subreaper,
        b'g' => Switch::KillGroup,
        b'w' => Switch::WarnZombies,
        b'W' => Switch::WaitAll,
        b'P' => Switch::Pause,
        _ => unreachable!(),
    }
}

/// `-e`, `-p`, `-r`, `-u` or (`G`) `--grace` with `value`.
fn valued<'a>(
    options: &mut Options<'a>,
    letter: u8,
    value: &'a [u8],
) -> Result<(), UsageError<'a>> {
    match letter {
        b'e' => {
            let code = digits(value, 3).and_then(|n| u8::try_from(n).ok());
            options
                .success_codes
                .insert(code.ok_or(UsageError::BadExitCode(value))?);
        }
        b'p' => options.parent_death = Some(signal(value)?),
        b'r' => {
            // FROM:TO, split at the first colon; TO 0 drops.
            let mut halves = value.splitn(2, |&b| b == b':');
            let (Some(from), Some(to)) = (halves.next(), halves.next()) else {
                return Err(UsageError::BadRewrite(value));
            };
            let from = signal(from)?;
            let to = if to == b"0" { None } else { Some(signal(to)?) };
            options.rewrites.set(from, to);
        }
        b'G' => options.grace = Some(grace(value)?),
        #[cfg(feature = "user")]
        b'u' => {
            // USER or USER:GROUP, neither empty.
            let mut parts = value.splitn(2, |&b| b == b':');
            if parts.next() == Some(b"") || parts.next() == Some(b"") {
                return Err(UsageError::BadUser(value));
            }
            options.user = Some(value);
        }
        _ => unreachable!(),
    }
    Ok(())
}

/// A signal's name or number, as `-p` and `-r` take it.
fn signal(text: &[u8]) -> Result<Signal, UsageError<'_>> {
    Signal::parse(text).map_err(|_| UsageError::BadSignal(text))
}

/// `--grace`'s value: whole seconds, up to a year.
fn grace(value: &[u8]) -> Result<u32, UsageError<'_>> {
    digits(value, 8)
        .filter(|&n| n <= 366 * 24 * 3600)
        .ok_or(UsageError::BadGrace(value))
}

/// The bytes an error quotes from the user's input, if any.
fn quoted<'a>(error: &UsageError<'a>) -> Option<&'a [u8]> {
    match *error {
        UsageError::UnknownOption(text)
        | UsageError::UnknownFlag(text)
        | UsageError::BadExitCode(text)
        | UsageError::BadSignal(text)
        | UsageError::BadRewrite(text)
        | UsageError::BadGrace(text) => Some(text),
        #[cfg(feature = "user")]
        UsageError::BadUser(text) => Some(text),
        #[cfg(feature = "env")]
        UsageError::BadVariable { text, .. } => Some(text),
        UsageError::MissingValue(_) | UsageError::NoProgram | UsageError::PauseWithProgram => None,
    }
}

/// Whether `inner` lies within `outer`, in memory.
fn within(inner: &[u8], outer: &[u8]) -> bool {
    let (start, end) = (
        inner.as_ptr() as usize,
        inner.as_ptr() as usize + inner.len(),
    );
    let range = outer.as_ptr_range();
    start >= range.start as usize && end <= range.end as usize
}

fn parse<'a>(
    args: &[&'a [u8]],
    env: &[&'a [u8]],
) -> (Result<Command, UsageError<'a>>, Options<'a>) {
    let mut options = Options::default();
    let result = cli::parse(args.iter().copied(), env.iter().copied(), &mut options);
    (result, options)
}

/// Checks `cli::parse` against [`model`], and what it quotes and prints
/// when it refuses the input.
fn check_parse(args: &[&[u8]], env: &[&[u8]]) -> Result<(), TestCaseError> {
    let (result, options) = parse(args, env);
    match (result, model(args, env)) {
        (Ok(Command::Run), Ok((Command::Run, expected))) => prop_assert_eq!(options, expected),
        (Ok(command), Ok((expected, _))) => prop_assert_eq!(command, expected),
        (Err(error), Err(expected)) => {
            prop_assert_eq!(error, expected);
            if let Some(text) = quoted(&error) {
                prop_assert!(
                    args.iter().chain(env).any(|input| within(text, input)),
                    "{error:?} quotes bytes from outside the input"
                );
            }
            // The line pidone prints, whatever the input's length.
            let message = error.message();
            let message = message.as_bytes();
            prop_assert!(message.starts_with(b"pidone: ") && message.ends_with(b"\n"));
            prop_assert!(message.len() <= 256);
        }
        (result, expected) => prop_assert!(false, "parse: {result:?}, model: {expected:?}"),
    }
    Ok(())
}

proptest! {
    #![proptest_config(config(1024))]

    #[test]
    fn parse_agrees_with_the_model(
        args in prop::collection::vec(argument(), 0..10),
        env in prop::collection::vec(env_entry(), 0..4),
    ) {
        let args: Vec<&[u8]> = args.iter().map(Vec::as_slice).collect();
        let env: Vec<&[u8]> = env.iter().map(Vec::as_slice).collect();
        check_parse(&args, &env)?;
    }

    #[test]
    fn option_values_are_taken_as_documented(
        option in select(vec!["-e", "-p", "-r", "--grace", "-se", "-vp", "-gr"]),
        attached in any::<bool>(),
        value in prop_oneof![number(), value()],
    ) {
        // `-eVALUE`, `--grace=VALUE`, or the value as the next argument.
        let args: Vec<Vec<u8>> = match (option, attached) {
            ("--grace", true) => vec![[b"--grace=", &value[..]].concat()],
            (_, true) => vec![[option.as_bytes(), &value].concat()],
            (_, false) => vec![option.as_bytes().to_vec(), value],
        };
        let mut args: Vec<&[u8]> = args.iter().map(Vec::as_slice).collect();
        check_parse(&args, &[])?;
        args.push(b"x");
        check_parse(&args, &[])?;
    }

    #[test]
    fn the_program_is_the_first_non_option_and_the_rest_is_its_own(
        args in prop::collection::vec(argument(), 1..10),
        tail in prop::collection::vec(argument(), 0..4),
    ) {
        let args: Vec<&[u8]> = args.iter().map(Vec::as_slice).collect();
        let (Ok(Command::Run), options) = parse(&args, &[]) else {
            return Ok(());
        };
        if options.has(Switch::Pause) {
            prop_assert_eq!(options.program, args.len());
            return Ok(());
        }
        let at = options.program;
        prop_assert!(at < args.len());
        let program = args[at];
        let looks_like_an_option = program.len() > 1 && program[0] == b'-';
        prop_assert!(!looks_like_an_option || args[at - 1] == b"--");
        // What follows the program changes nothing.
        let mut longer = args[..=at].to_vec();
        longer.extend(tail.iter().map(Vec::as_slice));
        let (result, again) = parse(&longer, &[]);
        prop_assert_eq!(result, Ok(Command::Run));
        prop_assert_eq!(again, options);
    }

    #[test]
    fn any_bytes_are_a_signal_from_1_to_64_or_none(text in c_bytes(0..24)) {
        let parsed = Signal::parse(&text);
        if let Ok(signal) = parsed {
            prop_assert!((1..=64).contains(&signal.as_raw()));
        }
        prop_assert_eq!(Signal::parse(&text.to_ascii_lowercase()), parsed);
        prop_assert_eq!(Signal::parse(&text.to_ascii_uppercase()), parsed);
    }

    #[test]
    fn signal_numbers_are_one_to_three_digits_from_1_to_64(text in "[0-9]{1,6}") {
        let expected = digits(text.as_bytes(), 3).filter(|n| (1..=64).contains(n));
        let parsed = Signal::parse(text.as_bytes()).ok().map(|s| s.as_raw() as u32);
        prop_assert_eq!(parsed, expected);
    }

    #[test]
    fn real_time_signals_count_from_either_end(
        sig in select(vec!["", "SIG", "sig"]),
        plus in any::<bool>(),
        k in "[0-9]{1,5}",
    ) {
        let text = format!("{sig}{}{k}", if plus { "rtmin+" } else { "RTMAX-" });
        let expected = digits(k.as_bytes(), 3)
            .filter(|&k| k <= 30)
            .map(|k| if plus { 34 + k } else { 64 - k });
        let parsed = Signal::parse(text.as_bytes()).ok().map(|s| s.as_raw() as u32);
        prop_assert_eq!(parsed, expected, "{}", text);
    }
}

#[test]
fn every_signal_round_trips_through_its_name() {
    for n in 1..=64 {
        let signal = Signal::from_raw(n).expect("1 to 64");
        let name = signal.name();
        assert!(name.len() <= 12, "{n}: {name:?}");
        let bare = name.strip_prefix(b"SIG").unwrap_or(&name);
        for text in [
            &name[..],
            bare,
            &name.to_ascii_lowercase(),
            &n.to_string().into_bytes(),
        ] {
            assert_eq!(
                Signal::parse(text),
                Ok(signal),
                "{n}: {:?}",
                String::from_utf8_lossy(text)
            );
        }
    }
}

/// The errors an `execve` may give.
const EXEC_ERRORS: [Errno; 10] = [
    Errno::NOENT,
    Errno::NOTDIR,
    Errno::NAMETOOLONG,
    Errno::ACCESS,
    Errno::NOEXEC,
    Errno::PERM,
    Errno::LOOP,
    Errno::NOMEM,
    Errno::TXTBSY,
    Errno::ISDIR,
];

/// What `search` should try, and return, when the `n`th `exec` fails with
/// `errors[n]` (ENOENT past them): `execvp`'s search as README says it.
fn search_model(path: &[u8], program: &[u8], errors: &[Errno]) -> (Vec<Vec<u8>>, Errno) {
    let first_error = errors.first().copied().unwrap_or(Errno::NOENT);
    if program.is_empty() {
        return (Vec::new(), Errno::NOENT);
    } else if program.contains(&b'/') {
        return (vec![program.to_vec()], first_error);
    }
    let candidates: Vec<Vec<u8>> = path
        .split(|&b| b == b':')
        .map(|dir| match dir {
            [] => program.to_vec(),
            _ => [dir, b"/", program].concat(),
        })
        // Room for its NUL, or it is skipped.
        .filter(|candidate| candidate.len() < PATH_MAX)
        .collect();
    let mut result = Errno::NOENT;
    for (n, errno) in (0..candidates.len()).map(|n| (n, errors.get(n).copied())) {
        match errno.unwrap_or(Errno::NOENT) {
            Errno::ACCESS => result = Errno::ACCESS,
            Errno::NOENT | Errno::NOTDIR | Errno::NAMETOOLONG => {}
            other => return (candidates[..=n].to_vec(), other),
        }
    }
    (candidates, result)
}

/// One element of a `PATH`.
fn path_element() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        strings(&["", "/bin", "/usr/local/bin", ".", "..", "/", "//"]),
        "[a-z./]{1,12}".prop_map(String::into_bytes),
        c_bytes(0..12).prop_map(|mut bytes| {
            bytes.retain(|&b| b != b':');
            bytes
        }),
        // Around PATH_MAX with the program's name.
        (PATH_MAX - 24..PATH_MAX + 8).prop_map(|n| [&b"/"[..], &vec![b'd'; n - 1]].concat()),
        long(b'd'),
    ]
}

fn program_name() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        strings(&["sh", "", "/bin/sh", "./sh", "a/b", "/"]),
        c_bytes(0..16),
        long(b'p'),
    ]
}

proptest! {
    #![proptest_config(config(1024))]

    #[test]
    fn search_tries_each_path_element_in_turn(
        elements in prop::collection::vec(path_element(), 0..6),
        program in program_name(),
        errors in prop::collection::vec(select(EXEC_ERRORS.to_vec()), 0..6),
    ) {
        let path = elements.join(&b':');
        let name = CString::new(program.clone()).expect("no NUL");
        let mut tried = Vec::new();
        let c_path = CString::new(path.clone()).expect("no NUL");
        let errno = spawn::search(&c_path, &name, |candidate: &CStr| {
            tried.push(candidate.to_bytes().to_vec());
            errors.get(tried.len() - 1).copied().unwrap_or(Errno::NOENT)
        });
        let searched = !program.contains(&b'/');
        for candidate in &tried {
            prop_assert!(
                !searched || candidate.len() < PATH_MAX,
                "a candidate of {} bytes",
                candidate.len()
            );
        }
        prop_assert_eq!((tried, errno), search_model(&path, &program, &errors));
    }
}

#[test]
fn search_skips_exactly_what_does_not_fit_in_path_max() {
    for len in [PATH_MAX - 3, PATH_MAX - 2, PATH_MAX - 1, PATH_MAX] {
        // `DIR/sh` of `len` bytes, and its NUL.
        let dir = [&b"/"[..], &vec![b'd'; len - 4]].concat();
        let mut tried = Vec::new();
        let dir = CString::new(dir).expect("no NUL");
        spawn::search(&dir, c"sh", |candidate| {
            tried.push(candidate.to_bytes().len());
            Errno::NOENT
        });
        let fits = len < PATH_MAX;
        assert_eq!(tried, if fits { vec![len] } else { vec![] }, "{len}");
    }
}

#[test]
fn tini_verbosity_reads_as_atoi_saturating_at_255() {
    let cases: [(&[u8], u8); 9] = [
        (b"abc", 0),
        (b"", 0),
        (b"2", 2),
        (b"12abc", 12),
        (b" 3", 0),
        (b"-1", 0),
        (b"255", 255),
        (b"256", 255),
        (b"99999999999", 255),
    ];
    let huge = vec![b'9'; 1 << 20];
    for (value, expected) in cases.into_iter().chain([(&huge[..], 255)]) {
        let entry = [&b"TINI_VERBOSITY="[..], value].concat();
        let (result, options) = parse(&[b"x"], &[&entry]);
        assert_eq!(result, Ok(Command::Run));
        assert_eq!(
            options.verbosity,
            expected,
            "TINI_VERBOSITY={:?}",
            String::from_utf8_lossy(&value[..value.len().min(20)])
        );
        // `-v` adds one, and stops at 255.
        let (_, more) = parse(&[b"-v", b"x"], &[&entry]);
        assert_eq!(more.verbosity, expected.saturating_add(1));
    }
}

/// `pidone: child PID, status 0`, which pidone prints from verbosity 2 up.
fn reports_the_child(finished: &Finished) -> bool {
    finished
        .stderr_lines()
        .iter()
        .any(|line| is_child_status(line, 0))
}

#[test]
fn tini_verbosity_end_to_end() {
    // A value of 100,000 digits: the kernel takes up to 128 KiB an entry.
    let huge = "9".repeat(100_000);
    let cases: [(&str, &[&str], bool); 5] = [
        // `abc` is 0: one `-v` makes 1, two make 2.
        ("abc", &["-v"], false),
        ("abc", &["-v", "-v"], true),
        ("12abc", &[], true),
        // Saturated, and `-v` does not wrap it round to 0.
        ("99999999999", &["-v"], true),
        (&huge, &["-v"], true),
    ];
    for (value, args, reported) in cases {
        let finished = Pidone::new(Mode::Subreaper)
            .env("TINI_VERBOSITY", value)
            .args(args.iter().copied())
            .kid(Kid::Exit(0))
            .run();
        let shown = &value[..value.len().min(20)];
        assert_eq!(finished.code(), 0, "TINI_VERBOSITY={shown}\n{finished}");
        assert_eq!(
            reports_the_child(&finished),
            reported,
            "TINI_VERBOSITY={shown} {args:?}\n{finished}"
        );
    }
}
