//! The event stores behind `domain::ports::EventStore`: PostgreSQL (the default; its contract
//! below) and KurrentDB/EventStoreDB ([`kurrent`], which shares the batch preparation,
//! encryption, canonical hash chain and decoding defined here).
//!
//! # Contract
//!
//! Schema: `migrations/20261128000001_eventstore.sql` (`events`, `data_keys`).
//!
//! **Append** ([`PgEventStore`]'s `append`, or [`PgEventStore::append_in`] inside a caller's
//! transaction) writes a batch to one stream with one `INSERT … SELECT` statement, so the batch
//! is atomic and costs a single round trip.
//! - `ExpectedVersion::NoStream` / `Exact(n)`: the stream's current version must be 0 / `n`,
//!   otherwise `StoreError::Conflict { actual }` and nothing is written. Two appends racing for
//!   the same next version collide on the unique `(stream_id, stream_version)` constraint
//!   (SQLSTATE 23505): exactly one wins, the other gets `Conflict`.
//! - `ExpectedVersion::Any` appends after whatever the head is, retrying internally when it
//!   loses such a race.
//! - Idempotent retry: when the events' ids are all already stored in this stream, in this
//!   order, with the same content, the append succeeds without writing and returns the original
//!   `AppendOutcome`, whatever the expected version says now. An id stored for a different event
//!   (another stream, another place, other content, or only part of the batch) is
//!   `StoreError::DuplicateEventId`.
//! - Versions are 1-based and gap-free. `global_position` is unique and increases in *insertion*
//!   order; positions of one batch need not be contiguous.
//! - `recorded_at` is stored at microsecond precision.
//! - Concurrent one-event appends to different streams may share one statement and commit
//!   (group commit, see `combine.rs`): each keeps its own version check, idempotency and error;
//!   one append's conflict never fails another's; no background task is involved.
//!
//! **Hash chain.** Each event stores `hash = SHA-256(prev_hash || canonical bytes)`, `prev_hash`
//! being the stream's previous event's hash (32 zero bytes for version 1); the canonical bytes
//! are defined in [`canonical`]. The statement reads the stream head itself, so the chain is
//! extended atomically with the version check. [`verify_store`] recomputes every chain (on any
//! backend; [`verify_log`] on a PostgreSQL pool).
//!
//! **Append-only** is enforced by triggers that reject `UPDATE`, `DELETE` and `TRUNCATE`.
//!
//! **Global read order** (`read_all`, `subscribe_all`, `checkpoint_of`): events are ordered by
//! `(tx_id, global_position)`, where `tx_id` is the writing transaction's `xid8`, and an event is
//! only readable once `tx_id < pg_snapshot_xmin(pg_current_snapshot())`: no transaction that
//! could still commit an event ordering before it is in flight. A reader resuming after
//! checkpoint `(tx, pos)` therefore never skips an event committed late; it waits instead (a
//! long-running writing transaction anywhere in the cluster holds readers back for its
//! duration). `Checkpoint { tx, pos }` is that pair.
//!
//! **Subscriptions** catch up in batches, then wait for a wake-up: appends through a store in
//! this process wake its subscribers at once; other processes are woken by `NOTIFY` on
//! [`NOTIFY_CHANNEL`], sent by a background notifier after commits (not inside them: `pg_notify` in a
//! transaction takes a cluster-wide lock at commit); a polling interval (500 ms by default) covers everything else.
//!
//! **Personal data**: every `{"$pii": v}` in `data` or `metadata` is sealed under the event's
//! `data_key` subject (see [`crypto`]); an event with personal data but no `data_key` is
//! `StoreError::Crypto`, so is one whose subject's key was destroyed. Reads return the
//! `{"$pii": v}` form again, `{"$erased": true}` when the key is gone, and
//! `StoreError::Crypto` when a ciphertext fails authentication (tampered, or moved from another
//! event or field): tampering is an integrity failure, never silently treated as erasure.
//! Object keys starting with `$` are reserved in payloads: a value already in sealed form is
//! rejected on append.

pub use domain::chain::canonical;
pub mod crypto;
pub mod keys;

mod append;
mod combine;
mod decode;
mod inner;
pub mod kurrent;
pub mod metrics;
mod pg;
mod pg_audit;
mod rows;
mod subscribe;
mod wake;

pub use domain::chain::{verify_events, verify_store, BreakKind, ChainBreak, VerifyReport};
pub use inner::StoreOptions;
pub use keys::{encode_master_key, InvalidMasterKey, MasterKey, PgDataKeys, SealedOnly};
pub use kurrent::{KurrentEventStore, KurrentOptions};
pub use pg::PgEventStore;
pub use pg_audit::verify_log;
pub use rows::{read_positions, RawEvent};
pub use wake::NOTIFY_CHANNEL;
