//! An async program as its own init: `pidone::fork_init` first, then a
//! tokio runtime in the child. The parent reaps every orphan; the
//! program's `tokio::process::Command` children stay its own, and each
//! await gets its child's status.
//!
//! ```text
//! cargo run --example tokio_reaper [COUNT]
//! ```
//!
//! It runs COUNT (default 20) shells at once, each leaving an orphan and
//! exiting with a code of its own, checks every status, then checks that the
//! init has no zombie left, and exits 0 (1 if a check failed).

use std::process::ExitCode;
use std::time::{Duration, Instant};

fn main() -> ExitCode {
    let count: i32 = std::env::args()
        .nth(1)
        .and_then(|n| n.parse().ok())
        .unwrap_or(20);
    // Before the runtime: `fork_init` refuses once a thread exists.
    if let Err(error) = pidone::fork_init() {
        eprintln!("tokio_reaper: {error}");
        return ExitCode::FAILURE;
    }
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("cannot build the runtime");
    let right = runtime.block_on(async {
        let children: Vec<_> = (0..count)
            .map(|code| {
                tokio::process::Command::new("sh")
                    .args(["-c", &format!("(sleep 0.01 &); exit {}", code % 256)])
                    .spawn()
                    .expect("cannot run sh")
            })
            .collect();
        let mut right = 0;
        for (code, mut child) in (0..).zip(children) {
            match child.wait().await {
                Ok(status) if status.code() == Some(code % 256) => right += 1,
                other => eprintln!("tokio_reaper: child {code}: {other:?}"),
            }
        }
        right
    });
    println!("{right} of {count} statuses right");
    // The orphans' sleeps end within 10 ms; give the init a moment to reap.
    let init = std::os::unix::process::parent_id();
    let deadline = Instant::now() + Duration::from_secs(5);
    let mut zombies = init_zombies(init);
    while zombies > 0 && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(20));
        zombies = init_zombies(init);
    }
    println!("{zombies} zombies left");
    if right == count && zombies == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}

/// How many zombies are children of `init`, from `/proc/*/stat`.
fn init_zombies(init: u32) -> usize {
    let Ok(entries) = std::fs::read_dir("/proc") else {
        return 0;
    };
    entries
        .filter_map(|entry| std::fs::read_to_string(entry.ok()?.path().join("stat")).ok())
        .filter(|stat| {
            // After the name's last ')': state, then ppid.
            let rest = stat.rsplit_once(')').map_or("", |(_, rest)| rest);
            let mut fields = rest.split_whitespace();
            fields.next() == Some("Z") && fields.next() == Some(&init.to_string())
        })
        .count()
}
