//! Key partitioning of Arrow batches for a keyed exchange: a batch is split into one sub-batch
//! per downstream subtask, and each sub-batch is routed by the hash of one of its rows, so the
//! runtime's hash exchange (which routes whole records) sends every row to the subtask owning
//! its key's key group.

use arrow::array::UInt32Array;
use datafusion_common::hash_utils::{create_hashes, RandomState};
use oxflow_core::data::{Keyed, Record};
use oxflow_core::error::BoxError;
use oxflow_core::key_group::{key_group_of, operator_index_of};
use oxflow_core::operator::{Operator, Output};

use super::calc::eval;
use super::data::TableData;
use crate::plan::PhysExpr;

/// The routing hash of every row of the key `columns` into `hashes` (sized to the rows; left at
/// 0 without columns). Seeded alike in every process, so snapshots can store it with their
/// keyed state (see `data::TableData`).
pub fn hash_columns(columns: &[arrow::array::ArrayRef], hashes: &mut [u64]) -> Result<(), BoxError> {
    if !columns.is_empty() {
        create_hashes(columns, &RandomState::with_seed(0), hashes)?;
    }
    Ok(())
}

/// Chained before a hash edge into a keyed operator of parallelism `targets`.
#[derive(Clone)]
pub struct KeyPartitioner {
    keys: Vec<PhysExpr>,
    targets: usize,
    max_parallelism: usize,
    hashes: Vec<u64>,
}

impl KeyPartitioner {
    /// `max_parallelism`: the job's (key groups are the runtime's formula over it).
    pub fn new(keys: Vec<PhysExpr>, targets: usize, max_parallelism: usize) -> Self {
        KeyPartitioner { keys, targets, max_parallelism, hashes: Vec::new() }
    }

    fn route(&self, hash: u64) -> usize {
        operator_index_of(key_group_of(hash, self.max_parallelism), self.targets, self.max_parallelism)
    }
}

impl Operator<TableData> for KeyPartitioner {
    fn process(&mut self, _: usize, records: Vec<Record<TableData>>, out: &mut Output<TableData>) -> Result<(), BoxError> {
        for r in records {
            let n = r.value.num_rows();
            if n == 0 {
                continue;
            }
            self.hashes.clear();
            self.hashes.resize(n, 0);
            if !self.keys.is_empty() {
                let columns = self.keys.iter().map(|e| eval(e, &r.value.batch)).collect::<Result<Vec<_>, _>>()?;
                hash_columns(&columns, &mut self.hashes)?;
            }
            // Rows per target, in input order (the order per key is kept).
            let mut rows: Vec<Vec<u32>> = vec![Vec::new(); self.targets];
            for (i, &h) in self.hashes.iter().enumerate() {
                rows[self.route(h)].push(i as u32);
            }
            for target_rows in rows.into_iter().filter(|r| !r.is_empty()) {
                let hash = self.hashes[target_rows[0] as usize];
                let value = if target_rows.len() == n { r.value.clone() } else { r.value.take(&UInt32Array::from(target_rows))? };
                out.push(Record { value, timestamp: None, key: Some(Keyed { key: hash, hash }), output: r.output });
            }
        }
        Ok(())
    }
}
