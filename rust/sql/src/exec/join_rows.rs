//! Rows of both join inputs as bytes (Arrow's row format), so join state holds one compact value
//! per row that hashes and compares by value, and back to columns for the joined output or for
//! evaluating the join condition over candidate pairs.

use std::sync::Arc;

use arrow::array::{new_null_array, Array, ArrayRef, AsArray, RecordBatch, RecordBatchOptions, UInt32Array};
use arrow::datatypes::SchemaRef;
use arrow::row::{RowConverter, Rows, SortField};
use oxflow_core::data::Record;
use oxflow_core::error::BoxError;
use oxflow_core::operator::Output;

use super::calc::{eval, relaxed};
use super::data::{ChangeBatch, RowKind, TableData};
use crate::plan::PhysExpr;

/// A joined row before decoding: the left and the right input's row, `None` for NULL padding.
pub type JoinedRow = (Option<Box<[u8]>>, Option<Box<[u8]>>, RowKind);

/// Row `row` of input `side` (0 left, 1 right) joined with `other`, a row of the other side.
pub fn joined(side: usize, row: &[u8], other: &[u8], kind: RowKind) -> JoinedRow {
    if side == 0 {
        (Some(row.into()), Some(other.into()), kind)
    } else {
        (Some(other.into()), Some(row.into()), kind)
    }
}

/// Row `row` of input `side` padded with NULLs for the other side.
pub fn padded(side: usize, row: &[u8], kind: RowKind) -> JoinedRow {
    if side == 0 {
        (Some(row.into()), None, kind)
    } else {
        (None, Some(row.into()), kind)
    }
}

pub struct JoinRows {
    sides: [RowConverter; 2],
    /// Fields of each side, for NULL padding.
    fields: [SchemaRef; 2],
    /// The joined row: the left's columns, then the right's.
    schema: SchemaRef,
}

impl JoinRows {
    pub fn new(left: &SchemaRef, right: &SchemaRef, joined: &SchemaRef) -> Result<Self, BoxError> {
        let converter = |s: &SchemaRef| RowConverter::new(s.fields().iter().map(|f| SortField::new(f.data_type().clone())).collect());
        Ok(JoinRows { sides: [converter(left)?, converter(right)?], fields: [left.clone(), right.clone()], schema: relaxed(joined) })
    }

    /// Every row of `batch`, from input `side` (0 left, 1 right).
    pub fn encode(&self, side: usize, batch: &RecordBatch) -> Result<Rows, BoxError> {
        Ok(self.sides[side].convert_columns(batch.columns())?)
    }

    /// The columns of `side` for `rows`, NULL where a row is absent.
    fn columns(&self, side: usize, rows: &[Option<&[u8]>]) -> Result<Vec<ArrayRef>, BoxError> {
        let converter = &self.sides[side];
        let parser = converter.parser();
        let present: Vec<_> = rows.iter().flatten().map(|r| parser.parse(r)).collect();
        if present.is_empty() {
            return Ok(self.fields[side].fields().iter().map(|f| new_null_array(f.data_type(), rows.len())).collect());
        }
        let arrays = converter.convert_rows(present)?;
        if rows.iter().all(Option::is_some) {
            return Ok(arrays);
        }
        let mut next = 0u32;
        let indices: UInt32Array = rows
            .iter()
            .map(|r| {
                r.map(|_| {
                    next += 1;
                    next - 1
                })
            })
            .collect();
        Ok(arrays.iter().map(|a| arrow::compute::take(a, &indices, None)).collect::<Result<_, _>>()?)
    }

    /// The joined rows of `pairs` as one batch.
    pub fn batch(&self, pairs: &[(Option<&[u8]>, Option<&[u8]>)]) -> Result<RecordBatch, BoxError> {
        let left: Vec<_> = pairs.iter().map(|p| p.0).collect();
        let right: Vec<_> = pairs.iter().map(|p| p.1).collect();
        let mut columns = self.columns(0, &left)?;
        columns.extend(self.columns(1, &right)?);
        let options = RecordBatchOptions::new().with_row_count(Some(pairs.len()));
        Ok(RecordBatch::try_new_with_options(self.schema.clone(), columns, &options)?)
    }

    /// Whether `condition` holds for each of `pairs` (NULL counts as false).
    pub fn matches(&self, condition: &PhysExpr, pairs: &[(Option<&[u8]>, Option<&[u8]>)]) -> Result<Vec<bool>, BoxError> {
        if pairs.is_empty() {
            return Ok(Vec::new());
        }
        let mask = eval(condition, &self.batch(pairs)?)?;
        let mask = mask.as_boolean();
        Ok((0..mask.len()).map(|i| mask.is_valid(i) && mask.value(i)).collect())
    }

    /// Which (left, right) pairs satisfy `condition` (every pair without one).
    pub fn pairs_match(&self, condition: Option<&PhysExpr>, pairs: &[(&[u8], &[u8])]) -> Result<Vec<bool>, BoxError> {
        match condition {
            None => Ok(vec![true; pairs.len()]),
            Some(c) => self.matches(c, &pairs.iter().map(|(l, r)| (Some(*l), Some(*r))).collect::<Vec<_>>()),
        }
    }

    /// Runs `advance` (a watermark-driven join firing what the watermark passed) with a matcher
    /// of `condition`, then emits the joined rows it gave and the watermark.
    pub fn fire(
        &self,
        condition: Option<&PhysExpr>,
        watermark: i64,
        out: &mut Output<TableData>,
        advance: impl FnOnce(&mut dyn FnMut(&[(&[u8], &[u8])]) -> Result<Vec<bool>, BoxError>, &mut Vec<JoinedRow>) -> Result<(), BoxError>,
    ) -> Result<(), BoxError> {
        let mut changes = Vec::new();
        advance(&mut |pairs: &[(&[u8], &[u8])]| self.pairs_match(condition, pairs), &mut changes)?;
        if !changes.is_empty() {
            out.push(Record::new(self.output(&changes)?));
        }
        out.emit_watermark(watermark);
        Ok(())
    }

    /// The changes `rows` as one batch of the joined schema.
    pub fn output(&self, rows: &[JoinedRow]) -> Result<ChangeBatch, BoxError> {
        let pairs: Vec<_> = rows.iter().map(|(l, r, _)| (l.as_deref(), r.as_deref())).collect();
        let kinds: Arc<[RowKind]> = rows.iter().map(|r| r.2).collect();
        let all_inserts = kinds.iter().all(|k| *k == RowKind::Insert);
        Ok(ChangeBatch { batch: self.batch(&pairs)?, kinds: if all_inserts { None } else { Some(kinds) } })
    }
}
