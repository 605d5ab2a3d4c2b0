//! Listing a WebDAV collection (`PROPFIND Depth: 1`) for the browse dialog, bounded against a
//! hostile server: the answer is read up to [`MAX_ANSWER_BYTES`] and [`MAX_ENTRIES`] entries,
//! entity references other than the predefined and character ones are never expanded (no XXE,
//! no billion laughs), and every entry must name a direct child of the collection asked for —
//! an href elsewhere (`..`, another folder, another host) refuses the whole answer.

use std::borrow::Cow;

use chrono::{DateTime, Utc};
use commands::storage::{ConnectError, RemoteEntry};
use futures::StreamExt;
use quick_xml::events::Event;

use crate::xml::{local, predefined};

/// The largest `PROPFIND` answer read.
pub const MAX_ANSWER_BYTES: usize = 8 * 1024 * 1024;
/// The most entries one collection may list.
pub const MAX_ENTRIES: usize = 10_000;

/// The properties asked for.
pub const PROPFIND_BODY: &str = r#"<?xml version="1.0" encoding="utf-8"?>
<d:propfind xmlns:d="DAV:"><d:prop><d:resourcetype/><d:getcontentlength/><d:getlastmodified/><d:getcontenttype/></d:prop></d:propfind>"#;

fn protocol(why: impl Into<String>) -> ConnectError {
    ConnectError::Protocol(why.into())
}

/// Reads `res`'s body, refusing it past [`MAX_ANSWER_BYTES`].
pub async fn bounded_body(res: reqwest::Response) -> Result<String, ConnectError> {
    if res
        .content_length()
        .is_some_and(|n| n > MAX_ANSWER_BYTES as u64)
    {
        return Err(protocol("the listing is too large"));
    }
    let mut body = Vec::new();
    let mut stream = res.bytes_stream();
    while let Some(chunk) = stream.next().await {
        let chunk = chunk.map_err(|_| ConnectError::Unreachable)?;
        if body.len() + chunk.len() > MAX_ANSWER_BYTES {
            return Err(protocol("the listing is too large"));
        }
        body.extend_from_slice(&chunk);
    }
    String::from_utf8(body).map_err(|_| protocol("the listing is not UTF-8"))
}

/// One `<response>` as read.
#[derive(Default)]
struct Response {
    href: String,
    collection: bool,
    length: Option<String>,
    modified: Option<String>,
    content_type: Option<String>,
    /// Whether the properties were in a `200` propstat (others carry missing properties).
    ok: bool,
}

/// The entries of a multistatus answer to a `PROPFIND` on the collection at `collection_path`
/// (the request URL's path, percent-encoded, ending in `/`).
pub fn parse_multistatus(
    xml: &str,
    collection_path: &str,
) -> Result<Vec<RemoteEntry>, ConnectError> {
    let mut reader = quick_xml::Reader::from_str(xml);
    reader.config_mut().check_end_names = false;
    let mut responses = Vec::new();
    let mut current: Option<Response> = None;
    // The propstat being read: its properties, and whether its status was 200.
    let mut propstat: Option<(Response, bool)> = None;
    let mut text = String::new();
    loop {
        let event = reader
            .read_event()
            .map_err(|e| protocol(format!("the listing is not valid XML: {e}")))?;
        match event {
            Event::DocType(_) => return Err(protocol("the listing declares a DTD")),
            Event::Start(e) => {
                let name = local(e.local_name().as_ref()).to_owned();
                match name.as_str() {
                    "response" => current = Some(Response::default()),
                    "propstat" => propstat = Some((Response::default(), false)),
                    _ => {}
                }
                text.clear();
            }
            Event::Empty(e) if local(e.local_name().as_ref()) == "collection" => {
                if let Some((p, _)) = propstat.as_mut() {
                    p.collection = true;
                }
            }
            Event::Text(t) => {
                text.push_str(&t.xml10_content());
            }
            Event::GeneralRef(r) => {
                let c = match r.resolve_char_ref() {
                    Ok(Some(c)) => Some(c),
                    _ => predefined(&r),
                };
                if let Some(c) = c {
                    text.push(c);
                }
            }
            Event::End(e) => {
                let name = local(e.local_name().as_ref()).to_owned();
                let value = std::mem::take(&mut text).trim().to_owned();
                match name.as_str() {
                    "href" => {
                        if let Some(r) = current.as_mut() {
                            r.href = value;
                        }
                    }
                    "status" => {
                        if let Some((_, ok)) = propstat.as_mut() {
                            *ok = value.split_whitespace().nth(1) == Some("200");
                        }
                    }
                    "getcontentlength" | "getlastmodified" | "getcontenttype" => {
                        if let Some((p, _)) = propstat.as_mut() {
                            let slot = match name.as_str() {
                                "getcontentlength" => &mut p.length,
                                "getlastmodified" => &mut p.modified,
                                _ => &mut p.content_type,
                            };
                            *slot = Some(value);
                        }
                    }
                    "propstat" => {
                        if let (Some((p, true)), Some(r)) = (propstat.take(), current.as_mut()) {
                            r.collection |= p.collection;
                            r.length = p.length.or(r.length.take());
                            r.modified = p.modified.or(r.modified.take());
                            r.content_type = p.content_type.or(r.content_type.take());
                            r.ok = true;
                        }
                    }
                    "response" => {
                        if let Some(r) = current.take() {
                            responses.push(r);
                            if responses.len() > MAX_ENTRIES + 1 {
                                return Err(protocol("the folder has too many entries"));
                            }
                        }
                    }
                    _ => {}
                }
            }
            Event::Eof => break,
            _ => {}
        }
    }
    let base = decode(collection_path)?;
    let mut entries = Vec::new();
    for r in responses {
        let path = href_path(&r.href)?;
        let Some(rest) = path.strip_prefix(base.as_ref()) else {
            return Err(protocol("the listing names a resource outside the folder"));
        };
        let name = rest.trim_end_matches('/');
        if name.is_empty() {
            continue; // The collection itself.
        }
        if name.contains('/') || name == "." || name == ".." || name.chars().any(char::is_control) {
            return Err(protocol("the listing names a resource outside the folder"));
        }
        if !r.ok || name == ".docuvault" {
            continue;
        }
        entries.push(RemoteEntry {
            name: name.to_owned(),
            is_folder: r.collection,
            size_bytes: if r.collection {
                None
            } else {
                r.length.and_then(|l| l.parse().ok())
            },
            modified_at: r
                .modified
                .and_then(|m| DateTime::parse_from_rfc2822(&m).ok())
                .map(|m| m.with_timezone(&Utc)),
            content_type: r.content_type.filter(|_| !r.collection),
        });
    }
    Ok(entries)
}

/// An href's path, decoded: hrefs are absolute paths, or absolute URLs whose path is used.
fn href_path(href: &str) -> Result<Cow<'_, str>, ConnectError> {
    let path = match href.find("://") {
        Some(i) => {
            let after = &href[i + 3..];
            &after[after.find('/').unwrap_or(after.len())..]
        }
        None => href,
    };
    if !path.starts_with('/') {
        return Err(protocol("the listing has a relative href"));
    }
    decode(path)
}

fn decode(s: &str) -> Result<Cow<'_, str>, ConnectError> {
    percent_decode(s).ok_or_else(|| protocol("the listing has a malformed href"))
}

fn percent_decode(s: &str) -> Option<Cow<'_, str>> {
    if !s.contains('%') {
        return Some(Cow::Borrowed(s));
    }
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = s.get(i + 1..i + 3)?;
            out.push(u8::from_str_radix(hex, 16).ok()?);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).ok().map(Cow::Owned)
}

#[cfg(test)]
mod tests {
    use super::*;

    const LISTING: &str = r#"<?xml version="1.0" encoding="utf-8"?>
<D:multistatus xmlns:D="DAV:">
<D:response><D:href>/dav/ann/</D:href><D:propstat><D:prop><D:resourcetype><D:collection/></D:resourcetype></D:prop><D:status>HTTP/1.1 200 OK</D:status></D:propstat></D:response>
<D:response><D:href>/dav/ann/Tax%202025/</D:href><D:propstat><D:prop><D:resourcetype><D:collection/></D:resourcetype><D:getlastmodified>Mon, 07 Dec 2026 14:50:48 GMT</D:getlastmodified></D:prop><D:status>HTTP/1.1 200 OK</D:status></D:propstat></D:response>
<D:response><D:href>http://127.0.0.1:8080/dav/ann/R&amp;D.pdf</D:href><D:propstat><D:prop><D:resourcetype/><D:getcontentlength>1234</D:getcontentlength><D:getcontenttype>application/pdf</D:getcontenttype></D:prop><D:status>HTTP/1.1 200 OK</D:status></D:propstat><D:propstat><D:prop><D:getlastmodified/></D:prop><D:status>HTTP/1.1 404 Not Found</D:status></D:propstat></D:response>
<D:response><D:href>/dav/ann/.docuvault/</D:href><D:propstat><D:prop><D:resourcetype><D:collection/></D:resourcetype></D:prop><D:status>HTTP/1.1 200 OK</D:status></D:propstat></D:response>
</D:multistatus>"#;

    #[test]
    fn reads_folders_and_files_and_skips_itself_and_docuvault() {
        let entries = parse_multistatus(LISTING, "/dav/ann/").unwrap();
        assert_eq!(entries.len(), 2);
        assert_eq!(entries[0].name, "Tax 2025");
        assert!(entries[0].is_folder);
        assert!(entries[0].modified_at.is_some());
        assert_eq!(entries[1].name, "R&D.pdf");
        assert_eq!(entries[1].size_bytes, Some(1234));
        assert_eq!(entries[1].content_type.as_deref(), Some("application/pdf"));
    }

    #[test]
    fn entries_outside_the_folder_and_dtds_refuse_the_answer() {
        for href in [
            "/dav/other/x.pdf",
            "/dav/ann/a/b.pdf",
            "/dav/ann/%2E%2E",
            "/dav/ann/%zz",
        ] {
            let xml = format!(
                r#"<D:multistatus xmlns:D="DAV:"><D:response><D:href>{href}</D:href><D:propstat><D:prop><D:resourcetype/></D:prop><D:status>HTTP/1.1 200 OK</D:status></D:propstat></D:response></D:multistatus>"#
            );
            assert!(
                matches!(
                    parse_multistatus(&xml, "/dav/ann/"),
                    Err(ConnectError::Protocol(_))
                ),
                "{href}"
            );
        }
        let xxe = r#"<?xml version="1.0"?><!DOCTYPE d [<!ENTITY x SYSTEM "file:///etc/passwd">]><D:multistatus xmlns:D="DAV:"><D:response><D:href>/dav/ann/&x;</D:href></D:response></D:multistatus>"#;
        assert!(matches!(
            parse_multistatus(xxe, "/dav/ann/"),
            Err(ConnectError::Protocol(_))
        ));
    }
}
