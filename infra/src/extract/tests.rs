//! Extraction of each format from documents generated in the test, and the hostile cases.

use std::time::Duration;

use bytes::Bytes;
use domain::extraction::{DocumentFormat, ExtractError, ExtractRequest, TextExtractor, TextMethod};

use super::*;

fn extractor() -> Extractor {
    Extractor::with_ocr(ExtractLimits::default(), Ocr::disabled())
}

fn request(bytes: impl Into<Bytes>, filename: &str) -> ExtractRequest {
    ExtractRequest {
        bytes: bytes.into(),
        content_type: None,
        filename: Some(filename.to_owned()),
    }
}

async fn text_of(bytes: impl Into<Bytes>, filename: &str) -> (String, DocumentFormat) {
    let out = extractor().extract(request(bytes, filename)).await.unwrap();
    assert_eq!(out.method, TextMethod::Native);
    assert!(!out.truncated);
    (out.text, out.format)
}

#[tokio::test]
async fn pdf_text_layer() {
    let pdf = samples::pdf(&["Quarterly invoice (paid)", "Total: 1,234.56 EUR"]);
    let (text, format) = text_of(pdf, "x.bin").await;
    assert_eq!(format, DocumentFormat::Pdf);
    assert!(text.contains("Quarterly invoice (paid)"), "{text}");
    assert!(text.contains("Total: 1,234.56 EUR"), "{text}");
}

#[tokio::test]
async fn docx_paragraphs_tabs_and_split_runs() {
    let doc = samples::docx_with_document(
        "<w:document xmlns:w=\"w\"><w:body>\
         <w:p><w:r><w:t>Hel</w:t></w:r><w:r><w:t>lo</w:t></w:r><w:r><w:tab/><w:t>World &amp; co</w:t></w:r></w:p>\
         <w:p><w:r><w:instrText>PAGE \\* MERGEFORMAT</w:instrText><w:t>Second</w:t></w:r></w:p>\
         </w:body></w:document>",
    );
    let (text, format) = text_of(doc, "letter.docx").await;
    assert_eq!(format, DocumentFormat::Docx);
    assert_eq!(text, "Hello World & co\n\nSecond");
}

#[tokio::test]
async fn odt_paragraphs() {
    let doc = samples::odt(&["Mietvertrag für die Wohnung", "Kaution: 3 Monatsmieten"]);
    let (text, format) = text_of(doc, "contract.odt").await;
    assert_eq!(format, DocumentFormat::Odt);
    assert_eq!(
        text,
        "Mietvertrag für die Wohnung\n\nKaution: 3 Monatsmieten"
    );
}

#[tokio::test]
async fn plain_text_markdown_and_csv() {
    let (text, format) = text_of("Just some notes.\r\nSecond line.", "notes.txt").await;
    assert_eq!(format, DocumentFormat::PlainText);
    assert_eq!(text, "Just some notes.\nSecond line.");

    let md = "# Title\n\nSome *emphasis* and a [link](https://example.com).\n\n```\ncode\n```\n- item one\n";
    let (text, format) = text_of(md, "readme.md").await;
    assert_eq!(format, DocumentFormat::Markdown);
    assert_eq!(text, "Title\n\nSome emphasis and a link.\n\ncode\nitem one");

    let (text, format) = text_of("name,amount\nrent,900\n", "budget.csv").await;
    assert_eq!(format, DocumentFormat::Csv);
    assert_eq!(text, "name,amount\nrent,900");

    // Latin-1 bytes that are not UTF-8 still decode.
    let (text, _) = text_of(&b"Gr\xfc\xdfe"[..], "latin1.txt").await;
    assert_eq!(text, "Grüße");
}

#[tokio::test]
async fn html_without_scripts_styles_or_comments() {
    let page = samples::html("Tax return 2025", &["Refund of 312 €", "Fish & chips"]);
    let page = page.replace(
        "Refund of 312 €",
        "Refund&nbsp;of 312 &euro; &#x2713; &#169;",
    );
    let (text, format) = text_of(page, "page").await;
    assert_eq!(format, DocumentFormat::Html);
    assert!(text.starts_with("Tax return 2025"), "{text}");
    assert!(text.contains("Refund of 312 € ✓ ©"), "{text}");
    assert!(text.contains("Fish & chips"), "{text}");
    assert!(!text.contains("secret") && !text.contains("color") && !text.contains("comment"));
}

#[tokio::test]
async fn email_headers_bodies_and_attachment_names() {
    let mail = samples::eml("Your booking", "The flight leaves at 7:40.");
    let (text, format) = text_of(mail, "mail").await;
    assert_eq!(format, DocumentFormat::Email);
    assert!(
        text.contains("From: Alice Example <alice@example.com>"),
        "{text}"
    );
    assert!(text.contains("Subject: Your booking"), "{text}");
    assert!(text.contains("The flight leaves at 7:40."), "{text}");
    assert!(text.contains("Attachments: scan.bin"), "{text}");
}

#[tokio::test]
async fn a_corrupt_pdf_fails_only_itself() {
    let mut bytes = b"%PDF-1.7\n".to_vec();
    bytes.extend((0..4096u32).map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8));
    let err = extractor()
        .extract(request(bytes, "broken.pdf"))
        .await
        .unwrap_err();
    assert_eq!(err.code(), "corrupt", "{err:?}");
    // The same extractor still works for the next document.
    let (text, _) = text_of(samples::pdf(&["still fine"]), "ok.pdf").await;
    assert!(text.contains("still fine"));
}

#[tokio::test]
async fn a_truncated_docx_is_corrupt() {
    let doc = samples::docx(&["hello"]);
    let err = extractor()
        .extract(request(doc[..doc.len() / 2].to_vec(), "half.docx"))
        .await
        .unwrap_err();
    assert!(matches!(err, ExtractError::Corrupt(_)), "{err:?}");
}

#[tokio::test]
async fn a_decompression_bomb_is_refused() {
    let bomb = samples::docx_bomb(200);
    assert!(bomb.len() < 1024 * 1024, "{} bytes", bomb.len());
    let err = extractor()
        .extract(request(bomb, "bomb.docx"))
        .await
        .unwrap_err();
    assert_eq!(err.code(), "decompression_bomb", "{err:?}");
}

#[tokio::test]
async fn archive_limits_apply_to_entry_count_and_total_size() {
    let limits = ExtractLimits {
        zip: ZipLimits {
            max_entries: 2,
            ..ZipLimits::default()
        },
        ..ExtractLimits::default()
    };
    let ex = Extractor::with_ocr(limits, Ocr::disabled());
    let err = ex
        .extract(request(samples::docx(&["x"]), "d.docx"))
        .await
        .unwrap_err();
    assert!(
        matches!(err, ExtractError::Bomb(ref m) if m.contains("entries")),
        "{err:?}"
    );

    let limits = ExtractLimits {
        zip: ZipLimits {
            max_total_bytes: 100,
            ..ZipLimits::default()
        },
        ..ExtractLimits::default()
    };
    let ex = Extractor::with_ocr(limits, Ocr::disabled());
    let long = "word ".repeat(100);
    let err = ex
        .extract(request(samples::docx(&[&long]), "d.docx"))
        .await
        .unwrap_err();
    assert!(matches!(err, ExtractError::Bomb(_)), "{err:?}");
}

#[tokio::test]
async fn input_and_output_are_capped() {
    let limits = ExtractLimits {
        max_input_bytes: 10,
        ..ExtractLimits::default()
    };
    let err = Extractor::with_ocr(limits, Ocr::disabled())
        .extract(request("far more than ten bytes", "a.txt"))
        .await
        .unwrap_err();
    assert_eq!(
        err,
        ExtractError::TooLarge {
            size: 23,
            limit: 10
        }
    );

    let limits = ExtractLimits {
        max_output_chars: 12,
        ..ExtractLimits::default()
    };
    let out = Extractor::with_ocr(limits, Ocr::disabled())
        .extract(request(
            samples::pdf(&["abcdefghijklmnopqrstuvwxyz"]),
            "a.pdf",
        ))
        .await
        .unwrap();
    assert!(out.truncated);
    assert_eq!(out.text, "abcdefghijkl");
}

#[tokio::test]
async fn slow_extraction_times_out() {
    let limits = ExtractLimits {
        timeout: Duration::from_millis(1),
        ..ExtractLimits::default()
    };
    let err = Extractor::with_ocr(limits, Ocr::disabled())
        .extract(request(samples::pdf(&["slow"]), "a.pdf"))
        .await
        .unwrap_err();
    assert_eq!(err, ExtractError::Timeout);
}

#[tokio::test]
async fn unknown_binaries_are_unsupported_and_images_need_ocr() {
    let err = extractor()
        .extract(request(vec![0u8, 159, 146, 150, 0, 1, 2], "blob.bin"))
        .await
        .unwrap_err();
    assert_eq!(err.code(), "unsupported");

    let png = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR".to_vec();
    let err = extractor()
        .extract(request(png, "scan.png"))
        .await
        .unwrap_err();
    assert_eq!(err, ExtractError::OcrUnavailable);

    let scan = samples::image_pdf(2, 2, &[255, 0, 0, 255]);
    let err = extractor()
        .extract(request(scan, "scan.pdf"))
        .await
        .unwrap_err();
    assert_eq!(err, ExtractError::OcrUnavailable);
}

#[test]
fn sniffing_prefers_magic_bytes_over_names() {
    assert_eq!(
        sniff(&samples::pdf(&["x"]), Some("a.txt"), Some("text/plain")),
        DocumentFormat::Pdf
    );
    assert_eq!(
        sniff(&samples::docx(&["x"]), Some("a.odt"), None),
        DocumentFormat::Docx
    );
    assert_eq!(
        sniff(&samples::odt(&["x"]), Some("a.docx"), None),
        DocumentFormat::Odt
    );
    assert_eq!(
        sniff(b"a,b\n1,2\n", None, Some("text/csv")),
        DocumentFormat::Csv
    );
    assert_eq!(
        sniff(b"<!doctype html><p>x", Some("a.txt"), None),
        DocumentFormat::Html
    );
    assert_eq!(
        sniff(samples::eml("s", "b").as_bytes(), None, None),
        DocumentFormat::Email
    );
    assert_eq!(
        sniff(b"Subject: no colon in first word\nhello", None, None),
        DocumentFormat::PlainText
    );
    assert_eq!(
        sniff(b"\xff\xd8\xff\xe0rest", Some("a.txt"), None),
        DocumentFormat::Image
    );
    assert_eq!(
        sniff(b"\0\x01binary", Some("a.txt"), None),
        DocumentFormat::Unknown
    );
}

/// Renders `lines` with poppler into a grayscale bitmap (what a scanner would produce).
async fn scanned(lines: &[&str]) -> (u32, u32, Vec<u8>) {
    let out = process::run(
        "pdftoppm",
        &["-r", "150", "-gray", "-singlefile", "-"],
        &samples::pdf(lines),
        64 * 1024 * 1024,
        std::time::Instant::now() + Duration::from_secs(30),
    )
    .await
    .unwrap();
    assert!(out.success);
    // PGM: "P5\n<w> <h>\n255\n" then one byte per pixel.
    let pgm = out.stdout;
    let mut fields = Vec::new();
    let mut i = 0;
    while fields.len() < 4 {
        while pgm[i].is_ascii_whitespace() {
            i += 1;
        }
        let start = i;
        while !pgm[i].is_ascii_whitespace() {
            i += 1;
        }
        fields.push(String::from_utf8_lossy(&pgm[start..i]).into_owned());
    }
    let (w, h): (u32, u32) = (fields[1].parse().unwrap(), fields[2].parse().unwrap());
    (w, h, pgm[i + 1..].to_vec())
}

/// OCR runs whenever Tesseract is installed (CI installs it); without it this test can only
/// check that OCR is reported unavailable, and says so.
#[tokio::test]
async fn ocr_of_images_and_scanned_pdfs_when_tesseract_is_installed() {
    let ocr = Ocr::detect().await;
    if !ocr.is_available() {
        assert!(
            std::env::var("CI").is_err(),
            "CI must install tesseract-ocr"
        );
        eprintln!("tesseract not installed: OCR test limited to the unavailable case");
        return;
    }
    let ex = Extractor::with_ocr(ExtractLimits::default(), ocr);
    let (w, h, pixels) = scanned(&["INVOICE NUMBER 4711", "Amount due in thirty days"]).await;
    let out = ex
        .extract(request(samples::image_pdf(w, h, &pixels), "scan.pdf"))
        .await
        .unwrap();
    assert_eq!(out.method, TextMethod::Ocr);
    assert!(out.text.contains("INVOICE NUMBER 4711"), "{}", out.text);
    assert!(out.text.contains("thirty days"), "{}", out.text);

    let png = process::run(
        "pdftoppm",
        &["-r", "150", "-png", "-singlefile", "-"],
        &samples::pdf(&["Library card renewal"]),
        64 * 1024 * 1024,
        std::time::Instant::now() + Duration::from_secs(30),
    )
    .await
    .unwrap()
    .stdout;
    let out = ex.extract(request(png, "photo")).await.unwrap();
    assert_eq!(
        (out.format, out.method),
        (DocumentFormat::Image, TextMethod::Ocr)
    );
    assert!(out.text.contains("Library card renewal"), "{}", out.text);
}
