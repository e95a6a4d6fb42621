//! Wall-clock helpers: Unix milliseconds in storage, ISO-8601 (like JavaScript's `toISOString`) on the wire.

use time::macros::format_description;
use time::OffsetDateTime;

/// Now, in Unix milliseconds.
pub fn now_ms() -> i64 {
    (OffsetDateTime::now_utc().unix_timestamp_nanos() / 1_000_000) as i64
}

/// `2026-11-22T13:42:00.123Z`.
pub fn iso(ms: i64) -> String {
    let format = format_description!("[year]-[month]-[day]T[hour]:[minute]:[second].[subsecond digits:3]Z");
    OffsetDateTime::from_unix_timestamp_nanos(i128::from(ms) * 1_000_000)
        .ok()
        .and_then(|t| t.format(&format).ok())
        .unwrap_or_default()
}

/// Hours → milliseconds, rounded.
pub fn hours_to_ms(hours: f64) -> i64 {
    (hours * 3_600_000.0).round() as i64
}
