//! `/api/admin/projections`: every projection's state, leader, checkpoint, lag and last error;
//! blue/green rebuild requests with progress; resuming a halted projection. Admins only.

use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use chrono::{DateTime, Utc};
use projections::rebuild::{RebuildProgress, RebuildState};
use projections::{ProjectionState, ProjectionStatus};
use serde::Serialize;
use utoipa::{OpenApi, ToSchema};
use utoipa_axum::{router::OpenApiRouter, routes};

use crate::auth::Admin;
use crate::error::{ApiError, ApiResult};
use crate::extract::ApiPath;
use crate::state::AppState;

#[derive(OpenApi)]
#[openapi(tags((name = "projections", description = "Read-model projections (admins only)")))]
struct ProjectionsDoc;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::with_openapi(ProjectionsDoc::openapi())
        .routes(routes!(list_projections))
        .routes(routes!(rebuild_projection))
        .routes(routes!(resume_projection))
}

/// A projection's lifecycle state.
#[derive(Debug, Clone, Copy, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ProjectionStateDto {
    /// A leader applies events as they arrive.
    Running,
    /// A handler failed; nothing moves until resumed or rebuilt.
    Halted,
    /// Shadow tables are being built; the live tables are still served.
    Rebuilding,
    /// No process leads it at the moment (or it never ran).
    Standby,
}

impl From<ProjectionState> for ProjectionStateDto {
    fn from(s: ProjectionState) -> Self {
        match s {
            ProjectionState::Running => Self::Running,
            ProjectionState::Halted => Self::Halted,
            ProjectionState::Rebuilding => Self::Rebuilding,
            ProjectionState::Standby => Self::Standby,
        }
    }
}

/// Where a projection resumes: the read-order pair (transaction id, global position).
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct CheckpointDto {
    pub tx: u64,
    pub position: u64,
}

/// The process leading a projection.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct LeaderDto {
    /// `host:pid:instance` of the process that claimed it last.
    pub process: String,
    /// Whether that process still holds the projection's advisory lock.
    pub alive: bool,
}

/// The state of a rebuild.
#[derive(Debug, Clone, Copy, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum RebuildStateDto {
    Requested,
    Running,
    Swapping,
    Done,
    Failed,
}

impl From<RebuildState> for RebuildStateDto {
    fn from(s: RebuildState) -> Self {
        match s {
            RebuildState::Requested => Self::Requested,
            RebuildState::Running => Self::Running,
            RebuildState::Swapping => Self::Swapping,
            RebuildState::Done => Self::Done,
            RebuildState::Failed => Self::Failed,
        }
    }
}

/// The last (or current) blue/green rebuild of a projection.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct RebuildDto {
    pub state: RebuildStateDto,
    pub events_done: u64,
    /// The log's head when last sampled (it grows under live writes).
    pub events_total: u64,
    pub events_per_second: f64,
    pub eta_seconds: Option<f64>,
    pub error: Option<String>,
    pub requested_at: DateTime<Utc>,
    pub started_at: Option<DateTime<Utc>>,
    pub finished_at: Option<DateTime<Utc>>,
}

impl From<RebuildProgress> for RebuildDto {
    fn from(p: RebuildProgress) -> Self {
        Self {
            state: p.state.into(),
            events_done: p.events_done,
            events_total: p.events_total,
            events_per_second: p.events_per_second,
            eta_seconds: p.eta_seconds,
            error: p.error,
            requested_at: p.requested_at,
            started_at: p.started_at,
            finished_at: p.finished_at,
        }
    }
}

/// One projection as an admin sees it.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ProjectionDto {
    pub name: String,
    /// The version of the handler that built the live tables (0: never ran).
    pub version: i32,
    pub state: ProjectionStateDto,
    pub leader: Option<LeaderDto>,
    pub checkpoint: CheckpointDto,
    /// Events in the log after the checkpoint.
    pub lag_events: u64,
    /// Age of the oldest event not applied yet; 0 when caught up.
    pub lag_seconds: f64,
    pub events_per_second: f64,
    pub last_error: Option<String>,
    pub last_event_at: Option<DateTime<Utc>>,
    pub updated_at: Option<DateTime<Utc>>,
    pub rebuild: Option<RebuildDto>,
}

impl From<ProjectionStatus> for ProjectionDto {
    fn from(s: ProjectionStatus) -> Self {
        Self {
            name: s.name,
            version: s.version,
            state: s.state.into(),
            leader: s.leader_id.map(|process| LeaderDto {
                process,
                alive: s.leader_alive,
            }),
            checkpoint: CheckpointDto {
                tx: s.checkpoint.tx,
                position: s.checkpoint.pos,
            },
            lag_events: s.lag_events,
            lag_seconds: s.lag_seconds,
            events_per_second: s.events_per_second,
            last_error: s.last_error,
            last_event_at: s.last_event_at,
            updated_at: Some(s.updated_at),
            rebuild: s.rebuild.map(Into::into),
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ProjectionList {
    pub items: Vec<ProjectionDto>,
}

/// Every registered projection (a projection that never ran shows as `standby` at checkpoint 0),
/// in registration order.
async fn all(state: &AppState) -> ApiResult<Vec<ProjectionDto>> {
    let mut known = state
        .projections
        .status()
        .await
        .map_err(|e| ApiError::internal(e.to_string()))?;
    let head = state.projections.head().await?;
    let mut out = Vec::new();
    for p in crate::wiring::projections(state.documents.services.blobs.clone()) {
        let dto = match known.iter().position(|s| s.name == p.name()) {
            Some(i) => known.swap_remove(i).into(),
            None => ProjectionDto {
                name: p.name().to_owned(),
                version: 0,
                state: ProjectionStateDto::Standby,
                leader: None,
                checkpoint: CheckpointDto { tx: 0, position: 0 },
                lag_events: head,
                lag_seconds: 0.0,
                events_per_second: 0.0,
                last_error: None,
                last_event_at: None,
                updated_at: None,
                rebuild: None,
            },
        };
        out.push(dto);
    }
    Ok(out)
}

/// 404 unless `name` is a registered projection.
fn known(state: &AppState, name: &str) -> ApiResult<()> {
    crate::wiring::projection(name, state.documents.services.blobs.clone())
        .map(|_| ())
        .ok_or_else(ApiError::not_found)
}

async fn one(state: &AppState, name: &str) -> ApiResult<ProjectionDto> {
    all(state)
        .await?
        .into_iter()
        .find(|p| p.name == name)
        .ok_or_else(ApiError::not_found)
}

/// All projections with state, leader, checkpoint, lag and last error.
#[utoipa::path(get, path = "/api/admin/projections", tag = "projections",
    security(("bearer" = [])),
    responses(
        (status = 200, body = ProjectionList),
        (status = 401, description = "Not signed in"),
        (status = 403, description = "Not an admin"),
    ))]
async fn list_projections(
    State(state): State<AppState>,
    _admin: Admin,
) -> ApiResult<Json<ProjectionList>> {
    Ok(Json(ProjectionList {
        items: all(&state).await?,
    }))
}

/// Ask the projection's leader for a blue/green rebuild: shadow tables built from position zero
/// while the live ones keep serving, then swapped atomically. Follow `rebuild` in the answer
/// (and in the list) for progress. A rebuild already pending is not requested twice.
#[utoipa::path(post, path = "/api/admin/projections/{name}/rebuild", tag = "projections",
    security(("bearer" = [])),
    params(("name" = String, Path, description = "The projection's name")),
    responses(
        (status = 202, body = ProjectionDto, description = "Requested (or already pending)"),
        (status = 403, description = "Not an admin"),
        (status = 404, description = "No such projection"),
    ))]
async fn rebuild_projection(
    State(state): State<AppState>,
    Admin(who): Admin,
    ApiPath(name): ApiPath<String>,
) -> ApiResult<(StatusCode, Json<ProjectionDto>)> {
    known(&state, &name)?;
    let filed = state
        .projections
        .request_rebuild(&name)
        .await
        .map_err(|e| ApiError::internal(e.to_string()))?;
    tracing::info!(projection = %name, admin = %who.id.0, filed, "projection rebuild requested");
    Ok((StatusCode::ACCEPTED, Json(one(&state, &name).await?)))
}

/// Clear a halt once its cause is fixed: the leader retries the batch that failed.
#[utoipa::path(post, path = "/api/admin/projections/{name}/resume", tag = "projections",
    security(("bearer" = [])),
    params(("name" = String, Path, description = "The projection's name")),
    responses(
        (status = 200, body = ProjectionDto),
        (status = 403, description = "Not an admin"),
        (status = 404, description = "No such projection"),
        (status = 409, description = "`not_halted`: the projection is not halted"),
    ))]
async fn resume_projection(
    State(state): State<AppState>,
    Admin(who): Admin,
    ApiPath(name): ApiPath<String>,
) -> ApiResult<Json<ProjectionDto>> {
    known(&state, &name)?;
    let resumed = match state.projections.resume(&name).await {
        Ok(r) => r,
        Err(projections::RuntimeError::UnknownProjection(_)) => false,
        Err(e) => return Err(ApiError::internal(e.to_string())),
    };
    if !resumed {
        return Err(ApiError::conflict(
            "not_halted",
            "The projection is not halted; nothing to resume.",
        ));
    }
    tracing::info!(projection = %name, admin = %who.id.0, "projection resumed");
    Ok(Json(one(&state, &name).await?))
}
