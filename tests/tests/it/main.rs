//! One integration-test binary (one link, one PostgreSQL cluster) with a module per subject.

mod app;
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
