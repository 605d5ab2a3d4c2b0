//! Classifiers behind the `Classifier` port: the built-in model, OpenAI-compatible and Ollama
//! clients, and the fallback wrapper that keeps classification working when a provider fails.

mod bayes;
mod builtin;
mod fallback;
mod http;
mod keywords;
mod ollama;
mod openai;
mod prompt;
mod tokenize;

use std::sync::Arc;
use std::time::Duration;

use domain::classifier::{Classifier, ClassifyError};
use serde::{Deserialize, Serialize};

pub use bayes::NaiveBayes;
pub use builtin::{BuiltinClassifier, InMemoryModels, ModelStore};
pub use fallback::WithFallback;
pub use ollama::{OllamaClassifier, OllamaConfig};
pub use openai::{OpenAiClassifier, OpenAiConfig};
pub use prompt::default_max_chars;
pub use tokenize::terms;

/// Which provider classifies: the admin's system default, or a user's override.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(tag = "provider", rename_all = "snake_case")]
pub enum ProviderSettings {
    #[default]
    Builtin,
    Openai(OpenAiConfig),
    Ollama(OllamaConfig),
}

/// Extra time the fallback wrapper grants a remote provider beyond its own HTTP timeout.
const FALLBACK_GRACE: Duration = Duration::from_secs(2);

/// The classifier for `settings`; remote providers fall back to `builtin` on any failure.
pub fn build(
    settings: &ProviderSettings,
    builtin: Arc<dyn Classifier>,
) -> Result<Arc<dyn Classifier>, ClassifyError> {
    Ok(match settings {
        ProviderSettings::Builtin => builtin,
        ProviderSettings::Openai(c) => Arc::new(WithFallback::new(
            Arc::new(OpenAiClassifier::new(c.clone())?),
            builtin,
            c.timeout + FALLBACK_GRACE,
        )),
        ProviderSettings::Ollama(c) => Arc::new(WithFallback::new(
            Arc::new(OllamaClassifier::new(c.clone())?),
            builtin,
            c.timeout + FALLBACK_GRACE,
        )),
    })
}

#[cfg(test)]
mod tests;
