//! A user's storage quota (stream `quota-<user_id>`): the one place bytes are charged, so that an
//! append with the expected version makes the limit exact under any concurrency.

pub mod decide;
pub mod event;
pub mod state;
#[cfg(test)]
mod tests;

pub use decide::QuotaError;
pub use event::QuotaEvent;
pub use state::Quota;
