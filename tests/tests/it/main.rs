//! One integration-test binary (one link, one PostgreSQL cluster) with a module per subject.

/// The same global allocator as the `docuvault` binary, so the in-process server behaves (and
/// benchmarks) like the product.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

mod admin_users_quota;
mod api_errors;
mod app;
mod auth_access;
mod auth_cookie;
mod auth_login;
mod auth_logout_all;
mod auth_projection;
mod auth_register;
mod auth_secrets;
mod auth_support;
mod auth_throttle;
mod auth_tokens;
mod auth_totp;
mod blob_fs;
mod blob_fs_stream;
mod blob_s3;
mod blob_suite;
mod blob_webdav;
mod documents_api;
mod documents_bench;
mod documents_readmodel;
mod eventstore;
mod eventstore_backends;
mod eventstore_concurrency;
mod eventstore_groupcommit;
mod harness;
mod intelligence;
mod intelligence_api;
mod ops_audit;
mod ops_erasure;
mod ops_export;
mod ops_import;
mod ops_metrics;
mod ops_projections;
mod ops_replay;
mod processing_jobs;
mod processing_worker;
mod projections;
mod projections_consistency;
mod projections_kill;
mod projections_rebuild;
mod projections_support;
mod projections_takeover;
mod search;
mod storage_api;
mod upcast;
