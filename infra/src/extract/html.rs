//! HTML: visible text only. Scripts, styles, comments and markup go; entities are decoded.

use domain::extraction::ExtractError;

use super::sink::TextSink;

/// Elements whose content is never visible text.
const HIDDEN: &[&str] = &[
    "script", "style", "template", "svg", "math", "iframe", "object",
];

/// Elements that start a new line or block when rendered.
const BLOCKS: &[&str] = &[
    "address",
    "article",
    "aside",
    "blockquote",
    "br",
    "dd",
    "div",
    "dl",
    "dt",
    "figcaption",
    "figure",
    "footer",
    "form",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "header",
    "hr",
    "li",
    "main",
    "nav",
    "ol",
    "p",
    "pre",
    "section",
    "table",
    "td",
    "th",
    "title",
    "tr",
    "ul",
];

pub(crate) fn extract(html: &str, sink: &mut TextSink) -> Result<(), ExtractError> {
    let mut rest = html;
    let mut text = String::new();
    while !rest.is_empty() {
        sink.check_deadline()?;
        if sink.is_full() {
            break;
        }
        let Some(lt) = rest.find('<') else {
            text.push_str(rest);
            break;
        };
        text.push_str(&rest[..lt]);
        rest = &rest[lt..];
        if let Some(after) = rest.strip_prefix("<!--") {
            rest = after.find("-->").map(|i| &after[i + 3..]).unwrap_or("");
            continue;
        }
        if rest.starts_with("<!") || rest.starts_with("<?") {
            rest = rest.find('>').map(|i| &rest[i + 1..]).unwrap_or("");
            continue;
        }
        let Some(tag) = parse_tag(rest) else {
            // A lone `<` in text.
            text.push('<');
            rest = &rest[1..];
            continue;
        };
        rest = &rest[tag.len..];
        flush(&mut text, sink);
        if !tag.closing && HIDDEN.contains(&tag.name.as_str()) {
            rest = skip_until_close(rest, &tag.name);
            sink.space();
            continue;
        }
        if BLOCKS.contains(&tag.name.as_str()) {
            sink.line_break();
        }
    }
    flush(&mut text, sink);
    Ok(())
}

fn flush(text: &mut String, sink: &mut TextSink) {
    if !text.is_empty() {
        sink.push(&decode_entities(text));
        text.clear();
    }
}

struct Tag {
    name: String,
    closing: bool,
    /// Bytes from `<` to the closing `>` inclusive.
    len: usize,
}

/// Parses `<name …>` or `</name>`; attribute values may contain `>` inside quotes.
fn parse_tag(s: &str) -> Option<Tag> {
    let bytes = s.as_bytes();
    let mut i = 1;
    let closing = bytes.get(1) == Some(&b'/');
    if closing {
        i += 1;
    }
    let start = i;
    while i < bytes.len() && (bytes[i].is_ascii_alphanumeric() || bytes[i] == b'-') {
        i += 1;
    }
    if i == start {
        return None;
    }
    let name = s[start..i].to_ascii_lowercase();
    let mut quote: Option<u8> = None;
    while i < bytes.len() {
        match (quote, bytes[i]) {
            (None, b'"' | b'\'') => quote = Some(bytes[i]),
            (Some(q), c) if c == q => quote = None,
            (None, b'>') => {
                return Some(Tag {
                    name,
                    closing,
                    len: i + 1,
                })
            }
            _ => {}
        }
        i += 1;
    }
    // Unterminated tag: the rest of the document is markup.
    Some(Tag {
        name,
        closing,
        len: s.len(),
    })
}

/// Skips to just after `</name>` (case-insensitive); raw-text elements cannot nest.
fn skip_until_close<'a>(s: &'a str, name: &str) -> &'a str {
    let needle = format!("</{name}");
    let lower = s.to_ascii_lowercase();
    match lower.find(&needle) {
        Some(i) => {
            let after = &s[i..];
            after.find('>').map(|j| &after[j + 1..]).unwrap_or("")
        }
        None => "",
    }
}

/// Decodes character references: numeric ones and the named ones that occur in practice.
pub(crate) fn decode_entities(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(amp) = rest.find('&') {
        out.push_str(&rest[..amp]);
        rest = &rest[amp..];
        let end = rest[1..]
            .find(|c: char| !(c.is_ascii_alphanumeric() || c == '#'))
            .map(|i| i + 1)
            .unwrap_or(rest.len());
        let name = &rest[1..end];
        match entity(name) {
            Some(c) => {
                out.push(c);
                rest = &rest[end..];
                rest = rest.strip_prefix(';').unwrap_or(rest);
            }
            None => {
                out.push('&');
                rest = &rest[1..];
            }
        }
    }
    out.push_str(rest);
    out
}

fn entity(name: &str) -> Option<char> {
    if let Some(num) = name.strip_prefix('#') {
        let code = match num.strip_prefix(['x', 'X']) {
            Some(hex) => u32::from_str_radix(hex, 16).ok()?,
            None => num.parse().ok()?,
        };
        return char::from_u32(code).filter(|&c| c != '\0');
    }
    Some(match name {
        "amp" => '&',
        "lt" => '<',
        "gt" => '>',
        "quot" => '"',
        "apos" => '\'',
        "nbsp" => ' ',
        "copy" => '©',
        "reg" => '®',
        "trade" => '™',
        "euro" => '€',
        "pound" => '£',
        "yen" => '¥',
        "cent" => '¢',
        "sect" => '§',
        "deg" => '°',
        "hellip" => '…',
        "mdash" => '—',
        "ndash" => '–',
        "lsquo" => '‘',
        "rsquo" => '’',
        "ldquo" => '“',
        "rdquo" => '”',
        "laquo" => '«',
        "raquo" => '»',
        "bull" => '•',
        "middot" => '·',
        "times" => '×',
        "auml" => 'ä',
        "ouml" => 'ö',
        "uuml" => 'ü',
        "Auml" => 'Ä',
        "Ouml" => 'Ö',
        "Uuml" => 'Ü',
        "szlig" => 'ß',
        "eacute" => 'é',
        "egrave" => 'è',
        "ecirc" => 'ê',
        "Eacute" => 'É',
        "aacute" => 'á',
        "agrave" => 'à',
        "acirc" => 'â',
        "iacute" => 'í',
        "oacute" => 'ó',
        "uacute" => 'ú',
        "ntilde" => 'ñ',
        "ccedil" => 'ç',
        "oslash" => 'ø',
        "aring" => 'å',
        _ => return None,
    })
}
