//! The projector runtime (checkpoints, leadership, rebuild, read-your-writes) and the read-model
//! projections. A subject's folder holds the projection that writes its tables (`apply`) and the
//! query port that reads them (`query`, implemented on PostgreSQL in `infra::readmodels`): so far
//! `documents`, `topics`, `processing` (with the reactor that feeds the job queue) and `search`;
//! the others are still single files whose readers live in `api`.
//!
//! Depends on `domain` only (and PostgreSQL, which its projections write in the checkpoint's
//! transaction); `infra` implements its ports, `api` reads through them.
//!
//! - [`run`] / [`Runtime`]: lead or stand by for each projection in any number of processes.
//! - [`rebuild::rebuild`] / [`rebuild::request`]: blue/green rebuilds with progress.
//! - [`checkpoint::resume`]: clear a halt after a fix.
//! - [`ConsistencyWaiter`]: bounded waits for `X-Consistency-Token`.
//! - [`status::status`]: the admin view; [`Operations`]: the same with lag through the event-log
//!   port, rebuild requests and resumes, as the API drives them.

pub mod audit;
pub mod checkpoint;
pub mod consistency;
pub mod documents;
pub mod error;
mod leader;
pub mod leadership;
pub mod metrics;
pub mod operations;
pub mod processing;
pub mod projection;
mod read_error;
pub mod rebuild;
pub mod runtime;
pub mod search;
mod shadow;
pub mod status;
pub mod storage;
pub mod stream_stats;
pub mod topics;
mod transient;
pub mod users;
pub mod wakeup;

pub use checkpoint::{resume, ProjectionState};
pub use consistency::ConsistencyWaiter;
pub use error::RuntimeError;
pub use operations::Operations;
pub use projection::{Projection, ProjectionError};
pub use read_error::ReadError;
pub use rebuild::{rebuild, RebuildProgress, RebuildState};
pub use runtime::{run, Runtime, RuntimeOptions};
pub use status::{status, ProjectionStatus};
pub use stream_stats::StreamStats;
