//! Time: the processing-time clock, event-time watermark generation, and how a task combines
//! the watermarks and idleness of its input channels.

mod clock;
mod valve;
mod watermarks;

pub use clock::{Clock, ManualClock, SystemClock};
pub use valve::WatermarkValve;
pub use watermarks::{WatermarkGenerator, WatermarkStrategy};

/// Event-time control flowing between records (in an operator's [`Output`](crate::operator::Output)
/// and on channels).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Marker {
    Watermark(i64),
    /// Flink's `WatermarkStatus`: `Idle(true)` = IDLE (the stream sends no records or watermarks
    /// for now, so downstream leaves it out of its watermark), `Idle(false)` = ACTIVE again.
    Idle(bool),
}

/// The watermark before any was emitted (Flink's `Long.MIN_VALUE`).
pub const MIN_WATERMARK: i64 = i64::MIN;
/// The watermark at the end of a bounded input: every timer and window fires.
pub const MAX_WATERMARK: i64 = i64::MAX;
