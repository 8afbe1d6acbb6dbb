//! Accumulators for aggregations whose input retracts rows (an unbounded GROUP BY over an
//! updating input): any earlier value may be retracted, not only the oldest one as in an OVER
//! frame, so MIN, MAX and COUNT(DISTINCT) keep a count per value (as Flink's MinWithRetract and
//! its distinct MapView do), and checkpoint those counts (DataFusion's sliding distinct count
//! keeps only the values in its state).

use std::cmp::Ordering;
use std::collections::BTreeMap;
use std::sync::Arc;

use arrow::array::{Array, ArrayRef, AsArray};
use arrow::datatypes::DataType;
use datafusion_common::{Result, ScalarValue};
use datafusion_expr::Accumulator;

use crate::plan::AggregateCall;

/// An accumulator of `call` that can retract any row it accumulated.
pub fn retracting_accumulator(call: &AggregateCall) -> crate::error::Result<Box<dyn Accumulator>> {
    let name = call.func.name().to_ascii_lowercase();
    let ty = call.return_field.data_type().clone();
    let result = match name.as_str() {
        "min" => Some(Counted::Min),
        "max" => Some(Counted::Max),
        "count" if call.distinct && call.args.len() == 1 => Some(Counted::Distinct),
        _ => None,
    };
    if let Some(result) = result {
        let ty = if result == Counted::Distinct { call.arg_fields[0].data_type().clone() } else { ty };
        return Ok(Box::new(CountedValues { result, ty, counts: BTreeMap::new() }));
    }
    // DataFusion's sliding variants (SUM's keeps a count of non-null values) retract by value.
    call.sliding_accumulator()
}

/// A value ordered as SQL orders it (incomparable values, which one column never mixes, equal).
#[derive(Debug, Clone, PartialEq)]
struct Ordered(ScalarValue);

impl Eq for Ordered {}

impl PartialOrd for Ordered {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Ordered {
    fn cmp(&self, other: &Self) -> Ordering {
        self.0.partial_cmp(&other.0).unwrap_or(Ordering::Equal)
    }
}

/// What [`CountedValues`] answers from its counted values.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Counted {
    Min,
    Max,
    Distinct,
}

#[derive(Debug)]
struct CountedValues {
    result: Counted,
    /// The values' type.
    ty: DataType,
    /// Every non-null value accumulated and not retracted, with its multiplicity.
    counts: BTreeMap<Ordered, u64>,
}

impl CountedValues {
    fn add(&mut self, values: &ArrayRef, by: i64) -> Result<()> {
        for i in 0..values.len() {
            if values.is_null(i) {
                continue;
            }
            let v = Ordered(ScalarValue::try_from_array(values, i)?);
            if by > 0 {
                *self.counts.entry(v).or_insert(0) += by as u64;
            } else if let Some(n) = self.counts.get_mut(&v) {
                // A retraction of a value never accumulated is dropped, as Flink drops it.
                *n -= 1;
                if *n == 0 {
                    self.counts.remove(&v);
                }
            }
        }
        Ok(())
    }
}

impl Accumulator for CountedValues {
    fn update_batch(&mut self, values: &[ArrayRef]) -> Result<()> {
        self.add(&values[0], 1)
    }

    fn retract_batch(&mut self, values: &[ArrayRef]) -> Result<()> {
        self.add(&values[0], -1)
    }

    fn supports_retract_batch(&self) -> bool {
        true
    }

    fn evaluate(&mut self) -> Result<ScalarValue> {
        let best = match self.result {
            Counted::Distinct => return Ok(ScalarValue::Int64(Some(self.counts.len() as i64))),
            Counted::Max => self.counts.keys().next_back(),
            Counted::Min => self.counts.keys().next(),
        };
        match best {
            Some(v) => Ok(v.0.clone()),
            None => ScalarValue::try_from(&self.ty),
        }
    }

    /// Every value repeated by its count, as one list (what a checkpoint stores).
    fn state(&mut self) -> Result<Vec<ScalarValue>> {
        let values: Vec<ScalarValue> = self.counts.iter().flat_map(|(v, n)| std::iter::repeat_n(v.0.clone(), *n as usize)).collect();
        Ok(vec![ScalarValue::List(ScalarValue::new_list_nullable(&values, &self.ty))])
    }

    fn merge_batch(&mut self, states: &[ArrayRef]) -> Result<()> {
        let lists = states[0].as_list::<i32>();
        for row in 0..lists.len() {
            if lists.is_valid(row) {
                let values: ArrayRef = Arc::clone(&lists.value(row));
                self.add(&values, 1)?;
            }
        }
        Ok(())
    }

    fn size(&self) -> usize {
        size_of_val(self) + self.counts.keys().map(|v| v.0.size()).sum::<usize>()
    }
}

#[cfg(test)]
mod tests {
    use arrow::array::Int64Array;

    use super::*;

    fn ints(v: &[i64]) -> Vec<ArrayRef> {
        vec![Arc::new(Int64Array::from(v.to_vec()))]
    }

    #[test]
    fn any_value_retracts_and_the_state_round_trips() {
        let mut max = CountedValues { result: Counted::Max, ty: DataType::Int64, counts: BTreeMap::new() };
        max.update_batch(&ints(&[3, 9, 9, 5])).unwrap();
        max.retract_batch(&ints(&[9])).unwrap();
        assert_eq!(max.evaluate().unwrap(), ScalarValue::Int64(Some(9)), "one 9 is left");
        max.retract_batch(&ints(&[9, 4])).unwrap();
        assert_eq!(max.evaluate().unwrap(), ScalarValue::Int64(Some(5)), "an unknown 4 is dropped");
        let state = max.state().unwrap();
        let mut restored = CountedValues { result: Counted::Max, ty: DataType::Int64, counts: BTreeMap::new() };
        restored.merge_batch(&[state[0].to_array().unwrap()]).unwrap();
        restored.retract_batch(&ints(&[5])).unwrap();
        assert_eq!(restored.evaluate().unwrap(), ScalarValue::Int64(Some(3)));
        restored.retract_batch(&ints(&[3])).unwrap();
        assert_eq!(restored.evaluate().unwrap(), ScalarValue::Int64(None), "no value left: NULL");
        let mut min = CountedValues { result: Counted::Min, ty: DataType::Int64, counts: BTreeMap::new() };
        min.update_batch(&ints(&[4, 2, 7])).unwrap();
        min.retract_batch(&ints(&[2])).unwrap();
        assert_eq!(min.evaluate().unwrap(), ScalarValue::Int64(Some(4)));
        // A distinct count keeps each value's multiplicity through its state.
        let mut distinct = CountedValues { result: Counted::Distinct, ty: DataType::Int64, counts: BTreeMap::new() };
        distinct.update_batch(&ints(&[1, 1, 2])).unwrap();
        let state = distinct.state().unwrap();
        let mut restored = CountedValues { result: Counted::Distinct, ty: DataType::Int64, counts: BTreeMap::new() };
        restored.merge_batch(&[state[0].to_array().unwrap()]).unwrap();
        restored.retract_batch(&ints(&[1])).unwrap();
        assert_eq!(restored.evaluate().unwrap(), ScalarValue::Int64(Some(2)), "one 1 is left");
    }
}
