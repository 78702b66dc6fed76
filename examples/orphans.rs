//! The library in an ordinary program: become a child subreaper, start a
//! shell that leaves orphans behind, and reap and print every one of them.
//!
//! ```text
//! cargo run --example orphans [COUNT]
//! ```

use pidone::{Config, Reaped, Reaper, WaitOptions, WaitTarget};
use std::process::Command;

fn main() {
    let count: u32 = std::env::args()
        .nth(1)
        .and_then(|n| n.parse().ok())
        .unwrap_or(5);
    // Not PID 1, so ask the kernel for orphans: without subreaper mode they
    // would go to the machine's init, and the PID-1 check would refuse.
    let config = Config {
        target: WaitTarget::Any,
        options: WaitOptions::NONE,
        require_pid1: true,
        subreaper: true,
        ..Config::default()
    };
    let mut reaper = match Reaper::start(config) {
        Ok(reaper) => reaper,
        Err(error) => {
            eprintln!("orphans: cannot start the reaper: {error:?}");
            std::process::exit(1);
        }
    };

    // Each `( sleep & )` forks a subshell that forks `sleep` and exits at
    // once: the sleeps are orphans, re-parented to this process.
    let script = format!("for i in $(seq {count}); do (sleep 0.$i &); done; exit 3");
    #[expect(
        clippy::zombie_processes,
        reason = "the reaper waits for it, not `Child::wait`"
    )]
    let shell = Command::new("sh")
        .args(["-c", &script])
        .spawn()
        .expect("cannot run sh");
    let shell_pid = shell.id() as i32;
    println!("orphans: started sh (pid {shell_pid}), which leaves {count} orphans");

    let mut report = |reaped: Reaped| {
        let who = if reaped.pid.as_raw_nonzero().get() == shell_pid {
            "sh"
        } else {
            "orphan"
        };
        println!(
            "orphans: reaped {who} {} with status {:?}",
            reaped.pid.as_raw_nonzero(),
            reaped.status
        );
    };
    let mut left = count as usize + 1;
    while left > 0 {
        match reaper.wait(None) {
            Ok(Some(_)) => match reaper.reap(&mut report) {
                Ok(reaped) => left = left.saturating_sub(reaped),
                Err(error) => {
                    eprintln!("orphans: wait4 failed: {error:?}");
                    std::process::exit(1);
                }
            },
            Ok(None) => {}
            Err(error) => {
                eprintln!("orphans: rt_sigtimedwait failed: {error:?}");
                std::process::exit(1);
            }
        }
    }
    println!("orphans: every child reaped; none is left as a zombie");
}
