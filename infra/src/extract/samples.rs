//! Small well-formed documents of each format, generated in code (no fixture downloads): for the
//! extractor tests and the extraction benchmark's corpus.

use std::io::{Cursor, Write};

use zip::write::SimpleFileOptions;
use zip::CompressionMethod;

/// Characters per line and lines per page of [`pdf`]: what fits a Letter page in 12 pt Helvetica.
const PDF_LINE_CHARS: usize = 90;
const PDF_PAGE_LINES: usize = 48;

/// A PDF whose text layer holds `lines` (ASCII; Helvetica, WinAnsi), wrapped at word boundaries
/// and paginated so that every word is on a page (text outside the page box is not extracted).
pub fn pdf(lines: &[&str]) -> Vec<u8> {
    let mut wrapped: Vec<String> = Vec::new();
    for line in lines {
        let mut current = String::new();
        for word in line.split(' ') {
            if !current.is_empty() && current.len() + 1 + word.len() > PDF_LINE_CHARS {
                wrapped.push(std::mem::take(&mut current));
            }
            if !current.is_empty() {
                current.push(' ');
            }
            current.push_str(word);
        }
        wrapped.push(current);
    }
    let pages: Vec<&[String]> = if wrapped.is_empty() {
        vec![&[]]
    } else {
        wrapped.chunks(PDF_PAGE_LINES).collect()
    };
    // Objects: 1 catalog, 2 page tree, 3 font, then a page and its content stream per page.
    let kids: Vec<String> = (0..pages.len())
        .map(|i| format!("{} 0 R", 4 + 2 * i))
        .collect();
    let mut objects = vec![
        "<< /Type /Catalog /Pages 2 0 R >>".to_owned(),
        format!(
            "<< /Type /Pages /Kids [{}] /Count {} >>",
            kids.join(" "),
            pages.len()
        ),
        "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>"
            .to_owned(),
    ];
    for (i, page) in pages.iter().enumerate() {
        let mut content = String::from("BT /F1 12 Tf 14 TL 40 750 Td\n");
        for line in page.iter() {
            let escaped = line
                .replace('\\', "\\\\")
                .replace('(', "\\(")
                .replace(')', "\\)");
            content.push_str(&format!("({escaped}) Tj T*\n"));
        }
        content.push_str("ET");
        objects.push(format!(
            "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents {} 0 R \
             /Resources << /Font << /F1 3 0 R >> >> >>",
            5 + 2 * i
        ));
        objects.push(stream_object("", content.as_bytes()));
    }
    pdf_objects(&objects)
}

/// A one-page PDF without a text layer: an 8-bit grayscale image (`pixels` row by row) drawn over
/// the whole page, as a scanner would produce.
pub fn image_pdf(width: u32, height: u32, pixels: &[u8]) -> Vec<u8> {
    assert_eq!(
        pixels.len(),
        (width * height) as usize,
        "one byte per pixel"
    );
    let content = format!("q {width} 0 0 {height} 0 0 cm /Im1 Do Q");
    let page = format!(
        "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 {width} {height}] /Contents 4 0 R \
         /Resources << /XObject << /Im1 5 0 R >> >> >>"
    );
    let image_dict = format!(
        "/Type /XObject /Subtype /Image /Width {width} /Height {height} \
         /ColorSpace /DeviceGray /BitsPerComponent 8"
    );
    pdf_objects_raw(vec![
        b"<< /Type /Catalog /Pages 2 0 R >>".to_vec(),
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>".to_vec(),
        page.into_bytes(),
        stream_object("", content.as_bytes()).into_bytes(),
        stream_object_bytes(&image_dict, pixels),
    ])
}

fn stream_object(extra: &str, data: &[u8]) -> String {
    String::from_utf8(stream_object_bytes(extra, data)).expect("text stream")
}

fn stream_object_bytes(extra: &str, data: &[u8]) -> Vec<u8> {
    let mut out = format!("<< {extra} /Length {} >>\nstream\n", data.len()).into_bytes();
    out.extend_from_slice(data);
    out.extend_from_slice(b"\nendstream");
    out
}

fn pdf_objects(objects: &[String]) -> Vec<u8> {
    pdf_objects_raw(objects.iter().map(|o| o.as_bytes().to_vec()).collect())
}

/// Numbers the objects from 1 and writes a correct cross-reference table.
fn pdf_objects_raw(objects: Vec<Vec<u8>>) -> Vec<u8> {
    let mut out = b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n".to_vec();
    let mut offsets = Vec::with_capacity(objects.len());
    for (i, body) in objects.iter().enumerate() {
        offsets.push(out.len());
        out.extend_from_slice(format!("{} 0 obj\n", i + 1).as_bytes());
        out.extend_from_slice(body);
        out.extend_from_slice(b"\nendobj\n");
    }
    let xref = out.len();
    out.extend_from_slice(
        format!("xref\n0 {}\n0000000000 65535 f \n", objects.len() + 1).as_bytes(),
    );
    for off in offsets {
        out.extend_from_slice(format!("{off:010} 00000 n \n").as_bytes());
    }
    out.extend_from_slice(
        format!(
            "trailer\n<< /Size {} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n",
            objects.len() + 1
        )
        .as_bytes(),
    );
    out
}

fn xml_escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

/// A DOCX with one paragraph per entry.
pub fn docx(paragraphs: &[&str]) -> Vec<u8> {
    let body: String = paragraphs
        .iter()
        .map(|p| {
            format!(
                "<w:p><w:r><w:t xml:space=\"preserve\">{}</w:t></w:r></w:p>",
                xml_escape(p)
            )
        })
        .collect();
    docx_with_document(&format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\
         <w:document xmlns:w=\"http://schemas.openxmlformats.org/wordprocessingml/2006/main\">\
         <w:body>{body}</w:body></w:document>"
    ))
}

/// A DOCX around the given `word/document.xml`.
pub fn docx_with_document(document_xml: &str) -> Vec<u8> {
    zip_of(&[
        (
            "[Content_Types].xml",
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\
             <Types xmlns=\"http://schemas.openxmlformats.org/package/2006/content-types\">\
             <Default Extension=\"rels\" ContentType=\"application/vnd.openxmlformats-package.relationships+xml\"/>\
             <Default Extension=\"xml\" ContentType=\"application/xml\"/>\
             <Override PartName=\"/word/document.xml\" ContentType=\"application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml\"/>\
             </Types>",
        ),
        (
            "_rels/.rels",
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\
             <Relationships xmlns=\"http://schemas.openxmlformats.org/package/2006/relationships\">\
             <Relationship Id=\"rId1\" Type=\"http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument\" Target=\"word/document.xml\"/>\
             </Relationships>",
        ),
        ("word/document.xml", document_xml),
    ])
}

/// An ODT with one paragraph per entry (the `mimetype` entry first and stored, as the
/// OpenDocument specification requires).
pub fn odt(paragraphs: &[&str]) -> Vec<u8> {
    let body: String = paragraphs
        .iter()
        .map(|p| format!("<text:p>{}</text:p>", xml_escape(p)))
        .collect();
    let content = format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\
         <office:document-content xmlns:office=\"urn:oasis:names:tc:opendocument:xmlns:office:1.0\" \
         xmlns:text=\"urn:oasis:names:tc:opendocument:xmlns:text:1.0\" office:version=\"1.2\">\
         <office:automatic-styles/><office:body><office:text>{body}</office:text></office:body>\
         </office:document-content>"
    );
    zip_of(&[
        ("mimetype", "application/vnd.oasis.opendocument.text"),
        (
            "META-INF/manifest.xml",
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\
             <manifest:manifest xmlns:manifest=\"urn:oasis:names:tc:opendocument:xmlns:manifest:1.0\">\
             <manifest:file-entry manifest:full-path=\"/\" manifest:media-type=\"application/vnd.oasis.opendocument.text\"/>\
             <manifest:file-entry manifest:full-path=\"content.xml\" manifest:media-type=\"text/xml\"/>\
             </manifest:manifest>",
        ),
        ("content.xml", &content),
    ])
}

/// A ZIP of text entries; `mimetype` is stored uncompressed, everything else deflated.
pub fn zip_of(entries: &[(&str, &str)]) -> Vec<u8> {
    let mut w = zip::ZipWriter::new(Cursor::new(Vec::new()));
    for (name, body) in entries {
        let method = if *name == "mimetype" {
            CompressionMethod::Stored
        } else {
            CompressionMethod::Deflated
        };
        w.start_file(
            *name,
            SimpleFileOptions::default().compression_method(method),
        )
        .expect("zip entry");
        w.write_all(body.as_bytes()).expect("zip write");
    }
    w.finish().expect("zip finish").into_inner()
}

/// A DOCX whose `word/document.xml` inflates to `inflated_mib` MiB of whitespace from a few
/// kilobytes: a decompression bomb.
pub fn docx_bomb(inflated_mib: usize) -> Vec<u8> {
    let mut w = zip::ZipWriter::new(Cursor::new(Vec::new()));
    let opts = SimpleFileOptions::default()
        .compression_method(CompressionMethod::Deflated)
        .compression_level(Some(9))
        .large_file(inflated_mib >= 4096);
    w.start_file("word/document.xml", opts).expect("zip entry");
    w.write_all(b"<w:document xmlns:w=\"x\"><w:body><w:p><w:r><w:t>")
        .expect("zip write");
    let block = vec![b' '; 1024 * 1024];
    for _ in 0..inflated_mib {
        w.write_all(&block).expect("zip write");
    }
    w.write_all(b"</w:t></w:r></w:p></w:body></w:document>")
        .expect("zip write");
    w.finish().expect("zip finish").into_inner()
}

/// An HTML page with a script, a style, entities and the given paragraphs.
pub fn html(title: &str, paragraphs: &[&str]) -> String {
    let body: String = paragraphs
        .iter()
        .map(|p| format!("<p class=\"x\">{}</p>\n", xml_escape(p)))
        .collect();
    format!(
        "<!DOCTYPE html>\n<html><head><title>{}</title>\
         <style>body {{ color: red }}</style>\
         <script>var secret = \"do not index me\";</script></head>\
         <body><!-- a comment -->{body}</body></html>",
        xml_escape(title)
    )
}

/// A multipart e-mail with a plain-text and an HTML alternative and one attachment.
pub fn eml(subject: &str, body: &str) -> String {
    format!(
        "From: Alice Example <alice@example.com>\r\n\
         To: Bob <bob@example.org>\r\n\
         Subject: {subject}\r\n\
         Date: Tue, 3 Nov 2026 10:00:00 +0000\r\n\
         Message-ID: <1@example.com>\r\n\
         MIME-Version: 1.0\r\n\
         Content-Type: multipart/mixed; boundary=\"outer\"\r\n\
         \r\n\
         --outer\r\n\
         Content-Type: multipart/alternative; boundary=\"alt\"\r\n\
         \r\n\
         --alt\r\n\
         Content-Type: text/plain; charset=utf-8\r\n\
         \r\n\
         {body}\r\n\
         --alt\r\n\
         Content-Type: text/html; charset=utf-8\r\n\
         \r\n\
         <p>{body}</p>\r\n\
         --alt--\r\n\
         --outer\r\n\
         Content-Type: application/octet-stream\r\n\
         Content-Disposition: attachment; filename=\"scan.bin\"\r\n\
         Content-Transfer-Encoding: base64\r\n\
         \r\n\
         AAECAw==\r\n\
         --outer--\r\n"
    )
}
