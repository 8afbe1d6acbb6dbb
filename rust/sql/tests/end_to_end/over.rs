//! OVER aggregations end to end against what PyFlink 2.3 printed for the same queries
//! (tests/data/pyflink_reference/sql/over_*.json), at parallelism 1 and 4, and the OVER
//! windows refused at planning with Flink's words (over_errors.json).

use crate::common;

use oxflow_sql::session::TableSession;

const TICKS: &str = "CREATE TABLE ticks (id BIGINT, symbol STRING, price INT, volume BIGINT, ts TIMESTAMP(3),
    WATERMARK FOR ts AS ts - INTERVAL '2' SECOND)
  WITH ('connector' = 'filesystem', 'path' = '{INPUT_DIR}/trades.csv', 'format' = 'csv')";

fn case(name: &str) -> serde_json::Value {
    let text = std::fs::read_to_string(format!("{}/../{name}.json", common::inputs())).unwrap();
    serde_json::from_str(&text).unwrap()
}

fn run(sql: &str, parallelism: usize) -> Vec<String> {
    let mut s = common::session(&[TICKS]);
    common::print_at(&mut s, sql, parallelism)
}

/// The same lines at parallelism 1 in Flink's order (`exact`) or as a multiset (rows of
/// different keys at one time come out in Flink's timer-heap order), and at parallelism 4 as a
/// multiset.
fn check(sql: &str, expected: &[String], exact: bool) {
    let got = run(sql, 1);
    if exact {
        assert_eq!(got, expected, "{sql}");
    } else {
        assert_eq!(common::sorted(got), common::sorted(expected.to_vec()), "{sql}");
    }
    assert_eq!(common::sorted(run(sql, 4)), common::sorted(expected.to_vec()), "{sql} at parallelism 4");
}

#[test]
fn rows_bounded_matches_flink_with_per_key_lateness() {
    let sql = "SELECT id, symbol, price, ts,
        SUM(price) OVER (PARTITION BY symbol ORDER BY ts ROWS BETWEEN 2 PRECEDING AND CURRENT ROW) AS s,
        COUNT(*) OVER (PARTITION BY symbol ORDER BY ts ROWS BETWEEN 2 PRECEDING AND CURRENT ROW) AS c,
        MIN(price) OVER (PARTITION BY symbol ORDER BY ts ROWS BETWEEN 2 PRECEDING AND CURRENT ROW) AS lo
    FROM ticks";
    check(sql, &common::printed("over_rows_bounded")[0], false);
}

#[test]
fn range_bounded_named_window_matches_flink() {
    let sql = "SELECT id, symbol, price, ts, SUM(volume) OVER w AS vol, MAX(price) OVER w AS hi, AVG(price) OVER w AS avg_price
    FROM ticks
    WINDOW w AS (PARTITION BY symbol ORDER BY ts RANGE BETWEEN INTERVAL '5' SECOND PRECEDING AND CURRENT ROW)";
    check(sql, &common::printed("over_range_bounded")[0], true);
}

#[test]
fn unbounded_frames_match_flink_with_watermark_lateness() {
    let expected = common::printed("over_unbounded");
    let rows = "SELECT id, symbol, price, ts,
        SUM(price) OVER (PARTITION BY symbol ORDER BY ts ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW) AS s,
        COUNT(price) OVER (PARTITION BY symbol ORDER BY ts ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW) AS c
    FROM ticks";
    check(rows, &expected[0], true);
    let range = "SELECT id, symbol, ts, SUM(price) OVER (PARTITION BY symbol ORDER BY ts) AS s,
        MAX(volume) OVER (PARTITION BY symbol ORDER BY ts) AS hi, AVG(price) OVER (PARTITION BY symbol ORDER BY ts) AS a
    FROM ticks";
    check(range, &expected[1], true);
}

#[test]
fn without_partition_and_inside_expressions_matches_flink() {
    let expected = common::printed("over_no_partition");
    let sql = "SELECT id, symbol, ts, COUNT(*) OVER w AS n, SUM(price) OVER w + 1 AS s1, MIN(ts) OVER w AS first_ts
    FROM ticks
    WINDOW w AS (ORDER BY ts RANGE BETWEEN INTERVAL '3' SECOND PRECEDING AND CURRENT ROW)";
    check(sql, &expected[0], true);
    let sql = "SELECT id, price, SUM(price) OVER (ORDER BY ts ROWS BETWEEN 3 PRECEDING AND CURRENT ROW) AS s FROM ticks WHERE price > 8";
    check(sql, &expected[1], true);
}

fn planning_error(s: &mut TableSession, sql: &str) -> String {
    match s.execute(sql) {
        Ok(_) => panic!("planned: {sql}"),
        Err(e) => e.to_string(),
    }
}

#[test]
fn refusals_say_what_flink_says() {
    let mut s = common::session(&[TICKS]);
    let mut checked = 0;
    for e in case("over_errors")["errors"].as_array().unwrap() {
        let (sql, error) = (e["sql"].as_str().unwrap(), e["error"].as_str());
        let Some(error) = error else { continue };
        // Flink's sentence: the last line naming the problem, without Java's class name.
        let sentence = error.lines().find(|l| l.contains("Over Agg:")).unwrap_or(error.lines().last().unwrap());
        let sentence = sentence.rsplit(": ").next().unwrap().split(" please").next().unwrap();
        let sentence = sentence.trim_end_matches('.');
        let got = planning_error(&mut s, sql);
        assert!(got.contains(sentence), "{sql}: {got:?} does not say {sentence:?}");
        checked += 1;
    }
    assert_eq!(checked, 10);
}

#[test]
fn over_an_updating_input_is_refused() {
    let mut s = common::session(&[TICKS]);
    let sql = "SELECT symbol, SUM(c) OVER (PARTITION BY symbol ORDER BY ts) FROM (SELECT symbol, COUNT(*) AS c, MAX(ts) AS ts FROM ticks GROUP BY symbol)";
    let got = planning_error(&mut s, sql);
    assert!(got.contains("time attribute") || got.contains("updating"), "{got}");
}
