//! Streaming Top-N with Flink's changelog (the rules of its AppendOnlyTopNFunction,
//! RetractableTopNFunction and FastTop1Function; our code). Each partition keeps its rows by
//! sort key, equal keys in arrival order. A new row takes its place after the rows of equal key
//! and, with the rank number in the output, every row it pushes down is updated (-U old rank,
//! +U new) and the one pushed out of the range is its last update; without the rank number
//! (Flink's no-ranking-number mode) only the row entering (+I) and the row leaving (-D) are
//! emitted. Retractions (-U/-D input) do the reverse. On append-only input rows past the range
//! can never come back, so they are dropped from state.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use arrow::datatypes::SchemaRef;
use oxflow_core::data::Record;
use oxflow_core::error::BoxError;
use oxflow_core::checkpoint::snapshot::{RestoredState, SnapshotWriter};
use oxflow_core::checkpoint::CheckpointId;
use oxflow_core::operator::{Operator, Output};

use super::data::{RowKind, TableData};
use super::rank_rows::{RankRows, RankedRow};
use super::snapshot::{keyed_only, write_keyed, Decoder, Encoder};
use crate::plan::{RankSpec, RankStrategy};

type Row = Box<[u8]>;

/// Rows of one partition, by sort key (equal keys in arrival order).
#[derive(Default)]
struct Partition {
    rows: BTreeMap<Row, Vec<Row>>,
    len: usize,
}

/// The Top-N rules over partitions, free of Arrow so they are tested on their own.
pub struct TopNState {
    start: i64,
    end: i64,
    /// Rank numbers are in the output, or the range has an offset (start > 1), which needs them.
    numbered: bool,
    /// Input is append-only: rows past the range are dropped.
    append_only: bool,
    partitions: HashMap<Row, Partition>,
}

struct Emit<'a> {
    start: i64,
    end: i64,
    out: &'a mut Vec<RankedRow>,
}

impl Emit<'_> {
    fn in_range(&self, rank: i64) -> bool {
        rank >= self.start && rank <= self.end
    }

    fn push(&mut self, row: &[u8], rank: i64, kind: RowKind) {
        if self.in_range(rank) {
            self.out.push((row.into(), rank, kind));
        }
    }
}

impl TopNState {
    pub fn new(start: u64, end: u64, output_rank: bool, append_only: bool) -> Self {
        TopNState { start: start as i64, end: end as i64, numbered: output_rank || start > 1, append_only, partitions: HashMap::new() }
    }

    /// Applies `row` of `kind` with sort key `key` in `partition`, appending what to emit.
    pub fn apply(&mut self, partition: &[u8], key: &[u8], row: &[u8], kind: RowKind, out: &mut Vec<RankedRow>) {
        let (start, end, numbered) = (self.start, self.end, self.numbered);
        let mut emit = Emit { start, end, out };
        if kind.is_accumulate() {
            let p = self.partitions.entry(partition.into()).or_default();
            p.rows.entry(key.into()).or_default().push(row.into());
            p.len += 1;
            if numbered {
                insert_numbered(&p.rows, key, row, &mut emit);
            } else {
                insert_unnumbered(&p.rows, key, row, &mut emit);
            }
            if self.append_only {
                trim(p, end as usize);
            }
        } else {
            let Some(p) = self.partitions.get_mut(partition) else {
                // A retraction of a row never seen (Flink drops it the same way).
                return;
            };
            if numbered {
                retract_numbered(&p.rows, key, row, &mut emit);
            } else {
                retract_unnumbered(&p.rows, key, row, &mut emit);
            }
            if let Some(list) = p.rows.get_mut(key) {
                if let Some(i) = list.iter().position(|r| r.as_ref() == row) {
                    list.remove(i);
                    p.len -= 1;
                }
                if list.is_empty() {
                    p.rows.remove(key);
                }
            }
            if p.len == 0 {
                self.partitions.remove(partition);
            }
        }
    }
}

/// Drops the rows past rank `end` (from the worst end).
fn trim(p: &mut Partition, end: usize) {
    while p.len > end {
        let mut last = p.rows.last_entry().expect("len > 0");
        last.get_mut().pop();
        if last.get().is_empty() {
            last.remove();
        }
        p.len -= 1;
    }
}

/// A new row (already stored) with rank numbers: each row below it moves down one rank.
fn insert_numbered(rows: &BTreeMap<Row, Vec<Row>>, key: &[u8], input: &[u8], emit: &mut Emit) {
    let mut rank = 0i64;
    let mut current: &[u8] = input;
    let mut found = false;
    'keys: for (k, list) in rows {
        if rank > emit.end {
            break;
        }
        if !found && k.as_ref() == key {
            rank += list.len() as i64;
            current = input;
            found = true;
        } else if found {
            for prev in list {
                if rank > emit.end {
                    break 'keys;
                }
                emit.push(prev, rank, RowKind::UpdateBefore);
                emit.push(current, rank, RowKind::UpdateAfter);
                current = prev;
                rank += 1;
            }
        } else {
            rank += list.len() as i64;
        }
    }
    if rank <= emit.end {
        emit.push(current, rank, RowKind::Insert);
    }
}

/// A new row (already stored) without rank numbers: it enters (+I) and the row pushed to rank
/// end + 1 leaves (-D, first).
fn insert_unnumbered(rows: &BTreeMap<Row, Vec<Row>>, key: &[u8], input: &[u8], emit: &mut Emit) {
    let mut rank = 0i64;
    let mut collect = false;
    let mut delete: Option<&[u8]> = None;
    let mut found = false;
    for (k, list) in rows {
        if rank > emit.end {
            break;
        }
        if !found && k.as_ref() == key {
            rank += list.len() as i64;
            collect = emit.in_range(rank);
            found = true;
        } else if found {
            let last = rank + list.len() as i64;
            if last <= emit.end {
                rank = last;
            } else {
                delete = Some(&list[(emit.end - rank) as usize]);
                break;
            }
        } else {
            rank += list.len() as i64;
        }
    }
    if let Some(d) = delete {
        emit.out.push((d.into(), 0, RowKind::Delete));
    }
    if collect {
        emit.out.push((input.into(), 0, RowKind::Insert));
    }
}

/// A retracted row (still stored) with rank numbers: each row below it moves up one rank, and
/// the last rank it leaves empty is deleted.
fn retract_numbered(rows: &BTreeMap<Row, Vec<Row>>, key: &[u8], input: &[u8], emit: &mut Emit) {
    let mut rank = 0i64;
    let mut prev: Option<&[u8]> = None;
    let mut found = false;
    'keys: for (k, list) in rows {
        if rank > emit.end {
            break;
        }
        if !found && k.as_ref() == key {
            for r in list {
                if rank > emit.end {
                    break 'keys;
                }
                if !found && r.as_ref() == input {
                    prev = Some(r);
                    found = true;
                } else if found {
                    emit.push(prev.expect("found"), rank, RowKind::UpdateBefore);
                    emit.push(r, rank, RowKind::UpdateAfter);
                    prev = Some(r);
                }
                rank += 1;
            }
        } else if found {
            for r in list {
                if rank > emit.end {
                    break 'keys;
                }
                emit.push(prev.expect("found"), rank, RowKind::UpdateBefore);
                emit.push(r, rank, RowKind::UpdateAfter);
                prev = Some(r);
                rank += 1;
            }
        } else {
            rank += list.len() as i64;
        }
    }
    if rank <= emit.end {
        if let Some(p) = prev {
            emit.push(p, rank, RowKind::Delete);
        }
    }
}

/// A retracted row (still stored) without rank numbers: it leaves (-D) and the row moving up
/// to rank end enters (+I).
fn retract_unnumbered(rows: &BTreeMap<Row, Vec<Row>>, key: &[u8], input: &[u8], emit: &mut Emit) {
    let mut next = 1i64;
    let mut found = false;
    'keys: for (k, list) in rows {
        if next > emit.end {
            break;
        }
        if !found && k.as_ref() == key {
            for r in list {
                if next > emit.end {
                    break 'keys;
                }
                if !found && r.as_ref() == input {
                    emit.push(r, next, RowKind::Delete);
                    next -= 1;
                    found = true;
                } else if found && next == emit.end {
                    emit.push(r, next, RowKind::Insert);
                }
                next += 1;
            }
        } else if found {
            let last = next + list.len() as i64 - 1;
            if last < emit.end {
                next = last + 1;
            } else {
                emit.out.push((list[(emit.end - next) as usize].clone(), 0, RowKind::Insert));
                break;
            }
        } else {
            next += list.len() as i64;
        }
    }
}

/// Top 1 of an append-only input without the rank number: +I for a partition's first row, +U
/// for each row that sorts strictly before the current one (Flink's FastTop1Function emits no
/// -U here).
#[derive(Default)]
pub struct Top1State {
    best: HashMap<Row, (Row, Row)>,
    /// Emit -U of the replaced row before the +U (ORDER BY .. LIMIT 1).
    update_before: bool,
}

impl Top1State {
    pub fn apply(&mut self, partition: &[u8], key: &[u8], row: &[u8], out: &mut Vec<RankedRow>) {
        match self.best.get_mut(partition) {
            None => {
                self.best.insert(partition.into(), (key.into(), row.into()));
                out.push((row.into(), 1, RowKind::Insert));
            }
            Some(best) if key < best.0.as_ref() => {
                let old = std::mem::replace(best, (key.into(), row.into()));
                if self.update_before {
                    out.push((old.1, 1, RowKind::UpdateBefore));
                }
                out.push((row.into(), 1, RowKind::UpdateAfter));
            }
            Some(_) => {}
        }
    }
}

impl State {
    /// One entry per partition: `(partition key, payload)`.
    fn snapshot(&self) -> Vec<(&[u8], Vec<u8>)> {
        match self {
            State::TopN(s) => s
                .partitions
                .iter()
                .map(|(partition, p)| {
                    let mut e = Encoder::new();
                    e.bytes(partition).u64(p.rows.len() as u64);
                    for (key, rows) in &p.rows {
                        e.bytes(key).u64(rows.len() as u64);
                        for row in rows {
                            e.bytes(row);
                        }
                    }
                    (partition.as_ref(), e.finish())
                })
                .collect(),
            State::Top1(s) => s.best.iter().map(|(partition, (key, row))| (partition.as_ref(), Encoder::new().bytes(partition).bytes(key).bytes(row).finish())).collect(),
        }
    }

    fn restore<'a>(&mut self, payloads: impl IntoIterator<Item = &'a [u8]>) -> Result<(), BoxError> {
        for payload in payloads {
            let mut d = Decoder::new(payload, "Top-N");
            let partition = Row::from(d.bytes()?);
            match self {
                State::TopN(s) => {
                    let mut p = Partition::default();
                    for _ in 0..d.u64()? {
                        let key = Row::from(d.bytes()?);
                        let rows = (0..d.u64()?).map(|_| d.bytes().map(Row::from)).collect::<Result<Vec<_>, _>>()?;
                        p.len += rows.len();
                        p.rows.insert(key, rows);
                    }
                    s.partitions.insert(partition, p);
                }
                State::Top1(s) => {
                    let (key, row) = (Row::from(d.bytes()?), Row::from(d.bytes()?));
                    s.best.insert(partition, (key, row));
                }
            }
            d.end()?;
        }
        Ok(())
    }
}

enum State {
    TopN(TopNState),
    Top1(Top1State),
}

/// The operator, keyed by the partition (PARTITION BY) keys.
pub struct Rank {
    rows: RankRows,
    state: State,
}

impl Rank {
    pub fn new(spec: Arc<RankSpec>, input: &SchemaRef, output: &SchemaRef) -> Result<Self, BoxError> {
        let (start, end) = spec.range.expect("a bounded ranking");
        let state = match spec.strategy {
            RankStrategy::FastTop1 { update_before } => State::Top1(Top1State { best: HashMap::new(), update_before }),
            RankStrategy::TopN { append_only } => State::TopN(TopNState::new(start, end, spec.output_rank, append_only)),
            other => unreachable!("{other:?} has its own operator"),
        };
        Ok(Rank { rows: RankRows::new(spec, input, output)?, state })
    }
}

impl Operator<TableData> for Rank {
    fn process(&mut self, _: usize, records: Vec<Record<TableData>>, out: &mut Output<TableData>) -> Result<(), BoxError> {
        let mut changes = Vec::new();
        for r in &records {
            let encoded = self.rows.encode(&r.value.batch)?;
            for i in 0..r.value.num_rows() {
                let (partition, key, row) = (encoded.partitions.row(i), encoded.sort_key(i), encoded.rows.row(i).data());
                match &mut self.state {
                    State::TopN(s) => s.apply(partition, key, row, r.value.kind(i), &mut changes),
                    State::Top1(s) => s.apply(partition, key, row, &mut changes),
                }
            }
        }
        self.rows.emit(&changes, out)?;
        Ok(())
    }

    /// Every partition's rows by sort key (all of them: an updating input may need rows past
    /// the range when ranked rows are retracted).
    fn snapshot_state(&mut self, _: CheckpointId, state: &mut SnapshotWriter<'_, TableData>) -> Result<(), BoxError> {
        write_keyed(state, self.rows.partition(), self.state.snapshot())
    }

    fn restore_state(&mut self, state: RestoredState<TableData>) -> Result<(), BoxError> {
        keyed_only(&state, "Top-N")?;
        self.state.restore(state.keyed.iter().map(|(_, p)| p.as_slice()))
    }
}

#[cfg(test)]
#[path = "rank_tests.rs"]
mod tests;
