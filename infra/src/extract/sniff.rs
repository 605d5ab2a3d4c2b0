//! Which extractor a document needs: magic bytes first, then the recorded content type (sniffed
//! at upload by `domain::document`) and the extension for text formats without magic.

use std::io::Cursor;

use domain::extraction::DocumentFormat;

/// Detects a document's format. Magic bytes win; the declared content type and the filename's
/// extension only decide between text formats that have no magic (plain text, Markdown, CSV).
pub fn sniff(bytes: &[u8], filename: Option<&str>, content_type: Option<&str>) -> DocumentFormat {
    if let Some(f) = sniff_magic(bytes) {
        return f;
    }
    if looks_like_email(bytes) {
        return DocumentFormat::Email;
    }
    if looks_like_html(bytes) {
        return DocumentFormat::Html;
    }
    if !looks_like_text(bytes) {
        return DocumentFormat::Unknown;
    }
    let ext = filename
        .and_then(|f| f.rsplit_once('.'))
        .map(|(_, e)| e.to_ascii_lowercase());
    let mime = content_type
        .map(|c| {
            c.split(';')
                .next()
                .unwrap_or("")
                .trim()
                .to_ascii_lowercase()
        })
        .unwrap_or_default();
    match (ext.as_deref(), mime.as_str()) {
        (Some("md" | "markdown"), _) | (_, "text/markdown") => DocumentFormat::Markdown,
        (Some("csv" | "tsv"), _) | (_, "text/csv" | "text/tab-separated-values") => {
            DocumentFormat::Csv
        }
        (Some("eml"), _) | (_, "message/rfc822") => DocumentFormat::Email,
        (Some("html" | "htm" | "xhtml"), _) | (_, "text/html") => DocumentFormat::Html,
        _ => DocumentFormat::PlainText,
    }
}

fn sniff_magic(bytes: &[u8]) -> Option<DocumentFormat> {
    // PDF allows up to 1024 bytes of junk before the header.
    let head = &bytes[..bytes.len().min(1024)];
    if head.windows(5).any(|w| w == b"%PDF-") {
        return Some(DocumentFormat::Pdf);
    }
    if is_image(bytes) {
        return Some(DocumentFormat::Image);
    }
    if bytes.starts_with(b"PK\x03\x04") {
        return Some(zip_kind(bytes));
    }
    None
}

/// Raster formats Tesseract reads (through leptonica).
fn is_image(b: &[u8]) -> bool {
    b.starts_with(b"\x89PNG\r\n\x1a\n")
        || b.starts_with(b"\xff\xd8\xff")
        || b.starts_with(b"GIF87a")
        || b.starts_with(b"GIF89a")
        || b.starts_with(b"II*\0")
        || b.starts_with(b"MM\0*")
        || (b.starts_with(b"BM") && b.len() > 14)
        || (b.len() > 12 && &b[..4] == b"RIFF" && &b[8..12] == b"WEBP")
        || (b.len() > 2 && b[0] == b'P' && matches!(b[1], b'4' | b'5' | b'6') && b[2] == b'\n')
}

/// DOCX has `word/document.xml`; ODT starts with a stored `mimetype` entry naming itself.
fn zip_kind(bytes: &[u8]) -> DocumentFormat {
    const ODT: &[u8] = b"mimetypeapplication/vnd.oasis.opendocument.text";
    if bytes.len() > 30 + ODT.len() && bytes[30..].starts_with(ODT) {
        return DocumentFormat::Odt;
    }
    // Reading the central directory only; no entry is decompressed here.
    match zip::ZipArchive::new(Cursor::new(bytes)) {
        Ok(archive) => {
            let names: Vec<String> = archive
                .file_names()
                .take(10_000)
                .filter_map(|n| n.ok().map(|n| n.into_owned()))
                .collect();
            let has = |name: &str| names.iter().any(|n| n == name);
            if has("word/document.xml") {
                DocumentFormat::Docx
            } else if has("content.xml") && has("mimetype") {
                DocumentFormat::Odt
            } else {
                DocumentFormat::Unknown
            }
        }
        // A damaged archive: its local headers still name the parts, so it fails as corrupt
        // in the right parser instead of passing as an unknown binary.
        Err(_) if contains(bytes, b"[Content_Types].xml") || contains(bytes, b"word/") => {
            DocumentFormat::Docx
        }
        Err(_) if contains(bytes, b"content.xml") => DocumentFormat::Odt,
        Err(_) => DocumentFormat::Unknown,
    }
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

fn looks_like_text(bytes: &[u8]) -> bool {
    let sample = &bytes[..bytes.len().min(8192)];
    if sample.starts_with(&[0xff, 0xfe]) || sample.starts_with(&[0xfe, 0xff]) {
        return true; // UTF-16 with a byte-order mark
    }
    if sample.contains(&0) {
        return false;
    }
    let controls = sample
        .iter()
        .filter(|&&b| b < 0x20 && !matches!(b, b'\n' | b'\r' | b'\t' | 0x0c))
        .count();
    controls * 100 <= sample.len()
}

fn looks_like_html(bytes: &[u8]) -> bool {
    let head = String::from_utf8_lossy(&bytes[..bytes.len().min(1024)]).to_ascii_lowercase();
    let head = head.trim_start_matches('\u{feff}').trim_start();
    head.starts_with("<!doctype html")
        || head.starts_with("<html")
        || head.starts_with("<head")
        || (head.starts_with("<?xml") && head.contains("<html"))
}

/// An RFC 5322 message starts with header fields; require a few well-known ones.
fn looks_like_email(bytes: &[u8]) -> bool {
    let head = String::from_utf8_lossy(&bytes[..bytes.len().min(4096)]);
    let mut known = 0;
    for line in head.lines() {
        if line.is_empty() {
            break;
        }
        if line.starts_with([' ', '\t']) {
            continue; // folded continuation
        }
        let Some((name, _)) = line.split_once(':') else {
            return false;
        };
        if name.is_empty() || name.contains(' ') {
            return false;
        }
        let name = name.to_ascii_lowercase();
        if matches!(
            name.as_str(),
            "from"
                | "to"
                | "subject"
                | "date"
                | "message-id"
                | "mime-version"
                | "received"
                | "return-path"
        ) {
            known += 1;
        }
    }
    known >= 2
}
