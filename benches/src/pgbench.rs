//! The baseline: `pgbench` inserting one comparable row per transaction (bigint position,
//! stream id, version, unique (stream, version), the same ~500-byte JSON as the store's events).

use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{bail, Context, Result};
use sqlx::PgPool;

/// The payload of every benchmark event and pgbench row (~500 bytes of JSON).
pub const PAYLOAD: &str = r#"{"document_id":"0190f3c2-6c1e-7b4a-9d2f-1a2b3c4d5e6f","owner_id":"0190f3c2-6c1e-7b4a-9d2f-6f5e4d3c2b1a","folder_id":"0190f3c2-6c1e-7b4a-9d2f-0a0b0c0d0e0f","file_name":"Quarterly report Q3 2026 - final version (signed).pdf","content_type":"application/pdf","size_bytes":1843921,"sha256":"9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08","blob_key":"0190f3c2-6c1e-7b4a-9d2f-6f5e4d3c2b1a/0190f3c2-6c1e-7b4a-9d2f-1a2b3c4d5e6f","topics":["finance","reports","quarterly"],"source":"upload","pages":42}"#;

pub async fn create_table(pool: &PgPool) -> Result<()> {
    sqlx::query(
        "create table pgbench_events (
            position bigint generated always as identity primary key,
            stream_id text not null,
            version bigint not null,
            data jsonb not null,
            constraint pgbench_events_stream_version_key unique (stream_id, version)
        )",
    )
    .execute(pool)
    .await?;
    Ok(())
}

/// Writes the two scripts: a plain insert, and the same insert with a `pg_notify` in its
/// transaction (what notifying inside every append would cost).
pub fn write_scripts(dir: &Path) -> Result<(PathBuf, PathBuf)> {
    let insert = format!(
        "insert into pgbench_events (stream_id, version, data) \
         values ('bench-' || :client_id || '-' || :s, 1, '{PAYLOAD}')"
    );
    let plain = dir.join("insert.sql");
    std::fs::write(
        &plain,
        format!("\\set s random(1, 1000000000000)\n{insert};\n"),
    )?;
    let notify = dir.join("insert-notify.sql");
    std::fs::write(
        &notify,
        format!(
            "\\set s random(1, 1000000000000)\n\
             with i as ({insert} returning 1) select pg_notify('bench', '') from i;\n"
        ),
    )?;
    Ok((plain, notify))
}

/// `pgbench` beside the server binaries the cluster runs from, else the newest installed one,
/// else whatever `PATH` finds (`initdb` may be a wrapper in a directory without it).
pub fn find(server_bin: &Path) -> PathBuf {
    let mut candidates = vec![server_bin.join("pgbench")];
    if let Ok(dirs) = std::fs::read_dir("/usr/lib/postgresql") {
        let mut versions: Vec<PathBuf> = dirs
            .filter_map(|d| d.ok())
            .map(|d| d.path().join("bin/pgbench"))
            .collect();
        versions.sort();
        candidates.extend(versions.into_iter().rev());
    }
    candidates
        .into_iter()
        .find(|p| p.is_file())
        .unwrap_or_else(|| PathBuf::from("pgbench"))
}

/// Transactions per second of `clients` pgbench clients running `script` for `seconds`.
pub fn run(
    pgbench: &Path,
    port: u16,
    db: &str,
    script: &Path,
    clients: usize,
    seconds: u64,
) -> Result<f64> {
    let out = Command::new(pgbench)
        .args(["-n", "-h", "127.0.0.1", "-U", "postgres"])
        .args(["-p", &port.to_string()])
        .args([
            "-c",
            &clients.to_string(),
            "-j",
            &clients.min(4).to_string(),
        ])
        .args(["-T", &seconds.to_string(), "-f"])
        .arg(script)
        .arg(db)
        .output()
        .context("running pgbench")?;
    let stdout = String::from_utf8_lossy(&out.stdout);
    if !out.status.success() {
        bail!(
            "pgbench failed: {}{}",
            stdout,
            String::from_utf8_lossy(&out.stderr)
        );
    }
    parse_tps(&stdout).with_context(|| format!("no tps in pgbench output:\n{stdout}"))
}

fn parse_tps(output: &str) -> Option<f64> {
    output
        .lines()
        .find_map(|l| l.strip_prefix("tps = "))
        .and_then(|rest| rest.split_whitespace().next())
        .and_then(|n| n.parse().ok())
}

#[cfg(test)]
mod tests {
    #[test]
    fn parses_pgbench_tps() {
        let out = "number of failed transactions: 0 (0.000%)\nlatency average = 1.2 ms\ntps = 7912.345678 (without initial connection time)\n";
        assert_eq!(super::parse_tps(out), Some(7912.345678));
        assert!(super::PAYLOAD.len() >= 480, "{}", super::PAYLOAD.len());
        serde_json::from_str::<serde_json::Value>(super::PAYLOAD).unwrap();
    }
}
