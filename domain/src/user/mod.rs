//! The user aggregate (stream `user-<uuid>`): registration, logins, TOTP, refresh-token families,
//! password changes, roles and (de)activation; plus the email/handle reservation streams and the
//! stream of failed logins for unknown accounts.

pub mod attempts;
pub mod decide;
pub mod error;
pub mod event;
pub mod reservation;
pub mod role;
pub mod state;
pub mod values;

#[cfg(test)]
mod tests;

pub use error::{PasswordProblem, UserError, ValueError};
pub use event::{LoginFailure, LoginMethod, RevocationReason, UserEvent};
pub use role::Role;
pub use state::User;
pub use values::{Email, Handle, Password};
