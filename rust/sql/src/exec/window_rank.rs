//! Window Top-N (Flink's WindowRank): a ranking partitioned by a window TVF's window_start and
//! window_end. Rows are held per window and partition; when the watermark passes a window's end
//! its rows are sorted and the ranks in range emitted once, as inserts. Rows of a window that has
//! already fired are late and dropped (rows from a window aggregation arrive just before the
//! watermark that fires their window, so they never are).

use std::collections::{BTreeMap, HashMap};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use arrow::array::Array;
use arrow::datatypes::SchemaRef;
use oxflow_core::data::Record;
use oxflow_core::error::BoxError;
use oxflow_core::operator::{Operator, Output};

use super::data::{RowKind, TableData};
use super::rank_rows::{RankRows, RankedRow};
use super::watermark::millis;
use crate::plan::{RankFunction, RankSpec, RankStrategy};

type Row = Box<[u8]>;

/// One partition's rows of a window: (sort key, row), in arrival order.
type WindowRows = Vec<(Row, Row)>;

/// The rules, free of Arrow so they are tested on their own.
pub struct WindowRankState {
    function: RankFunction,
    start: i64,
    end: i64,
    /// Rows by window end, then partition (partitions in first-arrival order).
    windows: BTreeMap<i64, (HashMap<Row, usize>, Vec<WindowRows>)>,
    watermark: i64,
}

impl WindowRankState {
    pub fn new(function: RankFunction, start: u64, end: u64) -> Self {
        WindowRankState { function, start: start as i64, end: end as i64, windows: BTreeMap::new(), watermark: i64::MIN }
    }

    /// Holds a row of the window ending at `window_end`; false when that window has fired.
    pub fn add(&mut self, window_end: i64, partition: &[u8], key: &[u8], row: &[u8]) -> bool {
        if window_end - 1 <= self.watermark {
            return false;
        }
        let (index, partitions) = self.windows.entry(window_end).or_default();
        let i = *index.entry(partition.into()).or_insert_with(|| {
            partitions.push(Vec::new());
            partitions.len() - 1
        });
        partitions[i].push((key.into(), row.into()));
        true
    }

    /// Fires the windows whose end the watermark passed: their ranked rows in range.
    pub fn advance(&mut self, watermark: i64, out: &mut Vec<RankedRow>) {
        self.watermark = self.watermark.max(watermark);
        while let Some(entry) = self.windows.first_entry() {
            if *entry.key() - 1 > self.watermark {
                break;
            }
            let (_, partitions) = entry.remove();
            for mut rows in partitions {
                // Stable: equal sort keys keep their arrival order.
                rows.sort_by(|a, b| a.0.cmp(&b.0));
                let mut rank = 0i64;
                let mut dense = 0i64;
                for (i, (key, row)) in rows.iter().enumerate() {
                    let new_key = i == 0 || rows[i - 1].0 != *key;
                    rank = match self.function {
                        RankFunction::RowNumber => i as i64 + 1,
                        RankFunction::Rank if new_key => i as i64 + 1,
                        RankFunction::Rank => rank,
                        RankFunction::DenseRank => {
                            if new_key {
                                dense += 1;
                            }
                            dense
                        }
                    };
                    if rank > self.end {
                        break;
                    }
                    if rank >= self.start {
                        out.push((row.clone(), rank, RowKind::Insert));
                    }
                }
            }
        }
    }
}

/// The operator, keyed by the PARTITION BY keys (window_start, window_end and the others).
pub struct WindowRank {
    rows: RankRows,
    window_end: usize,
    state: WindowRankState,
    late: Arc<AtomicU64>,
}

impl WindowRank {
    pub fn new(spec: Arc<RankSpec>, input: &SchemaRef, output: &SchemaRef, late: Arc<AtomicU64>) -> Result<Self, BoxError> {
        let RankStrategy::Window { window_end } = spec.strategy else {
            unreachable!("a window ranking")
        };
        let (start, end) = spec.range.expect("a bounded ranking");
        let state = WindowRankState::new(spec.function, start, end);
        Ok(WindowRank { rows: RankRows::new(spec, input, output)?, window_end, state, late })
    }
}

impl Operator<TableData> for WindowRank {
    fn process(&mut self, _: usize, records: Vec<Record<TableData>>, _: &mut Output<TableData>) -> Result<(), BoxError> {
        for r in &records {
            let batch = &r.value.batch;
            let encoded = self.rows.encode(batch)?;
            let ends = millis(batch.column(self.window_end).as_ref())?;
            for i in 0..batch.num_rows() {
                if ends.is_null(i) {
                    continue;
                }
                if !self.state.add(ends.value(i), encoded.partitions.row(i), encoded.sort_key(i), encoded.rows.row(i).data()) {
                    self.late.fetch_add(1, Ordering::Relaxed);
                }
            }
        }
        Ok(())
    }

    fn on_watermark(&mut self, watermark: i64, out: &mut Output<TableData>) -> Result<(), BoxError> {
        let mut changes = Vec::new();
        self.state.advance(watermark, &mut changes);
        self.rows.emit(&changes, out)?;
        out.emit_watermark(watermark);
        Ok(())
    }

    super::refuse_checkpoints!("SQL window Top-N");
}
