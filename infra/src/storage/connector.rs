//! Checking a WebDAV (or Nextcloud) account before it is connected, and listing its folders —
//! both through the [`OutboundPolicy`], since the URL is the user's.

use async_trait::async_trait;
use commands::storage::{BackendConnector, ConnectError, Connection, Credentials, RemoteEntry};
use reqwest::{Method, StatusCode, Url};
use secrecy::SecretString;

use crate::blob::{WebDavBlobStore, WebDavConfig};
use crate::outbound::{OutboundError, OutboundPolicy};

/// The collection, below the user's URL, that DocuVault keeps its objects in.
pub const OBJECTS_COLLECTION: &str = ".docuvault/";

/// [`BackendConnector`] for WebDAV servers, under an outbound policy.
#[derive(Debug, Clone, Default)]
pub struct WebDavConnector {
    policy: OutboundPolicy,
}

impl WebDavConnector {
    pub fn new(policy: OutboundPolicy) -> Self {
        Self { policy }
    }
}

/// A user's URL: http(s), with a host, and without credentials, a query or a fragment (the
/// credentials go in their own fields, never in a URL that could be logged).
fn parse(raw: &str) -> Result<Url, ConnectError> {
    let url: Url = raw
        .trim()
        .parse()
        .map_err(|_| ConnectError::InvalidUrl("not a URL".into()))?;
    if !matches!(url.scheme(), "http" | "https") || url.host_str().is_none() {
        return Err(ConnectError::InvalidUrl(
            "an http(s) URL with a host".into(),
        ));
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err(ConnectError::InvalidUrl(
            "put the username and password in their own fields, not in the URL".into(),
        ));
    }
    if url.query().is_some() || url.fragment().is_some() {
        return Err(ConnectError::InvalidUrl("no query or fragment".into()));
    }
    Ok(url)
}

fn config(url: &Url, credentials: &Credentials) -> Result<WebDavConfig, ConnectError> {
    let Credentials::Basic { username, password } = credentials;
    let mut root = url.clone();
    if !root.path().ends_with('/') {
        let path = format!("{}/", root.path());
        root.set_path(&path);
    }
    let root = root
        .join(OBJECTS_COLLECTION)
        .map_err(|_| ConnectError::InvalidUrl("not a URL".into()))?;
    Ok(WebDavConfig {
        root,
        username: username.clone(),
        password: SecretString::from(password.clone()),
    })
}

fn refused(e: OutboundError) -> ConnectError {
    match e {
        OutboundError::InvalidUrl => ConnectError::InvalidUrl("not a URL".into()),
        OutboundError::Unresolvable => ConnectError::Unreachable,
        OutboundError::Client(_) => ConnectError::Unreachable,
        e @ (OutboundError::SchemeNotAllowed | OutboundError::AddressNotAllowed(_)) => {
            ConnectError::NotAllowed(e.to_string())
        }
    }
}

/// A transport failure as the user is told it: a certificate problem, or an unreachable server.
fn transport(e: &reqwest::Error) -> ConnectError {
    let mut source: Option<&dyn std::error::Error> = Some(e);
    while let Some(err) = source {
        let text = err.to_string().to_ascii_lowercase();
        if text.contains("certificate") || text.contains("tls") || text.contains("handshake") {
            return ConnectError::Tls;
        }
        source = err.source();
    }
    ConnectError::Unreachable
}

impl WebDavConnector {
    /// A signed-in `PROPFIND` at `url` (through the outbound policy): the `207` answer and the
    /// client it came through, or why the account cannot be used.
    async fn propfind(
        &self,
        url: &Url,
        credentials: &Credentials,
        depth: &str,
        body: Option<&'static str>,
    ) -> Result<(reqwest::Client, reqwest::Response), ConnectError> {
        let client = self.policy.client_for(url).await.map_err(refused)?;
        let Credentials::Basic { username, password } = credentials;
        let mut req = client
            .request(Method::from_bytes(b"PROPFIND").expect("valid"), url.clone())
            .basic_auth(username, Some(password))
            .header("Depth", depth);
        if let Some(body) = body {
            req = req
                .header(reqwest::header::CONTENT_TYPE, "application/xml")
                .body(body);
        }
        let res = req.send().await.map_err(|e| transport(&e))?;
        match res.status() {
            StatusCode::MULTI_STATUS => Ok((client, res)),
            StatusCode::UNAUTHORIZED | StatusCode::FORBIDDEN => Err(ConnectError::AuthFailed),
            StatusCode::NOT_FOUND => Err(ConnectError::Protocol("no such folder".into())),
            s if s.is_redirection() => Err(ConnectError::Protocol(format!(
                "the server redirects ({s}); give the final URL"
            ))),
            s => Err(ConnectError::Protocol(format!(
                "PROPFIND answered {s}; is this a WebDAV URL?"
            ))),
        }
    }
}

#[async_trait]
impl BackendConnector for WebDavConnector {
    async fn check_webdav(&self, account: &Connection) -> Result<String, ConnectError> {
        let url = parse(&account.url)?;
        let host = url.host_str().unwrap_or_default().to_owned();
        let (client, _) = self.propfind(&url, &account.credentials, "0", None).await?;
        let store = WebDavBlobStore::with_client(client, config(&url, &account.credentials)?);
        store
            .probe()
            .await
            .map_err(|e| ConnectError::Protocol(format!("writing a probe file: {e}")))?;
        Ok(host)
    }

    async fn list(
        &self,
        connection: &Connection,
        path: &[String],
    ) -> Result<Vec<RemoteEntry>, ConnectError> {
        let mut url = parse(&connection.url)?;
        {
            let mut segments = url
                .path_segments_mut()
                .map_err(|_| ConnectError::InvalidUrl("not a URL".into()))?;
            segments.pop_if_empty();
            for segment in path {
                segments.push(segment);
            }
            segments.push("");
        }
        let (_, res) = self
            .propfind(
                &url,
                &connection.credentials,
                "1",
                Some(super::browse::PROPFIND_BODY),
            )
            .await?;
        let body = super::browse::bounded_body(res).await?;
        super::browse::parse_multistatus(&body, url.path())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_carry_no_credentials_query_or_other_scheme() {
        assert!(parse("https://cloud.example.org/remote.php/dav/files/ann/").is_ok());
        for bad in [
            "cloud.example.org",
            "ftp://cloud.example.org/",
            "https://ann:pw@cloud.example.org/",
            "https://cloud.example.org/dav?x=1",
            "https://cloud.example.org/dav#top",
        ] {
            assert!(
                matches!(parse(bad), Err(ConnectError::InvalidUrl(_))),
                "{bad}"
            );
        }
    }
}
