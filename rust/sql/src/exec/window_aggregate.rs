//! Window aggregation: one final row per (key, window) when the watermark passes the window's
//! end, for group windows and window TVFs alike; or, on a processing-time attribute, when the
//! operator's clock passes it.
//!
//! Processing-time windows are Flink's: a row belongs to the windows of the time the operator
//! receives it (never late), a window fires once the clock reaches its max timestamp, its
//! `window_time` (`TUMBLE_PROCTIME`) is the time it fired, and windows still open when the input
//! ends never fire (the end of input is not a point in processing time).
//!
//! Tumbling, hopping and cumulating windows keep one pane per window: the keys seen in it and
//! vectorized accumulators over them, so a batch updates a pane with one call per aggregate.
//! Session windows belong to one key each and merge, so they keep row accumulators per session.

use std::collections::{BTreeMap, HashMap};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use arrow::array::{Array, ArrayRef, RecordBatch, TimestampMillisecondArray, UInt32Array};
use arrow::datatypes::{DataType, SchemaRef};
use datafusion_expr::Accumulator;
use oxflow_core::data::Record;
use oxflow_core::error::{message, BoxError};
use oxflow_core::checkpoint::snapshot::{RestoredState, SnapshotWriter};
use oxflow_core::checkpoint::CheckpointId;
use oxflow_core::operator::{Operator, Output, TaskInfo};
use oxflow_core::time::Clock;

use super::accumulators::{scalars_to_array, CallInputs, GroupedAccumulators};
use super::calc::relaxed;
use super::data::{ChangeBatch, TableData};
use super::group_aggregate::{encode_accumulators, merged};
use super::keys::{KeyEncoder, KeyRows};
use super::snapshot::{key_hashes, keyed_only, Decoder, Encoder};
use super::watermark::millis;
use crate::plan::{AggregateCall, WindowSpec};

/// Which time a window aggregation's windows are of.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum WindowTime {
    /// The rowtime column at this index; windows fire on watermarks.
    Event { column: usize },
    /// The operator's clock (the time attribute was `PROCTIME()`).
    Processing,
}

/// When a row is too late for its windows.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Lateness {
    /// Window TVF aggregation (Flink's slicing operator): the row is dropped when the earliest
    /// window holding it has fired.
    PerSlice,
    /// Legacy group windows (Flink's window operator): each window on its own.
    PerWindow,
}

struct Pane {
    index: hashbrown::HashMap<Box<[u8]>, usize>,
    keys: Vec<Box<[u8]>>,
    accs: GroupedAccumulators,
}

struct Session {
    start: i64,
    end: i64,
    accs: Vec<Box<dyn Accumulator>>,
}

pub struct WindowAggregate {
    window: WindowSpec,
    time: WindowTime,
    clock: Option<Arc<dyn Clock>>,
    keys: KeyEncoder,
    calls: Arc<[AggregateCall]>,
    schema: SchemaRef,
    lateness: Lateness,
    /// Window time is a TIMESTAMP_LTZ (the time attribute was one).
    ltz: bool,
    panes: BTreeMap<(i64, i64), Pane>,
    sessions: HashMap<Box<[u8]>, Vec<Session>>,
    /// Rows at or before it are late (event time only: it stays at the minimum otherwise).
    watermark: i64,
    /// Processing time: the clock when windows last fired; a later row goes to windows after it
    /// (a window that fired at `end - 1` takes no row of that same millisecond).
    fired_up_to: i64,
    late: Arc<AtomicU64>,
    scratch: Vec<(i64, i64)>,
}

impl WindowAggregate {
    #[allow(clippy::too_many_arguments)]
    pub fn new(
        window: WindowSpec,
        time: WindowTime,
        keys: KeyEncoder,
        calls: Arc<[AggregateCall]>,
        schema: SchemaRef,
        lateness: Lateness,
        ltz: bool,
        late: Arc<AtomicU64>,
    ) -> Self {
        WindowAggregate {
            window,
            time,
            clock: None,
            keys,
            calls,
            schema: relaxed(&schema),
            lateness,
            ltz,
            panes: BTreeMap::new(),
            sessions: HashMap::new(),
            watermark: i64::MIN,
            fired_up_to: i64::MIN,
            late,
            scratch: Vec::new(),
        }
    }

    fn add_panes(&mut self, batch: &RecordBatch, ts: &TimestampMillisecondArray, keys: &KeyRows, inputs: &CallInputs) -> Result<(), BoxError> {
        // The rows of each window, windows in the order first seen (rows of a batch mostly share
        // their windows, so the last one used is tried first).
        let mut buckets: Vec<((i64, i64), Vec<u32>)> = Vec::new();
        let mut last = 0;
        let mut late = 0;
        for row in 0..batch.num_rows() {
            if ts.is_null(row) {
                continue;
            }
            self.window.assign(ts.value(row), &mut self.scratch);
            let fired = |end: i64| end - 1 <= self.watermark;
            // Flink's slicing operator adds a row whose slice has fired to the hopping windows
            // that have not (it merges it into their state); it drops it when the last has.
            let per_window = self.lateness == Lateness::PerWindow || matches!(self.window, WindowSpec::Hop { .. });
            let dropped = if per_window { self.scratch.iter().all(|w| fired(w.1)) } else { self.scratch.first().is_some_and(|w| fired(w.1)) };
            if dropped {
                late += 1;
                continue;
            }
            for &(start, end) in &self.scratch {
                if fired(end) {
                    continue;
                }
                let window = (end, start);
                if buckets.get(last).is_none_or(|b| b.0 != window) {
                    last = match buckets.iter().position(|b| b.0 == window) {
                        Some(i) => i,
                        None => {
                            buckets.push((window, Vec::new()));
                            buckets.len() - 1
                        }
                    };
                }
                buckets[last].1.push(row as u32);
            }
        }
        self.late.fetch_add(late, Ordering::Relaxed);
        for (window, rows) in buckets {
            let all = rows.len() == batch.num_rows();
            let pane = match self.panes.entry(window) {
                std::collections::btree_map::Entry::Occupied(e) => e.into_mut(),
                std::collections::btree_map::Entry::Vacant(e) => e.insert(Pane {
                    index: hashbrown::HashMap::new(),
                    keys: Vec::new(),
                    accs: GroupedAccumulators::new(self.calls.clone())?,
                }),
            };
            let groups: Vec<usize> = rows
                .iter()
                .map(|&row| {
                    let key = keys.row(row as usize);
                    match pane.index.get(key) {
                        Some(&g) => g,
                        None => {
                            let g = pane.keys.len();
                            let key: Box<[u8]> = Box::from(key);
                            pane.index.insert(key.clone(), g);
                            pane.keys.push(key);
                            g
                        }
                    }
                })
                .collect();
            if all {
                pane.accs.update(inputs, &groups, pane.keys.len())?;
            } else {
                pane.accs.update(&inputs.take(&UInt32Array::from(rows))?, &groups, pane.keys.len())?;
            }
        }
        Ok(())
    }

    fn add_sessions(&mut self, batch: &RecordBatch, ts: &TimestampMillisecondArray, keys: &KeyRows, inputs: &CallInputs) -> Result<(), BoxError> {
        let WindowSpec::Session { gap } = self.window else { unreachable!() };
        for row in 0..batch.num_rows() {
            if ts.is_null(row) {
                continue;
            }
            let t = ts.value(row);
            if t + gap - 1 <= self.watermark {
                self.late.fetch_add(1, Ordering::Relaxed);
                continue;
            }
            let key = keys.row(row);
            if !self.sessions.contains_key(key) {
                self.sessions.insert(Box::from(key), Vec::new());
            }
            let sessions = self.sessions.get_mut(key).expect("inserted above");
            let (mut start, mut end) = (t, t + gap);
            let mut merged: Option<Vec<Box<dyn Accumulator>>> = None;
            let mut i = 0;
            while i < sessions.len() {
                let s = &sessions[i];
                // Flink's TimeWindow.intersects: touching windows merge too.
                if s.start <= end && s.end >= start {
                    let s = sessions.remove(i);
                    start = start.min(s.start);
                    end = end.max(s.end);
                    merged = Some(match merged {
                        None => s.accs,
                        Some(mut into) => {
                            let mut from = s.accs;
                            for (a, b) in into.iter_mut().zip(from.iter_mut()) {
                                let state = b.state()?;
                                let arrays = state.iter().map(|v| v.to_array()).collect::<Result<Vec<_>, _>>()?;
                                a.merge_batch(&arrays)?;
                            }
                            into
                        }
                    });
                } else {
                    i += 1;
                }
            }
            let mut accs = match merged {
                Some(a) => a,
                None => self.calls.iter().map(|c| c.accumulator()).collect::<Result<Vec<_>, _>>()?,
            };
            for (c, acc) in accs.iter_mut().enumerate() {
                if inputs.filters[c].as_ref().is_some_and(|f| !f.is_valid(row) || !f.value(row)) {
                    continue;
                }
                let one: Vec<ArrayRef> = inputs.args[c].iter().map(|a| a.slice(row, 1)).collect();
                acc.update_batch(&one)?;
            }
            sessions.push(Session { start, end, accs });
        }
        Ok(())
    }

    /// The output rows; `fired_at` the processing time of the firing (the `window_time` of
    /// processing-time windows; event-time windows' is their max timestamp).
    fn output(&self, keys: Vec<ArrayRef>, starts: Vec<i64>, ends: Vec<i64>, aggregates: Vec<ArrayRef>, fired_at: i64) -> Result<RecordBatch, BoxError> {
        let times: Vec<i64> = match self.time {
            WindowTime::Event { .. } => ends.iter().map(|e| e - 1).collect(),
            WindowTime::Processing => vec![fired_at; ends.len()],
        };
        let mut columns = keys;
        columns.push(Arc::new(TimestampMillisecondArray::from(starts)));
        columns.push(Arc::new(TimestampMillisecondArray::from(ends)));
        let time = TimestampMillisecondArray::from(times);
        columns.push(if self.ltz { Arc::new(time.with_timezone("UTC")) } else { Arc::new(time) });
        columns.extend(aggregates);
        Ok(RecordBatch::try_new(self.schema.clone(), columns)?)
    }

    /// Fires the windows whose max timestamp is at or before `wm` (the watermark, or the clock
    /// of processing-time windows), which is `fired_at` in processing time.
    fn fire(&mut self, wm: i64, fired_at: i64, out: &mut Output<TableData>) -> Result<(), BoxError> {
        while let Some(entry) = self.panes.first_entry() {
            let (end, start) = *entry.key();
            if end - 1 > wm {
                break;
            }
            let pane = entry.remove();
            let n = pane.keys.len();
            let keys = self.keys.decode(pane.keys.iter().map(|k| k.as_ref()))?;
            let aggregates = pane.accs.evaluate()?;
            out.push(Record::new(ChangeBatch::inserts(self.output(keys, vec![start; n], vec![end; n], aggregates, fired_at)?)));
        }
        if self.window.is_session() {
            let mut fired: Vec<(i64, i64, Box<[u8]>, Vec<Box<dyn Accumulator>>)> = Vec::new();
            self.sessions.retain(|key, sessions| {
                let mut i = 0;
                while i < sessions.len() {
                    if sessions[i].end - 1 <= wm {
                        let s = sessions.remove(i);
                        fired.push((s.end, s.start, key.clone(), s.accs));
                    } else {
                        i += 1;
                    }
                }
                !sessions.is_empty()
            });
            if fired.is_empty() {
                return Ok(());
            }
            fired.sort_by(|a, b| (a.0, a.1).cmp(&(b.0, b.1)));
            let keys = self.keys.decode(fired.iter().map(|f| f.2.as_ref()))?;
            let mut per_call: Vec<Vec<datafusion_common::ScalarValue>> = vec![Vec::new(); self.calls.len()];
            let (mut starts, mut ends) = (Vec::new(), Vec::new());
            for (end, start, _, mut accs) in fired {
                starts.push(start);
                ends.push(end);
                for (c, acc) in accs.iter_mut().enumerate() {
                    per_call[c].push(acc.evaluate()?);
                }
            }
            let aggregates = per_call
                .into_iter()
                .zip(self.calls.iter())
                .map(|(scalars, call)| call.finish(scalars_to_array(scalars, call)?).map_err(BoxError::from))
                .collect::<Result<Vec<_>, _>>()?;
            out.push(Record::new(ChangeBatch::inserts(self.output(keys, starts, ends, aggregates, fired_at)?)));
        }
        Ok(())
    }
}

impl WindowAggregate {
    fn now(&self) -> i64 {
        self.clock.as_ref().map_or(0, |c| c.now())
    }
}

impl Operator<TableData> for WindowAggregate {
    fn open(&mut self, task: &TaskInfo) -> Result<(), BoxError> {
        self.clock = Some(task.clock.clone());
        Ok(())
    }

    fn process(&mut self, _: usize, records: Vec<Record<TableData>>, _out: &mut Output<TableData>) -> Result<(), BoxError> {
        for r in records {
            let batch = &r.value.batch;
            if r.value.kinds.is_some() {
                return Err(message("window aggregation received an update or delete row; it only consumes inserts"));
            }
            let ts = match self.time {
                WindowTime::Event { column } => {
                    let column = batch.column(column);
                    if !matches!(column.data_type(), DataType::Timestamp(..)) {
                        return Err(message("the window's time attribute is not a timestamp"));
                    }
                    millis(column.as_ref())?
                }
                WindowTime::Processing => TimestampMillisecondArray::from_value(self.now().max(self.fired_up_to.saturating_add(1)), batch.num_rows()),
            };
            let keys = self.keys.encode_rows(batch)?;
            let inputs = CallInputs::evaluate(&self.calls, batch)?;
            if self.window.is_session() {
                let user_code = self.calls.iter().any(|c| c.user_code);
                super::scope::run(user_code, || self.add_sessions(batch, &ts, &keys, &inputs))?;
            } else {
                self.add_panes(batch, &ts, &keys, &inputs)?;
            }
        }
        Ok(())
    }

    fn on_watermark(&mut self, watermark: i64, out: &mut Output<TableData>) -> Result<(), BoxError> {
        if let WindowTime::Event { .. } = self.time {
            self.watermark = self.watermark.max(watermark);
            let now = self.now();
            self.fire(self.watermark, now, out)?;
        }
        out.emit_watermark(watermark);
        Ok(())
    }

    fn on_processing_time(&mut self, now: i64, out: &mut Output<TableData>) -> Result<(), BoxError> {
        if self.time == WindowTime::Processing {
            self.fired_up_to = self.fired_up_to.max(now);
            self.fire(now, now, out)?;
        }
        Ok(())
    }

    /// One keyed entry per key of a window's pane (its accumulators' state) and per session;
    /// the current watermark is not kept (as Flink, it restarts from the inputs' watermarks).
    fn snapshot_state(&mut self, _: CheckpointId, state: &mut SnapshotWriter<'_, TableData>) -> Result<(), BoxError> {
        for (&(end, start), pane) in &mut self.panes {
            let hashes = key_hashes(&self.keys, pane.keys.iter().map(|k| k.as_ref()))?;
            for ((key, states), hash) in pane.keys.iter().zip(pane.accs.states()?).zip(hashes) {
                let mut e = Encoder::new();
                e.u64(PANE).i64(end).i64(start).bytes(key);
                for call in &states {
                    e.scalars(call)?;
                }
                state.keyed(&hash, e.finish())?;
            }
        }
        let user_code = self.calls.iter().any(|c| c.user_code);
        let (keys, calls, sessions) = (&self.keys, &self.calls, &mut self.sessions);
        super::scope::run(user_code, || {
            let hashes = key_hashes(keys, sessions.keys().map(|k| k.as_ref()))?;
            for ((key, list), hash) in sessions.iter_mut().zip(hashes) {
                for session in list {
                    let mut e = Encoder::new();
                    e.u64(SESSION).i64(session.start).i64(session.end).bytes(key);
                    encode_accumulators(&mut e, calls, &mut session.accs, false)?;
                    state.keyed(&hash, e.finish())?;
                }
            }
            Ok(())
        })
    }

    fn restore_state(&mut self, state: RestoredState<TableData>) -> Result<(), BoxError> {
        keyed_only(&state, "window aggregation")?;
        let user_code = self.calls.iter().any(|c| c.user_code);
        super::scope::run(user_code, || {
            for (_, payload) in &state.keyed {
                let mut d = Decoder::new(payload, "window aggregation");
                let (tag, a, b, key) = (d.u64()?, d.i64()?, d.i64()?, Box::<[u8]>::from(d.bytes()?));
                let states = (0..self.calls.len()).map(|_| d.scalars()).collect::<Result<Vec<_>, _>>()?;
                d.end()?;
                match tag {
                    PANE => {
                        let pane = match self.panes.entry((a, b)) {
                            std::collections::btree_map::Entry::Occupied(e) => e.into_mut(),
                            std::collections::btree_map::Entry::Vacant(e) => e.insert(Pane {
                                index: hashbrown::HashMap::new(),
                                keys: Vec::new(),
                                accs: GroupedAccumulators::new(self.calls.clone())?,
                            }),
                        };
                        pane.index.insert(key.clone(), pane.keys.len());
                        pane.keys.push(key);
                        pane.accs.push_state(&states)?;
                    }
                    SESSION => {
                        let accs = self.calls.iter().zip(&states).map(|(c, s)| merged(c, s, false)).collect::<Result<Vec<_>, _>>()?;
                        self.sessions.entry(key).or_default().push(Session { start: a, end: b, accs });
                    }
                    other => return Err(message(format!("corrupt window aggregation state in the snapshot: unknown entry kind {other}"))),
                }
            }
            Ok(())
        })
    }
}

/// Kinds of keyed entries in a window aggregation's snapshot.
const PANE: u64 = 0;
const SESSION: u64 = 1;
