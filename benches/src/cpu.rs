//! CPU time spent by the client (this process and the pgbench runs it waited for) and by the
//! cluster's server processes, read from `/proc`, to show where each measurement's time goes.

use std::path::Path;

use anyhow::{Context, Result};

/// Linux reports `/proc` CPU times in USER_HZ ticks, 100 per second on every mainstream target.
const TICKS_PER_SECOND: f64 = 100.0;

/// CPU seconds so far.
#[derive(Debug, Clone, Copy)]
pub struct Sample {
    pub client: f64,
    pub server: f64,
}

impl Sample {
    /// Microseconds of client and server CPU per unit of work between `self` and `later`.
    pub fn per_unit(&self, later: &Sample, units: f64) -> (f64, f64) {
        (
            (later.client - self.client) * 1e6 / units,
            (later.server - self.server) * 1e6 / units,
        )
    }
}

pub struct CpuClock {
    postmaster: u32,
}

impl CpuClock {
    /// For the cluster whose data directory is `pg_data` (reads `postmaster.pid`).
    pub fn new(pg_data: &Path) -> Result<Self> {
        let pid_file = std::fs::read_to_string(pg_data.join("postmaster.pid"))
            .context("reading postmaster.pid")?;
        let postmaster = pid_file
            .lines()
            .next()
            .and_then(|l| l.trim().parse().ok())
            .context("no pid in postmaster.pid")?;
        Ok(Self { postmaster })
    }

    pub fn sample(&self) -> Sample {
        let own = stat("self").map_or(0, |s| s.own + s.children);
        // Exited backends were reaped by the postmaster: their time is in its `children` part.
        let mut server = stat(&self.postmaster.to_string()).map_or(0, |s| s.own + s.children);
        if let Ok(dir) = std::fs::read_dir("/proc") {
            for entry in dir.flatten() {
                let name = entry.file_name();
                let Some(pid) = name
                    .to_str()
                    .filter(|n| n.bytes().all(|b| b.is_ascii_digit()))
                else {
                    continue;
                };
                if let Some(s) = stat(pid).filter(|s| s.ppid == self.postmaster) {
                    server += s.own;
                }
            }
        }
        Sample {
            client: own as f64 / TICKS_PER_SECOND,
            server: server as f64 / TICKS_PER_SECOND,
        }
    }
}

struct Stat {
    ppid: u32,
    /// utime + stime
    own: u64,
    /// cutime + cstime (waited-for children)
    children: u64,
}

fn stat(pid: &str) -> Option<Stat> {
    let text = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // The command name may contain spaces; the fields after it are numbers.
    let rest = text.rsplit_once(')')?.1;
    let f: Vec<&str> = rest.split_whitespace().collect();
    let num = |i: usize| f.get(i).and_then(|v| v.parse::<u64>().ok());
    Some(Stat {
        ppid: num(1)? as u32,
        own: num(11)? + num(12)?,
        children: num(13)? + num(14)?,
    })
}

#[cfg(test)]
mod tests {
    #[test]
    fn reads_its_own_cpu_time() {
        let s = super::stat("self").expect("/proc/self/stat");
        assert!(s.ppid > 0);
    }
}
