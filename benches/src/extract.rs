//! Extraction throughput: a generated corpus of every supported text format (and, with
//! `--ocr`, scanned pages), extracted with bounded concurrency; documents/s and MB/s per format.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use domain::extraction::{DocumentFormat, ExtractRequest, TextExtractor};
use infra::extract::{samples, ExtractLimits, Extractor, Ocr};

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Documents per format.
    #[arg(long, default_value_t = 200)]
    per_format: usize,
    /// Paragraphs of generated prose per document (~60 words each).
    #[arg(long, default_value_t = 20)]
    paragraphs: usize,
    /// Extractions in flight at once.
    #[arg(long, default_value_t = 4)]
    concurrency: usize,
    /// Also include scanned (image-only) PDFs, OCRed by Tesseract.
    #[arg(long)]
    ocr: bool,
}

const WORDS: &[&str] = &[
    "invoice",
    "payment",
    "contract",
    "insurance",
    "doctor",
    "appointment",
    "flight",
    "hotel",
    "statement",
    "balance",
    "tenant",
    "landlord",
    "deposit",
    "warranty",
    "receipt",
    "tax",
    "refund",
    "policy",
    "claim",
    "salary",
    "pension",
    "school",
    "certificate",
    "meeting",
    "project",
    "report",
    "quarterly",
    "summary",
    "vehicle",
    "registration",
    "electricity",
    "water",
    "internet",
    "subscription",
    "renewal",
    "notice",
    "account",
    "transfer",
    "delivery",
    "order",
    "customer",
    "service",
    "agreement",
    "signature",
    "annual",
    "monthly",
    "due",
    "amount",
    "total",
    "reference",
    "number",
    "date",
    "address",
    "phone",
    "the",
    "and",
    "for",
    "with",
    "from",
    "your",
    "our",
    "this",
    "that",
    "will",
    "be",
    "is",
    "of",
    "to",
    "in",
];

/// Deterministic prose (a simple LCG), so runs are comparable.
fn prose(seed: u64, paragraphs: usize) -> Vec<String> {
    let mut state = seed.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1);
    (0..paragraphs)
        .map(|_| {
            (0..60)
                .map(|_| {
                    state = state
                        .wrapping_mul(6_364_136_223_846_793_005)
                        .wrapping_add(1_442_695_040_888_963_407);
                    WORDS[(state >> 33) as usize % WORDS.len()]
                })
                .collect::<Vec<_>>()
                .join(" ")
        })
        .collect()
}

fn corpus(args: &Args, scans: Option<&(u32, u32, Vec<u8>)>) -> Vec<(&'static str, Vec<u8>)> {
    let mut docs = Vec::new();
    for i in 0..args.per_format {
        let paras = prose(i as u64, args.paragraphs);
        let refs: Vec<&str> = paras.iter().map(String::as_str).collect();
        docs.push(("pdf", samples::pdf(&refs)));
        docs.push(("docx", samples::docx(&refs)));
        docs.push(("odt", samples::odt(&refs)));
        docs.push(("html", samples::html("Report", &refs).into_bytes()));
        docs.push((
            "eml",
            samples::eml("Report", &paras.join("\r\n\r\n")).into_bytes(),
        ));
        docs.push((
            "md",
            format!("# Report\n\n{}", paras.join("\n\n")).into_bytes(),
        ));
        docs.push(("csv", paras.join("\n").replace(' ', ",").into_bytes()));
        docs.push(("txt", paras.join("\n\n").into_bytes()));
        if let Some((w, h, px)) = scans {
            docs.push(("pdf-scan", samples::image_pdf(*w, *h, px)));
        }
    }
    docs
}

/// A rendered A4-ish page of text as a grayscale bitmap, via poppler.
fn scanned_page() -> anyhow::Result<(u32, u32, Vec<u8>)> {
    use std::io::Write;
    let pdf = samples::pdf(&prose(7, 3).iter().map(String::as_str).collect::<Vec<_>>());
    let mut child = std::process::Command::new("pdftoppm")
        .args(["-r", "150", "-gray", "-singlefile", "-"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()?;
    child.stdin.take().expect("stdin").write_all(&pdf)?;
    let out = child.wait_with_output()?;
    let pgm = out.stdout;
    let header: Vec<&[u8]> = pgm.splitn(5, |b| b.is_ascii_whitespace()).collect();
    let (w, h): (u32, u32) = (
        std::str::from_utf8(header[1])?.parse()?,
        std::str::from_utf8(header[2])?.parse()?,
    );
    let pixels = pgm[pgm.len() - (w * h) as usize..].to_vec();
    Ok((w, h, pixels))
}

#[derive(Default)]
struct Tally {
    docs: usize,
    bytes: usize,
    chars: usize,
    busy: Duration,
    failures: usize,
}

pub async fn run(args: Args) -> anyhow::Result<()> {
    let ocr = if args.ocr {
        let ocr = Ocr::detect().await;
        anyhow::ensure!(ocr.is_available(), "--ocr needs tesseract installed");
        ocr
    } else {
        Ocr::disabled()
    };
    let scans = if args.ocr {
        Some(scanned_page()?)
    } else {
        None
    };
    let docs = corpus(&args, scans.as_ref());
    let extractor = Arc::new(Extractor::with_ocr(ExtractLimits::default(), ocr));
    let semaphore = Arc::new(tokio::sync::Semaphore::new(args.concurrency.max(1)));
    let started = Instant::now();
    let mut tasks = Vec::with_capacity(docs.len());
    for (kind, bytes) in docs {
        let extractor = extractor.clone();
        let permit = semaphore.clone().acquire_owned().await?;
        tasks.push(tokio::spawn(async move {
            let _permit = permit;
            let size = bytes.len();
            let t = Instant::now();
            let result = extractor
                .extract(ExtractRequest {
                    bytes: bytes.into(),
                    content_type: None,
                    filename: None,
                })
                .await;
            (kind, size, t.elapsed(), result)
        }));
    }
    let mut tally: BTreeMap<&str, Tally> = BTreeMap::new();
    for task in tasks {
        let (kind, size, took, result) = task.await?;
        let t = tally.entry(kind).or_default();
        t.docs += 1;
        t.bytes += size;
        t.busy += took;
        match result {
            Ok(text) if text.format != DocumentFormat::Unknown => t.chars += text.text.len(),
            _ => t.failures += 1,
        }
    }
    let wall = started.elapsed();

    println!(
        "extraction: {} formats x {} documents, {} paragraphs each, concurrency {}",
        tally.len(),
        args.per_format,
        args.paragraphs,
        args.concurrency
    );
    println!("| format | docs | input MB | text MB | mean ms/doc | docs/s (1 worker) | failures |");
    println!("|---|---:|---:|---:|---:|---:|---:|");
    let (mut docs, mut bytes) = (0, 0);
    for (kind, t) in &tally {
        let mean = t.busy.as_secs_f64() * 1000.0 / t.docs as f64;
        println!(
            "| {kind} | {} | {:.1} | {:.1} | {mean:.2} | {:.0} | {} |",
            t.docs,
            t.bytes as f64 / 1e6,
            t.chars as f64 / 1e6,
            1000.0 / mean,
            t.failures
        );
        docs += t.docs;
        bytes += t.bytes;
    }
    println!(
        "total: {docs} documents, {:.1} MB in {:.2} s: {:.0} documents/s, {:.1} MB/s",
        bytes as f64 / 1e6,
        wall.as_secs_f64(),
        docs as f64 / wall.as_secs_f64(),
        bytes as f64 / 1e6 / wall.as_secs_f64()
    );
    Ok(())
}
