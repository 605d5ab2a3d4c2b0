//! Storage backend use cases: connect a WebDAV/Nextcloud account (checked first, credentials
//! stored outside the log before the event is appended), rename, make default, disconnect.
//!
//! The account check and the credential vault are ports ([`BackendConnector`],
//! [`CredentialVault`]), implemented in `infra` (`infra::storage`).

use std::fmt;
use std::sync::Arc;

use async_trait::async_trait;
use domain::ids::{StorageBackendId, UserId};
use domain::storage::{self, BackendKind, StorageError};
use domain::user::User;

use crate::context::CommandContext;
use crate::error::CommandError;
use crate::executor::execute;

/// A backend's credentials, as the vault keeps them (encrypted) and the adapters use them.
#[derive(Clone, PartialEq, Eq)]
pub enum Credentials {
    /// WebDAV and Nextcloud: HTTP Basic (an app password, for Nextcloud).
    Basic { username: String, password: String },
}

impl fmt::Debug for Credentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Credentials::Basic { username, .. } => f
                .debug_struct("Basic")
                .field("username", username)
                .field("password", &"[redacted]")
                .finish(),
        }
    }
}

/// How to reach a backend and sign in: what a user gives to connect an account, and what the
/// vault keeps (sealed) for every later use.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Connection {
    /// The collection the user gave (for Nextcloud `…/remote.php/dav/files/USER/`).
    pub url: String,
    pub credentials: Credentials,
}

/// Why an account could not be used. Each is shown to the user with a stable code.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ConnectError {
    #[error("the URL is not valid: {0}")]
    InvalidUrl(String),
    /// The outbound policy refuses the URL (scheme, or a non-public address).
    #[error("this address may not be reached: {0}")]
    NotAllowed(String),
    #[error("the server refused the username or password")]
    AuthFailed,
    #[error("the server could not be reached")]
    Unreachable,
    #[error("the server's TLS certificate could not be verified")]
    Tls,
    /// The server answered, but not as a WebDAV server that lets us write should.
    #[error("the server's answer was not usable: {0}")]
    Protocol(String),
}

/// One file or folder in a backend's collection, as its server describes it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RemoteEntry {
    /// One path segment, decoded.
    pub name: String,
    pub is_folder: bool,
    pub size_bytes: Option<u64>,
    pub modified_at: Option<chrono::DateTime<chrono::Utc>>,
    pub content_type: Option<String>,
}

/// Checks accounts before they are connected, and lists what they hold.
#[async_trait]
pub trait BackendConnector: Send + Sync {
    /// Checks that `account` can be read and written (a `PROPFIND Depth: 0`, then a write and
    /// delete probe in a `.docuvault` collection); answers the server's host name.
    async fn check_webdav(&self, account: &Connection) -> Result<String, ConnectError>;

    /// The entries of the collection at `path` (segments below the connection's URL), without
    /// DocuVault's own `.docuvault` collection. A hostile or broken answer (too large, entries
    /// outside the collection) is a [`ConnectError::Protocol`].
    async fn list(
        &self,
        connection: &Connection,
        path: &[String],
    ) -> Result<Vec<RemoteEntry>, ConnectError>;
}

/// A failure of the credential vault (the database, or a row that does not decrypt).
#[derive(Debug, thiserror::Error)]
#[error("credential vault: {0}")]
pub struct VaultError(#[source] pub Box<dyn std::error::Error + Send + Sync>);

/// Each backend's [`Connection`] (its URL and credentials), encrypted at rest, keyed by user and
/// backend.
#[async_trait]
pub trait CredentialVault: Send + Sync {
    async fn store(
        &self,
        user: UserId,
        backend: StorageBackendId,
        connection: &Connection,
    ) -> Result<(), VaultError>;
    async fn load(
        &self,
        user: UserId,
        backend: StorageBackendId,
    ) -> Result<Option<Connection>, VaultError>;
    async fn remove(&self, user: UserId, backend: StorageBackendId) -> Result<(), VaultError>;
    /// Every row of `user` (erasure); how many there were.
    async fn remove_user(&self, user: UserId) -> Result<u64, VaultError>;
    /// Records what the last use of a backend's credentials found.
    async fn set_status(
        &self,
        user: UserId,
        backend: StorageBackendId,
        status: BackendStatus,
    ) -> Result<(), VaultError>;
}

/// What the last use of a backend's credentials found (`GET /api/storage-backends` `status`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BackendStatus {
    Ok,
    /// The server refused the credentials: the user has to give new ones.
    NeedsReauth,
    Unreachable,
}

impl BackendStatus {
    pub fn as_str(&self) -> &'static str {
        match self {
            BackendStatus::Ok => "ok",
            BackendStatus::NeedsReauth => "needs_reauth",
            BackendStatus::Unreachable => "unreachable",
        }
    }

    /// The status a use's outcome implies; `None` when it says nothing about the account.
    fn after<T>(outcome: &Result<T, ConnectError>) -> Option<Self> {
        match outcome {
            Ok(_) => Some(BackendStatus::Ok),
            Err(ConnectError::AuthFailed) => Some(BackendStatus::NeedsReauth),
            Err(ConnectError::Unreachable | ConnectError::Tls) => Some(BackendStatus::Unreachable),
            Err(_) => None,
        }
    }
}

/// The ports the storage commands use.
#[derive(Clone)]
pub struct StorageDeps {
    pub connector: Arc<dyn BackendConnector>,
    pub vault: Arc<dyn CredentialVault>,
}

/// Why a storage command was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum StorageCommandError {
    #[error(transparent)]
    Storage(#[from] StorageError),
    #[error(transparent)]
    Connect(#[from] ConnectError),
}

pub type StorageResult<T> = Result<T, CommandError<StorageCommandError>>;

fn owner(ctx: &CommandContext) -> StorageResult<UserId> {
    ctx.actor
        .user_id()
        .map(UserId)
        .ok_or(CommandError::Forbidden)
}

fn vault_failure(e: VaultError) -> CommandError<StorageCommandError> {
    CommandError::Infra(Box::new(e))
}

/// Connects the caller's WebDAV or Nextcloud account: checks it, stores its credentials, then
/// appends `StorageBackendConnected`. Nothing is kept when any step fails.
#[tracing::instrument(skip_all, fields(kind = kind.as_str()))]
pub async fn connect_webdav(
    ctx: &CommandContext,
    deps: &StorageDeps,
    kind: BackendKind,
    display_name: &str,
    account: Connection,
) -> StorageResult<(StorageBackendId, Option<u64>)> {
    let user = owner(ctx)?;
    let name = storage::display_name(display_name)
        .map_err(|e| CommandError::Domain(StorageCommandError::Storage(e)))?;
    let host = deps
        .connector
        .check_webdav(&account)
        .await
        .map_err(|e| CommandError::Domain(e.into()))?;
    let backend_id = StorageBackendId::new();
    deps.vault
        .store(user, backend_id, &account)
        .await
        .map_err(vault_failure)?;
    let appended = execute::<User, _, StorageError, _>(ctx, user.0, Some(user.0), |state| {
        Ok((storage::connect(state, backend_id, kind, &name, &host)?, ()))
    })
    .await;
    match appended {
        Ok(done) => Ok((backend_id, done.position)),
        Err(e) => {
            if let Err(cleanup) = deps.vault.remove(user, backend_id).await {
                tracing::warn!(error = %cleanup, "removing the credentials of a failed connect");
            }
            Err(e.map_domain(StorageCommandError::Storage))
        }
    }
}

/// Renames and/or makes default one of the caller's backends (`default: Some(false)` gives the
/// default back to DocuVault's own store when it was this one).
pub async fn patch(
    ctx: &CommandContext,
    backend_id: StorageBackendId,
    display_name: Option<&str>,
    default: Option<bool>,
) -> StorageResult<Option<u64>> {
    let user = owner(ctx)?;
    execute::<User, _, StorageError, _>(ctx, user.0, Some(user.0), |state| {
        if !state.storage.connected.contains_key(&backend_id) {
            return Err(StorageError::NoSuchBackend);
        }
        let mut events = Vec::new();
        if let Some(name) = display_name {
            events.extend(storage::rename(state, backend_id, name)?);
        }
        match default {
            Some(true) => events.extend(storage::set_default(state, Some(backend_id))?),
            Some(false) if state.storage.default == Some(backend_id) => {
                events.extend(storage::set_default(state, None)?)
            }
            _ => {}
        }
        Ok((events, ()))
    })
    .await
    .map(|done| done.position)
    .map_err(|e| e.map_domain(StorageCommandError::Storage))
}

/// Disconnects one of the caller's backends when no document lives on it (`documents_left`,
/// from the documents read model), and forgets its credentials.
pub async fn disconnect(
    ctx: &CommandContext,
    deps: &StorageDeps,
    backend_id: StorageBackendId,
    documents_left: u64,
) -> StorageResult<Option<u64>> {
    let user = owner(ctx)?;
    let done = execute::<User, _, StorageError, _>(ctx, user.0, Some(user.0), |state| {
        Ok((
            storage::disconnect(state, backend_id, documents_left, 0)?,
            (),
        ))
    })
    .await
    .map_err(|e| e.map_domain(StorageCommandError::Storage))?;
    deps.vault
        .remove(user, backend_id)
        .await
        .map_err(vault_failure)?;
    Ok(done.position)
}

/// The longest path (in segments) a browse may ask for.
pub const MAX_BROWSE_DEPTH: usize = 64;

/// Checks a browse path: `/`-separated segments below the backend's folder, none empty (but for
/// leading and trailing slashes), `.`, `..`, or holding a backslash or a control character.
pub fn browse_path(raw: &str) -> Result<Vec<String>, ConnectError> {
    let trimmed = raw.trim_matches('/');
    if trimmed.is_empty() {
        return Ok(vec![]);
    }
    let segments: Vec<String> = trimmed.split('/').map(str::to_owned).collect();
    let bad = |s: &String| {
        s.is_empty() || s == "." || s == ".." || s.contains('\\') || s.chars().any(char::is_control)
    };
    if segments.len() > MAX_BROWSE_DEPTH || segments.iter().any(bad) {
        return Err(ConnectError::InvalidUrl(
            "a path of folder names below the backend's folder".into(),
        ));
    }
    Ok(segments)
}

/// The entries of the caller's backend at `path` (see [`browse_path`]): folders first, then by
/// name. Someone else's backend is as missing as a nonexistent one.
pub async fn browse(
    ctx: &CommandContext,
    deps: &StorageDeps,
    backend_id: StorageBackendId,
    path: &[String],
) -> StorageResult<Vec<RemoteEntry>> {
    let user = owner(ctx)?;
    let connection = deps
        .vault
        .load(user, backend_id)
        .await
        .map_err(vault_failure)?
        .ok_or(CommandError::NotFound)?;
    let listed = deps.connector.list(&connection, path).await;
    record_status(deps, user, backend_id, &listed).await;
    let mut entries = listed.map_err(|e| CommandError::Domain(e.into()))?;
    entries.sort_by(|a, b| {
        b.is_folder
            .cmp(&a.is_folder)
            .then_with(|| a.name.cmp(&b.name))
    });
    Ok(entries)
}

/// Keeps the backend's status in step with what a use of it found (best effort: a failure to
/// record it is logged, the use's own outcome is what the caller gets).
async fn record_status<T>(
    deps: &StorageDeps,
    user: UserId,
    backend: StorageBackendId,
    outcome: &Result<T, ConnectError>,
) {
    if let Some(status) = BackendStatus::after(outcome) {
        if let Err(e) = deps.vault.set_status(user, backend, status).await {
            tracing::warn!(error = %e, "recording a storage backend's status");
        }
    }
}

/// Gives one of the caller's WebDAV backends new credentials (after a password change): checked
/// like a new account, then stored in place of the old ones; the status is `ok` again.
pub async fn replace_credentials(
    ctx: &CommandContext,
    deps: &StorageDeps,
    backend_id: StorageBackendId,
    credentials: Credentials,
) -> StorageResult<()> {
    let user = owner(ctx)?;
    let old = deps
        .vault
        .load(user, backend_id)
        .await
        .map_err(vault_failure)?
        .ok_or(CommandError::NotFound)?;
    let connection = Connection {
        url: old.url,
        credentials,
    };
    deps.connector
        .check_webdav(&connection)
        .await
        .map_err(|e| CommandError::Domain(e.into()))?;
    deps.vault
        .store(user, backend_id, &connection)
        .await
        .map_err(vault_failure)
}
