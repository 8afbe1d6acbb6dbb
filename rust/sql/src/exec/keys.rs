//! Group keys as bytes (Arrow's row format), so rows of many key columns hash and compare as one
//! value, and back to columns when results are emitted.

use arrow::array::{Array, ArrayRef, RecordBatch};
use arrow::datatypes::DataType;
use arrow::row::{RowConverter, SortField};
use oxflow_core::error::BoxError;

use super::calc::eval;
use crate::plan::PhysExpr;

pub struct KeyEncoder {
    exprs: Vec<PhysExpr>,
    /// `None` without keys (a global aggregate): every row has the empty key.
    converter: Option<RowConverter>,
}

impl KeyEncoder {
    pub fn new(exprs: Vec<PhysExpr>, types: Vec<DataType>) -> Result<Self, BoxError> {
        let converter = if exprs.is_empty() {
            None
        } else {
            Some(RowConverter::new(types.into_iter().map(SortField::new).collect())?)
        };
        Ok(KeyEncoder { exprs, converter })
    }

    /// The key of every row of `batch`, one allocation each (see [`KeyEncoder::encode_rows`]).
    pub fn encode(&self, batch: &RecordBatch) -> Result<Vec<Box<[u8]>>, BoxError> {
        Ok(self.encode_with_nulls(batch)?.0)
    }

    /// The key of every row, and which rows have a NULL in their key (`None` when none has):
    /// joins match no row on such a key, as SQL's `=` never holds for NULL.
    pub fn encode_with_nulls(&self, batch: &RecordBatch) -> Result<(Vec<Box<[u8]>>, Option<Vec<bool>>), BoxError> {
        let Some(converter) = &self.converter else {
            return Ok((vec![Box::default(); batch.num_rows()], None));
        };
        let columns = self.exprs.iter().map(|e| eval(e, batch)).collect::<Result<Vec<_>, _>>()?;
        let rows = converter.convert_columns(&columns)?;
        let nulls = if columns.iter().all(|c| c.null_count() == 0) {
            None
        } else {
            Some((0..batch.num_rows()).map(|i| columns.iter().any(|c| c.is_null(i))).collect())
        };
        Ok((rows.iter().map(|r| Box::from(r.as_ref())).collect(), nulls))
    }

    /// The key of every row of `batch`, in one buffer (no allocation per row).
    pub fn encode_rows(&self, batch: &RecordBatch) -> Result<KeyRows, BoxError> {
        let Some(converter) = &self.converter else {
            return Ok(KeyRows::Empty);
        };
        let columns = self.exprs.iter().map(|e| eval(e, batch)).collect::<Result<Vec<_>, _>>()?;
        Ok(KeyRows::Rows(converter.convert_columns(&columns)?))
    }

    /// The key columns of `keys` (none without keys).
    pub fn decode<'a>(&self, keys: impl IntoIterator<Item = &'a [u8]>) -> Result<Vec<ArrayRef>, BoxError> {
        let Some(converter) = &self.converter else {
            return Ok(Vec::new());
        };
        let parser = converter.parser();
        let rows: Vec<_> = keys.into_iter().map(|k| parser.parse(k)).collect();
        Ok(converter.convert_rows(rows)?)
    }
}

/// The keys of a batch's rows, as [`KeyEncoder::encode_rows`] gives them.
pub enum KeyRows {
    /// No key columns: every row has the empty key.
    Empty,
    Rows(arrow::row::Rows),
}

impl KeyRows {
    pub fn row(&self, i: usize) -> &[u8] {
        match self {
            KeyRows::Empty => &[],
            KeyRows::Rows(rows) => rows.row(i).data(),
        }
    }
}
