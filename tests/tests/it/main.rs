//! One integration-test binary (one link, one PostgreSQL cluster) with a module per subject.

mod eventstore;
mod eventstore_concurrency;
mod harness;
