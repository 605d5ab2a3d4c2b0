//! Fast stand-ins for the identity ports: a SHA-256 "hasher", a screen that refuses anything
//! containing "password", and a deterministic TOTP whose codes tests can compute.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use domain::user::{Password, PasswordProblem};

use crate::identity::ports::{HashError, PasswordHasher, PasswordScreen, TotpCodes};
use crate::identity::secrets::digest;

pub struct FakeHasher;

#[async_trait]
impl PasswordHasher for FakeHasher {
    async fn hash(&self, password: &Password) -> Result<String, HashError> {
        Ok(format!("fake${}", digest(password.expose())))
    }
    async fn verify(&self, password: &Password, phc: Option<&str>) -> Result<bool, HashError> {
        Ok(phc == Some(format!("fake${}", digest(password.expose())).as_str()))
    }
}

pub struct FakeScreen;

#[async_trait]
impl PasswordScreen for FakeScreen {
    async fn screen(&self, password: &Password) -> Result<(), PasswordProblem> {
        if password.expose().contains("password") {
            Err(PasswordProblem::Common)
        } else {
            Ok(())
        }
    }
}

pub struct FakeTotp;

/// The code of `secret` for one time step.
pub fn code_for_step(secret: &str, step: u64) -> String {
    format!(
        "{:06}",
        (step * 7919 + secret.len() as u64 * 31) % 1_000_000
    )
}

pub fn code_at(secret: &str, at: DateTime<Utc>) -> String {
    code_for_step(secret, at.timestamp() as u64 / 30)
}

impl TotpCodes for FakeTotp {
    fn new_secret(&self) -> String {
        "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP".into()
    }
    fn matching_step(&self, secret: &str, code: &str, at: DateTime<Utc>) -> Option<u64> {
        let now = at.timestamp() as u64 / 30;
        (now.saturating_sub(1)..=now + 1).find(|s| code_for_step(secret, *s) == code)
    }
    fn provisioning_uri(&self, secret: &str, account: &str) -> String {
        format!("otpauth://totp/Test:{account}?secret={secret}")
    }
}
