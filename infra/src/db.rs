//! Opening the PostgreSQL pools the services share: the main pool (event-store appends, read-model
//! writes, every statement that keeps PostgreSQL's default planning), and creating the database
//! the embedded `docuvault dev` cluster serves, on first start.

use std::time::Duration;

use sqlx::postgres::PgPoolOptions;
/// The pool type the wiring holds (so that the API names no database crate).
pub use sqlx::PgPool;

/// The main pool: 32 connections, a 10 s acquire timeout, no ping before each use.
pub async fn connect(url: &str) -> Result<PgPool, sqlx::Error> {
    PgPoolOptions::new()
        .max_connections(32)
        .acquire_timeout(Duration::from_secs(10))
        // sqlx pings every connection it hands out unless told not to: a second round trip per
        // query, paid by every event-store append. A connection that died is still detected
        // when it is used, and discarded.
        .test_before_acquire(false)
        .connect(url)
        .await
}

/// Creates the database `name` through `admin_url` unless it exists. `name` is ours (a fixed
/// identifier), never user input: it is spliced into the statement.
pub async fn ensure_database(admin_url: &str, name: &str) -> Result<(), sqlx::Error> {
    let pool = PgPoolOptions::new()
        .max_connections(1)
        .connect(admin_url)
        .await?;
    let exists: bool = sqlx::query_scalar!(
        r#"select exists(select 1 from pg_database where datname = $1) as "exists!""#,
        name
    )
    .fetch_one(&pool)
    .await?;
    if !exists {
        sqlx::query(&format!("create database {name}"))
            .execute(&pool)
            .await?;
    }
    pool.close().await;
    Ok(())
}

/// [`crate::page_read_pool`] from a connection URL; `None` connections: the default size.
pub fn page_read_pool_at(url: &str, connections: Option<u32>) -> Result<PgPool, sqlx::Error> {
    use std::str::FromStr;
    let options = sqlx::postgres::PgConnectOptions::from_str(url)?;
    let connections = connections.unwrap_or_else(crate::default_page_connections);
    Ok(crate::page_read_pool(options, connections))
}
