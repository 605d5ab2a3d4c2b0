//! One integration-test binary (one link, one PostgreSQL cluster) with a module per subject.

mod app;
mod eventstore;
mod eventstore_concurrency;
mod harness;
mod intelligence;
mod processing_jobs;
mod processing_worker;
mod projections;
mod projections_consistency;
mod projections_kill;
mod projections_rebuild;
mod projections_support;
mod projections_takeover;
mod search;
