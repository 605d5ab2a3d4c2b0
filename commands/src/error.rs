//! The command layer's error: a business rejection (`Domain`) kept apart from operational failures.

use domain::ports::StoreError;

#[derive(Debug, thiserror::Error)]
pub enum CommandError<E> {
    /// The domain refused the command; `E` says why.
    #[error(transparent)]
    Domain(E),
    /// The stream kept changing under us; retries were exhausted.
    #[error("concurrent modification, retries exhausted")]
    Conflict,
    /// The target does not exist *or the caller may not see it* (no existence leak).
    #[error("not found")]
    NotFound,
    /// The caller is known but not allowed to do this.
    #[error("forbidden")]
    Forbidden,
    /// An infrastructure failure (the port's error kept as the source); for the log, never
    /// for the client.
    #[error("infrastructure: {0}")]
    Infra(#[source] InfraError),
}

/// A stored event that does not decode into its aggregate's events.
#[derive(Debug, thiserror::Error)]
#[error("undecodable event in {stream}")]
pub struct Undecodable {
    pub stream: String,
    #[source]
    pub cause: serde_json::Error,
}

/// The cause of a [`CommandError::Infra`]: whatever error a port reported.
pub type InfraError = Box<dyn std::error::Error + Send + Sync>;

impl<E> CommandError<E> {
    /// Converts the domain error type, keeping the other variants.
    pub fn map_domain<F>(self, f: impl FnOnce(E) -> F) -> CommandError<F> {
        match self {
            CommandError::Domain(e) => CommandError::Domain(f(e)),
            CommandError::Conflict => CommandError::Conflict,
            CommandError::NotFound => CommandError::NotFound,
            CommandError::Forbidden => CommandError::Forbidden,
            CommandError::Infra(s) => CommandError::Infra(s),
        }
    }
}

impl<E> From<StoreError> for CommandError<E> {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::Conflict { .. } => CommandError::Conflict,
            other => CommandError::Infra(Box::new(other)),
        }
    }
}
