//! Group keys as bytes (Arrow's row format), so rows of many key columns hash and compare as one
//! value, and back to columns when results are emitted.

use arrow::array::{ArrayRef, RecordBatch};
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
        let rows = self.encode_rows(batch)?;
        Ok((0..batch.num_rows()).map(|i| Box::from(rows.row(i))).collect())
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
