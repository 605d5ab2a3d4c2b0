//! Given/when/then tests of the folder tree.

use super::decide;
use super::*;
use crate::ids::{FolderId, UserId};
use crate::name::FolderName;
use crate::personal::Personal;
use crate::testing::given;

fn created(owner: UserId, id: FolderId, name: &str, parent: Option<FolderId>) -> FolderEvent {
    FolderEvent::FolderCreated {
        folder_id: id,
        owner_id: owner,
        name: Personal::new(name.into()),
        parent_id: parent,
    }
}

fn name(s: &str) -> FolderName {
    FolderName::parse(s).unwrap()
}

#[test]
fn names_are_unique_per_parent_ignoring_case() {
    let u = UserId::new();
    let (a, b) = (FolderId::new(), FolderId::new());
    given::<FolderTree>([created(u, a, "Taxes", None)])
        .when(|t| decide::create(t, u, b, name("TAXES"), None))
        .then_error(FolderError::NameTaken);
    // The same name under another parent is fine.
    given::<FolderTree>([created(u, a, "Taxes", None)])
        .when(|t| decide::create(t, u, b, name("taxes"), Some(a)))
        .then(vec![created(u, b, "taxes", Some(a))]);
    given::<FolderTree>([created(u, a, "Taxes", None), created(u, b, "Other", None)])
        .when(|t| decide::rename(t, b, name("taxes")))
        .then_error(FolderError::NameTaken);
    given::<FolderTree>([created(u, a, "Taxes", None)])
        .when(|t| decide::create(t, u, b, name("x"), Some(FolderId::new())))
        .then_error(FolderError::ParentNotFound);
}

#[test]
fn a_folder_can_never_be_moved_into_its_own_subtree() {
    let u = UserId::new();
    let (a, b, c) = (FolderId::new(), FolderId::new(), FolderId::new());
    let tree = || {
        [
            created(u, a, "a", None),
            created(u, b, "b", Some(a)),
            created(u, c, "c", Some(b)),
        ]
    };
    given::<FolderTree>(tree())
        .when(|t| decide::move_to(t, a, Some(c)))
        .then_error(FolderError::Cycle);
    given::<FolderTree>(tree())
        .when(|t| decide::move_to(t, a, Some(a)))
        .then_error(FolderError::Cycle);
    given::<FolderTree>(tree())
        .when(|t| decide::move_to(t, b, Some(b)))
        .then_error(FolderError::Cycle);
    let t = given::<FolderTree>(tree())
        .when(|t| decide::move_to(t, c, None))
        .then(vec![FolderEvent::FolderMoved {
            folder_id: c,
            parent_id: None,
        }]);
    assert_eq!(t.ancestors(c), Vec::<FolderId>::new());
    // Another user's folder is not in this tree at all.
    given::<FolderTree>(tree())
        .when(|t| decide::move_to(t, FolderId::new(), None))
        .then_error(FolderError::NotFound);
}

#[test]
fn nesting_depth_is_bounded() {
    let u = UserId::new();
    let mut events = Vec::new();
    let mut parent = None;
    let mut last = FolderId::new();
    for i in 0..MAX_DEPTH {
        last = FolderId::new();
        events.push(created(u, last, &format!("f{i}"), parent));
        parent = Some(last);
    }
    given::<FolderTree>(events)
        .when(|t| decide::create(t, u, FolderId::new(), name("deeper"), Some(last)))
        .then_error(FolderError::TooDeep);
}

#[test]
fn delete_requires_empty_unless_recursive() {
    let u = UserId::new();
    let (a, b) = (FolderId::new(), FolderId::new());
    let tree = || [created(u, a, "a", None), created(u, b, "b", Some(a))];
    given::<FolderTree>(tree())
        .when(|t| decide::delete(t, a, false, false))
        .then_error(FolderError::NotEmpty);
    given::<FolderTree>(tree())
        .when(|t| decide::delete(t, b, false, true))
        .then_error(FolderError::NotEmpty);
    given::<FolderTree>(tree())
        .when(|t| decide::delete(t, b, false, false))
        .then(vec![FolderEvent::FolderDeleted { folder_id: b }]);
    let t = given::<FolderTree>(tree())
        .when(|t| decide::delete(t, a, true, true))
        .then(vec![
            FolderEvent::FolderDeleted { folder_id: b },
            FolderEvent::FolderDeleted { folder_id: a },
        ]);
    assert!(t.folders.is_empty());
}

#[test]
fn erased_names_never_clash() {
    let u = UserId::new();
    let a = FolderId::new();
    let erased = FolderEvent::FolderCreated {
        folder_id: a,
        owner_id: u,
        name: Personal::Erased,
        parent_id: None,
    };
    let b = FolderId::new();
    given::<FolderTree>([erased])
        .when(|t| decide::create(t, u, b, name("anything"), None))
        .then(vec![created(u, b, "anything", None)]);
}
