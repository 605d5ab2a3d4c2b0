//! The documents area's HTTP support: DTOs, read-model queries, error mapping, the SQL-backed
//! facts, the background sweeper, and the state its routes share (`routes::{documents, folders,
//! shares, quota, trash, blobs}`).

pub mod dto;
pub mod errors;
pub mod facts;
pub mod read;
pub mod setup;
pub mod sweeper;

use std::sync::Arc;

use axum::extract::FromRef;
use axum::http::HeaderMap;
use commands::documents::{DocumentServices, DocumentSettings};
use commands::{Actor, CommandContext};
use domain::blob::BlobStore;
use domain::ids::UserId;
use sqlx::PgPool;

use crate::routes::blobs::FsBlobs;
use crate::state::AppState;

pub use facts::{SqlFacts, SqlUsers};

/// What the documents routes need beyond the common state.
#[derive(Clone)]
pub struct Documents {
    pub services: DocumentServices,
    pub users: SqlUsers,
    pub fs: FsBlobs,
}

impl Documents {
    /// Wires the documents area on a pool and a blob store. `fs` is the same store when it is
    /// the filesystem one (its signed URLs are then served by `/api/blobs`).
    pub fn new(
        pool: PgPool,
        blobs: Arc<dyn BlobStore>,
        fs: FsBlobs,
        settings: DocumentSettings,
    ) -> Self {
        let users = SqlUsers { pool: pool.clone() };
        Self {
            services: DocumentServices {
                blobs,
                facts: Arc::new(SqlFacts { pool: pool.clone() }),
                users: Arc::new(users.clone()),
                snapshots: Arc::new(infra::snapshots::PgSnapshots { pool: pool.clone() }),
                settings,
            },
            users,
            fs,
        }
    }
}

impl FromRef<AppState> for FsBlobs {
    fn from_ref(s: &AppState) -> Self {
        s.documents.fs.clone()
    }
}

/// The command context of a request by `user`: who, from where, in which request.
pub fn command_context(
    state: &AppState,
    user: UserId,
    role: commands::Role,
    headers: &HeaderMap,
) -> CommandContext {
    let header = |name: &str| {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned)
    };
    let mut ctx =
        CommandContext::system(state.store.clone(), state.clock.clone()).with_actor(Actor::User {
            id: user.as_uuid(),
            role,
        });
    ctx.request_id = header("x-request-id");
    ctx.user_agent = header("user-agent");
    ctx
}
