//! How the intelligence area's domain refusals answer over HTTP.

use axum::http::StatusCode;
use domain::processing::ProcessingError;
use domain::topic::TopicError;

use crate::error::ApiError;

impl From<TopicError> for ApiError {
    fn from(e: TopicError) -> Self {
        match e {
            TopicError::InvalidName(why) => ApiError::bad_request("invalid_topic_name", why),
            TopicError::InvalidKeywords(why) => ApiError::bad_request("invalid_keywords", why),
            TopicError::NotFound => ApiError::not_found(),
            TopicError::AlreadyExists => {
                ApiError::conflict("topic_exists", "A topic with this id already exists.")
            }
            TopicError::NotAllowed(why) => ApiError::new(StatusCode::FORBIDDEN, "forbidden", why),
        }
    }
}

impl From<ProcessingError> for ApiError {
    fn from(e: ProcessingError) -> Self {
        // Only workers can provoke these; a user request never should.
        ApiError::conflict("processing_conflict", e.to_string())
    }
}
