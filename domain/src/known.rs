//! Every event the product writes, as one enum: [`KnownEvent::decode`] picks the aggregate's
//! event enum by the stream's category and decodes through that enum's upcaster, so a reader of
//! the whole log (the audit explorer's summaries, its user look-ups) sees the current shapes of
//! every event version without knowing any type string.

use crate::aggregate::Aggregate;
use crate::ai_settings::{ClassifierSettings, SettingsEvent};
use crate::audit::{AuditAccessEvent, AUDIT_LOG_CATEGORY};
use crate::document::{Document, DocumentEvent, DocumentReadEvent, READS_CATEGORY};
use crate::event::RecordedEvent;
use crate::folder::{FolderEvent, FolderTree};
use crate::processing::{DocumentProcessing, ProcessingEvent};
use crate::quota::{event::QuotaEvent, state::Quota};
use crate::topic::{Topic, TopicEvent};
use crate::user::attempts::{LoginAttemptEvent, LoginAttempts};
use crate::user::reservation::{EmailKind, HandleKind, ReservationEvent, ReservationKind};
use crate::user::{User, UserEvent};

/// One decoded event of any stream category the product writes.
#[derive(Debug, Clone, PartialEq)]
pub enum KnownEvent {
    User(UserEvent),
    /// An email or handle reservation (`email-…`, `handle-…`).
    Reservation(ReservationEvent),
    /// A failed login for an address without an account.
    LoginAttempt(LoginAttemptEvent),
    Document(DocumentEvent),
    DocumentRead(DocumentReadEvent),
    Folder(FolderEvent),
    Quota(QuotaEvent),
    Processing(ProcessingEvent),
    Topic(TopicEvent),
    ClassifierSettings(SettingsEvent),
    AuditAccess(AuditAccessEvent),
}

impl KnownEvent {
    /// Decodes `e` by its stream's category. `None`: a category the product does not write
    /// (nothing to decode it into); `Some(Err)`: a known category whose payload does not decode
    /// (an event type its enum lacks, or a malformed payload).
    pub fn decode(e: &RecordedEvent) -> Option<Result<Self, serde_json::Error>> {
        let category = e.stream_id.category();
        let known = match category {
            c if c == User::CATEGORY => e.decode().map(Self::User),
            c if c == EmailKind::CATEGORY || c == HandleKind::CATEGORY => {
                e.decode().map(Self::Reservation)
            }
            c if c == LoginAttempts::CATEGORY => e.decode().map(Self::LoginAttempt),
            c if c == Document::CATEGORY => e.decode().map(Self::Document),
            READS_CATEGORY => e.decode().map(Self::DocumentRead),
            c if c == FolderTree::CATEGORY => e.decode().map(Self::Folder),
            c if c == Quota::CATEGORY => e.decode().map(Self::Quota),
            c if c == DocumentProcessing::CATEGORY => e.decode().map(Self::Processing),
            c if c == Topic::CATEGORY => e.decode().map(Self::Topic),
            c if c == ClassifierSettings::CATEGORY => e.decode().map(Self::ClassifierSettings),
            AUDIT_LOG_CATEGORY => e.decode().map(Self::AuditAccess),
            _ => return None,
        };
        Some(known)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::event::{Checkpoint, EventMetadata, StreamId};
    use crate::ids::UserId;
    use chrono::Utc;
    use serde_json::json;
    use uuid::Uuid;

    fn recorded(stream: StreamId, event_type: &str, data: serde_json::Value) -> RecordedEvent {
        RecordedEvent {
            event_id: Uuid::now_v7(),
            stream_id: stream,
            stream_version: 1,
            global_position: 1,
            checkpoint: Checkpoint::START,
            event_type: event_type.into(),
            schema_version: 1,
            data,
            metadata: EventMetadata::default(),
            recorded_at: Utc::now(),
        }
    }

    #[test]
    fn categories_pick_their_enum_and_unknown_ones_are_none() {
        let user = UserId::new();
        let e = recorded(
            StreamId::new(READS_CATEGORY, Uuid::now_v7()),
            "DocumentDownloaded",
            json!({"by": user}),
        );
        assert_eq!(
            KnownEvent::decode(&e).unwrap().unwrap(),
            KnownEvent::DocumentRead(DocumentReadEvent::DocumentDownloaded { by: user })
        );
        let e = recorded(
            StreamId::new("handle", "x"),
            "Reserved",
            json!({"user_id": user}),
        );
        assert!(matches!(
            KnownEvent::decode(&e),
            Some(Ok(KnownEvent::Reservation(
                ReservationEvent::Reserved { .. }
            )))
        ));
        let e = recorded(StreamId::new("somethingelse", "x"), "Whatever", json!({}));
        assert!(KnownEvent::decode(&e).is_none());
        let e = recorded(StreamId::new("quota", user), "NotAQuotaEvent", json!({}));
        assert!(matches!(KnownEvent::decode(&e), Some(Err(_))));
    }
}
