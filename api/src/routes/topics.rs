//! `/api/topics`: the caller's topics and the system defaults (admins manage those).

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::Json;
use commands::{Executed, Role};
use domain::ids::TopicId;
use domain::topic::{Keywords, Topic, TopicCommand, TopicEditor, TopicName};
use utoipa_axum::{router::OpenApiRouter, routes};
use uuid::Uuid;

use crate::auth::CurrentUser;
use crate::consistency::ConsistencyToken;
use crate::documents::dto::Page;
use crate::error::{ApiError, ApiResult};
use crate::extract::ApiPath;
use crate::intelligence::dto::{CreateTopicRequest, TopicDto, UpdateTopicRequest};
use crate::intelligence::topics;
use crate::json::ApiJson;
use crate::state::command_context;
use crate::state::AppState;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list, create))
        .routes(routes!(update, delete))
}

/// Users edit their own topics, admins the system topics; for a system topic the editor is the
/// admin, for anything else the user (so an admin's own topics stay theirs).
fn editor(user: &CurrentUser, system: bool) -> TopicEditor {
    if system && user.role() == Role::Admin {
        TopicEditor::Admin(user.id())
    } else {
        TopicEditor::User(user.id())
    }
}

/// The topic as the caller sees it once the projections reflect the command (a bounded wait);
/// built from the aggregate when they lag.
async fn topic_after(
    state: &AppState,
    user: Uuid,
    done: &Executed<Topic, ()>,
) -> ApiResult<TopicDto> {
    let id = done.state.id.map(|t| t.as_uuid()).unwrap_or_default();
    if crate::intelligence::caught_up(state, done.position).await {
        if let Some(t) = topics::topic(&*state.topics, user, id).await? {
            return Ok(t);
        }
    }
    let now = state.clock.now();
    Ok(TopicDto {
        id,
        name: done.state.name.clone().unwrap_or_default(),
        keywords: done.state.keywords.clone(),
        system: done.state.owner.is_none(),
        shadows: done.state.shadows.map(|s| s.as_uuid()),
        created_at: now,
        updated_at: now,
    })
}

/// The caller's topics and the system topics they have not shadowed, by name.
#[utoipa::path(get, path = "/api/topics", tag = "topics",
    responses((status = 200, body = Page<TopicDto>)), security(("bearer" = [])))]
async fn list(State(state): State<AppState>, user: CurrentUser) -> ApiResult<Json<Page<TopicDto>>> {
    let items = topics::visible_topics(&*state.topics, user.id().as_uuid()).await?;
    // A user has tens of topics, not thousands: one page.
    Ok(Json(Page {
        items,
        next_cursor: None,
    }))
}

/// Create a topic of the caller's (optionally shadowing a system topic), or, for an admin with
/// `system: true`, a system default topic.
#[utoipa::path(post, path = "/api/topics", tag = "topics", request_body = CreateTopicRequest,
    responses((status = 201, body = TopicDto), (status = 400), (status = 403, description = "`system` without being an admin")),
    security(("bearer" = [])))]
async fn create(
    State(state): State<AppState>,
    user: CurrentUser,
    headers: HeaderMap,
    ApiJson(body): ApiJson<CreateTopicRequest>,
) -> ApiResult<(StatusCode, ConsistencyToken, Json<TopicDto>)> {
    if body.system && user.role() != Role::Admin {
        return Err(ApiError::forbidden());
    }
    let name = TopicName::parse(&body.name)?;
    let keywords = Keywords::parse(&body.keywords)?;
    if let Some(shadowed) = body.shadows {
        let target = topics::topic(&*state.topics, user.id().as_uuid(), shadowed).await?;
        if !target.is_some_and(|t| t.system) {
            return Err(ApiError::bad_request(
                "invalid_shadows",
                "shadows must name a system topic.",
            ));
        }
    }
    let id = TopicId::new();
    let ctx = command_context(&state, user.id(), user.role(), &headers);
    let done = commands::topic::handle(
        &ctx,
        id,
        editor(&user, body.system),
        TopicCommand::Create {
            id,
            name,
            keywords,
            shadows: body.shadows.map(TopicId::from),
        },
    )
    .await?;
    let dto = topic_after(&state, user.id().as_uuid(), &done).await?;
    Ok((
        StatusCode::CREATED,
        ConsistencyToken(done.position),
        Json(dto),
    ))
}

/// The topic the caller may edit: their own, or (admins) a system topic; anything else is 404.
async fn editable(state: &AppState, user: &CurrentUser, id: Uuid) -> ApiResult<TopicDto> {
    let topic = topics::topic(&*state.topics, user.id().as_uuid(), id)
        .await?
        .ok_or_else(ApiError::not_found)?;
    if topic.system && user.role() != Role::Admin {
        return Err(ApiError::not_found());
    }
    Ok(topic)
}

/// Rename a topic and/or replace its keyword rules.
#[utoipa::path(patch, path = "/api/topics/{id}", tag = "topics", params(("id" = Uuid, Path)),
    request_body = UpdateTopicRequest,
    responses((status = 200, body = TopicDto), (status = 400), (status = 404, description = "No such topic (or not yours to change)")),
    security(("bearer" = [])))]
async fn update(
    State(state): State<AppState>,
    user: CurrentUser,
    headers: HeaderMap,
    ApiPath(id): ApiPath<Uuid>,
    ApiJson(body): ApiJson<UpdateTopicRequest>,
) -> ApiResult<(ConsistencyToken, Json<TopicDto>)> {
    let current = editable(&state, &user, id).await?;
    let ed = editor(&user, current.system);
    let ctx = command_context(&state, user.id(), user.role(), &headers);
    let mut commands_to_run = Vec::new();
    if let Some(name) = &body.name {
        commands_to_run.push(TopicCommand::Rename {
            name: TopicName::parse(name)?,
        });
    }
    if let Some(keywords) = &body.keywords {
        commands_to_run.push(TopicCommand::SetKeywords {
            keywords: Keywords::parse(keywords)?,
        });
    }
    let mut last = None;
    for command in commands_to_run {
        last = Some(commands::topic::handle(&ctx, TopicId::from(id), ed, command).await?);
    }
    match last {
        Some(done) => {
            let dto = topic_after(&state, user.id().as_uuid(), &done).await?;
            Ok((ConsistencyToken(done.position), Json(dto)))
        }
        None => Ok((ConsistencyToken(None), Json(current))),
    }
}

/// Delete a topic. Documents keep no reference to it in searches by topic name; their topic
/// lists drop it on the next classification or hand edit.
#[utoipa::path(delete, path = "/api/topics/{id}", tag = "topics", params(("id" = Uuid, Path)),
    responses((status = 204), (status = 404, description = "No such topic (or not yours to delete)")),
    security(("bearer" = [])))]
async fn delete(
    State(state): State<AppState>,
    user: CurrentUser,
    headers: HeaderMap,
    ApiPath(id): ApiPath<Uuid>,
) -> ApiResult<(StatusCode, ConsistencyToken, ())> {
    let current = editable(&state, &user, id).await?;
    let ctx = command_context(&state, user.id(), user.role(), &headers);
    let done = commands::topic::handle(
        &ctx,
        TopicId::from(id),
        editor(&user, current.system),
        TopicCommand::Delete,
    )
    .await?;
    Ok((StatusCode::NO_CONTENT, ConsistencyToken(done.position), ()))
}
