//! The per-client-address budget of requests that test a password or a username (pre-login, sign-in,
//! sign-up, renames), which stops password spraying across many accounts, and who the client is
//! behind trusted reverse proxies.
//!
//! The budget is kept in each server's memory: N servers behind a load balancer admit up to N times the
//! configured budget per address (docs/protocol.md §3.4.5). The per-account throttle, which bounds
//! guesses on any one account, is in the database and shared.

use std::net::IpAddr;
use std::num::NonZeroU32;
use std::sync::Arc;

use governor::clock::{Clock, DefaultClock};
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};
use ipnet::IpNet;
use sealbase::Error;

/// The address a budget is kept for: an IPv4 address (IPv4-mapped IPv6 included) as it is, an IPv6
/// address by its /64, since one host or subscriber is routinely handed a whole /64 and would otherwise
/// get 2^64 budgets.
fn budget_key(address: IpAddr) -> IpAddr {
    match address.to_canonical() {
        IpAddr::V6(v6) => IpAddr::V6(std::net::Ipv6Addr::from(v6.to_bits() & !u128::from(u64::MAX))),
        v4 => v4,
    }
}

/// Per-client-address budget of password and username tests.
#[derive(Debug, Clone)]
pub struct AddressBudget(Arc<DefaultKeyedRateLimiter<IpAddr>>);

impl AddressBudget {
    /// `per_minute` requests a minute per address, all of which may come at once.
    pub fn per_minute(per_minute: u32) -> Self {
        let quota = Quota::per_minute(NonZeroU32::new(per_minute).unwrap_or(NonZeroU32::MIN));
        Self(Arc::new(RateLimiter::keyed(quota)))
    }

    /// Spends one request of `address`'s budget, or `TooManyRequests` with the wait.
    pub fn spend(&self, address: Option<IpAddr>) -> Result<(), Error> {
        // Requests without a peer address (in-process routers) are not budgeted.
        let Some(address) = address else { return Ok(()) };
        self.0.check_key(&budget_key(address)).map_err(|not_until| {
            let wait = not_until.wait_time_from(DefaultClock::default().now());
            Error::TooManyRequests { delay: wait.as_secs() + u64::from(wait.subsec_nanos() > 0) }
        })
    }

    /// Drops state of addresses whose budget is full again.
    pub fn shrink(&self) {
        self.0.retain_recent();
    }
}

/// The client's address: the TCP peer, unless the peer is a trusted proxy, in which case the
/// rightmost address of `X-Forwarded-For` that is not itself a trusted proxy (the leftmost entries are
/// whatever the client chose to send, so they are never believed). A header that does not parse is
/// ignored: the peer is budgeted.
pub fn client_address(peer: IpAddr, forwarded_for: &[&str], trusted: &[IpNet]) -> IpAddr {
    let is_trusted = |address: &IpAddr| trusted.iter().any(|net| net.contains(&address.to_canonical()));
    if !is_trusted(&peer) {
        return peer;
    }
    // Several headers are one comma-separated list, in order.
    let hops: Option<Vec<IpAddr>> = forwarded_for
        .iter()
        .flat_map(|header| header.split(','))
        .map(|hop| hop.trim().parse::<IpAddr>().ok())
        .collect();
    match hops {
        Some(hops) => hops.into_iter().rev().find(|hop| !is_trusted(hop)).unwrap_or(peer),
        None => peer,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_ipv6_64_shares_one_budget_and_mapped_ipv4_is_ipv4() {
        let spent = |budget: &AddressBudget, address: &str| match budget.spend(Some(address.parse().unwrap())) {
            Ok(()) => "ok",
            Err(Error::TooManyRequests { .. }) => "TooManyRequests",
            Err(other) => panic!("{other:?}"),
        };
        let budget = AddressBudget::per_minute(2);
        assert_eq!(spent(&budget, "2001:db8:1:2::1"), "ok");
        assert_eq!(spent(&budget, "2001:db8:1:2:ffff:ffff:ffff:ffff"), "ok");
        assert_eq!(spent(&budget, "2001:db8:1:2:abcd::9"), "TooManyRequests", "same /64, budget spent");
        assert_eq!(spent(&budget, "2001:db8:1:3::1"), "ok", "the next /64 has its own budget");

        assert_eq!(spent(&budget, "192.0.2.1"), "ok");
        assert_eq!(spent(&budget, "::ffff:192.0.2.1"), "ok");
        assert_eq!(spent(&budget, "192.0.2.1"), "TooManyRequests", "an IPv4-mapped address is the IPv4 one");
        assert_eq!(spent(&budget, "192.0.2.2"), "ok", "IPv4 addresses are not grouped");
    }

    #[test]
    fn forwarded_addresses_are_believed_only_from_trusted_proxies() {
        let trusted: Vec<IpNet> = vec!["10.0.0.0/8".parse().unwrap(), "::1/128".parse().unwrap()];
        let ip = |text: &str| text.parse::<IpAddr>().unwrap();
        let client = |peer: &str, headers: &[&str]| client_address(ip(peer), headers, &trusted);
        assert_eq!(client("203.0.113.9", &["198.51.100.1"]), ip("203.0.113.9"), "an untrusted peer is the client");
        assert_eq!(client("10.0.0.2", &[]), ip("10.0.0.2"), "a proxy that forwards nothing is the client");
        assert_eq!(client("10.0.0.2", &["198.51.100.1"]), ip("198.51.100.1"));
        assert_eq!(
            client("10.0.0.2", &["6.6.6.6, 198.51.100.1, 10.0.0.7"]),
            ip("198.51.100.1"),
            "trusted hops are skipped from the right; what the client sent on the left is not believed"
        );
        assert_eq!(client("10.0.0.2", &["6.6.6.6", "198.51.100.1"]), ip("198.51.100.1"), "headers in order");
        assert_eq!(client("::ffff:10.0.0.2", &["2001:db8::1"]), ip("2001:db8::1"), "a mapped peer is its IPv4");
        assert_eq!(client("10.0.0.2", &["not an address"]), ip("10.0.0.2"), "garbage is ignored");
        assert_eq!(client("10.0.0.2", &["10.0.0.3, 10.0.0.4"]), ip("10.0.0.2"), "only proxies: the peer");
    }
}
