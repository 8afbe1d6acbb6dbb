//! Unbounded GROUP BY as Flink's GroupAggFunction computes it: every input row updates its key's
//! accumulators (retracting for -U and -D) and emits the change of the key's result: +I for a new
//! key, -U of the previous and +U of the new result when it changed, -D when the key's last row
//! was retracted. Nothing is emitted when the result did not change.

use std::sync::Arc;

use arrow::array::{Array, ArrayRef, RecordBatch};
use arrow::datatypes::SchemaRef;
use datafusion_common::ScalarValue;
use datafusion_expr::Accumulator;
use oxflow_core::data::Record;
use oxflow_core::error::{message, BoxError};
use oxflow_core::checkpoint::snapshot::{RestoredState, SnapshotWriter};
use oxflow_core::checkpoint::CheckpointId;
use oxflow_core::operator::{Operator, Output};

use super::accumulators::{scalars_to_array, CallInputs};
use super::calc::relaxed;
use super::data::{ChangeBatch, RowKind, TableData};
use super::keys::KeyEncoder;
use super::retracting::retracting_accumulator;
use super::snapshot::{key_hashes, keyed_only, Decoder, Encoder};
use crate::plan::AggregateCall;

struct Group {
    accs: Vec<Box<dyn Accumulator>>,
    /// Rows accumulated minus rows retracted: at 0 the key is gone.
    rows: i64,
    previous: Vec<ScalarValue>,
}

pub struct GroupAggregate {
    keys: KeyEncoder,
    calls: Arc<[AggregateCall]>,
    schema: SchemaRef,
    groups: hashbrown::HashMap<Box<[u8]>, Group>,
    /// The input updates and deletes rows: accumulators that retract any row (see [`retracting`]).
    retracting: bool,
}

impl GroupAggregate {
    pub fn new(keys: KeyEncoder, calls: Arc<[AggregateCall]>, schema: SchemaRef, retracting: bool) -> Self {
        GroupAggregate { keys, calls, schema: relaxed(&schema), groups: hashbrown::HashMap::new(), retracting }
    }

    fn apply(&mut self, input: &ChangeBatch, changes: &mut Vec<(Box<[u8]>, Vec<ScalarValue>, RowKind)>) -> Result<(), BoxError> {
        let keys = self.keys.encode_rows(&input.batch)?;
        let inputs = CallInputs::evaluate(&self.calls, &input.batch)?;
        for row in 0..input.num_rows() {
            let key = keys.row(row);
            let kind = input.kind(row);
            let accumulate = kind.is_accumulate();
            let first = !self.groups.contains_key(key);
            if first && !accumulate {
                // A retraction for a key without state (Flink drops it the same way).
                continue;
            }
            if first {
                let accs = self.calls.iter().map(|c| fresh(c, self.retracting)).collect::<Result<Vec<_>, _>>()?;
                self.groups.insert(Box::from(key), Group { accs, rows: 0, previous: Vec::new() });
            }
            let group = self.groups.get_mut(key).expect("inserted above");
            for (c, acc) in group.accs.iter_mut().enumerate() {
                if inputs.filters[c].as_ref().is_some_and(|f| !f.is_valid(row) || !f.value(row)) {
                    continue;
                }
                let one: Vec<ArrayRef> = inputs.args[c].iter().map(|a| a.slice(row, 1)).collect();
                if accumulate {
                    acc.update_batch(&one)?;
                } else if acc.supports_retract_batch() {
                    acc.retract_batch(&one)?;
                } else {
                    return Err(message(format!(
                        "the aggregate function {} has no retract method, so it cannot consume the update and delete rows of its input",
                        self.calls[c].func.name()
                    )));
                }
            }
            group.rows += if accumulate { 1 } else { -1 };
            if group.rows <= 0 {
                let gone = self.groups.remove(key).expect("present");
                if !first {
                    changes.push((Box::from(key), gone.previous, RowKind::Delete));
                }
                continue;
            }
            let values = group.accs.iter_mut().map(|a| a.evaluate()).collect::<Result<Vec<_>, _>>()?;
            if first {
                changes.push((Box::from(key), values.clone(), RowKind::Insert));
            } else if values != group.previous {
                changes.push((Box::from(key), std::mem::take(&mut group.previous), RowKind::UpdateBefore));
                changes.push((Box::from(key), values.clone(), RowKind::UpdateAfter));
            }
            group.previous = values;
        }
        Ok(())
    }

    fn output(&self, changes: Vec<(Box<[u8]>, Vec<ScalarValue>, RowKind)>) -> Result<ChangeBatch, BoxError> {
        let mut columns = self.keys.decode(changes.iter().map(|c| c.0.as_ref()))?;
        for (i, call) in self.calls.iter().enumerate() {
            let scalars: Vec<ScalarValue> = changes.iter().map(|c| c.1[i].clone()).collect();
            columns.push(call.finish(scalars_to_array(scalars, call)?)?);
        }
        let kinds: Arc<[RowKind]> = changes.iter().map(|c| c.2).collect();
        let options = arrow::array::RecordBatchOptions::new().with_row_count(Some(kinds.len()));
        let batch = RecordBatch::try_new_with_options(self.schema.clone(), columns, &options)?;
        Ok(ChangeBatch { batch, kinds: Some(kinds) })
    }
}

impl Operator<TableData> for GroupAggregate {
    fn process(&mut self, _: usize, records: Vec<Record<TableData>>, out: &mut Output<TableData>) -> Result<(), BoxError> {
        let mut changes = Vec::new();
        let user_code = self.calls.iter().any(|c| c.user_code);
        super::scope::run(user_code, || {
            for r in &records {
                self.apply(&r.value, &mut changes)?;
            }
            Ok(())
        })?;
        if !changes.is_empty() {
            out.push(Record::new(self.output(changes)?));
        }
        Ok(())
    }

    /// One keyed entry per group: its key, row count, last result and accumulator states
    /// (DataFusion's `Accumulator::state`, merged back on restore).
    fn snapshot_state(&mut self, _: CheckpointId, state: &mut SnapshotWriter<'_, TableData>) -> Result<(), BoxError> {
        let user_code = self.calls.iter().any(|c| c.user_code);
        let (keys, calls, groups, retracting) = (&self.keys, &self.calls, &mut self.groups, self.retracting);
        super::scope::run(user_code, || {
            let hashes = key_hashes(keys, groups.keys().map(|k| k.as_ref()))?;
            for ((key, group), hash) in groups.iter_mut().zip(hashes) {
                let mut e = Encoder::new();
                e.bytes(key).i64(group.rows).scalars(&group.previous)?;
                encode_accumulators(&mut e, calls, &mut group.accs, retracting)?;
                state.keyed(&hash, e.finish())?;
            }
            Ok(())
        })
    }

    fn restore_state(&mut self, state: RestoredState<TableData>) -> Result<(), BoxError> {
        keyed_only(&state, "GROUP BY aggregation")?;
        let user_code = self.calls.iter().any(|c| c.user_code);
        let (calls, groups, retracting) = (&self.calls, &mut self.groups, self.retracting);
        super::scope::run(user_code, || {
            for (_, payload) in &state.keyed {
                let mut d = Decoder::new(payload, "GROUP BY aggregation");
                let key: Box<[u8]> = Box::from(d.bytes()?);
                let rows = d.i64()?;
                let previous = d.scalars()?;
                let accs = calls.iter().map(|c| merged(c, &d.scalars()?, retracting)).collect::<Result<Vec<_>, BoxError>>()?;
                d.end()?;
                groups.insert(key, Group { accs, rows, previous });
            }
            Ok(())
        })
    }
}

/// A new accumulator of `call`; `retracting`: one that can retract any row it accumulated.
fn fresh(call: &AggregateCall, retracting: bool) -> Result<Box<dyn Accumulator>, BoxError> {
    Ok(if retracting { retracting_accumulator(call)? } else { call.accumulator()? })
}

/// Appends the state of row accumulators `accs` (one per call of `calls`).
pub(crate) fn encode_accumulators(e: &mut Encoder, calls: &[AggregateCall], accs: &mut [Box<dyn Accumulator>], retracting: bool) -> Result<(), BoxError> {
    for (call, acc) in calls.iter().zip(accs.iter_mut()) {
        // `state` may take the accumulator's state: it goes on from a fresh one that merged
        // it, exactly as a restored one does.
        let values = acc.state()?;
        e.scalars(&values)?;
        *acc = merged(call, &values, retracting)?;
    }
    Ok(())
}

/// A fresh accumulator of `call` that merged the state `values`.
pub(crate) fn merged(call: &AggregateCall, values: &[ScalarValue], retracting: bool) -> Result<Box<dyn Accumulator>, BoxError> {
    let mut acc = fresh(call, retracting)?;
    let arrays = values.iter().map(|v| v.to_array()).collect::<Result<Vec<_>, _>>()?;
    acc.merge_batch(&arrays)?;
    Ok(acc)
}

#[cfg(test)]
#[path = "group_aggregate_tests.rs"]
mod tests;
