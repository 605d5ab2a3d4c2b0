//! Processing decisions. Workers report per run, so a crashed worker's retry and a stale worker
//! both land as no-ops or refusals instead of duplicate events.

use crate::ids::TopicId;
use crate::personal::Personal;

use super::error::ProcessingError;
use super::event::{ExtractionKind, ProcessingEvent, SuggestedTopic};
use super::state::{sorted, DocumentProcessing, ProcessingStatus};

/// A classifier's answer, reduced to what is recorded.
#[derive(Debug, Clone, PartialEq)]
pub struct ClassificationRecord {
    pub provider: String,
    pub model: Option<String>,
    pub fell_back: bool,
    /// Recommended topics only (at or above the assignment threshold), best first.
    pub suggestions: Vec<SuggestedTopic>,
    /// Explaining terms (document content).
    pub terms: Vec<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub enum ProcessingCommand {
    RecordExtraction {
        run: u32,
        kind: ExtractionKind,
        text_object: Option<String>,
        chars: u64,
        truncated: bool,
    },
    RecordClassification {
        run: u32,
        classification: ClassificationRecord,
    },
    RecordFailure {
        run: u32,
        code: String,
        /// The failure can never succeed on retry (a corrupt file, a bomb).
        permanent: bool,
        /// Attempts allowed per run; the last one is permanent whatever the cause.
        max_attempts: u32,
    },
    /// The owner sets the document's topics by hand (the handler checks they may see each topic).
    SetTopics {
        topic_ids: Vec<TopicId>,
    },
    RequestReclassification,
}

pub fn decide(
    state: &DocumentProcessing,
    command: ProcessingCommand,
) -> Result<Vec<ProcessingEvent>, ProcessingError> {
    match command {
        ProcessingCommand::RecordExtraction {
            run,
            kind,
            text_object,
            chars,
            truncated,
        } => {
            check_run(state, run)?;
            if state.status != ProcessingStatus::Pending || state.text.is_some() {
                return Ok(vec![]);
            }
            Ok(vec![ProcessingEvent::TextExtracted {
                run,
                kind,
                text_object,
                chars,
                truncated,
            }])
        }
        ProcessingCommand::RecordClassification {
            run,
            classification,
        } => {
            check_run(state, run)?;
            if state.status != ProcessingStatus::Pending || state.classified_in_run {
                return Ok(vec![]);
            }
            if state.text.is_none() {
                return Err(ProcessingError::NotExtracted);
            }
            // Hand-set topics survive the automatic run that was still in flight.
            let topic_ids = if state.decided_by_owner {
                state.topics.clone()
            } else {
                classification
                    .suggestions
                    .iter()
                    .map(|s| s.topic_id)
                    .collect()
            };
            Ok(vec![
                ProcessingEvent::TopicsSuggested {
                    run,
                    provider: classification.provider,
                    model: classification.model,
                    fell_back: classification.fell_back,
                    suggestions: classification.suggestions,
                    terms: Personal::new(classification.terms),
                },
                ProcessingEvent::DocumentClassified { run, topic_ids },
            ])
        }
        ProcessingCommand::RecordFailure {
            run,
            code,
            permanent,
            max_attempts,
        } => {
            check_run(state, run)?;
            if state.status != ProcessingStatus::Pending {
                return Ok(vec![]);
            }
            let attempt = state.failures_in_run + 1;
            Ok(vec![ProcessingEvent::ProcessingFailed {
                run,
                attempt,
                code,
                permanent: permanent || attempt >= max_attempts,
            }])
        }
        ProcessingCommand::SetTopics { topic_ids } => {
            let topic_ids = sorted(&topic_ids);
            if state.decided_by_owner && state.topics == topic_ids {
                return Ok(vec![]);
            }
            if state.suggested.as_ref() == Some(&topic_ids) {
                Ok(vec![ProcessingEvent::TopicsAccepted { topic_ids }])
            } else {
                Ok(vec![ProcessingEvent::TopicsOverridden {
                    topic_ids,
                    previous: state.topics.clone(),
                }])
            }
        }
        ProcessingCommand::RequestReclassification => {
            if state.status == ProcessingStatus::Pending {
                // Already queued or running: one run at a time.
                return Ok(vec![]);
            }
            Ok(vec![ProcessingEvent::ReclassificationRequested {
                run: state.current_run() + 1,
            }])
        }
    }
}

fn check_run(state: &DocumentProcessing, run: u32) -> Result<(), ProcessingError> {
    if run == state.current_run() {
        Ok(())
    } else {
        Err(ProcessingError::StaleRun {
            got: run,
            current: state.current_run(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::aggregate::Aggregate;

    fn given(events: &[ProcessingEvent]) -> DocumentProcessing {
        events
            .iter()
            .fold(DocumentProcessing::default(), |s, e| s.evolve(e))
    }

    fn extracted(run: u32) -> ProcessingEvent {
        ProcessingEvent::TextExtracted {
            run,
            kind: ExtractionKind::Native,
            text_object: Some("u/derived/d.txt".into()),
            chars: 42,
            truncated: false,
        }
    }

    fn record_extraction(run: u32) -> ProcessingCommand {
        ProcessingCommand::RecordExtraction {
            run,
            kind: ExtractionKind::Native,
            text_object: Some("u/derived/d.txt".into()),
            chars: 42,
            truncated: false,
        }
    }

    fn classify(run: u32, topics: &[TopicId]) -> ProcessingCommand {
        ProcessingCommand::RecordClassification {
            run,
            classification: ClassificationRecord {
                provider: "builtin".into(),
                model: None,
                fell_back: false,
                suggestions: topics
                    .iter()
                    .map(|t| SuggestedTopic {
                        topic_id: *t,
                        confidence: 0.9,
                    })
                    .collect(),
                terms: vec!["invoice".into()],
            },
        }
    }

    fn fail(run: u32, permanent: bool) -> ProcessingCommand {
        ProcessingCommand::RecordFailure {
            run,
            code: "timeout".into(),
            permanent,
            max_attempts: 3,
        }
    }

    /// Applies a command's events to `history` and returns them.
    fn when(
        history: &mut Vec<ProcessingEvent>,
        command: ProcessingCommand,
    ) -> Vec<ProcessingEvent> {
        let events = decide(&given(history), command).unwrap();
        history.extend(events.clone());
        events
    }

    #[test]
    fn a_run_extracts_then_classifies_and_becomes_ready() {
        let topic = TopicId::new();
        let mut h = vec![];
        assert_eq!(when(&mut h, record_extraction(1)), vec![extracted(1)]);
        let events = when(&mut h, classify(1, &[topic]));
        assert_eq!(events.len(), 2);
        assert!(
            matches!(&events[0], ProcessingEvent::TopicsSuggested { terms, .. }
            if terms.value() == Some(&vec!["invoice".to_string()]))
        );
        let state = given(&h);
        assert_eq!(state.status, ProcessingStatus::Ready);
        assert_eq!(state.topics, vec![topic]);
    }

    #[test]
    fn a_retried_worker_appends_nothing_twice() {
        let topic = TopicId::new();
        let mut h = vec![];
        when(&mut h, record_extraction(1));
        assert_eq!(when(&mut h, record_extraction(1)), vec![]);
        when(&mut h, classify(1, &[topic]));
        assert_eq!(when(&mut h, classify(1, &[topic])), vec![]);
        assert_eq!(when(&mut h, fail(1, false)), vec![]);
    }

    #[test]
    fn classification_needs_text_and_the_current_run() {
        assert_eq!(
            decide(&given(&[]), classify(1, &[])),
            Err(ProcessingError::NotExtracted)
        );
        assert_eq!(
            decide(&given(&[]), record_extraction(2)),
            Err(ProcessingError::StaleRun { got: 2, current: 1 })
        );
    }

    #[test]
    fn failures_retry_until_the_bound_then_the_status_is_error() {
        let mut h = vec![];
        let first = when(&mut h, fail(1, false));
        assert!(matches!(
            first[0],
            ProcessingEvent::ProcessingFailed {
                attempt: 1,
                permanent: false,
                ..
            }
        ));
        assert_eq!(given(&h).status, ProcessingStatus::Pending);
        when(&mut h, fail(1, false));
        let third = when(&mut h, fail(1, false));
        assert!(matches!(
            third[0],
            ProcessingEvent::ProcessingFailed {
                attempt: 3,
                permanent: true,
                ..
            }
        ));
        assert_eq!(given(&h).status, ProcessingStatus::Error);
    }

    #[test]
    fn a_permanent_failure_ends_the_run_at_once() {
        let mut h = vec![];
        when(&mut h, fail(1, true));
        assert_eq!(given(&h).status, ProcessingStatus::Error);
        assert_eq!(when(&mut h, record_extraction(1)), vec![]);
    }

    #[test]
    fn the_owner_accepts_or_overrides_suggestions() {
        let (a, b) = (TopicId::new(), TopicId::new());
        let mut h = vec![];
        when(&mut h, record_extraction(1));
        when(&mut h, classify(1, &[a]));
        assert_eq!(
            when(&mut h, ProcessingCommand::SetTopics { topic_ids: vec![a] }),
            vec![ProcessingEvent::TopicsAccepted { topic_ids: vec![a] }]
        );
        assert_eq!(
            when(
                &mut h,
                ProcessingCommand::SetTopics {
                    topic_ids: vec![a, a]
                }
            ),
            vec![]
        );
        assert_eq!(
            when(&mut h, ProcessingCommand::SetTopics { topic_ids: vec![b] }),
            vec![ProcessingEvent::TopicsOverridden {
                topic_ids: vec![b],
                previous: vec![a]
            }]
        );
        assert_eq!(given(&h).topics, vec![b]);
    }

    #[test]
    fn hand_set_topics_survive_the_automatic_run() {
        let (mine, machine) = (TopicId::new(), TopicId::new());
        let mut h = vec![];
        when(
            &mut h,
            ProcessingCommand::SetTopics {
                topic_ids: vec![mine],
            },
        );
        when(&mut h, record_extraction(1));
        let events = when(&mut h, classify(1, &[machine]));
        assert_eq!(
            events[1],
            ProcessingEvent::DocumentClassified {
                run: 1,
                topic_ids: vec![mine]
            }
        );
    }

    #[test]
    fn reclassification_starts_a_new_run_that_reuses_the_text() {
        let (a, b) = (TopicId::new(), TopicId::new());
        let mut h = vec![];
        assert_eq!(
            when(&mut h, ProcessingCommand::RequestReclassification),
            vec![],
            "the first run is still pending"
        );
        when(&mut h, record_extraction(1));
        when(&mut h, classify(1, &[a]));
        when(&mut h, ProcessingCommand::SetTopics { topic_ids: vec![] });
        assert_eq!(
            when(&mut h, ProcessingCommand::RequestReclassification),
            vec![ProcessingEvent::ReclassificationRequested { run: 2 }]
        );
        let state = given(&h);
        assert_eq!(state.status, ProcessingStatus::Pending);
        assert!(state.text.is_some(), "the text is reused");
        assert!(matches!(
            decide(&state, classify(1, &[b])),
            Err(ProcessingError::StaleRun { .. })
        ));
        when(&mut h, classify(2, &[b]));
        assert_eq!(given(&h).topics, vec![b]);
    }
}
