//! OVER aggregation (Flink's RowTime/ProcTime {Rows,Range}{Bounded,Unbounded}PrecedingFunction
//! rules; our code), keyed by the PARTITION BY keys. One output row per input row: the row, then
//! its aggregates over the frame ending at it. Append-only.
//!
//! On event time rows are held until the watermark passes their time, then processed in time
//! order (a key's rows of one time in arrival order; on RANGE frames they are peers with one
//! result). Late rows are dropped, by Flink's two rules: an unbounded frame drops rows at or
//! before the operator's watermark; a bounded frame drops rows at or before the last time its
//! key processed (so a row behind the watermark still counts if its key has not gone past it).
//! A bounded frame keeps only the rows that can still be in it (ROWS: the last n; RANGE: the
//! interval before the last time processed).
//!
//! On processing time rows are processed when they arrive, a batch's rows at one time.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use arrow::array::{Array, ArrayRef, RecordBatch};
use arrow::datatypes::{Schema, SchemaRef};
use datafusion_common::ScalarValue;
use oxflow_core::checkpoint::snapshot::{RestoredState, SnapshotWriter};
use oxflow_core::checkpoint::CheckpointId;
use oxflow_core::data::Record;
use oxflow_core::error::{message, BoxError};
use oxflow_core::operator::{Operator, Output};

use super::accumulators::{scalars_to_array, CallInputs};
use super::calc::relaxed;
use super::data::{ChangeBatch, TableData};
use super::keys::KeyEncoder;
use super::over_frame::{is_bounded, KeyFrame};
use super::snapshot::{keyed_only, write_keyed, Decoder, Encoder};
use super::watermark::millis;
use crate::plan::{AggregateCall, OverFrame, OverSpec, TimeAttribute};

type Row = Box<[u8]>;

/// Rows processed per output batch (a watermark far ahead fires many).
const FIRE_ROWS: usize = 4096;

/// A row waiting for the watermark: its key and where it is.
struct Pending {
    key: Row,
    batch: u64,
    row: u32,
}

pub struct OverAggregate {
    calls: Arc<[AggregateCall]>,
    frame: OverFrame,
    rowtime: bool,
    time_column: usize,
    keys: KeyEncoder,
    output: SchemaRef,
    frames: HashMap<Row, KeyFrame>,
    /// Rows waiting for the watermark, by (time, arrival).
    pending: BTreeMap<(i64, u64), Pending>,
    /// RANGE frames: the keys' cleanup timers, by (time, key).
    cleanup: BTreeSet<(i64, Row)>,
    /// Input batches holding pending rows, with how many of their rows are still pending.
    batches: HashMap<u64, (RecordBatch, usize)>,
    next_batch: u64,
    seq: u64,
    watermark: i64,
    user_code: bool,
    late: Arc<AtomicU64>,
}

impl OverAggregate {
    pub fn new(spec: &OverSpec, output: &SchemaRef, late: Arc<AtomicU64>) -> Result<Self, BoxError> {
        let calls: Arc<[AggregateCall]> = spec.aggregates.clone().into();
        let rowtime = spec.time == TimeAttribute::Rowtime;
        // On processing time Flink's unbounded RANGE function is its ROWS one: rows arrive one by one.
        let frame = match spec.frame {
            OverFrame::Range(None) if !rowtime => OverFrame::Rows(None),
            f => f,
        };
        Ok(OverAggregate {
            user_code: calls.iter().any(|c| c.user_code),
            calls,
            frame,
            rowtime,
            time_column: spec.time_column,
            keys: KeyEncoder::new(spec.partition.clone(), spec.partition_types.clone())?,
            output: relaxed(output),
            frames: HashMap::new(),
            pending: BTreeMap::new(),
            cleanup: BTreeSet::new(),
            batches: HashMap::new(),
            next_batch: 0,
            seq: 0,
            watermark: i64::MIN,
            late,
        })
    }

    fn bounded(&self) -> bool {
        is_bounded(self.frame)
    }

    /// Whether a row of `key` at `time` is late (see the module's two rules).
    fn is_late(&self, key: &[u8], time: i64) -> bool {
        if self.bounded() {
            time <= self.frames.get(key).map_or(0, |f| f.last_time)
        } else {
            time <= self.watermark
        }
    }

    /// Holds the rows of `batch` (at `now` on processing time); returns how many are held.
    fn hold(&mut self, batch: RecordBatch, now: Option<i64>) -> Result<usize, BoxError> {
        let keys = self.keys.encode_rows(&batch)?;
        let times = millis(batch.column(self.time_column).as_ref())?;
        let id = self.next_batch;
        let mut held = 0;
        for i in 0..batch.num_rows() {
            let key = keys.row(i);
            let time = match now {
                Some(now) => now,
                None if times.is_null(i) => {
                    self.late.fetch_add(1, Ordering::Relaxed);
                    continue;
                }
                None => times.value(i),
            };
            if now.is_none() && self.is_late(key, time) {
                self.late.fetch_add(1, Ordering::Relaxed);
                continue;
            }
            if let (OverFrame::Range(Some(ms)), None) = (self.frame, now) {
                self.register_cleanup(key, time, ms)?;
            }
            self.seq += 1;
            self.pending.insert((time, self.seq), Pending { key: key.into(), batch: id, row: i as u32 });
            held += 1;
        }
        if held > 0 {
            self.next_batch += 1;
            self.batches.insert(id, (batch, held));
        }
        Ok(held)
    }

    /// A RANGE frame's row of `key` at `time` moves the key's cleanup time past the rows that
    /// may still need it (Flink registers a timer at 1.5 intervals when it is less than one).
    fn register_cleanup(&mut self, key: &[u8], time: i64, ms: i64) -> Result<(), BoxError> {
        let state = match self.frames.get_mut(key) {
            Some(s) => s,
            None => self.frames.entry(key.into()).or_insert(KeyFrame::new(&self.calls, self.frame)?),
        };
        if state.cleanup_time.is_none_or(|c| c < time + ms + 1) {
            let at = time + (ms as f64 * 1.5) as i64 + 1;
            state.cleanup_time = Some(at);
            self.cleanup.insert((at, key.into()));
        }
        Ok(())
    }

    /// The cleanup timers at or before `until`, after the rows they follow were processed: the
    /// key's state is dropped at its cleanup time, an earlier timer is only its latest time.
    fn fire_cleanup(&mut self, until: i64) {
        while self.cleanup.first().is_some_and(|(t, _)| *t <= until) {
            let (time, key) = self.cleanup.pop_first().expect("a timer");
            let Some(state) = self.frames.get_mut(&key) else { continue };
            if state.cleanup_time.is_some_and(|c| c <= time) {
                self.frames.remove(&key);
            } else {
                state.last_time = state.last_time.max(time);
            }
        }
    }

    /// Processes the held rows at or before `until`, in time order.
    fn fire(&mut self, until: i64, out: &mut Output<TableData>) -> Result<(), BoxError> {
        loop {
            let mut due = Vec::new();
            while let Some(entry) = self.pending.first_entry() {
                let time = entry.key().0;
                // A time's rows go together (peers), so batches only end between times.
                if time > until || (due.len() >= FIRE_ROWS && due.last().is_some_and(|(t, _)| *t != time)) {
                    break;
                }
                due.push((time, entry.remove()));
            }
            if due.is_empty() {
                self.fire_cleanup(until);
                return Ok(());
            }
            let batch = self.aggregate(due)?;
            out.push(Record::new(ChangeBatch::inserts(batch)));
        }
    }

    /// The output rows of `due` (in time and arrival order): a time's rows grouped by key, keys
    /// in the order of their first row.
    fn aggregate(&mut self, due: Vec<(i64, Pending)>) -> Result<RecordBatch, BoxError> {
        // (time, key, the rows as (batch, row)).
        let mut groups: Vec<(i64, Row, Vec<(u64, u32)>)> = Vec::new();
        let mut start = 0;
        while start < due.len() {
            let time = due[start].0;
            let end = start + due[start..].iter().take_while(|(t, _)| *t == time).count();
            let mut index: HashMap<&[u8], usize> = HashMap::new();
            for (_, p) in &due[start..end] {
                let g = *index.entry(&p.key).or_insert_with(|| {
                    groups.push((time, p.key.clone(), Vec::new()));
                    groups.len() - 1
                });
                groups[g].2.push((p.batch, p.row));
            }
            start = end;
        }
        // The rows in output order, taken from their batches at once.
        let mut slots: HashMap<u64, usize> = HashMap::new();
        let mut sources: Vec<&RecordBatch> = Vec::new();
        let mut indices = Vec::with_capacity(due.len());
        for (_, _, rows) in &groups {
            for &(batch, row) in rows {
                let slot = *slots.entry(batch).or_insert_with(|| {
                    sources.push(&self.batches[&batch].0);
                    sources.len() - 1
                });
                indices.push((slot, row as usize));
            }
        }
        let rows = arrow::compute::interleave_record_batch(&sources, &indices)?;
        let inputs = CallInputs::evaluate(&self.calls, &rows)?;
        let mut results: Vec<Vec<ScalarValue>> = vec![Vec::with_capacity(rows.num_rows()); self.calls.len()];
        let (calls, frame, frames) = (&self.calls, self.frame, &mut self.frames);
        super::scope::run(self.user_code, || {
            let mut at = 0;
            for (time, key, group) in &groups {
                let state = match frames.get_mut(key) {
                    Some(s) => s,
                    None => frames.entry(key.clone()).or_insert(KeyFrame::new(calls, frame)?),
                };
                state.process(calls, frame, *time, &inputs, at..at + group.len(), &mut results)?;
                at += group.len();
            }
            Ok(())
        })?;
        for (_, _, group) in &groups {
            for (batch, _) in group {
                let entry = self.batches.get_mut(batch).expect("pending rows' batch is held");
                entry.1 -= 1;
                if entry.1 == 0 {
                    self.batches.remove(batch);
                }
            }
        }
        let mut columns: Vec<ArrayRef> = rows.columns().to_vec();
        for (call, values) in self.calls.iter().zip(results) {
            columns.push(call.finish(scalars_to_array(values, call)?)?);
        }
        Ok(RecordBatch::try_new(self.output.clone(), columns)?)
    }
}

/// Kinds of keyed entries in an OVER aggregation's snapshot.
const FRAME: u64 = 0;
const PENDING: u64 = 1;
const CLEANUP: u64 = 2;

impl OverAggregate {
    /// Every key's state as `(key, payload)`: its frame, its rows waiting for the watermark (one
    /// batch of them, with their times and arrival order) and its cleanup timers. The watermark
    /// is not kept, as in Flink.
    fn snapshot(&mut self) -> Result<Vec<(Row, Vec<u8>)>, BoxError> {
        let mut entries = Vec::new();
        let (calls, frame) = (&self.calls, self.frame);
        for (key, state) in self.frames.iter_mut() {
            let mut e = Encoder::new();
            e.u64(FRAME).bytes(key);
            state.snapshot(calls, frame, &mut e)?;
            entries.push((key.clone(), e.finish()));
        }
        let mut pending: HashMap<&[u8], Vec<(i64, u64, &Pending)>> = HashMap::new();
        for (&(time, seq), p) in &self.pending {
            pending.entry(&p.key).or_default().push((time, seq, p));
        }
        for (key, rows) in pending {
            let mut slots: HashMap<u64, usize> = HashMap::new();
            let mut sources: Vec<&RecordBatch> = Vec::new();
            let indices: Vec<(usize, usize)> = rows
                .iter()
                .map(|(_, _, p)| {
                    let slot = *slots.entry(p.batch).or_insert_with(|| {
                        sources.push(&self.batches[&p.batch].0);
                        sources.len() - 1
                    });
                    (slot, p.row as usize)
                })
                .collect();
            let batch = arrow::compute::interleave_record_batch(&sources, &indices)?;
            let mut e = Encoder::new();
            e.u64(PENDING).bytes(key).u64(rows.len() as u64);
            for (time, seq, _) in &rows {
                e.i64(*time).u64(*seq);
            }
            e.columns(batch.columns())?;
            entries.push((key.into(), e.finish()));
        }
        let mut timers: HashMap<&[u8], Vec<i64>> = HashMap::new();
        for (time, key) in &self.cleanup {
            timers.entry(key).or_default().push(*time);
        }
        for (key, times) in timers {
            let mut e = Encoder::new();
            e.u64(CLEANUP).bytes(key).u64(times.len() as u64);
            times.iter().for_each(|t| {
                e.i64(*t);
            });
            entries.push((key.into(), e.finish()));
        }
        Ok(entries)
    }

    /// Takes back what [`OverAggregate::snapshot`] wrote (of one or more old subtasks).
    fn restore<'a>(&mut self, payloads: impl IntoIterator<Item = &'a [u8]>) -> Result<(), BoxError> {
        let inputs = self.output.fields().len() - self.calls.len();
        let input = Arc::new(Schema::new(self.output.fields()[..inputs].to_vec()));
        // (time, old arrival, key, batch, row): renumbered in that order, old subtasks' arrival
        // numbers being unrelated.
        let mut pending = Vec::new();
        for payload in payloads {
            let mut d = Decoder::new(payload, "OVER aggregation");
            let (tag, key) = (d.u64()?, Row::from(d.bytes()?));
            match tag {
                FRAME => {
                    let frame = KeyFrame::restore(&self.calls, self.frame, &mut d)?;
                    self.frames.insert(key, frame);
                }
                PENDING => {
                    let n = d.u64()? as usize;
                    let order = (0..n).map(|_| Ok((d.i64()?, d.u64()?))).collect::<Result<Vec<_>, BoxError>>()?;
                    let batch = RecordBatch::try_new(input.clone(), d.columns()?)?;
                    if batch.num_rows() != n {
                        return Err(message(format!("corrupt OVER aggregation state in the snapshot: {} rows for {n} waiting rows", batch.num_rows())));
                    }
                    let id = self.next_batch;
                    self.next_batch += 1;
                    self.batches.insert(id, (batch, n));
                    pending.extend(order.into_iter().enumerate().map(|(i, (time, seq))| (time, seq, key.clone(), id, i as u32)));
                }
                CLEANUP => {
                    for _ in 0..d.u64()? {
                        self.cleanup.insert((d.i64()?, key.clone()));
                    }
                }
                other => return Err(message(format!("corrupt OVER aggregation state in the snapshot: unknown entry kind {other}"))),
            }
            d.end()?;
        }
        pending.sort_by_key(|p| (p.0, p.1));
        for (time, _, key, batch, row) in pending {
            self.seq += 1;
            self.pending.insert((time, self.seq), Pending { key, batch, row });
        }
        Ok(())
    }
}

impl Operator<TableData> for OverAggregate {
    fn process(&mut self, _: usize, records: Vec<Record<TableData>>, out: &mut Output<TableData>) -> Result<(), BoxError> {
        for r in records {
            if r.value.num_rows() == 0 {
                continue;
            }
            if self.rowtime {
                self.hold(r.value.batch, None)?;
            } else {
                let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_millis() as i64).unwrap_or(0);
                self.hold(r.value.batch, Some(now))?;
                self.fire(i64::MAX, out)?;
            }
        }
        Ok(())
    }

    fn on_watermark(&mut self, watermark: i64, out: &mut Output<TableData>) -> Result<(), BoxError> {
        self.watermark = self.watermark.max(watermark);
        if self.rowtime {
            self.fire(self.watermark, out)?;
        }
        out.emit_watermark(watermark);
        Ok(())
    }

    fn snapshot_state(&mut self, _: CheckpointId, state: &mut SnapshotWriter<'_, TableData>) -> Result<(), BoxError> {
        // A Python aggregate's accumulators give their state inside the call scope.
        let (keys, payloads): (Vec<Row>, Vec<Vec<u8>>) = super::scope::run(self.user_code, || self.snapshot())?.into_iter().unzip();
        write_keyed(state, &self.keys, keys.iter().map(AsRef::as_ref).zip(payloads).collect())
    }

    fn restore_state(&mut self, state: RestoredState<TableData>) -> Result<(), BoxError> {
        keyed_only(&state, "OVER aggregation")?;
        super::scope::run(self.user_code, || self.restore(state.keyed.iter().map(|(_, p)| p.as_slice())))
    }
}

#[cfg(test)]
#[path = "over_aggregate_tests.rs"]
mod tests;
