//! Where a user's documents may live besides DocuVault's own store: the cloud storage backends a
//! user connects (a WebDAV or Nextcloud account; OneDrive and Google Drive through OAuth). Their
//! life is recorded on the user's stream (`StorageBackend*` events of [`UserEvent`]); the
//! credentials never are — they live encrypted outside the log, keyed by user and backend.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::ids::StorageBackendId;
use crate::personal::Personal;
use crate::user::decide::ensure_usable;
use crate::user::{User, UserError, UserEvent};

/// Where a document's bytes are: DocuVault's own store (the configured filesystem or S3 store)
/// or one of its owner's backends. Stored as `"local"` or the backend's id.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub enum Storage {
    #[default]
    Local,
    Backend(StorageBackendId),
}

impl Storage {
    /// The stored form of [`Storage::Local`].
    pub const LOCAL: &'static str = "local";

    pub fn backend(&self) -> Option<StorageBackendId> {
        match self {
            Storage::Local => None,
            Storage::Backend(id) => Some(*id),
        }
    }
}

impl std::fmt::Display for Storage {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Storage::Local => f.write_str(Self::LOCAL),
            Storage::Backend(id) => id.fmt(f),
        }
    }
}

impl Serialize for Storage {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Storage {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        if text == Self::LOCAL {
            return Ok(Storage::Local);
        }
        text.parse()
            .map(Storage::Backend)
            .map_err(|_| serde::de::Error::custom("storage is \"local\" or a backend id"))
    }
}

/// How many backends one account may connect.
pub const MAX_BACKENDS: usize = 16;
/// The longest display name, in characters.
pub const MAX_DISPLAY_NAME_CHARS: usize = 100;

/// The provider a backend talks to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum BackendKind {
    Webdav,
    /// WebDAV at `…/remote.php/dav/files/USER/`.
    Nextcloud,
    Onedrive,
    Gdrive,
}

impl BackendKind {
    pub fn as_str(&self) -> &'static str {
        match self {
            BackendKind::Webdav => "webdav",
            BackendKind::Nextcloud => "nextcloud",
            BackendKind::Onedrive => "onedrive",
            BackendKind::Gdrive => "gdrive",
        }
    }
}

/// One connected backend, as the user's stream says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConnectedBackend {
    pub kind: BackendKind,
    pub display_name: Personal<String>,
    pub endpoint_host: Personal<String>,
}

/// The user's backends and which one new uploads go to (`None`: DocuVault's own store).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct StorageBackends {
    pub connected: BTreeMap<StorageBackendId, ConnectedBackend>,
    pub default: Option<StorageBackendId>,
}

impl StorageBackends {
    pub(crate) fn evolve(&mut self, event: &UserEvent) {
        match event {
            UserEvent::StorageBackendConnected {
                backend_id,
                kind,
                display_name,
                endpoint_host,
            } => {
                self.connected.insert(
                    *backend_id,
                    ConnectedBackend {
                        kind: *kind,
                        display_name: display_name.clone(),
                        endpoint_host: endpoint_host.clone(),
                    },
                );
            }
            UserEvent::StorageBackendRenamed {
                backend_id,
                display_name,
            } => {
                if let Some(b) = self.connected.get_mut(backend_id) {
                    b.display_name = display_name.clone();
                }
            }
            UserEvent::DefaultStorageBackendChanged { backend_id } => self.default = *backend_id,
            UserEvent::StorageBackendDisconnected { backend_id, .. } => {
                self.connected.remove(backend_id);
                if self.default == Some(*backend_id) {
                    self.default = None;
                }
            }
            _ => {}
        }
    }
}

/// Why a backend change was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum StorageError {
    #[error(transparent)]
    User(#[from] UserError),
    #[error("no such storage backend")]
    NoSuchBackend,
    #[error("at most {MAX_BACKENDS} storage backends per account")]
    TooMany,
    #[error(
        "a display name is 1 to {MAX_DISPLAY_NAME_CHARS} characters, without control characters"
    )]
    InvalidDisplayName,
    /// Documents still live on the backend: move them first.
    #[error("{documents} documents are stored on this backend")]
    InUse { documents: u64 },
}

/// A display name, trimmed: 1 to [`MAX_DISPLAY_NAME_CHARS`] characters, no control characters.
pub fn display_name(raw: &str) -> Result<String, StorageError> {
    let name = raw.trim();
    let chars = name.chars().count();
    if chars == 0 || chars > MAX_DISPLAY_NAME_CHARS || name.chars().any(char::is_control) {
        return Err(StorageError::InvalidDisplayName);
    }
    Ok(name.to_owned())
}

fn connected(state: &User, id: StorageBackendId) -> Result<&ConnectedBackend, StorageError> {
    state
        .storage
        .connected
        .get(&id)
        .ok_or(StorageError::NoSuchBackend)
}

/// Connects a backend whose account was checked (and whose credentials are stored) already.
pub fn connect(
    state: &User,
    backend_id: StorageBackendId,
    kind: BackendKind,
    name: &str,
    endpoint_host: &str,
) -> Result<Vec<UserEvent>, StorageError> {
    ensure_usable(state)?;
    let name = display_name(name)?;
    if state.storage.connected.contains_key(&backend_id) {
        return Ok(vec![]);
    }
    if state.storage.connected.len() >= MAX_BACKENDS {
        return Err(StorageError::TooMany);
    }
    Ok(vec![UserEvent::StorageBackendConnected {
        backend_id,
        kind,
        display_name: Personal::new(name),
        endpoint_host: Personal::new(endpoint_host.to_owned()),
    }])
}

/// Renames a backend; the same name again appends nothing.
pub fn rename(
    state: &User,
    backend_id: StorageBackendId,
    name: &str,
) -> Result<Vec<UserEvent>, StorageError> {
    ensure_usable(state)?;
    let name = display_name(name)?;
    let backend = connected(state, backend_id)?;
    if backend.display_name.value() == Some(&name) {
        return Ok(vec![]);
    }
    Ok(vec![UserEvent::StorageBackendRenamed {
        backend_id,
        display_name: Personal::new(name),
    }])
}

/// Makes a backend (or, with `None`, DocuVault's own store) where new uploads go.
pub fn set_default(
    state: &User,
    backend_id: Option<StorageBackendId>,
) -> Result<Vec<UserEvent>, StorageError> {
    ensure_usable(state)?;
    if let Some(id) = backend_id {
        connected(state, id)?;
    }
    if state.storage.default == backend_id {
        return Ok(vec![]);
    }
    Ok(vec![UserEvent::DefaultStorageBackendChanged { backend_id }])
}

/// Disconnects a backend on which no document lives any more (`documents_left`, from the
/// documents read model); `documents_moved` says how many were moved away before.
pub fn disconnect(
    state: &User,
    backend_id: StorageBackendId,
    documents_left: u64,
    documents_moved: u64,
) -> Result<Vec<UserEvent>, StorageError> {
    if !state.is_registered() {
        return Err(UserError::NotRegistered.into());
    }
    connected(state, backend_id)?;
    if documents_left > 0 {
        return Err(StorageError::InUse {
            documents: documents_left,
        });
    }
    Ok(vec![UserEvent::StorageBackendDisconnected {
        backend_id,
        documents_moved,
    }])
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::aggregate::Aggregate;
    use crate::ids::UserId;
    use crate::user::Role;
    use chrono::Utc;

    fn user() -> User {
        User::default().evolve(&UserEvent::UserRegistered {
            user_id: UserId::new(),
            email: Personal::new("ann@example.org".into()),
            handle: "ann".into(),
            role: Role::User,
            password_hash: Personal::new("x".into()),
            registered_at: Utc::now(),
        })
    }

    fn apply(state: User, events: Vec<UserEvent>) -> User {
        events.iter().fold(state, |s, e| s.evolve(e))
    }

    #[test]
    fn connect_rename_default_and_disconnect() {
        let id = StorageBackendId::new();
        let events = connect(
            &user(),
            id,
            BackendKind::Webdav,
            "  My NAS ",
            "nas.example.org",
        )
        .unwrap();
        let state = apply(user(), events);
        let b = &state.storage.connected[&id];
        assert_eq!(b.display_name.value().unwrap(), "My NAS");
        assert_eq!(
            connect(&state, id, BackendKind::Webdav, "My NAS", "x").unwrap(),
            vec![]
        );
        assert_eq!(rename(&state, id, "My NAS").unwrap(), vec![]);
        let state = apply(state.clone(), rename(&state, id, "Cloud").unwrap());
        let state = apply(state.clone(), set_default(&state, Some(id)).unwrap());
        assert_eq!(state.storage.default, Some(id));
        assert_eq!(set_default(&state, Some(id)).unwrap(), vec![]);
        assert_eq!(
            disconnect(&state, id, 3, 0),
            Err(StorageError::InUse { documents: 3 })
        );
        let state = apply(state.clone(), disconnect(&state, id, 0, 3).unwrap());
        assert!(state.storage.connected.is_empty());
        assert_eq!(state.storage.default, None, "the default goes with it");
        assert_eq!(rename(&state, id, "x"), Err(StorageError::NoSuchBackend));
        assert_eq!(
            set_default(&state, Some(id)),
            Err(StorageError::NoSuchBackend)
        );
    }

    #[test]
    fn names_are_bounded_and_backends_counted() {
        let u = user();
        for bad in ["", "   ", "a\u{7}b", &"x".repeat(101)] {
            assert_eq!(
                connect(&u, StorageBackendId::new(), BackendKind::Webdav, bad, "h"),
                Err(StorageError::InvalidDisplayName),
                "{bad:?}"
            );
        }
        let mut state = u;
        for i in 0..MAX_BACKENDS {
            let e = connect(
                &state,
                StorageBackendId::new(),
                BackendKind::Nextcloud,
                &format!("n{i}"),
                "h",
            )
            .unwrap();
            state = apply(state, e);
        }
        assert_eq!(
            connect(
                &state,
                StorageBackendId::new(),
                BackendKind::Webdav,
                "one more",
                "h"
            ),
            Err(StorageError::TooMany)
        );
    }
}
