//! The documents read model (documents, shares, folders, quotas) on PostgreSQL:
//!
//! - [`PgDocumentReads`]: the query API's port (`projections::documents::DocumentReads`). Page
//!   reads (one document, listings, shared-with-me, folders) go to the page-read pool
//!   (`crate::page_read_pool`), the rest to the main pool. Each method is one of the functions
//!   below on a pool, which the read-model tests call directly.
//! - [`SqlFacts`]: the command handlers' read-model questions (`commands::documents::DocumentFacts`).
//! - [`SqlUsers`]: the user directory the share command resolves handles with (`UserDirectory`).
//!
//! Every listing is a keyset page over one of the indexes in the `documents_read_models`
//! migration; nothing counts or sorts a user's whole collection.

use std::collections::HashMap;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use commands::documents::{DocumentFacts, FactsError, UserDirectory};
use domain::ids::{DocumentId, FolderId, UserId};
use projections::documents::{
    Cursor, CursorKey, DocRow, DocumentReads, FolderRow, Listing, ShareRow, Sort, SortKey,
    Visibility,
};
use projections::ReadError;
use sqlx::postgres::PgRow;
use sqlx::{Column, PgPool, Postgres, QueryBuilder, Row};
use uuid::Uuid;

/// The query port on the main pool and the page-read pool.
#[derive(Clone)]
pub struct PgDocumentReads {
    pub pool: PgPool,
    /// For page reads only (`crate::page_read_pool`).
    pub pages: PgPool,
}

#[async_trait]
impl DocumentReads for PgDocumentReads {
    async fn visible_document(
        &self,
        caller: Uuid,
        id: Uuid,
    ) -> Result<Option<(DocRow, Visibility)>, ReadError> {
        visible_document(&self.pages, caller, id).await
    }

    async fn list_documents(
        &self,
        listing: &Listing,
    ) -> Result<(Vec<DocRow>, Option<String>), ReadError> {
        list_documents(&self.pages, listing).await
    }

    async fn documents_by_ids(
        &self,
        owner: Uuid,
        state: &str,
        ids: &[Uuid],
    ) -> Result<Vec<DocRow>, ReadError> {
        documents_by_ids(&self.pages, owner, state, ids).await
    }

    async fn shared_with(
        &self,
        recipient: Uuid,
        limit: u32,
        cursor: Option<&str>,
    ) -> Result<(Vec<(DocRow, String)>, Option<String>), ReadError> {
        shared_with(&self.pages, recipient, limit, cursor).await
    }

    async fn shares_of(&self, document: Uuid) -> Result<Vec<ShareRow>, ReadError> {
        shares_of(&self.pool, document).await
    }

    async fn folders_of(&self, owner: Uuid) -> Result<Vec<FolderRow>, ReadError> {
        folders_of(&self.pages, owner).await
    }

    async fn folder(&self, owner: Uuid, id: Uuid) -> Result<Option<FolderRow>, ReadError> {
        folder(&self.pages, owner, id).await
    }

    async fn quota_of(
        &self,
        user: Uuid,
        now: DateTime<Utc>,
    ) -> Result<(Option<i64>, i64, i64), ReadError> {
        quota_of(&self.pool, user, now).await
    }

    async fn handles(&self, ids: &[Uuid]) -> Result<HashMap<Uuid, String>, ReadError> {
        handles(&self.pool, ids).await
    }
}

/// The columns every document query selects, as `Doc` reads them: all from the `documents` row
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

/// Where `owner_handle` sits when a query selects it: right after the [`DOC_COLUMNS`].
const OWNER_HANDLE_AT: usize = 16;

/// A [`DocRow`] as the [`DOC_COLUMNS`] (and, where selected, [`OWNER_HANDLE`]) answer it.
struct Doc(DocRow);

/// Reads the [`DOC_COLUMNS`] by position: a page decodes 16 columns of 51 rows, and looking each
/// one up by name was a visible share of a folder page's CPU. The queries that embed a `Doc`
/// (`#[sqlx(flatten)]`) select `DOC_COLUMNS` first, so the positions hold for them too.
impl<'r> sqlx::FromRow<'r, PgRow> for Doc {
    fn from_row(row: &'r PgRow) -> Result<Self, sqlx::Error> {
        let owner_handle = match row.columns().get(OWNER_HANDLE_AT) {
            Some(c) if c.name() == "owner_handle" => row.try_get(OWNER_HANDLE_AT)?,
            _ => None,
        };
        Ok(Doc(DocRow {
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
        }))
    }
}

/// The column a listing in `sort` order is keyed on.
fn sort_column(sort: &Sort) -> &'static str {
    match sort.key {
        SortKey::Created => "d.created_at",
        SortKey::Name => "d.filename_key",
        SortKey::Size => "d.size_bytes",
    }
}

/// A document the caller owns (pending, active or trashed) or holds a share of (active only).
/// Anything else is `None`, exactly like a missing document.
pub async fn visible_document(
    pool: &PgPool,
    caller: Uuid,
    id: Uuid,
) -> Result<Option<(DocRow, Visibility)>, ReadError> {
    #[derive(sqlx::FromRow)]
    struct Row {
        #[sqlx(flatten)]
        doc: Doc,
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
    .await
    .map_err(super::database)?;
    Ok(row.map(|r| {
        let vis = if r.doc.0.owner_id == caller {
            Visibility::Owner
        } else {
            Visibility::Recipient(r.permission.unwrap_or_default())
        };
        (r.doc.0, vis)
    }))
}

/// One page of a user's documents.
pub async fn list_documents(
    pool: &PgPool,
    l: &Listing,
) -> Result<(Vec<DocRow>, Option<String>), ReadError> {
    let col = sort_column(&l.sort);
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
            .push_bind(format!(
                "%{}%",
                super::escape_like(&q.trim().to_lowercase())
            ))
            .push(" escape '\\'");
    }
    if let Some(raw) = &l.cursor {
        let c = Cursor::decode(raw)?;
        let cmp = if l.sort.descending { "<" } else { ">" };
        qb.push(format!(" and ({col}, d.id) {cmp} ("));
        match (l.sort.key, c.k) {
            (SortKey::Created, CursorKey::Time(t)) => qb.push_bind(t),
            (SortKey::Size, CursorKey::Int(n)) => qb.push_bind(n),
            (SortKey::Name, CursorKey::Text(s)) => qb.push_bind(s),
            _ => return Err(ReadError::CursorOfAnotherSort),
        };
        qb.push(", ").push_bind(c.id).push(")");
    }
    let dir = if l.sort.descending { "desc" } else { "asc" };
    qb.push(format!(" order by {col} {dir}, d.id {dir} limit "))
        .push_bind(i64::from(l.limit) + 1);
    let rows: Vec<Doc> = qb
        .build_query_as()
        .fetch_all(pool)
        .await
        .map_err(super::database)?;
    let mut rows: Vec<DocRow> = rows.into_iter().map(|d| d.0).collect();
    let next = if rows.len() > l.limit as usize {
        rows.truncate(l.limit as usize);
        rows.last().map(|r| {
            Cursor {
                k: match l.sort.key {
                    SortKey::Created => CursorKey::Time(r.created_at),
                    SortKey::Size => CursorKey::Int(r.size_bytes),
                    SortKey::Name => CursorKey::Text(r.filename_key.clone()),
                },
                id: r.id,
            }
            .encode()
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
) -> Result<Vec<DocRow>, ReadError> {
    // One owner for every row: the handle is read once (an init plan), as in `list_documents`.
    let rows: Vec<Doc> = sqlx::query_as(&format!(
        "select {DOC_COLUMNS}, (select u.handle from users u where u.id = $2) as owner_handle \
         from documents d where d.id = any($1) and d.owner_id = $2 and d.state = $3"
    ))
    .bind(ids)
    .bind(owner)
    .bind(state)
    .fetch_all(pool)
    .await
    .map_err(super::database)?;
    let mut rows: Vec<DocRow> = rows.into_iter().map(|d| d.0).collect();
    rows.sort_by_key(|r| ids.iter().position(|i| *i == r.id));
    Ok(rows)
}

/// Documents shared with `recipient`, newest share first, with the permission.
pub async fn shared_with(
    pool: &PgPool,
    recipient: Uuid,
    limit: u32,
    cursor: Option<&str>,
) -> Result<(Vec<(DocRow, String)>, Option<String>), ReadError> {
    #[derive(sqlx::FromRow)]
    struct Row {
        #[sqlx(flatten)]
        doc: Doc,
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
        let c = Cursor::decode(raw)?;
        let CursorKey::Time(t) = c.k else {
            return Err(ReadError::InvalidCursor);
        };
        qb.push(" and (s.created_at, s.share_id) < (")
            .push_bind(t)
            .push(", ")
            .push_bind(c.id)
            .push(")");
    }
    qb.push(" order by s.created_at desc, s.share_id desc limit ")
        .push_bind(i64::from(limit) + 1);
    let mut rows: Vec<Row> = qb
        .build_query_as()
        .fetch_all(pool)
        .await
        .map_err(super::database)?;
    let next = if rows.len() > limit as usize {
        rows.truncate(limit as usize);
        rows.last().map(|r| {
            Cursor {
                k: CursorKey::Time(r.shared_at),
                id: r.share_id,
            }
            .encode()
        })
    } else {
        None
    };
    Ok((
        rows.into_iter().map(|r| (r.doc.0, r.permission)).collect(),
        next,
    ))
}

/// The shares of one document (the caller is known to own it).
pub async fn shares_of(pool: &PgPool, document: Uuid) -> Result<Vec<ShareRow>, ReadError> {
    #[derive(sqlx::FromRow)]
    struct Share {
        share_id: Uuid,
        document_id: Uuid,
        recipient_id: Uuid,
        permission: String,
        created_at: DateTime<Utc>,
    }
    let rows: Vec<Share> = sqlx::query_as(
        "select share_id, document_id, recipient_id, permission, created_at \
         from document_shares where document_id = $1 order by created_at, share_id",
    )
    .bind(document)
    .fetch_all(pool)
    .await
    .map_err(super::database)?;
    Ok(rows
        .into_iter()
        .map(|s| ShareRow {
            share_id: s.share_id,
            document_id: s.document_id,
            recipient_id: s.recipient_id,
            permission: s.permission,
            created_at: s.created_at,
        })
        .collect())
}

#[derive(sqlx::FromRow)]
struct Folder {
    id: Uuid,
    name: String,
    parent_id: Option<Uuid>,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
}

impl From<Folder> for FolderRow {
    fn from(r: Folder) -> Self {
        FolderRow {
            id: r.id,
            name: r.name,
            parent_id: r.parent_id,
            created_at: r.created_at,
            updated_at: r.updated_at,
        }
    }
}

/// The owner's folders, by name.
pub async fn folders_of(pool: &PgPool, owner: Uuid) -> Result<Vec<FolderRow>, ReadError> {
    let rows: Vec<Folder> = sqlx::query_as(
        "select id, name, parent_id, created_at, updated_at from folders \
         where owner_id = $1 order by lower(name), id",
    )
    .bind(owner)
    .fetch_all(pool)
    .await
    .map_err(super::database)?;
    Ok(rows.into_iter().map(Into::into).collect())
}

/// One of the owner's folders.
pub async fn folder(pool: &PgPool, owner: Uuid, id: Uuid) -> Result<Option<FolderRow>, ReadError> {
    let row: Option<Folder> = sqlx::query_as(
        "select id, name, parent_id, created_at, updated_at from folders \
         where owner_id = $1 and id = $2",
    )
    .bind(owner)
    .bind(id)
    .fetch_optional(pool)
    .await
    .map_err(super::database)?;
    Ok(row.map(Into::into))
}

/// `(limit or None for the default, used, reserved by pending uploads)`.
pub async fn quota_of(
    pool: &PgPool,
    user: Uuid,
    now: DateTime<Utc>,
) -> Result<(Option<i64>, i64, i64), ReadError> {
    let row = sqlx::query!(
        "select limit_bytes, used_bytes from quotas where user_id = $1",
        user
    )
    .fetch_optional(pool)
    .await
    .map_err(super::database)?
    .map(|r| (r.limit_bytes, r.used_bytes));
    let reserved: Option<i64> = sqlx::query_scalar!(
        "select sum(size_bytes)::int8 from documents \
         where owner_id = $1 and state = 'pending' and upload_expires_at > $2",
        user,
        now
    )
    .fetch_one(pool)
    .await
    .map_err(super::database)?;
    let (limit, used) = row.unwrap_or((None, 0));
    Ok((limit, used, reserved.unwrap_or(0)))
}

/// Handles of the given users, from the identity read model (`users`); users without a row
/// (erased) are left out.
pub async fn handles(pool: &PgPool, ids: &[Uuid]) -> Result<HashMap<Uuid, String>, ReadError> {
    if ids.is_empty() {
        return Ok(HashMap::new());
    }
    let rows = sqlx::query!("select id, handle from users where id = any($1)", ids)
        .fetch_all(pool)
        .await
        .map_err(super::database)?;
    Ok(rows.into_iter().map(|r| (r.id, r.handle)).collect())
}

fn err(e: sqlx::Error) -> FactsError {
    FactsError(e.to_string())
}

/// The command handlers' read-model questions, answered with SQL on the read tables.
#[derive(Clone)]
pub struct SqlFacts {
    pub pool: PgPool,
}

#[async_trait]
impl DocumentFacts for SqlFacts {
    async fn folder_holds_documents(
        &self,
        owner: UserId,
        folder: FolderId,
    ) -> Result<bool, FactsError> {
        sqlx::query_scalar!(
            r#"select exists(select 1 from documents where owner_id = $1
                 and state in ('active', 'pending') and folder_key = $2) as "exists!""#,
            owner.as_uuid(),
            folder.as_uuid()
        )
        .fetch_one(&self.pool)
        .await
        .map_err(err)
    }

    async fn active_documents_in(
        &self,
        owner: UserId,
        folders: &[FolderId],
    ) -> Result<Vec<DocumentId>, FactsError> {
        let keys: Vec<Uuid> = folders.iter().map(|f| f.as_uuid()).collect();
        let ids: Vec<Uuid> = sqlx::query_scalar!(
            "select id from documents where owner_id = $1 and state = 'active' \
             and folder_key = any($2)",
            owner.as_uuid(),
            &keys
        )
        .fetch_all(&self.pool)
        .await
        .map_err(err)?;
        Ok(ids.into_iter().map(DocumentId).collect())
    }

    async fn abandoned_uploads(
        &self,
        before: DateTime<Utc>,
        limit: usize,
    ) -> Result<Vec<DocumentId>, FactsError> {
        let ids: Vec<Uuid> = sqlx::query_scalar!(
            "select id from documents where state = 'pending' and upload_expires_at < $1 \
             order by upload_expires_at limit $2",
            before,
            limit as i64
        )
        .fetch_all(&self.pool)
        .await
        .map_err(err)?;
        Ok(ids.into_iter().map(DocumentId).collect())
    }

    async fn orphaned_charges(
        &self,
        limit: usize,
    ) -> Result<Vec<(UserId, DocumentId, u64)>, FactsError> {
        let rows: Vec<(Uuid, Uuid, i64)> = sqlx::query_as(
            "select c.user_id, c.document_id, c.size_bytes from quota_charges c \
             where not exists (select 1 from documents d where d.id = c.document_id) \
             order by c.charged_at limit $1",
        )
        .bind(limit as i64)
        .fetch_all(&self.pool)
        .await
        .map_err(err)?;
        Ok(rows
            .into_iter()
            .map(|(u, d, n)| (UserId(u), DocumentId(d), n.max(0) as u64))
            .collect())
    }

    async fn trashed_before(
        &self,
        before: DateTime<Utc>,
        limit: usize,
    ) -> Result<Vec<DocumentId>, FactsError> {
        let ids: Vec<Uuid> = sqlx::query_scalar!(
            "select id from documents where state = 'trashed' and trashed_at < $1 \
             order by trashed_at limit $2",
            before,
            limit as i64
        )
        .fetch_all(&self.pool)
        .await
        .map_err(err)?;
        Ok(ids.into_iter().map(DocumentId).collect())
    }
}

/// Users by handle, from the identity read model (`users`).
#[derive(Clone)]
pub struct SqlUsers {
    pub pool: PgPool,
}

#[async_trait]
impl UserDirectory for SqlUsers {
    async fn find_by_handle(&self, handle: &str) -> Result<Option<UserId>, FactsError> {
        let id: Option<Uuid> = sqlx::query_scalar!(
            "select id from users where lower(handle) = lower($1)",
            handle
        )
        .fetch_optional(&self.pool)
        .await
        .map_err(err)?;
        Ok(id.map(UserId))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The names `Doc::from_row` expects at each position, and what `DOC_COLUMNS` selects there.
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
