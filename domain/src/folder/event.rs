//! Events of a user's folder tree.

use serde::{Deserialize, Serialize};

use crate::event::DomainEvent;
use crate::ids::{FolderId, UserId};
use crate::personal::Personal;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", content = "data")]
pub enum FolderEvent {
    FolderCreated {
        folder_id: FolderId,
        owner_id: UserId,
        name: Personal<String>,
        /// `None`: at the top level.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        parent_id: Option<FolderId>,
    },
    FolderRenamed {
        folder_id: FolderId,
        name: Personal<String>,
    },
    FolderMoved {
        folder_id: FolderId,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        parent_id: Option<FolderId>,
    },
    /// An empty folder removed (a recursive delete emits one per folder, deepest first).
    FolderDeleted { folder_id: FolderId },
}

impl DomainEvent for FolderEvent {}
