//! Event-time windows of SQL: the window TVFs (TUMBLE, HOP, CUMULATE, SESSION) and the legacy
//! group windows (TUMBLE, HOP, SESSION in GROUP BY) share these specs.

use std::fmt;

use datafusion_common::ScalarValue;
use datafusion_expr::Expr;

use crate::error::{Result, SqlError};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum WindowSpec {
    Tumble { size: i64, offset: i64 },
    /// Flink writes the slide first: `HOP(t, slide, size)`.
    Hop { slide: i64, size: i64, offset: i64 },
    Cumulate { step: i64, size: i64, offset: i64 },
    Session { gap: i64 },
}

impl WindowSpec {
    pub fn is_session(&self) -> bool {
        matches!(self, WindowSpec::Session { .. })
    }

    /// The `[start, end)` windows a row at `ts` belongs to (not for sessions), earliest first.
    pub fn assign(&self, ts: i64, out: &mut Vec<(i64, i64)>) {
        out.clear();
        match *self {
            WindowSpec::Tumble { size, offset } => {
                let start = window_start(ts, offset, size);
                out.push((start, start + size));
            }
            WindowSpec::Hop { slide, size, offset } => {
                // Flink's SlidingEventTimeWindows, reversed to run earliest first.
                let mut start = window_start(ts, offset, slide);
                while start > ts - size {
                    out.push((start, start + size));
                    start -= slide;
                }
                out.reverse();
            }
            WindowSpec::Cumulate { step, size, offset } => {
                let start = window_start(ts, offset, size);
                let mut end = window_start(ts, offset, step) + step;
                while end <= start + size {
                    out.push((start, end));
                    end += step;
                }
            }
            WindowSpec::Session { gap } => out.push((ts, ts + gap)),
        }
    }
}

/// Flink's `TimeWindow.getWindowStartWithOffset`.
pub fn window_start(ts: i64, offset: i64, size: i64) -> i64 {
    let remainder = (ts - offset) % size;
    if remainder < 0 {
        ts - (remainder + size)
    } else {
        ts - remainder
    }
}

impl fmt::Display for WindowSpec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            WindowSpec::Tumble { size, .. } => write!(f, "TUMBLE(size=[{}])", show_ms(*size)),
            WindowSpec::Hop { slide, size, .. } => write!(f, "HOP(slide=[{}], size=[{}])", show_ms(*slide), show_ms(*size)),
            WindowSpec::Cumulate { step, size, .. } => write!(f, "CUMULATE(max_size=[{}], step=[{}])", show_ms(*size), show_ms(*step)),
            WindowSpec::Session { gap } => write!(f, "SESSION(gap=[{}])", show_ms(*gap)),
        }
    }
}

fn show_ms(ms: i64) -> String {
    match ms {
        m if m % 3_600_000 == 0 => format!("{} h", m / 3_600_000),
        m if m % 60_000 == 0 => format!("{} min", m / 60_000),
        m if m % 1000 == 0 => format!("{} s", m / 1000),
        m => format!("{m} ms"),
    }
}

/// Milliseconds of a constant day-time interval expression (`INTERVAL '5' MINUTE`).
pub fn interval_ms(expr: &Expr, what: &str) -> Result<i64> {
    let value = match expr {
        Expr::Literal(v, _) => v.clone(),
        Expr::Cast(c) => return interval_ms(&c.expr, what),
        other => return Err(SqlError::Validation(format!("{what} must be a constant interval, found '{other}'"))),
    };
    let ms = match value {
        ScalarValue::IntervalMonthDayNano(Some(v)) => {
            if v.months != 0 {
                return Err(SqlError::Validation(format!("{what} must be a day-time interval, not a year-month one")));
            }
            v.days as i64 * 86_400_000 + v.nanoseconds / 1_000_000
        }
        ScalarValue::IntervalDayTime(Some(v)) => v.days as i64 * 86_400_000 + v.milliseconds as i64,
        ScalarValue::DurationMillisecond(Some(v)) => v,
        ScalarValue::DurationSecond(Some(v)) => v * 1000,
        ScalarValue::DurationMicrosecond(Some(v)) => v / 1000,
        ScalarValue::DurationNanosecond(Some(v)) => v / 1_000_000,
        other => return Err(SqlError::Validation(format!("{what} must be an interval, found {other}"))),
    };
    if ms <= 0 {
        return Err(SqlError::Validation(format!("{what} must be positive, found {ms} ms")));
    }
    Ok(ms)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn windows_of_a_row() {
        let mut out = Vec::new();
        WindowSpec::Tumble { size: 60_000, offset: 0 }.assign(61_000, &mut out);
        assert_eq!(out, [(60_000, 120_000)]);
        WindowSpec::Tumble { size: 10, offset: 0 }.assign(-3, &mut out);
        assert_eq!(out, [(-10, 0)]);
        WindowSpec::Hop { slide: 5, size: 10, offset: 0 }.assign(12, &mut out);
        assert_eq!(out, [(5, 15), (10, 20)]);
        WindowSpec::Hop { slide: 5, size: 10, offset: 0 }.assign(10, &mut out);
        assert_eq!(out, [(5, 15), (10, 20)]);
        WindowSpec::Cumulate { step: 2, size: 6, offset: 0 }.assign(3, &mut out);
        assert_eq!(out, [(0, 4), (0, 6)]);
        WindowSpec::Cumulate { step: 2, size: 6, offset: 0 }.assign(0, &mut out);
        assert_eq!(out, [(0, 2), (0, 4), (0, 6)]);
    }
}
