//! Queries on the documents read models. Every listing is a keyset page over one of the indexes
//! in the `documents_read_models` migration; nothing counts or sorts a user's whole collection.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use sqlx::postgres::PgRow;
use sqlx::{Column, PgPool, Postgres, QueryBuilder, Row};
use uuid::Uuid;

use super::dto::{DocumentDto, FolderDto, OwnerRef, ShareDto};
use crate::error::ApiError;

/// The columns every document query selects, as `DocRow` reads them: all from the `documents` row
/// (its projection keeps the processing status, topics and duplicate-of pointer there), so a page
/// is one index range scan. The one exception: a document still `uploaded` whose first run a
/// worker has already claimed shows `processing` (a job lease is not an event; the probe runs
/// only for such rows).
const DOC_COLUMNS: &str = "d.id, d.owner_id, d.folder_key, d.filename, d.filename_key, \
     d.content_type, d.size_bytes, d.sha256, d.state, \
     case when d.processing_status = 'uploaded' and d.state = 'active' then coalesce( \
         (select 'processing' from processing_jobs j \
          where j.document_id = d.id and j.status = 'processing' limit 1), 'uploaded') \
         else d.processing_status end as processing_status, \
     d.topic_ids, d.duplicate_of, \
     d.created_at, d.updated_at, d.trashed_at, d.shared_with_count";

/// The owner's handle beside a document row, from the identity read model in the same statement
/// (an erased user has no row: `None`).
const OWNER_HANDLE: &str = "(select u.handle from users u where u.id = d.owner_id) as owner_handle";

#[derive(Debug, Clone)]
pub struct DocRow {
    pub id: Uuid,
    pub owner_id: Uuid,
    pub folder_key: Uuid,
    pub filename: String,
    pub filename_key: String,
    pub content_type: String,
    pub size_bytes: i64,
    pub sha256: Option<String>,
    pub state: String,
    pub processing_status: String,
    pub topic_ids: Vec<Uuid>,
    pub duplicate_of: Option<Uuid>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub trashed_at: Option<DateTime<Utc>>,
    pub shared_with_count: i32,
    /// Selected by the queries that answer a document with its owner (see [`OWNER_HANDLE`]), as
    /// the column right after [`DOC_COLUMNS`]; `None` elsewhere and for an erased owner.
    pub owner_handle: Option<String>,
}

/// Where `owner_handle` sits when a query selects it: right after the [`DOC_COLUMNS`].
const OWNER_HANDLE_AT: usize = 16;

/// Reads the [`DOC_COLUMNS`] by position: a page decodes 16 columns of 51 rows, and looking each
/// one up by name was a visible share of a folder page's CPU. The queries that embed a `DocRow`
/// (`#[sqlx(flatten)]`) select `DOC_COLUMNS` first, so the positions hold for them too.
impl<'r> sqlx::FromRow<'r, PgRow> for DocRow {
    fn from_row(row: &'r PgRow) -> Result<Self, sqlx::Error> {
        let owner_handle = match row.columns().get(OWNER_HANDLE_AT) {
            Some(c) if c.name() == "owner_handle" => row.try_get(OWNER_HANDLE_AT)?,
            _ => None,
        };
        Ok(DocRow {
            id: row.try_get(0)?,
            owner_id: row.try_get(1)?,
            folder_key: row.try_get(2)?,
            filename: row.try_get(3)?,
            filename_key: row.try_get(4)?,
            content_type: row.try_get(5)?,
            size_bytes: row.try_get(6)?,
            sha256: row.try_get(7)?,
            state: row.try_get(8)?,
            processing_status: row.try_get(9)?,
            topic_ids: row.try_get(10)?,
            duplicate_of: row.try_get(11)?,
            created_at: row.try_get(12)?,
            updated_at: row.try_get(13)?,
            trashed_at: row.try_get(14)?,
            shared_with_count: row.try_get(15)?,
            owner_handle,
        })
    }
}

impl DocRow {
    /// The document as the API shows it; the owner's handle is `[erased]` once the owner is gone
    /// (or when the query did not select it).
    pub fn into_dto(self) -> DocumentDto {
        let status = match self.state.as_str() {
            "active" => self.processing_status,
            other => other.to_owned(),
        };
        DocumentDto {
            id: self.id,
            filename: self.filename,
            content_type: self.content_type,
            size_bytes: self.size_bytes.max(0) as u64,
            sha256: self.sha256,
            folder_id: (!self.folder_key.is_nil()).then_some(self.folder_key),
            status,
            owner: OwnerRef {
                id: self.owner_id,
                handle: self
                    .owner_handle
                    .unwrap_or_else(|| ERASED_HANDLE.to_owned()),
            },
            created_at: self.created_at,
            updated_at: self.updated_at,
            shared_with_count: self.shared_with_count.max(0) as u32,
            trashed_at: self.trashed_at,
            topic_ids: self.topic_ids,
            duplicate_of: self.duplicate_of,
        }
    }
}

/// What the API shows for the handle of a user who has been erased.
pub const ERASED_HANDLE: &str = "[erased]";

/// How the caller may see a document.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Visibility {
    Owner,
    /// Through a share with this permission.
    Recipient(String),
}

/// A document the caller owns (pending, active or trashed) or holds a share of (active only).
/// Anything else is `None`, exactly like a missing document.
pub async fn visible_document(
    pool: &PgPool,
    caller: Uuid,
    id: Uuid,
) -> Result<Option<(DocRow, Visibility)>, ApiError> {
    #[derive(sqlx::FromRow)]
    struct Row {
        #[sqlx(flatten)]
        doc: DocRow,
        permission: Option<String>,
    }
    let row: Option<Row> = sqlx::query_as(&format!(
        "select {DOC_COLUMNS}, {OWNER_HANDLE}, s.permission from documents d \
         left join document_shares s on s.document_id = d.id and s.recipient_id = $2 \
         where d.id = $1 and (d.owner_id = $2 or (s.share_id is not null and d.state = 'active'))"
    ))
    .bind(id)
    .bind(caller)
    .fetch_optional(pool)
    .await?;
    Ok(row.map(|r| {
        let vis = if r.doc.owner_id == caller {
            Visibility::Owner
        } else {
            Visibility::Recipient(r.permission.unwrap_or_default())
        };
        (r.doc, vis)
    }))
}

/// The sort orders of `GET /api/documents?sort=` (a leading `-` means descending).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SortKey {
    Created,
    Name,
    Size,
}

#[derive(Debug, Clone, Copy)]
pub struct Sort {
    pub key: SortKey,
    pub descending: bool,
}

impl Sort {
    /// Newest first unless asked otherwise.
    pub fn parse(raw: Option<&str>) -> Result<Self, ApiError> {
        let raw = raw.unwrap_or("-created_at");
        let (descending, name) = match raw.strip_prefix('-') {
            Some(n) => (true, n),
            None => (false, raw),
        };
        let key = match name {
            "created_at" => SortKey::Created,
            "filename" | "name" => SortKey::Name,
            "size_bytes" | "size" => SortKey::Size,
            _ => {
                return Err(ApiError::bad_request(
                    "invalid_sort",
                    "sort must be one of created_at, filename, size_bytes, optionally prefixed with `-`.",
                ))
            }
        };
        Ok(Self { key, descending })
    }

    fn column(&self) -> &'static str {
        match self.key {
            SortKey::Created => "d.created_at",
            SortKey::Name => "d.filename_key",
            SortKey::Size => "d.size_bytes",
        }
    }
}

/// A keyset cursor: the sort key and id of the last row of the previous page.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(untagged)]
enum CursorKey {
    Time(DateTime<Utc>),
    Int(i64),
    Text(String),
}

#[derive(Debug, Clone, Serialize, Deserialize)]
struct Cursor {
    k: CursorKey,
    id: Uuid,
}

fn encode_cursor(c: &Cursor) -> String {
    URL_SAFE_NO_PAD.encode(serde_json::to_vec(c).expect("cursor serializes"))
}

fn decode_cursor(raw: &str) -> Result<Cursor, ApiError> {
    URL_SAFE_NO_PAD
        .decode(raw)
        .ok()
        .and_then(|b| serde_json::from_slice(&b).ok())
        .ok_or_else(|| ApiError::bad_request("invalid_cursor", "The cursor is not valid."))
}

/// What a listing asks for.
#[derive(Debug, Clone)]
pub struct Listing {
    pub owner: Uuid,
    pub state: &'static str,
    /// `Some(nil)` is the top level; `None` lists every folder.
    pub folder: Option<Uuid>,
    pub q: Option<String>,
    pub sort: Sort,
    pub limit: u32,
    pub cursor: Option<String>,
}

/// One page of a user's documents.
pub async fn list_documents(
    pool: &PgPool,
    l: &Listing,
) -> Result<(Vec<DocRow>, Option<String>), ApiError> {
    let col = l.sort.column();
    // Every row has the one owner: the handle is read once (an init plan), not per row.
    let mut qb: QueryBuilder<Postgres> = QueryBuilder::new(format!(
        "select {DOC_COLUMNS}, (select u.handle from users u where u.id = "
    ));
    qb.push_bind(l.owner)
        .push(") as owner_handle from documents d where d.owner_id = ")
        .push_bind(l.owner);
    qb.push(" and d.state = ").push_bind(l.state);
    if let Some(f) = l.folder {
        qb.push(" and d.folder_key = ").push_bind(f);
    }
    if let Some(q) = l.q.as_deref().filter(|q| !q.trim().is_empty()) {
        qb.push(" and d.filename_key like ")
            .push_bind(format!("%{}%", escape_like(&q.trim().to_lowercase())))
            .push(" escape '\\'");
    }
    if let Some(raw) = &l.cursor {
        let c = decode_cursor(raw)?;
        let cmp = if l.sort.descending { "<" } else { ">" };
        qb.push(format!(" and ({col}, d.id) {cmp} ("));
        match (l.sort.key, c.k) {
            (SortKey::Created, CursorKey::Time(t)) => qb.push_bind(t),
            (SortKey::Size, CursorKey::Int(n)) => qb.push_bind(n),
            (SortKey::Name, CursorKey::Text(s)) => qb.push_bind(s),
            _ => {
                return Err(ApiError::bad_request(
                    "invalid_cursor",
                    "The cursor belongs to another sort order.",
                ))
            }
        };
        qb.push(", ").push_bind(c.id).push(")");
    }
    let dir = if l.sort.descending { "desc" } else { "asc" };
    qb.push(format!(" order by {col} {dir}, d.id {dir} limit "))
        .push_bind(i64::from(l.limit) + 1);
    let mut rows: Vec<DocRow> = qb.build_query_as().fetch_all(pool).await?;
    let next = if rows.len() > l.limit as usize {
        rows.truncate(l.limit as usize);
        rows.last().map(|r| {
            encode_cursor(&Cursor {
                k: match l.sort.key {
                    SortKey::Created => CursorKey::Time(r.created_at),
                    SortKey::Size => CursorKey::Int(r.size_bytes),
                    SortKey::Name => CursorKey::Text(r.filename_key.clone()),
                },
                id: r.id,
            })
        })
    } else {
        None
    };
    Ok((rows, next))
}

/// The owner's documents among `ids` in `state`, in the order of `ids` (a search's ranking).
pub async fn documents_by_ids(
    pool: &PgPool,
    owner: Uuid,
    state: &str,
    ids: &[Uuid],
) -> Result<Vec<DocRow>, ApiError> {
    // One owner for every row: the handle is read once (an init plan), as in `list_documents`.
    let mut rows: Vec<DocRow> = sqlx::query_as(&format!(
        "select {DOC_COLUMNS}, (select u.handle from users u where u.id = $2) as owner_handle \
         from documents d where d.id = any($1) and d.owner_id = $2 and d.state = $3"
    ))
    .bind(ids)
    .bind(owner)
    .bind(state)
    .fetch_all(pool)
    .await?;
    rows.sort_by_key(|r| ids.iter().position(|i| *i == r.id));
    Ok(rows)
}

fn escape_like(s: &str) -> String {
    s.replace('\\', "\\\\")
        .replace('%', "\\%")
        .replace('_', "\\_")
}

/// Documents shared with `recipient`, newest share first, with the permission.
pub async fn shared_with(
    pool: &PgPool,
    recipient: Uuid,
    limit: u32,
    cursor: Option<&str>,
) -> Result<(Vec<(DocRow, String)>, Option<String>), ApiError> {
    #[derive(sqlx::FromRow)]
    struct Row {
        #[sqlx(flatten)]
        doc: DocRow,
        permission: String,
        share_id: Uuid,
        shared_at: DateTime<Utc>,
    }
    let mut qb: QueryBuilder<Postgres> = QueryBuilder::new(format!(
        "select {DOC_COLUMNS}, {OWNER_HANDLE}, s.permission, s.share_id, \
         s.created_at as shared_at \
         from document_shares s join documents d on d.id = s.document_id \
         where d.state = 'active' and s.recipient_id = "
    ));
    qb.push_bind(recipient);
    if let Some(raw) = cursor {
        let c = decode_cursor(raw)?;
        let CursorKey::Time(t) = c.k else {
            return Err(ApiError::bad_request(
                "invalid_cursor",
                "The cursor is not valid.",
            ));
        };
        qb.push(" and (s.created_at, s.share_id) < (")
            .push_bind(t)
            .push(", ")
            .push_bind(c.id)
            .push(")");
    }
    qb.push(" order by s.created_at desc, s.share_id desc limit ")
        .push_bind(i64::from(limit) + 1);
    let mut rows: Vec<Row> = qb.build_query_as().fetch_all(pool).await?;
    let next = if rows.len() > limit as usize {
        rows.truncate(limit as usize);
        rows.last().map(|r| {
            encode_cursor(&Cursor {
                k: CursorKey::Time(r.shared_at),
                id: r.share_id,
            })
        })
    } else {
        None
    };
    Ok((
        rows.into_iter().map(|r| (r.doc, r.permission)).collect(),
        next,
    ))
}

/// The shares of one document (the caller is known to own it).
pub async fn shares_of(pool: &PgPool, document: Uuid) -> Result<Vec<ShareRow>, ApiError> {
    Ok(sqlx::query_as(
        "select share_id, document_id, recipient_id, permission, created_at \
         from document_shares where document_id = $1 order by created_at, share_id",
    )
    .bind(document)
    .fetch_all(pool)
    .await?)
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct ShareRow {
    pub share_id: Uuid,
    pub document_id: Uuid,
    pub recipient_id: Uuid,
    pub permission: String,
    pub created_at: DateTime<Utc>,
}

impl ShareRow {
    pub fn into_dto(self, handle: String) -> ShareDto {
        ShareDto {
            id: self.share_id,
            document_id: self.document_id,
            recipient: OwnerRef {
                id: self.recipient_id,
                handle,
            },
            permission: self.permission,
            created_at: self.created_at,
        }
    }
}

#[derive(sqlx::FromRow)]
struct FolderRow {
    id: Uuid,
    name: String,
    parent_id: Option<Uuid>,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
}

impl From<FolderRow> for FolderDto {
    fn from(r: FolderRow) -> Self {
        FolderDto {
            id: r.id,
            name: r.name,
            parent_id: r.parent_id,
            created_at: r.created_at,
            updated_at: r.updated_at,
        }
    }
}

pub async fn folders_of(pool: &PgPool, owner: Uuid) -> Result<Vec<FolderDto>, ApiError> {
    let rows: Vec<FolderRow> = sqlx::query_as(
        "select id, name, parent_id, created_at, updated_at from folders \
         where owner_id = $1 order by lower(name), id",
    )
    .bind(owner)
    .fetch_all(pool)
    .await?;
    Ok(rows.into_iter().map(Into::into).collect())
}

/// One of the owner's folders.
pub async fn folder(pool: &PgPool, owner: Uuid, id: Uuid) -> Result<Option<FolderDto>, ApiError> {
    let row: Option<FolderRow> = sqlx::query_as(
        "select id, name, parent_id, created_at, updated_at from folders \
         where owner_id = $1 and id = $2",
    )
    .bind(owner)
    .bind(id)
    .fetch_optional(pool)
    .await?;
    Ok(row.map(Into::into))
}

/// `(limit or None for the default, used, reserved by pending uploads)`.
pub async fn quota_of(
    pool: &PgPool,
    user: Uuid,
    now: DateTime<Utc>,
) -> Result<(Option<i64>, i64, i64), ApiError> {
    let row: Option<(Option<i64>, i64)> =
        sqlx::query_as("select limit_bytes, used_bytes from quotas where user_id = $1")
            .bind(user)
            .fetch_optional(pool)
            .await?;
    let reserved: Option<i64> = sqlx::query_scalar(
        "select sum(size_bytes)::int8 from documents \
         where owner_id = $1 and state = 'pending' and upload_expires_at > $2",
    )
    .bind(user)
    .bind(now)
    .fetch_one(pool)
    .await?;
    let (limit, used) = row.unwrap_or((None, 0));
    Ok((limit, used, reserved.unwrap_or(0)))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The names `DocRow::from_row` expects at each position, and what `DOC_COLUMNS` selects there.
    #[test]
    fn doc_columns_are_in_the_order_doc_row_reads_them() {
        let expected = [
            "id",
            "owner_id",
            "folder_key",
            "filename",
            "filename_key",
            "content_type",
            "size_bytes",
            "sha256",
            "state",
            "processing_status",
            "topic_ids",
            "duplicate_of",
            "created_at",
            "updated_at",
            "trashed_at",
            "shared_with_count",
        ];
        // Split at the commas outside parentheses; a column's name is its alias or what follows `d.`.
        let (mut names, mut depth, mut start) = (Vec::new(), 0, 0);
        let text = format!("{DOC_COLUMNS}, {OWNER_HANDLE}");
        for (i, c) in text.char_indices().chain([(text.len(), ',')]) {
            match c {
                '(' => depth += 1,
                ')' => depth -= 1,
                ',' if depth == 0 => {
                    let item = text[start..i].trim();
                    let name = match item.rsplit_once(" as ") {
                        Some((_, alias)) => alias,
                        None => item.trim_start_matches("d."),
                    };
                    names.push(name.to_owned());
                    start = i + 1;
                }
                _ => {}
            }
        }
        assert_eq!(names[..OWNER_HANDLE_AT], expected);
        assert_eq!(names[OWNER_HANDLE_AT], "owner_handle");
    }
}
