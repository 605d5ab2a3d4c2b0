//! OCR through Tesseract, when it is installed: images directly, PDFs rendered page by page with
//! poppler's `pdftoppm` first.

use std::path::{Path, PathBuf};
use std::time::Instant;

use domain::extraction::ExtractError;

use super::process;
use super::sink::TextSink;
use super::ExtractLimits;

/// The OCR engine, detected at run time.
#[derive(Debug, Clone)]
pub struct Ocr {
    /// `None`: no OCR on this machine; documents that need it are reported `ocr_unavailable`.
    program: Option<String>,
    /// Tesseract's `-l` argument, e.g. `eng` or `eng+deu`.
    languages: String,
}

impl Ocr {
    /// Looks for `tesseract` on the PATH.
    pub async fn detect() -> Self {
        let found = process::available("tesseract", "--version").await;
        if !found {
            tracing::info!("tesseract not found: images and image-only PDFs will not be OCRed");
        }
        Self {
            program: found.then(|| "tesseract".to_owned()),
            languages: "eng".to_owned(),
        }
    }

    /// No OCR, whatever is installed.
    pub fn disabled() -> Self {
        Self {
            program: None,
            languages: "eng".to_owned(),
        }
    }

    /// Recognise these Tesseract languages (`eng+deu`); each needs its traineddata installed.
    pub fn with_languages(mut self, languages: impl Into<String>) -> Self {
        self.languages = languages.into();
        self
    }

    pub fn is_available(&self) -> bool {
        self.program.is_some()
    }

    /// OCR of one image (PNG, JPEG, TIFF, …), fed on stdin.
    pub(crate) async fn image(
        &self,
        bytes: &[u8],
        limits: &ExtractLimits,
        deadline: Instant,
    ) -> Result<(String, bool), ExtractError> {
        let program = self
            .program
            .as_deref()
            .ok_or(ExtractError::OcrUnavailable)?;
        let mut sink = TextSink::new(limits.max_output_chars, deadline);
        self.recognise(program, Input::Bytes(bytes), limits, deadline, &mut sink)
            .await?;
        Ok(sink.finish())
    }

    /// OCR of a PDF without a text layer: pages rendered to grayscale PNGs in a private
    /// temporary directory, at most `max_ocr_pages` of them.
    pub(crate) async fn pdf(
        &self,
        bytes: &[u8],
        limits: &ExtractLimits,
        deadline: Instant,
    ) -> Result<(String, bool), ExtractError> {
        let program = self
            .program
            .as_deref()
            .ok_or(ExtractError::OcrUnavailable)?;
        let dir = TempDir::new()?;
        let prefix = dir.path().join("page");
        let last = limits.max_ocr_pages.to_string();
        let prefix_arg = prefix.to_string_lossy().into_owned();
        let out = process::run(
            "pdftoppm",
            &[
                "-q",
                "-r",
                "200",
                "-gray",
                "-png",
                "-f",
                "1",
                "-l",
                &last,
                "-",
                &prefix_arg,
            ],
            bytes,
            0,
            deadline,
        )
        .await?;
        if !out.success {
            return Err(ExtractError::Corrupt(
                "the PDF could not be rendered".into(),
            ));
        }
        let mut pages: Vec<PathBuf> = std::fs::read_dir(dir.path())
            .map_err(|e| ExtractError::Internal(format!("read render dir: {e}")))?
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.extension().is_some_and(|x| x == "png"))
            .collect();
        // pdftoppm zero-pads page numbers to a common width, so names sort in page order.
        pages.sort();
        let mut sink = TextSink::new(limits.max_output_chars, deadline);
        for page in pages {
            if sink.is_full() {
                break;
            }
            self.recognise(program, Input::File(&page), limits, deadline, &mut sink)
                .await?;
            sink.paragraph();
        }
        Ok(sink.finish())
    }

    async fn recognise(
        &self,
        program: &str,
        input: Input<'_>,
        limits: &ExtractLimits,
        deadline: Instant,
        sink: &mut TextSink,
    ) -> Result<(), ExtractError> {
        let (source, stdin): (String, &[u8]) = match input {
            Input::Bytes(b) => ("stdin".to_owned(), b),
            Input::File(p) => (p.to_string_lossy().into_owned(), &[]),
        };
        let out = process::run(
            program,
            &[&source, "stdout", "-l", &self.languages],
            stdin,
            limits.max_output_chars * 4,
            deadline,
        )
        .await?;
        if !out.success {
            return Err(ExtractError::Corrupt(format!(
                "OCR could not read the image: {}",
                out.stderr.lines().last().unwrap_or("")
            )));
        }
        sink.push(&String::from_utf8_lossy(&out.stdout));
        Ok(())
    }
}

enum Input<'a> {
    Bytes(&'a [u8]),
    File(&'a Path),
}

/// A private temporary directory, removed when dropped.
struct TempDir(PathBuf);

impl TempDir {
    fn new() -> Result<Self, ExtractError> {
        let path = std::env::temp_dir().join(format!("docuvault-ocr-{}", uuid::Uuid::new_v4()));
        std::fs::create_dir(&path)
            .map_err(|e| ExtractError::Internal(format!("create temp dir: {e}")))?;
        Ok(Self(path))
    }

    fn path(&self) -> &Path {
        &self.0
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}
