//! Helpers for the identity black-box tests: a small typed client over the real HTTP API that
//! carries the consistency token from writes to reads, and shortcuts for common set-ups.

use std::sync::{Arc, Mutex};

use chrono::{TimeZone, Utc};
use docuvault_tests::app::{TestApp, TestAppOptions};
use domain::ports::{Clock, ManualClock};
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

pub const PASSWORD: &str = "correct horse battery staple";

/// An answer: status, selected headers, JSON body (`Null` when empty).
#[derive(Debug, Clone)]
pub struct Reply {
    pub status: StatusCode,
    pub headers: reqwest::header::HeaderMap,
    pub body: Value,
}

impl Reply {
    pub fn code(&self) -> &str {
        self.body["code"].as_str().unwrap_or("")
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    #[track_caller]
    pub fn expect(self, status: u16) -> Reply {
        assert_eq!(self.status.as_u16(), status, "{:#}", self.body);
        self
    }

    #[track_caller]
    pub fn expect_problem(self, status: u16, code: &str) -> Reply {
        assert_eq!(
            (self.status.as_u16(), self.code()),
            (status, code),
            "{:#}",
            self.body
        );
        assert_eq!(
            self.header("content-type"),
            Some("application/problem+json")
        );
        self
    }
}

/// The app plus an HTTP client that remembers the last consistency token it was given.
pub struct Api {
    pub app: TestApp,
    pub http: reqwest::Client,
    pub clock: Option<Arc<ManualClock>>,
    token: Mutex<Option<String>>,
}

impl Api {
    pub async fn spawn() -> Api {
        Self::from_app(TestApp::spawn().await, None)
    }

    /// With a manual clock, starting at a fixed instant.
    pub async fn spawn_with_clock() -> Api {
        let clock = Arc::new(ManualClock::new(
            Utc.with_ymd_and_hms(2026, 11, 28, 12, 0, 0).unwrap(),
        ));
        let app = TestApp::spawn_with(TestAppOptions {
            clock: Some(clock.clone() as Arc<dyn Clock>),
            ..TestAppOptions::default()
        })
        .await;
        Self::from_app(app, Some(clock))
    }

    pub fn from_app(app: TestApp, clock: Option<Arc<ManualClock>>) -> Api {
        Api {
            app,
            http: reqwest::Client::new(),
            clock,
            token: Mutex::new(None),
        }
    }

    pub fn clock(&self) -> &ManualClock {
        self.clock.as_deref().expect("spawned with a manual clock")
    }

    /// Sends a request with optional bearer token and JSON body; remembers the consistency
    /// token of writes and sends the latest one with reads.
    pub async fn call(
        &self,
        method: Method,
        path: &str,
        bearer: Option<&str>,
        body: Option<Value>,
    ) -> Reply {
        let mut req = self.http.request(method.clone(), self.app.at(path));
        if let Some(t) = bearer {
            req = req.bearer_auth(t);
        }
        if let Some(b) = body {
            req = req.json(&b);
        }
        if method == Method::GET {
            if let Some(t) = self.token.lock().unwrap().clone() {
                req = req.header("x-consistency-token", t);
            }
        }
        self.send(req).await
    }

    pub async fn send(&self, req: reqwest::RequestBuilder) -> Reply {
        let res = req.send().await.expect("request");
        let status = res.status();
        let headers = res.headers().clone();
        if let Some(t) = headers.get("x-consistency-token") {
            *self.token.lock().unwrap() = Some(t.to_str().unwrap().to_owned());
        }
        let text = res.text().await.expect("body");
        let body = if text.is_empty() {
            Value::Null
        } else {
            serde_json::from_str(&text).unwrap_or(Value::String(text))
        };
        Reply {
            status,
            headers,
            body,
        }
    }

    pub async fn post(&self, path: &str, bearer: Option<&str>, body: Value) -> Reply {
        self.call(Method::POST, path, bearer, Some(body)).await
    }

    pub async fn get(&self, path: &str, bearer: Option<&str>) -> Reply {
        self.call(Method::GET, path, bearer, None).await
    }

    pub async fn register(&self, email: &str, handle: &str, password: &str) -> Reply {
        self.post(
            "/api/auth/register",
            None,
            json!({"email": email, "handle": handle, "password": password}),
        )
        .await
    }

    pub async fn login(&self, email: &str, password: &str, totp: Option<&str>) -> Reply {
        let mut body = json!({"email": email, "password": password});
        if let Some(code) = totp {
            body["totp_code"] = json!(code);
        }
        self.post("/api/auth/login", None, body).await
    }

    /// Registers `handle@example.org` and logs in; returns (user id, access, refresh).
    pub async fn user(&self, handle: &str) -> Session {
        let email = format!("{handle}@example.org");
        let reg = self.register(&email, handle, PASSWORD).await.expect(201);
        let login = self.login(&email, PASSWORD, None).await.expect(200);
        Session::new(&reg, &login, email)
    }

    /// Creates an account with `role` through the bootstrap path, then logs in.
    pub async fn with_role(&self, handle: &str, role: domain::user::Role) -> Session {
        let email = format!("{handle}@example.org");
        let identity = api::auth::Identity::from_config(&self.app.config).unwrap();
        let created = api::bootstrap::create_user(
            self.app.core.store.clone(),
            Arc::new(domain::ports::SystemClock),
            &identity,
            &email,
            handle,
            PASSWORD,
            role,
        )
        .await
        .expect("bootstrap user");
        let login = self.login(&email, PASSWORD, None).await.expect(200);
        Session {
            id: created.user_id.to_string(),
            email,
            access: login.body["access_token"].as_str().unwrap().to_owned(),
            refresh: login.body["refresh_token"].as_str().unwrap().to_owned(),
        }
    }

    /// Every event as `(stream_id, event_type, data, metadata)`, in log order.
    pub async fn events(&self) -> Vec<(String, String, Value, Value)> {
        sqlx::query_as::<_, (String, String, Value, Value)>(
            "select stream_id, event_type, data, metadata from events order by global_position",
        )
        .fetch_all(&self.app.db.pool)
        .await
        .unwrap()
    }

    /// The whole stored log as text, for leak scans.
    pub async fn log_text(&self) -> String {
        sqlx::query_scalar::<_, String>(
            "select coalesce(string_agg(stream_id || ' ' || data::text || ' ' || metadata::text, E'\\n'), '') from events",
        )
        .fetch_one(&self.app.db.pool)
        .await
        .unwrap()
    }
}

/// A signed-in account.
#[derive(Debug, Clone)]
pub struct Session {
    pub id: String,
    pub email: String,
    pub access: String,
    pub refresh: String,
}

impl Session {
    pub fn new(registered: &Reply, login: &Reply, email: String) -> Self {
        Session {
            id: registered.body["id"].as_str().unwrap().to_owned(),
            email,
            access: login.body["access_token"].as_str().unwrap().to_owned(),
            refresh: login.body["refresh_token"].as_str().unwrap().to_owned(),
        }
    }
}

/// The claims of a JWT, unverified (tests inspect what the server issued).
pub fn claims(jwt: &str) -> Value {
    use base64::Engine;
    let payload = jwt.split('.').nth(1).expect("three parts");
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(payload)
        .expect("base64url");
    serde_json::from_slice(&bytes).expect("json claims")
}

/// The TOTP code for `secret` at the given time.
pub fn totp_at(secret: &str, at: chrono::DateTime<Utc>) -> String {
    infra::auth::Rfc6238::new("DocuVault")
        .code_at(secret, at)
        .expect("valid secret")
}
