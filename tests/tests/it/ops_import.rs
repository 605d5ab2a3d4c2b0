//! `docuvault import-legacy` over a generated flat-file store: valid entries become ordinary
//! uploads with their original timestamps in the metadata, malformed ones are reported and
//! skipped, a document that cannot be imported leaves nothing behind, and a re-run imports
//! nothing twice.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use api::legacy_import::{import_dir, owner_context, Outcome};
use commands::CommandContext;
use docuvault_tests::docapp::{Backend, DocApp};
use domain::ids::UserId;
use domain::StreamId;
use reqwest::StatusCode;
use serde_json::json;

fn write(dir: &Path, rel: &str, bytes: &[u8]) {
    let p = dir.join(rel);
    std::fs::create_dir_all(p.parent().unwrap()).unwrap();
    std::fs::write(p, bytes).unwrap();
}

/// Two good entries (two generations of field names), one too big for the owner's quota, and
/// four malformed ones.
fn legacy_store() -> PathBuf {
    let dir = std::env::temp_dir().join(format!("docuvault-legacy-{}", uuid::Uuid::now_v7()));
    let report = b"%PDF-1.4 old report";
    write(&dir, "uploads/a1.pdf", report);
    write(
        &dir,
        "metadata/a1.json",
        json!({"id": "a1", "filename": "Old report.pdf", "content_type": "application/pdf",
               "uploaded_at": "2019-05-01T10:00:00Z", "size": report.len(), "topics": ["finance"]})
        .to_string()
        .as_bytes(),
    );
    write(&dir, "uploads/b2.txt", b"some notes");
    write(
        &dir,
        "metadata/b2.json",
        json!({"original_name": "notes.txt", "created_at": "2020-01-02T03:04:05Z"})
            .to_string()
            .as_bytes(),
    );
    write(&dir, "uploads/c3.bin", &vec![7u8; 5000]);
    write(
        &dir,
        "metadata/c3.json",
        json!({"filename": "huge.bin"}).to_string().as_bytes(),
    );
    write(&dir, "uploads/bad-json.txt", b"x");
    write(&dir, "metadata/bad-json.json", b"{not json");
    write(
        &dir,
        "metadata/no-file.json",
        json!({"filename": "ghost.txt"}).to_string().as_bytes(),
    );
    write(&dir, "uploads/no-name.bin", b"abc");
    write(
        &dir,
        "metadata/no-name.json",
        json!({"size": 3}).to_string().as_bytes(),
    );
    write(&dir, "uploads/wrong-size.txt", b"abc");
    write(
        &dir,
        "metadata/wrong-size.json",
        json!({"filename": "w.txt", "size": 999})
            .to_string()
            .as_bytes(),
    );
    dir
}

#[tokio::test]
async fn imports_a_generated_legacy_store_once() {
    let app = DocApp::spawn(Backend::Fs).await;
    let admin = app.admin("root").await;
    let alice = app.user("alice").await;
    let (status, body) = admin
        .put(
            &format!("/api/admin/users/{}/quota", alice.id),
            json!({"limit_bytes": 2000}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let dir = legacy_store();
    let cfg = (*app.app.config).clone();

    // A dry run changes nothing.
    let code = api::legacy_import::run(cfg.clone(), &dir, "@alice", true)
        .await
        .unwrap();
    assert_eq!(code, ExitCode::SUCCESS);
    app.settle_log().await;
    let (_, page) = alice.get("/api/documents").await;
    assert!(page["items"].as_array().unwrap().is_empty(), "{page}");

    let ctx = owner_context(app.command_context(), UserId(alice.id));
    let import = |ctx: &CommandContext| {
        let (ctx, dir) = (ctx.clone(), dir.clone());
        let svc = app.services();
        async move {
            import_dir(&ctx, svc, &dir, UserId(alice.id), false, &|_, _, _| {})
                .await
                .unwrap()
        }
    };
    let summary = import(&ctx).await;
    app.settle_log().await;
    assert_eq!(summary.imported(), 2, "{:?}", summary.outcomes);
    assert_eq!(summary.malformed(), 4, "{:?}", summary.outcomes);
    assert_eq!(summary.failed(), 1, "{:?}", summary.outcomes);
    for bad in ["bad-json", "no-file", "no-name", "wrong-size"] {
        assert!(
            matches!(summary.outcomes[bad], Outcome::Malformed(_)),
            "{bad}: {:?}",
            summary.outcomes[bad]
        );
    }
    let Outcome::Imported(a1) = summary.outcomes["a1"] else {
        panic!("{:?}", summary.outcomes["a1"]);
    };

    // Ordinary documents with their original names; the refused one left nothing behind.
    let (_, page) = alice.get("/api/documents?limit=50").await;
    let mut names: Vec<&str> = page["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["filename"].as_str().unwrap())
        .collect();
    names.sort();
    assert_eq!(names, vec!["Old report.pdf", "notes.txt"]);
    assert!(app.object_exists(alice.id, &a1.to_string()).await);
    let (_, doc) = alice.get(&format!("/api/documents/{a1}")).await;
    assert_eq!(doc["content_type"], "application/pdf");
    let events = app
        .app
        .core
        .store
        .read_stream(&StreamId::new("document", a1), 1)
        .await
        .unwrap();
    let extra = events[0].metadata.extra.clone().unwrap();
    assert_eq!(extra["legacy_import"]["legacy_id"], "a1");
    assert_eq!(
        extra["legacy_import"]["original_uploaded_at"],
        "2019-05-01T10:00:00Z"
    );
    assert_eq!(events[0].metadata.actor_id, Some(alice.id));

    // A re-run imports nothing twice (and still reports the document that does not fit).
    let code = api::legacy_import::run(cfg, &dir, "alice", false)
        .await
        .unwrap();
    assert_eq!(code, ExitCode::FAILURE);
    let again = import(&ctx).await;
    assert_eq!(again.imported(), 0, "{:?}", again.outcomes);
    assert_eq!(again.already(), 2);
    app.settle_log().await;
    let (_, page) = alice.get("/api/documents?limit=50").await;
    assert_eq!(page["items"].as_array().unwrap().len(), 2);
    std::fs::remove_dir_all(dir).unwrap();
}
