//! `docuvault audit verify`: recomputes every stream's hash chain from the stored events and
//! names the first broken version of each broken stream.
//!
//! The walk pages through `(stream_id, stream_version)` with a keyset over the unique index, a
//! bounded batch at a time, so memory stays flat however large the log is and no long-running
//! query pins a snapshot. Personal data is hashed in its stored (sealed) form, so a destroyed key
//! (crypto-shredding) never breaks the chain.

use chrono::{DateTime, Utc};
use domain::ports::StoreError;
use serde_json::Value;
use sqlx::PgPool;
use uuid::Uuid;

use super::canonical::{self, CanonicalFields, GENESIS_HASH};
use super::rows::backend;

const PAGE: i64 = 2_000;
/// At most this many breaks are listed; the counts stay exact.
const MAX_LISTED_BREAKS: usize = 1_000;

const PAGE_SQL: &str = "select stream_id, stream_version, event_id, event_type, schema_version, \
         recorded_at, data, metadata, hash \
     from events \
     where (stream_id, stream_version) > ($1, $2) \
     order by stream_id, stream_version \
     limit $3";

/// What is wrong at a broken version.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BreakKind {
    /// The stored hash is not `SHA-256(prev_hash || canonical bytes)`: this event (or, if its
    /// hash was recomputed too, the one before it) was altered.
    HashMismatch,
    /// Versions jump: `expected` is missing (deleted) and this version follows it.
    MissingVersion { expected: u64 },
}

/// The first broken version of one stream.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChainBreak {
    pub stream_id: String,
    pub stream_version: u64,
    pub kind: BreakKind,
}

impl std::fmt::Display for ChainBreak {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.kind {
            BreakKind::HashMismatch => write!(
                f,
                "stream {} version {}: hash mismatch (event altered)",
                self.stream_id, self.stream_version
            ),
            BreakKind::MissingVersion { expected } => write!(
                f,
                "stream {} version {}: version {expected} is missing",
                self.stream_id, self.stream_version
            ),
        }
    }
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct VerifyReport {
    pub streams: u64,
    pub events: u64,
    /// Broken streams (count), each listed in `breaks` up to a limit, in stream-id order.
    pub broken_streams: u64,
    pub breaks: Vec<ChainBreak>,
}

impl VerifyReport {
    /// True when every chain recomputed. The CLI exits non-zero otherwise.
    pub fn is_intact(&self) -> bool {
        self.broken_streams == 0
    }

    pub fn first_break(&self) -> Option<&ChainBreak> {
        self.breaks.first()
    }
}

impl std::fmt::Display for VerifyReport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.is_intact() {
            return write!(
                f,
                "audit log intact: {} events in {} streams verified",
                self.events, self.streams
            );
        }
        writeln!(
            f,
            "audit log BROKEN: {} of {} streams fail verification ({} events checked)",
            self.broken_streams, self.streams, self.events
        )?;
        for b in &self.breaks {
            writeln!(f, "  {b}")?;
        }
        if (self.breaks.len() as u64) < self.broken_streams {
            writeln!(
                f,
                "  … and {} more",
                self.broken_streams - self.breaks.len() as u64
            )?;
        }
        Ok(())
    }
}

#[derive(sqlx::FromRow)]
struct ChainRow {
    stream_id: String,
    stream_version: i64,
    event_id: Uuid,
    event_type: String,
    schema_version: i32,
    recorded_at: DateTime<Utc>,
    data: Value,
    metadata: Value,
    hash: Vec<u8>,
}

/// Walks every stream's chain. Events appended while it runs are verified if the walk has not
/// passed their stream yet.
pub async fn verify_log(pool: &PgPool) -> Result<VerifyReport, StoreError> {
    let mut report = VerifyReport::default();
    let mut walk = Walk::default();
    let (mut after_stream, mut after_version) = (String::new(), 0i64);
    loop {
        let page: Vec<ChainRow> = sqlx::query_as(PAGE_SQL)
            .bind(&after_stream)
            .bind(after_version)
            .bind(PAGE)
            .fetch_all(pool)
            .await
            .map_err(backend)?;
        let Some(last) = page.last() else { break };
        (after_stream, after_version) = (last.stream_id.clone(), last.stream_version);
        for row in &page {
            walk.check(row, &mut report);
        }
    }
    Ok(report)
}

/// The state of the walk across pages: where the current stream's chain stands.
#[derive(Default)]
struct Walk {
    stream: Option<String>,
    prev_hash: Vec<u8>,
    next_version: u64,
    broken: bool,
}

impl Walk {
    fn check(&mut self, row: &ChainRow, report: &mut VerifyReport) {
        if self.stream.as_deref() != Some(row.stream_id.as_str()) {
            self.stream = Some(row.stream_id.clone());
            self.prev_hash = GENESIS_HASH.to_vec();
            self.next_version = 1;
            self.broken = false;
            report.streams += 1;
        }
        report.events += 1;
        if self.broken {
            return;
        }
        let version = row.stream_version as u64;
        let kind = if version != self.next_version {
            Some(BreakKind::MissingVersion {
                expected: self.next_version,
            })
        } else {
            let fields = CanonicalFields {
                stream_id: &row.stream_id,
                event_id: row.event_id,
                event_type: &row.event_type,
                schema_version: row.schema_version as u32,
                recorded_at: row.recorded_at,
                data: &row.data,
                metadata: &row.metadata,
            };
            let expected = canonical::event_hash(&self.prev_hash, version, &fields);
            (expected.as_slice() != row.hash.as_slice()).then_some(BreakKind::HashMismatch)
        };
        match kind {
            None => {
                self.prev_hash.clone_from(&row.hash);
                self.next_version += 1;
            }
            Some(kind) => {
                self.broken = true;
                report.broken_streams += 1;
                if report.breaks.len() < MAX_LISTED_BREAKS {
                    report.breaks.push(ChainBreak {
                        stream_id: row.stream_id.clone(),
                        stream_version: version,
                        kind,
                    });
                }
            }
        }
    }
}
