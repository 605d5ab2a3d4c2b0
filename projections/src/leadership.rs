//! Leadership of one projection: a session-level advisory lock held on a dedicated connection.
//!
//! The lock lives exactly as long as that connection: when the leader process dies (even by
//! `kill -9`) the server ends the session and a standby's next attempt gets the lock.

use std::time::{Duration, Instant};

use sqlx::{ConnectOptions, Connection, PgConnection, PgPool};

/// First half of the two-key advisory lock: a namespace for projection locks (`"DVPR"`), so they
/// cannot collide with other users of advisory locks in the same database.
pub const LOCK_NAMESPACE: i32 = 0x4456_5052;

/// Second half of the lock key: a stable 32-bit FNV-1a hash of the projection name (stable
/// across processes, versions and PostgreSQL releases, unlike `hashtext`).
pub fn lock_key(name: &str) -> i32 {
    let mut h: u32 = 0x811c_9dc5;
    for b in name.bytes() {
        h ^= u32::from(b);
        h = h.wrapping_mul(0x0100_0193);
    }
    h as i32
}

/// A connection waiting to take a projection's lock. Standbys keep it between attempts, so
/// retrying every second costs one query, not one new connection.
pub struct LockCandidate {
    conn: PgConnection,
}

impl LockCandidate {
    /// Opens the dedicated connection (not from the pool: the lock must not return to the pool
    /// with it, and its life must be exactly the leadership's).
    pub async fn connect(pool: &PgPool) -> Result<Self, sqlx::Error> {
        let conn = pool
            .connect_options()
            .as_ref()
            .clone()
            .application_name("docuvault-projection-leader")
            .connect()
            .await?;
        Ok(Self { conn })
    }

    /// Tries once to take the lock of `name`: the held lock, or the candidate back when another
    /// session holds it.
    pub async fn try_lock(mut self, name: &str) -> Result<Result<LeaderLock, Self>, sqlx::Error> {
        let got: bool = sqlx::query_scalar!(
            r#"select pg_try_advisory_lock($1, $2) as "got!""#,
            LOCK_NAMESPACE,
            lock_key(name)
        )
        .fetch_one(&mut self.conn)
        .await?;
        Ok(if got {
            Ok(LeaderLock {
                conn: self.conn,
                last_check: Instant::now(),
            })
        } else {
            Err(self)
        })
    }

    pub async fn close(self) {
        let _ = self.conn.close().await;
    }
}

/// A held leadership. Dropping it closes the connection, which releases the lock.
pub struct LeaderLock {
    conn: PgConnection,
    last_check: Instant,
}

impl LeaderLock {
    /// Tries once to take the projection's lock on a new connection; `None` when another session
    /// holds it.
    pub async fn try_acquire(pool: &PgPool, name: &str) -> Result<Option<Self>, sqlx::Error> {
        match LockCandidate::connect(pool).await?.try_lock(name).await? {
            Ok(lock) => Ok(Some(lock)),
            Err(candidate) => {
                candidate.close().await;
                Ok(None)
            }
        }
    }

    /// Checks, at most once per `every`, that the lock's session is still alive. A leader that
    /// cannot confirm it must stop leading (its writes are fenced anyway).
    pub async fn still_held(&mut self, every: Duration) -> bool {
        if self.last_check.elapsed() < every {
            return true;
        }
        self.last_check = Instant::now();
        sqlx::query_scalar!("select 1")
            .fetch_one(&mut self.conn)
            .await
            .is_ok()
    }

    /// Releases the lock and closes its connection.
    pub async fn release(self) {
        let _ = self.conn.close().await;
    }
}

/// Whether some session currently holds the lock of `name`, and that session's backend pid.
pub async fn holder_pid(pool: &PgPool, name: &str) -> Result<Option<i32>, sqlx::Error> {
    sqlx::query_scalar!(
"select pid as \"pid!\" from pg_locks \
         where locktype = 'advisory' and granted and database = (select oid from pg_database where datname = current_database()) \
           and classid = $1::int4::oid and objid = $2::int4::oid and objsubid = 2",
LOCK_NAMESPACE,
lock_key(name)
)
    .fetch_optional(pool)
    .await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lock_keys_are_stable_and_distinct() {
        // Fixed values: changing the hash would let an old and a new process lead together.
        assert_eq!(lock_key(""), 0x811c_9dc5_u32 as i32);
        assert_eq!(lock_key("a"), 0xe40c_292c_u32 as i32);
        assert_ne!(lock_key("stream_stats"), lock_key("stream_stat"));
    }
}
