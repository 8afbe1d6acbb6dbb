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
use oxflow_core::operator::{Operator, Output};

use super::calc::eval;
use super::data::{RowKind, TableData};
use super::rank_rows::{RankRows, RankedRow};
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

    super::refuse_checkpoints!("SQL deduplication");
}
