//! Summaries of timing samples.

use std::time::Duration;

/// Median and 99th percentile of a set of durations.
#[derive(Debug, Clone, Copy, Default)]
pub struct Summary {
    pub median: Duration,
    pub p99: Duration,
    pub count: usize,
}

impl Summary {
    pub fn of(samples: &[Duration]) -> Self {
        let mut sorted = samples.to_vec();
        sorted.sort();
        let at = |q: f64| sorted.get(((sorted.len() as f64 - 1.0) * q).round() as usize).copied().unwrap_or_default();
        Self { median: at(0.5), p99: at(0.99), count: sorted.len() }
    }

    pub fn of_millis(samples: &[f64]) -> Self {
        Self::of(&samples.iter().map(|ms| Duration::from_secs_f64(ms / 1000.0)).collect::<Vec<_>>())
    }
}

/// Milliseconds with two decimals.
pub fn ms(duration: Duration) -> String {
    format!("{:.2}", duration.as_secs_f64() * 1000.0)
}
