//! `docuvault-bench`: benchmarks that print a table; figures go to `docs/benchmarks.md`.

use clap::{Parser, Subcommand};

mod extract;

#[derive(Debug, Parser)]
#[command(name = "docuvault-bench", about = "DocuVault benchmarks")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Text-extraction throughput (documents/s, MB/s) on a generated mixed corpus.
    Extract(extract::Args),
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    match Cli::parse().command {
        Command::Extract(args) => extract::run(args).await,
    }
}
