//! A real WebDAV server for the WebDAV blob store's tests: Apache with `mod_dav`/`mod_dav_fs`
//! and Basic authentication, started once per test process on a free loopback port. The same
//! collection is also served at Nextcloud's URL shape, `/remote.php/dav/files/USER/`.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::OnceLock;

/// The account the server knows.
pub const USERNAME: &str = "docuvault-test";
pub const PASSWORD: &str = "webdav-test-password-4b1d";

/// Where the process-wide test server listens.
#[derive(Debug, Clone)]
pub struct WebDavServer {
    /// `http://127.0.0.1:PORT`
    pub origin: String,
    /// `https://127.0.0.1:PORT`, the same collections over TLS with a self-signed certificate
    /// that no client trusts (for the TLS failure cases).
    pub tls_origin: String,
    /// The directory the server serves (the test can place files there directly).
    pub root: PathBuf,
}

impl WebDavServer {
    /// The plain WebDAV URL of `path` (below the served collection).
    pub fn url(&self, path: &str) -> String {
        format!("{}/dav/{}", self.origin, path.trim_start_matches('/'))
    }

    /// The same collection at Nextcloud's URL shape.
    pub fn nextcloud_url(&self, path: &str) -> String {
        format!(
            "{}/remote.php/dav/files/{USERNAME}/{}",
            self.origin,
            path.trim_start_matches('/')
        )
    }
}

static SERVER: OnceLock<WebDavServer> = OnceLock::new();

/// The process-wide test WebDAV server (started on first use).
pub fn server() -> &'static WebDavServer {
    SERVER.get_or_init(start)
}

const APACHE: &str = "/usr/sbin/apache2";
const MODULES: &str = "/usr/lib/apache2/modules";

fn start() -> WebDavServer {
    assert!(
        Path::new(APACHE).is_file(),
        "Apache not found at {APACHE}: run scripts/install-test-deps (Debian package apache2)"
    );
    let port = infra::pgcluster::free_port().expect("free port");
    let tls_port = infra::pgcluster::free_port().expect("free port");
    let dir = std::env::temp_dir().join(format!("docuvault-test-webdav-{}", std::process::id()));
    let root = dir.join("root");
    for d in [&root, &dir.join("lock"), &dir.join("logs")] {
        std::fs::create_dir_all(d).expect("webdav dirs");
    }
    let htpasswd = dir.join("htpasswd");
    let status = Command::new("htpasswd")
        .args([
            "-bcB",
            htpasswd.to_str().expect("utf-8 path"),
            USERNAME,
            PASSWORD,
        ])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .expect("htpasswd (Debian package apache2-utils)");
    assert!(status.success(), "htpasswd failed");
    let status = Command::new("openssl")
        .args([
            "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
        ])
        .args(["-subj", "/CN=127.0.0.1"])
        .arg("-keyout")
        .arg(dir.join("key.pem"))
        .arg("-out")
        .arg(dir.join("cert.pem"))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .expect("openssl");
    assert!(status.success(), "openssl req failed");
    // Apache refuses to serve as root: it then drops to www-data, which must own the data.
    let as_root = is_root();
    if as_root {
        let status = Command::new("chown")
            .args(["-R", "www-data:www-data"])
            .arg(&dir)
            .status()
            .expect("chown");
        assert!(status.success(), "chown www-data failed");
    }
    let conf = dir.join("httpd.conf");
    std::fs::write(&conf, config(&dir, &root, port, tls_port, as_root)).expect("write httpd.conf");
    let mut server = Command::new(APACHE);
    server.args(["-f", conf.to_str().expect("utf-8 path"), "-DFOREGROUND"]);
    crate::start_server(server, port, &dir, "apache2 (WebDAV)");
    WebDavServer {
        origin: format!("http://127.0.0.1:{port}"),
        tls_origin: format!("https://127.0.0.1:{tls_port}"),
        root,
    }
}

fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .map(|o| o.stdout.starts_with(b"0\n"))
        .unwrap_or(false)
}

fn config(dir: &Path, root: &Path, port: u16, tls_port: u16, as_root: bool) -> String {
    let (dir, root) = (dir.display(), root.display());
    let modules = [
        ("mpm_event", "mpm_event"),
        ("authn_core", "authn_core"),
        ("authn_file", "authn_file"),
        ("authz_core", "authz_core"),
        ("authz_user", "authz_user"),
        ("auth_basic", "auth_basic"),
        ("alias", "alias"),
        ("dav", "dav"),
        ("dav_fs", "dav_fs"),
        ("ssl", "ssl"),
    ]
    .iter()
    .map(|(name, file)| format!("LoadModule {name}_module {MODULES}/mod_{file}.so\n"))
    .collect::<String>();
    let user = if as_root {
        "User www-data\nGroup www-data\n"
    } else {
        ""
    };
    format!(
        r#"ServerRoot "{dir}"
ServerName 127.0.0.1
Listen 127.0.0.1:{port}
Listen 127.0.0.1:{tls_port}
PidFile {dir}/httpd.pid
ErrorLog {dir}/logs/error.log
LogLevel warn
{modules}{user}DavLockDB {dir}/lock/DavLock
LimitXMLRequestBody 1000000
Alias /dav {root}
Alias /remote.php/dav/files/{USERNAME} {root}
<Directory {root}>
  Dav On
  AuthType Basic
  AuthName "docuvault-test"
  AuthUserFile {dir}/htpasswd
  Require valid-user
</Directory>
<VirtualHost 127.0.0.1:{tls_port}>
  SSLEngine on
  SSLCertificateFile {dir}/cert.pem
  SSLCertificateKeyFile {dir}/key.pem
</VirtualHost>
"#
    )
}
