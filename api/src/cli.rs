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
    /// Import a legacy flat-file store (`DIR/metadata/<id>.json` + `DIR/uploads/<id>.<ext>`) as
    /// ordinary uploads of one user. Idempotent; malformed entries are reported and skipped.
    ImportLegacy {
        dir: PathBuf,
        /// The owner's @handle.
        #[arg(long)]
        owner: String,
        /// Check every entry and report what would be imported, without importing.
        #[arg(long)]
        dry_run: bool,
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
    /// With `--export FILE`, check an audit export's signed manifest and chains instead.
    Verify {
        /// An export written by `docuvault audit export` or `GET /api/audit/export`.
        #[arg(long)]
        export: Option<PathBuf>,
    },
    /// Write the selected audit entries (oldest first) with hash-chain fields and a signed
    /// manifest.
    Export {
        #[command(flatten)]
        filter: AuditFilterArgs,
        #[arg(long, default_value = "jsonl", value_parser = ["jsonl", "csv"])]
        format: String,
        /// Where to write (default: standard output).
        #[arg(long, short)]
        output: Option<PathBuf>,
    },
    /// Who could see a document, or what a user could access, at an instant, by replaying the
    /// log up to it.
    Replay {
        /// RFC 3339 instant (default: now).
        #[arg(long)]
        at: Option<chrono::DateTime<chrono::Utc>>,
        #[arg(
            long,
            conflicts_with = "document",
            required_unless_present = "document"
        )]
        user: Option<uuid::Uuid>,
        #[arg(long)]
        document: Option<uuid::Uuid>,
    },
}

/// The audit selection filters (all optional, combined with AND).
#[derive(Debug, Clone, Default, clap::Args)]
pub struct AuditFilterArgs {
    /// Who did it (user id).
    #[arg(long)]
    pub actor: Option<uuid::Uuid>,
    /// Whom it is about (user id).
    #[arg(long)]
    pub subject_user: Option<uuid::Uuid>,
    #[arg(long)]
    pub document_id: Option<uuid::Uuid>,
    /// Event type(s), comma-separated.
    #[arg(long = "type")]
    pub event_type: Option<String>,
    /// Inclusive lower bound (RFC 3339).
    #[arg(long)]
    pub from: Option<chrono::DateTime<chrono::Utc>>,
    /// Exclusive upper bound (RFC 3339).
    #[arg(long)]
    pub to: Option<chrono::DateTime<chrono::Utc>>,
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
    /// Re-seal every cloud storage credential under a new key, in one transaction; then set
    /// DOCUVAULT_CLOUD_CREDS_KEY to the new key. Keys are base64 of 32 bytes.
    RotateCloudKey {
        #[arg(long, env = "DOCUVAULT_OLD_CLOUD_CREDS_KEY", hide_env_values = true)]
        old: String,
        #[arg(long, env = "DOCUVAULT_NEW_CLOUD_CREDS_KEY", hide_env_values = true)]
        new: String,
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
        let cli = Cli::try_parse_from([
            "docuvault",
            "admin",
            "rotate-cloud-key",
            "--old",
            "b2xk",
            "--new",
            "bmV3",
        ])
        .unwrap();
        assert!(matches!(
            cli.command,
            Command::Admin { command: AdminCommand::RotateCloudKey { ref old, ref new } }
                if old == "b2xk" && new == "bmV3"
        ));
        let cli = Cli::try_parse_from([
            "docuvault",
            "audit",
            "export",
            "--type",
            "UserErased",
            "--format",
            "csv",
            "-o",
            "x.csv",
        ])
        .unwrap();
        assert!(matches!(
            cli.command,
            Command::Audit { command: AuditCommand::Export { ref format, ref filter, .. } }
                if format == "csv" && filter.event_type.as_deref() == Some("UserErased")
        ));
        let cli =
            Cli::try_parse_from(["docuvault", "audit", "verify", "--export", "x.jsonl"]).unwrap();
        assert!(matches!(
            cli.command,
            Command::Audit {
                command: AuditCommand::Verify { export: Some(_) }
            }
        ));
        let user = uuid::Uuid::now_v7().to_string();
        assert!(Cli::try_parse_from([
            "docuvault",
            "audit",
            "replay",
            "--at",
            "2026-11-28T07:00:00Z",
            "--user",
            &user,
        ])
        .is_ok());
        assert!(Cli::try_parse_from(["docuvault", "audit", "replay"]).is_err());
        let cli = Cli::try_parse_from([
            "docuvault",
            "import-legacy",
            "old",
            "--owner",
            "alice",
            "--dry-run",
        ])
        .unwrap();
        assert!(matches!(
            cli.command,
            Command::ImportLegacy { dry_run: true, .. }
        ));
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
