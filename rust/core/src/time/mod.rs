//! Time: the processing-time clock and event-time watermark generation.

mod clock;
mod watermarks;

pub use clock::{Clock, ManualClock, SystemClock};
pub use watermarks::{WatermarkGenerator, WatermarkStrategy};

/// The watermark before any was emitted (Flink's `Long.MIN_VALUE`).
pub const MIN_WATERMARK: i64 = i64::MIN;
/// The watermark at the end of a bounded input: every timer and window fires.
pub const MAX_WATERMARK: i64 = i64::MAX;
