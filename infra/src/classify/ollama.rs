//! Ollama's native chat API (`POST {base}/api/chat`, non-streaming, JSON output format).

use std::time::Duration;

use async_trait::async_trait;
use domain::classifier::{Classification, Classifier, ClassifyError, ClassifyRequest};
use serde::{Deserialize, Serialize};

use super::http;
use super::prompt::{self, Message};

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct OllamaConfig {
    /// The server root, e.g. `http://127.0.0.1:11434`.
    pub base_url: String,
    pub model: String,
    #[serde(default = "default_timeout", with = "http::duration_secs")]
    pub timeout: Duration,
    #[serde(default = "prompt::default_max_chars")]
    pub max_chars: usize,
}

fn default_timeout() -> Duration {
    Duration::from_secs(60)
}

pub struct OllamaClassifier {
    config: OllamaConfig,
    http: reqwest::Client,
}

impl OllamaClassifier {
    pub fn new(config: OllamaConfig) -> Result<Self, ClassifyError> {
        Ok(Self {
            http: http::client(config.timeout)?,
            config,
        })
    }
}

#[derive(Serialize)]
struct ChatRequest<'a> {
    model: &'a str,
    messages: Vec<Message>,
    stream: bool,
    /// Ollama constrains the output to valid JSON.
    format: &'static str,
    options: Options,
}

#[derive(Serialize)]
struct Options {
    temperature: f32,
}

#[derive(Deserialize)]
struct ChatResponse {
    #[serde(default)]
    model: Option<String>,
    message: ReplyMessage,
}

#[derive(Deserialize)]
struct ReplyMessage {
    content: String,
}

#[async_trait]
impl Classifier for OllamaClassifier {
    fn name(&self) -> &str {
        "ollama"
    }

    #[tracing::instrument(skip_all, fields(document_id = %request.document_id, model = %self.config.model))]
    async fn classify(&self, request: &ClassifyRequest) -> Result<Classification, ClassifyError> {
        let url = format!("{}/api/chat", self.config.base_url.trim_end_matches('/'));
        let body = ChatRequest {
            model: &self.config.model,
            messages: prompt::messages(request, self.config.max_chars),
            stream: false,
            format: "json",
            options: Options { temperature: 0.0 },
        };
        let response: ChatResponse = http::send_json(self.http.post(url).json(&body)).await?;
        prompt::parse_reply(
            &response.message.content,
            request,
            self.name(),
            response.model.or_else(|| Some(self.config.model.clone())),
        )
    }
}
