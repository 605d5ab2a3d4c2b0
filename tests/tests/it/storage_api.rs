//! `/api/storage-backends` against a real WebDAV server (Apache `mod_dav`): connecting checks
//! the account before storing anything, the list never carries a credential, the log and the
//! credentials table never hold the password in the clear, and another user cannot see, change
//! or remove someone's backend.

use reqwest::Method;
use serde_json::{json, Value};

use crate::auth_support::{Api, Session};
use docuvault_tests::webdav;

fn webdav_account(name: &str, password: &str) -> Value {
    json!({
        "kind": "webdav",
        "display_name": name,
        "url": webdav::server().url(&uuid::Uuid::now_v7().to_string()),
        "username": webdav::USERNAME,
        "password": password,
    })
}

async fn connect(api: &Api, who: &Session, body: Value) -> crate::auth_support::Reply {
    api.post("/api/storage-backends", Some(&who.access), body)
        .await
}

/// Makes the collection `url` names on the WebDAV server.
async fn mkcol(url: &str) {
    let res = reqwest::Client::new()
        .request(Method::from_bytes(b"MKCOL").unwrap(), url)
        .basic_auth(webdav::USERNAME, Some(webdav::PASSWORD))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 201, "MKCOL {url}");
}

#[tokio::test]
async fn connect_list_rename_default_and_disconnect_a_webdav_account() {
    let api = Api::spawn().await;
    let ann = api.user("ann").await;
    let body = webdav_account("My NAS", webdav::PASSWORD);
    // The collection does not exist yet: connecting needs it to.
    let missing = connect(&api, &ann, body.clone()).await;
    missing.expect_problem(422, "backend_protocol_error");
    let url = body["url"].as_str().unwrap();
    mkcol(url).await;
    let created = connect(&api, &ann, body.clone()).await.expect(201);
    let b = &created.body;
    assert_eq!(b["kind"], "webdav");
    assert_eq!(b["display_name"], "My NAS");
    assert_eq!(b["endpoint_host"], "127.0.0.1");
    assert_eq!(b["is_default"], false);
    assert_eq!(b["status"], "ok");
    assert_eq!(b["documents_count"], 0);
    let id = b["id"].as_str().unwrap().to_owned();
    // The probe left nothing behind but DocuVault's (empty) collection.
    let dir = webdav::server()
        .root
        .join(url.split("/dav/").nth(1).unwrap())
        .join(".docuvault");
    assert_eq!(std::fs::read_dir(&dir).unwrap().count(), 0);

    let list = api
        .get("/api/storage-backends", Some(&ann.access))
        .await
        .expect(200);
    assert_eq!(list.body["items"].as_array().unwrap().len(), 1);
    assert_eq!(list.body["items"][0]["id"], id.as_str());
    let text = list.body.to_string();
    assert!(!text.contains(webdav::PASSWORD), "{text}");
    assert!(!text.contains("password"), "{text}");

    let path = format!("/api/storage-backends/{id}");
    let patched = api
        .call(
            Method::PATCH,
            &path,
            Some(&ann.access),
            Some(json!({"display_name": "Home", "is_default": true})),
        )
        .await
        .expect(200);
    assert_eq!(patched.body["display_name"], "Home");
    assert_eq!(patched.body["is_default"], true);
    let back = api
        .call(
            Method::PATCH,
            &path,
            Some(&ann.access),
            Some(json!({"is_default": false})),
        )
        .await
        .expect(200);
    assert_eq!(back.body["is_default"], false);

    // The password is in neither the log nor, in the clear, the credentials table.
    assert!(!api.log_text().await.contains(webdav::PASSWORD));
    let sealed: Vec<Vec<u8>> = sqlx::query_scalar("select sealed from cloud_credentials")
        .fetch_all(&api.app.db.pool)
        .await
        .unwrap();
    assert_eq!(sealed.len(), 1);
    assert!(!sealed[0]
        .windows(webdav::PASSWORD.len())
        .any(|w| w == webdav::PASSWORD.as_bytes()));

    let types: Vec<String> = api.events().await.into_iter().map(|e| e.1).collect();
    for t in [
        "StorageBackendConnected",
        "StorageBackendRenamed",
        "DefaultStorageBackendChanged",
    ] {
        assert!(types.iter().any(|x| x == t), "{t} in {types:?}");
    }

    api.call(Method::DELETE, &path, Some(&ann.access), None)
        .await
        .expect(204);
    api.get(&path, Some(&ann.access)).await.expect(404);
    let count: i64 = sqlx::query_scalar("select count(*) from cloud_credentials")
        .fetch_one(&api.app.db.pool)
        .await
        .unwrap();
    assert_eq!(count, 0, "credentials go with the backend");
    assert!(api
        .events()
        .await
        .iter()
        .any(|e| e.1 == "StorageBackendDisconnected"));
}

#[tokio::test]
async fn a_failed_check_stores_nothing_and_says_why() {
    let api = Api::spawn().await;
    let ann = api.user("ann").await;
    let body = webdav_account("Wrong password", "not-the-password");
    mkcol(body["url"].as_str().unwrap()).await;
    connect(&api, &ann, body)
        .await
        .expect_problem(422, "backend_auth_failed");
    // A closed port: nobody listens.
    let port = infra::pgcluster::free_port().unwrap();
    let mut unreachable = webdav_account("Nobody", webdav::PASSWORD);
    unreachable["url"] = json!(format!("http://127.0.0.1:{port}/dav/"));
    connect(&api, &ann, unreachable)
        .await
        .expect_problem(422, "backend_unreachable");
    // Not allow-listed: a private address, and plain http to a public one.
    for url in [
        "https://10.1.2.3/dav/",
        "http://1.1.1.1/dav/",
        "https://[::1]/dav/",
    ] {
        let mut b = webdav_account("Private", webdav::PASSWORD);
        b["url"] = json!(url);
        connect(&api, &ann, b)
            .await
            .expect_problem(422, "backend_url_not_allowed");
    }
    let mut creds_in_url = webdav_account("In URL", webdav::PASSWORD);
    creds_in_url["url"] = json!("http://user:pw@127.0.0.1/dav/");
    connect(&api, &ann, creds_in_url)
        .await
        .expect_problem(422, "invalid_url");
    let mut onedrive = webdav_account("Kind", webdav::PASSWORD);
    onedrive["kind"] = json!("onedrive");
    connect(&api, &ann, onedrive)
        .await
        .expect_problem(400, "invalid_kind");
    let mut unnamed = webdav_account("  ", webdav::PASSWORD);
    unnamed["display_name"] = json!("  ");
    connect(&api, &ann, unnamed)
        .await
        .expect_problem(400, "invalid_display_name");

    let count: i64 = sqlx::query_scalar("select count(*) from cloud_credentials")
        .fetch_one(&api.app.db.pool)
        .await
        .unwrap();
    assert_eq!(count, 0);
    assert!(!api
        .events()
        .await
        .iter()
        .any(|e| e.1.starts_with("StorageBackend")));
    let list = api
        .get("/api/storage-backends", Some(&ann.access))
        .await
        .expect(200);
    assert_eq!(list.body["items"], json!([]));
    assert!(!api.log_text().await.contains("not-the-password"));
}

#[tokio::test]
async fn someone_elses_backend_is_not_there() {
    let api = Api::spawn().await;
    let ann = api.user("ann").await;
    let bob = api.user("bob").await;
    let body = webdav_account("Ann's", webdav::PASSWORD);
    mkcol(body["url"].as_str().unwrap()).await;
    let id = connect(&api, &ann, body).await.expect(201).body["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let path = format!("/api/storage-backends/{id}");
    api.get(&path, Some(&bob.access)).await.expect(404);
    api.call(
        Method::PATCH,
        &path,
        Some(&bob.access),
        Some(json!({"display_name": "Mine now"})),
    )
    .await
    .expect(404);
    api.call(Method::DELETE, &path, Some(&bob.access), None)
        .await
        .expect(404);
    let list = api
        .get("/api/storage-backends", Some(&bob.access))
        .await
        .expect(200);
    assert_eq!(list.body["items"], json!([]));
    api.get(&path, Some(&ann.access)).await.expect(200);
    api.get("/api/storage-backends", None).await.expect(401);
}

#[tokio::test]
async fn erasing_the_owner_forgets_the_backends_and_their_credentials() {
    let api = Api::spawn().await;
    let admin = api.with_role("root", domain::user::Role::Admin).await;
    let ann = api.user("ann").await;
    let body = webdav_account("Ann's", webdav::PASSWORD);
    mkcol(body["url"].as_str().unwrap()).await;
    connect(&api, &ann, body).await.expect(201);
    // The admin sees the account's backends, never a credential.
    let seen = api
        .get(&format!("/api/admin/users/{}", ann.id), Some(&admin.access))
        .await
        .expect(200);
    assert_eq!(seen.body["handle"], "ann");
    assert_eq!(seen.body["storage_backends"][0]["display_name"], "Ann's");
    assert_eq!(seen.body["storage_backends"][0]["status"], "ok");
    assert!(!seen.body.to_string().contains(webdav::PASSWORD));
    api.get(&format!("/api/admin/users/{}", ann.id), Some(&ann.access))
        .await
        .expect(403);
    api.post(
        &format!("/api/admin/users/{}/erase", ann.id),
        Some(&admin.access),
        json!({"reason": "ticket 42"}),
    )
    .await
    .expect(200);
    let credentials: i64 = sqlx::query_scalar("select count(*) from cloud_credentials")
        .fetch_one(&api.app.db.pool)
        .await
        .unwrap();
    assert_eq!(credentials, 0);
    // The read model follows the log: wait (bounded) for the projection to drop the rows.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    loop {
        let rows: i64 = sqlx::query_scalar("select count(*) from storage_backends")
            .fetch_one(&api.app.db.pool)
            .await
            .unwrap();
        if rows == 0 {
            break;
        }
        assert!(std::time::Instant::now() < deadline, "{rows} rows left");
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
}

#[tokio::test]
async fn rotating_the_credentials_key_reseals_every_row_or_none() {
    use commands::storage::{Connection, CredentialVault, Credentials};
    use domain::ids::{StorageBackendId, UserId};
    use infra::storage::{CloudCredsKey, PgCredentialVault};
    let db = docuvault_tests::TestDb::new().await;
    let (old, new) = (CloudCredsKey::generate(), CloudCredsKey::generate());
    let rows: Vec<(UserId, StorageBackendId)> = (0..3)
        .map(|_| (UserId::new(), StorageBackendId::new()))
        .collect();
    let creds = |i: usize| Connection {
        url: format!("https://dav{i}.example.org/"),
        credentials: Credentials::Basic {
            username: format!("user{i}"),
            password: format!("password {i}"),
        },
    };
    let before = PgCredentialVault::new(db.pool.clone(), old.clone());
    for (i, (user, backend)) in rows.iter().enumerate() {
        before.store(*user, *backend, &creds(i)).await.unwrap();
    }
    // A wrong "old" key opens nothing: the transaction changes nothing.
    let wrong = CloudCredsKey::generate();
    assert!(PgCredentialVault::rotate(&db.pool, &wrong, &new)
        .await
        .is_err());
    assert_eq!(
        before.load(rows[0].0, rows[0].1).await.unwrap(),
        Some(creds(0))
    );
    assert_eq!(
        PgCredentialVault::rotate(&db.pool, &old, &new)
            .await
            .unwrap(),
        3
    );
    let after = PgCredentialVault::new(db.pool.clone(), new);
    for (i, (user, backend)) in rows.iter().enumerate() {
        assert_eq!(after.load(*user, *backend).await.unwrap(), Some(creds(i)));
        assert!(
            before.load(*user, *backend).await.is_err(),
            "the old key opens nothing"
        );
    }
}

#[tokio::test]
async fn browsing_lists_the_servers_folders_and_files_a_page_at_a_time() {
    let api = Api::spawn().await;
    let ann = api.user("ann").await;
    let bob = api.user("bob").await;
    let body = webdav_account("Ann's", webdav::PASSWORD);
    let url = body["url"].as_str().unwrap().to_owned();
    mkcol(&url).await;
    let http = reqwest::Client::new();
    let put = |path: &str, bytes: &'static [u8]| {
        http.put(format!("{url}/{path}"))
            .basic_auth(webdav::USERNAME, Some(webdav::PASSWORD))
            .body(bytes)
            .send()
    };
    mkcol(&format!("{url}/Tax%202025")).await;
    assert!(put("Tax%202025/receipt.pdf", b"%PDF-1.7 receipt")
        .await
        .unwrap()
        .status()
        .is_success());
    for name in ["a.txt", "b%26c.txt", "z.txt"] {
        assert!(put(name, b"hello").await.unwrap().status().is_success());
    }
    let id = connect(&api, &ann, body).await.expect(201).body["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let browse = |query: &str| format!("/api/storage-backends/{id}/browse{query}");

    let root = api.get(&browse(""), Some(&ann.access)).await.expect(200);
    assert_eq!(root.body["path"], "/");
    let names: Vec<&str> = root.body["entries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["name"].as_str().unwrap())
        .collect();
    // Folders first, then files by name; DocuVault's own `.docuvault` is not shown.
    assert_eq!(names, vec!["Tax 2025", "a.txt", "b&c.txt", "z.txt"]);
    assert_eq!(root.body["entries"][0]["kind"], "folder");
    assert_eq!(root.body["entries"][0]["path"], "/Tax 2025/");
    assert_eq!(root.body["entries"][1]["kind"], "file");
    assert_eq!(root.body["entries"][1]["size_bytes"], 5);
    assert!(root.body["entries"][1]["modified_at"].is_string());
    assert_eq!(root.body["next_cursor"], Value::Null);

    let sub = api
        .get(&browse("?path=Tax%202025"), Some(&ann.access))
        .await
        .expect(200);
    assert_eq!(sub.body["path"], "/Tax 2025/");
    assert_eq!(sub.body["entries"][0]["name"], "receipt.pdf");
    assert_eq!(sub.body["entries"][0]["path"], "/Tax 2025/receipt.pdf");

    // Pages: two, then the rest.
    let first = api
        .get(&browse("?limit=2"), Some(&ann.access))
        .await
        .expect(200);
    assert_eq!(first.body["entries"].as_array().unwrap().len(), 2);
    let cursor = first.body["next_cursor"].as_str().unwrap().to_owned();
    let rest = api
        .get(
            &browse(&format!("?limit=2&cursor={}", urlencode(&cursor))),
            Some(&ann.access),
        )
        .await
        .expect(200);
    let rest_names: Vec<&str> = rest.body["entries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["name"].as_str().unwrap())
        .collect();
    assert_eq!(rest_names, vec!["b&c.txt", "z.txt"]);

    for bad in ["..", "a/../..", "%2E%2E", "a//b"] {
        api.get(&browse(&format!("?path={bad}")), Some(&ann.access))
            .await
            .expect_problem(422, "invalid_url");
    }
    api.get(&browse("?path=nowhere"), Some(&ann.access))
        .await
        .expect_problem(422, "backend_protocol_error");
    api.get(&browse(""), Some(&bob.access)).await.expect(404);
}

fn urlencode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// How the hostile server answers a listing (`PROPFIND Depth: 1`); it plays a proper WebDAV
/// server for the account check, so the backend connects.
#[derive(Clone, Copy)]
enum Hostile {
    /// An answer that never ends.
    EndlessBody,
    /// An entry outside the folder asked for.
    Traversal,
    /// An external entity (XXE).
    ExternalEntity,
    /// A redirect to another host.
    Redirect,
}

/// A WebDAV server on loopback that turns hostile when asked for a listing.
async fn hostile_server(mode: Hostile) -> String {
    use axum::body::Body;
    use axum::http::{Request, Response, StatusCode};
    let app = axum::Router::new().fallback(move |req: Request<Body>| async move {
        let depth = req
            .headers()
            .get("depth")
            .map(|v| v.to_str().unwrap_or("").to_owned());
        let path = req.uri().path().to_owned();
        let status = |s: u16| StatusCode::from_u16(s).unwrap();
        match (req.method().as_str(), depth.as_deref()) {
            ("PROPFIND", Some("0")) => Response::builder()
                .status(status(207))
                .body(Body::from(format!(
                    r#"<D:multistatus xmlns:D="DAV:"><D:response><D:href>{path}</D:href><D:propstat><D:prop><D:resourcetype><D:collection/></D:resourcetype></D:prop><D:status>HTTP/1.1 200 OK</D:status></D:propstat></D:response></D:multistatus>"#
                )))
                .unwrap(),
            ("PROPFIND", _) => match mode {
                Hostile::EndlessBody => {
                    let chunk = bytes::Bytes::from(vec![b' '; 64 * 1024]);
                    let endless = futures::stream::repeat_with(move || {
                        Ok::<_, std::io::Error>(chunk.clone())
                    });
                    Response::builder()
                        .status(status(207))
                        .body(Body::from_stream(endless))
                        .unwrap()
                }
                Hostile::Traversal => Response::builder()
                    .status(status(207))
                    .body(Body::from(format!(
                        r#"<D:multistatus xmlns:D="DAV:"><D:response><D:href>{path}../../etc/passwd</D:href><D:propstat><D:prop><D:resourcetype/></D:prop><D:status>HTTP/1.1 200 OK</D:status></D:propstat></D:response></D:multistatus>"#
                    )))
                    .unwrap(),
                Hostile::ExternalEntity => Response::builder()
                    .status(status(207))
                    .body(Body::from(format!(
                        r#"<?xml version="1.0"?><!DOCTYPE m [<!ENTITY x SYSTEM "file:///etc/passwd">]><D:multistatus xmlns:D="DAV:"><D:response><D:href>{path}&x;</D:href></D:response></D:multistatus>"#
                    )))
                    .unwrap(),
                Hostile::Redirect => Response::builder()
                    .status(status(302))
                    .header("location", "http://169.254.169.254/latest/meta-data/")
                    .body(Body::empty())
                    .unwrap(),
            },
            ("MKCOL", _) => Response::builder().status(status(201)).body(Body::empty()).unwrap(),
            ("PUT", _) => Response::builder().status(status(201)).body(Body::empty()).unwrap(),
            ("DELETE", _) => Response::builder().status(status(204)).body(Body::empty()).unwrap(),
            _ => Response::builder().status(status(405)).body(Body::empty()).unwrap(),
        }
    });
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    format!("http://{addr}/dav/")
}

#[tokio::test]
async fn a_hostile_servers_listing_is_bounded_and_refused() {
    let api = Api::spawn().await;
    let ann = api.user("ann").await;
    for mode in [
        Hostile::EndlessBody,
        Hostile::Traversal,
        Hostile::ExternalEntity,
        Hostile::Redirect,
    ] {
        let mut body = webdav_account("Hostile", "any password");
        body["url"] = json!(hostile_server(mode).await);
        let id = connect(&api, &ann, body).await.expect(201).body["id"]
            .as_str()
            .unwrap()
            .to_owned();
        let started = std::time::Instant::now();
        api.get(
            &format!("/api/storage-backends/{id}/browse"),
            Some(&ann.access),
        )
        .await
        .expect_problem(422, "backend_protocol_error");
        assert!(
            started.elapsed() < std::time::Duration::from_secs(30),
            "refused in bounded time"
        );
    }
}

#[tokio::test]
async fn a_nextcloud_account_connects_at_its_dav_url() {
    let api = Api::spawn().await;
    let ann = api.user("ann").await;
    let folder = uuid::Uuid::now_v7().to_string();
    mkcol(&webdav::server().url(&folder)).await;
    let created = connect(
        &api,
        &ann,
        json!({
            "kind": "nextcloud",
            "display_name": "Nextcloud",
            "url": webdav::server().nextcloud_url(&format!("{folder}/")),
            "username": webdav::USERNAME,
            "password": webdav::PASSWORD,
        }),
    )
    .await
    .expect(201);
    assert_eq!(created.body["kind"], "nextcloud");
    // The probe went through the Nextcloud-shaped URL into the same folder.
    assert!(webdav::server()
        .root
        .join(&folder)
        .join(".docuvault")
        .is_dir());
}

#[tokio::test]
async fn a_certificate_nobody_trusts_is_a_tls_failure() {
    let api = Api::spawn().await;
    let ann = api.user("ann").await;
    let folder = uuid::Uuid::now_v7().to_string();
    mkcol(&webdav::server().url(&folder)).await;
    let mut body = webdav_account("Self-signed", webdav::PASSWORD);
    body["url"] = json!(format!("{}/dav/{folder}/", webdav::server().tls_origin));
    connect(&api, &ann, body)
        .await
        .expect_problem(422, "backend_tls_failed");
}

#[tokio::test]
async fn refused_credentials_read_as_needs_reauth_until_new_ones_are_given() {
    use commands::storage::{Connection, CredentialVault, Credentials};
    use secrecy::ExposeSecret;
    let api = Api::spawn().await;
    let ann = api.user("ann").await;
    let body = webdav_account("Home", webdav::PASSWORD);
    let url = body["url"].as_str().unwrap().to_owned();
    mkcol(&url).await;
    let id = connect(&api, &ann, body).await.expect(201).body["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let path = format!("/api/storage-backends/{id}");
    // The account's password changed on the server: what DocuVault holds is refused now.
    let key = infra::storage::CloudCredsKey::from_base64(
        api.app
            .config
            .cloud_creds_key
            .as_ref()
            .unwrap()
            .expose_secret(),
    )
    .unwrap();
    let vault = infra::storage::PgCredentialVault::new(api.app.db.pool.clone(), key);
    let (user, backend) = (
        ann.id.parse::<domain::ids::UserId>().unwrap(),
        id.parse::<domain::ids::StorageBackendId>().unwrap(),
    );
    vault
        .store(
            user,
            backend,
            &Connection {
                url: url.clone(),
                credentials: Credentials::Basic {
                    username: webdav::USERNAME.into(),
                    password: "an old password".into(),
                },
            },
        )
        .await
        .unwrap();
    api.get(&format!("{path}/browse"), Some(&ann.access))
        .await
        .expect_problem(422, "backend_auth_failed");
    let listed = api.get(&path, Some(&ann.access)).await.expect(200);
    assert_eq!(listed.body["status"], "needs_reauth");
    // Wrong new ones are refused and change nothing; the right ones make it usable again.
    api.call(
        Method::PUT,
        &format!("{path}/credentials"),
        Some(&ann.access),
        Some(json!({"username": webdav::USERNAME, "password": "still wrong"})),
    )
    .await
    .expect_problem(422, "backend_auth_failed");
    let fixed = api
        .call(
            Method::PUT,
            &format!("{path}/credentials"),
            Some(&ann.access),
            Some(json!({"username": webdav::USERNAME, "password": webdav::PASSWORD})),
        )
        .await
        .expect(200);
    assert_eq!(fixed.body["status"], "ok");
    assert!(!fixed.body.to_string().contains(webdav::PASSWORD));
    api.get(&format!("{path}/browse"), Some(&ann.access))
        .await
        .expect(200);
}
