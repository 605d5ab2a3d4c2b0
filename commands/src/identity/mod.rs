//! Identity and access: registration, login, refresh-token rotation, logout, password change,
//! TOTP, and admin account management. Each handler loads the user's stream, decides with the pure
//! functions of `domain::user`, and appends with the expected version.

pub mod admin;
pub mod auth_state;
pub mod deps;
pub mod error;
pub mod factor;
pub mod login;
pub mod password;
pub mod ports;
pub mod refresh;
pub mod register;
pub mod secrets;
pub mod totp;

pub use auth_state::{auth_state, AuthState};
pub use deps::IdentityDeps;
pub use error::{IdentityError, IdentityResult};
pub use login::{login, LoginFailed, LoginRequest, Session};
pub use refresh::{logout, logout_everywhere, refresh};
pub use register::{register, RegisterUser, Registered};

#[cfg(test)]
pub(crate) mod tests;
