//! Deduplication (`ROW_NUMBER() OVER (PARTITION BY k ORDER BY time [DESC]) = 1` without the rank
//! in the output), with Flink 2.3's changelog for each form (its deduplicate functions' rules;
//! our code):
//! - keep the last row: +I for a key's first row, then -U of the kept row and +U of the new one
//!   for every row that is not older (on event time: whose rowtime is not smaller; late rows
//!   count too, as in Flink);
//! - keep the first row on processing time: the key's first row, +I, nothing after;
//! - keep the first row on event time: insert-only too, so the earliest row of a key is held
//!   until the watermark passes its time and then emitted; rows behind the watermark are late and
//!   dropped, and a key's later rows once it was emitted are ignored.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use arrow::array::Array;
use arrow::datatypes::SchemaRef;
use oxflow_core::data::Record;
use oxflow_core::error::BoxError;
use oxflow_core::checkpoint::snapshot::{RestoredState, SnapshotWriter};
use oxflow_core::checkpoint::CheckpointId;
use oxflow_core::operator::{Operator, Output};

use super::calc::eval;
use super::data::{RowKind, TableData};
use super::rank_rows::{RankRows, RankedRow};
use super::snapshot::{keyed_only, write_keyed, Decoder, Encoder};
use super::watermark::millis;
use crate::plan::{PhysExpr, RankSpec, RankStrategy};

type Row = Box<[u8]>;

/// A key's row held until the watermark passes its time (keep first on event time).
struct Held {
    time: i64,
    seq: u64,
    row: Row,
}

/// The rules, free of Arrow so they are tested on their own.
pub struct DedupState {
    keep_last: bool,
    rowtime: bool,
    /// Keep last, and keep first on processing time: the kept row (and its time) per key.
    kept: HashMap<Row, (i64, Row)>,
    /// Keep first on event time: rows held per key, the keys already emitted, and the held
    /// rows by (time, arrival) to emit them in time order.
    held: HashMap<Row, Held>,
    due: BTreeMap<(i64, u64), Row>,
    emitted: HashSet<Row>,
    seq: u64,
    watermark: i64,
}

impl DedupState {
    pub fn new(keep_last: bool, rowtime: bool) -> Self {
        DedupState {
            keep_last,
            rowtime,
            kept: HashMap::new(),
            held: HashMap::new(),
            due: BTreeMap::new(),
            emitted: HashSet::new(),
            seq: 0,
            watermark: i64::MIN,
        }
    }

    /// Applies one input row of `key` with time `time` (ignored on processing time); returns
    /// whether it was dropped as late.
    pub fn apply(&mut self, key: &[u8], time: i64, row: &[u8], out: &mut Vec<RankedRow>) -> bool {
        if self.keep_last {
            match self.kept.get_mut(key) {
                None => {
                    self.kept.insert(key.into(), (time, row.into()));
                    out.push((row.into(), 1, RowKind::Insert));
                }
                Some(kept) if !self.rowtime || kept.0 <= time => {
                    let old = std::mem::replace(kept, (time, row.into()));
                    out.push((old.1, 1, RowKind::UpdateBefore));
                    out.push((row.into(), 1, RowKind::UpdateAfter));
                }
                Some(_) => {}
            }
            return false;
        }
        if !self.rowtime {
            if !self.kept.contains_key(key) {
                self.kept.insert(key.into(), (time, Box::default()));
                out.push((row.into(), 1, RowKind::Insert));
            }
            return false;
        }
        if time <= self.watermark {
            return true;
        }
        if self.emitted.contains(key) {
            return false;
        }
        self.seq += 1;
        match self.held.get_mut(key) {
            Some(h) if time < h.time => {
                self.due.remove(&(h.time, h.seq));
                *h = Held { time, seq: self.seq, row: row.into() };
                self.due.insert((time, self.seq), key.into());
            }
            Some(_) => {}
            None => {
                self.held.insert(key.into(), Held { time, seq: self.seq, row: row.into() });
                self.due.insert((time, self.seq), key.into());
            }
        }
        false
    }

    /// Event time advanced: held first rows at or before `watermark` are emitted.
    pub fn advance(&mut self, watermark: i64, out: &mut Vec<RankedRow>) {
        self.watermark = self.watermark.max(watermark);
        while let Some(entry) = self.due.first_entry() {
            if entry.key().0 > self.watermark {
                break;
            }
            let key = entry.remove();
            let held = self.held.remove(&key).expect("due rows are held");
            out.push((held.row, 1, RowKind::Insert));
            self.emitted.insert(key);
        }
    }
}

/// Kinds of keyed entries in a deduplication's snapshot.
const KEPT: u64 = 0;
const HELD: u64 = 1;
const EMITTED: u64 = 2;

impl DedupState {
    /// Every key's state as `(key, payload)` (the watermark is not kept, as in Flink).
    fn snapshot(&self) -> Vec<(&[u8], Vec<u8>)> {
        let mut entries = Vec::with_capacity(self.kept.len() + self.held.len() + self.emitted.len());
        for (key, (time, row)) in &self.kept {
            entries.push((key.as_ref(), Encoder::new().u64(KEPT).bytes(key).i64(*time).bytes(row).finish()));
        }
        for (key, h) in &self.held {
            entries.push((key.as_ref(), Encoder::new().u64(HELD).bytes(key).i64(h.time).u64(h.seq).bytes(&h.row).finish()));
        }
        for key in &self.emitted {
            entries.push((key.as_ref(), Encoder::new().u64(EMITTED).bytes(key).finish()));
        }
        entries
    }

    /// Takes back the entries [`DedupState::snapshot`] wrote (of one or more old subtasks).
    fn restore<'a>(&mut self, payloads: impl IntoIterator<Item = &'a [u8]>) -> Result<(), BoxError> {
        let mut held = Vec::new();
        for payload in payloads {
            let mut d = Decoder::new(payload, "deduplication");
            let (tag, key) = (d.u64()?, Row::from(d.bytes()?));
            match tag {
                KEPT => {
                    let time = d.i64()?;
                    self.kept.insert(key, (time, d.bytes()?.into()));
                }
                HELD => {
                    let (time, seq) = (d.i64()?, d.u64()?);
                    held.push((time, seq, key, Row::from(d.bytes()?)));
                }
                EMITTED => {
                    self.emitted.insert(key);
                }
                other => return Err(oxflow_core::error::message(format!("corrupt deduplication state in the snapshot: unknown entry kind {other}"))),
            }
            d.end()?;
        }
        // Arrival numbers of several old subtasks may repeat: numbered again in their order.
        held.sort_by(|a, b| (a.0, a.1).cmp(&(b.0, b.1)));
        for (time, _, key, row) in held {
            self.seq += 1;
            self.due.insert((time, self.seq), key.clone());
            self.held.insert(key, Held { time, seq: self.seq, row });
        }
        Ok(())
    }
}

/// The operator, keyed by the PARTITION BY keys.
pub struct Deduplicate {
    rows: RankRows,
    time: PhysExpr,
    state: DedupState,
    late: Arc<AtomicU64>,
}

impl Deduplicate {
    pub fn new(spec: Arc<RankSpec>, input: &SchemaRef, output: &SchemaRef, late: Arc<AtomicU64>) -> Result<Self, BoxError> {
        let RankStrategy::Deduplicate { keep_last, rowtime } = spec.strategy else {
            unreachable!("a deduplication")
        };
        let time = spec.order[0].clone();
        Ok(Deduplicate { rows: RankRows::new(spec, input, output)?, time, state: DedupState::new(keep_last, rowtime), late })
    }
}

impl Operator<TableData> for Deduplicate {
    fn process(&mut self, _: usize, records: Vec<Record<TableData>>, out: &mut Output<TableData>) -> Result<(), BoxError> {
        let mut changes = Vec::new();
        for r in &records {
            let batch = &r.value.batch;
            let encoded = self.rows.encode(batch)?;
            let times = millis(eval(&self.time, batch)?.as_ref())?;
            for i in 0..batch.num_rows() {
                let time = if times.is_null(i) { i64::MIN } else { times.value(i) };
                if self.state.apply(encoded.partitions.row(i), time, encoded.rows.row(i).data(), &mut changes) {
                    self.late.fetch_add(1, Ordering::Relaxed);
                }
            }
        }
        self.rows.emit(&changes, out)?;
        Ok(())
    }

    fn on_watermark(&mut self, watermark: i64, out: &mut Output<TableData>) -> Result<(), BoxError> {
        let mut changes = Vec::new();
        self.state.advance(watermark, &mut changes);
        self.rows.emit(&changes, out)?;
        out.emit_watermark(watermark);
        Ok(())
    }

    fn snapshot_state(&mut self, _: CheckpointId, state: &mut SnapshotWriter<'_, TableData>) -> Result<(), BoxError> {
        write_keyed(state, self.rows.partition(), self.state.snapshot())
    }

    fn restore_state(&mut self, state: RestoredState<TableData>) -> Result<(), BoxError> {
        keyed_only(&state, "deduplication")?;
        self.state.restore(state.keyed.iter().map(|(_, p)| p.as_slice()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Keys and rows are one byte; time is the row's byte.
    fn feed(state: &mut DedupState, rows: &[(u8, u8)], watermark: Option<i64>) -> Vec<(u8, RowKind)> {
        let mut out = Vec::new();
        for &(key, row) in rows {
            state.apply(&[key], row as i64, &[row], &mut out);
        }
        if let Some(w) = watermark {
            state.advance(w, &mut out);
        }
        out.into_iter().map(|(r, _, k)| (r[0], k)).collect()
    }

    #[test]
    fn every_form_continues_after_a_snapshot_as_before() {
        for (keep_last, rowtime) in [(true, true), (true, false), (false, false), (false, true)] {
            let mut original = DedupState::new(keep_last, rowtime);
            feed(&mut original, &[(1, 10), (2, 20), (1, 12), (3, 5), (2, 18)], Some(11));
            let mut restored = DedupState::new(keep_last, rowtime);
            restored.restore(original.snapshot().iter().map(|e| e.1.as_slice())).unwrap();
            // The watermark is not restored: the first one after the restore re-establishes it.
            let next = [(1, 30), (2, 25), (4, 40), (3, 7)];
            let expected = feed(&mut original, &next, Some(50));
            restored.advance(11, &mut Vec::new());
            assert_eq!(feed(&mut restored, &next, Some(50)), expected, "keep_last {keep_last}, rowtime {rowtime}");
            assert!(!expected.is_empty());
        }
    }
}
