//! Plain text, CSV and Markdown: decoding and light markup removal.

use std::borrow::Cow;

use domain::extraction::ExtractError;

use super::sink::TextSink;

/// Decodes text bytes: a UTF-8 or UTF-16 byte-order mark wins; otherwise UTF-8 when valid, else
/// Latin-1 (every byte is a character, so nothing is ever rejected).
pub(crate) fn decode(bytes: &[u8]) -> Cow<'_, str> {
    if let Some(rest) = bytes.strip_prefix(b"\xef\xbb\xbf") {
        return String::from_utf8_lossy(rest);
    }
    if let Some(rest) = bytes.strip_prefix(b"\xff\xfe") {
        return Cow::Owned(utf16(rest, u16::from_le_bytes));
    }
    if let Some(rest) = bytes.strip_prefix(b"\xfe\xff") {
        return Cow::Owned(utf16(rest, u16::from_be_bytes));
    }
    match std::str::from_utf8(bytes) {
        Ok(s) => Cow::Borrowed(s),
        Err(_) => Cow::Owned(bytes.iter().map(|&b| b as char).collect()),
    }
}

fn utf16(bytes: &[u8], from: fn([u8; 2]) -> u16) -> String {
    let units = bytes.chunks_exact(2).map(|c| from([c[0], c[1]]));
    char::decode_utf16(units)
        .map(|r| r.unwrap_or(char::REPLACEMENT_CHARACTER))
        .collect()
}

/// Plain text and CSV: line structure kept, whitespace tidied. (CSV separators stay: the search
/// tokenizer splits on them anyway.)
pub(crate) fn text(text: &str, sink: &mut TextSink) -> Result<(), ExtractError> {
    for line in text.split_inclusive('\n') {
        sink.check_deadline()?;
        if sink.is_full() {
            break;
        }
        sink.push(line);
    }
    Ok(())
}

/// Markdown: headings, quotes, list markers, emphasis, code fences and link targets removed;
/// link and image texts kept.
pub(crate) fn markdown(text: &str, sink: &mut TextSink) -> Result<(), ExtractError> {
    for line in text.lines() {
        sink.check_deadline()?;
        if sink.is_full() {
            break;
        }
        let trimmed = line.trim_start();
        if trimmed.starts_with("```") || trimmed.starts_with("~~~") {
            continue;
        }
        if trimmed.is_empty() {
            sink.paragraph();
            continue;
        }
        let content = trimmed
            .trim_start_matches('#')
            .trim_start_matches('>')
            .trim_start();
        let content = strip_list_marker(content);
        sink.push(&inline(content));
        sink.line_break();
    }
    Ok(())
}

fn strip_list_marker(s: &str) -> &str {
    if let Some(rest) = s
        .strip_prefix("- ")
        .or_else(|| s.strip_prefix("* "))
        .or_else(|| s.strip_prefix("+ "))
    {
        return rest;
    }
    let digits = s.chars().take_while(char::is_ascii_digit).count();
    if digits > 0 {
        if let Some(rest) = s[digits..].strip_prefix(". ") {
            return rest;
        }
    }
    s
}

/// `[text](url)` and `![alt](url)` become `text`/`alt`; `*`, `_`, `` ` `` and `~` markup goes.
fn inline(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut chars = s.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '*' | '`' | '~' => {}
            '_' if out.ends_with(|p: char| !p.is_alphanumeric()) || out.is_empty() => {}
            '!' if chars.peek() == Some(&'[') => {}
            ']' if chars.peek() == Some(&'(') => {
                // Skip the link target.
                for t in chars.by_ref() {
                    if t == ')' {
                        break;
                    }
                }
            }
            '[' | ']' => {}
            _ => out.push(c),
        }
    }
    out
}
