//! The HTTP plumbing shared by the remote providers: client with timeouts, error mapping.

use std::time::Duration;

use domain::classifier::ClassifyError;
use serde::de::DeserializeOwned;

/// Replies larger than this are refused: a classification is a few hundred bytes.
const MAX_REPLY_BYTES: usize = 1024 * 1024;

pub(crate) fn client(timeout: Duration) -> Result<reqwest::Client, ClassifyError> {
    reqwest::Client::builder()
        .timeout(timeout)
        .connect_timeout(timeout.min(Duration::from_secs(10)))
        .build()
        .map_err(|e| ClassifyError::Unavailable(format!("http client: {e}")))
}

pub(crate) async fn send_json<T: DeserializeOwned>(
    call: reqwest::RequestBuilder,
) -> Result<T, ClassifyError> {
    let mut response = call.send().await.map_err(map_error)?;
    let status = response.status();
    let mut body = Vec::new();
    while let Some(chunk) = response.chunk().await.map_err(map_error)? {
        if body.len() + chunk.len() > MAX_REPLY_BYTES {
            return Err(ClassifyError::BadResponse("reply too large".into()));
        }
        body.extend_from_slice(&chunk);
    }
    if !status.is_success() {
        // The body may echo the prompt (document content): keep it out of the error.
        return Err(ClassifyError::Unavailable(format!("HTTP {status}")));
    }
    serde_json::from_slice(&body)
        .map_err(|e| ClassifyError::BadResponse(format!("unexpected reply shape: {e}")))
}

fn map_error(e: reqwest::Error) -> ClassifyError {
    if e.is_timeout() {
        ClassifyError::Timeout
    } else {
        ClassifyError::Unavailable(e.without_url().to_string())
    }
}

/// `Duration` as whole seconds in configuration files.
pub(crate) mod duration_secs {
    use std::time::Duration;

    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(d: &Duration, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_u64(d.as_secs())
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Duration, D::Error> {
        u64::deserialize(d).map(Duration::from_secs)
    }
}
