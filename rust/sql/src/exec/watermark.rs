//! Watermarks from a table's `WATERMARK FOR col AS expr`, as Flink's SQL watermark assigner
//! makes them: the maximum of `expr` seen so far, emitted as soon as it has advanced by more than
//! the auto-watermark interval since the last emitted one (and on the processing-time tick), or
//! after every advancing row with `'scan.watermark.emit.strategy' = 'on-event'`. A watermark can
//! fall between two rows of a batch, so batches are cut there.

use arrow::array::{Array, AsArray};
use arrow::datatypes::{DataType, TimeUnit, TimestampMillisecondType};
use oxflow_core::data::Record;
use oxflow_core::error::BoxError;
use oxflow_core::operator::{Operator, Output};

use super::calc::eval;
use super::data::{ChangeBatch, TableData};
use crate::plan::PhysExpr;

#[derive(Clone)]
pub struct WatermarkAssigner {
    pub expr: PhysExpr,
    pub on_event: bool,
    pub interval_ms: i64,
    current: i64,
    emitted: i64,
    last_tick: i64,
}

impl WatermarkAssigner {
    pub fn new(expr: PhysExpr, on_event: bool, interval_ms: i64) -> Self {
        WatermarkAssigner { expr, on_event, interval_ms, current: i64::MIN, emitted: i64::MIN, last_tick: i64::MIN }
    }

    fn due(&self) -> bool {
        self.current > self.emitted
            && (self.on_event || self.interval_ms <= 0 || self.current.saturating_sub(self.emitted) > self.interval_ms)
    }
}

/// Millisecond values of a timestamp array of any unit.
pub fn millis(a: &dyn Array) -> Result<arrow::array::TimestampMillisecondArray, BoxError> {
    let a = match a.data_type() {
        DataType::Timestamp(TimeUnit::Millisecond, None) => arrow::array::make_array(a.to_data()),
        _ => arrow::compute::cast(&arrow::array::make_array(a.to_data()), &DataType::Timestamp(TimeUnit::Millisecond, None))?,
    };
    Ok(a.as_primitive::<TimestampMillisecondType>().clone())
}

impl Operator<TableData> for WatermarkAssigner {
    fn process(&mut self, _: usize, records: Vec<Record<TableData>>, out: &mut Output<TableData>) -> Result<(), BoxError> {
        for r in records {
            let values = millis(eval(&self.expr, &r.value.batch)?.as_ref())?;
            let mut start = 0;
            for (i, v) in values.iter().enumerate() {
                let Some(v) = v else { continue };
                if v > self.current {
                    self.current = v;
                    if self.due() {
                        out.push(Record::new(slice(&r.value, start, i + 1)));
                        start = i + 1;
                        self.emitted = self.current;
                        out.emit_watermark(self.current);
                    }
                }
            }
            if start < r.value.num_rows() {
                out.push(Record::new(slice(&r.value, start, r.value.num_rows())));
            }
        }
        Ok(())
    }

    fn on_processing_time(&mut self, now: i64, out: &mut Output<TableData>) -> Result<(), BoxError> {
        if self.last_tick == i64::MIN {
            self.last_tick = now;
        }
        if now - self.last_tick >= self.interval_ms && self.current > self.emitted {
            self.last_tick = now;
            self.emitted = self.current;
            out.emit_watermark(self.current);
        }
        Ok(())
    }

    /// Only the end of input's final watermark arrives from upstream.
    fn on_watermark(&mut self, watermark: i64, out: &mut Output<TableData>) -> Result<(), BoxError> {
        if watermark > self.emitted {
            self.emitted = watermark;
            out.emit_watermark(watermark);
        }
        Ok(())
    }
}

fn slice(b: &ChangeBatch, from: usize, to: usize) -> ChangeBatch {
    ChangeBatch { batch: b.batch.slice(from, to - from), kinds: b.kinds.as_ref().map(|k| k[from..to].into()) }
}
