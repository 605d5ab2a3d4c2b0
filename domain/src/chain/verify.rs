//! `docuvault audit verify`: recomputes every stream's hash chain from the stored events and
//! names the first broken version of each broken stream, on any backend: the walk reads the
//! port's [`EventStore::sealed_streams`], stream by stream, so memory stays flat however large
//! the log is. Personal data is hashed in its stored (sealed) form, so a destroyed key
//! (crypto-shredding) never breaks the chain.

use crate::ports::{EventStore, SealedEvent, StoreError};
use futures::{Stream, StreamExt};

use super::canonical::{self, CanonicalFields, GENESIS_HASH};

/// At most this many breaks are listed; the counts stay exact.
const MAX_LISTED_BREAKS: usize = 1_000;

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

/// Walks every stream's chain in `store`. Events appended while it runs are verified if the
/// walk has not passed their stream yet.
pub async fn verify_store(store: &dyn EventStore) -> Result<VerifyReport, StoreError> {
    verify_events(store.sealed_streams()).await
}

/// Walks sealed events given stream by stream, each stream in version order (as
/// [`EventStore::sealed_streams`] yields them); the first `Err` item ends the walk.
pub async fn verify_events<S>(events: S) -> Result<VerifyReport, StoreError>
where
    S: Stream<Item = Result<SealedEvent, StoreError>>,
{
    let mut report = VerifyReport::default();
    let mut walk = Walk::default();
    let mut events = std::pin::pin!(events);
    while let Some(event) = events.next().await {
        walk.check(&event?, &mut report);
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
    fn check(&mut self, row: &SealedEvent, report: &mut VerifyReport) {
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
        let version = row.stream_version;
        let kind = if version != self.next_version {
            Some(BreakKind::MissingVersion {
                expected: self.next_version,
            })
        } else {
            let fields = CanonicalFields {
                stream_id: &row.stream_id,
                event_id: row.event_id,
                event_type: &row.event_type,
                schema_version: row.schema_version,
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
