//! What the ranking operators (Top-N, deduplication, window Top-N) keep of a row: the whole row,
//! its partition key and its sort key as bytes (Arrow's row format). Sort keys are encoded with
//! the ORDER BY's directions and null order, so comparing their bytes is comparing the rows in
//! the ranking's order; and back to columns, with the rank number appended, for the output.

use std::sync::Arc;

use arrow::array::{ArrayRef, Int64Array, RecordBatch, RecordBatchOptions};
use arrow::datatypes::SchemaRef;
use arrow::row::{RowConverter, Rows, SortField};
use oxflow_core::data::Record;
use oxflow_core::error::BoxError;
use oxflow_core::operator::Output;

use super::calc::{eval, relaxed};
use super::data::{ChangeBatch, RowKind, TableData};
use super::keys::{KeyEncoder, KeyRows};
use crate::plan::RankSpec;

/// A row to emit: the row's bytes, its rank number, its kind.
pub type RankedRow = (Box<[u8]>, i64, RowKind);

/// The row encodings of one ranking.
pub struct RankRows {
    rows: RowConverter,
    sort: Option<RowConverter>,
    spec: Arc<RankSpec>,
    partition: KeyEncoder,
    /// The ranking's output: the input's columns, then the rank.
    schema: SchemaRef,
}

/// One input batch, encoded.
pub struct EncodedBatch {
    pub rows: Rows,
    pub partitions: KeyRows,
    /// `None` without ORDER BY (every row sorts alike).
    pub sort_keys: Option<Rows>,
}

impl EncodedBatch {
    pub fn sort_key(&self, i: usize) -> &[u8] {
        self.sort_keys.as_ref().map_or(&[], |k| k.row(i).data())
    }
}

impl RankRows {
    /// `input`: the ranking's input schema; `output`: the input's columns and the rank.
    pub fn new(spec: Arc<RankSpec>, input: &SchemaRef, output: &SchemaRef) -> Result<Self, BoxError> {
        let rows = RowConverter::new(input.fields().iter().map(|f| SortField::new(f.data_type().clone())).collect())?;
        let sort = if spec.order.is_empty() {
            None
        } else {
            let fields = spec.order_types.iter().zip(&spec.order_options).map(|(t, o)| SortField::new_with_options(t.clone(), *o)).collect();
            Some(RowConverter::new(fields)?)
        };
        let partition = KeyEncoder::new(spec.partition.clone(), spec.partition_types.clone())?;
        Ok(RankRows { rows, sort, spec, partition, schema: relaxed(output) })
    }

    /// The encoder of the PARTITION BY keys (whose routing hashes key the snapshot's entries).
    pub fn partition(&self) -> &KeyEncoder {
        &self.partition
    }

    pub fn encode(&self, batch: &RecordBatch) -> Result<EncodedBatch, BoxError> {
        let rows = self.rows.convert_columns(batch.columns())?;
        let partitions = self.partition.encode_rows(batch)?;
        let sort_keys = match &self.sort {
            None => None,
            Some(converter) => {
                let columns = self.spec.order.iter().map(|e| eval(e, batch)).collect::<Result<Vec<ArrayRef>, _>>()?;
                Some(converter.convert_columns(&columns)?)
            }
        };
        Ok(EncodedBatch { rows, partitions, sort_keys })
    }

    /// Emits `rows` (if any) as one output record.
    pub fn emit(&self, rows: &[RankedRow], out: &mut Output<TableData>) -> Result<(), BoxError> {
        if !rows.is_empty() {
            out.push(Record::new(self.output(rows)?));
        }
        Ok(())
    }

    /// The rows as one output batch (kinds omitted when all are inserts).
    pub fn output(&self, rows: &[RankedRow]) -> Result<ChangeBatch, BoxError> {
        let parser = self.rows.parser();
        let mut columns = self.rows.convert_rows(rows.iter().map(|r| parser.parse(&r.0)))?;
        columns.push(Arc::new(Int64Array::from_iter_values(rows.iter().map(|r| r.1))));
        let options = RecordBatchOptions::new().with_row_count(Some(rows.len()));
        let batch = RecordBatch::try_new_with_options(self.schema.clone(), columns, &options)?;
        let kinds: Arc<[RowKind]> = rows.iter().map(|r| r.2).collect();
        let all_inserts = kinds.iter().all(|k| *k == RowKind::Insert);
        Ok(ChangeBatch { batch, kinds: if all_inserts { None } else { Some(kinds) } })
    }
}
