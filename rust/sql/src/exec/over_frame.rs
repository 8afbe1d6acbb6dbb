//! The frame of one partition key of an OVER aggregation: its accumulators (DataFusion's, as the
//! GROUP BY uses) and, for a bounded frame, the argument values of the rows still in it, so that
//! a row leaving the frame is retracted (or, for an accumulator that cannot retract, the frame
//! recomputed). Rows come in time order, a time's rows together (Flink's per-timestamp list).

use std::collections::VecDeque;
use std::ops::Range;

use arrow::array::ArrayRef;
use datafusion_common::ScalarValue;
use datafusion_expr::Accumulator;
use oxflow_core::error::BoxError;

use super::accumulators::CallInputs;
use super::snapshot::{Decoder, Encoder};
use crate::plan::{AggregateCall, OverFrame};

/// A row still in a bounded frame: its time and each call's argument values.
struct FrameRow {
    time: i64,
    args: Vec<Vec<ScalarValue>>,
}

pub struct KeyFrame {
    accumulators: Vec<Box<dyn Accumulator>>,
    /// The rows in the frame (bounded frames only; unbounded ones never retract).
    rows: VecDeque<FrameRow>,
    /// The time of the last timer of the key (Flink's `lastTriggeringTs`: its rows' times, and
    /// on RANGE frames its cleanup times too): a bounded frame's rows at or before it are late.
    pub last_time: i64,
    /// RANGE frames: when the key's state is dropped if no row came since (Flink's
    /// `cleanupTsState`; set when rows arrive).
    pub cleanup_time: Option<i64>,
}

/// Whether the frame has a PRECEDING bound (it keeps the rows in it).
pub fn is_bounded(frame: OverFrame) -> bool {
    matches!(frame, OverFrame::Rows(Some(_)) | OverFrame::Range(Some(_)))
}

fn accumulator(call: &AggregateCall, frame: OverFrame) -> Result<Box<dyn Accumulator>, BoxError> {
    Ok(match frame {
        OverFrame::Rows(None) | OverFrame::Range(None) => call.accumulator()?,
        _ => call.sliding_accumulator()?,
    })
}

impl KeyFrame {
    pub fn new(calls: &[AggregateCall], frame: OverFrame) -> Result<Self, BoxError> {
        let accumulators = calls.iter().map(|c| accumulator(c, frame)).collect::<Result<_, _>>()?;
        // Flink starts a key's lastTriggeringTs at 0, so rows at or before the epoch are late.
        Ok(KeyFrame { accumulators, rows: VecDeque::new(), last_time: 0, cleanup_time: None })
    }

    /// Writes the frame's state: its times and, for a bounded frame, the rows in it (the
    /// accumulators are rebuilt from them), for an unbounded one each accumulator's
    /// intermediate state (the accumulator goes on from that same state).
    pub fn snapshot(&mut self, calls: &[AggregateCall], frame: OverFrame, e: &mut Encoder) -> Result<(), BoxError> {
        e.i64(self.last_time);
        match self.cleanup_time {
            Some(t) => e.u64(1).i64(t),
            None => e.u64(0),
        };
        if is_bounded(frame) {
            e.u64(self.rows.len() as u64);
            for row in &self.rows {
                e.i64(row.time);
                for args in &row.args {
                    e.scalars(args)?;
                }
            }
        } else {
            for (call, acc) in calls.iter().zip(self.accumulators.iter_mut()) {
                let state = acc.state()?;
                // `state` may take the state out: it is merged back into a fresh accumulator.
                let mut fresh = accumulator(call, frame)?;
                fresh.merge_batch(&state.iter().map(|v| v.to_array()).collect::<Result<Vec<_>, _>>()?)?;
                *acc = fresh;
                e.scalars(&state)?;
            }
        }
        Ok(())
    }

    /// A frame from what [`KeyFrame::snapshot`] wrote.
    pub fn restore(calls: &[AggregateCall], frame: OverFrame, d: &mut Decoder<'_>) -> Result<Self, BoxError> {
        let mut restored = KeyFrame::new(calls, frame)?;
        restored.last_time = d.i64()?;
        restored.cleanup_time = match d.u64()? {
            0 => None,
            _ => Some(d.i64()?),
        };
        if is_bounded(frame) {
            for _ in 0..d.u64()? {
                let time = d.i64()?;
                let args = calls.iter().map(|_| d.scalars()).collect::<Result<Vec<_>, _>>()?;
                restored.rows.push_back(FrameRow { time, args });
            }
            restored.recompute(calls, frame, &vec![true; calls.len()])?;
        } else {
            for acc in restored.accumulators.iter_mut() {
                let state = d.scalars()?;
                acc.merge_batch(&state.iter().map(|v| v.to_array()).collect::<Result<Vec<_>, _>>()?)?;
            }
        }
        Ok(restored)
    }

    /// How many rows the frame holds (none for an unbounded frame).
    pub fn rows_held(&self) -> usize {
        self.rows.len()
    }

    /// Processes the rows `rows` of `inputs`, all of time `time`, in order: each row's result of
    /// every call is pushed to `results[call]`.
    pub fn process(
        &mut self,
        calls: &[AggregateCall],
        frame: OverFrame,
        time: i64,
        inputs: &CallInputs,
        rows: Range<usize>,
        results: &mut [Vec<ScalarValue>],
    ) -> Result<(), BoxError> {
        self.last_time = time;
        match frame {
            OverFrame::Range(preceding) => {
                let mut stale = vec![false; calls.len()];
                if let Some(ms) = preceding {
                    // Rows older than the interval before `time` leave the frame.
                    while self.rows.front().is_some_and(|r| r.time < time - ms) {
                        self.retract_front(&mut stale)?;
                    }
                }
                self.update(inputs, rows.start, rows.len())?;
                if preceding.is_some() {
                    for i in rows.clone() {
                        self.keep(inputs, i, time)?;
                    }
                }
                self.recompute(calls, frame, &stale)?;
                // Peers (rows of equal time) share one result.
                for (c, acc) in self.accumulators.iter_mut().enumerate() {
                    let value = acc.evaluate()?;
                    results[c].extend(std::iter::repeat_n(value, rows.len()));
                }
            }
            OverFrame::Rows(preceding) => {
                for i in rows {
                    let mut stale = vec![false; calls.len()];
                    self.update(inputs, i, 1)?;
                    if let Some(n) = preceding {
                        self.keep(inputs, i, time)?;
                        if self.rows.len() as u64 > n + 1 {
                            self.retract_front(&mut stale)?;
                        }
                    }
                    self.recompute(calls, frame, &stale)?;
                    for (c, acc) in self.accumulators.iter_mut().enumerate() {
                        results[c].push(acc.evaluate()?);
                    }
                }
            }
        }
        Ok(())
    }

    fn update(&mut self, inputs: &CallInputs, start: usize, len: usize) -> Result<(), BoxError> {
        for (c, acc) in self.accumulators.iter_mut().enumerate() {
            let args: Vec<ArrayRef> = inputs.args[c].iter().map(|a| a.slice(start, len)).collect();
            acc.update_batch(&args)?;
        }
        Ok(())
    }

    /// Keeps row `i`'s arguments in the (bounded) frame.
    fn keep(&mut self, inputs: &CallInputs, i: usize, time: i64) -> Result<(), BoxError> {
        let args = inputs
            .args
            .iter()
            .map(|call| call.iter().map(|a| ScalarValue::try_from_array(a, i)).collect::<Result<Vec<_>, _>>())
            .collect::<Result<Vec<_>, _>>()?;
        self.rows.push_back(FrameRow { time, args });
        Ok(())
    }

    /// The oldest row leaves the frame: retracted from the accumulators that can, the others
    /// marked `stale` (recomputed from the frame's rows).
    fn retract_front(&mut self, stale: &mut [bool]) -> Result<(), BoxError> {
        let row = self.rows.pop_front().expect("a row to retract");
        for (c, acc) in self.accumulators.iter_mut().enumerate() {
            if acc.supports_retract_batch() {
                let args = row.args[c].iter().map(|v| v.to_array()).collect::<Result<Vec<_>, _>>()?;
                acc.retract_batch(&args)?;
            } else {
                stale[c] = true;
            }
        }
        Ok(())
    }

    /// Fresh accumulators for the `stale` calls, fed with every row of the frame.
    fn recompute(&mut self, calls: &[AggregateCall], frame: OverFrame, stale: &[bool]) -> Result<(), BoxError> {
        for (c, _) in stale.iter().enumerate().filter(|(_, s)| **s) {
            let mut acc = accumulator(&calls[c], frame)?;
            if !self.rows.is_empty() {
                let args = (0..calls[c].args.len())
                    .map(|k| ScalarValue::iter_to_array(self.rows.iter().map(|r| r.args[c][k].clone())))
                    .collect::<Result<Vec<_>, _>>()?;
                acc.update_batch(&args)?;
            }
            self.accumulators[c] = acc;
        }
        Ok(())
    }
}
