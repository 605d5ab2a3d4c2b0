//! Per-subject data keys in PostgreSQL (`data_keys`), wrapped by the master key, with a short
//! in-memory cache; destroying a key leaves a tombstone (crypto-shredding).

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use async_trait::async_trait;
use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine;
use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{ChaCha20Poly1305, Key, Nonce};
use domain::ports::{DataKey, DataKeys, KeyError};
use rand::RngCore;
use sqlx::PgPool;
use uuid::Uuid;

const NONCE_LEN: usize = 12;
const WRAP_AAD_DOMAIN: &[u8] = b"docuvault-data-key-v1\0";
/// How long a key (or a tombstone) is trusted without asking the database again. A `destroy`
/// through another process is seen here after at most this long.
pub const DEFAULT_CACHE_TTL: Duration = Duration::from_secs(30);
/// Past this many entries, expired ones are swept on insert.
const CACHE_SWEEP_AT: usize = 10_000;

/// The 256-bit key that wraps every data key. From `DOCUVAULT_MASTER_KEY` (base64 of 32 bytes).
/// `Debug` never prints it.
#[derive(Clone)]
pub struct MasterKey([u8; 32]);

#[derive(Debug, thiserror::Error)]
#[error("the master key must be the base64 encoding of exactly 32 bytes")]
pub struct InvalidMasterKey;

impl MasterKey {
    pub fn from_bytes(bytes: [u8; 32]) -> Self {
        Self(bytes)
    }

    /// Parses standard base64 (padding optional, surrounding whitespace ignored).
    pub fn from_base64(text: &str) -> Result<Self, InvalidMasterKey> {
        let text = text.trim().trim_end_matches('=');
        let bytes = base64::engine::general_purpose::STANDARD_NO_PAD
            .decode(text)
            .map_err(|_| InvalidMasterKey)?;
        let bytes: [u8; 32] = bytes.try_into().map_err(|_| InvalidMasterKey)?;
        Ok(Self(bytes))
    }

    /// A fresh random key (tests, first start of `docuvault dev`).
    pub fn generate() -> Self {
        let mut k = [0u8; 32];
        rand::rngs::OsRng.fill_bytes(&mut k);
        Self(k)
    }

    /// `nonce ‖ ciphertext` of a data key; the associated data binds it to its subject, so a
    /// wrapped key copied to another subject's row does not unwrap.
    fn wrap(&self, subject: Uuid, key: &DataKey) -> Vec<u8> {
        let mut nonce = [0u8; NONCE_LEN];
        rand::rngs::OsRng.fill_bytes(&mut nonce);
        let ct = self
            .cipher()
            .encrypt(
                Nonce::from_slice(&nonce),
                Payload {
                    msg: &key.0,
                    aad: &wrap_aad(subject),
                },
            )
            .expect("ChaCha20-Poly1305 encryption of an in-memory buffer cannot fail");
        [nonce.as_slice(), &ct].concat()
    }

    fn unwrap(&self, subject: Uuid, wrapped: &[u8]) -> Result<DataKey, KeyError> {
        if wrapped.len() <= NONCE_LEN {
            return Err(KeyError::Unwrap);
        }
        let (nonce, ct) = wrapped.split_at(NONCE_LEN);
        let plain = self
            .cipher()
            .decrypt(
                Nonce::from_slice(nonce),
                Payload {
                    msg: ct,
                    aad: &wrap_aad(subject),
                },
            )
            .map_err(|_| KeyError::Unwrap)?;
        let bytes: [u8; 32] = plain.try_into().map_err(|_| KeyError::Unwrap)?;
        Ok(DataKey(bytes))
    }

    fn cipher(&self) -> ChaCha20Poly1305 {
        ChaCha20Poly1305::new(Key::from_slice(&self.0))
    }

    /// The key's bytes, for another cipher of this crate keyed the same way.
    pub(crate) fn expose(&self) -> &[u8; 32] {
        &self.0
    }
}

impl std::fmt::Debug for MasterKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("MasterKey(<redacted>)")
    }
}

fn wrap_aad(subject: Uuid) -> Vec<u8> {
    [WRAP_AAD_DOMAIN, subject.as_bytes()].concat()
}

/// `DataKeys` on the `data_keys` table.
pub struct PgDataKeys {
    pool: PgPool,
    master: MasterKey,
    ttl: Duration,
    /// `None` is a tombstone: the subject's key was destroyed.
    cache: Mutex<HashMap<Uuid, (Instant, Option<DataKey>)>>,
}

impl PgDataKeys {
    pub fn new(pool: PgPool, master: MasterKey) -> Self {
        Self {
            pool,
            master,
            ttl: DEFAULT_CACHE_TTL,
            cache: Mutex::new(HashMap::new()),
        }
    }

    /// Overrides [`DEFAULT_CACHE_TTL`]; `Duration::ZERO` disables the cache.
    pub fn with_cache_ttl(mut self, ttl: Duration) -> Self {
        self.ttl = ttl;
        self
    }

    fn cached(&self, subject: Uuid) -> Option<Option<DataKey>> {
        let cache = self.cache.lock().expect("key cache lock");
        cache
            .get(&subject)
            .filter(|(at, _)| at.elapsed() < self.ttl)
            .map(|(_, k)| k.clone())
    }

    fn remember(&self, subject: Uuid, key: Option<DataKey>) {
        if self.ttl.is_zero() {
            return;
        }
        let mut cache = self.cache.lock().expect("key cache lock");
        if cache.len() >= CACHE_SWEEP_AT {
            let ttl = self.ttl;
            cache.retain(|_, (at, _)| at.elapsed() < ttl);
        }
        cache.insert(subject, (Instant::now(), key));
    }

    /// The stored state of a subject: `None` = no row, `Some(None)` = destroyed.
    async fn load(&self, subject: Uuid) -> Result<Option<Option<DataKey>>, KeyError> {
        let row: Option<Option<Vec<u8>>> = sqlx::query_scalar!(
            "select wrapped_key from data_keys where subject_id = $1",
            subject
        )
        .fetch_optional(&self.pool)
        .await
        .map_err(backend)?;
        match row {
            None => Ok(None),
            Some(None) => Ok(Some(None)),
            Some(Some(wrapped)) => Ok(Some(Some(self.master.unwrap(subject, &wrapped)?))),
        }
    }
}

fn backend(e: sqlx::Error) -> KeyError {
    KeyError::Backend(e.to_string())
}

#[async_trait]
impl DataKeys for PgDataKeys {
    async fn get_or_create(&self, subject: Uuid) -> Result<DataKey, KeyError> {
        match self.cached(subject) {
            Some(Some(key)) => return Ok(key),
            Some(None) => return Err(KeyError::Destroyed(subject)),
            None => {}
        }
        // Two rounds at most: if a concurrent creator wins the insert, the second read sees it.
        for _ in 0..2 {
            match self.load(subject).await? {
                Some(Some(key)) => {
                    self.remember(subject, Some(key.clone()));
                    return Ok(key);
                }
                Some(None) => {
                    self.remember(subject, None);
                    return Err(KeyError::Destroyed(subject));
                }
                None => {}
            }
            let mut bytes = [0u8; 32];
            rand::rngs::OsRng.fill_bytes(&mut bytes);
            let key = DataKey(bytes);
            let inserted = sqlx::query!(
                "insert into data_keys (subject_id, wrapped_key) values ($1, $2) \
                 on conflict (subject_id) do nothing",
                subject,
                self.master.wrap(subject, &key)
            )
            .execute(&self.pool)
            .await
            .map_err(backend)?
            .rows_affected();
            if inserted == 1 {
                self.remember(subject, Some(key.clone()));
                return Ok(key);
            }
        }
        Err(KeyError::Backend(format!(
            "data key of subject {subject} neither readable nor insertable"
        )))
    }

    async fn get(&self, subject: Uuid) -> Result<Option<DataKey>, KeyError> {
        if let Some(k) = self.cached(subject) {
            return Ok(k);
        }
        match self.load(subject).await? {
            Some(k) => {
                self.remember(subject, k.clone());
                Ok(k)
            }
            // Not cached: a key may be created for this subject a moment later.
            None => Ok(None),
        }
    }

    async fn get_many(
        &self,
        subjects: &[Uuid],
    ) -> Result<HashMap<Uuid, Option<DataKey>>, KeyError> {
        let mut out = HashMap::with_capacity(subjects.len());
        let mut missing = Vec::new();
        for s in subjects {
            match self.cached(*s) {
                Some(k) => {
                    out.insert(*s, k);
                }
                None => missing.push(*s),
            }
        }
        if missing.is_empty() {
            return Ok(out);
        }
        let rows = sqlx::query!(
            "select subject_id, wrapped_key from data_keys where subject_id = any($1)",
            &missing
        )
        .fetch_all(&self.pool)
        .await
        .map_err(backend)?;
        for row in rows {
            let subject = row.subject_id;
            let key = match row.wrapped_key {
                Some(w) => Some(self.master.unwrap(subject, &w)?),
                None => None,
            };
            self.remember(subject, key.clone());
            out.insert(subject, key);
        }
        for s in missing {
            out.entry(s).or_insert(None);
        }
        Ok(out)
    }

    async fn destroy(&self, subject: Uuid) -> Result<(), KeyError> {
        // An upsert, so that destroying a subject that never had a key still leaves the tombstone.
        sqlx::query!(
"insert into data_keys (subject_id, wrapped_key, destroyed_at) values ($1, null, now()) \
             on conflict (subject_id) do update \
             set wrapped_key = null, destroyed_at = coalesce(data_keys.destroyed_at, now())",
subject
)
        .execute(&self.pool)
        .await
        .map_err(backend)?;
        self.remember(subject, None);
        Ok(())
    }
}

/// Encodes a master key for a secrets file (the inverse of [`MasterKey::from_base64`]).
pub fn encode_master_key(key: &MasterKey) -> String {
    B64.encode(key.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn master_key_parses_base64_and_never_prints() {
        let k = MasterKey::generate();
        let text = encode_master_key(&k);
        let parsed = MasterKey::from_base64(&format!("  {text}\n")).unwrap();
        assert_eq!(parsed.0, k.0);
        assert_eq!(format!("{parsed:?}"), "MasterKey(<redacted>)");
        assert!(MasterKey::from_base64("c2hvcnQ=").is_err());
        assert!(MasterKey::from_base64("not base64!").is_err());
    }

    #[test]
    fn wrapped_keys_are_bound_to_their_subject_and_master() {
        let master = MasterKey::generate();
        let key = DataKey([5; 32]);
        let a = Uuid::from_u128(1);
        let wrapped = master.wrap(a, &key);
        assert_eq!(master.unwrap(a, &wrapped).unwrap(), key);
        assert!(matches!(
            master.unwrap(Uuid::from_u128(2), &wrapped),
            Err(KeyError::Unwrap)
        ));
        assert!(matches!(
            MasterKey::generate().unwrap(a, &wrapped),
            Err(KeyError::Unwrap)
        ));
    }
}

/// The key ring of a store opened only to read the log in its stored (sealed) form, as `audit
/// verify` does: it needs no master key, and every key request fails, so nothing can be
/// decrypted or encrypted through such a store by mistake.
#[derive(Debug, Default, Clone, Copy)]
pub struct SealedOnly;

#[async_trait]
impl DataKeys for SealedOnly {
    async fn get_or_create(&self, _subject: Uuid) -> Result<DataKey, KeyError> {
        Err(SealedOnly::refusal())
    }

    async fn get(&self, _subject: Uuid) -> Result<Option<DataKey>, KeyError> {
        Err(SealedOnly::refusal())
    }

    async fn destroy(&self, _subject: Uuid) -> Result<(), KeyError> {
        Err(SealedOnly::refusal())
    }
}

impl SealedOnly {
    fn refusal() -> KeyError {
        KeyError::Backend("this event store was opened to read sealed events only".into())
    }
}
