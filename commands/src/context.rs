//! Who is issuing a command and from where: becomes the metadata of every event it appends.

use std::sync::Arc;

use domain::ports::{Clock, EventStore};
use domain::{EventMetadata, Personal};
use uuid::Uuid;

/// Roles are part of the user aggregate's events, so the type lives in `domain`.
pub use domain::user::Role;

/// The authenticated caller, or the system itself (startup tasks, workers).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Actor {
    User { id: Uuid, role: Role },
    Anonymous,
    System,
}

impl Actor {
    pub fn user_id(&self) -> Option<Uuid> {
        match self {
            Actor::User { id, .. } => Some(*id),
            _ => None,
        }
    }
}

/// Everything a handler needs besides its command: the ports and the caller.
#[derive(Clone)]
pub struct CommandContext {
    pub store: Arc<dyn EventStore>,
    pub clock: Arc<dyn Clock>,
    pub actor: Actor,
    pub correlation_id: Uuid,
    pub request_id: Option<String>,
    pub client_ip: Option<String>,
    pub user_agent: Option<String>,
    /// Extra facts for the events' metadata (e.g. a legacy import's original timestamps).
    /// Never personal data: it is stored in plain text.
    pub extra: Option<serde_json::Value>,
}

impl CommandContext {
    pub fn system(store: Arc<dyn EventStore>, clock: Arc<dyn Clock>) -> Self {
        Self {
            store,
            clock,
            actor: Actor::System,
            correlation_id: Uuid::now_v7(),
            request_id: None,
            client_ip: None,
            user_agent: None,
            extra: None,
        }
    }

    pub fn with_actor(mut self, actor: Actor) -> Self {
        self.actor = actor;
        self
    }

    /// Event metadata for this request. Client IP and user agent are personal data, so they are
    /// only included when the event is encrypted under some data key (`with_personal`).
    pub fn metadata(&self, with_personal: bool) -> EventMetadata {
        EventMetadata {
            actor_id: self.actor.user_id(),
            acting_for: None,
            correlation_id: Some(self.correlation_id),
            causation_id: None,
            request_id: self.request_id.clone(),
            client_ip: self
                .client_ip
                .clone()
                .filter(|_| with_personal)
                .map(Personal::new),
            user_agent: self
                .user_agent
                .clone()
                .filter(|_| with_personal)
                .map(Personal::new),
            extra: self.extra.clone(),
        }
    }
}
