//! The operator's snapshots: a partition's buffered rows and partial matches, taken back by new
//! subtasks, go on to the matches the original finds.

use arrow::array::{Float64Array, StringArray, TimestampMillisecondArray};

use super::*;
use crate::plan::{Node, Planned};
use crate::session::{Outcome, TableSession};

fn spec(p: &Planned) -> Option<(Arc<MatchSpec>, SchemaRef, SchemaRef)> {
    match &p.node {
        Node::MatchRecognize { input, spec } => Some((spec.clone(), input.schema.arrow(), p.schema.arrow())),
        Node::Project { input, .. } | Node::Filter { input, .. } | Node::Watermark { input, .. } => spec(input),
        _ => None,
    }
}

/// Price surges: a start, then prices above it, then a drop below it.
fn operator() -> (MatchRecognize, SchemaRef) {
    let mut s = TableSession::default();
    s.execute("CREATE TABLE t (sym STRING, price DOUBLE, ts TIMESTAMP(3), WATERMARK FOR ts AS ts) WITH ('connector' = 'datagen')").unwrap();
    let sql = "SELECT * FROM t MATCH_RECOGNIZE (PARTITION BY sym ORDER BY ts \
               MEASURES FIRST(A.price) AS first_price, LAST(B.price) AS top, C.price AS drop_price, COUNT(B.price) AS rises \
               ONE ROW PER MATCH AFTER MATCH SKIP PAST LAST ROW PATTERN (A B+ C) \
               DEFINE B AS B.price > A.price, C AS C.price < A.price)";
    let Outcome::Query(plan) = s.execute(sql).unwrap() else { panic!("a query") };
    let (spec, input, output) = spec(&plan.planned).expect("a MATCH_RECOGNIZE");
    (MatchRecognize::new(spec, &output, Arc::default()).unwrap(), input)
}

fn feed(op: &mut MatchRecognize, input: &SchemaRef, rows: &[(&str, f64, i64)], watermark: i64) -> Vec<String> {
    let columns: Vec<ArrayRef> = vec![
        Arc::new(StringArray::from_iter_values(rows.iter().map(|r| r.0))),
        Arc::new(Float64Array::from_iter_values(rows.iter().map(|r| r.1))),
        Arc::new(TimestampMillisecondArray::from_iter_values(rows.iter().map(|r| r.2))),
    ];
    let mut out = Output::default();
    if !rows.is_empty() {
        let batch = RecordBatch::try_new(input.clone(), columns).unwrap();
        op.process(0, vec![Record::new(ChangeBatch::inserts(batch))], &mut out).unwrap();
    }
    op.on_watermark(watermark, &mut out).unwrap();
    let (records, _) = out.into_segments();
    let mut lines = Vec::new();
    for r in records {
        let b = &r.value.batch;
        for i in 0..b.num_rows() {
            let values: Vec<String> =
                (0..b.num_columns()).map(|c| arrow::util::display::array_value_to_string(b.column(c), i).unwrap()).collect();
            lines.push(values.join(","));
        }
    }
    lines.sort();
    lines
}

#[test]
fn restored_partitions_find_the_matches_the_original_finds() {
    let (mut original, input) = operator();
    // x: a partial match (1, then 2 and 3 above it) and buffered rows past the watermark; y: one match
    // done before the snapshot, a partial one after it.
    let first = [("x", 1.0, 1000), ("x", 2.0, 2000), ("x", 3.0, 3000), ("y", 5.0, 1000), ("y", 6.0, 1500), ("y", 4.0, 2000), ("y", 1.0, 2500), ("y", 2.0, 2800), ("x", 2.5, 5000), ("x", 9.0, 4000)];
    assert_eq!(feed(&mut original, &input, &first, 3000), ["y,5.0,6.0,4.0,1"]);
    let entries: Vec<(Vec<u8>, Vec<u8>)> = original.snapshot().unwrap().into_iter().map(|(k, p)| (k.to_vec(), p)).collect();
    assert_eq!(entries.len(), 2, "one entry per partition");
    let rest = [("x", 0.5, 6000), ("y", 3.0, 3100), ("y", 0.5, 3200)];
    let expected = feed(&mut original, &input, &rest, i64::MAX - 1);
    assert_eq!(expected, ["x,1.0,2.5,0.5,4", "y,1.0,3.0,0.5,2"]);
    // Each partition taken back by its own new subtask.
    let mut got = Vec::new();
    for (key, payload) in &entries {
        let (mut restored, _) = operator();
        restored.restore([payload.as_slice()]).unwrap();
        let mine: Vec<_> = rest.iter().copied().filter(|r| r.0 == sym_of(&restored, key)).collect();
        got.extend(feed(&mut restored, &input, &mine, i64::MAX - 1));
    }
    got.sort();
    assert_eq!(got, expected);
    let cut = &entries[0].1[..entries[0].1.len() - 4];
    let err = operator().0.restore([cut]).unwrap_err().to_string();
    assert!(err.contains("corrupt MATCH_RECOGNIZE state"), "{err}");
}

/// The symbol a partition key encodes.
fn sym_of(op: &MatchRecognize, key: &[u8]) -> String {
    let columns = op.keys.decode([key]).unwrap();
    columns[0].as_any().downcast_ref::<StringArray>().unwrap().value(0).to_string()
}
