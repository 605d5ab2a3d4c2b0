//! A provider with a safety net: when it fails or is too slow, the fallback (the built-in
//! classifier) answers, and the answer says so.

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use domain::classifier::{Classification, Classifier, ClassifyError, ClassifyRequest};

pub struct WithFallback {
    primary: Arc<dyn Classifier>,
    fallback: Arc<dyn Classifier>,
    /// An overall bound on the primary, on top of its own HTTP timeouts.
    timeout: Duration,
}

impl WithFallback {
    pub fn new(
        primary: Arc<dyn Classifier>,
        fallback: Arc<dyn Classifier>,
        timeout: Duration,
    ) -> Self {
        Self {
            primary,
            fallback,
            timeout,
        }
    }
}

#[async_trait]
impl Classifier for WithFallback {
    fn name(&self) -> &str {
        self.primary.name()
    }

    async fn classify(&self, request: &ClassifyRequest) -> Result<Classification, ClassifyError> {
        let failure = match tokio::time::timeout(self.timeout, self.primary.classify(request)).await
        {
            Ok(Ok(answer)) => return Ok(answer),
            Ok(Err(e)) => e,
            Err(_) => ClassifyError::Timeout,
        };
        tracing::warn!(
            provider = self.primary.name(),
            fallback = self.fallback.name(),
            error = %failure,
            "classifier failed, using the fallback"
        );
        let mut answer = self.fallback.classify(request).await?;
        answer.fell_back = true;
        Ok(answer)
    }
}
