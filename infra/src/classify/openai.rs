//! OpenAI-compatible chat completions (`POST {base}/chat/completions`): OpenAI, Ollama's `/v1`,
//! vLLM, LM Studio and others that speak the same format.

use std::time::Duration;

use async_trait::async_trait;
use domain::classifier::{Classification, Classifier, ClassifyError, ClassifyRequest};
use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Serialize};

use super::http;
use super::prompt::{self, Message};

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct OpenAiConfig {
    /// Up to and including the version segment, e.g. `https://api.openai.com/v1`.
    pub base_url: String,
    pub model: String,
    /// Sent as `Authorization: Bearer …`; local servers usually need none.
    #[serde(default, skip_serializing)]
    pub api_key: Option<SecretString>,
    #[serde(default = "default_timeout", with = "http::duration_secs")]
    pub timeout: Duration,
    /// Characters of document text put into the prompt.
    #[serde(default = "prompt::default_max_chars")]
    pub max_chars: usize,
}

fn default_timeout() -> Duration {
    Duration::from_secs(30)
}

pub struct OpenAiClassifier {
    config: OpenAiConfig,
    http: reqwest::Client,
}

impl OpenAiClassifier {
    pub fn new(config: OpenAiConfig) -> Result<Self, ClassifyError> {
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
    temperature: f32,
    stream: bool,
}

#[derive(Deserialize)]
struct ChatResponse {
    #[serde(default)]
    model: Option<String>,
    choices: Vec<Choice>,
}

#[derive(Deserialize)]
struct Choice {
    message: ReplyMessage,
}

#[derive(Deserialize)]
struct ReplyMessage {
    #[serde(default)]
    content: Option<String>,
}

#[async_trait]
impl Classifier for OpenAiClassifier {
    fn name(&self) -> &str {
        "openai"
    }

    #[tracing::instrument(skip_all, fields(document_id = %request.document_id, model = %self.config.model))]
    async fn classify(&self, request: &ClassifyRequest) -> Result<Classification, ClassifyError> {
        let url = format!(
            "{}/chat/completions",
            self.config.base_url.trim_end_matches('/')
        );
        let body = ChatRequest {
            model: &self.config.model,
            messages: prompt::messages(request, self.config.max_chars),
            temperature: 0.0,
            stream: false,
        };
        let mut call = self.http.post(url).json(&body);
        if let Some(key) = &self.config.api_key {
            call = call.bearer_auth(key.expose_secret());
        }
        let response: ChatResponse = http::send_json(call).await?;
        let content = response
            .choices
            .into_iter()
            .next()
            .and_then(|c| c.message.content)
            .ok_or_else(|| ClassifyError::BadResponse("no choices in the reply".into()))?;
        prompt::parse_reply(
            &content,
            request,
            self.name(),
            response.model.or_else(|| Some(self.config.model.clone())),
        )
    }
}
