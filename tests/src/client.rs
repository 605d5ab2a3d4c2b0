//! A small HTTP client for black-box tests: bearer token, JSON in and out, and read-your-writes
//! (every client of one app shares the latest `X-Consistency-Token` and sends it with reads).

use std::sync::{Arc, Mutex};

use reqwest::{Method, StatusCode};
use serde_json::Value;
use uuid::Uuid;

/// The latest consistency token any client of one app received.
pub type TokenCell = Arc<Mutex<Option<u64>>>;

#[derive(Clone)]
pub struct Client {
    /// The signed-in user's id.
    pub id: Uuid,
    base: String,
    token: String,
    http: reqwest::Client,
    consistency: TokenCell,
}

impl Client {
    pub fn new(base: &str, id: Uuid, token: String, consistency: TokenCell) -> Self {
        Self {
            id,
            base: base.trim_end_matches('/').to_owned(),
            token,
            // Redirects are part of the contract under test (downloads answer 302).
            http: reqwest::Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                .build()
                .expect("http client"),
            consistency,
        }
    }

    fn request(&self, method: Method, path: &str) -> reqwest::RequestBuilder {
        let mut req = self
            .http
            .request(method.clone(), format!("{}{path}", self.base))
            .bearer_auth(&self.token);
        if method == Method::GET {
            if let Some(pos) = *self.consistency.lock().expect("token cell") {
                req = req.header("x-consistency-token", pos.to_string());
            }
        }
        req
    }

    fn remember(&self, res: &reqwest::Response) {
        if let Some(pos) = res
            .headers()
            .get("x-consistency-token")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.parse::<u64>().ok())
        {
            let mut cell = self.consistency.lock().expect("token cell");
            *cell = Some(cell.map_or(pos, |p| p.max(pos)));
        }
    }

    async fn send(&self, req: reqwest::RequestBuilder) -> (StatusCode, Value) {
        let res = req.send().await.expect("request");
        self.remember(&res);
        let status = res.status();
        let bytes = res.bytes().await.expect("body");
        let body = if bytes.is_empty() {
            Value::Null
        } else {
            serde_json::from_slice(&bytes)
                .unwrap_or_else(|_| Value::String(String::from_utf8_lossy(&bytes).into_owned()))
        };
        (status, body)
    }

    pub async fn get(&self, path: &str) -> (StatusCode, Value) {
        self.send(self.request(Method::GET, path)).await
    }

    /// The raw response (headers matter, e.g. a download's redirect).
    pub async fn get_raw(&self, path: &str) -> reqwest::Response {
        let res = self
            .request(Method::GET, path)
            .send()
            .await
            .expect("request");
        self.remember(&res);
        res
    }

    pub async fn post(&self, path: &str, body: Value) -> (StatusCode, Value) {
        self.send(self.request(Method::POST, path).json(&body))
            .await
    }

    pub async fn put(&self, path: &str, body: Value) -> (StatusCode, Value) {
        self.send(self.request(Method::PUT, path).json(&body)).await
    }

    pub async fn patch(&self, path: &str, body: Value) -> (StatusCode, Value) {
        self.send(self.request(Method::PATCH, path).json(&body))
            .await
    }

    pub async fn delete(&self, path: &str) -> (StatusCode, Value) {
        self.send(self.request(Method::DELETE, path)).await
    }

    /// A `multipart/form-data` upload: `folder_id` (when given) then `file`.
    pub async fn multipart(
        &self,
        path: &str,
        folder_id: Option<&str>,
        filename: &str,
        bytes: Vec<u8>,
    ) -> (StatusCode, Value) {
        let mut form = reqwest::multipart::Form::new();
        if let Some(f) = folder_id {
            form = form.text("folder_id", f.to_owned());
        }
        form = form.part(
            "file",
            reqwest::multipart::Part::bytes(bytes)
                .file_name(filename.to_owned())
                .mime_str("application/octet-stream")
                .expect("mime"),
        );
        self.send(self.request(Method::POST, path).multipart(form))
            .await
    }
}
