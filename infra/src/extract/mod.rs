//! Text extraction for every format DocuVault indexes, within size and time limits.

mod email;
mod html;
mod ocr;
mod office;
mod pdf;
mod plain;
mod process;
pub mod samples;
mod sink;
mod sniff;
mod zipguard;

use std::time::{Duration, Instant};

use async_trait::async_trait;
use domain::extraction::{
    DocumentFormat, ExtractError, ExtractRequest, ExtractedText, TextExtractor, TextMethod,
};

pub use ocr::Ocr;
pub use sniff::sniff;
pub use zipguard::ZipLimits;

use sink::TextSink;

/// Every bound an extraction runs within. A document that exceeds one fails alone.
#[derive(Debug, Clone)]
pub struct ExtractLimits {
    /// Larger inputs are refused before any parsing.
    pub max_input_bytes: u64,
    /// Extracted text beyond this many characters is cut (and marked truncated).
    pub max_output_chars: usize,
    /// Wall-clock limit for one document, OCR included.
    pub timeout: Duration,
    /// Bounds on DOCX/ODT archives.
    pub zip: ZipLimits,
    /// OCR renders at most this many PDF pages.
    pub max_ocr_pages: u32,
}

impl Default for ExtractLimits {
    fn default() -> Self {
        Self {
            max_input_bytes: 64 * 1024 * 1024,
            // ~2 MB of text: far more than a search snippet or a classifier needs.
            max_output_chars: 2_000_000,
            timeout: Duration::from_secs(60),
            zip: ZipLimits::default(),
            max_ocr_pages: 20,
        }
    }
}

/// The built-in extractor: native parsers for office, markup and mail formats, poppler's
/// `pdftotext` for PDF, and Tesseract for images and image-only PDFs when it is installed.
#[derive(Debug, Clone)]
pub struct Extractor {
    limits: ExtractLimits,
    ocr: Ocr,
}

impl Extractor {
    /// Detects Tesseract on this machine once, now.
    pub async fn new(limits: ExtractLimits) -> Self {
        Self {
            ocr: Ocr::detect().await,
            limits,
        }
    }

    /// An extractor with an explicit OCR setting (tests use `Ocr::disabled()`).
    pub fn with_ocr(limits: ExtractLimits, ocr: Ocr) -> Self {
        Self { limits, ocr }
    }

    pub fn limits(&self) -> &ExtractLimits {
        &self.limits
    }

    pub fn ocr(&self) -> &Ocr {
        &self.ocr
    }

    async fn run(
        &self,
        format: DocumentFormat,
        request: ExtractRequest,
        deadline: Instant,
    ) -> Result<ExtractedText, ExtractError> {
        let limits = self.limits.clone();
        let bytes = request.bytes;
        let (text, truncated, method) = match format {
            DocumentFormat::Pdf => pdf::extract(&bytes, &limits, &self.ocr, deadline).await?,
            DocumentFormat::Image => {
                let (t, cut) = self.ocr.image(&bytes, &limits, deadline).await?;
                (t, cut, TextMethod::Ocr)
            }
            DocumentFormat::Unknown => {
                return Err(ExtractError::Unsupported(
                    request
                        .content_type
                        .unwrap_or_else(|| "application/octet-stream".into()),
                ))
            }
            // The remaining parsers are CPU-bound: off the async threads, checking the deadline.
            _ => {
                let (t, cut) = tokio::task::spawn_blocking(move || {
                    let mut sink = TextSink::new(limits.max_output_chars, deadline);
                    parse_native(format, &bytes, &limits, &mut sink)?;
                    Ok::<_, ExtractError>(sink.finish())
                })
                .await
                .map_err(|e| ExtractError::Internal(format!("extractor task: {e}")))??;
                (t, cut, TextMethod::Native)
            }
        };
        Ok(ExtractedText {
            text,
            format,
            method,
            truncated,
        })
    }
}

fn parse_native(
    format: DocumentFormat,
    bytes: &[u8],
    limits: &ExtractLimits,
    sink: &mut TextSink,
) -> Result<(), ExtractError> {
    match format {
        DocumentFormat::Docx => office::docx(bytes, &limits.zip, sink),
        DocumentFormat::Odt => office::odt(bytes, &limits.zip, sink),
        DocumentFormat::Html => html::extract(&plain::decode(bytes), sink),
        DocumentFormat::Email => email::extract(bytes, sink),
        DocumentFormat::Markdown => plain::markdown(&plain::decode(bytes), sink),
        DocumentFormat::PlainText | DocumentFormat::Csv => plain::text(&plain::decode(bytes), sink),
        DocumentFormat::Pdf | DocumentFormat::Image | DocumentFormat::Unknown => {
            unreachable!("handled by the caller")
        }
    }
}

#[async_trait]
impl TextExtractor for Extractor {
    #[tracing::instrument(skip_all, fields(size = request.bytes.len()))]
    async fn extract(&self, request: ExtractRequest) -> Result<ExtractedText, ExtractError> {
        let size = request.bytes.len() as u64;
        if size > self.limits.max_input_bytes {
            return Err(ExtractError::TooLarge {
                size,
                limit: self.limits.max_input_bytes,
            });
        }
        let format = sniff(
            &request.bytes,
            request.filename.as_deref(),
            request.content_type.as_deref(),
        );
        let deadline = Instant::now() + self.limits.timeout;
        // The parsers check the deadline themselves; this bound also covers a parser stuck
        // between checks (its blocking thread finishes on its own, bounded by the size caps).
        match tokio::time::timeout(self.limits.timeout, self.run(format, request, deadline)).await {
            Ok(result) => result,
            Err(_) => Err(ExtractError::Timeout),
        }
    }
}

#[cfg(test)]
mod tests;
