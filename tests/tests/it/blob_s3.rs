//! The `BlobStore` contract against the S3 store and a real S3-compatible server (`s3s-fs` on
//! loopback, or the one named by `DOCUVAULT_TEST_S3_ENDPOINT`).

use std::sync::Arc;

use domain::blob::BlobStore;
use infra::blob::S3BlobStore;

async fn s3() -> Arc<S3BlobStore> {
    let store = S3BlobStore::new(&docuvault_tests::s3server::s3_config());
    store.ensure_bucket().await.expect("bucket");
    Arc::new(store)
}

async fn store() -> Arc<dyn BlobStore> {
    s3().await
}

crate::blob_port_suite!(store());

#[tokio::test]
async fn a_declared_checksum_is_signed_into_the_upload_url() {
    use domain::blob::{ObjectKey, UploadSpec, Validity};
    use domain::ids::{DocumentId, UserId};
    use sha2::{Digest, Sha256};
    let store = s3().await;
    let k = ObjectKey::document(UserId::new(), DocumentId::new());
    let body = b"exact bytes".to_vec();
    let spec = UploadSpec {
        content_type: "text/plain".into(),
        content_length: body.len() as u64,
        sha256: Some(Sha256::digest(b"other bytes!").into()),
    };
    let p = store
        .presign_put(
            &k,
            &spec,
            Validity::new(chrono::Utc::now(), std::time::Duration::from_secs(60)),
        )
        .await
        .unwrap();
    assert!(
        p.headers
            .iter()
            .any(|(h, _)| h.eq_ignore_ascii_case("x-amz-checksum-sha256")),
        "the checksum header is part of the signed request: {:?}",
        p.headers
    );
    let mut req = reqwest::Client::new().put(&p.url).body(body);
    for (h, v) in &p.headers {
        req = req.header(h, v);
    }
    let status = req.send().await.unwrap().status();
    // The server either verifies the checksum (400 BadDigest) or stores the bytes; in the latter
    // case confirmation still compares hashes. It must never answer a 5xx.
    assert!(!status.is_server_error(), "{status}");
}
