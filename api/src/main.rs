//! The `docuvault` binary: a thin clap dispatcher over `api::run`.

use clap::Parser;

use api::cli::{AdminCommand, AuditCommand, Cli, Command};

/// mimalloc rather than glibc's malloc: a request allocates many small strings (see
/// docs/benchmarks.md, "Documents: listing and fetching a document").
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[tokio::main]
async fn main() -> std::process::ExitCode {
    let cli = Cli::parse();
    let cfg = match api::Config::load() {
        Ok(c) => c,
        Err(e) => {
            eprintln!("error: {e:#}");
            return std::process::ExitCode::from(2);
        }
    };
    api::run::init_tracing(cfg.log_json);
    let result = match cli.command {
        Command::Dev { bind, data_dir } => api::run::dev(cfg, bind, data_dir).await,
        Command::Serve {
            no_projectors,
            no_worker,
        } => {
            let services = api::run::Services {
                api: true,
                projectors: !no_projectors,
                worker: !no_worker,
            };
            api::run::serve(cfg, services).await
        }
        Command::Projector => api::run::projector(cfg).await,
        Command::Migrate => api::run::migrate(cfg).await,
        Command::Rebuild { name } => api::run::rebuild(cfg, &name).await,
        Command::Audit { command } => match command {
            AuditCommand::Verify { export: None } => api::run::audit_verify(cfg).await,
            AuditCommand::Verify { export: Some(file) } => {
                api::audit::cli::verify_export(cfg, &file).await
            }
            AuditCommand::Export {
                filter,
                format,
                output,
            } => api::audit::cli::export(cfg, filter, &format, output.as_deref()).await,
            AuditCommand::Replay { at, user, document } => {
                api::audit::cli::replay(cfg, at, user, document).await
            }
        },
        Command::ImportLegacy {
            dir,
            owner,
            dry_run,
        } => api::legacy_import::run(cfg, &dir, &owner, dry_run).await,
        Command::Admin {
            command:
                AdminCommand::CreateUser {
                    email,
                    handle,
                    password,
                    role,
                },
        } => api::run::create_user(cfg, &email, &handle, &password, &role).await,
        Command::Admin {
            command: AdminCommand::RotateCloudKey { old, new },
        } => api::run::rotate_cloud_key(cfg, &old, &new).await,
    };
    match result {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e:#}");
            std::process::ExitCode::FAILURE
        }
    }
}
