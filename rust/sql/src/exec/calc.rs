//! Projection and filtering (Flink's Calc): expressions evaluated on whole batches, row kinds kept.

use std::sync::Arc;

use arrow::array::{Array, ArrayRef, AsArray, RecordBatch, UInt32Array};
use arrow::datatypes::SchemaRef;
use oxflow_core::data::Record;
use oxflow_core::error::BoxError;
use oxflow_core::operator::{Operator, Output};

use super::data::{ChangeBatch, TableData};
use crate::plan::PhysExpr;

/// `expr` over every row of `batch`.
pub fn eval(expr: &PhysExpr, batch: &RecordBatch) -> Result<ArrayRef, BoxError> {
    match expr.evaluate(batch).and_then(|v| v.into_array(batch.num_rows())) {
        Ok(a) => Ok(a),
        Err(e) => Err(unwrapped(e)),
    }
}

/// The error a function raised (a Python exception from a UDF) as itself, so the user sees
/// their own exception and traceback, not DataFusion's wrapping of it.
fn unwrapped(e: datafusion_common::DataFusionError) -> BoxError {
    match e {
        datafusion_common::DataFusionError::External(inner) => inner,
        datafusion_common::DataFusionError::Context(_, inner) => unwrapped(*inner),
        other => Box::new(other),
    }
}

#[derive(Clone)]
pub struct Project {
    pub exprs: Vec<PhysExpr>,
    pub schema: SchemaRef,
}

impl Project {
    pub fn apply(&self, input: &ChangeBatch) -> Result<ChangeBatch, BoxError> {
        let columns = self
            .exprs
            .iter()
            .zip(self.schema.fields())
            .map(|(e, f)| {
                let a = eval(e, &input.batch)?;
                // DataFusion may widen nullability or pick an equivalent type; the plan's type wins.
                if a.data_type() != f.data_type() {
                    Ok(arrow::compute::cast(&a, f.data_type())?)
                } else {
                    Ok(a)
                }
            })
            .collect::<Result<Vec<_>, BoxError>>()?;
        let options = arrow::array::RecordBatchOptions::new().with_row_count(Some(input.batch.num_rows()));
        let batch = RecordBatch::try_new_with_options(relaxed(&self.schema), columns, &options)?;
        Ok(ChangeBatch { batch, kinds: input.kinds.clone() })
    }
}

/// The schema with every field nullable: the planner's NOT NULL is a promise about values,
/// Arrow's is about the null buffer, which computed arrays may carry even without nulls.
pub fn relaxed(schema: &SchemaRef) -> SchemaRef {
    if schema.fields().iter().all(|f| f.is_nullable()) {
        return schema.clone();
    }
    Arc::new(arrow::datatypes::Schema::new(
        schema.fields().iter().map(|f| f.as_ref().clone().with_nullable(true)).collect::<Vec<_>>(),
    ))
}

impl Operator<TableData> for Project {
    fn process(&mut self, _: usize, records: Vec<Record<TableData>>, out: &mut Output<TableData>) -> Result<(), BoxError> {
        for r in records {
            out.push(Record::with_timestamp(self.apply(&r.value)?, r.timestamp));
        }
        Ok(())
    }
}

#[derive(Clone)]
pub struct Filter {
    pub predicate: PhysExpr,
}

impl Filter {
    pub fn apply(&self, input: &ChangeBatch) -> Result<Option<ChangeBatch>, BoxError> {
        let mask = eval(&self.predicate, &input.batch)?;
        let mask = mask.as_boolean();
        let selected = mask.true_count();
        if selected == input.num_rows() && mask.null_count() == 0 {
            return Ok(Some(input.clone()));
        }
        if selected == 0 {
            return Ok(None);
        }
        let indices: UInt32Array = (0..mask.len() as u32).filter(|&i| mask.is_valid(i as usize) && mask.value(i as usize)).collect();
        Ok(Some(input.take(&indices)?))
    }
}

impl Operator<TableData> for Filter {
    fn process(&mut self, _: usize, records: Vec<Record<TableData>>, out: &mut Output<TableData>) -> Result<(), BoxError> {
        for r in records {
            if let Some(b) = self.apply(&r.value)? {
                out.push(Record::with_timestamp(b, r.timestamp));
            }
        }
        Ok(())
    }
}

/// Several inputs into one stream (UNION ALL); the runtime takes the minimum watermark.
#[derive(Clone)]
pub struct Union;

impl Operator<TableData> for Union {
    fn process(&mut self, _: usize, records: Vec<Record<TableData>>, out: &mut Output<TableData>) -> Result<(), BoxError> {
        out.extend(records);
        Ok(())
    }
}

/// The first `fetch` rows after `offset` (append-only input).
#[derive(Clone)]
pub struct Limit {
    pub offset: usize,
    pub fetch: Option<usize>,
    pub seen: usize,
}

impl Operator<TableData> for Limit {
    fn process(&mut self, _: usize, records: Vec<Record<TableData>>, out: &mut Output<TableData>) -> Result<(), BoxError> {
        let end = self.fetch.map_or(usize::MAX, |f| self.offset.saturating_add(f));
        for r in records {
            let n = r.value.num_rows();
            let (from, to) = (self.seen, self.seen + n);
            self.seen = to;
            let lo = from.max(self.offset);
            let hi = to.min(end);
            if lo < hi {
                let slice = r.value.batch.slice(lo - from, hi - lo);
                out.push(Record::new(ChangeBatch::inserts(slice)));
            }
        }
        Ok(())
    }
}
