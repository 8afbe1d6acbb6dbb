//! Restart strategies (Flink's `restart-strategy.type`): after a failure, whether the job
//! restarts from its latest completed checkpoint and after how long. Pure decisions, the
//! executor carries them out.

use std::collections::VecDeque;
use std::time::Duration;

/// How a failed job restarts.
#[derive(Clone, Debug, PartialEq)]
pub enum RestartStrategy {
    /// Fail at the first failure (`none`).
    None,
    /// Restart up to `attempts` times, `delay` apart (`fixed-delay`).
    FixedDelay { attempts: u32, delay: Duration },
    /// Restart unless more than `max_failures` happened within `interval` (`failure-rate`).
    FailureRate { max_failures: u32, interval: Duration, delay: Duration },
    /// Restart with delays growing from `initial` by `multiplier` up to `max`; after running
    /// `reset_threshold` without failure the delay starts from `initial` again
    /// (`exponential-delay`, Flink 2's default when checkpointing is on). Jitter is left out:
    /// there is one job to restart here, not a cluster to spread out.
    ExponentialDelay { initial: Duration, max: Duration, multiplier: f64, reset_threshold: Duration, attempts: u32 },
}

/// A strategy with what it remembers of past failures.
#[derive(Clone, Debug)]
pub struct RestartTracker {
    strategy: RestartStrategy,
    restarts: u32,
    /// Failure times (ms) within the failure-rate interval.
    failures: VecDeque<i64>,
    /// The current exponential delay and when the job (re)started last (ms).
    next_delay: Duration,
    last_start_ms: i64,
}

impl RestartTracker {
    pub fn new(strategy: RestartStrategy, start_ms: i64) -> Self {
        let next_delay = match &strategy {
            RestartStrategy::ExponentialDelay { initial, .. } => *initial,
            _ => Duration::ZERO,
        };
        RestartTracker { strategy, restarts: 0, failures: VecDeque::new(), next_delay, last_start_ms: start_ms }
    }

    /// Restarts so far.
    pub fn restarts(&self) -> u32 {
        self.restarts
    }

    /// The job failed at `now_ms`: `Some(delay)` to restart after `delay`, `None` to give up.
    pub fn on_failure(&mut self, now_ms: i64) -> Option<Duration> {
        let delay = match &self.strategy {
            RestartStrategy::None => None,
            RestartStrategy::FixedDelay { attempts, delay } => (self.restarts < *attempts).then_some(*delay),
            RestartStrategy::FailureRate { max_failures, interval, delay } => {
                self.failures.push_back(now_ms);
                let since = now_ms - interval.as_millis() as i64;
                while self.failures.front().is_some_and(|t| *t <= since) {
                    self.failures.pop_front();
                }
                (self.failures.len() as u32 <= *max_failures).then_some(*delay)
            }
            RestartStrategy::ExponentialDelay { initial, max, multiplier, reset_threshold, attempts } => {
                if now_ms - self.last_start_ms >= reset_threshold.as_millis() as i64 {
                    self.next_delay = *initial;
                }
                if self.restarts >= *attempts {
                    None
                } else {
                    let delay = self.next_delay.min(*max);
                    self.next_delay = Duration::from_secs_f64((delay.as_secs_f64() * multiplier).min(max.as_secs_f64()));
                    Some(delay)
                }
            }
        };
        if let Some(d) = delay {
            self.restarts += 1;
            self.last_start_ms = now_ms + d.as_millis() as i64;
        }
        delay
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const S: Duration = Duration::from_secs(1);

    #[test]
    fn none_never_restarts() {
        assert_eq!(RestartTracker::new(RestartStrategy::None, 0).on_failure(5), None);
    }

    #[test]
    fn fixed_delay_restarts_a_fixed_number_of_times() {
        let mut t = RestartTracker::new(RestartStrategy::FixedDelay { attempts: 2, delay: S }, 0);
        assert_eq!(t.on_failure(10), Some(S));
        assert_eq!(t.on_failure(2000), Some(S));
        assert_eq!(t.on_failure(4000), None);
        assert_eq!(t.restarts(), 2);
    }

    #[test]
    fn failure_rate_counts_failures_within_the_interval() {
        let mut t = RestartTracker::new(RestartStrategy::FailureRate { max_failures: 2, interval: Duration::from_secs(10), delay: S }, 0);
        assert_eq!(t.on_failure(1_000), Some(S));
        assert_eq!(t.on_failure(2_000), Some(S));
        assert_eq!(t.on_failure(3_000), None, "a third failure within 10 s");
        let mut t = RestartTracker::new(RestartStrategy::FailureRate { max_failures: 2, interval: Duration::from_secs(10), delay: S }, 0);
        assert_eq!(t.on_failure(1_000), Some(S));
        assert_eq!(t.on_failure(2_000), Some(S));
        assert_eq!(t.on_failure(12_500), Some(S), "the first two left the interval");
    }

    #[test]
    fn exponential_delay_grows_caps_and_resets() {
        let strategy = RestartStrategy::ExponentialDelay {
            initial: S,
            max: Duration::from_secs(3),
            multiplier: 2.0,
            reset_threshold: Duration::from_secs(60),
            attempts: u32::MAX,
        };
        let mut t = RestartTracker::new(strategy, 0);
        assert_eq!(t.on_failure(100), Some(S));
        assert_eq!(t.on_failure(1_200), Some(Duration::from_secs(2)));
        assert_eq!(t.on_failure(3_300), Some(Duration::from_secs(3)));
        assert_eq!(t.on_failure(6_400), Some(Duration::from_secs(3)), "capped");
        assert_eq!(t.on_failure(200_000), Some(S), "a long healthy run resets the delay");
    }
}
