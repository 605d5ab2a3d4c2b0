//! The text-extraction port: turn a document's bytes into searchable text, within limits.

use async_trait::async_trait;
use bytes::Bytes;
use serde::{Deserialize, Serialize};

/// A document to extract text from. The bytes are already in memory: the caller enforces the
/// input size limit before fetching them whole.
#[derive(Debug, Clone)]
pub struct ExtractRequest {
    pub bytes: Bytes,
    /// The content type recorded for the document (sniffed at upload); a hint, never trusted alone.
    pub content_type: Option<String>,
    /// The document's filename; its extension is a hint for text formats that have no magic bytes.
    pub filename: Option<String>,
}

/// The formats DocuVault extracts text from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DocumentFormat {
    Pdf,
    Docx,
    Odt,
    PlainText,
    Markdown,
    Csv,
    Html,
    Email,
    Image,
    Unknown,
}

/// How the text was obtained.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TextMethod {
    /// Read from the format's own text layer.
    Native,
    /// Recognised from rendered pixels by OCR.
    Ocr,
}

/// Successfully extracted text.
#[derive(Debug, Clone, PartialEq)]
pub struct ExtractedText {
    pub text: String,
    pub format: DocumentFormat,
    pub method: TextMethod,
    /// The text hit the output cap and was cut.
    pub truncated: bool,
}

/// Why a document yielded no text. Each variant has a stable [`ExtractError::code`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ExtractError {
    /// The input is larger than the extractor accepts.
    #[error("input of {size} bytes exceeds the limit of {limit} bytes")]
    TooLarge { size: u64, limit: u64 },
    /// Extraction took longer than its time limit and was abandoned.
    #[error("extraction timed out")]
    Timeout,
    /// The file claims a format but is not a valid instance of it.
    #[error("corrupt document: {0}")]
    Corrupt(String),
    /// An archive that expands beyond its limits (entry count, total size or ratio).
    #[error("decompression bomb: {0}")]
    Bomb(String),
    /// A format without a text extractor (e.g. a video).
    #[error("unsupported format: {0}")]
    Unsupported(String),
    /// The document needs OCR (an image or an image-only PDF) and no OCR engine is installed.
    #[error("no OCR available")]
    OcrUnavailable,
    /// Anything else (a helper program missing or crashing). For the log, not for clients.
    #[error("extraction failed: {0}")]
    Internal(String),
}

impl ExtractError {
    /// A stable machine-readable code, safe to store in events and show to clients.
    pub fn code(&self) -> &'static str {
        match self {
            ExtractError::TooLarge { .. } => "too_large",
            ExtractError::Timeout => "timeout",
            ExtractError::Corrupt(_) => "corrupt",
            ExtractError::Bomb(_) => "decompression_bomb",
            ExtractError::Unsupported(_) => "unsupported",
            ExtractError::OcrUnavailable => "ocr_unavailable",
            ExtractError::Internal(_) => "internal",
        }
    }

    /// Whether trying the same bytes again could succeed (a crash of a helper, a busy machine).
    pub fn is_transient(&self) -> bool {
        matches!(self, ExtractError::Timeout | ExtractError::Internal(_))
    }
}

/// Extracts text from one document.
///
/// Contract: every failure is returned as an [`ExtractError`] for *this* document; an
/// implementation never panics on hostile input, never runs past its time limit, and never
/// allocates more than its configured caps (input size, output characters, archive expansion).
#[async_trait]
pub trait TextExtractor: Send + Sync {
    async fn extract(&self, request: ExtractRequest) -> Result<ExtractedText, ExtractError>;
}
