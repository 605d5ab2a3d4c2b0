//! `GET /api/search`: full-text search over the caller's own documents and those shared with
//! them (filename, extracted text, topic names), ranked, with highlighted snippets.

use std::collections::HashSet;

use axum::extract::State;
use axum::http::HeaderMap;
use axum::Json;
use chrono::{DateTime, Utc};
use domain::document::{Access, Document};
use projections::search::SearchQuery;
use serde::Deserialize;
use utoipa::IntoParams;
use utoipa_axum::{router::OpenApiRouter, routes};
use uuid::Uuid;

use crate::auth::CurrentUser;
use crate::documents::dto::{OwnerRef, Page};
use crate::error::{ApiError, ApiResult};
use crate::extract::ApiQuery;
use crate::intelligence::dto::SearchHitDto;
use crate::state::command_context;
use crate::state::AppState;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(search_documents))
}

/// Longest accepted query, in characters.
const MAX_QUERY_CHARS: usize = 500;
const DEFAULT_LIMIT: u32 = 20;

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct SearchParams {
    /// Web-search syntax: words, `"exact phrases"`, `-excluded`, `or`; the last word also
    /// matches as a prefix.
    pub q: String,
    pub folder_id: Option<Uuid>,
    /// A topic id: only documents in that topic.
    pub topic: Option<Uuid>,
    /// Uploaded at or after (RFC 3339).
    pub from: Option<DateTime<Utc>>,
    /// Uploaded before (RFC 3339).
    pub to: Option<DateTime<Utc>>,
    /// 1–100, default 20.
    pub limit: Option<u32>,
    pub cursor: Option<String>,
}

/// Checks the query text: non-empty, bounded.
pub fn check_query(q: &str) -> ApiResult<()> {
    if q.trim().is_empty() {
        return Err(ApiError::bad_request(
            "missing_query",
            "q must not be empty.",
        ));
    }
    if q.chars().count() > MAX_QUERY_CHARS {
        return Err(ApiError::bad_request(
            "query_too_long",
            "q must be at most 500 characters.",
        ));
    }
    Ok(())
}

/// Ranked matches, best first.
///
/// A search ranks a bounded set of candidates: every filename match up to 50 and up to 100 text
/// matches (found through the index or, for the broadest queries, among the newest documents).
/// A query matching more documents than that lists them first, best first, and then the rest of
/// its matches, newest first; `next_cursor` leads through both, to the last match.
#[utoipa::path(get, path = "/api/search", tag = "search", params(SearchParams),
    responses((status = 200, body = Page<SearchHitDto>), (status = 400, description = "`missing_query`, `query_too_long`")),
    security(("bearer" = [])))]
async fn search_documents(
    State(state): State<AppState>,
    user: CurrentUser,
    headers: HeaderMap,
    ApiQuery(p): ApiQuery<SearchParams>,
) -> ApiResult<Json<Page<SearchHitDto>>> {
    check_query(&p.q)?;
    let me = user.id();
    let page = state
        .search
        .search(&SearchQuery {
            caller: Some(me),
            q: p.q,
            folder_id: p.folder_id,
            topic: p.topic,
            from: p.from,
            to: p.to,
            limit: p.limit.unwrap_or(DEFAULT_LIMIT).clamp(1, 100),
            cursor: p.cursor,
            only_owned: false,
            strategy: None,
            walk_limit: None,
            tail_walks: None,
        })
        .await?;
    let owners: Vec<Uuid> = page
        .items
        .iter()
        .map(|h| h.owner_id)
        .collect::<HashSet<_>>()
        .into_iter()
        .collect();
    let handles = state.documents.reads.handles(&owners).await?;
    let ctx = command_context(&state, me, user.role(), &headers);
    let mut items = Vec::with_capacity(page.items.len());
    for hit in page.items {
        if hit.shared {
            // A share revoked a moment ago may still be in the read model; the stream decides.
            let live = commands::load::<Document>(&ctx, hit.document_id)
                .await?
                .state;
            if live.access(me) == Access::None {
                continue;
            }
        }
        items.push(SearchHitDto {
            id: hit.document_id,
            filename: hit.filename,
            // A recipient does not learn the owner's folder structure.
            folder_id: if hit.shared { None } else { hit.folder_id },
            owner: OwnerRef {
                id: hit.owner_id,
                handle: handles
                    .get(&hit.owner_id)
                    .cloned()
                    .unwrap_or_else(|| "[erased]".into()),
            },
            created_at: hit.created_at,
            topic_ids: if hit.shared { vec![] } else { hit.topic_ids },
            rank: hit.rank,
            snippet: hit.snippet,
            shared: hit.shared,
            ranked: hit.ranked,
        });
    }
    Ok(Json(Page {
        items,
        next_cursor: page.next_cursor,
    }))
}
