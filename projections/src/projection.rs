//! The `Projection` contract: a named, versioned fold of events into read tables it owns.

use async_trait::async_trait;
use domain::RecordedEvent;
use sqlx::PgConnection;

/// A read model folded from the event log.
///
/// Contract:
/// - `apply` receives a batch of events in global read order and writes their effects through
///   `conn`, which is inside a transaction the runtime opened; the runtime advances the
///   projection's checkpoint in that same transaction, so effects are exactly-once although
///   delivery is at-least-once. `apply` must not commit, roll back or open its own transactions.
/// - Handlers are idempotent: applying an event that is already reflected changes nothing (a
///   checkpoint write can be lost with its transaction and the batch delivered again).
/// - SQL stays unqualified (`insert into my_table …`, never `public.my_table`): during a rebuild
///   the runtime sets `search_path` to a shadow schema in front of `public`.
/// - An event the projection cannot decode (unknown type, unknown shape) is an error
///   ([`ProjectionError::Decode`]), never skipped: it halts the projection until an operator
///   fixes the code and calls `resume` or rebuilds. Events the projection does not care about are
///   ignored by type, not by failed decoding.
/// - Every table it writes is listed in [`Projection::tables`]; a rebuild replaces exactly those.
#[async_trait]
pub trait Projection: Send + Sync {
    /// Stable identifier: lowercase ASCII letters, digits and `_`, at most 50 characters
    /// (it names the rebuild schema `rebuild_<name>` and the advisory lock).
    fn name(&self) -> &str;

    /// Bump when the handler's output changes: the runtime rebuilds the read model (blue/green)
    /// when it finds tables built by an older version.
    fn version(&self) -> u32;

    /// The read tables this projection owns, unqualified, in `public`.
    fn tables(&self) -> &[&str];

    /// Folds a batch (never empty) into the read tables. See the trait's contract.
    async fn apply(
        &self,
        conn: &mut PgConnection,
        events: &[RecordedEvent],
    ) -> Result<(), ProjectionError>;
}

/// Why a projection could not apply a batch.
#[derive(Debug, thiserror::Error)]
pub enum ProjectionError {
    /// The event's type or shape is unknown to this projection: halts it.
    #[error(
        "cannot decode event at position {position} ({event_type} v{schema_version} in {stream}): {reason}"
    )]
    Decode {
        position: u64,
        stream: String,
        event_type: String,
        schema_version: u32,
        reason: String,
    },
    /// The handler rejected an event for a reason of its own: halts it.
    #[error("handler failed at position {position}: {reason}")]
    Handler { position: u64, reason: String },
    /// A database error. Errors the server reports (a violated constraint, bad SQL) halt the
    /// projection; lost connections and serialization failures are retried.
    #[error("database: {0}")]
    Database(#[from] sqlx::Error),
}

impl ProjectionError {
    /// A decode error for `event`.
    pub fn decode(event: &RecordedEvent, reason: impl std::fmt::Display) -> Self {
        Self::Decode {
            position: event.global_position,
            stream: event.stream_id.to_string(),
            event_type: event.event_type.clone(),
            schema_version: event.schema_version,
            reason: reason.to_string(),
        }
    }

    /// A handler error at `event`.
    pub fn handler(event: &RecordedEvent, reason: impl std::fmt::Display) -> Self {
        Self::Handler {
            position: event.global_position,
            reason: reason.to_string(),
        }
    }

    /// Whether retrying the same batch later may succeed (then the runtime retries instead of
    /// halting): connection-level failures, serialization failures and deadlocks.
    pub fn is_transient(&self) -> bool {
        match self {
            Self::Database(e) => crate::transient::is_transient(e),
            _ => false,
        }
    }
}

/// Checks a projection name against the rules in [`Projection::name`].
pub fn validate_name(name: &str) -> Result<(), String> {
    let ok = !name.is_empty()
        && name.len() <= 50
        && name
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
        && !name.as_bytes()[0].is_ascii_digit();
    if ok {
        Ok(())
    } else {
        Err(format!(
            "invalid projection name {name:?}: use lowercase ASCII letters, digits and `_` \
             (not leading), at most 50 characters"
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_safe_identifiers() {
        assert!(validate_name("stream_stats").is_ok());
        assert!(validate_name("documents2").is_ok());
        for bad in [
            "",
            "Docs",
            "a-b",
            "a b",
            "1st",
            "x\"; drop",
            &"a".repeat(51),
        ] {
            assert!(validate_name(bad).is_err(), "{bad:?} accepted");
        }
    }
}
