//! Content-type sniffing from a document's first bytes. The client's declared type is only used
//! to refine a family the bytes already prove (a ZIP that is a .docx, text that is CSV); it can
//! never turn bytes into HTML, SVG or script.

/// How many leading bytes `sniff` looks at.
pub const SNIFF_LEN: usize = 1024;

const OCTET: &str = "application/octet-stream";

/// The content type of a document whose first bytes are `prefix` (at most [`SNIFF_LEN`] are
/// used), given what the client declared.
pub fn sniff(prefix: &[u8], declared: &str) -> String {
    let prefix = &prefix[..prefix.len().min(SNIFF_LEN)];
    let declared = declared
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    if let Some(t) = binary_signature(prefix) {
        return refine_zip(t, prefix, &declared).to_owned();
    }
    if let Some(t) = markup(prefix) {
        return t.to_owned();
    }
    if looks_like_text(prefix) {
        return refine_text(&declared).to_owned();
    }
    OCTET.to_owned()
}

fn binary_signature(p: &[u8]) -> Option<&'static str> {
    let table: &[(&[u8], &str)] = &[
        (b"%PDF-", "application/pdf"),
        (b"\x89PNG\r\n\x1a\n", "image/png"),
        (b"\xFF\xD8\xFF", "image/jpeg"),
        (b"GIF87a", "image/gif"),
        (b"GIF89a", "image/gif"),
        (b"II*\0", "image/tiff"),
        (b"MM\0*", "image/tiff"),
        (b"BM", "image/bmp"),
        (b"PK\x03\x04", "application/zip"),
        (b"PK\x05\x06", "application/zip"),
        (b"\x1F\x8B", "application/gzip"),
        (b"7z\xBC\xAF\x27\x1C", "application/x-7z-compressed"),
        (b"Rar!\x1A\x07", "application/vnd.rar"),
        (b"{\\rtf", "application/rtf"),
        (b"%!PS", "application/postscript"),
        (b"ID3", "audio/mpeg"),
        (b"OggS", "audio/ogg"),
        (b"fLaC", "audio/flac"),
        (
            b"\xD0\xCF\x11\xE0\xA1\xB1\x1A\xE1",
            "application/x-ole-storage",
        ),
    ];
    if let Some((_, t)) = table.iter().find(|(sig, _)| p.starts_with(sig)) {
        return Some(t);
    }
    if p.len() >= 12 && &p[..4] == b"RIFF" {
        return match &p[8..12] {
            b"WEBP" => Some("image/webp"),
            b"WAVE" => Some("audio/wav"),
            b"AVI " => Some("video/x-msvideo"),
            _ => None,
        };
    }
    if p.len() >= 12 && &p[4..8] == b"ftyp" {
        return Some(match &p[8..12] {
            b"heic" | b"heix" | b"mif1" => "image/heic",
            b"M4A " => "audio/mp4",
            b"qt  " => "video/quicktime",
            _ => "video/mp4",
        });
    }
    None
}

/// ZIP containers: OpenDocument names itself in the first entry; OOXML and EPUB are taken from
/// the declaration only when the bytes are a ZIP.
fn refine_zip<'a>(t: &'a str, p: &[u8], declared: &'a str) -> &'a str {
    match t {
        "application/zip" => {
            if let Some(i) = find(p, b"mimetype") {
                // The ODF/EPUB `mimetype` entry is stored uncompressed, right after its name.
                let rest = &p[i + b"mimetype".len()..];
                const KNOWN: &[&str] = &[
                    "application/vnd.oasis.opendocument.text",
                    "application/vnd.oasis.opendocument.spreadsheet",
                    "application/vnd.oasis.opendocument.presentation",
                    "application/epub+zip",
                ];
                if let Some(t) = KNOWN.iter().find(|t| rest.starts_with(t.as_bytes())) {
                    return t;
                }
            }
            if declared.starts_with("application/vnd.openxmlformats-officedocument.") {
                declared
            } else {
                "application/zip"
            }
        }
        "application/x-ole-storage" => match declared {
            "application/msword" | "application/vnd.ms-excel" | "application/vnd.ms-powerpoint" => {
                declared
            }
            _ => OCTET,
        },
        other => other,
    }
}

/// HTML, SVG and XML, detected the way browsers would (leading whitespace and a BOM skipped,
/// tags matched case-insensitively), so they can be marked as active content.
fn markup(p: &[u8]) -> Option<&'static str> {
    let p = p.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(p);
    let start = p.iter().position(|b| !b.is_ascii_whitespace())?;
    let p = &p[start..];
    let lower: Vec<u8> = p.iter().map(|b| b.to_ascii_lowercase()).collect();
    if lower.starts_with(b"<?xml") {
        return Some(if find(&lower, b"<svg").is_some() {
            "image/svg+xml"
        } else if find(&lower, b"<html").is_some() {
            "application/xhtml+xml"
        } else {
            "application/xml"
        });
    }
    if lower.starts_with(b"<svg") {
        return Some("image/svg+xml");
    }
    const HTML_TAGS: &[&[u8]] = &[
        b"<!doctype html",
        b"<html",
        b"<head",
        b"<body",
        b"<script",
        b"<iframe",
        b"<h1",
        b"<div",
        b"<font",
        b"<table",
        b"<a",
        b"<style",
        b"<title",
        b"<b",
        b"<br",
        b"<p",
        b"<img",
        b"<object",
        b"<embed",
        b"<meta",
        b"<form",
        b"<!--",
    ];
    for tag in HTML_TAGS {
        if lower.starts_with(tag) {
            // WHATWG: the tag must be followed by a space or `>` (comments need nothing).
            let next = lower.get(tag.len());
            if *tag == b"<!--"
                || matches!(
                    next,
                    None | Some(b' ' | b'>' | b'\t' | b'\n' | b'\r' | b'/')
                )
            {
                return Some("text/html");
            }
        }
    }
    None
}

fn looks_like_text(p: &[u8]) -> bool {
    if p.is_empty() {
        return true;
    }
    // A prefix may cut a multi-byte character in half: accept an incomplete tail.
    let valid = match std::str::from_utf8(p) {
        Ok(_) => true,
        Err(e) => e.error_len().is_none(),
    };
    valid
        && !p
            .iter()
            .any(|&b| b < 0x20 && !matches!(b, b'\t' | b'\n' | b'\r' | 0x0C))
}

fn refine_text(declared: &str) -> &str {
    match declared {
        "text/csv"
        | "text/markdown"
        | "application/json"
        | "text/tab-separated-values"
        | "text/calendar"
        | "text/vcard" => declared,
        _ => "text/plain",
    }
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_signatures_win_over_the_declaration() {
        assert_eq!(sniff(b"%PDF-1.7\n...", "text/html"), "application/pdf");
        assert_eq!(
            sniff(b"\x89PNG\r\n\x1a\n\0\0", "image/svg+xml"),
            "image/png"
        );
        assert_eq!(sniff(b"RIFF\0\0\0\0WEBPVP8 ", ""), "image/webp");
    }

    #[test]
    fn html_and_svg_are_recognised_whatever_was_declared() {
        assert_eq!(
            sniff(b"  <!DOCTYPE html><p>x", "application/pdf"),
            "text/html"
        );
        assert_eq!(
            sniff(b"\xEF\xBB\xBF<ScRiPt>alert(1)</script>", "text/plain"),
            "text/html"
        );
        assert_eq!(
            sniff(b"<svg xmlns='http://www.w3.org/2000/svg'>", "image/png"),
            "image/svg+xml"
        );
        assert_eq!(sniff(b"<?xml version='1.0'?><svg/>", ""), "image/svg+xml");
        assert_eq!(sniff(b"<abbr>not html</abbr>", ""), "text/plain");
    }

    #[test]
    fn zip_family_is_refined_only_within_itself() {
        let docx = "application/vnd.openxmlformats-officedocument.wordprocessingml.document";
        assert_eq!(sniff(b"PK\x03\x04rest", docx), docx);
        assert_eq!(sniff(b"PK\x03\x04rest", "text/html"), "application/zip");
        let mut odt = b"PK\x03\x04".to_vec();
        odt.extend_from_slice(&[0; 26]);
        odt.extend_from_slice(b"mimetypeapplication/vnd.oasis.opendocument.textPK");
        assert_eq!(sniff(&odt, ""), "application/vnd.oasis.opendocument.text");
    }

    #[test]
    fn text_and_binary() {
        assert_eq!(sniff("héllo, wörld\n".as_bytes(), "text/csv"), "text/csv");
        assert_eq!(sniff(b"plain", "text/html"), "text/plain");
        // A two-byte character cut in half by the prefix is still text.
        assert_eq!(sniff(&"é".as_bytes()[..1], ""), "text/plain");
        assert_eq!(
            sniff(b"\0\x01\x02\x03", "application/pdf"),
            "application/octet-stream"
        );
    }
}
