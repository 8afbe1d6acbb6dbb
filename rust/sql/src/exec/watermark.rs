//! Watermarks from a table's `WATERMARK FOR col AS expr`, as Flink's SQL watermark assigner
//! makes them: the maximum of `expr` seen so far, emitted as soon as it has advanced by more than
//! the auto-watermark interval since the last emitted one (and on the processing-time tick), or
//! after every advancing row with `'scan.watermark.emit.strategy' = 'on-event'`.
//!
//! A watermark can fall between two rows of a batch. Where it falls matters only to later rows
//! it makes late (rowtime at or below it, or one past it: a session window ending there would
//! merge with such a row): those get the watermark before them, so the batch is cut there.
//! Otherwise the watermarks due inside a batch are sent once, as the newest, after the batch:
//! event-time operators give the same results (a row past a watermark can neither be late for it
//! nor fall into a window it fires), and downstream operators see whole batches rather than
//! slices of a few rows.

use arrow::array::{Array, AsArray};
use arrow::array::TimestampMillisecondArray;
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
    /// The rowtime column (`WATERMARK FOR <column>`).
    pub rowtime: usize,
    pub on_event: bool,
    pub interval_ms: i64,
    /// `expr` is `rowtime - <fixed interval>` (or the rowtime itself): this many ms, computed
    /// on the millisecond values rather than through interval arithmetic.
    delay_ms: Option<i64>,
    current: i64,
    emitted: i64,
    last_tick: i64,
}

impl WatermarkAssigner {
    pub fn new(expr: PhysExpr, rowtime: usize, on_event: bool, interval_ms: i64) -> Self {
        let delay_ms = fixed_delay(&expr, rowtime);
        WatermarkAssigner { expr, rowtime, on_event, interval_ms, delay_ms, current: i64::MIN, emitted: i64::MIN, last_tick: i64::MIN }
    }

    /// The watermark candidate of every row.
    fn candidates(&self, batch: &arrow::array::RecordBatch, rowtimes: &TimestampMillisecondArray) -> Result<TimestampMillisecondArray, BoxError> {
        match self.delay_ms {
            Some(d) => Ok(arrow::compute::kernels::arity::unary(rowtimes, |t: i64| t.saturating_sub(d))),
            None => millis(eval(&self.expr, batch)?.as_ref()),
        }
    }

    fn due(&self) -> bool {
        self.current > self.emitted
            && (self.on_event || self.interval_ms <= 0 || self.current.saturating_sub(self.emitted) > self.interval_ms)
    }
}

/// `rowtime - INTERVAL '...'` with a fixed interval (no months): the interval in ms.
fn fixed_delay(expr: &PhysExpr, rowtime: usize) -> Option<i64> {
    use datafusion_common::ScalarValue;
    use datafusion_physical_expr::expressions::{BinaryExpr, Column, Literal};
    let is_rowtime = |e: &PhysExpr| e.downcast_ref::<Column>().is_some_and(|c| c.index() == rowtime);
    if is_rowtime(expr) {
        return Some(0);
    }
    let b = expr.downcast_ref::<BinaryExpr>()?;
    if *b.op() != datafusion_expr::Operator::Minus || !is_rowtime(b.left()) {
        return None;
    }
    match b.right().downcast_ref::<Literal>()?.value() {
        ScalarValue::IntervalDayTime(Some(v)) => Some(i64::from(v.days) * 86_400_000 + i64::from(v.milliseconds)),
        ScalarValue::IntervalMonthDayNano(Some(v)) if v.months == 0 && v.nanoseconds % 1_000_000 == 0 => {
            Some(i64::from(v.days) * 86_400_000 + v.nanoseconds / 1_000_000)
        }
        _ => None,
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
            let rowtimes = millis(r.value.batch.column(self.rowtime).as_ref())?;
            let values = self.candidates(&r.value.batch, &rowtimes)?;
            let mut start = 0;
            // A watermark that is due but not sent yet.
            let mut pending: Option<i64> = None;
            for (i, v) in values.iter().enumerate() {
                if let Some(w) = pending {
                    if rowtimes.is_valid(i) && rowtimes.value(i) <= w.saturating_add(1) {
                        out.push(Record::new(slice(&r.value, start, i)));
                        out.emit_watermark(w);
                        start = i;
                        pending = None;
                    }
                }
                let Some(v) = v else { continue };
                if v > self.current {
                    self.current = v;
                    if self.due() {
                        self.emitted = self.current;
                        pending = Some(self.current);
                    }
                }
            }
            if start < r.value.num_rows() {
                out.push(Record::new(slice(&r.value, start, r.value.num_rows())));
            }
            if let Some(w) = pending {
                out.emit_watermark(w);
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

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use arrow::array::{RecordBatch, TimestampMillisecondArray};
    use arrow::datatypes::{DataType, Field, Schema, TimeUnit};
    use datafusion_common::ScalarValue;
    use datafusion_expr::Operator as BinOp;
    use datafusion_physical_expr::expressions::{BinaryExpr, Column, Literal};
    use oxflow_core::data::Record;
    use oxflow_core::operator::{Operator, Output};

    use super::WatermarkAssigner;
    use crate::exec::data::{ChangeBatch, TableData};

    /// `ts - INTERVAL '1' SECOND` over one batch of `ts` values; returns the row counts of the
    /// emitted batches and the watermarks with the number of rows before each.
    fn run(ts: &[i64], interval_ms: i64) -> (Vec<usize>, Vec<(usize, i64)>) {
        let schema = Arc::new(Schema::new(vec![Field::new("ts", DataType::Timestamp(TimeUnit::Millisecond, None), true)]));
        let batch = RecordBatch::try_new(schema, vec![Arc::new(TimestampMillisecondArray::from(ts.to_vec()))]).unwrap();
        let second = ScalarValue::new_interval_mdn(0, 0, 1_000_000_000);
        let expr = Arc::new(BinaryExpr::new(Arc::new(Column::new("ts", 0)), BinOp::Minus, Arc::new(Literal::new(second))));
        let mut assigner = WatermarkAssigner::new(expr, 0, false, interval_ms);
        assert_eq!(assigner.delay_ms, Some(1000), "the fixed delay is recognised");
        let mut out = Output::<TableData>::default();
        assigner.process(0, vec![Record::new(ChangeBatch::inserts(batch))], &mut out).unwrap();
        let (records, watermarks) = out.into_segments();
        let sizes: Vec<usize> = records.iter().map(|r| r.value.num_rows()).collect();
        let mut before = Vec::new();
        for (position, w) in watermarks {
            before.push((sizes[..position].iter().sum(), w));
        }
        (sizes, before)
    }

    #[test]
    fn in_order_rows_stay_one_batch_with_the_newest_watermark_after_it() {
        // Watermarks are due after rows 0 to 4 (999 .. 2999): none makes a later row late.
        let (sizes, watermarks) = run(&[1999, 2500, 2999, 3500, 3999, 4100], 200);
        assert_eq!(sizes, vec![6]);
        assert_eq!(watermarks, vec![(6, 2999)]);
    }

    #[test]
    fn a_row_the_watermark_makes_late_gets_the_watermark_before_it() {
        // After row 1 (5000) the watermark is 4000; row 2 (3000) is late for it, row 4 (4001) is
        // one past it (a session ending there would merge with it), so both are cut off.
        let (sizes, watermarks) = run(&[1000, 5000, 3000, 6500, 5501, 9000], 200);
        assert_eq!(sizes, vec![2, 2, 2]);
        assert_eq!(watermarks, vec![(2, 4000), (4, 5500), (6, 8000)]);
    }
}
