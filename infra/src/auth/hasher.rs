//! argon2id password hashing off the async executor, with bounded concurrency: a fixed number of
//! hashes run at once, a bounded number wait, and anything beyond that is refused at once
//! (`HashError::Overloaded`, a fast 503) instead of stalling the server behind the blocking pool.

use std::sync::Arc;

use argon2::password_hash::rand_core::OsRng;
use argon2::password_hash::{PasswordHash, SaltString};
use argon2::{Algorithm, Argon2, Params, PasswordHasher as _, PasswordVerifier as _, Version};
use async_trait::async_trait;
use commands::identity::ports::{HashError, PasswordHasher};
use domain::user::Password;
use rand::RngCore;
use tokio::sync::Semaphore;

/// Cost and concurrency settings. The defaults are OWASP's minimum for argon2id.
#[derive(Debug, Clone, Copy)]
pub struct HasherConfig {
    /// Memory cost in KiB (OWASP: at least 19 MiB).
    pub memory_kib: u32,
    /// Iterations (OWASP: at least 2 with 19 MiB).
    pub iterations: u32,
    /// Hashes computed at once (each holds `memory_kib` of RAM).
    pub max_parallel: usize,
    /// Hashes that may wait for a slot; one more is refused.
    pub max_waiting: usize,
}

impl Default for HasherConfig {
    fn default() -> Self {
        let cores = std::thread::available_parallelism().map_or(2, |n| n.get());
        Self {
            memory_kib: 19 * 1024,
            iterations: 2,
            max_parallel: cores,
            max_waiting: cores * 8,
        }
    }
}

#[derive(Clone)]
pub struct Argon2Hasher {
    params: Params,
    running: Arc<Semaphore>,
    admitted: Arc<Semaphore>,
    /// A hash of a random password with the same parameters: what unknown accounts verify against.
    dummy: Arc<str>,
}

impl Argon2Hasher {
    /// Builds the hasher and computes its dummy hash (one argon2 run, blocking: call at startup).
    pub fn new(config: HasherConfig) -> Result<Self, HashError> {
        assert!(
            config.memory_kib >= 19 * 1024 && config.iterations >= 2,
            "below OWASP minimum"
        );
        let params = Params::new(config.memory_kib, config.iterations, 1, None)
            .map_err(|e| HashError::Failed(e.to_string()))?;
        let mut random = [0u8; 32];
        OsRng.fill_bytes(&mut random);
        let dummy = hash_with(&params, &hex::encode(random))?;
        Ok(Self {
            params,
            running: Arc::new(Semaphore::new(config.max_parallel.max(1))),
            admitted: Arc::new(Semaphore::new(
                config.max_parallel.max(1) + config.max_waiting,
            )),
            dummy: dummy.into(),
        })
    }

    /// Runs `f` on the blocking pool once a slot is free; refuses when too many are queued.
    async fn run<T: Send + 'static>(
        &self,
        f: impl FnOnce() -> Result<T, HashError> + Send + 'static,
    ) -> Result<T, HashError> {
        let _admitted = self
            .admitted
            .clone()
            .try_acquire_owned()
            .map_err(|_| HashError::Overloaded)?;
        let _running = self
            .running
            .acquire()
            .await
            .map_err(|_| HashError::Failed("hasher closed".into()))?;
        tokio::task::spawn_blocking(f)
            .await
            .map_err(|e| HashError::Failed(format!("hashing task: {e}")))?
    }
}

fn argon2(params: &Params) -> Argon2<'static> {
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params.clone())
}

fn hash_with(params: &Params, password: &str) -> Result<String, HashError> {
    let salt = SaltString::generate(&mut OsRng);
    argon2(params)
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| HashError::Failed(e.to_string()))
}

#[async_trait]
impl PasswordHasher for Argon2Hasher {
    async fn hash(&self, password: &Password) -> Result<String, HashError> {
        let params = self.params.clone();
        let password = password.clone();
        self.run(move || hash_with(&params, password.expose()))
            .await
    }

    async fn verify(&self, password: &Password, phc: Option<&str>) -> Result<bool, HashError> {
        let known = phc.is_some();
        let phc: String = phc.map_or_else(|| self.dummy.to_string(), str::to_owned);
        let params = self.params.clone();
        let password = password.clone();
        let matches = self
            .run(move || {
                let parsed =
                    PasswordHash::new(&phc).map_err(|e| HashError::Failed(e.to_string()))?;
                // The stored string carries its own parameters, so older, cheaper hashes verify.
                Ok(argon2(&params)
                    .verify_password(password.expose().as_bytes(), &parsed)
                    .is_ok())
            })
            .await?;
        Ok(known && matches)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hasher(max_parallel: usize, max_waiting: usize) -> Argon2Hasher {
        Argon2Hasher::new(HasherConfig {
            max_parallel,
            max_waiting,
            ..HasherConfig::default()
        })
        .unwrap()
    }

    #[tokio::test]
    async fn hashes_are_argon2id_with_owasp_parameters_and_verify() {
        let h = hasher(2, 2);
        let pw = Password::presented("correct horse battery staple");
        let phc = h.hash(&pw).await.unwrap();
        assert!(phc.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"), "{phc}");
        assert!(!phc.contains("correct horse"));
        assert!(h.verify(&pw, Some(&phc)).await.unwrap());
        assert!(!h
            .verify(&Password::presented("wrong"), Some(&phc))
            .await
            .unwrap());
        // Unknown accounts never verify, whatever is presented.
        assert!(!h.verify(&pw, None).await.unwrap());
    }

    #[tokio::test]
    async fn unknown_accounts_cost_a_full_verification() {
        // Unknown accounts are verified against a dummy hash made with the very parameters of
        // real ones, so both paths run the same argon2 work (checked structurally: timing
        // assertions are for benchmarks, not unit tests).
        let h = hasher(1, 4);
        let pw = Password::presented("correct horse battery staple");
        let phc = h.hash(&pw).await.unwrap();
        let params = |s: &str| s.split('$').take(4).collect::<Vec<_>>().join("$");
        assert_eq!(params(&h.dummy), params(&phc));
        assert!(PasswordHash::new(&h.dummy).is_ok(), "{}", h.dummy);
        assert!(!h.verify(&pw, None).await.unwrap());
    }

    #[tokio::test]
    async fn overload_is_refused_at_once() {
        let h = hasher(1, 1);
        let pw = Password::presented("correct horse battery staple");
        let calls: Vec<_> = (0..6)
            .map(|_| {
                let (h, pw) = (h.clone(), pw.clone());
                tokio::spawn(async move { h.hash(&pw).await })
            })
            .collect();
        let mut overloaded = 0;
        for c in calls {
            if c.await.unwrap() == Err(HashError::Overloaded) {
                overloaded += 1;
            }
        }
        // One runs, one waits; the rest are turned away.
        assert!(overloaded >= 4, "{overloaded} refused");
    }
}
