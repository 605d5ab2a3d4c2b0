//! Classifier settings (stream `classifier_settings-<subject>`): the admin's system default
//! (subject: the nil UUID) and each user's override (subject: the user). API keys are secrets:
//! they travel only inside `Personal` (encrypted with the subject's data key) and are never
//! answered back.

use serde::{Deserialize, Serialize};

use crate::aggregate::Aggregate;
use crate::event::DomainEvent;
use crate::personal::Personal;

/// Which classifier runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ProviderKind {
    /// The embedded classifier (no network).
    Builtin,
    /// An OpenAI-compatible chat-completions endpoint (OpenAI, vLLM, LM Studio, Ollama's `/v1`).
    Openai,
    /// Ollama's native `/api/chat`.
    Ollama,
}

impl ProviderKind {
    pub fn as_str(&self) -> &'static str {
        match self {
            ProviderKind::Builtin => "builtin",
            ProviderKind::Openai => "openai",
            ProviderKind::Ollama => "ollama",
        }
    }
}

/// Longest accepted provider call, in seconds.
pub const MAX_TIMEOUT_SECS: u32 = 300;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProviderChoice {
    pub kind: ProviderKind,
    /// Remote providers: the endpoint (`http(s)://…`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub base_url: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub model: Option<String>,
    pub timeout_secs: u32,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", content = "data")]
pub enum SettingsEvent {
    ClassifierConfigured {
        choice: ProviderChoice,
    },
    ClassifierApiKeySet {
        api_key: Personal<String>,
    },
    ClassifierApiKeyRemoved {},
    /// Back to the default: built-in for the system, the system's choice for a user.
    ClassifierReset {},
}

impl DomainEvent for SettingsEvent {}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct ClassifierSettings {
    /// `None`: not configured (or reset).
    pub choice: Option<ProviderChoice>,
    /// Decrypted; `None` when unset or erased.
    pub api_key: Option<String>,
}

impl Aggregate for ClassifierSettings {
    type Event = SettingsEvent;
    const CATEGORY: &'static str = "classifier_settings";

    fn evolve(mut self, event: &SettingsEvent) -> Self {
        match event {
            SettingsEvent::ClassifierConfigured { choice } => self.choice = Some(choice.clone()),
            SettingsEvent::ClassifierApiKeySet { api_key } => {
                self.api_key = api_key.value().cloned()
            }
            SettingsEvent::ClassifierApiKeyRemoved {} => self.api_key = None,
            SettingsEvent::ClassifierReset {} => self = Self::default(),
        }
        self
    }
}

/// What to do with the stored API key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KeyChange {
    Keep,
    Set(String),
    Remove,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SettingsCommand {
    Configure {
        choice: ProviderChoice,
        key: KeyChange,
    },
    Reset,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SettingsError {
    #[error("invalid classifier settings: {0}")]
    Invalid(&'static str),
}

fn validate(choice: &ProviderChoice) -> Result<(), SettingsError> {
    if choice.timeout_secs == 0 || choice.timeout_secs > MAX_TIMEOUT_SECS {
        return Err(SettingsError::Invalid("timeout_secs must be 1 to 300"));
    }
    if choice.kind == ProviderKind::Builtin {
        return Ok(());
    }
    let url = choice.base_url.as_deref().unwrap_or_default();
    let scheme_ok = url.starts_with("http://") || url.starts_with("https://");
    if !scheme_ok || url.len() > 500 || url.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(SettingsError::Invalid("base_url must be an http(s) URL"));
    }
    let model = choice.model.as_deref().unwrap_or_default();
    if model.trim().is_empty() || model.len() > 200 {
        return Err(SettingsError::Invalid(
            "model is required for a remote provider",
        ));
    }
    Ok(())
}

pub fn decide(
    state: &ClassifierSettings,
    command: SettingsCommand,
) -> Result<Vec<SettingsEvent>, SettingsError> {
    match command {
        SettingsCommand::Configure { choice, key } => {
            validate(&choice)?;
            let mut events = Vec::new();
            if state.choice.as_ref() != Some(&choice) {
                events.push(SettingsEvent::ClassifierConfigured { choice });
            }
            match key {
                KeyChange::Keep => {}
                KeyChange::Set(k) if k.is_empty() || k.len() > 1000 => {
                    return Err(SettingsError::Invalid("api_key must be 1 to 1000 bytes"))
                }
                KeyChange::Set(k) if state.api_key.as_deref() == Some(k.as_str()) => {}
                KeyChange::Set(k) => events.push(SettingsEvent::ClassifierApiKeySet {
                    api_key: Personal::new(k),
                }),
                KeyChange::Remove if state.api_key.is_none() => {}
                KeyChange::Remove => events.push(SettingsEvent::ClassifierApiKeyRemoved {}),
            }
            Ok(events)
        }
        SettingsCommand::Reset if state.choice.is_none() && state.api_key.is_none() => Ok(vec![]),
        SettingsCommand::Reset => Ok(vec![SettingsEvent::ClassifierReset {}]),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn given(events: &[SettingsEvent]) -> ClassifierSettings {
        events
            .iter()
            .fold(ClassifierSettings::default(), |s, e| s.evolve(e))
    }

    fn openai() -> ProviderChoice {
        ProviderChoice {
            kind: ProviderKind::Openai,
            base_url: Some("http://127.0.0.1:8000/v1".into()),
            model: Some("gpt-4o-mini".into()),
            timeout_secs: 30,
        }
    }

    #[test]
    fn configuring_records_choice_and_key_once() {
        let events = decide(
            &ClassifierSettings::default(),
            SettingsCommand::Configure {
                choice: openai(),
                key: KeyChange::Set("sk-1".into()),
            },
        )
        .unwrap();
        assert_eq!(events.len(), 2);
        let state = given(&events);
        assert_eq!(state.api_key.as_deref(), Some("sk-1"));
        // The same again is a no-op; keeping the key leaves it.
        let again = SettingsCommand::Configure {
            choice: openai(),
            key: KeyChange::Set("sk-1".into()),
        };
        assert_eq!(decide(&state, again).unwrap(), vec![]);
        let keep = SettingsCommand::Configure {
            choice: openai(),
            key: KeyChange::Keep,
        };
        assert_eq!(decide(&state, keep).unwrap(), vec![]);
        let removed = decide(
            &state,
            SettingsCommand::Configure {
                choice: openai(),
                key: KeyChange::Remove,
            },
        )
        .unwrap();
        assert_eq!(removed, vec![SettingsEvent::ClassifierApiKeyRemoved {}]);
    }

    #[test]
    fn remote_providers_need_a_url_and_a_model() {
        let mut bad = openai();
        bad.base_url = Some("file:///etc/passwd".into());
        let cmd = |choice| SettingsCommand::Configure {
            choice,
            key: KeyChange::Keep,
        };
        assert!(decide(&ClassifierSettings::default(), cmd(bad)).is_err());
        let mut no_model = openai();
        no_model.model = None;
        assert!(decide(&ClassifierSettings::default(), cmd(no_model)).is_err());
        let mut slow = openai();
        slow.timeout_secs = 301;
        assert!(decide(&ClassifierSettings::default(), cmd(slow)).is_err());
    }

    #[test]
    fn reset_forgets_everything() {
        let state = given(&[
            SettingsEvent::ClassifierConfigured { choice: openai() },
            SettingsEvent::ClassifierApiKeySet {
                api_key: Personal::new("sk".into()),
            },
        ]);
        let events = decide(&state, SettingsCommand::Reset).unwrap();
        let after = events.iter().fold(state, |s, e| s.evolve(e));
        assert_eq!(after, ClassifierSettings::default());
        assert_eq!(
            decide(&ClassifierSettings::default(), SettingsCommand::Reset).unwrap(),
            vec![]
        );
    }
}
