//! `/metrics` covers command rates and latencies, append latency and projection lag.

use docuvault_tests::docapp::{Backend, DocApp};

use crate::ops_audit::upload;

#[tokio::test]
async fn metrics_cover_commands_appends_and_projection_lag() {
    let app = DocApp::spawn(Backend::Fs).await;
    let alice = app.user("alice").await;
    upload(&alice, "m.txt", b"metrics").await;
    app.settle_log().await;
    let text = reqwest::get(app.app.at("/metrics"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    for needle in [
        "docuvault_commands_total{aggregate=\"document\",outcome=\"ok\"}",
        "docuvault_commands_total{aggregate=\"user\"",
        "docuvault_command_duration_seconds",
        "docuvault_events_appended_total{category=\"document\"}",
        "docuvault_event_append_duration_seconds",
        "docuvault_projection_lag_events{projection=\"audit\"}",
        "docuvault_projection_lag_seconds{projection=\"documents\"}",
        "docuvault_http_requests_total",
    ] {
        assert!(text.contains(needle), "{needle} missing from:\n{text}");
    }
}
