//! MATCH_RECOGNIZE (Flink's CepOperator, our code): rows are buffered per partition until the
//! watermark passes them, then fed in time order (ties by the secondary ORDER BY columns, then
//! arrival) to the partition's automaton (see [`super::match_nfa`]); rows at or behind the
//! watermark are late and dropped. DEFINE conditions are evaluated for all candidates of a row at
//! once, MEASURES for all matches a watermark completes, as DataFusion expressions over the
//! slots the planner made (see [`crate::plan::match_recognize`]). Output is append-only: the
//! partition columns, then the measures, one row per match.

use std::collections::{BTreeMap, HashMap};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use arrow::array::{new_null_array, Array, ArrayRef, AsArray, RecordBatch, RecordBatchOptions, TimestampMillisecondArray};
use arrow::datatypes::SchemaRef;
use arrow::row::{RowConverter, SortField};
use datafusion_common::ScalarValue;
use oxflow_core::checkpoint::snapshot::{RestoredState, SnapshotWriter};
use oxflow_core::checkpoint::CheckpointId;
use oxflow_core::data::Record;
use oxflow_core::error::{message, BoxError};
use oxflow_core::operator::{Operator, Output};

use super::calc::{eval, relaxed};
use super::data::{ChangeBatch, TableData};
use super::keys::KeyEncoder;
use super::match_nfa::{Candidate, Event, Nfa, Run};
use super::snapshot::{keyed_only, write_keyed, Decoder, Encoder};
use super::watermark::millis;
use crate::plan::match_recognize::{MatchSpec, NavExpr, Slot};

/// A row as the automaton keeps it: its batch of stored columns and its index there.
#[derive(Clone, Debug)]
pub struct Stored {
    batch: Arc<RecordBatch>,
    row: usize,
}

type Key = Box<[u8]>;
type Ev = Event<Stored>;

struct Partition {
    nfa: Nfa<Stored>,
    /// Rows not yet passed by the watermark, by (time, secondary order, arrival).
    buffer: BTreeMap<(i64, Key, u64), Ev>,
}

pub struct MatchRecognize {
    spec: Arc<MatchSpec>,
    keys: KeyEncoder,
    secondary: Option<RowConverter>,
    output: SchemaRef,
    partitions: HashMap<Key, Partition>,
    watermark: i64,
    seq: u64,
    late: Arc<AtomicU64>,
}

impl MatchRecognize {
    pub fn new(spec: Arc<MatchSpec>, output: &SchemaRef, late: Arc<AtomicU64>) -> Result<Self, BoxError> {
        let keys = KeyEncoder::new(spec.partition.clone(), spec.partition_types.clone())?;
        let secondary = if spec.secondary.is_empty() {
            None
        } else {
            Some(RowConverter::new(spec.secondary.iter().map(|(_, t, o)| SortField::new_with_options(t.clone(), *o)).collect())?)
        };
        Ok(MatchRecognize { spec, keys, secondary, output: relaxed(output), partitions: HashMap::new(), watermark: i64::MIN, seq: 0, late })
    }

    fn partition(&mut self, key: &[u8]) -> &mut Partition {
        let spec = &self.spec;
        self.partitions
            .entry(key.into())
            .or_insert_with(|| Partition { nfa: Nfa::new(spec.pattern.clone(), spec.skip.clone(), spec.within_ms), buffer: BTreeMap::new() })
    }

    /// Feeds one row to its partition's automaton; completed matches go to `matches`.
    fn feed(spec: &MatchSpec, p: &mut Partition, key: &Key, event: Ev, matches: &mut Vec<(Key, Run<Stored>)>) -> Result<(), BoxError> {
        let mut error = None;
        let found = p.nfa.process(event, &mut |event, candidates| match accepts(spec, event, candidates) {
            Ok(v) => v,
            Err(e) => {
                error = Some(e);
                vec![false; candidates.len()]
            }
        });
        if let Some(e) = error {
            return Err(e);
        }
        matches.extend(found.into_iter().map(|m| (key.clone(), m)));
        Ok(())
    }

    /// The end of the input: every partition's remaining rows, partition by partition in the
    /// order of their first due row (as Flink's timers fire on its last watermark; partitions
    /// with only partial matches wait on a timer just past the previous watermark), then the
    /// partition's partial matches end.
    fn finish(&mut self, previous: i64, matches: &mut Vec<(Key, Run<Stored>)>) -> Result<(), BoxError> {
        let mut order: Vec<(i64, u64, Key)> = self
            .partitions
            .iter()
            .map(|(k, p)| match p.buffer.first_key_value() {
                Some(((t, _, s), _)) => (*t, *s, k.clone()),
                None => (previous.saturating_add(1), 0, k.clone()),
            })
            .collect();
        order.sort();
        let spec = self.spec.clone();
        for (_, _, key) in order {
            let mut p = self.partitions.remove(&key).expect("a partition");
            for (_, event) in std::mem::take(&mut p.buffer) {
                Self::feed(&spec, &mut p, &key, event, matches)?;
            }
            matches.extend(p.nfa.advance_time(oxflow_core::time::MAX_WATERMARK).into_iter().map(|m| (key.clone(), m)));
        }
        Ok(())
    }

    /// One output row per match: the partition's key columns, then the measures.
    fn emit(&self, matches: &[(Key, Run<Stored>)], out: &mut Output<TableData>) -> Result<(), BoxError> {
        if matches.is_empty() {
            return Ok(());
        }
        let mut columns = self.keys.decode(matches.iter().map(|(k, _)| &k[..]))?;
        let contexts: Vec<Vec<(&Ev, usize)>> = matches.iter().map(|(_, m)| m.rows.iter().map(|(e, v)| (e, *v)).collect()).collect();
        for m in &self.spec.measures {
            columns.push(evaluate(m, &contexts, self.spec.ltz)?);
        }
        let options = RecordBatchOptions::new().with_row_count(Some(matches.len()));
        let batch = RecordBatch::try_new_with_options(self.output.clone(), columns, &options)?;
        out.push(Record::new(ChangeBatch::inserts(batch)));
        Ok(())
    }
}

impl MatchRecognize {
    /// Every partition's state as `(key, payload)`: the rows it holds (buffered or in matches,
    /// each once: their sequence numbers, times and stored columns), the buffer's order, and the
    /// partial and waiting matches as rows' sequence numbers with their variables. The
    /// watermark is not kept, as in Flink.
    fn snapshot(&self) -> Result<Vec<(&[u8], Vec<u8>)>, BoxError> {
        let mut entries = Vec::with_capacity(self.partitions.len());
        for (key, p) in &self.partitions {
            let (runs, pending) = p.nfa.runs();
            let mut events: BTreeMap<u64, &Ev> = p.buffer.values().map(|e| (e.seq, e)).collect();
            for run in runs.iter().chain(pending) {
                events.extend(run.rows.iter().map(|(e, _)| (e.seq, e)));
            }
            let mut e = Encoder::new();
            e.bytes(key).u64(events.len() as u64);
            for event in events.values() {
                e.u64(event.seq).i64(event.time);
            }
            let rows: Vec<Option<&Stored>> = events.values().map(|e| Some(&e.data)).collect();
            let columns = (0..self.spec.stored_schema.fields().len())
                .map(|c| gather(&rows, c, self.spec.stored_schema.field(c).data_type()))
                .collect::<Result<Vec<_>, _>>()?;
            e.columns(&columns)?;
            e.u64(p.buffer.len() as u64);
            for (time, order, seq) in p.buffer.keys() {
                e.i64(*time).bytes(order).u64(*seq);
            }
            for runs in [runs, pending] {
                e.u64(runs.len() as u64);
                for run in runs {
                    let (element, count) = run.position();
                    e.u64(element as u64).u64(count as u64).u64(run.rows.len() as u64);
                    for (event, var) in &run.rows {
                        e.u64(event.seq).u64(*var as u64);
                    }
                }
            }
            entries.push((key.as_ref(), e.finish()));
        }
        Ok(entries)
    }

    /// Takes back what [`MatchRecognize::snapshot`] wrote (of one or more old subtasks).
    fn restore<'a>(&mut self, payloads: impl IntoIterator<Item = &'a [u8]>) -> Result<(), BoxError> {
        let corrupt = |detail: String| message(format!("corrupt MATCH_RECOGNIZE state in the snapshot: {detail}"));
        let schema = relaxed(&self.spec.stored_schema);
        for payload in payloads {
            let mut d = Decoder::new(payload, "MATCH_RECOGNIZE");
            let key: Key = d.bytes()?.into();
            let n = d.u64()? as usize;
            let times = (0..n).map(|_| Ok((d.u64()?, d.i64()?))).collect::<Result<Vec<_>, BoxError>>()?;
            let options = RecordBatchOptions::new().with_row_count(Some(n));
            let batch = Arc::new(RecordBatch::try_new_with_options(schema.clone(), d.columns()?, &options)?);
            let events: HashMap<u64, Ev> =
                times.iter().enumerate().map(|(row, &(seq, time))| (seq, Event { seq, time, data: Stored { batch: batch.clone(), row } })).collect();
            let event = |seq: u64| events.get(&seq).cloned().ok_or_else(|| corrupt(format!("row {seq} is not among the partition's rows")));
            let mut buffer = BTreeMap::new();
            for _ in 0..d.u64()? {
                let (time, order, seq) = (d.i64()?, Key::from(d.bytes()?), d.u64()?);
                buffer.insert((time, order, seq), event(seq)?);
            }
            let mut lists = Vec::with_capacity(2);
            for _ in 0..2 {
                let mut runs = Vec::new();
                for _ in 0..d.u64()? {
                    let (element, count, len) = (d.u64()? as usize, d.u64()? as u32, d.u64()?);
                    let rows = (0..len).map(|_| Ok((event(d.u64()?)?, d.u64()? as usize))).collect::<Result<Vec<_>, BoxError>>()?;
                    runs.push(Run::resumed(rows, element, count));
                }
                lists.push(runs);
            }
            d.end()?;
            self.seq = self.seq.max(times.iter().map(|t| t.0).max().unwrap_or(0));
            let (pending, runs) = (lists.pop().expect("two lists"), lists.pop().expect("two lists"));
            let p = self.partition(&key);
            p.buffer.extend(buffer);
            p.nfa.resume(runs, pending).map_err(corrupt)?;
        }
        Ok(())
    }
}

/// The DEFINE conditions of all candidates of `event` (variables without one take any row).
fn accepts(spec: &MatchSpec, event: &Ev, candidates: &[Candidate<'_, Stored>]) -> Result<Vec<bool>, BoxError> {
    let mut out = vec![true; candidates.len()];
    for (v, define) in spec.defines.iter().enumerate() {
        let Some(define) = define else { continue };
        let asked: Vec<usize> = (0..candidates.len()).filter(|&i| candidates[i].var == v).collect();
        if asked.is_empty() {
            continue;
        }
        let contexts: Vec<Vec<(&Ev, usize)>> = asked
            .iter()
            .map(|&i| candidates[i].rows.iter().map(|(e, var)| (e, *var)).chain(std::iter::once((event, v))).collect())
            .collect();
        let result = evaluate(define, &contexts, spec.ltz)?;
        let result = result.as_boolean();
        for (k, &i) in asked.iter().enumerate() {
            out[i] = result.is_valid(k) && result.value(k);
        }
    }
    Ok(out)
}

/// `nav` for every context (the rows of a match, each with its variable).
fn evaluate(nav: &NavExpr, contexts: &[Vec<(&Ev, usize)>], ltz: bool) -> Result<ArrayRef, BoxError> {
    let columns = nav.slots.iter().enumerate().map(|(i, s)| slot_values(s, contexts, nav.schema.field(i).data_type(), ltz)).collect::<Result<Vec<_>, _>>()?;
    let options = RecordBatchOptions::new().with_row_count(Some(contexts.len()));
    let batch = RecordBatch::try_new_with_options(relaxed(&nav.schema), columns, &options)?;
    eval(&nav.expr, &batch)
}

/// The values of column `column` of `rows` (`None`: NULL), gathered from their batches.
fn gather(rows: &[Option<&Stored>], column: usize, ty: &arrow::datatypes::DataType) -> Result<ArrayRef, BoxError> {
    let null = new_null_array(ty, 1);
    let mut sources: Vec<&dyn Array> = vec![null.as_ref()];
    let mut batches: Vec<&Arc<RecordBatch>> = Vec::new();
    let mut indices = Vec::with_capacity(rows.len());
    for r in rows {
        match r {
            None => indices.push((0, 0)),
            Some(s) => {
                let b = match batches.iter().position(|b| Arc::ptr_eq(b, &s.batch)) {
                    Some(b) => b,
                    None => {
                        batches.push(&s.batch);
                        sources.push(s.batch.column(column).as_ref());
                        batches.len() - 1
                    }
                };
                indices.push((b + 1, s.row));
            }
        }
    }
    Ok(arrow::compute::interleave(&sources, &indices)?)
}

fn slot_values(slot: &Slot, contexts: &[Vec<(&Ev, usize)>], ty: &arrow::datatypes::DataType, _ltz: bool) -> Result<ArrayRef, BoxError> {
    fn of_var<'a>(ctx: &[(&'a Ev, usize)], var: Option<usize>) -> Vec<&'a Stored> {
        ctx.iter().filter(|(_, v)| var.is_none_or(|x| x == *v)).map(|(e, _)| &e.data).collect()
    }
    match slot {
        Slot::Row { var, last, offset, column } => {
            let picked: Vec<Option<&Stored>> = contexts
                .iter()
                .map(|ctx| {
                    let rows = of_var(ctx, *var);
                    if *last {
                        rows.len().checked_sub(offset + 1).map(|i| rows[i])
                    } else {
                        rows.get(*offset).copied()
                    }
                })
                .collect();
            let column_type = picked.iter().flatten().next().map(|s| s.batch.schema().field(*column).data_type().clone()).unwrap_or_else(|| ty.clone());
            let values = gather(&picked, *column, &column_type)?;
            Ok(if values.data_type() == ty { values } else { arrow::compute::cast(&values, ty)? })
        }
        Slot::Aggregate { var, call, column } => {
            let mut scalars = Vec::with_capacity(contexts.len());
            for ctx in contexts {
                let rows: Vec<Option<&Stored>> = of_var(ctx, *var).into_iter().map(Some).collect();
                let arg_type = call.arg_fields[0].data_type();
                let values = if rows.is_empty() { new_null_array(arg_type, 0) } else { gather(&rows, *column, arg_type)? };
                let values = if values.data_type() == arg_type { values } else { arrow::compute::cast(&values, arg_type)? };
                let mut acc = call.accumulator()?;
                acc.update_batch(&[values])?;
                scalars.push(acc.evaluate()?);
            }
            let raw = if scalars.is_empty() { new_null_array(call.return_field.data_type(), 0) } else { ScalarValue::iter_to_array(scalars)? };
            let values = call.finish(raw)?;
            Ok(if values.data_type() == ty { values } else { arrow::compute::cast(&values, ty)? })
        }
        Slot::MatchRowtime => {
            let times = TimestampMillisecondArray::from_iter_values(contexts.iter().map(|ctx| ctx.last().map_or(0, |(e, _)| e.time)));
            Ok(arrow::compute::cast(&times, ty)?)
        }
    }
}

impl Operator<TableData> for MatchRecognize {
    fn process(&mut self, _: usize, records: Vec<Record<TableData>>, out: &mut Output<TableData>) -> Result<(), BoxError> {
        let mut matches = Vec::new();
        for r in &records {
            let batch = &r.value.batch;
            let stored_columns = self.spec.stored.iter().map(|e| eval(e, batch)).collect::<Result<Vec<_>, _>>()?;
            let options = RecordBatchOptions::new().with_row_count(Some(batch.num_rows()));
            let stored = Arc::new(RecordBatch::try_new_with_options(relaxed(&self.spec.stored_schema), stored_columns, &options)?);
            let keys = self.keys.encode_rows(batch)?;
            let times = millis(eval(&self.spec.time, batch)?.as_ref())?;
            let secondary = match &self.secondary {
                None => None,
                Some(c) => Some(c.convert_columns(&self.spec.secondary.iter().map(|(e, _, _)| eval(e, batch)).collect::<Result<Vec<_>, _>>()?)?),
            };
            let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_millis() as i64);
            for i in 0..batch.num_rows() {
                let time = if self.spec.proctime { now } else if times.is_null(i) { i64::MIN } else { times.value(i) };
                if !self.spec.proctime && time <= self.watermark {
                    self.late.fetch_add(1, Ordering::Relaxed);
                    continue;
                }
                self.seq += 1;
                let event = Event { seq: self.seq, time, data: Stored { batch: stored.clone(), row: i } };
                let key: Key = keys.row(i).into();
                let spec = self.spec.clone();
                let p = self.partition(&key);
                if spec.proctime {
                    Self::feed(&spec, p, &key, event, &mut matches)?;
                } else {
                    let order: Key = secondary.as_ref().map_or_else(Key::default, |s| s.row(i).as_ref().into());
                    p.buffer.insert((time, order, event.seq), event);
                }
            }
        }
        self.emit(&matches, out)
    }

    fn on_watermark(&mut self, watermark: i64, out: &mut Output<TableData>) -> Result<(), BoxError> {
        if watermark <= self.watermark {
            return Ok(());
        }
        let previous = std::mem::replace(&mut self.watermark, watermark);
        let mut matches = Vec::new();
        if self.spec.proctime {
            // Rows were fed as they came.
        } else if watermark == oxflow_core::time::MAX_WATERMARK {
            self.finish(previous, &mut matches)?;
        } else {
            // The rows the watermark passed, of all partitions, in time order: as Flink's operator
            // sees them, its watermarks following the rows closely (one per row that advances it).
            let mut due: Vec<((i64, Key, u64), Key, Ev)> = Vec::new();
            for (key, p) in self.partitions.iter_mut() {
                while let Some(entry) = p.buffer.first_entry() {
                    if entry.key().0 > watermark {
                        break;
                    }
                    let (order, event) = entry.remove_entry();
                    due.push((order, key.clone(), event));
                }
            }
            due.sort_by(|a, b| a.0.cmp(&b.0));
            let spec = self.spec.clone();
            for (_, key, event) in due {
                let p = self.partitions.get_mut(&key).expect("a partition");
                Self::feed(&spec, p, &key, event, &mut matches)?;
            }
            // Then time passes for every partition (WITHIN drops partial matches, which may
            // free completed ones); partitions left with nothing are dropped.
            let mut keys: Vec<Key> = self.partitions.keys().cloned().collect();
            keys.sort();
            for key in keys {
                let p = self.partitions.get_mut(&key).expect("a partition");
                matches.extend(p.nfa.advance_time(watermark).into_iter().map(|m| (key.clone(), m)));
                if p.buffer.is_empty() && p.nfa.is_empty() {
                    self.partitions.remove(&key);
                }
            }
        }
        self.emit(&matches, out)?;
        out.emit_watermark(watermark);
        Ok(())
    }

    fn snapshot_state(&mut self, _: CheckpointId, state: &mut SnapshotWriter<'_, TableData>) -> Result<(), BoxError> {
        write_keyed(state, &self.keys, self.snapshot()?)
    }

    fn restore_state(&mut self, state: RestoredState<TableData>) -> Result<(), BoxError> {
        keyed_only(&state, "MATCH_RECOGNIZE")?;
        self.restore(state.keyed.iter().map(|(_, p)| p.as_slice()))
    }
}

#[cfg(test)]
#[path = "match_recognize_tests.rs"]
mod tests;
