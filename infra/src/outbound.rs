//! Requests to URLs that users supply (their WebDAV server, an OpenAI-compatible endpoint) go
//! through an [`OutboundPolicy`], which keeps them off the operator's own network (SSRF):
//!
//! - only `https`, unless the host is allow-listed;
//! - the host is resolved once, every address it resolves to is checked, and the client is
//!   pinned to those addresses, so a second resolution (DNS rebinding) cannot change the target;
//! - loopback, private, shared (CGNAT), link-local (the cloud metadata address among them),
//!   multicast, reserved and unspecified addresses are refused, in IPv4, in IPv6, and inside
//!   IPv4-mapped or NAT64 IPv6 addresses — unless the operator allow-lists the host or a CIDR
//!   (`DOCUVAULT_CLOUD_ALLOWED_HOSTS`);
//! - redirects are never followed, and connecting and every read are bounded in time.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::str::FromStr;
use std::time::Duration;

use ipnet::IpNet;
use reqwest::Url;

/// How long connecting may take.
pub const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
/// How long the server may stay silent while answering or while sending a body.
pub const READ_TIMEOUT: Duration = Duration::from_secs(60);

/// Ranges no user-supplied URL may reach unless allow-listed.
const BLOCKED: &[&str] = &[
    "0.0.0.0/8",
    "10.0.0.0/8",
    "100.64.0.0/10",
    "127.0.0.0/8",
    "169.254.0.0/16",
    "172.16.0.0/12",
    "192.0.0.0/24",
    "192.0.2.0/24",
    "192.168.0.0/16",
    "198.18.0.0/15",
    "198.51.100.0/24",
    "203.0.113.0/24",
    "224.0.0.0/4",
    "240.0.0.0/4",
    "::/128",
    "::1/128",
    "fc00::/7",
    "fe80::/10",
    "fec0::/10",
    "ff00::/8",
    "2001:db8::/32",
];

/// Why a URL may not be requested.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum OutboundError {
    #[error("not a valid URL")]
    InvalidUrl,
    #[error("only https URLs are allowed for this host")]
    SchemeNotAllowed,
    #[error("the host could not be resolved")]
    Unresolvable,
    /// The host resolves to an address on a refused range (the address is for the log).
    #[error("the host resolves to a non-public address ({0})")]
    AddressNotAllowed(IpAddr),
    #[error("building the HTTP client: {0}")]
    Client(String),
}

/// One allow-list entry: a host name (compared case-insensitively) or an address range.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Allowed {
    Host(String),
    Net(IpNet),
}

/// Which hosts and ranges outbound requests may reach besides the public internet.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct OutboundPolicy {
    allowed: Vec<Allowed>,
}

impl FromStr for OutboundPolicy {
    type Err = String;

    /// A comma- or space-separated list of host names, addresses and CIDRs, e.g.
    /// `127.0.0.1, nas.home.arpa, 10.0.0.0/8`.
    fn from_str(list: &str) -> Result<Self, String> {
        let allowed = list
            .split(|c: char| c == ',' || c.is_whitespace())
            .filter(|s| !s.is_empty())
            .map(|entry| {
                if let Ok(net) = entry.parse::<IpNet>() {
                    Ok(Allowed::Net(net))
                } else if let Ok(ip) = entry.parse::<IpAddr>() {
                    Ok(Allowed::Net(IpNet::from(ip)))
                } else if entry
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '.' || c == '-')
                {
                    Ok(Allowed::Host(entry.to_ascii_lowercase()))
                } else {
                    Err(format!(
                        "`{entry}` is neither a host name, an address nor a CIDR"
                    ))
                }
            })
            .collect::<Result<_, _>>()?;
        Ok(Self { allowed })
    }
}

impl OutboundPolicy {
    fn host_allowed(&self, host: &str) -> bool {
        let host = host.trim_start_matches('[').trim_end_matches(']');
        self.allowed.iter().any(|a| match a {
            Allowed::Host(h) => h.eq_ignore_ascii_case(host),
            Allowed::Net(net) => host.parse::<IpAddr>().is_ok_and(|ip| net.contains(&ip)),
        })
    }

    fn address_allowed(&self, ip: IpAddr) -> bool {
        is_public(ip)
            || self.allowed.iter().any(|a| match a {
                Allowed::Net(net) => net.contains(&ip),
                Allowed::Host(_) => false,
            })
    }

    /// Checks `url` and resolves its host once: the addresses the client must be pinned to.
    pub async fn check(&self, url: &Url) -> Result<Vec<SocketAddr>, OutboundError> {
        let host = url.host_str().ok_or(OutboundError::InvalidUrl)?;
        let listed = self.host_allowed(host);
        match url.scheme() {
            "https" => {}
            "http" if listed => {}
            _ => return Err(OutboundError::SchemeNotAllowed),
        }
        let port = url
            .port_or_known_default()
            .ok_or(OutboundError::InvalidUrl)?;
        let addrs: Vec<SocketAddr> = match url.host() {
            Some(url::Host::Ipv4(ip)) => vec![SocketAddr::new(IpAddr::V4(ip), port)],
            Some(url::Host::Ipv6(ip)) => vec![SocketAddr::new(IpAddr::V6(ip), port)],
            _ => tokio::net::lookup_host((host, port))
                .await
                .map_err(|_| OutboundError::Unresolvable)?
                .collect(),
        };
        if addrs.is_empty() {
            return Err(OutboundError::Unresolvable);
        }
        if !listed {
            if let Some(bad) = addrs.iter().find(|a| !self.address_allowed(a.ip())) {
                return Err(OutboundError::AddressNotAllowed(bad.ip()));
            }
        }
        Ok(addrs)
    }

    /// An HTTP client for requests to `url`'s origin: checked, pinned to the addresses checked,
    /// following no redirects, with bounded connect and read times.
    pub async fn client_for(&self, url: &Url) -> Result<reqwest::Client, OutboundError> {
        let addrs = self.check(url).await?;
        let host = url.host_str().ok_or(OutboundError::InvalidUrl)?;
        reqwest::Client::builder()
            .resolve_to_addrs(host, &addrs)
            .redirect(reqwest::redirect::Policy::none())
            .connect_timeout(CONNECT_TIMEOUT)
            .read_timeout(READ_TIMEOUT)
            .build()
            .map_err(|e| OutboundError::Client(e.to_string()))
    }
}

/// Whether `ip` is on the public internet: on no refused range, also when it is an IPv4 address
/// carried inside an IPv6 one (IPv4-mapped `::ffff:a.b.c.d`, NAT64 `64:ff9b::a.b.c.d`).
pub fn is_public(ip: IpAddr) -> bool {
    if let IpAddr::V6(v6) = ip {
        if let Some(v4) = embedded_v4(v6) {
            return is_public(IpAddr::V4(v4));
        }
    }
    !BLOCKED.iter().any(|range| {
        range
            .parse::<IpNet>()
            .expect("the ranges above parse")
            .contains(&ip)
    })
}

fn embedded_v4(v6: Ipv6Addr) -> Option<Ipv4Addr> {
    if let Some(v4) = v6.to_ipv4_mapped() {
        return Some(v4);
    }
    let s = v6.segments();
    (s[..6] == [0x64, 0xff9b, 0, 0, 0, 0])
        .then(|| Ipv4Addr::from(((s[6] as u32) << 16) | s[7] as u32))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    #[test]
    fn private_loopback_link_local_and_metadata_addresses_are_not_public() {
        for s in [
            "127.0.0.1",
            "10.1.2.3",
            "172.16.0.1",
            "192.168.1.1",
            "169.254.169.254",
            "100.64.0.1",
            "0.0.0.0",
            "224.0.0.1",
            "::1",
            "::",
            "fe80::1",
            "fd00:ec2::254",
            "::ffff:127.0.0.1",
            "::ffff:169.254.169.254",
            "64:ff9b::a9fe:a9fe",
        ] {
            assert!(!is_public(ip(s)), "{s}");
        }
        for s in [
            "93.184.215.14",
            "1.1.1.1",
            "2606:4700:4700::1111",
            "::ffff:1.1.1.1",
        ] {
            assert!(is_public(ip(s)), "{s}");
        }
    }

    #[test]
    fn the_allow_list_takes_hosts_addresses_and_ranges() {
        let p: OutboundPolicy = "127.0.0.1, nas.home.arpa 10.0.0.0/8".parse().unwrap();
        assert!(p.host_allowed("127.0.0.1"));
        assert!(p.host_allowed("NAS.home.arpa"));
        assert!(p.host_allowed("10.9.8.7"));
        assert!(!p.host_allowed("192.168.0.1"));
        assert!(p.address_allowed(ip("10.0.0.5")));
        assert!(!p.address_allowed(ip("127.0.0.2")));
        assert!("http://x".parse::<OutboundPolicy>().is_err());
        assert_eq!(
            "".parse::<OutboundPolicy>().unwrap(),
            OutboundPolicy::default()
        );
    }

    #[tokio::test]
    async fn urls_are_checked_before_anything_is_sent() {
        let none = OutboundPolicy::default();
        let check = |url: &str| {
            let url: Url = url.parse().unwrap();
            let none = none.clone();
            async move { none.check(&url).await }
        };
        assert_eq!(
            check("http://1.1.1.1/").await,
            Err(OutboundError::SchemeNotAllowed)
        );
        assert_eq!(
            check("https://127.0.0.1/dav/").await,
            Err(OutboundError::AddressNotAllowed(ip("127.0.0.1")))
        );
        assert_eq!(
            check("https://[::ffff:169.254.169.254]/").await,
            Err(OutboundError::AddressNotAllowed(ip(
                "::ffff:169.254.169.254"
            )))
        );
        // `localhost` resolves, and to loopback only.
        assert!(matches!(
            check("https://localhost:8443/").await,
            Err(OutboundError::AddressNotAllowed(_))
        ));
        assert_eq!(
            check("ftp://1.1.1.1/").await,
            Err(OutboundError::SchemeNotAllowed)
        );
        assert_eq!(
            check("https://1.1.1.1/").await.unwrap(),
            vec!["1.1.1.1:443".parse().unwrap()]
        );
        let listed: OutboundPolicy = "127.0.0.1".parse().unwrap();
        let url: Url = "http://127.0.0.1:8080/dav/".parse().unwrap();
        assert_eq!(
            listed.check(&url).await.unwrap(),
            vec!["127.0.0.1:8080".parse().unwrap()]
        );
    }
}
