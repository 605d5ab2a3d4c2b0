//! Conformance of the event stores: expected versions, reads, idempotency and personal-data
//! encryption against every backend (PostgreSQL, and KurrentDB when `KURRENTDB_URL` is set);
//! the PostgreSQL store's own guarantees (the database's append-only guard, `audit verify` and
//! tamper detection, joining a caller's transaction) against PostgreSQL only.

use std::process::ExitCode;
use std::sync::Arc;

use chrono::Utc;
use docuvault_tests::TestDb;
use domain::event::{Checkpoint, EventMetadata, ExpectedVersion, NewEvent, StreamId};
use domain::ports::{DataKeys, EventStore, KeyError, StoreError};
use domain::Personal;
use infra::eventstore::{verify_log, BreakKind, MasterKey, PgDataKeys, PgEventStore};
use serde_json::{json, Value};
use uuid::Uuid;

use crate::eventstore_backends::{conformance, Subject};

conformance!(
    appends_with_expected_versions_and_reads_a_stream,
    wrong_expected_versions_conflict_with_the_actual_version,
    any_appends_after_the_current_head,
    read_all_pages_through_every_event_in_order,
    checkpoint_of_maps_a_position_to_its_read_order_checkpoint,
    a_retried_append_returns_the_original_outcome_without_duplicating,
    a_reused_event_id_for_a_different_event_is_rejected,
    personal_data_is_plaintext_through_the_store,
    a_destroyed_key_reads_as_erased,
    personal_data_without_a_data_key_is_rejected,
);

pub(crate) fn store_on(db: &TestDb) -> (PgEventStore, Arc<PgDataKeys>) {
    store_on_pool(&db.pool)
}

pub(crate) fn store_on_pool(pool: &sqlx::PgPool) -> (PgEventStore, Arc<PgDataKeys>) {
    let keys = Arc::new(PgDataKeys::new(pool.clone(), MasterKey::generate()));
    (PgEventStore::new(pool.clone(), keys.clone()), keys)
}

pub(crate) fn event(event_type: &str, data: Value) -> NewEvent {
    NewEvent {
        event_id: Uuid::now_v7(),
        event_type: event_type.into(),
        schema_version: 1,
        data,
        metadata: EventMetadata::default(),
        data_key: None,
        recorded_at: Utc::now(),
    }
}

pub(crate) fn stream(category: &str) -> StreamId {
    StreamId::new(category, Uuid::now_v7())
}

fn versions(events: &[domain::RecordedEvent]) -> Vec<u64> {
    events.iter().map(|e| e.stream_version).collect()
}

async fn appends_with_expected_versions_and_reads_a_stream(subject: &Subject) {
    let store = &subject.store;
    let s = stream("doc");
    let first = store
        .append(
            &s,
            ExpectedVersion::NoStream,
            vec![event("Created", json!({"n": 1}))],
        )
        .await
        .unwrap();
    assert_eq!(first.stream_version, 1);
    assert_eq!(first.first_position, first.last_position);
    let second = store
        .append(
            &s,
            ExpectedVersion::Exact(1),
            vec![
                event("Renamed", json!({"n": 2})),
                event("Renamed", json!({"n": 3})),
            ],
        )
        .await
        .unwrap();
    assert_eq!(second.stream_version, 3);
    assert!(second.first_position > first.last_position);
    assert!(second.last_position > second.first_position);

    let all = store.read_stream(&s, 1).await.unwrap();
    assert_eq!(versions(&all), vec![1, 2, 3]);
    assert_eq!(all[2].data, json!({"n": 3}));
    assert_eq!(all[0].event_type, "Created");
    assert_eq!(all[0].stream_id, s);
    assert_eq!(
        versions(&store.read_stream(&s, 2).await.unwrap()),
        vec![2, 3]
    );
    assert!(store.read_stream(&s, 4).await.unwrap().is_empty());
    assert!(store
        .read_stream(&stream("doc"), 1)
        .await
        .unwrap()
        .is_empty());
}

async fn wrong_expected_versions_conflict_with_the_actual_version(subject: &Subject) {
    let store = &subject.store;
    let s = stream("doc");
    let conflict = |r: Result<_, StoreError>| match r {
        Err(StoreError::Conflict { actual, .. }) => actual,
        other => panic!("expected a conflict, got {other:?}"),
    };
    assert_eq!(
        conflict(
            store
                .append(&s, ExpectedVersion::Exact(1), vec![event("A", json!({}))])
                .await
        ),
        0
    );
    store
        .append(&s, ExpectedVersion::NoStream, vec![event("A", json!({}))])
        .await
        .unwrap();
    assert_eq!(
        conflict(
            store
                .append(&s, ExpectedVersion::NoStream, vec![event("A", json!({}))])
                .await
        ),
        1
    );
    assert_eq!(
        conflict(
            store
                .append(&s, ExpectedVersion::Exact(2), vec![event("A", json!({}))])
                .await
        ),
        1
    );
    assert_eq!(versions(&store.read_stream(&s, 1).await.unwrap()), vec![1]);
}

async fn any_appends_after_the_current_head(subject: &Subject) {
    let store = &subject.store;
    let s = stream("doc");
    let a = store
        .append(&s, ExpectedVersion::Any, vec![event("A", json!({}))])
        .await
        .unwrap();
    assert_eq!(a.stream_version, 1);
    let b = store
        .append(
            &s,
            ExpectedVersion::Any,
            vec![event("B", json!({})), event("C", json!({}))],
        )
        .await
        .unwrap();
    assert_eq!(b.stream_version, 3);
}

async fn read_all_pages_through_every_event_in_order(subject: &Subject) {
    let store = &subject.store;
    let streams: Vec<StreamId> = (0..3).map(|_| stream("doc")).collect();
    let mut appended = Vec::new();
    for round in 0..5 {
        for s in &streams {
            let e = event("E", json!({"round": round}));
            appended.push(e.event_id);
            store
                .append(s, ExpectedVersion::Any, vec![e])
                .await
                .unwrap();
        }
    }
    subject.settled(&appended).await;
    let mut seen = Vec::new();
    let mut after = subject.start;
    // Other writers may share the log (a KurrentDB server): page until ours are all seen.
    while seen.len() < appended.len() {
        let batch = store.read_all(after, 4).await.unwrap();
        assert!(
            !batch.is_empty(),
            "the log ended before all events were read"
        );
        assert!(batch.len() <= 4);
        for e in &batch {
            assert!(e.checkpoint > after, "checkpoints increase");
            assert_eq!(e.checkpoint.pos, e.global_position);
            after = e.checkpoint;
            if appended.contains(&e.event_id) {
                seen.push(e.event_id);
            }
        }
    }
    // Sequential appends commit in order, so read order equals append order here.
    assert_eq!(seen, appended);
    if subject.start == Checkpoint::START {
        assert!(store.read_all(after, 4).await.unwrap().is_empty());
    }
}

async fn checkpoint_of_maps_a_position_to_its_read_order_checkpoint(subject: &Subject) {
    let store = &subject.store;
    let e = event("E", json!({}));
    let id = e.event_id;
    let out = store
        .append(&stream("doc"), ExpectedVersion::Any, vec![e])
        .await
        .unwrap();
    let read = subject.settled(&[id]).await;
    let cp = store
        .checkpoint_of(out.last_position)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(read[0].checkpoint, cp);
    assert_eq!(read[0].global_position, out.last_position);
    // Far beyond the end of the log (a shared KurrentDB log may grow meanwhile).
    assert_eq!(
        store
            .checkpoint_of(out.last_position + (1 << 40))
            .await
            .unwrap(),
        None
    );
}

async fn a_retried_append_returns_the_original_outcome_without_duplicating(subject: &Subject) {
    let store = &subject.store;
    let s = stream("doc");
    let batch = vec![
        event("A", json!({"x": 1.5})),
        event("B", json!({"y": [1, 2]})),
    ];
    let first = store
        .append(&s, ExpectedVersion::NoStream, batch.clone())
        .await
        .unwrap();
    // The same request again (the first answer was lost): same outcome, whatever the head is.
    let again = store
        .append(&s, ExpectedVersion::NoStream, batch.clone())
        .await
        .unwrap();
    assert_eq!(again, first);
    store
        .append(&s, ExpectedVersion::Exact(2), vec![event("C", json!({}))])
        .await
        .unwrap();
    assert_eq!(
        store
            .append(&s, ExpectedVersion::Any, batch.clone())
            .await
            .unwrap(),
        first
    );
    assert_eq!(
        store
            .append(&s, ExpectedVersion::Exact(3), batch)
            .await
            .unwrap(),
        first
    );
    assert_eq!(
        versions(&store.read_stream(&s, 1).await.unwrap()),
        vec![1, 2, 3]
    );
}

async fn a_reused_event_id_for_a_different_event_is_rejected(subject: &Subject) {
    let store = &subject.store;
    let s = stream("doc");
    let original = event("A", json!({"x": 1}));
    store
        .append(&s, ExpectedVersion::NoStream, vec![original.clone()])
        .await
        .unwrap();
    let dup = |r: Result<_, StoreError>| match r {
        Err(StoreError::DuplicateEventId(id)) => id,
        other => panic!("expected DuplicateEventId, got {other:?}"),
    };

    // Same id, other content.
    let mut changed = original.clone();
    changed.data = json!({"x": 2});
    assert_eq!(
        dup(store.append(&s, ExpectedVersion::Any, vec![changed]).await),
        original.event_id
    );
    // Only part of the batch is stored.
    assert_eq!(
        dup(store
            .append(
                &s,
                ExpectedVersion::Any,
                vec![original.clone(), event("B", json!({}))]
            )
            .await),
        original.event_id
    );
    // Twice in one batch.
    let e = event("C", json!({}));
    assert_eq!(
        dup(store
            .append(&s, ExpectedVersion::Any, vec![e.clone(), e.clone()])
            .await),
        e.event_id
    );
    assert_eq!(versions(&store.read_stream(&s, 1).await.unwrap()), vec![1]);
}

/// PostgreSQL's unique index on event ids also catches reuse across streams (KurrentDB has no
/// index by event id: there it is not detected, as its module documents).
#[tokio::test]
async fn a_reused_event_id_in_another_stream_is_rejected() {
    let db = TestDb::new().await;
    let (store, _) = store_on(&db);
    let original = event("A", json!({"x": 1}));
    store
        .append(
            &stream("doc"),
            ExpectedVersion::NoStream,
            vec![original.clone()],
        )
        .await
        .unwrap();
    let other_stream = stream("doc");
    let err = store
        .append(&other_stream, ExpectedVersion::Any, vec![original.clone()])
        .await
        .unwrap_err();
    assert!(
        matches!(err, StoreError::DuplicateEventId(id) if id == original.event_id),
        "{err:?}"
    );
    assert!(store
        .read_stream(&other_stream, 1)
        .await
        .unwrap()
        .is_empty());
}

#[tokio::test]
async fn append_in_joins_the_callers_transaction() {
    let db = TestDb::new().await;
    let (store, _) = store_on(&db);
    let s = stream("doc");
    let mut tx = db.pool.begin().await.unwrap();
    store
        .append_in(
            &mut tx,
            &s,
            ExpectedVersion::NoStream,
            vec![event("A", json!({}))],
        )
        .await
        .unwrap();
    // A conflict inside the transaction leaves it usable (savepoint).
    let err = store
        .append_in(
            &mut tx,
            &s,
            ExpectedVersion::NoStream,
            vec![event("B", json!({}))],
        )
        .await
        .unwrap_err();
    assert!(
        matches!(err, StoreError::Conflict { actual: 1, .. }),
        "{err:?}"
    );
    tx.rollback().await.unwrap();
    assert!(store.read_stream(&s, 1).await.unwrap().is_empty());

    let mut tx = db.pool.begin().await.unwrap();
    store
        .append_in(
            &mut tx,
            &s,
            ExpectedVersion::NoStream,
            vec![event("A", json!({}))],
        )
        .await
        .unwrap();
    tx.commit().await.unwrap();
    store.wake();
    assert_eq!(versions(&store.read_stream(&s, 1).await.unwrap()), vec![1]);
}

#[tokio::test]
async fn the_database_rejects_update_delete_and_truncate() {
    let db = TestDb::new().await;
    let (store, _) = store_on(&db);
    store
        .append(
            &stream("doc"),
            ExpectedVersion::Any,
            vec![event("A", json!({}))],
        )
        .await
        .unwrap();
    for sql in [
        "update events set data = '{}'::jsonb",
        "delete from events",
        "truncate events",
    ] {
        let err = sqlx::query(sql).execute(&db.pool).await.unwrap_err();
        let db_err = err.as_database_error().expect("a database error");
        assert_eq!(db_err.code().as_deref(), Some("42501"), "{sql}: {db_err}");
        assert!(db_err.message().contains("append-only"), "{sql}: {db_err}");
    }
    let n: i64 = sqlx::query_scalar("select count(*) from events")
        .fetch_one(&db.pool)
        .await
        .unwrap();
    assert_eq!(n, 1);
}

#[tokio::test]
async fn verify_passes_on_an_intact_log() {
    let db = TestDb::new().await;
    let (store, _) = store_on(&db);
    for i in 0..3 {
        let s = stream("doc");
        store
            .append(
                &s,
                ExpectedVersion::NoStream,
                vec![event("A", json!({"i": i, "f": 0.1}))],
            )
            .await
            .unwrap();
        store
            .append(
                &s,
                ExpectedVersion::Exact(1),
                vec![
                    event("B", json!({"nested": {"z": 1, "a": [true, null, "é\"\\"]}})),
                    event(
                        "C",
                        json!([1e19, 1e300, -0.0, 1.0, 2.5e-8, u64::MAX, i64::MIN]),
                    ),
                ],
            )
            .await
            .unwrap();
    }
    let report = verify_log(&db.pool).await.unwrap();
    assert!(report.is_intact(), "{report}");
    assert_eq!((report.streams, report.events), (3, 9));
}

/// Edits the stored data of one event with the append-only triggers disabled, as a superuser
/// with direct database access could.
async fn tamper(db: &TestDb, stream: &StreamId, version: i64, sql_set: &str) {
    let mut tx = db.pool.begin().await.unwrap();
    sqlx::query("alter table events disable trigger user")
        .execute(&mut *tx)
        .await
        .unwrap();
    let n = sqlx::query(&format!(
        "update events set {sql_set} where stream_id = $1 and stream_version = $2"
    ))
    .bind(stream.as_str())
    .bind(version)
    .execute(&mut *tx)
    .await
    .unwrap()
    .rows_affected();
    assert_eq!(n, 1);
    sqlx::query("alter table events enable trigger user")
        .execute(&mut *tx)
        .await
        .unwrap();
    tx.commit().await.unwrap();
}

/// The exit code of the `docuvault audit verify` subcommand against a test database.
async fn audit_verify_exit(db: &TestDb) -> String {
    let mut cfg = api::Config::default();
    cfg.apply_env(|k| (k == "DATABASE_URL").then(|| db.url.clone()))
        .unwrap();
    format!("{:?}", api::run::audit_verify(cfg).await.unwrap())
}

#[tokio::test]
async fn verify_names_the_stream_and_version_of_an_edited_event() {
    let db = TestDb::new().await;
    let (store, _) = store_on(&db);
    let intact = stream("doc");
    let victim = stream("doc");
    for s in [&intact, &victim] {
        for _ in 0..4 {
            store
                .append(
                    s,
                    ExpectedVersion::Any,
                    vec![event("A", json!({"amount": 10}))],
                )
                .await
                .unwrap();
        }
    }
    tamper(&db, &victim, 3, "data = '{\"amount\": 1000}'::jsonb").await;
    let report = verify_log(&db.pool).await.unwrap();
    assert!(!report.is_intact());
    assert_eq!(report.broken_streams, 1);
    let b = report.first_break().unwrap();
    assert_eq!(
        (b.stream_id.as_str(), b.stream_version, &b.kind),
        (victim.as_str(), 3, &BreakKind::HashMismatch)
    );
    assert!(report.to_string().contains(victim.as_str()));
    // `docuvault audit verify` exits non-zero on it (and zero on an intact log, below).
    assert_eq!(
        audit_verify_exit(&db).await,
        format!("{:?}", ExitCode::FAILURE)
    );
    let clean = TestDb::new().await;
    assert_eq!(
        audit_verify_exit(&clean).await,
        format!("{:?}", ExitCode::SUCCESS)
    );
    // The triggers are back on.
    assert!(sqlx::query("delete from events")
        .execute(&db.pool)
        .await
        .is_err());
}

#[tokio::test]
async fn verify_reports_a_deleted_event_as_a_missing_version() {
    let db = TestDb::new().await;
    let (store, _) = store_on(&db);
    let s = stream("doc");
    for _ in 0..3 {
        store
            .append(&s, ExpectedVersion::Any, vec![event("A", json!({}))])
            .await
            .unwrap();
    }
    let mut tx = db.pool.begin().await.unwrap();
    sqlx::query("alter table events disable trigger user")
        .execute(&mut *tx)
        .await
        .unwrap();
    sqlx::query("delete from events where stream_id = $1 and stream_version = 2")
        .bind(s.as_str())
        .execute(&mut *tx)
        .await
        .unwrap();
    sqlx::query("alter table events enable trigger user")
        .execute(&mut *tx)
        .await
        .unwrap();
    tx.commit().await.unwrap();
    let report = verify_log(&db.pool).await.unwrap();
    let b = report.first_break().unwrap();
    assert_eq!(b.stream_version, 3);
    assert_eq!(b.kind, BreakKind::MissingVersion { expected: 2 });
}

fn personal_event(owner: Uuid, email: &str) -> NewEvent {
    let mut e = event(
        "UserRegistered",
        json!({"email": Personal::new(email.to_owned()), "quota": 100}),
    );
    e.metadata.client_ip = Some(Personal::new("203.0.113.7".into()));
    e.metadata.user_agent = Some(Personal::new("Firefox".into()));
    e.data_key = Some(owner);
    e
}

/// Registers a new user with personal data in their own stream: `(stream, event)`.
async fn append_personal(store: &dyn EventStore) -> (StreamId, NewEvent) {
    let owner = Uuid::now_v7();
    let s = StreamId::new("user", owner);
    let e = personal_event(owner, "alice@example.com");
    store
        .append(&s, ExpectedVersion::NoStream, vec![e.clone()])
        .await
        .unwrap();
    (s, e)
}

async fn personal_data_is_plaintext_through_the_store(subject: &Subject) {
    let store = &subject.store;
    let (s, e) = append_personal(store.as_ref()).await;
    let read = store.read_stream(&s, 1).await.unwrap();
    assert_eq!(read[0].data, e.data);
    assert_eq!(read[0].metadata, e.metadata);
    let all = subject.settled(&[e.event_id]).await;
    assert_eq!(all[0].data["email"], json!({"$pii": "alice@example.com"}));
    subject.assert_chains_intact().await;
    // An idempotent retry of an encrypted event is recognised through decryption.
    assert_eq!(
        store
            .append(&s, ExpectedVersion::NoStream, vec![e])
            .await
            .unwrap()
            .stream_version,
        1
    );
    assert_eq!(store.read_stream(&s, 1).await.unwrap().len(), 1);
}

#[tokio::test]
async fn personal_data_is_ciphertext_at_rest() {
    let db = TestDb::new().await;
    let (store, _) = store_on(&db);
    let (_, e) = append_personal(&store).await;
    let owner = e.data_key.unwrap();

    let (data, metadata): (Value, Value) =
        sqlx::query_as("select data, metadata from events where event_id = $1")
            .bind(e.event_id)
            .fetch_one(&db.pool)
            .await
            .unwrap();
    let at_rest = format!("{data}{metadata}");
    for secret in ["alice@example.com", "203.0.113.7", "Firefox"] {
        assert!(!at_rest.contains(secret), "{secret} in plaintext at rest");
    }
    assert_eq!(data["email"]["$key"], json!(owner.to_string()));
    assert!(data["email"]["$enc"].is_string());
    assert_eq!(data["quota"], json!(100));
    assert!(verify_log(&db.pool).await.unwrap().is_intact());
}

#[tokio::test]
async fn tampered_or_moved_ciphertext_fails_to_read() {
    let db = TestDb::new().await;
    let (store, _) = store_on(&db);
    let owner = Uuid::now_v7();
    let s = StreamId::new("user", owner);
    store
        .append(
            &s,
            ExpectedVersion::NoStream,
            vec![
                personal_event(owner, "alice@example.com"),
                personal_event(owner, "mallory@example.com"),
            ],
        )
        .await
        .unwrap();
    let crypto_err = |r: Result<Vec<domain::RecordedEvent>, StoreError>| match r {
        Err(StoreError::Crypto(msg)) => msg,
        other => panic!("expected a crypto error, got {other:?}"),
    };

    // Move event 2's ciphertext into event 1 (same key, same field): authentication fails.
    tamper(
        &db,
        &s,
        1,
        "data = jsonb_set(data, '{email}', (select data->'email' from events \
         where stream_id = events.stream_id and stream_version = 2 and stream_id = $1))",
    )
    .await;
    let msg = crypto_err(store.read_stream(&s, 1).await);
    assert!(msg.contains("/data/email"), "{msg}");

    // Flip one character of event 2's ciphertext.
    tamper(
        &db,
        &s,
        2,
        // The first base64 character always changes (a character-class swap would miss a
        // ciphertext that happens not to contain those characters).
        "data = jsonb_set(data, '{email,$enc}', to_jsonb(overlay(data->'email'->>'$enc' \
         placing (case when left(data->'email'->>'$enc', 1) = 'A' then 'B' else 'A' end) from 1 for 1)))",
    )
    .await;
    let msg = crypto_err(store.read_stream(&s, 2).await);
    assert!(msg.contains("failed authentication"), "{msg}");
    // And the chain shows both edits.
    let report = verify_log(&db.pool).await.unwrap();
    assert_eq!(report.first_break().unwrap().stream_version, 1);
}

async fn a_destroyed_key_reads_as_erased(subject: &Subject) {
    let (store, keys, db) = (&subject.store, &subject.keys, &subject.db);
    let owner = Uuid::now_v7();
    let s = StreamId::new("user", owner);
    let e = personal_event(owner, "alice@example.com");
    store
        .append(&s, ExpectedVersion::NoStream, vec![e])
        .await
        .unwrap();
    keys.destroy(owner).await.unwrap();
    keys.destroy(owner).await.unwrap();

    let read = store.read_stream(&s, 1).await.unwrap();
    assert_eq!(read[0].data["email"], json!({"$erased": true}));
    assert_eq!(read[0].data["quota"], json!(100));
    assert_eq!(read[0].metadata.client_ip, Some(Personal::Erased));
    let email: Personal<String> = serde_json::from_value(read[0].data["email"].clone()).unwrap();
    assert_eq!(email, Personal::Erased);
    // Crypto-shredding leaves the log intact.
    subject.assert_chains_intact().await;

    // Another process (no cache) sees the erasure too, and nothing new can be encrypted.
    let fresh = PgDataKeys::new(db.pool.clone(), MasterKey::generate());
    assert!(fresh.get(owner).await.unwrap().is_none());
    assert!(matches!(
        keys.get_or_create(owner).await,
        Err(KeyError::Destroyed(id)) if id == owner
    ));
    let err = store
        .append(
            &s,
            ExpectedVersion::Exact(1),
            vec![personal_event(owner, "alice@example.com")],
        )
        .await
        .unwrap_err();
    assert!(matches!(err, StoreError::Crypto(_)), "{err:?}");
    let (wrapped, destroyed): (Option<Vec<u8>>, bool) = sqlx::query_as(
        "select wrapped_key, destroyed_at is not null from data_keys where subject_id = $1",
    )
    .bind(owner)
    .fetch_one(&db.pool)
    .await
    .unwrap();
    assert_eq!((wrapped, destroyed), (None, true));
}

async fn personal_data_without_a_data_key_is_rejected(subject: &Subject) {
    let store = &subject.store;
    let mut e = personal_event(Uuid::now_v7(), "alice@example.com");
    e.data_key = None;
    let err = store
        .append(&stream("user"), ExpectedVersion::Any, vec![e])
        .await
        .unwrap_err();
    assert!(matches!(err, StoreError::Crypto(_)), "{err:?}");
    // Nor can ciphertext be smuggled in already sealed.
    let sealed = event(
        "X",
        json!({"v": {"$enc": "AAAA", "$key": Uuid::now_v7().to_string()}}),
    );
    let err = store
        .append(&stream("user"), ExpectedVersion::Any, vec![sealed])
        .await
        .unwrap_err();
    assert!(matches!(err, StoreError::Crypto(_)), "{err:?}");
}

#[tokio::test]
async fn data_keys_are_stored_wrapped_and_need_the_master_key() {
    let db = TestDb::new().await;
    let master = MasterKey::generate();
    let keys = PgDataKeys::new(db.pool.clone(), master.clone());
    let subject = Uuid::now_v7();
    let key = keys.get_or_create(subject).await.unwrap();
    assert_eq!(keys.get_or_create(subject).await.unwrap(), key);
    let wrapped: Vec<u8> =
        sqlx::query_scalar("select wrapped_key from data_keys where subject_id = $1")
            .bind(subject)
            .fetch_one(&db.pool)
            .await
            .unwrap();
    assert!(
        !wrapped.windows(32).any(|w| w == key.0),
        "key stored in the clear"
    );

    let same_master = PgDataKeys::new(db.pool.clone(), master);
    assert_eq!(same_master.get(subject).await.unwrap(), Some(key));
    let other_master = PgDataKeys::new(db.pool.clone(), MasterKey::generate());
    assert!(matches!(
        other_master.get(subject).await,
        Err(KeyError::Unwrap)
    ));
    assert_eq!(same_master.get(Uuid::now_v7()).await.unwrap(), None);
    let many = same_master.get_many(&[subject, Uuid::nil()]).await.unwrap();
    assert!(many[&subject].is_some() && many[&Uuid::nil()].is_none());
}
