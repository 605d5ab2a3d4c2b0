//! Topic decisions: pure functions of the state, the command and who issues it.

use crate::ids::{TopicId, UserId};
use crate::personal::Personal;

use super::error::TopicError;
use super::event::TopicEvent;
use super::state::Topic;
use super::value::{Keywords, TopicName};

/// Who changes topics: a user edits their own, an admin edits the system defaults.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TopicEditor {
    User(UserId),
    Admin(UserId),
}

#[derive(Debug, Clone, PartialEq)]
pub enum TopicCommand {
    /// A user topic when issued by a user, a system topic when issued by an admin.
    Create {
        id: TopicId,
        name: TopicName,
        keywords: Keywords,
        /// A system topic this user topic replaces in the user's view; the handler checks it is
        /// one (a fact from the read model).
        shadows: Option<TopicId>,
    },
    Rename {
        name: TopicName,
    },
    SetKeywords {
        keywords: Keywords,
    },
    Delete,
}

pub fn decide(
    state: &Topic,
    editor: TopicEditor,
    command: TopicCommand,
) -> Result<Vec<TopicEvent>, TopicError> {
    match command {
        TopicCommand::Create {
            id,
            name,
            keywords,
            shadows,
        } => {
            if state.id.is_some() {
                return Err(TopicError::AlreadyExists);
            }
            let owner = match editor {
                TopicEditor::User(u) => Some(u),
                TopicEditor::Admin(_) if shadows.is_some() => {
                    return Err(TopicError::NotAllowed(
                        "only a user topic can shadow a system topic",
                    ))
                }
                TopicEditor::Admin(_) => None,
            };
            Ok(vec![TopicEvent::TopicCreated {
                topic_id: id,
                owner,
                name: Personal::new(name.into_inner()),
                keywords: Personal::new(keywords.into_inner()),
                shadows,
            }])
        }
        TopicCommand::Rename { name } => {
            ensure_editable(state, editor)?;
            if state.name.as_deref() == Some(name.as_str()) {
                return Ok(vec![]);
            }
            Ok(vec![TopicEvent::TopicRenamed {
                name: Personal::new(name.into_inner()),
            }])
        }
        TopicCommand::SetKeywords { keywords } => {
            ensure_editable(state, editor)?;
            if state.keywords.as_slice() == keywords.as_slice() {
                return Ok(vec![]);
            }
            Ok(vec![TopicEvent::TopicKeywordsChanged {
                keywords: Personal::new(keywords.into_inner()),
            }])
        }
        TopicCommand::Delete => {
            ensure_editable(state, editor)?;
            Ok(vec![TopicEvent::TopicDeleted {}])
        }
    }
}

/// A user may change only their own topics, an admin only the system topics; anything else looks
/// exactly like a missing topic.
fn ensure_editable(state: &Topic, editor: TopicEditor) -> Result<(), TopicError> {
    if !state.exists() {
        return Err(TopicError::NotFound);
    }
    let allowed = match (editor, state.owner) {
        (TopicEditor::User(u), Some(owner)) => u == owner,
        (TopicEditor::Admin(_), None) => true,
        _ => false,
    };
    if allowed {
        Ok(())
    } else {
        Err(TopicError::NotFound)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::aggregate::Aggregate;

    fn given(events: &[TopicEvent]) -> Topic {
        events.iter().fold(Topic::default(), |s, e| s.evolve(e))
    }

    fn created(id: TopicId, owner: Option<UserId>, name: &str) -> TopicEvent {
        TopicEvent::TopicCreated {
            topic_id: id,
            owner,
            name: Personal::new(name.into()),
            keywords: Personal::new(vec![]),
            shadows: None,
        }
    }

    fn create(id: TopicId, name: &str, shadows: Option<TopicId>) -> TopicCommand {
        TopicCommand::Create {
            id,
            name: TopicName::parse(name).unwrap(),
            keywords: Keywords::parse(&["invoice"]).unwrap(),
            shadows,
        }
    }

    #[test]
    fn a_user_creates_their_own_topic_and_an_admin_a_system_topic() {
        let (id, user) = (TopicId::new(), UserId::new());
        let events = decide(
            &given(&[]),
            TopicEditor::User(user),
            create(id, "Bills", None),
        )
        .unwrap();
        let state = given(&events);
        assert_eq!(state.owner, Some(user));
        assert_eq!(state.name.as_deref(), Some("Bills"));
        assert_eq!(state.keywords, ["invoice"]);

        let events = decide(
            &given(&[]),
            TopicEditor::Admin(UserId::new()),
            create(id, "Finance", None),
        )
        .unwrap();
        assert!(matches!(
            events[0],
            TopicEvent::TopicCreated { owner: None, .. }
        ));
    }

    #[test]
    fn only_user_topics_shadow_and_ids_are_not_reused() {
        let (id, system) = (TopicId::new(), TopicId::new());
        let events = decide(
            &given(&[]),
            TopicEditor::User(UserId::new()),
            create(id, "Money", Some(system)),
        )
        .unwrap();
        assert_eq!(given(&events).shadows, Some(system));
        assert_eq!(
            decide(
                &given(&[]),
                TopicEditor::Admin(UserId::new()),
                create(id, "Money", Some(system))
            ),
            Err(TopicError::NotAllowed(
                "only a user topic can shadow a system topic"
            ))
        );
        assert_eq!(
            decide(
                &given(&events),
                TopicEditor::User(UserId::new()),
                create(id, "Again", None)
            ),
            Err(TopicError::AlreadyExists)
        );
    }

    #[test]
    fn another_users_topic_looks_missing() {
        let (id, owner) = (TopicId::new(), UserId::new());
        let state = given(&[created(id, Some(owner), "Health")]);
        let rename = || TopicCommand::Rename {
            name: TopicName::parse("Mine now").unwrap(),
        };
        assert_eq!(
            decide(&state, TopicEditor::User(UserId::new()), rename()),
            Err(TopicError::NotFound)
        );
        // Admins manage system topics, not other people's.
        assert_eq!(
            decide(&state, TopicEditor::Admin(UserId::new()), rename()),
            Err(TopicError::NotFound)
        );
        assert_eq!(
            decide(&state, TopicEditor::User(owner), TopicCommand::Delete).unwrap(),
            vec![TopicEvent::TopicDeleted {}]
        );
    }

    #[test]
    fn system_topics_are_admin_only() {
        let id = TopicId::new();
        let state = given(&[created(id, None, "Finance")]);
        assert_eq!(
            decide(
                &state,
                TopicEditor::User(UserId::new()),
                TopicCommand::Delete
            ),
            Err(TopicError::NotFound)
        );
        let events = decide(
            &state,
            TopicEditor::Admin(UserId::new()),
            TopicCommand::SetKeywords {
                keywords: Keywords::parse(&["bank", "tax"]).unwrap(),
            },
        )
        .unwrap();
        let mut all = vec![created(id, None, "Finance")];
        all.extend(events);
        assert_eq!(given(&all).keywords, ["bank", "tax"]);
    }

    #[test]
    fn unchanged_values_append_nothing_and_deleted_topics_are_gone() {
        let (id, owner) = (TopicId::new(), UserId::new());
        let state = given(&[created(id, Some(owner), "Health")]);
        let same = TopicCommand::Rename {
            name: TopicName::parse(" Health ").unwrap(),
        };
        assert_eq!(
            decide(&state, TopicEditor::User(owner), same.clone()),
            Ok(vec![])
        );
        let deleted = given(&[
            created(id, Some(owner), "Health"),
            TopicEvent::TopicDeleted {},
        ]);
        assert_eq!(
            decide(&deleted, TopicEditor::User(owner), same),
            Err(TopicError::NotFound)
        );
    }

    #[test]
    fn names_are_encrypted_in_the_stored_event() {
        let event = created(TopicId::new(), Some(UserId::new()), "Therapy");
        let (event_type, data) = crate::event::encode_event(&event);
        assert_eq!(event_type, "TopicCreated");
        assert_eq!(data["name"], serde_json::json!({"$pii": "Therapy"}));
        let back: TopicEvent = crate::event::decode_event(&event_type, 1, &data).unwrap();
        assert_eq!(back, event);
    }
}
