//! Topic events (stream `topic-<id>`). Names and keywords are encrypted: a user's own words.

use serde::{Deserialize, Serialize};

use crate::event::DomainEvent;
use crate::ids::{TopicId, UserId};
use crate::personal::Personal;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", content = "data")]
pub enum TopicEvent {
    TopicCreated {
        topic_id: TopicId,
        /// `None` for a system default topic.
        owner: Option<UserId>,
        name: Personal<String>,
        keywords: Personal<Vec<String>>,
        /// The system topic this user topic replaces in its owner's view.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        shadows: Option<TopicId>,
    },
    TopicRenamed {
        name: Personal<String>,
    },
    TopicKeywordsChanged {
        keywords: Personal<Vec<String>>,
    },
    TopicDeleted {},
}

impl DomainEvent for TopicEvent {}
