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
use oxflow_core::checkpoint::snapshot::{RestoredState, SnapshotWriter};
use oxflow_core::checkpoint::CheckpointId;
use oxflow_core::data::Record;
use oxflow_core::error::BoxError;
use oxflow_core::operator::{Operator, Output};

use super::data::{RowKind, TableData};
use super::rank_rows::{RankRows, RankedRow};
use super::snapshot::{keyed_only, write_keyed, Decoder, Encoder};
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

impl WindowRankState {
    /// Each window's partitions as `(partition, payload)` (the watermark is not kept, as in
    /// Flink: rows of windows that fired are gone).
    fn snapshot(&self) -> Vec<(&[u8], Vec<u8>)> {
        let mut entries = Vec::new();
        for (&window_end, (index, partitions)) in &self.windows {
            for (partition, &i) in index {
                let mut e = Encoder::new();
                e.i64(window_end).bytes(partition).u64(partitions[i].len() as u64);
                for (key, row) in &partitions[i] {
                    e.bytes(key).bytes(row);
                }
                entries.push((partition.as_ref(), e.finish()));
            }
        }
        entries
    }

    /// Takes back what [`WindowRankState::snapshot`] wrote (of one or more old subtasks).
    fn restore<'a>(&mut self, payloads: impl IntoIterator<Item = &'a [u8]>) -> Result<(), BoxError> {
        for payload in payloads {
            let mut d = Decoder::new(payload, "window Top-N");
            let (window_end, partition) = (d.i64()?, d.bytes()?);
            for _ in 0..d.u64()? {
                let key = d.bytes()?;
                self.add(window_end, partition, key, d.bytes()?);
            }
            d.end()?;
        }
        Ok(())
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

    fn snapshot_state(&mut self, _: CheckpointId, state: &mut SnapshotWriter<'_, TableData>) -> Result<(), BoxError> {
        write_keyed(state, self.rows.partition(), self.state.snapshot())
    }

    fn restore_state(&mut self, state: RestoredState<TableData>) -> Result<(), BoxError> {
        keyed_only(&state, "window Top-N")?;
        self.state.restore(state.keyed.iter().map(|(_, p)| p.as_slice()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ranked(out: &[RankedRow]) -> Vec<(String, i64)> {
        let mut v: Vec<(String, i64)> = out.iter().map(|(row, rank, _)| (String::from_utf8(row.to_vec()).unwrap(), *rank)).collect();
        v.sort();
        v
    }

    #[test]
    fn windows_fire_their_top_rows_once_and_restored_windows_rank_as_the_original() {
        let mut original = WindowRankState::new(RankFunction::RowNumber, 1, 2);
        for (end, partition, key, row) in [(10, "p", "3", "p3"), (10, "p", "1", "p1"), (10, "p", "2", "p2"), (10, "q", "5", "q5"), (20, "p", "9", "p9")] {
            assert!(original.add(end, partition.as_bytes(), key.as_bytes(), row.as_bytes()));
        }
        let entries: Vec<Vec<u8>> = original.snapshot().into_iter().map(|(_, p)| p).collect();
        assert_eq!(entries.len(), 3, "one entry per window and partition");
        let mut out = Vec::new();
        original.advance(9, &mut out);
        assert_eq!(ranked(&out), [("p1".to_string(), 1), ("p2".to_string(), 2), ("q5".to_string(), 1)]);
        assert!(!original.add(10, b"p", b"0", b"late"), "the window has fired");
        original.advance(i64::MAX, &mut out);
        // Split across two new subtasks, the windows fire alike.
        let (mut first, mut second) = (WindowRankState::new(RankFunction::RowNumber, 1, 2), WindowRankState::new(RankFunction::RowNumber, 1, 2));
        first.restore(entries[..1].iter().map(Vec::as_slice)).unwrap();
        second.restore(entries[1..].iter().map(Vec::as_slice)).unwrap();
        let mut restored = Vec::new();
        first.advance(i64::MAX, &mut restored);
        second.advance(i64::MAX, &mut restored);
        assert_eq!(ranked(&restored), ranked(&out));
        assert!(WindowRankState::new(RankFunction::RowNumber, 1, 2).restore([&entries[0][..4]]).is_err());
    }
}
