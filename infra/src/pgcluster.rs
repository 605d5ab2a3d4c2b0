//! A private PostgreSQL cluster started from the machine's installed server binaries: the embedded
//! default of `docuvault dev` and the ephemeral database of the test harness.
//!
//! PostgreSQL refuses to run as root, so when we are root the cluster runs as the unprivileged
//! `postgres` system user (created if missing) and its directories are handed to that user.

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use anyhow::{bail, Context, Result};

/// PostgreSQL's shared buffer pool for a machine with `memory` MiB: a quarter of it (PostgreSQL's
/// own advice for a dedicated server), at least PostgreSQL's default of 128 MiB and at most 2 GiB.
/// A search table of 100,000 documents is ~800 MB: with 128 MiB every search copied pages from the
/// kernel's cache and evicted others (docs/benchmarks.md, "Search"). The pool is reserved, not
/// touched: pages are used as they are read.
fn shared_buffers_mib(memory: Option<u64>) -> u64 {
    memory.map_or(128, |m| (m / 4).clamp(128, 2048))
}

/// The machine's memory in MiB (Linux), `None` where it cannot be read.
fn memory_mib() -> Option<u64> {
    let info = std::fs::read_to_string("/proc/meminfo").ok()?;
    let kib: u64 = info
        .lines()
        .find_map(|l| l.strip_prefix("MemTotal:"))?
        .trim()
        .trim_end_matches("kB")
        .trim()
        .parse()
        .ok()?;
    Some(kib / 1024)
}

/// A running (or stopped) cluster under `dir`.
#[derive(Debug)]
pub struct PgCluster {
    dir: PathBuf,
    bin: PathBuf,
    port: u16,
    run_as: Option<String>,
    stop_on_drop: bool,
}

const SYSTEM_USER: &str = "postgres";

impl PgCluster {
    /// Initialises `dir/pg` if needed and starts the server on a free loopback port.
    /// A second call with the same `dir` reuses the data.
    pub fn start(dir: &Path) -> Result<Self> {
        let dir = std::fs::canonicalize(dir)
            .or_else(|_| {
                std::fs::create_dir_all(dir)?;
                std::fs::canonicalize(dir)
            })
            .with_context(|| format!("creating {}", dir.display()))?;
        let bin = find_bin_dir()?;
        let run_as = if is_root() {
            ensure_system_user()?;
            Some(SYSTEM_USER.to_owned())
        } else {
            None
        };
        let data = dir.join("pg");
        let sock = dir.join("sock");
        std::fs::create_dir_all(&sock)?;
        if let Some(user) = &run_as {
            // The server user must be able to reach its directories.
            chown_r(user, &dir.join("pg"))?;
            chown_r(user, &sock)?;
            make_traversable(&dir)?;
        }
        if !data.join("PG_VERSION").exists() {
            std::fs::create_dir_all(&data)?;
            if let Some(user) = &run_as {
                chown_r(user, &data)?;
            }
            let out = command(&run_as, &bin.join("initdb"))
                .args(["-D"])
                .arg(&data)
                .args([
                    "-A",
                    "trust",
                    "-U",
                    "postgres",
                    "-E",
                    "UTF8",
                    "--locale=C.UTF-8",
                ])
                .stdout(Stdio::null())
                .output()
                .context("running initdb")?;
            if !out.status.success() {
                bail!("initdb failed: {}", String::from_utf8_lossy(&out.stderr));
            }
        }
        let port = free_port()?;
        let opts = format!(
            "-c listen_addresses=127.0.0.1 -p {port} -k {} -c fsync=on -c max_connections=200 -c shared_buffers={}MB",
            sock.display(),
            shared_buffers_mib(memory_mib())
        );
        let log = dir.join("postgres.log");
        if let Some(user) = &run_as {
            touch_owned(user, &log)?;
        }
        let out = command(&run_as, &bin.join("pg_ctl"))
            .arg("-D")
            .arg(&data)
            .args(["-w", "-t", "60", "-l"])
            .arg(&log)
            .args(["-o", &opts, "start"])
            .stdout(Stdio::null())
            .output()
            .context("running pg_ctl start")?;
        if !out.status.success() {
            let tail = std::fs::read_to_string(&log).unwrap_or_default();
            bail!(
                "pg_ctl start failed: {}\n{}",
                String::from_utf8_lossy(&out.stderr),
                tail.lines().rev().take(20).collect::<Vec<_>>().join("\n")
            );
        }
        Ok(Self {
            dir,
            bin,
            port,
            run_as,
            stop_on_drop: true,
        })
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    /// The server binaries' directory (also holds `pgbench`, `psql`).
    pub fn bin_dir(&self) -> &Path {
        &self.bin
    }

    /// A URL for the given database, as the `postgres` superuser.
    pub fn url(&self, database: &str) -> String {
        format!("postgres://postgres@127.0.0.1:{}/{database}", self.port)
    }

    /// Leaves the server running after this value is dropped.
    pub fn keep_running(mut self) -> Self {
        self.stop_on_drop = false;
        self
    }

    /// Stops the server (fast shutdown: sessions are disconnected, data is flushed).
    pub fn stop(&self) -> Result<()> {
        let out = command(&self.run_as, &self.bin.join("pg_ctl"))
            .arg("-D")
            .arg(self.dir.join("pg"))
            .args(["-m", "fast", "-w", "stop"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()?;
        if !out.success() {
            bail!("pg_ctl stop failed");
        }
        Ok(())
    }
}

impl Drop for PgCluster {
    fn drop(&mut self) {
        if self.stop_on_drop {
            let _ = self.stop();
        }
    }
}

fn command(run_as: &Option<String>, program: &Path) -> Command {
    match run_as {
        Some(user) => {
            let mut c = Command::new("runuser");
            c.args(["-u", user, "--"]).arg(program);
            c
        }
        None => Command::new(program),
    }
}

/// `initdb`/`pg_ctl` on PATH, else the newest `/usr/lib/postgresql/*/bin`.
fn find_bin_dir() -> Result<PathBuf> {
    if let Ok(path) = std::env::var("DOCUVAULT_PG_BIN") {
        return Ok(PathBuf::from(path));
    }
    if let Some(paths) = std::env::var_os("PATH") {
        for p in std::env::split_paths(&paths) {
            if p.join("initdb").is_file() && p.join("pg_ctl").is_file() {
                return Ok(p);
            }
        }
    }
    let mut candidates: Vec<(u32, PathBuf)> = std::fs::read_dir("/usr/lib/postgresql")
        .map(|rd| {
            rd.filter_map(|e| e.ok())
                .filter_map(|e| {
                    let v = e.file_name().to_str()?.parse::<u32>().ok()?;
                    let bin = e.path().join("bin");
                    bin.join("initdb").is_file().then_some((v, bin))
                })
                .collect()
        })
        .unwrap_or_default();
    candidates.sort();
    candidates
        .pop()
        .map(|(_, p)| p)
        .context("no PostgreSQL server binaries found (initdb/pg_ctl on PATH or under /usr/lib/postgresql/*/bin); install postgresql or set DATABASE_URL")
}

fn is_root() -> bool {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("Uid:"))
                .and_then(|l| l.split_whitespace().nth(2).map(|euid| euid == "0"))
        })
        .unwrap_or(false)
}

fn ensure_system_user() -> Result<()> {
    let exists = Command::new("id")
        .arg("-u")
        .arg(SYSTEM_USER)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()?
        .success();
    if !exists {
        let st = Command::new("useradd")
            .args([
                "--system",
                "--no-create-home",
                "--shell",
                "/usr/sbin/nologin",
                SYSTEM_USER,
            ])
            .status()
            .context("creating the postgres system user")?;
        if !st.success() {
            bail!("could not create the `{SYSTEM_USER}` system user to run PostgreSQL as");
        }
    }
    Ok(())
}

fn chown_r(user: &str, path: &Path) -> Result<()> {
    if !path.exists() {
        return Ok(());
    }
    let st = Command::new("chown")
        .arg("-R")
        .arg(format!("{user}:"))
        .arg(path)
        .status()?;
    if !st.success() {
        bail!("chown {} failed", path.display());
    }
    Ok(())
}

fn touch_owned(user: &str, path: &Path) -> Result<()> {
    if !path.exists() {
        std::fs::write(path, b"")?;
    }
    chown_r(user, path)
}

/// The server user needs `x` on every ancestor of its directories.
fn make_traversable(dir: &Path) -> Result<()> {
    use std::os::unix::fs::PermissionsExt;
    let mut cur = Some(dir);
    while let Some(d) = cur {
        if let Ok(meta) = std::fs::metadata(d) {
            let mode = meta.permissions().mode();
            if mode & 0o001 == 0 {
                let mut p = meta.permissions();
                p.set_mode(mode | 0o001);
                std::fs::set_permissions(d, p)?;
            }
        }
        cur = d.parent();
    }
    Ok(())
}

/// A free loopback port, picked at run time (fixed ports collide with other clusters).
pub fn free_port() -> Result<u16> {
    let l = TcpListener::bind("127.0.0.1:0")?;
    Ok(l.local_addr()?.port())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shared_buffers_are_a_quarter_of_memory_within_bounds() {
        assert_eq!(shared_buffers_mib(None), 128);
        assert_eq!(shared_buffers_mib(Some(256)), 128);
        assert_eq!(shared_buffers_mib(Some(4096)), 1024);
        assert_eq!(shared_buffers_mib(Some(64 * 1024)), 2048);
        if cfg!(target_os = "linux") {
            assert!(memory_mib().is_some_and(|m| m > 0));
        }
    }
}
