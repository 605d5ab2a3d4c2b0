//! The credential vault over PostgreSQL: each backend's connection (URL, username, password) in a
//! `cloud_credentials` row sealed with
//! XChaCha20-Poly1305 under the cloud credentials key (`DOCUVAULT_CLOUD_CREDS_KEY`), the user id
//! and backend id their associated data — a row copied to another user or backend does not
//! open. The key lives only in the environment; rotating it re-seals every row in one
//! transaction ([`PgCredentialVault::rotate`]).

use async_trait::async_trait;
use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};
use commands::storage::{BackendStatus, Connection, CredentialVault, Credentials, VaultError};
use domain::ids::{StorageBackendId, UserId};
use rand::RngCore;
use serde::{Deserialize, Serialize};
use sqlx::PgPool;

use crate::eventstore::MasterKey;

const NONCE_LEN: usize = 24;
const AAD_DOMAIN: &[u8] = b"docuvault-cloud-creds-v1\0";

/// The stored (plaintext, before sealing) form of a [`Connection`].
#[derive(Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
enum Stored {
    Basic {
        url: String,
        username: String,
        password: String,
    },
}

/// Why a sealed row could not be opened.
#[derive(Debug, thiserror::Error)]
pub enum SealError {
    #[error("sealed credentials are malformed")]
    Malformed,
    #[error("sealed credentials failed authentication (another key, user or backend)")]
    Authentication,
}

/// The 256-bit key credentials are sealed with (the same shape as the master key: base64 of 32
/// bytes; `Debug` never prints it).
pub type CloudCredsKey = MasterKey;

fn aad(user: UserId, backend: StorageBackendId) -> Vec<u8> {
    let mut aad = AAD_DOMAIN.to_vec();
    aad.extend_from_slice(user.as_uuid().as_bytes());
    aad.extend_from_slice(backend.as_uuid().as_bytes());
    aad
}

fn cipher(key: &CloudCredsKey) -> XChaCha20Poly1305 {
    XChaCha20Poly1305::new(key.expose().into())
}

/// Seals `connection` for `user`'s `backend`: a fresh 24-byte nonce, then ciphertext and tag.
pub fn seal(
    key: &CloudCredsKey,
    user: UserId,
    backend: StorageBackendId,
    connection: &Connection,
) -> Vec<u8> {
    let stored = match &connection.credentials {
        Credentials::Basic { username, password } => Stored::Basic {
            url: connection.url.clone(),
            username: username.clone(),
            password: password.clone(),
        },
    };
    let plain = serde_json::to_vec(&stored).expect("serializable");
    let mut nonce = [0u8; NONCE_LEN];
    rand::rngs::OsRng.fill_bytes(&mut nonce);
    let aad = aad(user, backend);
    let sealed = cipher(key)
        .encrypt(
            XNonce::from_slice(&nonce),
            Payload {
                msg: &plain,
                aad: &aad,
            },
        )
        .expect("encryption does not fail");
    [nonce.as_slice(), &sealed].concat()
}

/// Opens a row sealed by [`seal`] for the same user and backend.
pub fn open(
    key: &CloudCredsKey,
    user: UserId,
    backend: StorageBackendId,
    sealed: &[u8],
) -> Result<Connection, SealError> {
    if sealed.len() < NONCE_LEN {
        return Err(SealError::Malformed);
    }
    let (nonce, body) = sealed.split_at(NONCE_LEN);
    let aad = aad(user, backend);
    let plain = cipher(key)
        .decrypt(
            XNonce::from_slice(nonce),
            Payload {
                msg: body,
                aad: &aad,
            },
        )
        .map_err(|_| SealError::Authentication)?;
    match serde_json::from_slice(&plain).map_err(|_| SealError::Malformed)? {
        Stored::Basic {
            url,
            username,
            password,
        } => Ok(Connection {
            url,
            credentials: Credentials::Basic { username, password },
        }),
    }
}

/// [`CredentialVault`] over the `cloud_credentials` table.
#[derive(Clone)]
pub struct PgCredentialVault {
    pool: PgPool,
    key: CloudCredsKey,
}

impl PgCredentialVault {
    pub fn new(pool: PgPool, key: CloudCredsKey) -> Self {
        Self { pool, key }
    }

    /// Re-seals every row under `new` (rows must open under `old`), in one transaction: either
    /// every row moves to the new key or none does. Answers how many rows were re-sealed.
    pub async fn rotate(
        pool: &PgPool,
        old: &CloudCredsKey,
        new: &CloudCredsKey,
    ) -> Result<u64, VaultError> {
        let mut tx = pool.begin().await.map_err(database)?;
        let rows =
            sqlx::query!("select user_id, backend_id, sealed from cloud_credentials for update")
                .fetch_all(&mut *tx)
                .await
                .map_err(database)?;
        for row in &rows {
            let (user, backend) = (UserId(row.user_id), StorageBackendId(row.backend_id));
            let connection =
                open(old, user, backend, &row.sealed).map_err(|e| VaultError(Box::new(e)))?;
            sqlx::query!(
                "update cloud_credentials set sealed = $3, updated_at = now() \
                 where user_id = $1 and backend_id = $2",
                row.user_id,
                row.backend_id,
                seal(new, user, backend, &connection)
            )
            .execute(&mut *tx)
            .await
            .map_err(database)?;
        }
        tx.commit().await.map_err(database)?;
        Ok(rows.len() as u64)
    }
}

fn database(e: sqlx::Error) -> VaultError {
    VaultError(Box::new(e))
}

#[async_trait]
impl CredentialVault for PgCredentialVault {
    async fn store(
        &self,
        user: UserId,
        backend: StorageBackendId,
        connection: &Connection,
    ) -> Result<(), VaultError> {
        sqlx::query!(
            "insert into cloud_credentials (user_id, backend_id, sealed) values ($1, $2, $3) \
             on conflict (user_id, backend_id) do update \
             set sealed = excluded.sealed, status = 'ok', updated_at = now()",
            user.as_uuid(),
            backend.as_uuid(),
            seal(&self.key, user, backend, connection)
        )
        .execute(&self.pool)
        .await
        .map_err(database)?;
        Ok(())
    }

    async fn load(
        &self,
        user: UserId,
        backend: StorageBackendId,
    ) -> Result<Option<Connection>, VaultError> {
        let sealed = sqlx::query_scalar!(
            "select sealed from cloud_credentials where user_id = $1 and backend_id = $2",
            user.as_uuid(),
            backend.as_uuid()
        )
        .fetch_optional(&self.pool)
        .await
        .map_err(database)?;
        sealed
            .map(|s| open(&self.key, user, backend, &s).map_err(|e| VaultError(Box::new(e))))
            .transpose()
    }

    async fn remove(&self, user: UserId, backend: StorageBackendId) -> Result<(), VaultError> {
        sqlx::query!(
            "delete from cloud_credentials where user_id = $1 and backend_id = $2",
            user.as_uuid(),
            backend.as_uuid()
        )
        .execute(&self.pool)
        .await
        .map_err(database)?;
        Ok(())
    }

    async fn set_status(
        &self,
        user: UserId,
        backend: StorageBackendId,
        status: BackendStatus,
    ) -> Result<(), VaultError> {
        sqlx::query!(
            "update cloud_credentials set status = $3, updated_at = now() \
             where user_id = $1 and backend_id = $2 and status <> $3",
            user.as_uuid(),
            backend.as_uuid(),
            status.as_str()
        )
        .execute(&self.pool)
        .await
        .map_err(database)?;
        Ok(())
    }

    async fn remove_user(&self, user: UserId) -> Result<u64, VaultError> {
        let done = sqlx::query!(
            "delete from cloud_credentials where user_id = $1",
            user.as_uuid()
        )
        .execute(&self.pool)
        .await
        .map_err(database)?;
        Ok(done.rows_affected())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn basic() -> Connection {
        Connection {
            url: "https://cloud.example.org/remote.php/dav/files/ann/".into(),
            credentials: Credentials::Basic {
                username: "ann".into(),
                password: "s3cret-app-password".into(),
            },
        }
    }

    #[test]
    fn sealed_rows_open_only_for_their_user_backend_and_key() {
        let key = CloudCredsKey::generate();
        let (user, backend) = (UserId::new(), StorageBackendId::new());
        let sealed = seal(&key, user, backend, &basic());
        assert!(!sealed.windows(b"s3cret".len()).any(|w| w == b"s3cret"));
        assert_eq!(open(&key, user, backend, &sealed).unwrap(), basic());
        assert!(matches!(
            open(&key, UserId::new(), backend, &sealed),
            Err(SealError::Authentication)
        ));
        assert!(matches!(
            open(&key, user, StorageBackendId::new(), &sealed),
            Err(SealError::Authentication)
        ));
        assert!(matches!(
            open(&CloudCredsKey::generate(), user, backend, &sealed),
            Err(SealError::Authentication)
        ));
        assert!(matches!(
            open(&key, user, backend, &sealed[..10]),
            Err(SealError::Malformed)
        ));
        assert_ne!(sealed, seal(&key, user, backend, &basic()), "fresh nonces");
    }
}
