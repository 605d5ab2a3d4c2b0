//! Audit exports: the HTTP export and the CLI's export verify against the signing key in both
//! formats; a one-byte change anywhere (entries or manifest) is detected; exports are recorded.

use std::process::ExitCode;

use api::audit::export::SigningKey;
use api::audit::verify::{verify_export, ExportProblem};
use docuvault_tests::client::Client;
use docuvault_tests::docapp::{Backend, DocApp};
use reqwest::StatusCode;

use crate::ops_audit::{share, upload};

async fn export(c: &Client, query: &str) -> Vec<u8> {
    let res = c.get_raw(&format!("/api/audit/export?{query}")).await;
    assert_eq!(res.status(), StatusCode::OK);
    assert!(res.headers()["content-disposition"]
        .to_str()
        .unwrap()
        .starts_with("attachment"));
    res.bytes().await.unwrap().to_vec()
}

/// Flips one byte at `at` to another printable character.
fn flipped(bytes: &[u8], at: usize) -> Vec<u8> {
    let mut out = bytes.to_vec();
    out[at] = if out[at] == b'7' { b'8' } else { b'7' };
    out
}

async fn seeded() -> (DocApp, Client, String) {
    let app = DocApp::spawn(Backend::Fs).await;
    let alice = app.user("alice").await;
    app.user("bob").await;
    let doc = upload(&alice, "Ledger 2026.csv", b"a,b\n1,2\n").await;
    let id = doc["id"].as_str().unwrap().to_owned();
    share(&alice, &id, "bob", "view").await;
    let auditor = app.auditor("audrey").await;
    (app, auditor, id)
}

#[tokio::test]
async fn jsonl_and_csv_exports_verify_and_detect_a_one_byte_change() {
    let (app, auditor, id) = seeded().await;
    let key = SigningKey::from_config(&app.app.config).unwrap();

    let jsonl = export(&auditor, "format=jsonl").await;
    let check = verify_export(&jsonl, &key).unwrap();
    assert_eq!(check.format, "jsonl");
    assert!(check.entries >= 8, "{check:?}");
    assert_eq!(check.hashes_recomputed, check.entries);
    let text = String::from_utf8(jsonl.clone()).unwrap();
    assert!(text.contains("Ledger 2026.csv"));
    let first: serde_json::Value = serde_json::from_str(text.lines().next().unwrap()).unwrap();
    assert_eq!(first["chain"]["hash"].as_str().unwrap().len(), 64);
    assert!(first["chain"]["prev_hash"].is_string());

    // A one-byte change in the entries, then in the manifest's signed part.
    let entry_at = text.find("Ledger 2026").unwrap() + 8;
    assert!(matches!(
        verify_export(&flipped(&jsonl, entry_at), &key),
        Err(ExportProblem::ContentAltered { .. })
    ));
    let manifest_at = text.rfind("\"entries\":").unwrap() + 10;
    assert!(verify_export(&flipped(&jsonl, manifest_at), &key).is_err());
    // Another key does not verify it.
    assert!(matches!(
        verify_export(&jsonl, &SigningKey::new(b"someone else's key")),
        Err(ExportProblem::WrongKey { .. })
    ));

    // CSV of one document's history.
    let csv = export(&auditor, &format!("format=csv&document_id={id}")).await;
    let check = verify_export(&csv, &key).unwrap();
    assert_eq!(check.format, "csv");
    let csv_text = String::from_utf8(csv.clone()).unwrap();
    assert!(csv_text.starts_with("\"position\",\"recorded_at\",\"type\""));
    assert!(csv_text.contains("DocumentShared"));
    let (_, page) = auditor
        .get(&format!("/api/audit/events?document_id={id}&limit=200"))
        .await;
    assert_eq!(
        check.entries as usize,
        page["items"].as_array().unwrap().len()
    );
    let at = csv_text.find("DocumentShared").unwrap() + 3;
    assert!(verify_export(&flipped(&csv, at), &key).is_err());

    // Each export is itself in the log.
    let (_, page) = auditor
        .get("/api/audit/events?type=AuditLogExported&order=oldest")
        .await;
    let items = page["items"].as_array().unwrap();
    assert_eq!(items.len(), 2, "{page}");
    assert_eq!(items[0]["data"]["format"], "jsonl");
    assert_eq!(items[1]["data"]["format"], "csv");

    let alice_like = app.user("carol").await;
    let res = alice_like.get_raw("/api/audit/export").await;
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn the_cli_export_verifies_and_a_changed_file_does_not() {
    let (app, _auditor, id) = seeded().await;
    let cfg = (*app.app.config).clone();
    let dir = std::env::temp_dir().join(format!("docuvault-export-{}", uuid::Uuid::now_v7()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("export.jsonl");
    let filter = api::cli::AuditFilterArgs {
        document_id: Some(id.parse().unwrap()),
        ..Default::default()
    };
    let code = api::audit::cli::export(cfg.clone(), filter, "jsonl", Some(&file))
        .await
        .unwrap();
    assert_eq!(code, ExitCode::SUCCESS);
    let code = api::audit::cli::verify_export(cfg.clone(), &file)
        .await
        .unwrap();
    assert_eq!(code, ExitCode::SUCCESS);
    let bytes = std::fs::read(&file).unwrap();
    assert!(String::from_utf8_lossy(&bytes).contains("DocumentUploadRequested"));
    std::fs::write(&file, flipped(&bytes, bytes.len() / 3)).unwrap();
    let code = api::audit::cli::verify_export(cfg, &file).await.unwrap();
    assert_eq!(code, ExitCode::FAILURE);
    std::fs::remove_dir_all(dir).unwrap();
}
