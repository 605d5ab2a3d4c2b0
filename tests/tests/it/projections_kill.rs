//! Projector processes killed with SIGKILL, repeatedly and mid-batch, under write load: a
//! standby takes over within 5 s each time, and the read model ends up equal to a full replay
//! (checked against the log and against an actual rebuild).

use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use docuvault_tests::TestDb;
use projections::StreamStats;

use crate::projections_support::*;

/// A `test-projector` process, killed when dropped.
struct Projector {
    instance: String,
    child: Child,
}

impl Projector {
    fn start(db: &TestDb, instance: &str) -> Self {
        let child = Command::new(env!("CARGO_BIN_EXE_test-projector"))
            .env("DATABASE_URL", &db.url)
            .env("PROJECTOR_INSTANCE", instance)
            .env("PROJECTOR_BATCH_SIZE", "50")
            // Most of a leader's time is spent inside a batch's open transaction.
            .env("PROJECTOR_APPLY_DELAY_MS", "15")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .spawn()
            .expect("start test-projector");
        Self {
            instance: instance.to_owned(),
            child,
        }
    }

    fn kill9(&mut self) {
        self.child.kill().expect("SIGKILL");
        let _ = self.child.wait();
    }
}

impl Drop for Projector {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

async fn leader(db: &TestDb) -> Option<String> {
    checkpoint_row(&db.pool, "stream_stats")
        .await
        .and_then(|r| r.3)
}

async fn position(db: &TestDb) -> i64 {
    checkpoint_row(&db.pool, "stream_stats")
        .await
        .map(|r| r.1)
        .unwrap_or(0)
}

#[tokio::test]
async fn killed_projectors_converge_to_a_full_replay() {
    let db = TestDb::new().await;
    let store = store(&db.pool);
    let stop = Arc::new(AtomicBool::new(false));
    let mut writers = Vec::new();
    for w in 0..3u64 {
        let (store, stop) = (store.clone(), stop.clone());
        writers.push(tokio::spawn(async move {
            let mut i = 0u64;
            while !stop.load(Ordering::SeqCst) {
                let category = if i.is_multiple_of(2) {
                    "user"
                } else {
                    "document"
                };
                let stream = format!("{category}-{w}x{}", i % 17);
                append(store.as_ref(), &stream, "Written", 1 + i % 4).await;
                i += 1;
            }
        }));
    }

    let mut next = 0;
    let mut spawn = |db: &TestDb| {
        next += 1;
        Projector::start(db, &format!("proc-{next}"))
    };
    let mut procs = vec![spawn(&db), spawn(&db)];
    let mut takeovers = Vec::new();
    let mut mid_batch = 0u32;
    for round in 0..4 {
        // Wait until a process leads and has made progress since the last kill.
        let from = position(&db).await;
        eventually(
            Duration::from_secs(15),
            "a leader makes progress",
            || async { leader(&db).await.is_some() && position(&db).await > from },
        )
        .await;
        let current = leader(&db).await.unwrap();
        let idx = procs
            .iter()
            .position(|p| p.instance == current)
            .unwrap_or_else(|| panic!("round {round}: unknown leader {current}"));
        // Kill it while one of its batch transactions is open (it pauses 15 ms in each).
        let in_batch = tokio::time::timeout(Duration::from_secs(2), async {
            loop {
                let open: i64 = sqlx::query_scalar(
                    "select count(*) from pg_stat_activity \
                     where application_name = $1 and xact_start is not null",
                )
                .bind(&current)
                .fetch_one(&db.pool)
                .await
                .unwrap();
                if open > 0 {
                    return;
                }
                tokio::time::sleep(Duration::from_millis(1)).await;
            }
        })
        .await
        .is_ok();
        let mut victim = procs.remove(idx);
        victim.kill9();
        mid_batch += u32::from(in_batch);
        let killed = Instant::now();
        eventually(
            Duration::from_secs(5),
            "a standby takes over within 5 s",
            || async { leader(&db).await.is_some_and(|l| l != victim.instance) },
        )
        .await;
        takeovers.push(killed.elapsed());
        procs.push(spawn(&db));
    }
    stop.store(true, Ordering::SeqCst);
    for w in writers {
        w.await.unwrap();
    }
    eventually(
        Duration::from_secs(60),
        "the survivors catch up",
        || async { caught_up(&db.pool, store.as_ref(), "stream_stats").await },
    )
    .await;
    assert_matches_replay(&db.pool).await;
    let before = stream_stats(&db.pool).await;
    eprintln!("takeover times after kill -9: {takeovers:?}; killed mid-batch {mid_batch} of 4");
    assert!(
        mid_batch >= 3,
        "most kills landed inside a batch transaction"
    );

    // And equal to an actual rebuild from position zero.
    for mut p in procs {
        p.kill9();
    }
    let done = projections::rebuild(
        &db.pool,
        store.clone(),
        Arc::new(StreamStats),
        fast_options("verifier"),
        Arc::new(|_: &projections::RebuildProgress| {}),
    )
    .await
    .expect("rebuild");
    assert_eq!(done.state, projections::RebuildState::Done);
    assert_eq!(stream_stats(&db.pool).await, before);
}
