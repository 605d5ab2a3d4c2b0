//! The `BlobStore` contract against the WebDAV store and a real WebDAV server (Apache
//! `mod_dav_fs` on loopback), at a plain WebDAV URL and at Nextcloud's URL shape; and what the
//! store does with wrong credentials and with an object replaced while it is read.

use std::sync::Arc;

use docuvault_tests::webdav::{self, PASSWORD, USERNAME};
use domain::blob::{BlobError, BlobStore, ObjectKey};
use domain::ids::{DocumentId, UserId};
use futures::{stream, StreamExt};
use infra::blob::{WebDavBlobStore, WebDavConfig};
use secrecy::SecretString;

fn store_at(url: &str, password: &str) -> WebDavBlobStore {
    WebDavBlobStore::new(WebDavConfig {
        root: url.parse().expect("url"),
        username: USERNAME.into(),
        password: SecretString::from(password.to_owned()),
    })
    .expect("client")
}

async fn store() -> Arc<dyn BlobStore> {
    Arc::new(store_at(&webdav::server().url("suite/"), PASSWORD))
}

crate::blob_port_suite!(relayed: store());

mod nextcloud_url {
    async fn store() -> std::sync::Arc<dyn domain::blob::BlobStore> {
        let url = docuvault_tests::webdav::server().nextcloud_url("DocuVault");
        std::sync::Arc::new(super::store_at(&url, docuvault_tests::webdav::PASSWORD))
    }

    crate::blob_port_suite!(relayed: store());
}

fn body(data: &'static [u8]) -> domain::blob::ByteStream {
    stream::iter([Ok(bytes::Bytes::from_static(data))]).boxed()
}

#[tokio::test]
async fn wrong_credentials_are_an_error_that_does_not_show_the_password() {
    let store = store_at(&webdav::server().url("suite/"), "not-the-password");
    let key = ObjectKey::document(UserId::new(), DocumentId::new());
    let err = store
        .put(&key, "text/plain", body(b"hello"), 100)
        .await
        .unwrap_err();
    let text = format!("{err} {err:?}");
    assert!(matches!(err, BlobError::Backend(_)), "{text}");
    assert!(text.contains("credentials"), "{text}");
    assert!(!text.contains("not-the-password"), "{text}");
}

#[tokio::test]
async fn objects_are_files_at_their_key_and_no_part_file_is_left() {
    let server = webdav::server();
    let store = store_at(&server.url("layout/"), PASSWORD);
    let key = ObjectKey::document(UserId::new(), DocumentId::new());
    store
        .put(&key, "text/plain", body(b"first"), 100)
        .await
        .unwrap();
    store
        .put(&key, "text/plain", body(b"second!"), 100)
        .await
        .unwrap();
    let file = server.root.join("layout").join(key.to_string());
    assert_eq!(std::fs::read(&file).unwrap(), b"second!");
    let dir = file.parent().unwrap();
    let names: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    assert_eq!(names.len(), 1, "only the object itself: {names:?}");
    // Too large: refused, the old bytes stay and no part file lingers.
    let err = store
        .put(&key, "text/plain", body(b"far too long for the limit"), 10)
        .await
        .unwrap_err();
    assert!(matches!(err, BlobError::TooLarge { limit: 10 }), "{err:?}");
    assert_eq!(std::fs::read(&file).unwrap(), b"second!");
    assert_eq!(std::fs::read_dir(dir).unwrap().count(), 1);
}

#[tokio::test]
async fn through_the_outbound_policy_only_an_allow_listed_server_is_reached() {
    use infra::outbound::{OutboundError, OutboundPolicy};
    let url: reqwest::Url = webdav::server().url("policy").parse().unwrap();
    let refused = OutboundPolicy::default()
        .client_for(&url)
        .await
        .unwrap_err();
    assert_eq!(
        refused,
        OutboundError::SchemeNotAllowed,
        "plain http, not listed"
    );
    let listed: OutboundPolicy = "127.0.0.1".parse().unwrap();
    let client = listed.client_for(&url).await.unwrap();
    let store = WebDavBlobStore::with_client(
        client,
        WebDavConfig {
            root: url,
            username: USERNAME.into(),
            password: SecretString::from(PASSWORD.to_owned()),
        },
    );
    let key = ObjectKey::document(UserId::new(), DocumentId::new());
    store
        .put(&key, "text/plain", body(b"pinned"), 100)
        .await
        .unwrap();
    assert_eq!(
        store.read_prefix(&key, 100).await.unwrap().as_ref(),
        b"pinned"
    );
}
