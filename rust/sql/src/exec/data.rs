//! What flows between SQL operators: Arrow record batches, each row with its change kind.

use std::sync::Arc;

use arrow::array::RecordBatch;
use oxflow_core::data::DataModel;
use oxflow_core::error::BoxError;

/// Flink's `RowKind`, with its byte values.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[repr(u8)]
pub enum RowKind {
    Insert = 0,
    UpdateBefore = 1,
    UpdateAfter = 2,
    Delete = 3,
}

impl RowKind {
    /// `+I`, `-U`, `+U`, `-D`.
    pub fn short(self) -> &'static str {
        match self {
            RowKind::Insert => "+I",
            RowKind::UpdateBefore => "-U",
            RowKind::UpdateAfter => "+U",
            RowKind::Delete => "-D",
        }
    }

    /// Adds to the aggregate (+I, +U) rather than retracting from it (-U, -D).
    pub fn is_accumulate(self) -> bool {
        matches!(self, RowKind::Insert | RowKind::UpdateAfter)
    }

    pub fn from_u8(b: u8) -> Option<RowKind> {
        Some(match b {
            0 => RowKind::Insert,
            1 => RowKind::UpdateBefore,
            2 => RowKind::UpdateAfter,
            3 => RowKind::Delete,
            _ => return None,
        })
    }
}

/// A batch of rows and their kinds (`None`: all inserts, the common case of append-only streams).
#[derive(Clone, Debug)]
pub struct ChangeBatch {
    pub batch: RecordBatch,
    pub kinds: Option<Arc<[RowKind]>>,
}

impl ChangeBatch {
    pub fn inserts(batch: RecordBatch) -> Self {
        ChangeBatch { batch, kinds: None }
    }

    pub fn kind(&self, row: usize) -> RowKind {
        self.kinds.as_ref().map_or(RowKind::Insert, |k| k[row])
    }

    pub fn num_rows(&self) -> usize {
        self.batch.num_rows()
    }

    /// The rows at `indices`, kinds kept.
    pub fn take(&self, indices: &arrow::array::UInt32Array) -> Result<ChangeBatch, arrow::error::ArrowError> {
        let batch = arrow::compute::take_record_batch(&self.batch, indices)?;
        let kinds = self.kinds.as_ref().map(|k| indices.values().iter().map(|&i| k[i as usize]).collect::<Arc<[RowKind]>>());
        Ok(ChangeBatch { batch, kinds })
    }
}

/// The data model of SQL jobs. Rows are keyed inside the operators that group them; the
/// runtime's key is only the hash that routes a sub-batch to its subtask.
pub struct TableData;

impl DataModel for TableData {
    type Value = ChangeBatch;
    type Key = ();

    fn key_eq(_: &(), _: &()) -> bool {
        true
    }

    fn duplicate(value: &ChangeBatch) -> ChangeBatch {
        value.clone()
    }

    fn duplicate_key(_: &()) {}

    fn hash_key(_: &()) -> Result<u64, BoxError> {
        Ok(0)
    }
}
