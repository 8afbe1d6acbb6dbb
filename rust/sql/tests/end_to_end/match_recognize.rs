//! MATCH_RECOGNIZE end to end against what PyFlink 2.3 printed for the same queries
//! (tests/data/pyflink_reference/sql/match_recognize_*.json): the reference notes' price surge,
//! the AFTER MATCH SKIP strategies and WITHIN, on ticks with out-of-order and late rows; and the
//! patterns refused at planning.

use crate::common;

const TICKS: &str = "CREATE TABLE ticks (symbol STRING, price DOUBLE, ts TIMESTAMP(3), WATERMARK FOR ts AS ts - INTERVAL '1' MINUTE)
  WITH ('connector' = 'filesystem', 'path' = '{INPUT_DIR}/ticks.csv', 'format' = 'csv')";

/// The tableaus a case's program printed, one per query (other lines left out).
fn tables(case: &str) -> Vec<Vec<String>> {
    let text = std::fs::read_to_string(format!("{}/../{case}.json", common::inputs())).unwrap();
    let case: serde_json::Value = serde_json::from_str(&text).unwrap();
    let mut out = vec![Vec::new()];
    for line in case["stdout"].as_array().unwrap() {
        let line = line.as_str().unwrap().to_string();
        if !(line.starts_with('+') || line.starts_with('|') || line.ends_with(" rows in set") || line == "Empty set") {
            continue;
        }
        let end = line.ends_with(" rows in set") || line == "Empty set";
        out.last_mut().unwrap().push(line);
        if end {
            out.push(Vec::new());
        }
    }
    out.pop();
    out
}

fn run(sql: &str, parallelism: usize) -> Vec<String> {
    let mut s = common::session(&[TICKS]);
    common::print_at(&mut s, sql, parallelism)
}

const SURGE: &str = "SELECT * FROM ticks MATCH_RECOGNIZE (
    PARTITION BY symbol ORDER BY ts
    MEASURES A.price AS start_price, C.price AS end_price, (C.price - A.price) / A.price AS price_change, A.ts AS start_ts, C.ts AS end_ts
    ONE ROW PER MATCH AFTER MATCH SKIP PAST LAST ROW
    PATTERN (A B*? C) WITHIN INTERVAL '5' MINUTE
    DEFINE C AS (C.price - A.price) / A.price > 0.20
) WHERE price_change > 0.20";

#[test]
fn price_surge_matches_flink() {
    let expected = tables("match_recognize_price_surge");
    assert_eq!(run(SURGE, 1), expected[0]);
    // Keyed by symbol behind a hash exchange: the same rows.
    assert_eq!(common::sorted(run(SURGE, 3)), common::sorted(expected[0].clone()));
}

#[test]
fn skip_strategies_match_flink() {
    let expected = tables("match_recognize_skip");
    for (i, skip) in ["PAST LAST ROW", "TO NEXT ROW", "TO LAST PRICE_UP", "TO FIRST PRICE_DOWN", "TO LAST PRICE_DOWN"].iter().enumerate() {
        let sql = format!(
            "SELECT * FROM ticks MATCH_RECOGNIZE (PARTITION BY symbol ORDER BY ts
                MEASURES START_ROW.ts AS start_ts, LAST(PRICE_DOWN.ts) AS bottom_ts, LAST(PRICE_DOWN.price) AS bottom_price, PRICE_UP.ts AS end_ts
                ONE ROW PER MATCH AFTER MATCH SKIP {skip}
                PATTERN (START_ROW PRICE_DOWN+ PRICE_UP)
                DEFINE PRICE_DOWN AS (LAST(PRICE_DOWN.price, 1) IS NULL AND PRICE_DOWN.price < START_ROW.price) OR PRICE_DOWN.price < LAST(PRICE_DOWN.price, 1),
                    PRICE_UP AS PRICE_UP.price > LAST(PRICE_DOWN.price, 1))"
        );
        assert_eq!(run(&sql, 1), expected[i], "AFTER MATCH SKIP {skip}");
    }
}

#[test]
fn refused_patterns_say_what_flink_says() {
    let mut s = common::session(&[TICKS]);
    let mut refused = |pattern: &str, define: &str| {
        let sql = format!("SELECT * FROM ticks MATCH_RECOGNIZE (PARTITION BY symbol ORDER BY ts MEASURES A.price AS a ONE ROW PER MATCH PATTERN {pattern} DEFINE {define})");
        s.execute(&sql).err().map(|e| e.to_string()).unwrap_or_default()
    };
    assert!(refused("(A B+)", "B AS B.price > A.price").contains("Greedy quantifiers are not allowed as the last element of a Pattern yet."));
    assert!(refused("(A*)", "A AS A.price > 1").contains("Patterns that can produce empty matches are not supported."));
    assert!(refused("(A B C)", "B AS B.price > PREV(B.price)").contains("Flink does not support physical offsets within partition."));
    assert!(refused("((A | B) C)", "B AS B.price > 1").contains("Currently, CEP doesn't support branching patterns."));
    let order = s.execute("SELECT * FROM ticks MATCH_RECOGNIZE (ORDER BY price MEASURES A.price AS a PATTERN (A B) DEFINE B AS B.price > A.price)");
    assert!(order.err().unwrap().to_string().contains("You must specify either rowtime or proctime for order by as the first one."));
}
