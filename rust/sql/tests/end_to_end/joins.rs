//! Join planning: which conditions make an interval join and with which bounds, which make a
//! regular join, and the errors; and one interval join end to end against Flink's output.

use crate::common;

const CLICKS: &str = "CREATE TABLE clicks (click_id BIGINT, user_id BIGINT, click_time TIMESTAMP(3),
    WATERMARK FOR click_time AS click_time - INTERVAL '1' SECOND)
  WITH ('connector' = 'filesystem', 'path' = '{INPUT_DIR}/clicks.csv', 'format' = 'csv')";
const USERS: &str = "CREATE TABLE users (user_id BIGINT, name STRING, tier STRING)
  WITH ('connector' = 'filesystem', 'path' = '{INPUT_DIR}/users.csv', 'format' = 'csv')";
const IMPRESSIONS: &str = "CREATE TABLE impressions (imp_id BIGINT, user_id AS CAST(MOD(imp_id, 3) + 1 AS BIGINT),
    ad_id AS imp_id * 100,
    imp_time AS TIMESTAMPADD(SECOND, CAST(CASE imp_id WHEN 5 THEN 3 WHEN 9 THEN 20 WHEN 11 THEN 39 ELSE imp_id * 4 END AS INT), TIMESTAMP '2024-01-01 10:00:00.000'),
    WATERMARK FOR imp_time AS imp_time - INTERVAL '1' SECOND)
  WITH ('connector' = 'datagen', 'rows-per-second' = '2', 'fields.imp_id.kind' = 'sequence', 'fields.imp_id.start' = '1', 'fields.imp_id.end' = '12')";

fn explain(sql: &str) -> Result<String, String> {
    let s = common::session(&[CLICKS, USERS, IMPRESSIONS]);
    s.plan_query(sql).map(|p| p.planned.explain()).map_err(|e| e.to_string())
}

fn first_line(sql: &str) -> String {
    explain(sql).unwrap().lines().find(|l| l.contains("Join(")).unwrap().trim().to_string()
}

#[test]
fn time_bounds_make_interval_joins() {
    let on = |cond: &str| first_line(&format!("SELECT * FROM clicks c JOIN impressions i ON c.user_id = i.user_id AND {cond}"));
    let bounds = |lo: i64, hi: i64| format!("IntervalJoin(joinType=[InnerJoin], windowBounds=[leftLowerBound={lo}, leftUpperBound={hi}])");
    assert!(on("c.click_time BETWEEN i.imp_time - INTERVAL '2' SECOND AND i.imp_time + INTERVAL '4' SECOND").starts_with(&bounds(-2000, 4000)));
    assert!(on("c.click_time >= i.imp_time - INTERVAL '2' SECOND AND c.click_time < i.imp_time + INTERVAL '4' SECOND").starts_with(&bounds(-2000, 3999)));
    // Written from the right side's view, strict: i.t > c.t - 1 s  <=>  c.t - i.t < 1 s.
    assert!(on("i.imp_time > c.click_time - INTERVAL '1' SECOND AND i.imp_time <= c.click_time").starts_with(&bounds(0, 999)));
    assert!(on("c.click_time = i.imp_time").starts_with("Join(joinType=[InnerJoin])"));
    // One bound only: a regular join, whose output loses the time attributes.
    let plan = explain("SELECT * FROM clicks c JOIN impressions i ON c.click_time > i.imp_time").unwrap();
    assert!(plan.contains("Join(joinType=[InnerJoin])") && !plan.contains("IntervalJoin"));
}

#[test]
fn time_attributes_after_joins() {
    let mut s = common::session(&[CLICKS, USERS, IMPRESSIONS]);
    s.execute("CREATE TEMPORARY VIEW regular AS SELECT c.click_time FROM clicks c JOIN users u ON c.user_id = u.user_id").unwrap();
    s.execute("CREATE TEMPORARY VIEW bounded AS SELECT c.click_time FROM clicks c JOIN impressions i ON c.user_id = i.user_id AND c.click_time BETWEEN i.imp_time - INTERVAL '2' SECOND AND i.imp_time").unwrap();
    let window = |v: &str| format!("SELECT window_start, COUNT(*) AS n FROM TABLE(TUMBLE(TABLE {v}, DESCRIPTOR(click_time), INTERVAL '10' SECOND)) GROUP BY window_start, window_end");
    assert!(s.plan_query(&window("bounded")).is_ok());
    let err = s.plan_query(&window("regular")).unwrap_err().to_string();
    assert!(err.contains("requires the timecol to be a time attribute type, but is TIMESTAMP(3)"), "{err}");
}

#[test]
fn join_errors_name_the_join() {
    let err = |sql: &str| explain(sql).unwrap_err();
    assert!(err("SELECT user_id FROM clicks c JOIN users u ON c.user_id = u.user_id").contains("Ambiguous reference"));
    assert!(err("SELECT c.click_id FROM clicks c JOIN users u ON c.user_id").contains("ON clause must be a condition"));
    // Refused at planning (the message is checked in tests/test_sql_joins.py's Flink cases).
    let natural = err("SELECT * FROM clicks c NATURAL JOIN users u");
    assert!(natural.to_ascii_uppercase().contains("JOIN"), "{natural}");
    assert!(err("SELECT * FROM clicks c JOIN users u ON c.no_such = u.user_id").contains("no_such"));
}

#[test]
fn interval_join_with_late_rows_matches_flink() {
    let mut s = common::session(&[CLICKS, IMPRESSIONS]);
    let got = common::print(
        &mut s,
        "SELECT c.click_id, c.user_id, i.imp_id, i.ad_id, c.click_time, i.imp_time
         FROM clicks c JOIN impressions i ON c.user_id = i.user_id
             AND c.click_time BETWEEN i.imp_time - INTERVAL '2' SECOND AND i.imp_time + INTERVAL '4' SECOND",
    );
    let case: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(format!("{}/../interval_join_late.json", common::inputs())).unwrap()).unwrap();
    // The stored stdout starts with the 8 lines of print_schema().
    let expected: Vec<String> = case["stdout"].as_array().unwrap()[8..].iter().map(|v| v.as_str().unwrap().to_string()).collect();
    assert_eq!(common::sorted(got), common::sorted(expected));
}

const WINDOWED: &str = "SELECT c.click_id, c.user_id, i.imp_id, i.user_id AS imp_user,
        COALESCE(c.window_start, i.window_start) AS window_start, c.window_end, i.window_time
    FROM (SELECT * FROM TABLE(TUMBLE(TABLE clicks, DESCRIPTOR(click_time), INTERVAL '10' SECOND))) c
    {KIND} (SELECT * FROM TABLE(TUMBLE(TABLE impressions, DESCRIPTOR(imp_time), INTERVAL '{SIZE}' SECOND))) i
    ON c.user_id = i.user_id AND c.window_start = i.window_start AND c.window_end = i.window_end";

#[test]
fn equal_windows_of_window_tvfs_make_window_joins() {
    let sql = |kind: &str, size: &str| WINDOWED.replace("{KIND}", kind).replace("{SIZE}", size);
    assert!(first_line(&sql("JOIN", "10")).starts_with("WindowJoin(joinType=[InnerJoin], window=[TUMBLE("), "{}", explain(&sql("JOIN", "10")).unwrap());
    assert!(first_line(&sql("FULL OUTER JOIN", "10")).starts_with("WindowJoin(joinType=[FullOuterJoin]"));
    // Only window_start equal: a regular join.
    let start_only = sql("JOIN", "10").replace(" AND c.window_end = i.window_end", "");
    assert!(first_line(&start_only).starts_with("Join(joinType=[InnerJoin])"));
    // Different windows on the two sides: a regular join, as in Flink.
    assert!(first_line(&sql("JOIN", "20")).starts_with("Join(joinType=[InnerJoin])"));
    // Without other keys: a window join all the same.
    let no_key = sql("JOIN", "10").replace("c.user_id = i.user_id AND ", "");
    assert!(first_line(&no_key).starts_with("WindowJoin(joinType=[InnerJoin]"));
}

#[test]
fn window_joins_with_late_rows_match_flink() {
    let case: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(format!("{}/../window_join_tumble.json", common::inputs())).unwrap()).unwrap();
    let stdout: Vec<String> = case["stdout"].as_array().unwrap().iter().map(|v| v.as_str().unwrap().to_string()).collect();
    // Three print_schema() + tableau blocks, one per join kind.
    let blocks: Vec<Vec<String>> = stdout.split(|l| l == "(").skip(1).map(|b| b.iter().skip_while(|l| !l.starts_with("+-")).cloned().collect()).collect();
    for (kind, expected) in ["JOIN", "LEFT JOIN", "FULL OUTER JOIN"].iter().zip(blocks) {
        for parallelism in [1, 3] {
            let mut s = common::session(&[CLICKS, IMPRESSIONS]);
            let got = common::print_at(&mut s, &WINDOWED.replace("{KIND}", kind).replace("{SIZE}", "10"), parallelism);
            assert_eq!(common::sorted(got), common::sorted(expected.clone()), "{kind} at parallelism {parallelism}");
        }
    }
}
