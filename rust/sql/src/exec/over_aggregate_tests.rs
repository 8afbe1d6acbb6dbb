//! The operator on small batches: frames, peers, the two lateness rules, and state cleanup.

use arrow::array::{Int32Array, StringArray, TimestampMillisecondArray};

use super::*;
use crate::plan::{Node, Planned};
use crate::session::{Outcome, TableSession};

fn over_spec(p: &Planned) -> Option<(OverSpec, SchemaRef, SchemaRef)> {
    match &p.node {
        Node::OverAggregate { input, over } => Some(((**over).clone(), input.schema.arrow(), p.schema.arrow())),
        Node::Project { input, .. } | Node::Filter { input, .. } | Node::Watermark { input, .. } => over_spec(input),
        _ => None,
    }
}

/// The operator of `SELECT k, v, ts, AGG(v) OVER (PARTITION BY k ORDER BY ts <frame>) FROM t`.
fn operator(aggregate: &str, frame: &str) -> (OverAggregate, SchemaRef) {
    let mut s = TableSession::default();
    s.execute("CREATE TABLE t (k STRING, v INT, ts TIMESTAMP(3), WATERMARK FOR ts AS ts) WITH ('connector' = 'datagen')").unwrap();
    let sql = format!("SELECT k, v, ts, {aggregate}(v) OVER (PARTITION BY k ORDER BY ts {frame}) AS a FROM t");
    let Outcome::Query(plan) = s.execute(&sql).unwrap() else { panic!("a query") };
    let (spec, input, output) = over_spec(&plan.planned).expect("an OVER aggregation");
    (OverAggregate::new(&spec, &output, Arc::default()).unwrap(), input)
}

fn batch(input: &SchemaRef, rows: &[(&str, i32, i64)]) -> Record<TableData> {
    let columns: Vec<ArrayRef> = vec![
        Arc::new(StringArray::from_iter_values(rows.iter().map(|r| r.0))),
        Arc::new(Int32Array::from_iter_values(rows.iter().map(|r| r.1))),
        Arc::new(TimestampMillisecondArray::from_iter_values(rows.iter().map(|r| r.2))),
    ];
    Record::new(ChangeBatch::inserts(RecordBatch::try_new(input.clone(), columns).unwrap()))
}

/// (k, v, aggregate) of what the operator emits.
fn rows(out: Output<TableData>) -> Vec<(String, i32, Option<i64>)> {
    let (records, _) = out.into_segments();
    let mut got = Vec::new();
    for r in records {
        let b = &r.value.batch;
        let k = b.column(0).as_any().downcast_ref::<StringArray>().unwrap();
        let v = b.column(1).as_any().downcast_ref::<Int32Array>().unwrap();
        let a = arrow::compute::cast(b.column(3), &arrow::datatypes::DataType::Int64).unwrap();
        let a = a.as_any().downcast_ref::<arrow::array::Int64Array>().unwrap();
        for i in 0..b.num_rows() {
            got.push((k.value(i).to_string(), v.value(i), a.is_valid(i).then(|| a.value(i))));
        }
    }
    got
}

fn feed(op: &mut OverAggregate, input: &SchemaRef, data: &[(&str, i32, i64)], watermark: Option<i64>) -> Vec<(String, i32, Option<i64>)> {
    let mut out = Output::default();
    if !data.is_empty() {
        op.process(0, vec![batch(input, data)], &mut out).unwrap();
    }
    if let Some(w) = watermark {
        op.on_watermark(w, &mut out).unwrap();
    }
    rows(out)
}

/// The rows the frame of key `k` holds.
fn held(op: &OverAggregate, input: &SchemaRef, k: &str) -> usize {
    let b = batch(input, &[(k, 0, 0)]);
    let keys = op.keys.encode_rows(&b.value.batch).unwrap();
    op.frames[keys.row(0)].rows_held()
}

fn r(k: &str, v: i32, a: i64) -> (String, i32, Option<i64>) {
    (k.to_string(), v, Some(a))
}

#[test]
fn rows_frames_hold_rows_until_the_watermark_and_slide_in_time_order() {
    let (mut op, input) = operator("MIN", "ROWS BETWEEN 1 PRECEDING AND CURRENT ROW");
    // Out of order: nothing before the watermark, then time order (equal times by arrival).
    assert_eq!(feed(&mut op, &input, &[("a", 5, 3000), ("a", 7, 1000), ("b", 1, 2000), ("a", 2, 1000)], None), vec![]);
    assert_eq!(
        feed(&mut op, &input, &[], Some(3000)),
        vec![r("a", 7, 7), r("a", 2, 2), r("b", 1, 1), r("a", 5, 2)]
    );
    // MIN over a sliding frame: 2 left it when 4 came, so 4 and 5 are the frame.
    assert_eq!(feed(&mut op, &input, &[("a", 4, 4000)], Some(5000)), vec![r("a", 4, 4)]);
    assert!(op.batches.is_empty() && op.pending.is_empty());
    // ROWS n keeps n + 1 rows of the key.
    assert_eq!(held(&op, &input, "a"), 2);
}

#[test]
fn bounded_frames_drop_rows_at_or_before_their_keys_last_time() {
    let (mut op, input) = operator("SUM", "ROWS BETWEEN 2 PRECEDING AND CURRENT ROW");
    feed(&mut op, &input, &[("a", 1, 10_000)], Some(10_000));
    // Behind the watermark but after a's last time (and b's, never processed): kept.
    assert_eq!(feed(&mut op, &input, &[("a", 2, 10_500), ("b", 3, 5000), ("a", 9, 10_000)], Some(11_000)), vec![r("b", 3, 3), r("a", 2, 3)]);
    assert_eq!(op.late.load(Ordering::Relaxed), 1);
}

#[test]
fn unbounded_frames_drop_rows_at_or_before_the_watermark() {
    let (mut op, input) = operator("COUNT", "ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW");
    assert_eq!(feed(&mut op, &input, &[("a", 1, 10_000)], Some(10_000)), vec![r("a", 1, 1)]);
    assert_eq!(feed(&mut op, &input, &[("a", 2, 10_500), ("b", 3, 9000)], Some(11_000)), vec![r("a", 2, 2)]);
    assert_eq!(op.late.load(Ordering::Relaxed), 1);
}

#[test]
fn range_frames_give_peers_one_result_and_keep_only_the_interval() {
    let (mut op, input) = operator("SUM", "RANGE BETWEEN INTERVAL '2' SECOND PRECEDING AND CURRENT ROW");
    let got = feed(&mut op, &input, &[("a", 1, 1000), ("a", 2, 2000), ("a", 3, 2000), ("a", 4, 3000), ("a", 10, 5000)], Some(5000));
    // 2000 and 2000 are peers (1 + 2 + 3); at 3000 the frame is [1000, 3000]; at 5000 [3000, 5000].
    assert_eq!(got, vec![r("a", 1, 1), r("a", 2, 6), r("a", 3, 6), r("a", 4, 10), r("a", 10, 14)]);
    assert_eq!(held(&op, &input, "a"), 2);
}

#[test]
fn the_default_frame_is_range_unbounded_with_peers() {
    let (mut op, input) = operator("SUM", "");
    let got = feed(&mut op, &input, &[("a", 1, 1000), ("a", 2, 1000), ("b", 5, 1000), ("a", 4, 2000)], Some(i64::MAX));
    assert_eq!(got, vec![r("a", 1, 3), r("a", 2, 3), r("b", 5, 5), r("a", 4, 7)]);
    // Unbounded frames keep no rows, only the accumulators.
    assert_eq!(held(&op, &input, "a"), 0);
}

#[test]
fn restored_keys_go_on_as_the_original_on_any_split() {
    for (aggregate, frame) in [
        ("MIN", "ROWS BETWEEN 1 PRECEDING AND CURRENT ROW"),
        ("SUM", "RANGE BETWEEN INTERVAL '2' SECOND PRECEDING AND CURRENT ROW"),
        ("AVG", "ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW"),
        ("COUNT", ""),
    ] {
        let (mut original, input) = operator(aggregate, frame);
        // Some rows processed (frames), some waiting for the watermark (pending), of two keys.
        feed(&mut original, &input, &[("a", 4, 1000), ("b", 3, 1500), ("a", 6, 2000), ("b", 8, 4000), ("a", 1, 3500), ("c", 2, 3000)], Some(2500));
        let entries = original.snapshot().unwrap();
        let a = original.keys.encode_rows(&batch(&input, &[("a", 0, 0)]).value.batch).unwrap().row(0).to_vec();
        let (of_a, others): (Vec<_>, Vec<_>) = entries.into_iter().partition(|(k, _)| **k == *a);
        assert!(!of_a.is_empty() && !others.is_empty());
        let mut restored = [operator(aggregate, frame).0, operator(aggregate, frame).0];
        restored[0].restore(of_a.iter().map(|(_, p)| p.as_slice())).unwrap();
        restored[1].restore(others.iter().map(|(_, p)| p.as_slice())).unwrap();
        let more = [("a", 5, 4500), ("b", 7, 5000), ("c", 9, 6000)];
        let mut expected = feed(&mut original, &input, &more, Some(i64::MAX));
        let mut got = Vec::new();
        for (i, op) in restored.iter_mut().enumerate() {
            // Each op gets the rows of the keys it restored, as the job's routing does.
            let mine: Vec<_> = more.iter().copied().filter(|r| (r.0 == "a") == (i == 0)).collect();
            got.extend(feed(op, &input, &mine, Some(i64::MAX)));
        }
        expected.sort();
        got.sort();
        assert_eq!(expected.len(), 6, "{aggregate} {frame}");
        assert_eq!(got, expected, "{aggregate} {frame}");
    }
}
