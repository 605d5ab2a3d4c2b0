//! The harness itself: fresh databases are isolated and migrated.

use docuvault_tests::TestDb;

#[tokio::test]
async fn each_test_gets_its_own_migrated_database() {
    let a = TestDb::new().await;
    let b = TestDb::new().await;
    assert_ne!(a.name, b.name);
    let n: i64 = sqlx::query_scalar("select count(*) from _sqlx_migrations")
        .fetch_one(&a.pool)
        .await
        .unwrap();
    assert!(n >= 1, "migrations were applied");
    sqlx::query("create table only_in_a (x int)")
        .execute(&a.pool)
        .await
        .unwrap();
    let in_b: bool = sqlx::query_scalar("select to_regclass('only_in_a') is not null")
        .fetch_one(&b.pool)
        .await
        .unwrap();
    assert!(!in_b);
}
