//! Flink's `StatusWatermarkValve`: the event time of a task is the minimum watermark over its
//! input channels, leaving out idle ones.
//!
//! A channel goes idle when its producer says so (`Idle(true)`) and is active again when it sends
//! `Idle(false)`, a record or a watermark. The task's watermark is the minimum over the active,
//! *aligned* channels and never goes back: a channel that comes back from idleness behind the
//! task's watermark only joins the minimum again once its own watermark catches up. While every
//! open channel is idle, the watermark does not advance and the task is idle itself (it forwards
//! `Idle(true)`, and `Idle(false)` once a channel is active again). Ended channels no longer count.

use super::{Marker, MIN_WATERMARK};

#[derive(Clone, Debug)]
struct Channel {
    watermark: i64,
    idle: bool,
    /// Counts in the minimum (active, and not behind the task's watermark since it came back).
    aligned: bool,
    ended: bool,
}

/// Combines the watermarks and idleness of a task's input channels.
#[derive(Clone, Debug)]
pub struct WatermarkValve {
    channels: Vec<Channel>,
    watermark: i64,
    idle: bool,
}

impl WatermarkValve {
    pub fn new(channels: usize) -> Self {
        let channel = Channel { watermark: MIN_WATERMARK, idle: false, aligned: true, ended: false };
        WatermarkValve { channels: vec![channel; channels], watermark: MIN_WATERMARK, idle: false }
    }

    /// The watermark emitted so far.
    pub fn watermark(&self) -> i64 {
        self.watermark
    }

    /// Whether every open channel is idle.
    pub fn is_idle(&self) -> bool {
        self.idle
    }

    /// A record arrived on `channel`: it is active. Returns what to forward, in order.
    pub fn on_record(&mut self, channel: usize) -> Vec<Marker> {
        let mut out = Vec::new();
        if self.channels[channel].idle {
            self.activate(channel, &mut out);
            self.advance(&mut out);
        }
        out
    }

    /// A watermark arrived on `channel`.
    pub fn on_watermark(&mut self, channel: usize, watermark: i64) -> Vec<Marker> {
        let mut out = Vec::new();
        if self.channels[channel].idle {
            self.activate(channel, &mut out);
        }
        let c = &mut self.channels[channel];
        if watermark > c.watermark {
            c.watermark = watermark;
            if !c.aligned && watermark >= self.watermark {
                c.aligned = true;
            }
        }
        self.advance(&mut out);
        out
    }

    /// `channel` declared itself idle (`true`) or active (`false`).
    pub fn on_idle(&mut self, channel: usize, idle: bool) -> Vec<Marker> {
        let mut out = Vec::new();
        let c = &mut self.channels[channel];
        if c.ended || c.idle == idle {
            return out;
        }
        if idle {
            c.idle = true;
            c.aligned = false;
            self.update_idle(&mut out);
        } else {
            self.activate(channel, &mut out);
        }
        self.advance(&mut out);
        out
    }

    /// `channel` ended: it no longer holds the watermark back nor keeps the task active.
    pub fn on_end(&mut self, channel: usize) -> Vec<Marker> {
        let mut out = Vec::new();
        let c = &mut self.channels[channel];
        if !c.ended {
            c.ended = true;
            c.aligned = false;
            if self.channels.iter().any(|c| !c.ended) {
                self.update_idle(&mut out);
                self.advance(&mut out);
            }
        }
        out
    }

    fn activate(&mut self, channel: usize, out: &mut Vec<Marker>) {
        let c = &mut self.channels[channel];
        c.idle = false;
        c.aligned = c.watermark >= self.watermark;
        if self.idle {
            self.idle = false;
            out.push(Marker::Idle(false));
        }
    }

    /// Becomes idle when no open channel is active.
    fn update_idle(&mut self, out: &mut Vec<Marker>) {
        let idle = self.channels.iter().filter(|c| !c.ended).all(|c| c.idle);
        if idle && !self.idle {
            self.idle = true;
            out.push(Marker::Idle(true));
        }
    }

    /// Emits the minimum over the aligned channels if it moved forward.
    fn advance(&mut self, out: &mut Vec<Marker>) {
        let min = self.channels.iter().filter(|c| c.aligned && !c.idle && !c.ended).map(|c| c.watermark).min();
        if let Some(min) = min {
            if min > self.watermark {
                self.watermark = min;
                out.push(Marker::Watermark(min));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use Marker::{Idle, Watermark};

    #[test]
    fn the_watermark_is_the_minimum_over_channels() {
        let mut v = WatermarkValve::new(2);
        assert_eq!(v.on_watermark(0, 10), vec![]);
        assert_eq!(v.on_watermark(1, 5), vec![Watermark(5)]);
        assert_eq!(v.on_watermark(1, 20), vec![Watermark(10)]);
        assert_eq!(v.on_watermark(0, 8), vec![], "watermarks never go back");
        assert_eq!(v.on_watermark(0, 30), vec![Watermark(20)]);
        assert_eq!(v.watermark(), 20);
    }

    #[test]
    fn idle_channels_are_left_out_until_they_are_active_again() {
        let mut v = WatermarkValve::new(3);
        v.on_watermark(0, 10);
        v.on_watermark(1, 10);
        assert_eq!(v.on_watermark(2, 4), vec![Watermark(4)]);
        // Channel 2 goes idle: the minimum of 0 and 1 applies.
        assert_eq!(v.on_idle(2, true), vec![Watermark(10)]);
        assert_eq!(v.on_idle(2, true), vec![], "no change");
        assert_eq!(v.on_watermark(0, 15), vec![]);
        assert_eq!(v.on_watermark(1, 18), vec![Watermark(15)]);
        // Back, but behind: it does not hold the watermark back until it catches up.
        assert_eq!(v.on_record(2), vec![]);
        assert_eq!(v.on_watermark(0, 30), vec![Watermark(18)]);
        assert_eq!(v.on_watermark(2, 12), vec![]);
        assert_eq!(v.on_watermark(1, 40), vec![Watermark(30)]);
        assert_eq!(v.on_watermark(2, 32), vec![], "caught up: it is in the minimum again");
        assert_eq!(v.on_watermark(0, 50), vec![Watermark(32)]);
        assert_eq!(v.on_watermark(2, 60), vec![Watermark(40)]);
    }

    #[test]
    fn all_idle_stops_the_watermark_and_makes_the_task_idle() {
        let mut v = WatermarkValve::new(2);
        v.on_watermark(0, 10);
        assert_eq!(v.on_watermark(1, 20), vec![Watermark(10)]);
        assert_eq!(v.on_idle(1, true), vec![]);
        assert_eq!(v.on_idle(0, true), vec![Idle(true)], "all idle: no watermark from the idle channels");
        assert!(v.is_idle() && v.watermark() == 10);
        // A watermark makes its channel active again.
        assert_eq!(v.on_watermark(1, 25), vec![Idle(false), Watermark(25)]);
        assert_eq!(v.on_idle(1, true), vec![Idle(true)]);
        assert_eq!(v.on_idle(0, false), vec![Idle(false)], "channel 0 at 10 is behind 25");
        assert_eq!(v.on_watermark(0, 26), vec![Watermark(26)]);
    }

    #[test]
    fn ended_channels_do_not_count() {
        let mut v = WatermarkValve::new(2);
        v.on_watermark(0, 10);
        assert_eq!(v.on_idle(1, true), vec![Watermark(10)]);
        assert_eq!(v.on_watermark(0, i64::MAX), vec![Watermark(i64::MAX)]);
        assert_eq!(v.on_end(0), vec![Idle(true)], "the open channel is idle");
        assert_eq!(v.on_end(1), vec![]);
    }
}
