//! The folder tree: one aggregate per user (stream `folders-<user_id>`), so that moves are
//! checked against the whole tree at once and a cycle can never be committed.

pub mod decide;
pub mod event;
pub mod state;
#[cfg(test)]
mod tests;

pub use decide::{FolderError, MAX_DEPTH, MAX_FOLDERS};
pub use event::FolderEvent;
pub use state::{FolderNode, FolderTree};
