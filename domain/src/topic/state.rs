//! A topic's state, folded from its stream.

use crate::aggregate::Aggregate;
use crate::ids::{TopicId, UserId};

use super::event::TopicEvent;

#[derive(Debug, Clone, Default, PartialEq)]
pub struct Topic {
    pub id: Option<TopicId>,
    /// `None` for a system topic (and for a topic that does not exist).
    pub owner: Option<UserId>,
    /// The name as last set; `None` once erased or before creation.
    pub name: Option<String>,
    pub keywords: Vec<String>,
    pub shadows: Option<TopicId>,
    pub deleted: bool,
}

impl Topic {
    /// Created and not deleted.
    pub fn exists(&self) -> bool {
        self.id.is_some() && !self.deleted
    }
}

impl Aggregate for Topic {
    type Event = TopicEvent;
    const CATEGORY: &'static str = "topic";

    fn evolve(mut self, event: &TopicEvent) -> Self {
        match event {
            TopicEvent::TopicCreated {
                topic_id,
                owner,
                name,
                keywords,
                shadows,
            } => {
                self.id = Some(*topic_id);
                self.owner = *owner;
                self.name = name.value().cloned();
                self.keywords = keywords.value().cloned().unwrap_or_default();
                self.shadows = *shadows;
            }
            TopicEvent::TopicRenamed { name } => self.name = name.value().cloned(),
            TopicEvent::TopicKeywordsChanged { keywords } => {
                self.keywords = keywords.value().cloned().unwrap_or_default()
            }
            TopicEvent::TopicDeleted {} => self.deleted = true,
        }
        self
    }
}
