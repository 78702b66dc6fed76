//! What `/proc` says about a process: the scenarios check their zombies
//! with it, and the idle test the CPU time and state of a waiting reaper.

use pidone::Pid;

/// The fields of `/proc/PID/stat` the tests look at.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub struct Stat {
    /// `R`, `S`, `T`, `Z`...: the state of the process's main thread.
    pub state: char,
    /// The parent's pid; 0 for processes with none.
    pub ppid: i32,
    /// `utime + stime` of all its threads, in clock ticks.
    pub cpu_ticks: u64,
}

/// `/proc/PID/stat`, or `None` when there is no such process (any more).
pub fn stat(pid: Pid) -> Option<Stat> {
    let text = std::fs::read_to_string(format!("/proc/{}/stat", pid.as_raw_pid())).ok()?;
    // The command name, in parentheses, may hold spaces and parentheses:
    // the fields that follow start after the last `)`.
    let (_, fields) = text.rsplit_once(')')?;
    // Counted from `state`, field 3 of proc(5): ppid is field 4, utime 14,
    // stime 15.
    let fields: Vec<&str> = fields.split_whitespace().collect();
    let number = |index: usize| fields.get(index)?.parse::<u64>().ok();
    Some(Stat {
        state: fields.first()?.chars().next()?,
        ppid: fields.get(1)?.parse().ok()?,
        cpu_ticks: number(11)? + number(12)?,
    })
}

/// The state letter of `pid`, or `-` when it is gone.
pub fn state(pid: Pid) -> char {
    stat(pid).map_or('-', |stat| stat.state)
}

/// The zombies whose parent is `parent`.
pub fn zombie_children(parent: Pid) -> Vec<Pid> {
    let entries = std::fs::read_dir("/proc").expect("/proc cannot be read");
    entries
        .filter_map(|entry| entry.ok()?.file_name().to_str()?.parse().ok())
        .filter_map(Pid::from_raw)
        .filter(|&pid| {
            stat(pid).is_some_and(|stat| stat.ppid == parent.as_raw_pid() && stat.state == 'Z')
        })
        .collect()
}
