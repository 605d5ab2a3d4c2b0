//! The topic aggregate: system default topics (admin-managed) and per-user topics that shadow them.

mod decide;
mod error;
mod event;
mod state;
mod value;

pub use decide::{decide, TopicCommand, TopicEditor};
pub use error::TopicError;
pub use event::TopicEvent;
pub use state::Topic;
pub use value::{Keywords, TopicName};

/// The data-key subject that encrypts system topics' names and keywords: they belong to no user,
/// so no erasure ever destroys this key.
pub const SYSTEM_DATA_SUBJECT: uuid::Uuid = uuid::Uuid::nil();
