//! Regular joins with Flink's changelog (its StreamingJoinOperator's rules, our code): each
//! input row is stored under its equi key and joined with the other side's rows of that key that
//! satisfy the condition. Outer sides keep, per stored row, how many rows of the other side it
//! is joined with: a row without any is emitted padded with NULLs, that padded row is retracted
//! (-D) when its first match arrives and emitted again (+I) when its last match is retracted.
//! An inner join passes its input's kind through (+U in, +U out); outer joins emit +I and -D.
//! With a state TTL, rows not written for that long (processing time) are forgotten.

use std::collections::HashMap;

use arrow::datatypes::SchemaRef;
use oxflow_core::data::Record;
use oxflow_core::error::BoxError;
use oxflow_core::checkpoint::snapshot::{RestoredState, SnapshotWriter};
use oxflow_core::checkpoint::CheckpointId;
use oxflow_core::operator::{Operator, Output, TaskInfo};

use super::data::{RowKind, TableData};
use super::join_rows::{joined, padded, JoinRows, JoinedRow};
use super::keys::KeyEncoder;
use super::snapshot::{keyed_only, write_keyed, Decoder, Encoder};
use crate::plan::{JoinKind, PhysExpr};

/// One distinct row of a side: how many copies are stored, with how many rows of the other
/// side it is joined (outer sides only), and when it expires.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Stored {
    copies: u32,
    associations: u32,
    expires: i64,
}

type SideState = HashMap<Box<[u8]>, HashMap<Box<[u8]>, Stored>>;

/// Both sides' rows per key, and the changelog rules; free of Arrow so it is tested on its own.
pub struct JoinState {
    outer: [bool; 2],
    sides: [SideState; 2],
    /// `table.exec.state.ttl` in ms (`None`: rows are kept forever).
    ttl: Option<i64>,
}

impl JoinState {
    pub fn new(kind: JoinKind, ttl: Option<i64>) -> Self {
        JoinState { outer: [kind.left_outer(), kind.right_outer()], sides: [HashMap::new(), HashMap::new()], ttl }
    }

    fn expiry(&self, now: i64) -> i64 {
        self.ttl.map_or(i64::MAX, |t| now.saturating_add(t))
    }

    /// The distinct live rows of `side` under `key` (expired ones are dropped here).
    pub fn candidates(&mut self, side: usize, key: &[u8], now: i64) -> Vec<Box<[u8]>> {
        let Some(rows) = self.sides[side].get_mut(key) else {
            return Vec::new();
        };
        if self.ttl.is_some() {
            rows.retain(|_, s| s.expires > now);
        }
        rows.keys().cloned().collect()
    }

    /// Applies `row` (of `kind`) arriving on `side` under `key`; `matched` are the other side's
    /// rows of that key that satisfy the join condition (from [`Self::candidates`]).
    pub fn apply(&mut self, side: usize, key: &[u8], row: &[u8], kind: RowKind, matched: &[Box<[u8]>], now: i64, out: &mut Vec<JoinedRow>) {
        let other = 1 - side;
        let (input_outer, other_outer) = (self.outer[side], self.outer[other]);
        let expires = self.expiry(now);
        let copies = |state: &SideState, o: &[u8]| state.get(key).and_then(|m| m.get(o)).map_or(0, |s| s.copies);
        if kind.is_accumulate() {
            let mut total = 0u32;
            for o in matched {
                let entry = self.sides[other].get_mut(key).and_then(|m| m.get_mut(o)).expect("candidate present");
                total += entry.copies;
                if other_outer {
                    if entry.associations == 0 {
                        out.extend((0..entry.copies).map(|_| padded(other, o, RowKind::Delete)));
                    }
                    entry.associations += 1;
                    entry.expires = expires;
                }
            }
            if input_outer && matched.is_empty() {
                out.push(padded(side, row, RowKind::Insert));
            }
            let out_kind = if input_outer || other_outer { RowKind::Insert } else { kind };
            for o in matched {
                let n = copies(&self.sides[other], o);
                out.extend((0..n).map(|_| joined(side, row, o, out_kind)));
            }
            let entry = self.sides[side].entry(key.into()).or_default().entry(row.into()).or_insert(Stored { copies: 0, associations: 0, expires });
            entry.copies += 1;
            entry.associations = total;
            entry.expires = expires;
        } else {
            if let Some(rows) = self.sides[side].get_mut(key) {
                if let Some(entry) = rows.get_mut(row) {
                    entry.copies -= 1;
                    entry.expires = expires;
                    if entry.copies == 0 {
                        rows.remove(row);
                    }
                }
                if rows.is_empty() {
                    self.sides[side].remove(key);
                }
            }
            if matched.is_empty() {
                if input_outer {
                    out.push(padded(side, row, RowKind::Delete));
                }
                return;
            }
            let out_kind = if input_outer { RowKind::Delete } else { kind };
            for o in matched {
                let n = copies(&self.sides[other], o);
                out.extend((0..n).map(|_| joined(side, row, o, out_kind)));
            }
            if other_outer {
                for o in matched {
                    let entry = self.sides[other].get_mut(key).and_then(|m| m.get_mut(o)).expect("candidate present");
                    if entry.associations == 1 {
                        out.extend((0..entry.copies).map(|_| padded(other, o, RowKind::Insert)));
                    }
                    entry.associations = entry.associations.saturating_sub(1);
                    entry.expires = expires;
                }
            }
        }
    }

    /// Forgets every row whose TTL has passed.
    pub fn expire(&mut self, now: i64) {
        if self.ttl.is_none() {
            return;
        }
        for side in &mut self.sides {
            side.retain(|_, rows| {
                rows.retain(|_, s| s.expires > now);
                !rows.is_empty()
            });
        }
    }
}

impl JoinState {
    /// One entry per distinct stored row: `(side, key, payload)`.
    fn snapshot(&self) -> Vec<(usize, &[u8], Vec<u8>)> {
        let mut entries = Vec::new();
        for (side, state) in self.sides.iter().enumerate() {
            for (key, rows) in state {
                for (row, s) in rows {
                    let mut e = Encoder::new();
                    e.u64(side as u64).bytes(key).bytes(row).u64(s.copies as u64).u64(s.associations as u64).i64(s.expires);
                    entries.push((side, key.as_ref(), e.finish()));
                }
            }
        }
        entries
    }

    fn restore<'a>(&mut self, payloads: impl IntoIterator<Item = &'a [u8]>) -> Result<(), BoxError> {
        for payload in payloads {
            let mut d = Decoder::new(payload, "regular join");
            let side = d.u64()? as usize;
            let (key, row) = (Box::<[u8]>::from(d.bytes()?), Box::<[u8]>::from(d.bytes()?));
            let stored = Stored { copies: d.u64()? as u32, associations: d.u64()? as u32, expires: d.i64()? };
            d.end()?;
            let Some(state) = self.sides.get_mut(side) else {
                return Err(oxflow_core::error::message(format!("corrupt regular join state in the snapshot: side {side}")));
            };
            state.entry(key).or_default().insert(row, stored);
        }
        Ok(())
    }
}

impl Default for Stored {
    fn default() -> Self {
        Stored { copies: 0, associations: 0, expires: i64::MAX }
    }
}

/// The operator: input port 0 is the left side, 1 the right.
pub struct Join {
    keys: [KeyEncoder; 2],
    rows: JoinRows,
    condition: Option<PhysExpr>,
    state: JoinState,
    clock: Option<std::sync::Arc<dyn oxflow_core::time::Clock>>,
    last_sweep: i64,
}

impl Join {
    pub fn new(keys: [KeyEncoder; 2], inputs: [SchemaRef; 2], joined: SchemaRef, kind: JoinKind, condition: Option<PhysExpr>, ttl: Option<i64>) -> Result<Self, BoxError> {
        let rows = JoinRows::new(&inputs[0], &inputs[1], &joined)?;
        Ok(Join { keys, rows, condition, state: JoinState::new(kind, ttl), clock: None, last_sweep: i64::MIN })
    }

    fn now(&self) -> i64 {
        self.clock.as_ref().map_or(0, |c| c.now())
    }

    fn process_batch(&mut self, side: usize, input: &super::data::ChangeBatch, out: &mut Vec<JoinedRow>) -> Result<(), BoxError> {
        let batch = &input.batch;
        let (keys, null_keys) = self.keys[side].encode_with_nulls(batch)?;
        let rows = self.rows.encode(side, batch)?;
        let now = self.now();
        // The other side does not change while this batch is applied (but for association
        // counts), so every row's candidates and the condition over them are computed at once.
        let candidates: Vec<Vec<Box<[u8]>>> = (0..batch.num_rows())
            .map(|i| if null_keys.as_ref().is_some_and(|n| n[i]) { Vec::new() } else { self.state.candidates(1 - side, &keys[i], now) })
            .collect();
        let matched: Vec<Vec<Box<[u8]>>> = match &self.condition {
            None => candidates,
            Some(condition) => {
                let pairs: Vec<(Option<&[u8]>, Option<&[u8]>)> = candidates
                    .iter()
                    .enumerate()
                    .flat_map(|(i, c)| {
                        let row = rows.row(i).data();
                        c.iter().map(move |o| if side == 0 { (Some(row), Some(o.as_ref())) } else { (Some(o.as_ref()), Some(row)) })
                    })
                    .collect();
                let mut mask = self.rows.matches(condition, &pairs)?.into_iter();
                candidates.into_iter().map(|c| c.into_iter().filter(|_| mask.next().unwrap_or(false)).collect()).collect()
            }
        };
        for (i, m) in matched.iter().enumerate() {
            self.state.apply(side, &keys[i], rows.row(i).data(), input.kind(i), m, now, out);
        }
        Ok(())
    }
}

impl Operator<TableData> for Join {
    fn open(&mut self, task: &TaskInfo) -> Result<(), BoxError> {
        self.clock = Some(task.clock.clone());
        Ok(())
    }

    fn process(&mut self, port: usize, records: Vec<Record<TableData>>, out: &mut Output<TableData>) -> Result<(), BoxError> {
        let side = port.min(1);
        let mut changes = Vec::new();
        for r in &records {
            self.process_batch(side, &r.value, &mut changes)?;
        }
        if !changes.is_empty() {
            out.push(Record::new(self.rows.output(&changes)?));
        }
        Ok(())
    }

    /// Expired rows are dropped when touched; a sweep every TTL bounds the memory of the rest.
    fn on_processing_time(&mut self, now: i64, _: &mut Output<TableData>) -> Result<(), BoxError> {
        if let Some(ttl) = self.state.ttl {
            if now.saturating_sub(self.last_sweep) >= ttl {
                self.last_sweep = now;
                self.state.expire(now);
            }
        }
        Ok(())
    }

    /// Both sides' stored rows with their copy and association counts (and TTL expiry).
    fn snapshot_state(&mut self, _: CheckpointId, state: &mut SnapshotWriter<'_, TableData>) -> Result<(), BoxError> {
        let entries = self.state.snapshot();
        for side in 0..2 {
            let mine = entries.iter().filter(|e| e.0 == side).map(|e| (e.1, e.2.clone())).collect();
            write_keyed(state, &self.keys[side], mine)?;
        }
        Ok(())
    }

    fn restore_state(&mut self, state: RestoredState<TableData>) -> Result<(), BoxError> {
        keyed_only(&state, "regular join")?;
        self.state.restore(state.keyed.iter().map(|(_, p)| p.as_slice()))
    }
}

#[cfg(test)]
#[path = "join_tests.rs"]
mod tests;
