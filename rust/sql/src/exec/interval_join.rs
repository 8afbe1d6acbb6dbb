//! Event-time interval joins with the semantics of Flink's RowTimeIntervalJoin (our code): rows
//! of each side are cached per key and time while rows of the other side can still join them,
//! i.e. until the watermark (the minimum of both inputs) passes their bound; cleanup timers per key
//! expire them, emitting outer rows that never joined padded with NULLs. A row arriving after
//! its bound is joined with what the cache still holds but not cached; on an inner side, when
//! it joined nothing, it is dropped and counted as late. The output is append-only and its
//! watermark is held back by the larger relative window size, so the output's rowtime attributes
//! stay valid downstream.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use arrow::array::Array;
use arrow::datatypes::SchemaRef;
use oxflow_core::data::Record;
use oxflow_core::error::BoxError;
use oxflow_core::checkpoint::snapshot::{RestoredState, SnapshotWriter};
use oxflow_core::checkpoint::CheckpointId;
use oxflow_core::operator::{Operator, Output};

use super::data::{ChangeBatch, RowKind, TableData};
use super::join_rows::{joined, padded, JoinRows, JoinedRow};
use super::keys::KeyEncoder;
use super::snapshot::{keyed_only, write_keyed, Decoder, Encoder};
use super::watermark::millis;
use crate::plan::{IntervalBounds, JoinKind, PhysExpr};

type Cache = HashMap<Box<[u8]>, BTreeMap<i64, Vec<(Box<[u8]>, bool)>>>;

/// The cached rows of both sides, their cleanup timers and the expiration logic; free of Arrow
/// so the rules are tested on their own. Side 0 is the left input, 1 the right.
pub struct IntervalState {
    outer: [bool; 2],
    /// How far a row of the other side may lie before (left) / after (right) a row of this
    /// side: `[-lower, upper]` of `left.time - right.time`.
    relative: [i64; 2],
    min_cleanup: i64,
    caches: [Cache; 2],
    /// The cleanup timer registered for each key's cache of each side.
    timer_of: HashMap<Box<[u8]>, [Option<i64>; 2]>,
    timers: BTreeSet<(i64, Box<[u8]>)>,
    /// Up to which time each side's cache has been cleaned.
    expiration: [i64; 2],
    /// The watermark (0 before the first positive one, as Flink's operator time).
    operator_time: i64,
    /// Rows dropped because they arrived past their bound and joined nothing.
    pub late: u64,
}

/// Which rows of the other side satisfy the join condition with the probing row.
pub type Matcher<'a> = dyn FnMut(&[&[u8]]) -> Result<Vec<bool>, BoxError> + 'a;

fn expiration_time(operator_time: i64, relative: i64) -> i64 {
    if operator_time == i64::MAX {
        return i64::MAX;
    }
    operator_time.saturating_sub(relative).saturating_sub(1)
}

impl IntervalState {
    pub fn new(kind: JoinKind, bounds: &IntervalBounds) -> Self {
        let relative = [-bounds.lower, bounds.upper];
        IntervalState {
            outer: [kind.left_outer(), kind.right_outer()],
            relative,
            min_cleanup: (relative[0] + relative[1]) / 2,
            caches: [HashMap::new(), HashMap::new()],
            timer_of: HashMap::new(),
            timers: BTreeSet::new(),
            expiration: [i64::MIN, i64::MIN],
            operator_time: 0,
            late: 0,
        }
    }

    /// How far the output watermark stays behind the input's.
    pub fn watermark_delay(&self) -> i64 {
        self.relative[0].max(self.relative[1]).max(0)
    }

    /// A row of `side` with event time `time`; `key` is `None` when its key has a NULL (it
    /// joins nothing).
    pub fn process(&mut self, side: usize, key: Option<&[u8]>, time: i64, row: &[u8], matcher: &mut Matcher<'_>, out: &mut Vec<JoinedRow>) -> Result<(), BoxError> {
        let other = 1 - side;
        let lower = time.saturating_sub(self.relative[other]);
        let upper = time.saturating_add(self.relative[side]);
        let Some(key) = key else {
            if self.outer[side] {
                out.push(padded(side, row, RowKind::Insert));
            } else {
                self.late += u64::from(self.operator_time >= upper);
            }
            return Ok(());
        };
        let mut emitted = false;
        // The other side's cache can only hold partners while it is not cleaned past `upper`.
        if self.expiration[other] < upper {
            self.expiration[other] = expiration_time(self.operator_time, self.relative[other]);
            let expired_until = self.expiration[other];
            if let Some(cache) = self.caches[other].get_mut(key) {
                if lower <= upper {
                    let candidates: Vec<(i64, usize)> = cache.range(lower..=upper).flat_map(|(t, v)| (0..v.len()).map(move |i| (*t, i))).collect();
                    if !candidates.is_empty() {
                        let rows: Vec<&[u8]> = candidates.iter().map(|(t, i)| cache[t][*i].0.as_ref()).collect();
                        let ok = matcher(&rows)?;
                        for ((t, i), ok) in candidates.into_iter().zip(ok) {
                            if ok {
                                let entry = &mut cache.get_mut(&t).expect("candidate")[i];
                                out.push(joined(side, row, &entry.0, RowKind::Insert));
                                entry.1 = true;
                                emitted = true;
                            }
                        }
                    }
                }
                let expired: Vec<i64> = cache.range(..=expired_until).map(|(t, _)| *t).collect();
                for t in expired {
                    let rows = cache.remove(&t).expect("present");
                    if self.outer[other] {
                        out.extend(rows.iter().filter(|r| !r.1).map(|r| padded(other, &r.0, RowKind::Insert)));
                    }
                }
            }
        }
        if self.operator_time < upper {
            self.caches[side].entry(key.into()).or_default().entry(time).or_default().push((row.into(), emitted));
            if self.timer_of.get(key).is_none_or(|t| t[side].is_none()) {
                self.register(side, key, time);
            }
        } else if !emitted {
            if self.outer[side] {
                out.push(padded(side, row, RowKind::Insert));
            } else {
                self.late += 1;
            }
        }
        Ok(())
    }

    fn register(&mut self, side: usize, key: &[u8], time: i64) {
        let at = time.saturating_add(self.relative[side]).saturating_add(self.min_cleanup).saturating_add(1);
        self.timers.insert((at, key.into()));
        self.timer_of.entry(key.into()).or_default()[side] = Some(at);
    }

    /// The watermark advanced: fire the cleanup timers it passed.
    pub fn advance(&mut self, watermark: i64, out: &mut Vec<JoinedRow>) {
        self.operator_time = watermark.max(0);
        while let Some((at, _)) = self.timers.first() {
            if *at > watermark {
                break;
            }
            let (at, key) = self.timers.pop_first().expect("first");
            let registered = self.timer_of.get(&key).copied().unwrap_or_default();
            // Flink checks the right cache's timer first, then the left's.
            for side in [1, 0] {
                if registered[side] == Some(at) {
                    self.expiration[side] = expiration_time(self.operator_time, self.relative[side]);
                    self.remove_expired(side, &key, out);
                }
            }
        }
    }

    fn remove_expired(&mut self, side: usize, key: &[u8], out: &mut Vec<JoinedRow>) {
        let until = self.expiration[side];
        let mut earliest = None;
        if let Some(cache) = self.caches[side].get_mut(key) {
            let expired: Vec<i64> = cache.range(..=until).map(|(t, _)| *t).collect();
            for t in expired {
                let rows = cache.remove(&t).expect("present");
                if self.outer[side] {
                    out.extend(rows.iter().filter(|r| !r.1).map(|r| padded(side, &r.0, RowKind::Insert)));
                }
            }
            earliest = cache.keys().next().copied();
        }
        match earliest {
            Some(t) => self.register(side, key, t),
            None => {
                self.caches[side].remove(key);
                if let Some(t) = self.timer_of.get_mut(key) {
                    t[side] = None;
                    if t.iter().all(Option::is_none) {
                        self.timer_of.remove(key);
                    }
                }
            }
        }
    }
}

impl IntervalState {
    /// One entry per key: both sides' cached rows (with whether each joined) and cleanup timers.
    /// Operator time and expiration are not kept: as Flink's, they restart from the watermarks.
    fn snapshot(&self) -> Vec<(&[u8], Vec<u8>)> {
        let mut keys: Vec<&Box<[u8]>> = self.caches[0].keys().chain(self.caches[1].keys()).chain(self.timer_of.keys()).collect();
        keys.sort();
        keys.dedup();
        keys.into_iter()
            .map(|key| {
                let mut e = Encoder::new();
                e.bytes(key);
                for side in 0..2 {
                    let cache = self.caches[side].get(key);
                    e.u64(cache.map_or(0, |c| c.len() as u64));
                    for (time, rows) in cache.into_iter().flatten() {
                        e.i64(*time).u64(rows.len() as u64);
                        for (row, joined) in rows {
                            e.bytes(row).u64(*joined as u64);
                        }
                    }
                    match self.timer_of.get(key).and_then(|t| t[side]) {
                        Some(at) => e.u64(1).i64(at),
                        None => e.u64(0),
                    };
                }
                (key.as_ref(), e.finish())
            })
            .collect()
    }

    fn restore<'a>(&mut self, payloads: impl IntoIterator<Item = &'a [u8]>) -> Result<(), BoxError> {
        for payload in payloads {
            let mut d = Decoder::new(payload, "interval join");
            let key: Box<[u8]> = d.bytes()?.into();
            for side in 0..2 {
                for _ in 0..d.u64()? {
                    let time = d.i64()?;
                    let rows = (0..d.u64()?).map(|_| -> Result<(Box<[u8]>, bool), BoxError> { Ok((d.bytes()?.into(), d.u64()? != 0)) }).collect::<Result<Vec<_>, _>>()?;
                    self.caches[side].entry(key.clone()).or_default().insert(time, rows);
                }
                if d.u64()? != 0 {
                    let at = d.i64()?;
                    self.timers.insert((at, key.clone()));
                    self.timer_of.entry(key.clone()).or_default()[side] = Some(at);
                }
            }
            d.end()?;
        }
        Ok(())
    }
}

pub struct IntervalJoin {
    keys: [KeyEncoder; 2],
    time_columns: [usize; 2],
    rows: JoinRows,
    condition: Option<PhysExpr>,
    state: IntervalState,
    late_metric: Arc<AtomicU64>,
}

impl IntervalJoin {
    #[allow(clippy::too_many_arguments)]
    pub fn new(
        keys: [KeyEncoder; 2],
        inputs: [SchemaRef; 2],
        joined: SchemaRef,
        kind: JoinKind,
        bounds: IntervalBounds,
        condition: Option<PhysExpr>,
        late_metric: Arc<AtomicU64>,
    ) -> Result<Self, BoxError> {
        Ok(IntervalJoin {
            keys,
            time_columns: [bounds.left_time, bounds.right_time],
            rows: JoinRows::new(&inputs[0], &inputs[1], &joined)?,
            condition,
            state: IntervalState::new(kind, &bounds),
            late_metric,
        })
    }

    fn process_batch(&mut self, side: usize, input: &ChangeBatch, out: &mut Vec<JoinedRow>) -> Result<(), BoxError> {
        let batch = &input.batch;
        let (keys, null_keys) = self.keys[side].encode_with_nulls(batch)?;
        let times = millis(batch.column(self.time_columns[side]).as_ref())?;
        let encoded = self.rows.encode(side, batch)?;
        let before = self.state.late;
        for i in 0..batch.num_rows() {
            if times.is_null(i) {
                continue;
            }
            let row = encoded.row(i).data();
            let key = if null_keys.as_ref().is_some_and(|n| n[i]) { None } else { Some(keys[i].as_ref()) };
            let (rows, condition) = (&self.rows, &self.condition);
            let mut matcher = |others: &[&[u8]]| -> Result<Vec<bool>, BoxError> {
                match condition {
                    None => Ok(vec![true; others.len()]),
                    Some(c) => {
                        let pairs: Vec<_> = others.iter().map(|o| if side == 0 { (Some(row), Some(*o)) } else { (Some(*o), Some(row)) }).collect();
                        rows.matches(c, &pairs)
                    }
                }
            };
            self.state.process(side, key, times.value(i), row, &mut matcher, out)?;
        }
        self.late_metric.fetch_add(self.state.late - before, Ordering::Relaxed);
        Ok(())
    }
}

impl Operator<TableData> for IntervalJoin {
    fn process(&mut self, port: usize, records: Vec<Record<TableData>>, out: &mut Output<TableData>) -> Result<(), BoxError> {
        let side = port.min(1);
        let mut changes = Vec::new();
        for r in &records {
            self.process_batch(side, &r.value, &mut changes)?;
        }
        if !changes.is_empty() {
            out.push(Record::new(self.rows.output(&changes)?));
        }
        Ok(())
    }

    fn on_watermark(&mut self, watermark: i64, out: &mut Output<TableData>) -> Result<(), BoxError> {
        let mut changes = Vec::new();
        self.state.advance(watermark, &mut changes);
        if !changes.is_empty() {
            out.push(Record::new(self.rows.output(&changes)?));
        }
        let held = if watermark == i64::MAX { watermark } else { watermark.saturating_sub(self.state.watermark_delay()) };
        out.emit_watermark(held);
        Ok(())
    }

    fn snapshot_state(&mut self, _: CheckpointId, state: &mut SnapshotWriter<'_, TableData>) -> Result<(), BoxError> {
        write_keyed(state, &self.keys[0], self.state.snapshot())
    }

    fn restore_state(&mut self, state: RestoredState<TableData>) -> Result<(), BoxError> {
        keyed_only(&state, "interval join")?;
        self.state.restore(state.keyed.iter().map(|(_, p)| p.as_slice()))
    }
}

#[cfg(test)]
#[path = "interval_join_tests.rs"]
mod tests;
