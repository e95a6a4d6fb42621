//! Throttling instead of lockout: consecutive failed proofs on one (app, username), whether or not the
//! user exists, delay the next attempt exponentially (1 s from the 5th failure, doubling, at most 15
//! minutes). The count lives in the database, so every server on it throttles alike.

use sealbase::Error;

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

/// The error for a proof made while the delay runs until `locked_until`: the wait in seconds, rounded
/// up.
pub fn limit_exceeded(locked_until: i64, now: i64) -> Error {
    let delay = u64::try_from((locked_until - now + 999) / 1000).unwrap_or(1).max(1);
    Error::PasswordAttemptLimitExceeded { delay }
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
    fn the_wait_is_rounded_up_to_whole_seconds() {
        assert_eq!(limit_exceeded(10_001, 9_000), Error::PasswordAttemptLimitExceeded { delay: 2 });
        assert_eq!(limit_exceeded(10_000, 9_000), Error::PasswordAttemptLimitExceeded { delay: 1 });
    }
}
