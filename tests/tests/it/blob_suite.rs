//! The `BlobStore` port's contract, as tests any implementation must pass: presigned PUT and GET
//! through a plain HTTP client, tampered/expired/mismatching requests refused, streaming put and
//! get, size limits, head and delete. `blob_fs` and `blob_s3` instantiate it; `blob_webdav`
//! instantiates the cases that need no presigned URL (a WebDAV server cannot sign one: DocuVault
//! relays the bytes), and checks that presigning says so.

use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use chrono::Utc;
use domain::blob::{BlobError, BlobStore, DownloadSpec, ObjectKey, UploadSpec, Validity};
use domain::ids::{DocumentId, UserId};
use futures::{stream, StreamExt};
use sha2::{Digest, Sha256};

fn key() -> ObjectKey {
    ObjectKey::document(UserId::new(), DocumentId::new())
}

fn fresh() -> Validity {
    Validity::new(Utc::now(), Duration::from_secs(300))
}

/// Issued an hour ago for one minute: long expired, no waiting needed.
fn expired() -> Validity {
    Validity::new(
        Utc::now() - chrono::Duration::hours(1),
        Duration::from_secs(60),
    )
}

fn upload_spec(body: &[u8]) -> UploadSpec {
    UploadSpec {
        content_type: "application/pdf".into(),
        content_length: body.len() as u64,
        sha256: None,
    }
}

async fn presigned_put(
    store: &dyn BlobStore,
    key: &ObjectKey,
    spec: &UploadSpec,
    validity: Validity,
    body: Vec<u8>,
) -> reqwest::Response {
    let p = store.presign_put(key, spec, validity).await.unwrap();
    assert_eq!(p.method, "PUT");
    let mut req = reqwest::Client::new().put(&p.url).body(body);
    for (k, v) in &p.headers {
        req = req.header(k, v);
    }
    req.send().await.unwrap()
}

fn chunked(data: Vec<u8>, chunk: usize) -> domain::blob::ByteStream {
    let chunks: Vec<Result<Bytes, std::io::Error>> = data
        .chunks(chunk)
        .map(|c| Ok(Bytes::copy_from_slice(c)))
        .collect();
    stream::iter(chunks).boxed()
}

async fn collect(mut s: domain::blob::ByteStream) -> Vec<u8> {
    let mut out = Vec::new();
    while let Some(c) = s.next().await {
        out.extend_from_slice(&c.unwrap());
    }
    out
}

fn pattern(len: usize) -> Vec<u8> {
    (0..len).map(|i| (i * 31 % 251) as u8).collect()
}

pub async fn presigned_put_then_get_round_trips(store: Arc<dyn BlobStore>) {
    let k = key();
    let body = b"%PDF-1.7 hello".to_vec();
    let res = presigned_put(&*store, &k, &upload_spec(&body), fresh(), body.clone()).await;
    assert!(res.status().is_success(), "PUT answered {}", res.status());
    let head = store.head(&k).await.unwrap().expect("stored");
    assert_eq!(head.size, body.len() as u64);
    if let Some(sha) = head.sha256 {
        assert_eq!(sha, <[u8; 32]>::from(Sha256::digest(&body)));
    }
    let get = store
        .presign_get(
            &k,
            &DownloadSpec {
                filename: "Résumé 2026.pdf".into(),
                content_type: "application/pdf".into(),
            },
            fresh(),
        )
        .await
        .unwrap();
    let res = reqwest::get(&get.url).await.unwrap();
    assert_eq!(res.status(), 200);
    let cd = res.headers()["content-disposition"]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(cd.starts_with("attachment"), "{cd}");
    assert!(
        cd.contains("filename*=UTF-8''R%C3%A9sum%C3%A9%202026.pdf"),
        "{cd}"
    );
    assert_eq!(res.bytes().await.unwrap().as_ref(), body.as_slice());
}

/// Larger than any default request-body limit: the signed PUT streams, it does not buffer.
pub async fn large_presigned_uploads_stream_through(store: Arc<dyn BlobStore>) {
    let k = key();
    let body = pattern(6 * 1024 * 1024 + 7);
    let spec = UploadSpec {
        content_type: "application/octet-stream".into(),
        content_length: body.len() as u64,
        sha256: None,
    };
    let res = presigned_put(&*store, &k, &spec, fresh(), body.clone()).await;
    assert!(res.status().is_success(), "PUT answered {}", res.status());
    assert_eq!(
        store.head(&k).await.unwrap().unwrap().size,
        body.len() as u64
    );
    let back = collect(store.get(&k).await.unwrap()).await;
    assert!(back == body);
}

pub async fn tampered_urls_are_refused(store: Arc<dyn BlobStore>) {
    let k = key();
    let body = b"bytes".to_vec();
    let p = store
        .presign_put(&k, &upload_spec(&body), fresh())
        .await
        .unwrap();
    // Point the signed URL at another object, and separately flip one signature character.
    let other = key();
    let retargeted = p.url.replace(
        &k.document_id().to_string(),
        &other.document_id().to_string(),
    );
    let flipped = flip_last_hex_or_char(&p.url);
    let mut urls = vec![flipped, flip_in_path(&p.url)];
    // The S3 key is visible in the URL; the filesystem store's is inside the signed claims.
    if retargeted != p.url {
        urls.push(retargeted);
    }
    for url in urls {
        let mut req = reqwest::Client::new().put(&url).body(body.clone());
        for (h, v) in &p.headers {
            req = req.header(h, v);
        }
        let res = req.send().await.unwrap();
        assert_eq!(res.status(), 403, "tampered PUT {url}");
    }
    assert!(store.head(&k).await.unwrap().is_none());
    assert!(store.head(&other).await.unwrap().is_none());

    // A valid object, then a tampered download URL.
    store
        .put(&k, "text/plain", chunked(body.clone(), 2), 100)
        .await
        .unwrap();
    let g = store
        .presign_get(&k, &download_spec(), fresh())
        .await
        .unwrap();
    let res = reqwest::get(flip_last_hex_or_char(&g.url)).await.unwrap();
    assert_eq!(res.status(), 403);
}

/// Changes a character in the middle of the URL's path (the key or the signed claims).
fn flip_in_path(url: &str) -> String {
    let path_start = url.find("://").map(|i| i + 3).unwrap_or(0);
    let path_start = path_start + url[path_start..].find('/').unwrap_or(0);
    let path_end = url.find('?').unwrap_or(url.len());
    let mid = (path_start + path_end) / 2;
    let mut bytes = url.as_bytes().to_vec();
    bytes[mid] = if bytes[mid] == b'A' { b'B' } else { b'A' };
    String::from_utf8(bytes).unwrap()
}

fn download_spec() -> DownloadSpec {
    DownloadSpec {
        filename: "a.txt".into(),
        content_type: "text/plain".into(),
    }
}

/// Changes the last character of the URL (the end of the signature for both stores).
fn flip_last_hex_or_char(url: &str) -> String {
    let mut chars: Vec<char> = url.chars().collect();
    let last = chars.last_mut().unwrap();
    *last = if *last == 'a' { 'b' } else { 'a' };
    chars.into_iter().collect()
}

pub async fn expired_urls_are_refused(store: Arc<dyn BlobStore>) {
    let k = key();
    let body = b"late".to_vec();
    let res = presigned_put(&*store, &k, &upload_spec(&body), expired(), body.clone()).await;
    // s3s-fs and the fs store answer 403; Garage answers 400 for an expired URL.
    assert!(
        matches!(res.status().as_u16(), 400 | 403),
        "expired PUT answered {}",
        res.status()
    );
    assert!(store.head(&k).await.unwrap().is_none());
    store
        .put(&k, "text/plain", chunked(body, 4), 100)
        .await
        .unwrap();
    let g = store
        .presign_get(&k, &download_spec(), expired())
        .await
        .unwrap();
    let res = reqwest::get(&g.url).await.unwrap();
    assert!(
        matches!(res.status().as_u16(), 400 | 403),
        "{}",
        res.status()
    );
}

pub async fn uploads_must_match_the_signed_type_and_length(store: Arc<dyn BlobStore>) {
    let k = key();
    let body = b"0123456789".to_vec();
    let spec = upload_spec(&body);
    let p = store.presign_put(&k, &spec, fresh()).await.unwrap();
    let send = |ct: &'static str, bytes: Vec<u8>| {
        let url = p.url.clone();
        let headers: Vec<(String, String)> = p
            .headers
            .iter()
            .filter(|(h, _)| !h.eq_ignore_ascii_case("content-type"))
            .filter(|(h, _)| !h.eq_ignore_ascii_case("content-length"))
            .cloned()
            .collect();
        async move {
            let mut req = reqwest::Client::new()
                .put(&url)
                .header("content-type", ct)
                .body(bytes);
            for (h, v) in &headers {
                req = req.header(h, v);
            }
            req.send().await.unwrap().status().as_u16()
        }
    };
    let longer = send("application/pdf", b"0123456789A".to_vec()).await;
    assert!(matches!(longer, 400 | 403), "longer body answered {longer}");
    let shorter = send("application/pdf", b"012345678".to_vec()).await;
    assert!(
        matches!(shorter, 400 | 403),
        "shorter body answered {shorter}"
    );
    let other_type = send("text/html", body.clone()).await;
    assert_eq!(other_type, 403, "other content type");
    assert!(store.head(&k).await.unwrap().is_none());
    assert_eq!(send("application/pdf", body).await, 200);
}

pub async fn streaming_put_get_prefix_and_delete(store: Arc<dyn BlobStore>) {
    let k = key();
    // Larger than one S3 multipart part, sent in small chunks.
    let data = pattern(9 * 1024 * 1024 + 123);
    let head = store
        .put(
            &k,
            "application/octet-stream",
            chunked(data.clone(), 64 * 1024),
            20 << 20,
        )
        .await
        .unwrap();
    assert_eq!(head.size, data.len() as u64);
    let want: [u8; 32] = Sha256::digest(&data).into();
    assert_eq!(head.sha256, Some(want));
    assert_eq!(
        store.head(&k).await.unwrap().unwrap().size,
        data.len() as u64
    );
    let back = collect(store.get(&k).await.unwrap()).await;
    assert!(back == data, "streamed content differs");
    assert_eq!(
        store.read_prefix(&k, 16).await.unwrap().as_ref(),
        &data[..16]
    );
    store.delete(&k).await.unwrap();
    assert!(store.head(&k).await.unwrap().is_none());
    store.delete(&k).await.unwrap();
    assert!(matches!(store.get(&k).await, Err(BlobError::NotFound)));
    assert!(matches!(
        store.read_prefix(&k, 16).await,
        Err(BlobError::NotFound)
    ));
}

pub async fn put_refuses_bodies_over_the_limit(store: Arc<dyn BlobStore>) {
    let k = key();
    let err = store
        .put(&k, "text/plain", chunked(pattern(101), 10), 100)
        .await
        .unwrap_err();
    assert!(matches!(err, BlobError::TooLarge { limit: 100 }), "{err:?}");
    assert!(store.head(&k).await.unwrap().is_none());
    // Exactly at the limit is fine; an empty object too.
    store
        .put(&k, "text/plain", chunked(pattern(100), 10), 100)
        .await
        .unwrap();
    let empty = key();
    let h = store
        .put(&empty, "text/plain", chunked(vec![], 1), 100)
        .await
        .unwrap();
    assert_eq!(h.size, 0);
    assert!(store.read_prefix(&empty, 16).await.unwrap().is_empty());
}

pub async fn derived_objects_live_beside_the_original(store: Arc<dyn BlobStore>) {
    let k = key();
    let text = ObjectKey::derived(k.owner(), k.document_id(), "text.txt").unwrap();
    store
        .put(&k, "application/pdf", chunked(b"%PDF-".to_vec(), 2), 100)
        .await
        .unwrap();
    store
        .put(&text, "text/plain", chunked(b"extracted".to_vec(), 3), 100)
        .await
        .unwrap();
    assert_eq!(store.head(&k).await.unwrap().unwrap().size, 5);
    assert_eq!(store.head(&text).await.unwrap().unwrap().size, 9);
    store.delete(&text).await.unwrap();
    assert!(store.head(&k).await.unwrap().is_some());
}

pub async fn active_content_is_served_inert(store: Arc<dyn BlobStore>) {
    let k = key();
    let html = b"<html><script>alert(1)</script></html>".to_vec();
    store
        .put(&k, "text/html", chunked(html, 8), 100)
        .await
        .unwrap();
    let g = store
        .presign_get(
            &k,
            &DownloadSpec {
                filename: "page.html".into(),
                content_type: "text/html".into(),
            },
            fresh(),
        )
        .await
        .unwrap();
    let res = reqwest::get(&g.url).await.unwrap();
    assert_eq!(res.status(), 200);
    assert_eq!(res.headers()["content-type"], "application/octet-stream");
    assert!(res.headers()["content-disposition"]
        .to_str()
        .unwrap()
        .starts_with("attachment"));
}

/// A store that cannot sign URLs says so (`Unsupported`), for both directions.
pub async fn presigning_is_unsupported(store: Arc<dyn BlobStore>) {
    let k = key();
    let put = store.presign_put(&k, &upload_spec(b"x"), fresh()).await;
    assert!(matches!(put, Err(BlobError::Unsupported)), "{put:?}");
    let get = store.presign_get(&k, &download_spec(), fresh()).await;
    assert!(matches!(get, Err(BlobError::Unsupported)), "{get:?}");
}

/// One `#[tokio::test]` per contract case, for a store made by `$make` (an async expression).
/// `relayed: $make` is for a store that cannot presign: the cases without presigned URLs.
#[macro_export]
macro_rules! blob_port_suite {
    (relayed: $make:expr) => {
        $crate::blob_port_suite!(@tests $make;
            presigning_is_unsupported,
            streaming_put_get_prefix_and_delete,
            put_refuses_bodies_over_the_limit,
            derived_objects_live_beside_the_original
        );
    };
    ($make:expr) => {
        $crate::blob_port_suite!(@tests $make;
            presigned_put_then_get_round_trips,
            large_presigned_uploads_stream_through,
            tampered_urls_are_refused,
            expired_urls_are_refused,
            uploads_must_match_the_signed_type_and_length,
            streaming_put_get_prefix_and_delete,
            put_refuses_bodies_over_the_limit,
            derived_objects_live_beside_the_original,
            active_content_is_served_inert
        );
    };
    (@tests $make:expr; $($case:ident),*) => {
        $(
            #[tokio::test]
            async fn $case() {
                let store = $make.await;
                $crate::blob_suite::$case(store).await;
            }
        )*
    };
}
