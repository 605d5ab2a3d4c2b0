//! The assembled application: operational endpoints, problem+json, OpenAPI, read-your-writes.

use docuvault_tests::app::TestApp;

#[tokio::test]
async fn operational_endpoints_answer() {
    let app = TestApp::spawn().await;
    let http = reqwest::Client::new();
    let health: serde_json::Value = http
        .get(app.at("/api/health"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(health["status"], "ok");
    let ready = http.get(app.at("/api/ready")).send().await.unwrap();
    assert_eq!(ready.status(), 200);
    let metrics = http
        .get(app.at("/metrics"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        metrics.contains("docuvault_http_requests_total"),
        "{metrics}"
    );
    let spec: serde_json::Value = http
        .get(app.at("/api/openapi.json"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(spec["openapi"].as_str().unwrap().starts_with("3.1"));
    assert!(spec["paths"]["/api/health"].is_object());
    let docs = http.get(app.at("/api/docs")).send().await.unwrap();
    assert_eq!(docs.status(), 200);
}

#[tokio::test]
async fn unknown_api_paths_are_problem_json_404s() {
    let app = TestApp::spawn().await;
    let res = reqwest::get(app.at("/api/no/such/thing")).await.unwrap();
    assert_eq!(res.status(), 404);
    assert_eq!(
        res.headers()["content-type"].to_str().unwrap(),
        "application/problem+json"
    );
    let body: serde_json::Value = res.json().await.unwrap();
    assert_eq!(body["code"], "not_found");
    assert_eq!(body["status"], 404);
}

#[tokio::test]
async fn a_malformed_consistency_token_is_a_clear_400() {
    let app = TestApp::spawn().await;
    let res = reqwest::Client::new()
        .get(app.at("/api/health"))
        .header("x-consistency-token", "yesterday")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 400);
    let body: serde_json::Value = res.json().await.unwrap();
    assert_eq!(body["code"], "invalid_consistency_token");
}
