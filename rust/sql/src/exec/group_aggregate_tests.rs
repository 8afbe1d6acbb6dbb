//! GROUP BY state through snapshot and restore at another parallelism: the restored subtasks
//! (each fed the rows its key groups own) continue exactly as the original operator does.

use std::sync::Arc;

use arrow::array::{ArrayRef, Int64Array, RecordBatch};
use arrow::util::display::array_value_to_string;
use oxflow_core::checkpoint::snapshot::{OperatorSnapshot, RestoredState, SnapshotWriter};
use oxflow_core::data::Record;
use oxflow_core::key_group::{key_group_of, operator_index_of};
use oxflow_core::operator::{Operator, Output};

use super::*;
use crate::exec::calc::eval;
use crate::exec::partition::hash_columns;
use crate::plan::{Node, Planned, PhysExpr};
use crate::session::TableSession;

const MAX_PARALLELISM: usize = 128;

fn find(p: &Planned) -> Option<(&Planned, &Planned, &Vec<PhysExpr>, &Vec<AggregateCall>)> {
    match &p.node {
        Node::GroupAggregate { input, keys, aggregates } => Some((p, input, keys, aggregates)),
        Node::Project { input, .. } | Node::Filter { input, .. } => find(input),
        _ => None,
    }
}

struct Case {
    keys: Vec<PhysExpr>,
    input: SchemaRef,
    make: Box<dyn Fn() -> GroupAggregate>,
}

fn case() -> Case {
    let mut s = TableSession::default();
    s.execute("CREATE TABLE t (k BIGINT, v BIGINT) WITH ('connector' = 'datagen')").unwrap();
    let plan = s.plan_query("SELECT k, COUNT(*) AS c, SUM(v) AS s, AVG(v) AS a, MAX(v) AS m FROM t GROUP BY k").unwrap().planned;
    let (out, input, keys, calls) = find(&plan).expect("the plan is a GROUP BY");
    let key_types: Vec<_> = out.schema.columns[..keys.len()].iter().map(|c| c.ty.ty.to_arrow()).collect();
    let (keys, calls, schema) = (keys.clone(), Arc::<[AggregateCall]>::from(calls.clone()), out.schema.arrow());
    let k = keys.clone();
    Case {
        keys,
        input: input.schema.arrow(),
        make: Box::new(move || GroupAggregate::new(KeyEncoder::new(k.clone(), key_types.clone()).unwrap(), calls.clone(), schema.clone(), true)),
    }
}

/// Rows `(k, v)` with their kinds, as a batch of the aggregate's input.
fn batch(schema: &SchemaRef, rows: &[(i64, i64, RowKind)]) -> ChangeBatch {
    let columns: Vec<ArrayRef> = vec![
        Arc::new(Int64Array::from(rows.iter().map(|r| r.0).collect::<Vec<_>>())),
        Arc::new(Int64Array::from(rows.iter().map(|r| r.1).collect::<Vec<_>>())),
    ];
    let batch = RecordBatch::try_new(relaxed(schema), columns).unwrap();
    ChangeBatch { batch, kinds: Some(rows.iter().map(|r| r.2).collect()) }
}

fn lines(out: Output<TableData>) -> Vec<String> {
    let mut lines = Vec::new();
    for r in out.iter() {
        let b = &r.value.batch;
        for row in 0..b.num_rows() {
            let cells: Vec<String> = b.columns().iter().map(|c| array_value_to_string(c, row).unwrap()).collect();
            lines.push(format!("{} {}", r.value.kind(row).short(), cells.join(",")));
        }
    }
    lines.sort();
    lines
}

fn process(op: &mut GroupAggregate, input: ChangeBatch) -> Vec<String> {
    let mut out = Output::default();
    op.process(0, vec![Record::new(input)], &mut out).unwrap();
    lines(out)
}

/// The rows of `input` each of `parallelism` subtasks gets (as `KeyPartitioner` routes them).
fn split(case: &Case, input: &ChangeBatch, parallelism: usize) -> Vec<ChangeBatch> {
    let columns = case.keys.iter().map(|e| eval(e, &input.batch).unwrap()).collect::<Vec<_>>();
    let mut hashes = vec![0; input.num_rows()];
    hash_columns(&columns, &mut hashes).unwrap();
    (0..parallelism)
        .map(|i| {
            let rows: Vec<u32> = (0..hashes.len() as u32)
                .filter(|&r| operator_index_of(key_group_of(hashes[r as usize], MAX_PARALLELISM), parallelism, MAX_PARALLELISM) == i)
                .collect();
            input.take(&arrow::array::UInt32Array::from(rows)).unwrap()
        })
        .collect()
}

#[test]
fn restored_subtasks_continue_as_the_original_at_any_parallelism() {
    use RowKind::{Delete as D, Insert as I, UpdateAfter as UA, UpdateBefore as UB};
    let case = case();
    let first: Vec<(i64, i64, RowKind)> = (0..40).map(|i| (i % 9, i * 7, I)).chain([(3, 21, UB), (4, 4, D)]).collect();
    let second: Vec<(i64, i64, RowKind)> =
        (0..30).map(|i| (i % 11, i * 3, I)).chain([(3, 3, UA), (5, 35, D), (6, 6, UB), (8, 8, D)]).collect();
    for (before, after) in [(1usize, 3usize), (4, 2), (2, 1)] {
        // The original operators (one per old subtask) and their snapshots.
        let mut originals: Vec<GroupAggregate> = (0..before).map(|_| (case.make)()).collect();
        let mut snapshots = vec![OperatorSnapshot::default(); before];
        for (i, part) in split(&case, &batch(&case.input, &first), before).into_iter().enumerate() {
            process(&mut originals[i], part);
            originals[i].snapshot_state(1, &mut SnapshotWriter::new(&mut snapshots[i])).unwrap();
        }
        // What the originals emit for the second rows (they continue after the snapshot).
        let mut expected = Vec::new();
        for (i, part) in split(&case, &batch(&case.input, &second), before).into_iter().enumerate() {
            expected.extend(process(&mut originals[i], part));
        }
        expected.sort();
        let mut restored = Vec::new();
        for (i, part) in split(&case, &batch(&case.input, &second), after).into_iter().enumerate() {
            let mut op = (case.make)();
            op.restore_state(RestoredState::share(&snapshots, i, after, MAX_PARALLELISM).unwrap()).unwrap();
            restored.extend(process(&mut op, part));
        }
        restored.sort();
        assert!(expected.iter().any(|l| l.starts_with("-U")), "the second rows update restored groups");
        assert_eq!(restored, expected, "restored {before} -> {after}");
    }
}

#[test]
fn a_corrupt_entry_is_refused_naming_the_operator() {
    let case = case();
    let mut op = (case.make)();
    let mut state = RestoredState::<TableData>::default();
    state.keyed.push((oxflow_core::data::Keyed { key: 0, hash: 0 }, vec![1, 2, 3]));
    let err = op.restore_state(state).unwrap_err().to_string();
    assert!(err.contains("corrupt GROUP BY aggregation state"), "{err}");
}
