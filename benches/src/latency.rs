//! Percentiles of timed operations, for the bench binaries that time each call alone.

use std::time::Duration;

/// The `p`-th quantile (0.0 to 1.0) of `sorted`, nearest rank; zero if it is empty.
pub fn percentile(sorted: &[Duration], p: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    sorted[((sorted.len() - 1) as f64 * p.clamp(0.0, 1.0)).round() as usize]
}

/// Microseconds, for printing.
pub fn micros(d: Duration) -> f64 {
    d.as_secs_f64() * 1e6
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nearest_rank() {
        let xs: Vec<Duration> = (1..=101).map(Duration::from_micros).collect();
        assert_eq!(percentile(&xs, 0.5), Duration::from_micros(51));
        assert_eq!(percentile(&xs, 0.99), Duration::from_micros(100));
        assert_eq!(percentile(&xs, 1.0), Duration::from_micros(101));
        assert_eq!(percentile(&[], 0.5), Duration::ZERO);
    }
}
