//! The classifier the worker uses: per document, the owner's choice (a user may opt out of
//! remote providers) or else the admin's system default, built fresh from the settings streams
//! so a change applies to the next document; remote providers fall back to the built-in one.

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use commands::ai_settings::{current, SYSTEM};
use commands::CommandContext;
use domain::ai_settings::{ClassifierSettings, ProviderKind};
use domain::classifier::{Classification, Classifier, ClassifyError, ClassifyRequest};
use infra::classify::{build, default_max_chars, OllamaConfig, OpenAiConfig, ProviderSettings};
use secrecy::SecretString;

pub struct ConfiguredClassifier {
    ctx: CommandContext,
    builtin: Arc<dyn Classifier>,
}

impl ConfiguredClassifier {
    pub fn new(ctx: CommandContext, builtin: Arc<dyn Classifier>) -> Self {
        Self { ctx, builtin }
    }

    async fn settings(&self, subject: uuid::Uuid) -> Result<ClassifierSettings, ClassifyError> {
        current(&self.ctx, subject)
            .await
            .map_err(|e| ClassifyError::Unavailable(format!("classifier settings: {e:?}")))
    }
}

/// The provider settings a stored choice stands for.
pub fn provider_settings(s: &ClassifierSettings) -> ProviderSettings {
    let Some(choice) = &s.choice else {
        return ProviderSettings::Builtin;
    };
    let base_url = choice.base_url.clone().unwrap_or_default();
    let model = choice.model.clone().unwrap_or_default();
    let timeout = Duration::from_secs(u64::from(choice.timeout_secs));
    match choice.kind {
        ProviderKind::Builtin => ProviderSettings::Builtin,
        ProviderKind::Openai => ProviderSettings::Openai(OpenAiConfig {
            base_url,
            model,
            api_key: s.api_key.clone().map(SecretString::from),
            timeout,
            max_chars: default_max_chars(),
        }),
        ProviderKind::Ollama => ProviderSettings::Ollama(OllamaConfig {
            base_url,
            model,
            timeout,
            max_chars: default_max_chars(),
        }),
    }
}

#[async_trait]
impl Classifier for ConfiguredClassifier {
    fn name(&self) -> &str {
        "configured"
    }

    async fn classify(&self, request: &ClassifyRequest) -> Result<Classification, ClassifyError> {
        let own = self.settings(request.owner.as_uuid()).await?;
        let opted_out = own
            .choice
            .as_ref()
            .is_some_and(|c| c.kind == ProviderKind::Builtin);
        let settings = if opted_out {
            ProviderSettings::Builtin
        } else {
            provider_settings(&self.settings(SYSTEM).await?)
        };
        build(&settings, self.builtin.clone())?
            .classify(request)
            .await
    }
}
