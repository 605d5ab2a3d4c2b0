//! `docuvault-bench`: benchmarks that print a table for `docs/benchmarks.md` (one current row per
//! figure, beside its baseline measured in the same run). It may depend on every crate; nothing
//! depends on it.

mod cpu;
mod eventstore;
mod extract;
mod pgbench;
mod rebuild;
mod search;
mod stats;

use clap::{Parser, Subcommand};

#[derive(Parser)]
#[command(about = "DocuVault benchmarks (each starts its own local PostgreSQL cluster)")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Event store appends and reads against a pgbench baseline.
    Eventstore(eventstore::Args),
    /// Text-extraction throughput (documents/s, MB/s) on a generated mixed corpus.
    Extract(extract::Args),
    /// Search over 100,000 generated documents: projection rebuild rate, p50/p99 at 32 clients.
    Search(search::Args),
    /// Blue/green rebuild of the `stream_stats` projection against the raw read rate.
    Rebuild(rebuild::Args),
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    match Cli::parse().command {
        Command::Eventstore(args) => eventstore::run(args).await,
        Command::Extract(args) => extract::run(args).await,
        Command::Search(args) => search::run(args).await,
        Command::Rebuild(args) => rebuild::run(args).await,
    }
}
