//! `docuvault-bench`: benchmarks that print a table to paste into `docs/benchmarks.md`.

mod cpu;
mod eventstore;
mod pgbench;
mod rebuild;
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
    /// Blue/green rebuild of the `stream_stats` projection against the raw read rate.
    Rebuild(rebuild::Args),
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    match Cli::parse().command {
        Command::Eventstore(args) => eventstore::run(args).await,
        Command::Rebuild(args) => rebuild::run(args).await,
    }
}
