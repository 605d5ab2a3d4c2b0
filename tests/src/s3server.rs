//! An S3-compatible server for the S3 blob store's tests: `s3s-fs` started once per test process
//! on a free loopback port, or an external one (Garage, MinIO, AWS) named by
//! `DOCUVAULT_TEST_S3_ENDPOINT` with `…_REGION`, `…_BUCKET`, `…_ACCESS_KEY`, `…_SECRET_KEY`.

use std::process::Command;
use std::sync::OnceLock;

use infra::blob::S3Config;
use secrecy::SecretString;

static SERVER: OnceLock<S3Config> = OnceLock::new();

/// The configuration of the process-wide test S3 server (started on first use).
pub fn s3_config() -> S3Config {
    SERVER.get_or_init(start).clone()
}

fn env(name: &str) -> Option<String> {
    std::env::var(format!("DOCUVAULT_TEST_S3_{name}")).ok()
}

fn start() -> S3Config {
    if let Some(endpoint) = env("ENDPOINT") {
        return S3Config {
            endpoint: Some(endpoint),
            region: env("REGION").unwrap_or_else(|| "us-east-1".into()),
            bucket: env("BUCKET").unwrap_or_else(|| "docuvault-test".into()),
            path_style: env("PATH_STYLE").is_none_or(|v| v != "false"),
            access_key: SecretString::from(
                env("ACCESS_KEY").expect("DOCUVAULT_TEST_S3_ACCESS_KEY"),
            ),
            secret_key: SecretString::from(
                env("SECRET_KEY").expect("DOCUVAULT_TEST_S3_SECRET_KEY"),
            ),
        };
    }
    let bin = find_binary().unwrap_or_else(|| {
        panic!(
            "s3s-fs not found (PATH or ~/.cargo/bin): install it with \
             `cargo install s3s-fs@0.14.1 --features binary`, or point the tests at another \
             S3-compatible server with DOCUVAULT_TEST_S3_ENDPOINT"
        )
    });
    let port = infra::pgcluster::free_port().expect("free port");
    let root = std::env::temp_dir().join(format!("docuvault-test-s3-{}", std::process::id()));
    std::fs::create_dir_all(&root).expect("s3 root");
    let (access, secret) = (
        "docuvault-test-access",
        "docuvault-test-secret-key-0123456789",
    );
    let mut server = Command::new(bin);
    server
        .args(["--host", "127.0.0.1", "--port", &port.to_string()])
        .args(["--access-key", access, "--secret-key", secret])
        .arg(&root);
    crate::start_server(server, port, &root, "s3s-fs");
    S3Config {
        endpoint: Some(format!("http://127.0.0.1:{port}")),
        region: "us-east-1".into(),
        bucket: "docuvault-test".into(),
        path_style: true,
        access_key: SecretString::from(access),
        secret_key: SecretString::from(secret),
    }
}

fn find_binary() -> Option<std::path::PathBuf> {
    let mut dirs: Vec<std::path::PathBuf> = std::env::var_os("PATH")
        .map(|p| std::env::split_paths(&p).collect())
        .unwrap_or_default();
    if let Some(home) = std::env::var_os("HOME") {
        dirs.push(std::path::PathBuf::from(home).join(".cargo/bin"));
    }
    dirs.into_iter()
        .map(|d| d.join("s3s-fs"))
        .find(|p| p.is_file())
}
