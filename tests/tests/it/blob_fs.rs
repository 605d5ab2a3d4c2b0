//! The `BlobStore` contract against the filesystem store, its signed URLs served by the real
//! `/api/blobs` routes; plus what only the filesystem store does (temp files, sidecars).

use std::sync::Arc;

use domain::blob::BlobStore;

async fn store() -> Arc<dyn BlobStore> {
    let dir = std::env::temp_dir().join(format!("docuvault-blobs-{}", uuid::Uuid::now_v7()));
    docuvault_tests::fsblobs::serve_fs_store(&dir).await
}

crate::blob_port_suite!(store());

#[tokio::test]
async fn interrupted_uploads_leave_no_object_and_no_temp_file() {
    use domain::blob::ObjectKey;
    use domain::ids::{DocumentId, UserId};
    use futures::StreamExt;
    let dir = std::env::temp_dir().join(format!("docuvault-blobs-{}", uuid::Uuid::now_v7()));
    let store = docuvault_tests::fsblobs::serve_fs_store(&dir).await;
    let k = ObjectKey::document(UserId::new(), DocumentId::new());
    let body = futures::stream::iter(vec![
        Ok(bytes::Bytes::from_static(b"partial")),
        Err(std::io::Error::other("client went away")),
    ])
    .boxed();
    assert!(store.put(&k, "text/plain", body, 100).await.is_err());
    assert!(store.head(&k).await.unwrap().is_none());
    let temp = std::fs::read_dir(dir.join("tmp")).unwrap().count();
    assert_eq!(temp, 0, "temp files left behind");
    let _ = std::fs::remove_dir_all(dir);
}
