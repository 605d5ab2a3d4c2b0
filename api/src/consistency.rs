//! Read-your-writes: commands answer with `X-Consistency-Token: <global position>`; a query that
//! sends the token back waits (bounded) until the projections have caught up to it.

use std::time::Duration;

use axum::extract::{Request, State};
use axum::http::{HeaderName, HeaderValue, Method};
use axum::middleware::Next;
use axum::response::{IntoResponseParts, Response, ResponseParts};

use crate::error::ApiError;
use crate::state::AppState;

pub static CONSISTENCY_HEADER: HeaderName = HeaderName::from_static("x-consistency-token");

/// A response part that sets the token when a command appended something.
#[derive(Debug, Clone, Copy)]
pub struct ConsistencyToken(pub Option<u64>);

impl IntoResponseParts for ConsistencyToken {
    type Error = std::convert::Infallible;
    fn into_response_parts(self, mut res: ResponseParts) -> Result<ResponseParts, Self::Error> {
        if let Some(pos) = self.0 {
            res.headers_mut()
                .insert(CONSISTENCY_HEADER.clone(), HeaderValue::from(pos));
        }
        Ok(res)
    }
}

/// Middleware: a safe request carrying a token waits for the projections before it is served.
pub async fn wait_for_token(
    State(state): State<AppState>,
    req: Request,
    next: Next,
) -> Result<Response, ApiError> {
    if matches!(*req.method(), Method::GET | Method::HEAD) {
        if let Some(value) = req.headers().get(&CONSISTENCY_HEADER) {
            let position: u64 = value
                .to_str()
                .ok()
                .and_then(|s| s.trim().parse().ok())
                .ok_or_else(|| {
                    ApiError::bad_request(
                        "invalid_consistency_token",
                        "X-Consistency-Token must be the value a previous response returned.",
                    )
                })?;
            if let Some(waiter) = &state.waiter {
                let timeout = Duration::from_millis(state.config.consistency_wait_ms);
                if !waiter.wait_for(position, timeout).await {
                    // Serve anyway, but say the answer may be stale.
                    let mut res = next.run(req).await;
                    res.headers_mut()
                        .insert("x-consistency-stale", HeaderValue::from_static("true"));
                    return Ok(res);
                }
            }
        }
    }
    Ok(next.run(req).await)
}

/// Waits (bounded) until the read models reflect every event committed so far. For lookups whose
/// miss may only mean "not projected yet", e.g. a handle registered a moment ago: retry after it.
pub async fn catch_up_with_log(state: &AppState) -> Result<(), ApiError> {
    let Some(waiter) = &state.waiter else {
        return Ok(());
    };
    let head = state.store.head_position().await?;
    if head > 0 {
        let timeout = Duration::from_millis(state.config.consistency_wait_ms);
        waiter.wait_for(head, timeout).await;
    }
    Ok(())
}
