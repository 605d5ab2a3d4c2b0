//! The documents area's HTTP support: DTOs (and how the read model's rows become them), error
//! mapping, the background sweeper, and the services its routes share (`routes::{documents,
//! folders, shares, quota, trash, blobs}`). The routes read through the query port
//! `projections::documents::DocumentReads`; `wiring::documents` builds it and the command
//! services on PostgreSQL and the configured blob store.

pub mod dto;
pub mod errors;
pub mod sweeper;

use std::sync::Arc;

use commands::documents::DocumentServices;
use projections::documents::DocumentReads;

use crate::routes::blobs::FsBlobs;

/// What the documents routes need beyond the common state.
#[derive(Clone)]
pub struct Documents {
    /// The command handlers' blob store, read-model facts, user directory and settings.
    pub services: DocumentServices,
    /// The documents read model.
    pub reads: Arc<dyn DocumentReads>,
    /// The blob store again when it is the filesystem one (its signed URLs are then served by
    /// `/api/blobs`).
    pub fs: FsBlobs,
}
