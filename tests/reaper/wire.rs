//! How a scenario writes what it reaped, one line each, and how the test
//! reads it back: `PID exited CODE`, `PID killed SIGNAL [core-dumped]`,
//! `PID stopped SIGNAL` or `PID continued`.

use pidone::signal::Signal;
use pidone::{ChildStatus, Pid, Reaped};

/// `reaped` as a line of text.
pub fn format(reaped: &Reaped) -> String {
    let pid = reaped.pid.as_raw_pid();
    match reaped.status {
        ChildStatus::Exited(code) => format!("{pid} exited {code}"),
        ChildStatus::Killed {
            signal,
            core_dumped,
        } => {
            let core = if core_dumped { " core-dumped" } else { "" };
            format!("{pid} killed {}{core}", signal.as_raw())
        }
        ChildStatus::Stopped(signal) => format!("{pid} stopped {}", signal.as_raw()),
        ChildStatus::Continued => format!("{pid} continued"),
    }
}

/// A line written by [`format`], read back; panics on anything else.
pub fn parse(line: &str) -> Reaped {
    let words: Vec<&str> = line.split(' ').collect();
    let signal = |word: &str| {
        Signal::from_raw(word.parse().expect("a signal number")).expect("a signal from 1 to 64")
    };
    let status = match words[1..] {
        ["exited", code] => ChildStatus::Exited(code.parse().expect("an exit code")),
        ["killed", number] => ChildStatus::Killed {
            signal: signal(number),
            core_dumped: false,
        },
        ["killed", number, "core-dumped"] => ChildStatus::Killed {
            signal: signal(number),
            core_dumped: true,
        },
        ["stopped", number] => ChildStatus::Stopped(signal(number)),
        ["continued"] => ChildStatus::Continued,
        _ => panic!("not a status: {line:?}"),
    };
    Reaped {
        pid: parse_pid(words[0]),
        status,
    }
}

/// A pid as the scenarios write it.
pub fn parse_pid(word: &str) -> Pid {
    word.parse().ok().and_then(Pid::from_raw).expect("a pid")
}
