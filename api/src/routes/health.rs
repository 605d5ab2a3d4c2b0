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
    let database = sqlx::query_scalar::<_, i32>("select 1")
        .fetch_one(&state.pool)
        .await
        .is_ok();
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
