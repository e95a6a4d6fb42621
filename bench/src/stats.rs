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
        Self { median: quantile(&sorted, 0.5), p99: quantile(&sorted, 0.99), count: sorted.len() }
    }

    pub fn of_millis(samples: &[f64]) -> Self {
        Self::of(&samples.iter().map(|ms| Duration::from_secs_f64(ms / 1000.0)).collect::<Vec<_>>())
    }
}

/// Median and 99th percentile of signed millisecond samples (differences, which noise can make negative).
#[derive(Debug, Clone, Copy, Default)]
pub struct SignedSummary {
    pub median_ms: f64,
    pub p99_ms: f64,
}

impl SignedSummary {
    pub fn of(samples: &[f64]) -> Self {
        let mut sorted = samples.to_vec();
        sorted.sort_by(f64::total_cmp);
        Self { median_ms: quantile(&sorted, 0.5), p99_ms: quantile(&sorted, 0.99) }
    }
}

/// The sample at quantile `q` of sorted samples (nearest rank); zero for no samples.
fn quantile<T: Copy + Default>(sorted: &[T], q: f64) -> T {
    sorted.get(((sorted.len() as f64 - 1.0) * q).round() as usize).copied().unwrap_or_default()
}

/// Milliseconds with two decimals.
pub fn ms(duration: Duration) -> String {
    format!("{:.2}", duration.as_secs_f64() * 1000.0)
}
