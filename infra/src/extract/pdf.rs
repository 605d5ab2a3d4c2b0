//! PDF: the text layer through poppler's `pdftotext`; OCR when there is none.

use std::time::Instant;

use domain::extraction::{ExtractError, TextMethod};

use super::ocr::Ocr;
use super::process;
use super::sink::TextSink;
use super::ExtractLimits;

pub(crate) async fn extract(
    bytes: &[u8],
    limits: &ExtractLimits,
    ocr: &Ocr,
    deadline: Instant,
) -> Result<(String, bool, TextMethod), ExtractError> {
    let out = process::run(
        "pdftotext",
        &["-q", "-enc", "UTF-8", "-eol", "unix", "-", "-"],
        bytes,
        // UTF-8 is at most 4 bytes a character.
        limits.max_output_chars.saturating_mul(4),
        deadline,
    )
    .await?;
    if !out.success && !out.capped {
        return Err(ExtractError::Corrupt(
            "pdftotext could not read the PDF".into(),
        ));
    }
    let mut sink = TextSink::new(limits.max_output_chars, deadline);
    let raw = String::from_utf8_lossy(&out.stdout);
    // pdftotext ends each page with a form feed.
    for page in raw.split('\u{c}') {
        sink.push(page);
        sink.paragraph();
    }
    let (text, truncated) = sink.finish();
    if text.chars().any(char::is_alphanumeric) {
        return Ok((text, truncated || out.capped, TextMethod::Native));
    }
    // No text layer: a scan. OCR it, or say clearly that we cannot.
    let (text, truncated) = ocr.pdf(bytes, limits, deadline).await?;
    Ok((text, truncated, TextMethod::Ocr))
}
