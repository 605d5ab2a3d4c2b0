//! The folder tree's state: every live folder of one user with its name and parent.

use std::collections::HashMap;

use super::event::FolderEvent;
use crate::aggregate::Aggregate;
use crate::ids::FolderId;
use crate::name::fold_key;
use crate::personal::Personal;

#[derive(Debug, Clone, PartialEq)]
pub struct FolderNode {
    pub name: Personal<String>,
    pub parent: Option<FolderId>,
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct FolderTree {
    pub folders: HashMap<FolderId, FolderNode>,
}

impl FolderTree {
    pub fn contains(&self, id: FolderId) -> bool {
        self.folders.contains_key(&id)
    }

    /// `id`'s parent, its parent's parent, … up to the top level.
    pub fn ancestors(&self, id: FolderId) -> Vec<FolderId> {
        let mut out = Vec::new();
        let mut cur = self.folders.get(&id).and_then(|f| f.parent);
        // The tree never has a cycle, but a bound keeps a corrupted state from looping forever.
        while let Some(p) = cur {
            if out.len() > self.folders.len() {
                break;
            }
            out.push(p);
            cur = self.folders.get(&p).and_then(|f| f.parent);
        }
        out
    }

    /// Depth of a folder: 1 at the top level.
    pub fn depth(&self, id: FolderId) -> usize {
        self.ancestors(id).len() + 1
    }

    pub fn children(&self, parent: Option<FolderId>) -> impl Iterator<Item = FolderId> + '_ {
        self.folders
            .iter()
            .filter(move |(_, f)| f.parent == parent)
            .map(|(id, _)| *id)
    }

    /// `id` and everything below it, deepest first (the order a recursive delete removes them).
    pub fn subtree_post_order(&self, id: FolderId) -> Vec<FolderId> {
        let mut out = Vec::new();
        self.collect_post_order(id, &mut out);
        out
    }

    fn collect_post_order(&self, id: FolderId, out: &mut Vec<FolderId>) {
        let mut kids: Vec<FolderId> = self.children(Some(id)).collect();
        kids.sort();
        for k in kids {
            self.collect_post_order(k, out);
        }
        out.push(id);
    }

    /// Height of the subtree under `id` (1 for a leaf).
    pub fn height(&self, id: FolderId) -> usize {
        1 + self
            .children(Some(id))
            .map(|k| self.height(k))
            .max()
            .unwrap_or(0)
    }

    /// Whether a sibling under `parent` (other than `except`) has this name, ignoring case.
    /// Erased names (crypto-shredded) never clash.
    pub fn name_taken(
        &self,
        parent: Option<FolderId>,
        name: &str,
        except: Option<FolderId>,
    ) -> bool {
        let key = fold_key(name);
        self.folders.iter().any(|(id, f)| {
            f.parent == parent
                && Some(*id) != except
                && f.name.value().is_some_and(|n| fold_key(n) == key)
        })
    }
}

impl Aggregate for FolderTree {
    type Event = FolderEvent;
    const CATEGORY: &'static str = "folders";

    fn evolve(mut self, event: &FolderEvent) -> Self {
        match event {
            FolderEvent::FolderCreated {
                folder_id,
                name,
                parent_id,
                ..
            } => {
                self.folders.insert(
                    *folder_id,
                    FolderNode {
                        name: name.clone(),
                        parent: *parent_id,
                    },
                );
            }
            FolderEvent::FolderRenamed { folder_id, name } => {
                if let Some(f) = self.folders.get_mut(folder_id) {
                    f.name = name.clone();
                }
            }
            FolderEvent::FolderMoved {
                folder_id,
                parent_id,
            } => {
                if let Some(f) = self.folders.get_mut(folder_id) {
                    f.parent = *parent_id;
                }
            }
            FolderEvent::FolderDeleted { folder_id } => {
                self.folders.remove(folder_id);
            }
        }
        self
    }
}
