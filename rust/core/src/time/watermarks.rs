//! Watermark generation as Flink's `WatermarkStrategy` does it.

use super::MIN_WATERMARK;

/// How watermarks follow the timestamps seen.
#[derive(Clone, Debug, PartialEq)]
pub enum WatermarkStrategy {
    /// No watermarks (only the final one at the end of a bounded input).
    None,
    /// Timestamps may arrive up to `max_out_of_orderness_ms` late; monotonous timestamps are 0.
    BoundedOutOfOrderness { max_out_of_orderness_ms: i64 },
}

/// Tracks the largest timestamp seen and derives the current watermark.
#[derive(Clone, Debug)]
pub struct WatermarkGenerator {
    strategy: WatermarkStrategy,
    max_timestamp: i64,
}

impl WatermarkGenerator {
    pub fn new(strategy: WatermarkStrategy) -> Self {
        WatermarkGenerator { strategy, max_timestamp: MIN_WATERMARK }
    }

    pub fn on_event(&mut self, timestamp: i64) {
        self.max_timestamp = self.max_timestamp.max(timestamp);
    }

    /// Flink's formula: the largest timestamp minus the out-of-orderness minus 1 ms.
    pub fn current(&self) -> i64 {
        match self.strategy {
            WatermarkStrategy::None => MIN_WATERMARK,
            WatermarkStrategy::BoundedOutOfOrderness { max_out_of_orderness_ms } => {
                if self.max_timestamp == MIN_WATERMARK {
                    MIN_WATERMARK
                } else {
                    self.max_timestamp.saturating_sub(max_out_of_orderness_ms).saturating_sub(1)
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bounded_out_of_orderness_lags_the_largest_timestamp() {
        let mut g = WatermarkGenerator::new(WatermarkStrategy::BoundedOutOfOrderness { max_out_of_orderness_ms: 100 });
        assert_eq!(g.current(), MIN_WATERMARK);
        g.on_event(1000);
        g.on_event(900);
        assert_eq!(g.current(), 899);
        g.on_event(2000);
        assert_eq!(g.current(), 1899);
        let mut none = WatermarkGenerator::new(WatermarkStrategy::None);
        none.on_event(5);
        assert_eq!(none.current(), MIN_WATERMARK);
    }
}
