//! Rows joined with the rows a table function produces for them (Flink's correlate): the
//! function gets a whole batch of arguments at once; each produced row is the input row's
//! columns (and row kind) followed by the function's. Outer: a row the function produced
//! nothing for is kept once, with NULLs.

use std::sync::Arc;

use arrow::array::{ArrayRef, RecordBatch, UInt32Array};
use arrow::datatypes::SchemaRef;
use oxflow_core::data::Record;
use oxflow_core::error::{message, BoxError};
use oxflow_core::operator::{Operator, Output};

use super::calc::{eval, relaxed};
use super::data::{ChangeBatch, TableData};
use crate::functions::TableFunction;
use crate::plan::PhysExpr;

#[derive(Clone)]
pub struct Correlate {
    function: Arc<dyn TableFunction>,
    args: Vec<PhysExpr>,
    outer: bool,
    schema: SchemaRef,
}

impl Correlate {
    pub fn new(function: Arc<dyn TableFunction>, args: Vec<PhysExpr>, outer: bool, schema: SchemaRef) -> Self {
        Correlate { function, args, outer, schema: relaxed(&schema) }
    }

    pub fn apply(&self, input: &ChangeBatch) -> Result<Option<ChangeBatch>, BoxError> {
        let rows = input.num_rows();
        let args = self.args.iter().map(|a| eval(a, &input.batch)).collect::<Result<Vec<_>, _>>()?;
        let produced = self.function.call(&args, rows)?;
        let expected = self.function.result_types().len();
        if produced.columns.len() != expected {
            return Err(message(format!("table function {} produced {} columns, not {expected}", self.function.name(), produced.columns.len())));
        }
        let (input_rows, columns) = if self.outer { with_unmatched(rows, produced.input_rows, produced.columns)? } else { (produced.input_rows, produced.columns) };
        if input_rows.is_empty() {
            return Ok(None);
        }
        let joined = input.take(&input_rows)?;
        let mut all: Vec<ArrayRef> = joined.batch.columns().to_vec();
        all.extend(columns);
        let options = arrow::array::RecordBatchOptions::new().with_row_count(Some(input_rows.len()));
        let batch = RecordBatch::try_new_with_options(self.schema.clone(), all, &options)?;
        Ok(Some(ChangeBatch { batch, kinds: joined.kinds }))
    }
}

/// The produced rows plus one row of NULLs for every input row without any, in input order.
fn with_unmatched(rows: usize, input_rows: UInt32Array, columns: Vec<ArrayRef>) -> Result<(UInt32Array, Vec<ArrayRef>), BoxError> {
    let mut inputs = Vec::with_capacity(input_rows.len() + rows);
    let mut picks: Vec<Option<u32>> = Vec::with_capacity(input_rows.len() + rows);
    let produced = input_rows.values();
    let mut next = 0;
    for row in 0..rows as u32 {
        let start = next;
        while next < produced.len() && produced[next] == row {
            inputs.push(row);
            picks.push(Some(next as u32));
            next += 1;
        }
        if next == start {
            inputs.push(row);
            picks.push(None);
        }
    }
    let picks = UInt32Array::from(picks);
    let columns = columns.iter().map(|c| arrow::compute::take(c, &picks, None)).collect::<Result<Vec<_>, _>>()?;
    Ok((UInt32Array::from(inputs), columns))
}

impl Operator<TableData> for Correlate {
    fn process(&mut self, _: usize, records: Vec<Record<TableData>>, out: &mut Output<TableData>) -> Result<(), BoxError> {
        for r in records {
            if let Some(batch) = self.apply(&r.value)? {
                out.push(Record::with_timestamp(batch, r.timestamp));
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use arrow::array::{Array, AsArray, Int64Array};
    use arrow::datatypes::{DataType, Field, Int64Type, Schema};

    use super::*;
    use crate::exec::data::RowKind;
    use crate::functions::TableRows;
    use crate::types::{SqlType, Typed};

    /// Produces 0..n for an argument n.
    #[derive(Debug)]
    struct Range(Vec<Typed>);

    impl TableFunction for Range {
        fn name(&self) -> &str {
            "range"
        }

        fn result_types(&self) -> &[Typed] {
            &self.0
        }

        fn call(&self, args: &[ArrayRef], rows: usize) -> Result<TableRows, BoxError> {
            let n = args[0].as_primitive::<Int64Type>();
            let (mut inputs, mut values) = (Vec::new(), Vec::new());
            for row in 0..rows {
                for i in 0..n.value(row) {
                    inputs.push(row as u32);
                    values.push(i);
                }
            }
            Ok(TableRows { input_rows: UInt32Array::from(inputs), columns: vec![Arc::new(Int64Array::from(values))] })
        }
    }

    fn correlate(outer: bool) -> Correlate {
        let schema = Arc::new(Schema::new(vec![Field::new("n", DataType::Int64, true), Field::new("i", DataType::Int64, true)]));
        let arg: PhysExpr = Arc::new(datafusion_physical_expr::expressions::Column::new("n", 0));
        Correlate::new(Arc::new(Range(vec![Typed { ty: SqlType::BigInt, nullable: false }])), vec![arg], outer, schema)
    }

    fn input() -> ChangeBatch {
        let schema = Arc::new(Schema::new(vec![Field::new("n", DataType::Int64, true)]));
        let batch = RecordBatch::try_new(schema, vec![Arc::new(Int64Array::from(vec![2, 0, 1]))]).unwrap();
        ChangeBatch { batch, kinds: Some(vec![RowKind::Insert, RowKind::UpdateBefore, RowKind::Delete].into()) }
    }

    fn rows(b: &ChangeBatch) -> Vec<(RowKind, i64, Option<i64>)> {
        let n = b.batch.column(0).as_primitive::<Int64Type>();
        let i = b.batch.column(1).as_primitive::<Int64Type>();
        (0..b.num_rows()).map(|r| (b.kind(r), n.value(r), i.is_valid(r).then(|| i.value(r)))).collect()
    }

    #[test]
    fn inner_joins_each_row_with_its_results_keeping_kinds() {
        let out = correlate(false).apply(&input()).unwrap().unwrap();
        assert_eq!(rows(&out), vec![(RowKind::Insert, 2, Some(0)), (RowKind::Insert, 2, Some(1)), (RowKind::Delete, 1, Some(0))]);
    }

    #[test]
    fn outer_keeps_rows_without_results_with_nulls() {
        let out = correlate(true).apply(&input()).unwrap().unwrap();
        assert_eq!(
            rows(&out),
            vec![(RowKind::Insert, 2, Some(0)), (RowKind::Insert, 2, Some(1)), (RowKind::UpdateBefore, 0, None), (RowKind::Delete, 1, Some(0))]
        );
    }
}
