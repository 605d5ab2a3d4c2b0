//! Point-in-time replay: a document's owner, place, name and exactly who could view or download
//! it at an instant, or which documents a user could access then — by folding the document
//! streams' events recorded up to that instant with the domain's own `evolve` and access rule.

use std::collections::{BTreeSet, HashMap};

use chrono::{DateTime, Utc};
use domain::document::{Access, Document, DocumentEvent, Permission};
use domain::ids::UserId;
use domain::ports::{EventStore, StoreError};
use domain::{Aggregate, StreamId};
use projections::audit::query::AuditReads;
use projections::ReadError;
use serde::Serialize;
use utoipa::ToSchema;
use uuid::Uuid;

use super::entries::{UserRef, ERASED};

/// How a user could reach a document.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum AccessKind {
    /// The owner: everything.
    Owner,
    /// A recipient who may view it.
    View,
    /// A recipient who may view and download it.
    Download,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct UserAccess {
    pub user: UserRef,
    pub access: AccessKind,
}

/// A document as it was at the instant.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct DocumentAsOf {
    pub document_id: Uuid,
    /// False when the document did not exist yet (then every other field is empty).
    pub existed: bool,
    pub owner: Option<UserRef>,
    /// Decrypted, or `[erased]`.
    pub filename: Option<String>,
    /// `null`: the top level.
    pub folder_id: Option<Uuid>,
    /// `pending`, `active`, `trashed`, `purged`, `rejected` or `expired`.
    pub status: Option<String>,
    /// Everyone who could open it, owner first, then by user id.
    pub access: Vec<UserAccess>,
}

/// One document a user could access at the instant.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct AccessibleDocument {
    pub document_id: Uuid,
    pub filename: String,
    pub owner: UserRef,
    pub folder_id: Option<Uuid>,
    pub status: String,
    pub access: AccessKind,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct UserAsOf {
    pub user_id: Uuid,
    /// By document id.
    pub documents: Vec<AccessibleDocument>,
}

fn kind(access: Access) -> Option<AccessKind> {
    match access {
        Access::Owner => Some(AccessKind::Owner),
        Access::Recipient(Permission::View) => Some(AccessKind::View),
        Access::Recipient(Permission::Download) => Some(AccessKind::Download),
        Access::None => None,
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ReplayError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Read(#[from] ReadError),
    #[error("event at position {position} does not decode: {reason}")]
    Decode { position: u64, reason: String },
}

impl From<ReplayError> for crate::error::ApiError {
    fn from(e: ReplayError) -> Self {
        match e {
            ReplayError::Store(e) => e.into(),
            ReplayError::Read(e) => e.into(),
            other => crate::error::ApiError::internal(other.to_string()),
        }
    }
}

/// The document's state folded from its events recorded at or before `at`.
async fn fold(
    store: &dyn EventStore,
    document: Uuid,
    at: DateTime<Utc>,
) -> Result<Document, ReplayError> {
    let events = store
        .read_stream(&StreamId::new(Document::CATEGORY, document), 1)
        .await?;
    let mut state = Document::default();
    for e in events.iter().take_while(|e| e.recorded_at <= at) {
        let ev: DocumentEvent = e.decode().map_err(|err| ReplayError::Decode {
            position: e.global_position,
            reason: err.to_string(),
        })?;
        state = state.evolve(&ev);
    }
    Ok(state)
}

/// Everyone who could open `doc`: the owner and the recipients the domain's rule lets in.
fn access_list(doc: &Document) -> Vec<(Uuid, AccessKind)> {
    let Some(d) = doc.data() else {
        return vec![];
    };
    let mut users: BTreeSet<Uuid> = d.shares.values().map(|s| s.recipient.0).collect();
    users.insert(d.owner.0);
    let mut out: Vec<(Uuid, AccessKind)> = users
        .into_iter()
        .filter_map(|u| kind(doc.access(UserId(u))).map(|k| (u, k)))
        .collect();
    out.sort_by_key(|(u, k)| (*k, *u));
    out
}

fn user_ref(names: &HashMap<Uuid, String>, id: Uuid) -> UserRef {
    UserRef {
        id,
        handle: names.get(&id).cloned(),
    }
}

/// One document at `at`.
pub async fn document_as_of(
    store: &dyn EventStore,
    reads: &dyn AuditReads,
    document: Uuid,
    at: DateTime<Utc>,
) -> Result<DocumentAsOf, ReplayError> {
    let doc = fold(store, document, at).await?;
    let access = access_list(&doc);
    let Some(d) = doc.data() else {
        return Ok(DocumentAsOf {
            document_id: document,
            existed: false,
            owner: None,
            filename: None,
            folder_id: None,
            status: None,
            access: vec![],
        });
    };
    let mut ids: Vec<Uuid> = access.iter().map(|(u, _)| *u).collect();
    ids.push(d.owner.0);
    let names = reads.handles(&ids).await?;
    Ok(DocumentAsOf {
        document_id: document,
        existed: true,
        owner: Some(user_ref(&names, d.owner.0)),
        filename: Some(d.filename.value().cloned().unwrap_or_else(|| ERASED.into())),
        folder_id: d.folder_id.map(|f| f.as_uuid()),
        status: Some(d.status.as_str().to_owned()),
        access: access
            .into_iter()
            .map(|(u, k)| UserAccess {
                user: user_ref(&names, u),
                access: k,
            })
            .collect(),
    })
}

/// Every document `user` could open at `at`. Candidates are the documents the audit index
/// associates with the user (as owner or recipient) up to `at`; each is then replayed.
pub async fn user_as_of(
    store: &dyn EventStore,
    reads: &dyn AuditReads,
    user: Uuid,
    at: DateTime<Utc>,
) -> Result<UserAsOf, ReplayError> {
    let candidates = reads.documents_of(user, at).await?;
    let mut found = Vec::new();
    for id in candidates {
        let doc = fold(store, id, at).await?;
        let (Some(d), Some(k)) = (doc.data(), kind(doc.access(UserId(user)))) else {
            continue;
        };
        found.push((id, d.owner.0, d.clone(), k));
    }
    let owners: Vec<Uuid> = found.iter().map(|(_, o, _, _)| *o).collect();
    let names = reads.handles(&owners).await?;
    Ok(UserAsOf {
        user_id: user,
        documents: found
            .into_iter()
            .map(|(id, owner, d, k)| AccessibleDocument {
                document_id: id,
                filename: d.filename.value().cloned().unwrap_or_else(|| ERASED.into()),
                owner: user_ref(&names, owner),
                folder_id: d.folder_id.map(|f| f.as_uuid()),
                status: d.status.as_str().to_owned(),
                access: k,
            })
            .collect(),
    })
}
