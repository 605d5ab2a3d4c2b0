//! DOCX (WordprocessingML) and ODT (OpenDocument Text): text from their XML parts.

use std::borrow::Cow;

use domain::extraction::ExtractError;
use quick_xml::events::Event;

use crate::xml::{local, predefined};

use super::sink::TextSink;
use super::zipguard::{GuardedZip, ZipLimits};

/// The main body, then footnotes and endnotes when present; headers and footers are left out
/// (they repeat on every page and add noise to search).
pub(crate) fn docx(
    bytes: &[u8],
    limits: &ZipLimits,
    sink: &mut TextSink,
) -> Result<(), ExtractError> {
    let mut zip = GuardedZip::open(bytes, limits)?;
    let body = zip
        .read("word/document.xml")?
        .ok_or_else(|| ExtractError::Corrupt("docx without word/document.xml".into()))?;
    docx_part(&utf8(&body), sink)?;
    let names = zip.names();
    for part in ["word/footnotes.xml", "word/endnotes.xml"] {
        if sink.is_full() || !names.iter().any(|n| n == part) {
            continue;
        }
        if let Some(xml) = zip.read(part)? {
            sink.paragraph();
            docx_part(&utf8(&xml), sink)?;
        }
    }
    Ok(())
}

fn docx_part(xml: &str, sink: &mut TextSink) -> Result<(), ExtractError> {
    // Only `w:t` holds document text; `w:instrText` (field codes) and the like are skipped.
    let mut in_text = false;
    walk(xml, sink, |item, sink| match item {
        Item::Open("t") => in_text = true,
        Item::Close("t") => in_text = false,
        Item::Close("p") => sink.paragraph(),
        Item::Empty("tab") => sink.space(),
        Item::Empty("br" | "cr") => sink.line_break(),
        Item::Close("tc") => sink.space(),
        Item::Close("tr") => sink.line_break(),
        Item::Text(t) if in_text => sink.push(&t),
        _ => {}
    })
}

/// ODT: `content.xml`'s `office:body`.
pub(crate) fn odt(
    bytes: &[u8],
    limits: &ZipLimits,
    sink: &mut TextSink,
) -> Result<(), ExtractError> {
    let mut zip = GuardedZip::open(bytes, limits)?;
    let content = zip
        .read("content.xml")?
        .ok_or_else(|| ExtractError::Corrupt("odt without content.xml".into()))?;
    let mut in_body = false;
    walk(&utf8(&content), sink, |item, sink| match item {
        Item::Open("body") => in_body = true,
        Item::Close("body") => in_body = false,
        Item::Close("p" | "h") => sink.paragraph(),
        Item::Empty("s" | "tab") => sink.space(),
        Item::Empty("line-break") => sink.line_break(),
        Item::Close("table-cell") => sink.space(),
        Item::Close("table-row") => sink.line_break(),
        Item::Text(t) if in_body => sink.push(&t),
        _ => {}
    })
}

fn utf8(bytes: &[u8]) -> Cow<'_, str> {
    String::from_utf8_lossy(bytes)
}

/// One step of an XML document, element names without their namespace prefix.
pub(crate) enum Item<'a> {
    Open(&'a str),
    Close(&'a str),
    Empty(&'a str),
    Text(Cow<'a, str>),
}

/// Walks an XML document. Entity references other than the five predefined ones and character
/// references are dropped: DTD entities are never expanded (no billion-laughs).
pub(crate) fn walk(
    xml: &str,
    sink: &mut TextSink,
    mut f: impl FnMut(Item<'_>, &mut TextSink),
) -> Result<(), ExtractError> {
    let mut reader = quick_xml::Reader::from_str(xml);
    reader.config_mut().check_end_names = false;
    loop {
        sink.check_deadline()?;
        if sink.is_full() {
            return Ok(());
        }
        let event = reader
            .read_event()
            .map_err(|e| ExtractError::Corrupt(format!("xml: {e}")))?;
        match event {
            Event::Start(e) => f(Item::Open(local(e.local_name().as_ref())), sink),
            Event::End(e) => f(Item::Close(local(e.local_name().as_ref())), sink),
            Event::Empty(e) => f(Item::Empty(local(e.local_name().as_ref())), sink),
            Event::Text(t) => f(Item::Text(t.xml10_content()), sink),
            Event::CData(t) => f(Item::Text(t.into_inner()), sink),
            Event::GeneralRef(r) => {
                let c = match r.resolve_char_ref() {
                    Ok(Some(c)) => Some(c),
                    Ok(None) => predefined(&r),
                    Err(_) => None,
                };
                if let Some(c) = c {
                    f(Item::Text(Cow::Owned(c.to_string())), sink);
                }
            }
            Event::Eof => return Ok(()),
            _ => {}
        }
    }
}
