//! A document's topics and processing: read them, set them by hand, rerun the classifier.
//! Only the owner may change them; a recipient gets 403, anyone else 404.

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::Json;
use commands::processing::handle;
use domain::document::{Access, Document, Status};
use domain::ids::{DocumentId, TopicId};
use domain::processing::ProcessingCommand;
use utoipa_axum::{router::OpenApiRouter, routes};
use uuid::Uuid;

use super::documents::document_dto;
use crate::auth::CurrentUser;
use crate::consistency::ConsistencyToken;
use crate::error::{ApiError, ApiResult};
use crate::extract::ApiPath;
use crate::intelligence::dto::{DocumentTopicsDto, SetTopicsRequest};
use crate::intelligence::topics;
use crate::json::ApiJson;
use crate::state::command_context;
use crate::state::AppState;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(get_topics, set_topics))
        .routes(routes!(reclassify))
}

/// The document's processing state as the caller may see it (owner or recipient).
async fn current(state: &AppState, user: &CurrentUser, id: Uuid) -> ApiResult<DocumentTopicsDto> {
    let (dto, _) = document_dto(state, user.id(), id).await?;
    topics::document_topics(&*state.processing, id, dto.status).await
}

/// Checks against the document's own stream (the read model may lag a trash or a revocation)
/// that the caller owns the active document.
async fn owned(
    state: &AppState,
    user: &CurrentUser,
    headers: &HeaderMap,
    id: Uuid,
) -> ApiResult<commands::CommandContext> {
    let ctx = command_context(state, user.id(), user.role(), headers);
    let doc = commands::load::<Document>(&ctx, id).await?.state;
    match doc.access(user.id()) {
        Access::None => Err(ApiError::not_found()),
        Access::Recipient(_) => Err(ApiError::forbidden()),
        Access::Owner => match doc.data().map(|d| d.status) {
            Some(Status::Active) => Ok(ctx),
            _ => Err(ApiError::conflict(
                "not_available",
                "Only an uploaded document that is not in the trash has topics to change.",
            )),
        },
    }
}

/// After a command: wait (bounded) for the projections, then read.
async fn after(
    state: &AppState,
    user: &CurrentUser,
    id: Uuid,
    position: Option<u64>,
) -> ApiResult<DocumentTopicsDto> {
    // Lagging projections only make the answer older, never wrong.
    crate::intelligence::caught_up(state, position).await;
    current(state, user, id).await
}

/// The document's topics, the latest suggestion and its processing status.
#[utoipa::path(get, path = "/api/documents/{id}/topics", tag = "topics", params(("id" = Uuid, Path)),
    responses((status = 200, body = DocumentTopicsDto), (status = 404)), security(("bearer" = [])))]
async fn get_topics(
    State(state): State<AppState>,
    user: CurrentUser,
    ApiPath(id): ApiPath<Uuid>,
) -> ApiResult<Json<DocumentTopicsDto>> {
    Ok(Json(current(&state, &user, id).await?))
}

/// Set the document's topics by hand (recorded as accepting or overriding the suggestion, and
/// learned from by the built-in classifier).
#[utoipa::path(put, path = "/api/documents/{id}/topics", tag = "topics", params(("id" = Uuid, Path)),
    request_body = SetTopicsRequest,
    responses((status = 200, body = DocumentTopicsDto), (status = 400, description = "`unknown_topic`"),
        (status = 403, description = "A recipient may not change it"), (status = 404), (status = 409)),
    security(("bearer" = [])))]
async fn set_topics(
    State(state): State<AppState>,
    user: CurrentUser,
    headers: HeaderMap,
    ApiPath(id): ApiPath<Uuid>,
    ApiJson(body): ApiJson<SetTopicsRequest>,
) -> ApiResult<(ConsistencyToken, Json<DocumentTopicsDto>)> {
    let ctx = owned(&state, &user, &headers, id).await?;
    if body.topic_ids.len() > 100 {
        return Err(ApiError::bad_request(
            "too_many_topics",
            "At most 100 topics per document.",
        ));
    }
    let unknown = state
        .topics
        .unknown_topics(user.id().as_uuid(), &body.topic_ids)
        .await?;
    if !unknown.is_empty() {
        return Err(
            ApiError::bad_request("unknown_topic", "Some topics do not exist.")
                .with("topic_ids", serde_json::json!(unknown)),
        );
    }
    let done = handle(
        &ctx,
        DocumentId(id),
        user.id(),
        ProcessingCommand::SetTopics {
            topic_ids: body.topic_ids.into_iter().map(TopicId::from).collect(),
        },
    )
    .await?;
    let dto = after(&state, &user, id, done.position).await?;
    Ok((ConsistencyToken(done.position), Json(dto)))
}

/// Run extraction (if it never succeeded) and classification again, in the background.
#[utoipa::path(post, path = "/api/documents/{id}/reclassify", tag = "topics", params(("id" = Uuid, Path)),
    responses((status = 202, body = DocumentTopicsDto),
        (status = 403, description = "A recipient may not reclassify it"), (status = 404), (status = 409)),
    security(("bearer" = [])))]
async fn reclassify(
    State(state): State<AppState>,
    user: CurrentUser,
    headers: HeaderMap,
    ApiPath(id): ApiPath<Uuid>,
) -> ApiResult<(StatusCode, ConsistencyToken, Json<DocumentTopicsDto>)> {
    let ctx = owned(&state, &user, &headers, id).await?;
    let done = handle(
        &ctx,
        DocumentId(id),
        user.id(),
        ProcessingCommand::RequestReclassification,
    )
    .await?;
    let dto = after(&state, &user, id, done.position).await?;
    Ok((
        StatusCode::ACCEPTED,
        ConsistencyToken(done.position),
        Json(dto),
    ))
}
