//! Throttling instead of lockout: consecutive failures on one (app, username) delay the next attempt
//! exponentially (1 s from the 5th failure, doubling, at most 15 minutes), and each client address has a
//! budget of pre-login and sign-in requests, which stops password spraying across many accounts.

use std::net::IpAddr;
use std::num::NonZeroU32;
use std::sync::Arc;

use governor::clock::{Clock, DefaultClock};
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};
use rusqlite::Transaction;
use sealbase::Error;

use crate::db::Database;
use crate::error::ApiResult;

/// Failures allowed before delays start.
pub const FREE_FAILURES: i64 = 4;
/// Longest delay.
pub const MAX_DELAY_MS: i64 = 15 * 60 * 1000;

/// Delay after `failures` consecutive failures.
pub fn delay_ms(failures: i64) -> i64 {
    if failures <= FREE_FAILURES {
        return 0;
    }
    let doublings = (failures - FREE_FAILURES - 1).min(20) as u32;
    (1000_i64 << doublings).min(MAX_DELAY_MS)
}

/// `PasswordAttemptLimitExceeded` while the account is in its delay (`locked_until`, read by
/// [`crate::challenges::spend`]).
pub fn check(locked_until: Option<i64>, now: i64) -> ApiResult<()> {
    match locked_until {
        Some(until) if until > now => {
            let delay = u64::try_from((until - now + 999) / 1000).unwrap_or(1);
            Err(Error::PasswordAttemptLimitExceeded { delay }.into())
        }
        _ => Ok(()),
    }
}

/// Counts a failure and starts the next delay.
pub fn record_failure(tx: &Transaction<'_>, app_id: &str, username: &str, now: i64) -> rusqlite::Result<()> {
    let failures: i64 = tx
        .prepare_cached(
            "INSERT INTO sign_in_failures (app_id, username, failures, locked_until, updated_at) VALUES (?, ?, 1, 0, ?)
             ON CONFLICT (app_id, username) DO UPDATE SET failures = failures + 1, updated_at = excluded.updated_at
             RETURNING failures",
        )?
        .query_row((app_id, username, now), |row| row.get(0))?;
    let delay = delay_ms(failures);
    if delay > 0 {
        tx.prepare_cached("UPDATE sign_in_failures SET locked_until = ? WHERE app_id = ? AND username = ?")?
            .execute((now + delay, app_id, username))?;
    }
    Ok(())
}

/// Clears `username`'s failure count after a correct proof, unless its delay is still running (the
/// caller refused such an attempt before getting here).
pub fn clear(tx: &Transaction<'_>, app_id: &str, username: &str, now: i64) -> rusqlite::Result<()> {
    tx.prepare_cached("DELETE FROM sign_in_failures WHERE app_id = ? AND username = ? AND locked_until <= ?")?
        .execute((app_id, username, now))?;
    Ok(())
}

/// The address a budget is kept for: an IPv4 address (IPv4-mapped IPv6 included) as it is, an IPv6
/// address by its /64, since one host or subscriber is routinely handed a whole /64 and would otherwise
/// get 2^64 budgets.
fn budget_key(address: IpAddr) -> IpAddr {
    match address.to_canonical() {
        IpAddr::V6(v6) => IpAddr::V6(std::net::Ipv6Addr::from(v6.to_bits() & !u128::from(u64::MAX))),
        v4 => v4,
    }
}

/// Per-client-address budget of password attempts (pre-login and sign-in).
#[derive(Debug, Clone)]
pub struct AddressBudget(Arc<DefaultKeyedRateLimiter<IpAddr>>);

impl AddressBudget {
    /// `per_minute` requests a minute per address, all of which may come at once.
    pub fn per_minute(per_minute: u32) -> Self {
        let quota = Quota::per_minute(NonZeroU32::new(per_minute).unwrap_or(NonZeroU32::MIN));
        Self(Arc::new(RateLimiter::keyed(quota)))
    }

    /// Spends one request of `address`'s budget, or `TooManyRequests` with the wait.
    pub fn spend(&self, address: Option<IpAddr>) -> ApiResult<()> {
        // Requests without a peer address (in-process routers) are not budgeted.
        let Some(address) = address else { return Ok(()) };
        self.0.check_key(&budget_key(address)).map_err(|not_until| {
            let wait = not_until.wait_time_from(DefaultClock::default().now());
            Error::TooManyRequests { delay: wait.as_secs() + u64::from(wait.subsec_nanos() > 0) }.into()
        })
    }

    /// Drops state of addresses whose budget is full again.
    pub fn shrink(&self) {
        self.0.retain_recent();
    }
}

/// Removes spent challenges past their expiry, failure counts idle for a day, and sessions a week after
/// they expired or were revoked.
pub fn purge(db: &Database, now: i64) -> rusqlite::Result<()> {
    let week_ago = now - 7 * 24 * 3_600_000;
    db.write_blocking(|tx| {
        tx.execute("DELETE FROM used_challenges WHERE expires_at < ?", [now])?;
        tx.execute("DELETE FROM sessions WHERE expires_at < ? OR revoked_at < ?", [week_ago, week_ago])?;
        tx.execute(
            "DELETE FROM sign_in_failures WHERE updated_at < ? AND locked_until < ?",
            [now - 24 * 3_600_000, now],
        )?;
        Ok(())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn delays_start_at_the_fifth_failure_and_double_to_fifteen_minutes() {
        let delays: Vec<i64> = (1..=9).map(delay_ms).collect();
        assert_eq!(delays, [0, 0, 0, 0, 1000, 2000, 4000, 8000, 16000]);
        assert_eq!(delay_ms(14), 512_000);
        assert_eq!(delay_ms(15), MAX_DELAY_MS, "1024 s would exceed the 15-minute cap");
        assert_eq!(delay_ms(10_000), MAX_DELAY_MS);
    }

    #[test]
    fn an_ipv6_64_shares_one_budget_and_mapped_ipv4_is_ipv4() {
        let spent = |budget: &AddressBudget, address: &str| match budget.spend(Some(address.parse().unwrap())) {
            Ok(()) => "ok",
            Err(crate::error::ApiError::Public(Error::TooManyRequests { .. })) => "TooManyRequests",
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
}
