//! `/metrics` covers command rates and latencies, append latency, projection lag and the
//! processing queue depth.

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
        // No worker runs in this app: the upload's processing job waits in the queue.
        "docuvault_processing_queue_depth{status=\"pending\"} 1",
        "docuvault_processing_queue_depth{status=\"processing\"} 0",
    ] {
        assert!(text.contains(needle), "{needle} missing from:\n{text}");
    }
}
