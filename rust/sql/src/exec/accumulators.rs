//! The aggregates of many groups at once: DataFusion's vectorized groups accumulators where a
//! call has one, one row accumulator per group otherwise (DISTINCT, user aggregates).

use std::sync::Arc;

use arrow::array::{Array, ArrayRef, AsArray, BooleanArray, RecordBatch, UInt32Array};
use datafusion_common::ScalarValue;
use datafusion_expr::{Accumulator, EmitTo, GroupsAccumulator};
use oxflow_core::error::BoxError;

use super::calc::eval;
use crate::plan::AggregateCall;

enum Slot {
    Groups(Box<dyn GroupsAccumulator>),
    Rows(Vec<Box<dyn Accumulator>>),
}

/// Arguments and filter of every call, evaluated on one batch.
pub struct CallInputs {
    pub args: Vec<Vec<ArrayRef>>,
    pub filters: Vec<Option<BooleanArray>>,
}

impl CallInputs {
    pub fn evaluate(calls: &[AggregateCall], batch: &RecordBatch) -> Result<CallInputs, BoxError> {
        let mut args = Vec::with_capacity(calls.len());
        let mut filters = Vec::with_capacity(calls.len());
        for c in calls {
            args.push(c.args.iter().map(|a| eval(a, batch)).collect::<Result<Vec<_>, _>>()?);
            filters.push(match &c.filter {
                Some(f) => Some(eval(f, batch)?.as_boolean().clone()),
                None => None,
            });
        }
        Ok(CallInputs { args, filters })
    }

    /// The inputs of the rows at `indices`.
    pub fn take(&self, indices: &arrow::array::UInt32Array) -> Result<CallInputs, BoxError> {
        Ok(CallInputs {
            args: self
                .args
                .iter()
                .map(|a| a.iter().map(|x| arrow::compute::take(x, indices, None)).collect::<Result<Vec<_>, _>>())
                .collect::<Result<Vec<_>, _>>()?,
            filters: self
                .filters
                .iter()
                .map(|f| f.as_ref().map(|f| arrow::compute::take(f, indices, None).map(|a| a.as_boolean().clone())).transpose())
                .collect::<Result<Vec<_>, _>>()?,
        })
    }
}

pub struct GroupedAccumulators {
    calls: Arc<[AggregateCall]>,
    /// Some call runs user code (see [`super::scope`]).
    user_code: bool,
    slots: Vec<Slot>,
    groups: usize,
}

impl GroupedAccumulators {
    pub fn new(calls: Arc<[AggregateCall]>) -> Result<Self, BoxError> {
        let slots = calls
            .iter()
            .map(|c| Ok(match c.groups_accumulator()? {
                Some(g) => Slot::Groups(g),
                None => Slot::Rows(Vec::new()),
            }))
            .collect::<Result<Vec<_>, BoxError>>()?;
        let user_code = calls.iter().any(|c| c.user_code);
        Ok(GroupedAccumulators { calls, slots, groups: 0, user_code })
    }

    /// Adds the rows of `inputs` to the groups `group_indices` gives them; `groups` is the number
    /// of groups so far (new groups have the next indices).
    pub fn update(&mut self, inputs: &CallInputs, group_indices: &[usize], groups: usize) -> Result<(), BoxError> {
        super::scope::run(self.user_code, || self.update_in_scope(inputs, group_indices, groups))
    }

    fn update_in_scope(&mut self, inputs: &CallInputs, group_indices: &[usize], groups: usize) -> Result<(), BoxError> {
        self.groups = groups;
        for (i, slot) in self.slots.iter_mut().enumerate() {
            let args = &inputs.args[i];
            let filter = inputs.filters[i].as_ref();
            match slot {
                Slot::Groups(g) => g.update_batch(args, group_indices, filter, groups)?,
                Slot::Rows(accs) => {
                    while accs.len() < groups {
                        accs.push(self.calls[i].accumulator()?);
                    }
                    // One update per group of the batch (its rows in input order), so a user
                    // aggregate is entered once per group and batch, not once per row.
                    let mut rows_of: Vec<Vec<u32>> = vec![Vec::new(); groups];
                    for (row, &g) in group_indices.iter().enumerate() {
                        if filter.is_some_and(|f| !f.is_valid(row) || !f.value(row)) {
                            continue;
                        }
                        rows_of[g].push(row as u32);
                    }
                    for (g, rows) in rows_of.into_iter().enumerate() {
                        if rows.is_empty() {
                            continue;
                        }
                        let indices = UInt32Array::from(rows);
                        let taken = args.iter().map(|a| arrow::compute::take(a, &indices, None)).collect::<Result<Vec<_>, _>>()?;
                        accs[g].update_batch(&taken)?;
                    }
                }
            }
        }
        Ok(())
    }

    /// Every group's results, one array per call, typed as Flink types them.
    pub fn evaluate(self) -> Result<Vec<ArrayRef>, BoxError> {
        super::scope::run(self.user_code, || self.evaluate_in_scope())
    }

    fn evaluate_in_scope(mut self) -> Result<Vec<ArrayRef>, BoxError> {
        let groups = self.groups;
        let mut out = Vec::with_capacity(self.slots.len());
        for (i, slot) in self.slots.iter_mut().enumerate() {
            let values = match slot {
                Slot::Groups(g) => g.evaluate(EmitTo::All)?,
                Slot::Rows(accs) => {
                    while accs.len() < groups {
                        accs.push(self.calls[i].accumulator()?);
                    }
                    let scalars = accs.iter_mut().map(|a| a.evaluate()).collect::<Result<Vec<_>, _>>()?;
                    scalars_to_array(scalars, &self.calls[i])?
                }
            };
            out.push(self.calls[i].finish(values)?);
        }
        Ok(out)
    }
}

impl GroupedAccumulators {
    /// The intermediate state of every group (for snapshots): per group, per call, the
    /// scalars of its state fields. The accumulators go on from that same state.
    pub fn states(&mut self) -> Result<Vec<Vec<Vec<ScalarValue>>>, BoxError> {
        super::scope::run(self.user_code, || self.states_in_scope())
    }

    fn states_in_scope(&mut self) -> Result<Vec<Vec<Vec<ScalarValue>>>, BoxError> {
        let groups = self.groups;
        let mut out = vec![vec![Vec::new(); self.slots.len()]; groups];
        for (i, slot) in self.slots.iter_mut().enumerate() {
            match slot {
                Slot::Groups(g) => {
                    // `state` takes the state out: it is merged back into a fresh accumulator.
                    let arrays = g.state(EmitTo::All)?;
                    for (group, states) in out.iter_mut().enumerate() {
                        states[i] = arrays.iter().map(|a| ScalarValue::try_from_array(a, group)).collect::<Result<_, _>>()?;
                    }
                    let mut fresh = self.calls[i].groups_accumulator()?.expect("the call had a groups accumulator");
                    let indices: Vec<usize> = (0..groups).collect();
                    fresh.merge_batch(&arrays, &indices, groups)?;
                    *g = fresh;
                }
                Slot::Rows(accs) => {
                    while accs.len() < groups {
                        accs.push(self.calls[i].accumulator()?);
                    }
                    for (group, acc) in accs.iter_mut().enumerate() {
                        let values = acc.state()?;
                        let mut fresh = self.calls[i].accumulator()?;
                        fresh.merge_batch(&values.iter().map(|v| v.to_array()).collect::<Result<Vec<_>, _>>()?)?;
                        *acc = fresh;
                        out[group][i] = values;
                    }
                }
            }
        }
        Ok(out)
    }

    /// Adds group `groups - 1` (the next one) with the intermediate state `states` (per call,
    /// as [`GroupedAccumulators::states`] gave it).
    pub fn push_state(&mut self, states: &[Vec<ScalarValue>]) -> Result<(), BoxError> {
        super::scope::run(self.user_code, || {
            let group = self.groups;
            self.groups += 1;
            for (i, slot) in self.slots.iter_mut().enumerate() {
                let arrays = states[i].iter().map(|v| v.to_array()).collect::<Result<Vec<_>, _>>()?;
                match slot {
                    Slot::Groups(g) => g.merge_batch(&arrays, &[group], group + 1)?,
                    Slot::Rows(accs) => {
                        while accs.len() <= group {
                            accs.push(self.calls[i].accumulator()?);
                        }
                        accs[group].merge_batch(&arrays)?;
                    }
                }
            }
            Ok(())
        })
    }

    pub fn calls(&self) -> usize {
        self.slots.len()
    }
}

/// Scalars of one call as an array of its DataFusion return type.
pub fn scalars_to_array(scalars: Vec<ScalarValue>, call: &AggregateCall) -> Result<ArrayRef, BoxError> {
    if scalars.is_empty() {
        return Ok(arrow::array::new_empty_array(call.return_field.data_type()));
    }
    Ok(ScalarValue::iter_to_array(scalars)?)
}
