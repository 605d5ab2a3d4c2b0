//! A filesystem blob store whose signed URLs are served by the real `/api/blobs` routes on a
//! loopback port, for the port-level blob tests.

use std::sync::Arc;

use api::routes::blobs::FsBlobs;
use domain::ports::SystemClock;
use infra::blob::FsBlobStore;

/// Starts the blob routes on `127.0.0.1:0` and returns the store signing URLs for them.
/// `dir` holds the objects; the server lives as long as the test's runtime.
pub async fn serve_fs_store(dir: &std::path::Path) -> Arc<FsBlobStore> {
    // Bind first: the store's URLs need the port.
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let base = format!("http://{}", listener.local_addr().expect("addr"));
    let store = Arc::new(
        FsBlobStore::open(dir, rand_key(), Some(base), Arc::new(SystemClock))
            .await
            .expect("open fs store"),
    );
    let app = api::routes::blobs::router()
        .split_for_parts()
        .0
        .with_state(FsBlobs(Some(store.clone())));
    tokio::spawn(async move {
        axum::serve(listener, app).await.expect("serve blobs");
    });
    store
}

fn rand_key() -> Vec<u8> {
    uuid::Uuid::new_v4()
        .as_bytes()
        .iter()
        .chain(uuid::Uuid::new_v4().as_bytes())
        .copied()
        .collect()
}
