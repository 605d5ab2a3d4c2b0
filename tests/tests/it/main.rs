//! One integration-test binary (one link, one PostgreSQL cluster) with a module per subject.

mod app;
mod auth_access;
mod auth_cookie;
mod auth_login;
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
mod documents_readmodel;
mod eventstore;
mod eventstore_concurrency;
mod harness;
mod projections;
mod projections_consistency;
mod projections_kill;
mod projections_rebuild;
mod projections_support;
mod projections_takeover;
