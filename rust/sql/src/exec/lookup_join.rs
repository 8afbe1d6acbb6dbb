//! The lookup join operator (see [`crate::plan::lookup_join`]): the dimension table is read
//! whole through its connector on the first lookup and again once it is older than the reload
//! interval; each left row joins the cached rows with its key (NULL keys match nothing), kept in
//! its own row kind. Stateless between checkpoints: the cache is read again after a restore.

use std::collections::HashMap;
use std::sync::Arc;

use arrow::datatypes::SchemaRef;
use oxflow_core::data::Record;
use oxflow_core::error::{message, BoxError};
use oxflow_core::operator::{Operator, Output, TaskInfo};
use oxflow_core::source::{SourceFactory, SourcePoll};

use super::calc::{relaxed, Filter, Project};
use super::data::{ChangeBatch, TableData};
use super::join_rows::{joined, padded, JoinRows, JoinedRow};
use super::keys::KeyEncoder;
use crate::plan::{JoinKind, LookupStep, LookupTable, PhysExpr};

/// The dimension table's rows by key, encoded as the join's right side.
type Cache = HashMap<Box<[u8]>, Vec<Box<[u8]>>>;

pub struct LookupJoin {
    keys: [KeyEncoder; 2],
    rows: JoinRows,
    left_outer: bool,
    condition: Option<PhysExpr>,
    table: Arc<LookupTable>,
    source: Arc<SourceFactory<TableData>>,
    steps: Vec<Step>,
    cache: Cache,
    /// When the cache was read (processing time), `None` before the first lookup.
    loaded_at: Option<i64>,
    task: Option<TaskInfo>,
}

enum Step {
    Project(Project),
    Filter(Filter),
}

impl LookupJoin {
    pub fn new(
        keys: [KeyEncoder; 2],
        left: SchemaRef,
        joined: SchemaRef,
        kind: JoinKind,
        condition: Option<PhysExpr>,
        table: Arc<LookupTable>,
        source: Arc<SourceFactory<TableData>>,
    ) -> Result<Self, BoxError> {
        let right = relaxed(&table.schema.arrow());
        let steps = table
            .steps
            .iter()
            .map(|s| match s {
                LookupStep::Project { exprs, schema } => Step::Project(Project { exprs: exprs.clone(), schema: schema.arrow() }),
                LookupStep::Filter(predicate) => Step::Filter(Filter { predicate: predicate.clone() }),
            })
            .collect();
        Ok(LookupJoin {
            keys,
            rows: JoinRows::new(&left, &right, &joined)?,
            left_outer: kind.left_outer(),
            condition,
            table,
            source,
            steps,
            cache: Cache::new(),
            loaded_at: None,
            task: None,
        })
    }

    /// Reads the whole table through its connector into the cache.
    fn load(&mut self, now: i64) -> Result<(), BoxError> {
        let name = self.table.table.name.join(".");
        let task = self.task.clone().ok_or_else(|| message("the lookup join was not opened"))?;
        // One reader of the whole table, whichever subtask asks.
        let info = TaskInfo { subtask_index: 0, parallelism: 1, ..task };
        let cannot = |e: BoxError| message(format!("Cannot read lookup table '{name}': {e}"));
        let mut source = (self.source)(&info).map_err(cannot)?;
        source.open(&info).map_err(cannot)?;
        let mut cache = Cache::new();
        loop {
            match source.poll(4096).map_err(cannot)? {
                SourcePoll::Records(records) => {
                    for r in records {
                        self.insert(&mut cache, r.value)?;
                    }
                }
                SourcePoll::Pending => std::thread::sleep(std::time::Duration::from_millis(1)),
                SourcePoll::Watermark(_) => {}
                SourcePoll::Finished => break,
            }
        }
        source.close().map_err(cannot)?;
        self.cache = cache;
        self.loaded_at = Some(now);
        Ok(())
    }

    fn insert(&self, cache: &mut Cache, mut batch: ChangeBatch) -> Result<(), BoxError> {
        for step in &self.steps {
            batch = match step {
                Step::Project(p) => p.apply(&batch)?,
                Step::Filter(f) => match f.apply(&batch)? {
                    Some(b) => b,
                    None => return Ok(()),
                },
            };
        }
        let (keys, null_keys) = self.keys[1].encode_with_nulls(&batch.batch)?;
        let rows = self.rows.encode(1, &batch.batch)?;
        for (i, key) in keys.into_iter().enumerate() {
            if null_keys.as_ref().is_some_and(|n| n[i]) {
                continue;
            }
            cache.entry(key).or_default().push(rows.row(i).data().into());
        }
        Ok(())
    }

    fn join(&self, input: &ChangeBatch) -> Result<Vec<JoinedRow>, BoxError> {
        let batch = &input.batch;
        let (keys, null_keys) = self.keys[0].encode_with_nulls(batch)?;
        let lefts = self.rows.encode(0, batch)?;
        let matches: Vec<&[Box<[u8]>]> = (0..batch.num_rows())
            .map(|i| if null_keys.as_ref().is_some_and(|n| n[i]) { &[][..] } else { self.cache.get(&keys[i]).map_or(&[][..], Vec::as_slice) })
            .collect();
        let pairs: Vec<(&[u8], &[u8])> = matches.iter().enumerate().flat_map(|(i, rs)| rs.iter().map(move |r| (i, &**r))).map(|(i, r)| (lefts.row(i).data(), r)).collect();
        let ok = self.rows.pairs_match(self.condition.as_ref(), &pairs)?;
        let mut out = Vec::with_capacity(batch.num_rows());
        let mut next = 0;
        for (i, rs) in matches.iter().enumerate() {
            let (left, kind) = (lefts.row(i).data(), input.kind(i));
            let mut any = false;
            for r in rs.iter() {
                if ok[next] {
                    out.push(joined(0, left, r, kind));
                    any = true;
                }
                next += 1;
            }
            if !any && self.left_outer {
                out.push(padded(0, left, kind));
            }
        }
        Ok(out)
    }
}

impl Operator<TableData> for LookupJoin {
    fn open(&mut self, task: &TaskInfo) -> Result<(), BoxError> {
        self.task = Some(task.clone());
        Ok(())
    }

    fn process(&mut self, _: usize, records: Vec<Record<TableData>>, out: &mut Output<TableData>) -> Result<(), BoxError> {
        let now = self.task.as_ref().map_or(0, |t| t.clock.now());
        if self.loaded_at.is_none_or(|at| now - at >= self.table.reload_ms) {
            self.load(now)?;
        }
        for r in records {
            if r.value.num_rows() == 0 {
                continue;
            }
            let changes = self.join(&r.value)?;
            if !changes.is_empty() {
                out.push(Record::with_timestamp(self.rows.output(&changes)?, r.timestamp));
            }
        }
        Ok(())
    }
}
