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

    /// The key of every row of `batch`.
    pub fn encode(&self, batch: &RecordBatch) -> Result<Vec<Box<[u8]>>, BoxError> {
        let Some(converter) = &self.converter else {
            return Ok(vec![Box::default(); batch.num_rows()]);
        };
        let columns = self.exprs.iter().map(|e| eval(e, batch)).collect::<Result<Vec<_>, _>>()?;
        let rows = converter.convert_columns(&columns)?;
        Ok(rows.iter().map(|r| Box::from(r.as_ref())).collect())
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
