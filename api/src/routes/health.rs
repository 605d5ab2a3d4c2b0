//! Liveness, readiness and Prometheus metrics.

use axum::extract::State;
use axum::http::{header, StatusCode};
use axum::response::IntoResponse;
use axum::Json;
use serde::Serialize;
use utoipa::ToSchema;
use utoipa_axum::{router::OpenApiRouter, routes};

use crate::state::AppState;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(health))
        .routes(routes!(ready))
}

#[derive(Serialize, ToSchema)]
pub struct Health {
    status: &'static str,
}

/// Liveness: the process answers.
#[utoipa::path(get, path = "/api/health", tag = "operations", responses((status = 200, body = Health)))]
async fn health() -> Json<Health> {
    Json(Health { status: "ok" })
}

#[derive(Serialize, ToSchema)]
pub struct Ready {
    status: &'static str,
    database: bool,
}

/// Readiness: the database is reachable (and the projections are caught up within a bound).
#[utoipa::path(get, path = "/api/ready", tag = "operations",
    responses((status = 200, body = Ready), (status = 503, body = Ready)))]
async fn ready(State(state): State<AppState>) -> impl IntoResponse {
    let database = state.projections.database_answers().await.is_ok();
    let status = if database {
        StatusCode::OK
    } else {
        StatusCode::SERVICE_UNAVAILABLE
    };
    (
        status,
        Json(Ready {
            status: if database { "ready" } else { "not_ready" },
            database,
        }),
    )
}

/// Prometheus text exposition.
pub async fn metrics(State(state): State<AppState>) -> impl IntoResponse {
    // Lag as the database sees it, so an API instance that runs no projectors (`serve
    // --no-projectors`) still exports it.
    if state.metrics.is_some() {
        match state.projections.status().await {
            Ok(all) => {
                for p in all {
                    let label = p.name.clone();
                    metrics::gauge!(projections::metrics::LAG_EVENTS, "projection" => label.clone())
                        .set(p.lag_events as f64);
                    metrics::gauge!(projections::metrics::LAG_SECONDS, "projection" => label)
                        .set(p.lag_seconds);
                }
            }
            Err(e) => tracing::warn!(error = %e, "projection lag unavailable for /metrics"),
        }
    }
    if state.metrics.is_some() {
        queue_depth(&state).await;
    }
    match &state.metrics {
        Some(handle) => (
            StatusCode::OK,
            [(header::CONTENT_TYPE, "text/plain; version=0.0.4")],
            handle.render(),
        ),
        None => (
            StatusCode::NOT_FOUND,
            [(header::CONTENT_TYPE, "text/plain")],
            String::from("metrics are not enabled in this process\n"),
        ),
    }
}

/// The document-processing queue as the database sees it: jobs waiting and jobs leased to a
/// worker (any process's), exported as `docuvault_processing_queue_depth{status}`.
async fn queue_depth(state: &AppState) {
    match state.processing.queue_depth().await {
        Ok((pending, processing)) => {
            for (status, n) in [("pending", pending), ("processing", processing)] {
                metrics::gauge!("docuvault_processing_queue_depth", "status" => status)
                    .set(n as f64);
            }
        }
        Err(e) => tracing::warn!(error = %e, "queue depth unavailable for /metrics"),
    }
}
