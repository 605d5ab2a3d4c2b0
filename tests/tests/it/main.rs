//! One integration-test binary (one link, one PostgreSQL cluster) with a module per subject.

mod harness;
mod processing_jobs;
