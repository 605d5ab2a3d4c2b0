//! Login throttling with progressive delays: per client IP, per account-and-IP pair, and per
//! account across all IPs. Each bucket allows a few free failures, then demands exponentially
//! growing pauses (answered with 429 and `Retry-After`). Nothing ever locks for good: the delays
//! are capped, failures are forgotten after a quiet period, and the account-wide bucket (the one
//! an attacker elsewhere could fill) is capped low, so the owner is at worst kept waiting briefly.
//!
//! State lives in memory per API instance. Every call takes the current time from the caller
//! (the app's injectable `Clock`), so tests drive the delays without sleeping.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Mutex;

use chrono::{DateTime, Duration, Utc};
use uuid::Uuid;

#[derive(Debug, Clone, Copy)]
pub struct Tier {
    /// Failures allowed before the first delay.
    pub free_failures: u32,
    /// Delay after the first failure beyond the free ones; it doubles with each further one.
    pub base_delay: Duration,
    pub max_delay: Duration,
}

impl Tier {
    fn delay_after(&self, failures: u32) -> Option<Duration> {
        let over = failures
            .checked_sub(self.free_failures)
            .filter(|n| *n > 0)?;
        let factor = 1i64 << (over - 1).min(20);
        Some((self.base_delay * factor as i32).min(self.max_delay))
    }
}

#[derive(Debug, Clone, Copy)]
pub struct ThrottleConfig {
    pub per_ip: Tier,
    pub per_account_and_ip: Tier,
    /// Deliberately gentle: anyone can add failures to it for any account.
    pub per_account: Tier,
    /// A bucket with no failure for this long starts over.
    pub forget_after: Duration,
    /// Above this many buckets, quiet ones are dropped (bounds memory under a spray).
    pub max_buckets: usize,
}

impl Default for ThrottleConfig {
    fn default() -> Self {
        Self {
            per_ip: Tier {
                free_failures: 20,
                base_delay: Duration::seconds(1),
                max_delay: Duration::minutes(15),
            },
            per_account_and_ip: Tier {
                free_failures: 5,
                base_delay: Duration::seconds(1),
                max_delay: Duration::minutes(15),
            },
            per_account: Tier {
                free_failures: 20,
                base_delay: Duration::seconds(1),
                max_delay: Duration::seconds(60),
            },
            forget_after: Duration::hours(1),
            max_buckets: 100_000,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum Bucket {
    Ip(IpAddr),
    AccountIp(Uuid, IpAddr),
    Account(Uuid),
}

#[derive(Debug, Clone, Copy)]
struct Entry {
    failures: u32,
    last_failure: DateTime<Utc>,
    blocked_until: Option<DateTime<Utc>>,
}

/// The caller must wait this long before trying again.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryAfter(pub Duration);

impl RetryAfter {
    /// Whole seconds for the `Retry-After` header (at least 1).
    pub fn seconds(&self) -> u64 {
        let ms = self.0.num_milliseconds().max(0) as u64;
        ms.div_ceil(1000).max(1)
    }
}

pub struct LoginThrottle {
    config: ThrottleConfig,
    buckets: Mutex<HashMap<Bucket, Entry>>,
}

/// IPv6 clients usually control a whole /64: throttle the prefix, not the address.
fn client_key(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V4(_) => ip,
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => IpAddr::V4(v4),
            None => {
                let mut s = v6.segments();
                s[4..].fill(0);
                IpAddr::V6(s.into())
            }
        },
    }
}

impl LoginThrottle {
    pub fn new(config: ThrottleConfig) -> Self {
        Self {
            config,
            buckets: Mutex::new(HashMap::new()),
        }
    }

    fn buckets_for(account: Option<Uuid>, ip: Option<IpAddr>) -> Vec<Bucket> {
        let ip = ip.map(client_key);
        let mut b = Vec::with_capacity(3);
        if let Some(ip) = ip {
            b.push(Bucket::Ip(ip));
        }
        if let Some(account) = account {
            b.push(Bucket::Account(account));
            if let Some(ip) = ip {
                b.push(Bucket::AccountIp(account, ip));
            }
        }
        b
    }

    fn tier(&self, bucket: &Bucket) -> Tier {
        match bucket {
            Bucket::Ip(_) => self.config.per_ip,
            Bucket::AccountIp(..) => self.config.per_account_and_ip,
            Bucket::Account(_) => self.config.per_account,
        }
    }

    /// `Err` when any bucket of this attempt is still waiting out a delay.
    pub fn check(
        &self,
        now: DateTime<Utc>,
        account: Option<Uuid>,
        ip: Option<IpAddr>,
    ) -> Result<(), RetryAfter> {
        let buckets = self.buckets.lock().expect("throttle lock");
        let wait = Self::buckets_for(account, ip)
            .iter()
            .filter_map(|b| buckets.get(b))
            .filter(|e| now - e.last_failure < self.config.forget_after)
            .filter_map(|e| e.blocked_until)
            .filter(|until| *until > now)
            .map(|until| until - now)
            .max();
        match wait {
            Some(w) => Err(RetryAfter(w)),
            None => Ok(()),
        }
    }

    /// Counts a failed attempt (wrong password, wrong or replayed TOTP code).
    pub fn failed(&self, now: DateTime<Utc>, account: Option<Uuid>, ip: Option<IpAddr>) {
        let mut buckets = self.buckets.lock().expect("throttle lock");
        if buckets.len() >= self.config.max_buckets {
            let forget = self.config.forget_after;
            buckets.retain(|_, e| now - e.last_failure < forget);
        }
        for bucket in Self::buckets_for(account, ip) {
            let tier = self.tier(&bucket);
            let entry = buckets.entry(bucket).or_insert(Entry {
                failures: 0,
                last_failure: now,
                blocked_until: None,
            });
            if now - entry.last_failure >= self.config.forget_after {
                entry.failures = 0;
            }
            entry.failures = entry.failures.saturating_add(1);
            entry.last_failure = now;
            entry.blocked_until = tier.delay_after(entry.failures).map(|d| now + d);
        }
    }

    /// A successful attempt clears the account's buckets (not the IP's: one good login from a
    /// shared address must not reset a sprayer's budget).
    pub fn succeeded(&self, account: Option<Uuid>, ip: Option<IpAddr>) {
        let mut buckets = self.buckets.lock().expect("throttle lock");
        for bucket in Self::buckets_for(account, ip) {
            if !matches!(bucket, Bucket::Ip(_)) {
                buckets.remove(&bucket);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;
    use domain::ports::{Clock, ManualClock};

    /// A throttle whose calls read the time from a manual clock.
    struct Timed {
        clock: ManualClock,
        throttle: LoginThrottle,
    }

    impl Timed {
        fn check(&self, a: Option<Uuid>, ip: Option<IpAddr>) -> Result<(), RetryAfter> {
            self.throttle.check(self.clock.now(), a, ip)
        }
        fn failed(&self, a: Option<Uuid>, ip: Option<IpAddr>) {
            self.throttle.failed(self.clock.now(), a, ip)
        }
        fn succeeded(&self, a: Option<Uuid>, ip: Option<IpAddr>) {
            self.throttle.succeeded(a, ip)
        }
    }

    fn setup() -> Timed {
        Timed {
            clock: ManualClock::new(Utc.with_ymd_and_hms(2026, 11, 28, 12, 0, 0).unwrap()),
            throttle: LoginThrottle::new(ThrottleConfig::default()),
        }
    }

    fn ip(s: &str) -> Option<IpAddr> {
        Some(s.parse().unwrap())
    }

    #[test]
    fn delays_grow_after_the_free_failures_and_expire() {
        let t = setup();
        let acct = Some(Uuid::now_v7());
        for _ in 0..5 {
            assert!(t.check(acct, ip("10.0.0.1")).is_ok());
            t.failed(acct, ip("10.0.0.1"));
        }
        // Five free failures, then 1 s, 2 s, 4 s …
        assert!(t.check(acct, ip("10.0.0.1")).is_ok());
        t.failed(acct, ip("10.0.0.1"));
        assert_eq!(t.check(acct, ip("10.0.0.1")).unwrap_err().seconds(), 1);
        t.clock.advance(Duration::seconds(1));
        assert!(t.check(acct, ip("10.0.0.1")).is_ok());
        t.failed(acct, ip("10.0.0.1"));
        assert_eq!(t.check(acct, ip("10.0.0.1")).unwrap_err().seconds(), 2);
        t.clock.advance(Duration::seconds(2));
        t.failed(acct, ip("10.0.0.1"));
        assert_eq!(t.check(acct, ip("10.0.0.1")).unwrap_err().seconds(), 4);
        // Another client of the same account is not held back by this pair's delay.
        assert!(t.check(acct, ip("10.0.0.2")).is_ok());
    }

    #[test]
    fn delays_are_capped_and_quiet_buckets_start_over() {
        let t = setup();
        let acct = Some(Uuid::now_v7());
        for _ in 0..40 {
            t.failed(acct, ip("10.0.0.1"));
        }
        let wait = t.check(acct, ip("10.0.0.1")).unwrap_err();
        assert_eq!(wait.seconds(), 15 * 60, "per-IP cap");
        // The owner elsewhere waits at most the account-wide cap.
        assert_eq!(t.check(acct, ip("192.0.2.7")).unwrap_err().seconds(), 60);
        t.clock.advance(Duration::hours(1));
        assert!(t.check(acct, ip("10.0.0.1")).is_ok());
        t.failed(acct, ip("10.0.0.1"));
        assert!(t.check(acct, ip("10.0.0.1")).is_ok(), "counting restarted");
    }

    #[test]
    fn success_clears_the_account_but_not_the_address() {
        let t = setup();
        let acct = Some(Uuid::now_v7());
        for _ in 0..25 {
            t.failed(None, ip("10.0.0.9"));
        }
        for _ in 0..6 {
            t.failed(acct, ip("10.0.0.1"));
        }
        assert!(t.check(acct, ip("10.0.0.1")).is_err());
        t.succeeded(acct, ip("10.0.0.1"));
        assert!(t.check(acct, ip("10.0.0.1")).is_ok());
        assert!(
            t.check(None, ip("10.0.0.9")).is_err(),
            "the spraying address stays slowed"
        );
    }

    #[test]
    fn ipv6_is_throttled_per_64_prefix() {
        let t = setup();
        for i in 0..21 {
            t.failed(None, ip(&format!("2001:db8:1:2::{i:x}")));
        }
        assert!(t.check(None, ip("2001:db8:1:2:ffff::1")).is_err());
        assert!(t.check(None, ip("2001:db8:1:3::1")).is_ok());
    }
}
