//! The quota stream: charging at confirmation is the binding step (an append with the expected
//! version, retried on conflict), so parallel uploads can never push usage past the limit.
//!
//! The stream gains an event per upload and per purge, so it is loaded from a snapshot plus the
//! events after it; the decision and the expected-version append are the usual ones.

use domain::event::StreamId;
use domain::ids::{DocumentId, UserId};
use domain::quota::{decide, Quota, QuotaError, QuotaEvent};
use domain::Aggregate;
use sha2::{Digest, Sha256};
use uuid::Uuid;

use super::error::{infra, DocError, DocResult};
use super::ports::SnapshotStore;
use super::Done;
use crate::context::CommandContext;
use crate::executor::{retry_decision, Loaded};

/// Take a new snapshot once this many events were folded on top of the last one.
const SNAPSHOT_EVERY: u64 = 64;
/// Decisions retried after a conflict: every concurrent upload of the user contends for this
/// one stream, so a burst needs more attempts than the executor's default.
const ATTEMPTS: usize = 64;

fn stream(user: UserId) -> StreamId {
    StreamId::new(Quota::CATEGORY, user)
}

/// The quota as the log has it now (the authoritative numbers, not the read model's), and the
/// stream version it was folded at.
pub async fn load(
    ctx: &CommandContext,
    snapshots: &dyn SnapshotStore,
    user: UserId,
) -> DocResult<(Quota, u64)> {
    let s = stream(user);
    let (mut quota, mut version) = match snapshots.load(&s).await.map_err(infra)? {
        Some((v, json)) => match serde_json::from_value::<Quota>(json) {
            Ok(q) => (q, v),
            // An unreadable snapshot (an older shape) is ignored: fold from the start.
            Err(_) => (Quota::default(), 0),
        },
        None => (Quota::default(), 0),
    };
    let base = version;
    for e in ctx.store.read_stream(&s, version + 1).await? {
        let ev: QuotaEvent = e.decode().map_err(|cause| {
            infra(crate::error::Undecodable {
                stream: s.to_string(),
                cause,
            })
        })?;
        quota = quota.evolve(&ev);
        version = e.stream_version;
    }
    if version - base >= SNAPSHOT_EVERY {
        let json = serde_json::to_value(quota).expect("quota serializes");
        if let Err(e) = snapshots.save(&s, version, json).await {
            tracing::warn!(stream = %s, error = %e, "could not save a snapshot");
        }
    }
    Ok((quota, version))
}

/// The event id of a document's charge or release: derived from the document, so each happens
/// at most once whatever retries, races or crash recoveries ask for (the store refuses an id
/// twice).
pub fn event_id(event: &QuotaEvent) -> Uuid {
    let (kind, document) = match event {
        QuotaEvent::QuotaReserved { document_id, .. } => ("charge", document_id),
        QuotaEvent::QuotaReleased { document_id, .. } => ("release", document_id),
        QuotaEvent::QuotaLimitChanged { .. } => return Uuid::now_v7(),
    };
    let digest = Sha256::digest(format!("docuvault/quota/{kind}/{document}"));
    let mut bytes = [0u8; 16];
    bytes.copy_from_slice(&digest[..16]);
    // RFC 9562 version 8 (custom) and variant bits.
    bytes[6] = (bytes[6] & 0x0f) | 0x80;
    bytes[8] = (bytes[8] & 0x3f) | 0x80;
    Uuid::from_bytes(bytes)
}

/// Load (from the snapshot) → decide → append with the expected version, retried on conflict
/// by the executor's loop; each charge and release has its derived [`event_id`], so one that
/// happened before is answered as done, unchanged.
async fn run(
    ctx: &CommandContext,
    snapshots: &dyn SnapshotStore,
    user: UserId,
    decide: impl Fn(&Quota) -> Result<Vec<QuotaEvent>, QuotaError>,
) -> DocResult<(Quota, Option<u64>)> {
    let load = || async move {
        let (state, version) = load(ctx, snapshots, user).await?;
        Ok(Loaded { state, version })
    };
    let done = retry_decision(
        ctx,
        &stream(user),
        ATTEMPTS,
        None,
        Some(event_id),
        load,
        |q: &Quota| {
            decide(q)
                .map(|events| (events, ()))
                .map_err(DocError::Quota)
        },
    )
    .await?;
    Ok((done.state, done.position))
}

/// Charges `size` bytes for `document` to `owner`'s quota, or refuses with `QuotaError`.
pub async fn charge(
    ctx: &CommandContext,
    snapshots: &dyn SnapshotStore,
    owner: UserId,
    document: DocumentId,
    size: u64,
    default_limit: u64,
) -> DocResult<Option<u64>> {
    let (_, pos) = run(ctx, snapshots, owner, |q| {
        decide::reserve(q, document, size, default_limit)
    })
    .await?;
    Ok(pos)
}

/// Gives a charge back (purge, or a confirmation that lost a race after charging).
pub async fn release(
    ctx: &CommandContext,
    snapshots: &dyn SnapshotStore,
    owner: UserId,
    document: DocumentId,
    size: u64,
) -> DocResult<Option<u64>> {
    let (_, pos) = run(ctx, snapshots, owner, |_| {
        Ok(decide::release(document, size))
    })
    .await?;
    Ok(pos)
}

/// An admin sets a user's limit.
pub async fn set_limit(
    ctx: &CommandContext,
    snapshots: &dyn SnapshotStore,
    user: UserId,
    limit_bytes: u64,
) -> DocResult<Done<Quota>> {
    let (quota, pos) = run(ctx, snapshots, user, |q| {
        Ok(decide::change_limit(q, limit_bytes))
    })
    .await?;
    Ok(Done::new(quota, pos))
}

/// The current quota.
pub async fn current(
    ctx: &CommandContext,
    snapshots: &dyn SnapshotStore,
    user: UserId,
) -> DocResult<Quota> {
    Ok(load(ctx, snapshots, user).await?.0)
}
