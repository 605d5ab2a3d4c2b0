//! `GET /api/documents?q=`: the document listing backed by the search projection (the caller's
//! own available documents, ranked), in the listing's own shape.

use domain::ids::UserId;
use projections::search::SearchQuery;
use uuid::Uuid;

use crate::documents::dto::{DocumentDto, Page};
use crate::error::ApiResult;
use crate::routes::search::check_query;
use crate::state::AppState;

/// One ranked page. `folder` is `Some(nil)` for the top level (filtered after ranking, so such a
/// page may hold fewer than `limit` items while `next_cursor` still leads on).
pub async fn search_page(
    state: &AppState,
    owner: UserId,
    q: &str,
    folder: Option<Uuid>,
    limit: u32,
    cursor: Option<String>,
) -> ApiResult<Page<DocumentDto>> {
    check_query(q)?;
    let page = state
        .search
        .search(&SearchQuery {
            caller: Some(owner),
            q: q.to_owned(),
            folder_id: folder.filter(|f| !f.is_nil()),
            limit: limit.min(100),
            cursor,
            only_owned: true,
            ..SearchQuery::default()
        })
        .await?;
    let ids: Vec<Uuid> = page.items.iter().map(|h| h.document_id).collect();
    let rows = state
        .documents
        .reads
        .documents_by_ids(owner.as_uuid(), "active", &ids)
        .await?;
    Ok(Page {
        items: rows
            .into_iter()
            .filter(|r| folder.is_none_or(|f| !f.is_nil() || r.folder_key.is_nil()))
            .map(DocumentDto::from)
            .collect(),
        next_cursor: page.next_cursor,
    })
}
