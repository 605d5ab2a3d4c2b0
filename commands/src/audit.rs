//! Recording the audit log's own use: each query, export and replay is appended to the reader's
//! `auditlog-<id>` stream, so the log shows who looked at what.

use domain::audit::{AuditAccessEvent, AUDIT_LOG_CATEGORY};
use domain::ports::StoreError;
use domain::{ExpectedVersion, NewEvent, StreamId};
use uuid::Uuid;

use crate::context::CommandContext;

/// Appends `event` for the context's actor (the system's nil id when there is none, e.g. the
/// CLI) and returns its global position. The reader's client IP and user agent are personal data
/// and are sealed with the reader's key.
pub async fn record(ctx: &CommandContext, event: &AuditAccessEvent) -> Result<u64, StoreError> {
    let reader = ctx.actor.user_id().unwrap_or(Uuid::nil());
    let personal = ctx.actor.user_id().is_some();
    let new = NewEvent::from_domain(
        event,
        ctx.metadata(personal),
        personal.then_some(reader),
        ctx.clock.now(),
    );
    let stream = StreamId::new(AUDIT_LOG_CATEGORY, reader);
    let done = ctx
        .store
        .append(&stream, ExpectedVersion::Any, vec![new])
        .await?;
    Ok(done.last_position)
}
