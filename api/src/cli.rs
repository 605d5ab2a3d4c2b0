//! The `docuvault` command line: subcommands and their flags (a fixed contract for operators).

use std::net::SocketAddr;
use std::path::PathBuf;

use clap::{Parser, Subcommand};

#[derive(Debug, Parser)]
#[command(
    name = "docuvault",
    version,
    about = "Self-hostable, multi-user, event-sourced document vault"
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run everything on the embedded default: a private PostgreSQL under the data directory (unless
    /// DATABASE_URL is set), filesystem blobs, migrations, projectors, the API and the SPA.
    Dev {
        #[arg(long, default_value = "127.0.0.1:8080", env = "DOCUVAULT_BIND")]
        bind: SocketAddr,
        #[arg(long, default_value = "data", env = "DOCUVAULT_DATA_DIR")]
        data_dir: PathBuf,
    },
    /// Production mode: configuration from DOCUVAULT_* variables / DOCUVAULT_CONFIG TOML.
    Serve {
        /// Do not run the projectors in this process (run `docuvault projector` separately).
        #[arg(long)]
        no_projectors: bool,
        /// Do not run a document-processing worker in this process (run `docuvault projector`,
        /// which includes one, separately).
        #[arg(long)]
        no_worker: bool,
    },
    /// Run only the projectors and a document-processing worker (any number of these may run:
    /// one leads each projection, the workers share the jobs).
    Projector,
    /// Apply database migrations and exit.
    Migrate,
    /// Rebuild one projection from position zero into shadow tables, then swap atomically.
    Rebuild {
        /// The projection's name (see `GET /api/admin/projections`).
        name: String,
    },
    /// Audit-log tools.
    Audit {
        #[command(subcommand)]
        command: AuditCommand,
    },
    /// Administration.
    Admin {
        #[command(subcommand)]
        command: AdminCommand,
    },
}

#[derive(Debug, Subcommand)]
pub enum AuditCommand {
    /// Walk every stream's hash chain; exit non-zero naming the first broken stream and version.
    Verify,
}

#[derive(Debug, Subcommand)]
pub enum AdminCommand {
    /// Create a user through the ordinary command path.
    CreateUser {
        #[arg(long)]
        email: String,
        #[arg(long)]
        handle: String,
        #[arg(long, env = "DOCUVAULT_NEW_USER_PASSWORD", hide_env_values = true)]
        password: String,
        #[arg(long, default_value = "user", value_parser = ["user", "admin", "auditor"])]
        role: String,
    },
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn cli_is_well_formed() {
        Cli::command().debug_assert();
    }

    #[test]
    fn parses_the_documented_flags() {
        let cli = Cli::try_parse_from([
            "docuvault",
            "admin",
            "create-user",
            "--email",
            "a@b.c",
            "--handle",
            "ann",
            "--password",
            "correct horse battery",
            "--role",
            "auditor",
        ])
        .unwrap();
        assert!(matches!(
            cli.command,
            Command::Admin { command: AdminCommand::CreateUser { ref role, .. } } if role == "auditor"
        ));
        assert!(
            Cli::try_parse_from(["docuvault", "admin", "create-user", "--role", "root"]).is_err()
        );
        let cli = Cli::try_parse_from(["docuvault", "serve", "--no-projectors"]).unwrap();
        assert!(matches!(
            cli.command,
            Command::Serve {
                no_projectors: true,
                no_worker: false,
            }
        ));
    }
}
