//! E-mail (`.eml`, RFC 5322/MIME): the main headers, then every text body (HTML bodies are
//! converted to text), then attachment names.

use domain::extraction::ExtractError;
use mail_parser::{Address, MessageParser, MimeHeaders};

use super::sink::TextSink;

pub(crate) fn extract(bytes: &[u8], sink: &mut TextSink) -> Result<(), ExtractError> {
    let message = MessageParser::default()
        .parse(bytes)
        .ok_or_else(|| ExtractError::Corrupt("not an e-mail message".into()))?;
    header(sink, "From", message.from());
    header(sink, "To", message.to());
    header(sink, "Cc", message.cc());
    if let Some(date) = message.date() {
        sink.push("Date: ");
        sink.push(&date.to_rfc3339());
        sink.line_break();
    }
    if let Some(subject) = message.subject() {
        sink.push("Subject: ");
        sink.push(subject);
        sink.line_break();
    }
    for i in 0..message.text_body_count() {
        sink.check_deadline()?;
        if sink.is_full() {
            break;
        }
        if let Some(body) = message.body_text(i) {
            sink.paragraph();
            sink.push(&body);
        }
    }
    let names: Vec<&str> = message
        .attachments()
        .filter_map(|a| a.attachment_name())
        .collect();
    if !names.is_empty() {
        sink.paragraph();
        sink.push("Attachments: ");
        sink.push(&names.join(", "));
    }
    Ok(())
}

fn header(sink: &mut TextSink, label: &str, address: Option<&Address<'_>>) {
    let Some(address) = address else { return };
    let people: Vec<String> = address
        .iter()
        .map(|a| match (a.name(), a.address()) {
            (Some(n), Some(e)) => format!("{n} <{e}>"),
            (Some(n), None) => n.to_owned(),
            (None, Some(e)) => e.to_owned(),
            (None, None) => String::new(),
        })
        .filter(|s| !s.is_empty())
        .collect();
    if !people.is_empty() {
        sink.push(label);
        sink.push(": ");
        sink.push(&people.join(", "));
        sink.line_break();
    }
}
