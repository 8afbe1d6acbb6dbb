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
/// runtime's key is the routing hash of a row's key columns (`partition::hash_columns`, the same
/// in every process), so a snapshot's keyed entries carry that hash and land, on restore, on the
/// subtask that owns its key group.
pub struct TableData;

impl DataModel for TableData {
    type Value = ChangeBatch;
    type Key = u64;

    fn key_eq(a: &u64, b: &u64) -> bool {
        a == b
    }

    fn duplicate(value: &ChangeBatch) -> ChangeBatch {
        value.clone()
    }

    fn duplicate_key(key: &u64) -> u64 {
        *key
    }

    fn encode_key(key: &u64, out: &mut Vec<u8>) -> Result<(), BoxError> {
        out.extend_from_slice(&key.to_le_bytes());
        Ok(())
    }

    fn decode_key(bytes: &[u8]) -> Result<u64, BoxError> {
        let bytes: [u8; 8] = bytes.try_into().map_err(|_| oxflow_core::error::message("corrupt snapshot: a SQL key hash is not 8 bytes"))?;
        Ok(u64::from_le_bytes(bytes))
    }

    fn hash_key(key: &u64) -> Result<u64, BoxError> {
        Ok(*key)
    }

    fn stable_key_hash() -> bool {
        true
    }
}
