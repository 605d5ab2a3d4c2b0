//! Pure decisions on a user's folder tree. The stream is always the caller's own, so a folder id
//! from another user's tree is simply absent: `NotFound`, like a missing one.

use super::event::FolderEvent;
use super::state::FolderTree;
use crate::ids::{FolderId, UserId};
use crate::name::FolderName;
use crate::personal::Personal;

/// Folders per user.
pub const MAX_FOLDERS: usize = 10_000;
/// Nesting depth (a top-level folder has depth 1).
pub const MAX_DEPTH: usize = 32;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FolderError {
    #[error("no such folder")]
    NotFound,
    #[error("no such parent folder")]
    ParentNotFound,
    #[error("a folder with this name already exists here")]
    NameTaken,
    #[error("a folder cannot be moved into itself or its own subfolders")]
    Cycle,
    #[error("folders nest at most {MAX_DEPTH} deep")]
    TooDeep,
    #[error("at most {MAX_FOLDERS} folders per user")]
    TooMany,
    #[error("the folder is not empty")]
    NotEmpty,
}

type Decision = Result<Vec<FolderEvent>, FolderError>;

pub fn create(
    tree: &FolderTree,
    owner: UserId,
    folder_id: FolderId,
    name: FolderName,
    parent: Option<FolderId>,
) -> Decision {
    if tree.contains(folder_id) {
        // A retried create with the same id.
        return Ok(vec![]);
    }
    if let Some(p) = parent {
        if !tree.contains(p) {
            return Err(FolderError::ParentNotFound);
        }
        if tree.depth(p) + 1 > MAX_DEPTH {
            return Err(FolderError::TooDeep);
        }
    }
    if tree.folders.len() >= MAX_FOLDERS {
        return Err(FolderError::TooMany);
    }
    if tree.name_taken(parent, name.as_str(), None) {
        return Err(FolderError::NameTaken);
    }
    Ok(vec![FolderEvent::FolderCreated {
        folder_id,
        owner_id: owner,
        name: Personal::new(name.into_string()),
        parent_id: parent,
    }])
}

pub fn rename(tree: &FolderTree, folder_id: FolderId, name: FolderName) -> Decision {
    let f = tree.folders.get(&folder_id).ok_or(FolderError::NotFound)?;
    if f.name.value().map(String::as_str) == Some(name.as_str()) {
        return Ok(vec![]);
    }
    if tree.name_taken(f.parent, name.as_str(), Some(folder_id)) {
        return Err(FolderError::NameTaken);
    }
    Ok(vec![FolderEvent::FolderRenamed {
        folder_id,
        name: Personal::new(name.into_string()),
    }])
}

/// Moves a folder under `parent` (`None`: to the top level). Refuses any move into the folder's
/// own subtree, which is what keeps the tree a tree.
pub fn move_to(tree: &FolderTree, folder_id: FolderId, parent: Option<FolderId>) -> Decision {
    let f = tree.folders.get(&folder_id).ok_or(FolderError::NotFound)?;
    if f.parent == parent {
        return Ok(vec![]);
    }
    if let Some(p) = parent {
        if !tree.contains(p) {
            return Err(FolderError::ParentNotFound);
        }
        if p == folder_id || tree.ancestors(p).contains(&folder_id) {
            return Err(FolderError::Cycle);
        }
        if tree.depth(p) + tree.height(folder_id) > MAX_DEPTH {
            return Err(FolderError::TooDeep);
        }
    }
    if let Some(name) = f.name.value() {
        if tree.name_taken(parent, name, Some(folder_id)) {
            return Err(FolderError::NameTaken);
        }
    }
    Ok(vec![FolderEvent::FolderMoved {
        folder_id,
        parent_id: parent,
    }])
}

/// Deletes a folder. Without `recursive` it must have no subfolders and `holds_documents` must be
/// false (the handler asks the read model); with it, the whole subtree goes, deepest first, and
/// the handler has moved the documents to the trash beforehand.
pub fn delete(
    tree: &FolderTree,
    folder_id: FolderId,
    recursive: bool,
    holds_documents: bool,
) -> Decision {
    if !tree.contains(folder_id) {
        return Err(FolderError::NotFound);
    }
    let subtree = tree.subtree_post_order(folder_id);
    if !recursive && (subtree.len() > 1 || holds_documents) {
        return Err(FolderError::NotEmpty);
    }
    Ok(subtree
        .into_iter()
        .map(|folder_id| FolderEvent::FolderDeleted { folder_id })
        .collect())
}
