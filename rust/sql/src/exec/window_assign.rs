//! A window TVF without aggregation: each row once per window it falls in, right away, with
//! window_start, window_end and window_time appended (Flink keeps late rows here too).

use std::sync::Arc;

use arrow::array::{Array, RecordBatch, TimestampMillisecondArray, UInt32Array};
use arrow::datatypes::SchemaRef;
use oxflow_core::data::Record;
use oxflow_core::error::{message, BoxError};
use oxflow_core::operator::{Operator, Output};

use super::calc::relaxed;
use super::data::{ChangeBatch, TableData};
use super::watermark::millis;
use crate::plan::WindowSpec;

#[derive(Clone)]
pub struct WindowAssign {
    pub window: WindowSpec,
    pub time_column: usize,
    pub schema: SchemaRef,
    pub ltz: bool,
}

impl Operator<TableData> for WindowAssign {
    fn process(&mut self, _: usize, records: Vec<Record<TableData>>, out: &mut Output<TableData>) -> Result<(), BoxError> {
        if self.window.is_session() {
            return Err(message("a SESSION window TVF needs an aggregation over window_start and window_end"));
        }
        let schema = relaxed(&self.schema);
        let mut windows = Vec::new();
        for r in records {
            let ts = millis(r.value.batch.column(self.time_column).as_ref())?;
            let (mut rows, mut starts, mut ends) = (Vec::new(), Vec::new(), Vec::new());
            for row in 0..ts.len() {
                if ts.is_null(row) {
                    continue;
                }
                self.window.assign(ts.value(row), &mut windows);
                for &(s, e) in &windows {
                    rows.push(row as u32);
                    starts.push(s);
                    ends.push(e);
                }
            }
            let taken = arrow::compute::take_record_batch(&r.value.batch, &UInt32Array::from(rows))?;
            let mut columns = taken.columns().to_vec();
            let times = TimestampMillisecondArray::from(ends.iter().map(|e| e - 1).collect::<Vec<_>>());
            columns.push(Arc::new(TimestampMillisecondArray::from(starts)));
            columns.push(Arc::new(TimestampMillisecondArray::from(ends)));
            columns.push(if self.ltz { Arc::new(times.with_timezone("UTC")) } else { Arc::new(times) });
            out.push(Record::new(ChangeBatch::inserts(RecordBatch::try_new(schema.clone(), columns)?)));
        }
        Ok(())
    }
}
