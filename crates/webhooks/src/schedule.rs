//! When a failed delivery is tried again, and when to give up.
//!
//! Exponential backoff from 30 s (doubling, capped at 6 h between tries) with ±20% jitter,
//! so receivers that came back are not hit by every sender at once, for up to 24 h after the
//! first attempt; the last try lands at the 24 h mark, then the endpoint is disabled.
//! Tests use [`RetrySchedule::compressed`] for the same shape in milliseconds.

use std::time::Duration;

use chrono::{DateTime, Utc};
use rand::Rng;

#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RetrySchedule {
    /// Wait after the first failure.
    pub first_delay: Duration,
    /// Longest wait between two tries.
    pub max_delay: Duration,
    /// No try is made later than this after the first attempt.
    pub give_up_after: Duration,
    /// Each wait is scaled by a random factor in [1 - jitter, 1 + jitter]; 0 ≤ jitter < 1.
    pub jitter: f64,
}

impl Default for RetrySchedule {
    fn default() -> Self {
        RetrySchedule {
            first_delay: Duration::from_secs(30),
            max_delay: Duration::from_secs(6 * 3600),
            give_up_after: Duration::from_secs(24 * 3600),
            jitter: 0.2,
        }
    }
}

impl RetrySchedule {
    /// The same shape, scaled for tests: first wait `first_delay`, give up after
    /// `give_up_after`, waits capped at a quarter of that.
    pub fn compressed(first_delay: Duration, give_up_after: Duration) -> Self {
        RetrySchedule {
            first_delay,
            max_delay: (give_up_after / 4).max(first_delay),
            give_up_after,
            jitter: 0.2,
        }
    }

    /// The wait after `failed_attempts` failures (≥ 1), before jitter.
    pub fn base_delay(&self, failed_attempts: u32) -> Duration {
        let doublings = failed_attempts.saturating_sub(1).min(40);
        let factor = 2u64.saturating_pow(doublings);
        let nanos = (self.first_delay.as_nanos() as u64).saturating_mul(factor);
        Duration::from_nanos(nanos).min(self.max_delay)
    }

    /// When to try again after `failed_attempts` failures, the first attempt having been at
    /// `first_attempt_at`; `None` once the give-up time has been reached.
    pub fn next_attempt_at<R: Rng>(
        &self,
        failed_attempts: u32,
        first_attempt_at: DateTime<Utc>,
        now: DateTime<Utc>,
        rng: &mut R,
    ) -> Option<DateTime<Utc>> {
        let deadline = first_attempt_at + chrono::Duration::from_std(self.give_up_after).ok()?;
        if now >= deadline {
            return None;
        }
        let jitter = self.jitter.clamp(0.0, 0.99);
        let scale = if jitter > 0.0 {
            rng.gen_range(1.0 - jitter..=1.0 + jitter)
        } else {
            1.0
        };
        let wait = self.base_delay(failed_attempts).mul_f64(scale);
        let next = now + chrono::Duration::from_std(wait).ok()?;
        // The last try is made at the deadline rather than skipped.
        Some(next.min(deadline))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::rngs::StdRng;
    use rand::SeedableRng;

    #[test]
    fn waits_double_from_thirty_seconds_and_are_capped() {
        let schedule = RetrySchedule::default();
        assert_eq!(schedule.base_delay(1), Duration::from_secs(30));
        assert_eq!(schedule.base_delay(2), Duration::from_secs(60));
        assert_eq!(schedule.base_delay(5), Duration::from_secs(480));
        assert_eq!(schedule.base_delay(20), Duration::from_secs(6 * 3600));
        assert_eq!(schedule.base_delay(u32::MAX), Duration::from_secs(6 * 3600));
    }

    #[test]
    fn a_failing_delivery_is_tried_for_24_hours_then_given_up() {
        let schedule = RetrySchedule::default();
        let mut rng = StdRng::seed_from_u64(7);
        let start = DateTime::parse_from_rfc3339("2026-11-30T00:00:00Z")
            .unwrap()
            .with_timezone(&Utc);
        let mut now = start;
        let mut attempts = 1;
        let mut waits = Vec::new();
        while let Some(next) = schedule.next_attempt_at(attempts, start, now, &mut rng) {
            assert!(next > now, "time moves forward");
            waits.push((next - now).num_seconds());
            now = next;
            attempts += 1;
            assert!(attempts < 100, "the schedule ends");
        }
        assert_eq!(
            now,
            start + chrono::Duration::hours(24),
            "the last try is at 24 h"
        );
        assert!(
            (24..=36).contains(&waits[0]),
            "first wait is 30 s ± 20%: {waits:?}"
        );
        assert!(
            (48..=72).contains(&waits[1]),
            "second wait doubles: {waits:?}"
        );
        assert!(
            (10..=20).contains(&attempts),
            "attempts over 24 h: {attempts} {waits:?}"
        );
    }

    #[test]
    fn jitter_spreads_waits() {
        let schedule = RetrySchedule::default();
        let mut rng = StdRng::seed_from_u64(1);
        let start = Utc::now();
        let waits: std::collections::BTreeSet<i64> = (0..20)
            .map(|_| {
                let next = schedule.next_attempt_at(3, start, start, &mut rng).unwrap();
                (next - start).num_milliseconds()
            })
            .collect();
        assert!(waits.len() > 10, "jittered waits differ: {waits:?}");
        assert!(
            waits.iter().all(|w| (96_000..=144_000).contains(w)),
            "{waits:?}"
        );
    }

    #[test]
    fn the_compressed_schedule_keeps_the_shape_in_milliseconds() {
        let schedule =
            RetrySchedule::compressed(Duration::from_millis(10), Duration::from_millis(400));
        assert_eq!(schedule.base_delay(1), Duration::from_millis(10));
        assert_eq!(schedule.base_delay(10), Duration::from_millis(100));
    }
}
