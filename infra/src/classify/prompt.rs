//! The prompt sent to language-model providers and the parsing of their answers. The prompt holds
//! only the request's data: the owner's topic names, the filename and (a prefix of) the text.

use domain::classifier::{
    Classification, ClassifyError, ClassifyRequest, TopicCandidate, TopicScore,
};
use serde::Serialize;
use serde_json::Value;

/// Confidence given to a topic the model named without a number.
const UNSCORED_CONFIDENCE: f32 = 0.8;

const SYSTEM: &str = "You file documents into the user's topics. Choose only from the listed \
topics (zero, one or several). Answer with JSON only, no prose: \
{\"topics\": [{\"name\": \"<topic exactly as listed>\", \"confidence\": <0.0-1.0>}], \
\"terms\": [\"<up to five words from the document that justify the choice>\"]}";

/// Characters of document text put into a prompt unless configured otherwise: enough for the
/// first pages, small enough for any model's context.
pub fn default_max_chars() -> usize {
    8_000
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Message {
    pub role: &'static str,
    pub content: String,
}

/// The system and user messages for one document; the text is cut at `max_chars` characters.
pub fn messages(request: &ClassifyRequest, max_chars: usize) -> Vec<Message> {
    let topics: String = request
        .topics
        .iter()
        .map(|t| format!("- {}\n", t.name))
        .collect();
    let text: String = request.text.chars().take(max_chars).collect();
    vec![
        Message {
            role: "system",
            content: SYSTEM.to_owned(),
        },
        Message {
            role: "user",
            content: format!(
                "Topics:\n{topics}\nFilename: {}\n\nDocument text:\n<<<\n{text}\n>>>",
                request.filename
            ),
        },
    ]
}

/// Reads a model's reply: the JSON object in it (models like to wrap it in a code fence or a
/// sentence), topics matched to the request's by name (case-insensitively) or id.
pub fn parse_reply(
    content: &str,
    request: &ClassifyRequest,
    provider: &str,
    model: Option<String>,
) -> Result<Classification, ClassifyError> {
    let json = match (content.find('{'), content.rfind('}')) {
        (Some(a), Some(b)) if a < b => &content[a..=b],
        _ => {
            return Err(ClassifyError::BadResponse(
                "no JSON object in the reply".into(),
            ))
        }
    };
    let value: Value = serde_json::from_str(json)
        .map_err(|e| ClassifyError::BadResponse(format!("reply is not JSON: {e}")))?;
    let terms: Vec<String> = value["terms"]
        .as_array()
        .map(|a| {
            a.iter()
                .filter_map(|t| t.as_str().map(str::to_owned))
                .take(10)
                .collect()
        })
        .unwrap_or_default();
    let topics = value["topics"]
        .as_array()
        .ok_or_else(|| ClassifyError::BadResponse("reply has no `topics` list".into()))?;
    let scores = topics
        .iter()
        .filter_map(|entry| {
            let (label, confidence) = match entry {
                Value::String(s) => (s.as_str(), UNSCORED_CONFIDENCE),
                Value::Object(o) => (
                    o.get("name")
                        .or_else(|| o.get("topic"))
                        .or_else(|| o.get("id"))
                        .and_then(Value::as_str)?,
                    o.get("confidence")
                        .and_then(Value::as_f64)
                        .map(|c| c as f32)
                        .unwrap_or(UNSCORED_CONFIDENCE),
                ),
                _ => return None,
            };
            let topic = find_topic(&request.topics, label)?;
            Some(TopicScore {
                topic_id: topic.id,
                confidence,
                terms: terms.clone(),
            })
        })
        .collect();
    Ok(Classification {
        provider: provider.to_owned(),
        model,
        scores,
        fell_back: false,
    }
    .normalized(&request.topics))
}

fn find_topic<'a>(topics: &'a [TopicCandidate], label: &str) -> Option<&'a TopicCandidate> {
    let label = label.trim();
    topics
        .iter()
        .find(|t| {
            t.name.eq_ignore_ascii_case(label) || t.name.to_lowercase() == label.to_lowercase()
        })
        .or_else(|| topics.iter().find(|t| t.id.to_string() == label))
}
