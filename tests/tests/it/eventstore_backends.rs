//! The backends the event store conformance suite runs against: PostgreSQL always, KurrentDB
//! when `KURRENTDB_URL` names a server (none can run on the CI machines: those tests skip,
//! loudly). Each test gets a fresh PostgreSQL database (the key ring lives there for both).

use std::sync::Arc;
use std::time::Duration;

use docuvault_tests::TestDb;
use domain::event::Checkpoint;
use domain::ports::EventStore;
use domain::RecordedEvent;
use futures::StreamExt;
use infra::eventstore::{KurrentEventStore, MasterKey, PgDataKeys, PgEventStore};
use uuid::Uuid;

/// The environment variable naming the KurrentDB server of the conformance tests, e.g.
/// `esdb://admin:changeit@localhost:2113?tls=false`.
pub(crate) const KURRENTDB_URL: &str = "KURRENTDB_URL";

/// Which store a [`Subject`] is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Backend {
    Postgres,
    KurrentDb,
}

/// A store under test with its key ring and the checkpoint its events start after.
pub(crate) struct Subject {
    pub backend: Backend,
    pub db: TestDb,
    pub store: Arc<dyn EventStore>,
    pub keys: Arc<PgDataKeys>,
    /// `START` for a fresh PostgreSQL database; the head of `$all` when the test began for a
    /// KurrentDB server, which other tests and earlier runs share.
    pub start: Checkpoint,
}

impl Subject {
    pub async fn postgres() -> Self {
        let db = TestDb::new().await;
        let keys = Arc::new(PgDataKeys::new(db.pool.clone(), MasterKey::generate()));
        let store = Arc::new(PgEventStore::new(db.pool.clone(), keys.clone()));
        Self {
            backend: Backend::Postgres,
            db,
            store,
            keys,
            start: Checkpoint::START,
        }
    }

    /// `None` (after saying so on stderr) when no KurrentDB server is configured.
    pub async fn kurrentdb(test: &str) -> Option<Self> {
        let Ok(url) = std::env::var(KURRENTDB_URL) else {
            eprintln!(
                "SKIPPED: KURRENTDB_URL not set — no KurrentDB server can run on this machine \
                 ({test})"
            );
            return None;
        };
        let db = TestDb::new().await;
        let keys = Arc::new(PgDataKeys::new(db.pool.clone(), MasterKey::generate()));
        let store = KurrentEventStore::connect(&url, keys.clone()).expect("KURRENTDB_URL");
        let start = store.head().await.expect("reading the head of $all");
        Some(Self {
            backend: Backend::KurrentDb,
            db,
            store: Arc::new(store),
            keys,
            start,
        })
    }

    /// The events with these ids in global read order, once all are readable (other events,
    /// e.g. other tests' on a shared KurrentDB server, are left out). Waits through a
    /// subscription, with a bound, because never-skip reads may hold events back briefly.
    pub async fn settled(&self, ids: &[Uuid]) -> Vec<RecordedEvent> {
        let mut sub = self.store.subscribe_all(self.start);
        let mut out = Vec::with_capacity(ids.len());
        while out.len() < ids.len() {
            let next = tokio::time::timeout(Duration::from_secs(30), sub.next())
                .await
                .unwrap_or_else(|_| {
                    panic!("only {} of {} events became readable", out.len(), ids.len())
                });
            let e = next.expect("subscriptions never end").expect("read failed");
            if ids.contains(&e.event_id) {
                out.push(e);
            }
        }
        out
    }

    /// On PostgreSQL, `audit verify` finds every chain intact (it does not walk KurrentDB).
    pub async fn assert_chains_intact(&self) {
        if self.backend == Backend::Postgres {
            let report = infra::eventstore::verify_log(&self.db.pool).await.unwrap();
            assert!(report.is_intact(), "{report}");
        }
    }
}

/// Runs each named `async fn(&Subject)` as a test against PostgreSQL (`<module>::postgres::NAME`)
/// and against KurrentDB (`<module>::kurrentdb::NAME`, skipped without `KURRENTDB_URL`).
macro_rules! conformance {
    ($($name:ident),* $(,)?) => {
        mod postgres {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
                async fn $name() {
                    let subject = crate::eventstore_backends::Subject::postgres().await;
                    super::$name(&subject).await;
                }
            )*
        }

        mod kurrentdb {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
                async fn $name() {
                    let Some(subject) =
                        crate::eventstore_backends::Subject::kurrentdb(stringify!($name)).await
                    else {
                        return;
                    };
                    super::$name(&subject).await;
                }
            )*
        }
    };
}

pub(crate) use conformance;
