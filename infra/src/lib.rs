//! Adapters behind DocuVault's ports: PostgreSQL event store and key ring, the read models'
//! queries (`readmodels`, search among them), blob stores (WebDAV among them), extraction and
//! classification, the job queue, the outbound policy every request to a user-supplied URL goes
//! through (`outbound`), and the embedded PostgreSQL cluster used by `docuvault dev` and the tests.
//!
//! Depends on `domain`, `commands` and `projections` (whose ports it implements); `api`, the
//! tests and the benchmarks depend on it (in `api`, its wiring only).

pub mod auth;
pub mod blob;
pub mod classify;
pub mod db;
pub mod eventstore;
pub mod extract;
pub mod outbound;
pub mod pgcluster;
pub mod processing;
pub mod readmodels;
pub mod snapshots;
pub mod storage;
mod xml;

/// The pool that serves reads whose plan does not depend on their parameters: folder pages, one
/// document, shared-with-me, folders, and the search query. Its sessions plan each statement once
/// and reuse that plan (`plan_cache_mode = force_generic_plan`). PostgreSQL's default keeps
/// re-planning them at every execution whenever the generic plan's estimate looks dearer than a
/// custom one: a big owner's folder page (planning cost more than running it, 0.49 → 0.31 ms),
/// and the search query, whose CTEs and seven gated branches took 2–3.5 ms to plan per search
/// while a custom plan gains nothing (its text query comes out of a CTE, so no plan sees it).
/// Few connections (`connections`, twice the CPUs by default): with more backends than cores, many
/// concurrent requests preempt each other in the OS scheduler and the slowest wait longest; in
/// the pool they wait in order. No prefetching (`effective_io_concurrency = 0`): a search's bitmap
/// heap scans read ~100 rows and stop, and the prefetcher, which looks every page it runs ahead
/// to up in the buffer table first, cost more CPU than the reads it served (~3–5% of a search's
/// time, the pages being in memory). No notices
/// (`client_min_messages = warning`): parsing a search of stopwords only, or of one word, raises
/// "text-search query doesn't contain lexemes" for its empty part, which nobody reads; at this
/// level PostgreSQL skips formatting and sending it. No JIT compilation (`jit = off`): a
/// statement whose generic plan is estimated dearer than `jit_above_cost` is compiled at every
/// execution (the generic plan estimates its walks' index scans as if read to the end); the
/// search tail's was, 160 ms for a statement that ran in 1.5 ms. Measurements:
/// docs/benchmarks.md, "Search".
pub fn page_read_pool(options: sqlx::postgres::PgConnectOptions, connections: u32) -> sqlx::PgPool {
    sqlx::postgres::PgPoolOptions::new()
        .max_connections(connections.max(1))
        .acquire_timeout(std::time::Duration::from_secs(10))
        .test_before_acquire(false)
        .connect_lazy_with(options.options([
            ("plan_cache_mode", "force_generic_plan"),
            ("effective_io_concurrency", "0"),
            ("client_min_messages", "warning"),
            ("jit", "off"),
        ]))
}

/// The default size of [`page_read_pool`]: twice the CPUs, at least 4 and at most 32.
pub fn default_page_connections() -> u32 {
    std::thread::available_parallelism()
        .map(|n| (2 * n.get()).clamp(4, 32) as u32)
        .unwrap_or(4)
}

/// Applies every migration in `migrations/` (event store and read models).
pub async fn migrate(pool: &sqlx::PgPool) -> Result<(), sqlx::migrate::MigrateError> {
    sqlx::migrate!("../migrations").run(pool).await
}
