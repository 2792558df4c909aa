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

/// Why a schedule or duration text was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ScheduleError {
    #[error("{0:?} is not a duration such as 250ms, 30s, 15m or 24h")]
    Duration(String),
    #[error("{0:?}: expected first=…,max=…,until=…[,jitter=0.2]")]
    Part(String),
    #[error("the first wait must be shorter than both max and until")]
    Order,
}

impl ScheduleError {
    pub fn code(&self) -> &'static str {
        match self {
            ScheduleError::Duration(_) => "duration_invalid",
            ScheduleError::Part(_) => "schedule_invalid",
            ScheduleError::Order => "schedule_order",
        }
    }
}

/// Parses `250ms`, `30s`, `15m`, `24h` (whole numbers, bounded to 30 days).
pub fn parse_duration(text: &str) -> Result<Duration, ScheduleError> {
    let text = text.trim();
    let bad = || ScheduleError::Duration(text.chars().take(32).collect());
    let split = text.find(|c: char| !c.is_ascii_digit()).ok_or_else(bad)?;
    let (number, unit) = text.split_at(split);
    let number: u64 = number.parse().map_err(|_| bad())?;
    let millis = match unit {
        "ms" => Some(number),
        "s" => number.checked_mul(1000),
        "m" => number.checked_mul(60_000),
        "h" => number.checked_mul(3_600_000),
        _ => None,
    }
    .ok_or_else(bad)?;
    if millis > 30 * 24 * 3_600_000 {
        return Err(bad());
    }
    Ok(Duration::from_millis(millis))
}

impl std::str::FromStr for RetrySchedule {
    type Err = ScheduleError;

    /// `first=30s,max=6h,until=24h[,jitter=0.2]`; parts not given keep their default.
    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let mut schedule = RetrySchedule::default();
        for part in text.split(',').filter(|part| !part.trim().is_empty()) {
            let (name, value) = part
                .split_once('=')
                .ok_or_else(|| ScheduleError::Part(part.chars().take(32).collect()))?;
            match name.trim() {
                "first" => schedule.first_delay = parse_duration(value)?,
                "max" => schedule.max_delay = parse_duration(value)?,
                "until" => schedule.give_up_after = parse_duration(value)?,
                "jitter" => {
                    schedule.jitter = value
                        .trim()
                        .parse::<f64>()
                        .ok()
                        .filter(|j| (0.0..1.0).contains(j))
                        .ok_or_else(|| ScheduleError::Part(part.chars().take(32).collect()))?
                }
                _ => return Err(ScheduleError::Part(part.chars().take(32).collect())),
            }
        }
        if schedule.first_delay.is_zero()
            || schedule.first_delay > schedule.max_delay
            || schedule.first_delay >= schedule.give_up_after
        {
            return Err(ScheduleError::Order);
        }
        Ok(schedule)
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

    #[test]
    fn schedules_and_durations_parse_from_text() {
        let schedule: RetrySchedule = "first=50ms,max=2s,until=10m,jitter=0.1".parse().unwrap();
        assert_eq!(schedule.first_delay, Duration::from_millis(50));
        assert_eq!(schedule.max_delay, Duration::from_secs(2));
        assert_eq!(schedule.give_up_after, Duration::from_secs(600));
        assert_eq!(schedule.jitter, 0.1);
        assert_eq!("".parse::<RetrySchedule>(), Ok(RetrySchedule::default()));
        let code = |text: &str| text.parse::<RetrySchedule>().unwrap_err().code();
        assert_eq!(code("first=fast"), "duration_invalid");
        assert_eq!(code("first=10"), "duration_invalid");
        assert_eq!(code("later=10s"), "schedule_invalid");
        assert_eq!(code("jitter=2"), "schedule_invalid");
        assert_eq!(code("first=2h,until=1h"), "schedule_order");
        assert_eq!(code("first=0ms"), "schedule_order");
        assert_eq!(parse_duration("24h"), Ok(Duration::from_secs(86_400)));
        assert_eq!(
            parse_duration("99999999999999h").unwrap_err().code(),
            "duration_invalid"
        );
    }
}
