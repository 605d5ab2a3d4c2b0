//! Creating accounts from the command line and the dev mode's first admin, through the same
//! command path as the API (validation, password policy, reservations, events), as the system.

use std::io::Write;
use std::os::unix::fs::OpenOptionsExt;
use std::path::Path;
use std::sync::Arc;

use anyhow::{Context, Result};
use commands::identity::{admin, IdentityError, IdentityResult, RegisterUser, Registered};
use commands::{CommandContext, CommandError};
use domain::ports::{Clock, EventStore};
use domain::user::Role;
use rand::Rng;

use crate::auth::Identity;

/// `docuvault admin create-user`: registers an account with `role` as the system actor.
pub async fn create_user(
    store: Arc<dyn EventStore>,
    clock: Arc<dyn Clock>,
    identity: &Identity,
    email: &str,
    handle: &str,
    password: &str,
    role: Role,
) -> IdentityResult<Registered> {
    let ctx = CommandContext::system(store, clock);
    admin::create_user(
        &ctx,
        &identity.deps,
        RegisterUser {
            email: email.into(),
            handle: handle.into(),
            password: password.into(),
            role,
        },
    )
    .await
}

/// A command failure as an operator-facing message.
pub fn describe(e: CommandError<IdentityError>) -> anyhow::Error {
    match e {
        CommandError::Domain(d) => anyhow::anyhow!("{d}"),
        other => anyhow::anyhow!("{other}"),
    }
}

/// The dev mode's first admin.
pub const DEV_ADMIN_EMAIL: &str = "admin@docuvault.local";
pub const DEV_ADMIN_HANDLE: &str = "admin";

/// Credentials to print at dev start-up.
#[derive(Clone)]
pub struct DevAdmin {
    pub email: String,
    pub password: String,
}

impl std::fmt::Debug for DevAdmin {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DevAdmin")
            .field("email", &self.email)
            .finish_non_exhaustive()
    }
}

/// Makes sure the dev admin exists. On first start it is created with a random password, which is
/// kept in `password_file` (mode 0600) so later starts can print it again; the event log itself
/// never holds it.
pub async fn ensure_dev_admin(
    store: Arc<dyn EventStore>,
    clock: Arc<dyn Clock>,
    identity: &Identity,
    password_file: &Path,
) -> Result<DevAdmin> {
    if let Ok(password) = std::fs::read_to_string(password_file) {
        return Ok(DevAdmin {
            email: DEV_ADMIN_EMAIL.into(),
            password: password.trim().to_owned(),
        });
    }
    let password = random_password();
    let created = create_user(
        store,
        clock,
        identity,
        DEV_ADMIN_EMAIL,
        DEV_ADMIN_HANDLE,
        &password,
        Role::Admin,
    )
    .await;
    match created {
        Ok(_) => {}
        Err(CommandError::Domain(IdentityError::EmailTaken)) => anyhow::bail!(
            "the dev admin exists but {} is missing; create another admin with \
             `docuvault admin create-user --role admin`",
            password_file.display()
        ),
        Err(e) => return Err(describe(e)),
    }
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(password_file)
        .with_context(|| format!("creating {}", password_file.display()))?;
    writeln!(f, "{password}")?;
    Ok(DevAdmin {
        email: DEV_ADMIN_EMAIL.into(),
        password,
    })
}

/// 24 characters from an unambiguous alphabet (~120 bits).
fn random_password() -> String {
    const ALPHABET: &[u8] = b"23456789abcdefghjkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ";
    let mut rng = rand::rngs::OsRng;
    loop {
        let p: String = (0..24)
            .map(|_| ALPHABET[rng.gen_range(0..ALPHABET.len())] as char)
            .collect();
        // The policy refuses passwords containing the handle.
        if !p.to_lowercase().contains(DEV_ADMIN_HANDLE) {
            return p;
        }
    }
}
