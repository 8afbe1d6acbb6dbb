//! Event-time temporal joins (`FOR SYSTEM_TIME AS OF`): the plan, Flink's refusals, and runs
//! against Flink's output (tests/data/pyflink_reference/sql/temporal_join_*.json).

use crate::common;

const ORDERS: &str = "CREATE TABLE orders (order_id BIGINT, currency STRING, amount BIGINT, order_time TIMESTAMP(3),
    WATERMARK FOR order_time AS order_time - INTERVAL '1' SECOND)
  WITH ('connector' = 'filesystem', 'path' = '{INPUT_DIR}/fx_orders.csv', 'format' = 'csv')";
const RATES: &str = "CREATE TABLE rates (currency STRING, rate BIGINT, update_time TIMESTAMP(3),
    WATERMARK FOR update_time AS update_time - INTERVAL '1' SECOND, PRIMARY KEY (currency) NOT ENFORCED)
  WITH ('connector' = 'filesystem', 'path' = '{INPUT_DIR}/fx_rates.csv', 'format' = 'csv')";
const RATES_NO_KEY: &str = "CREATE TABLE rates_no_key (currency STRING, rate BIGINT, update_time TIMESTAMP(3),
    WATERMARK FOR update_time AS update_time - INTERVAL '1' SECOND)
  WITH ('connector' = 'filesystem', 'path' = '{INPUT_DIR}/fx_rates.csv', 'format' = 'csv')";
const RATES_NO_TIME: &str = "CREATE TABLE rates_no_time (currency STRING, rate BIGINT, update_time TIMESTAMP(3), PRIMARY KEY (currency) NOT ENFORCED)
  WITH ('connector' = 'filesystem', 'path' = '{INPUT_DIR}/fx_rates.csv', 'format' = 'csv')";

fn join(kind: &str, on: &str) -> String {
    format!("SELECT o.order_id, o.currency, o.amount, r.rate, o.order_time, r.update_time FROM orders AS o {kind} rates FOR SYSTEM_TIME AS OF o.order_time AS r ON {on}")
}

fn expected(case: &str) -> Vec<String> {
    let text = std::fs::read_to_string(format!("{}/../{case}.json", common::inputs())).unwrap();
    let case: serde_json::Value = serde_json::from_str(&text).unwrap();
    let lines: Vec<String> = case["stdout"].as_array().unwrap().iter().map(|v| v.as_str().unwrap().to_string()).collect();
    // Past print_schema()'s lines, up to its closing parenthesis.
    let table = lines.iter().position(|l| l == ")").unwrap() + 1;
    lines[table..].to_vec()
}

#[test]
fn temporal_join_plans_and_keeps_the_time_attributes() {
    let s = common::session(&[ORDERS, RATES]);
    let planned = s.plan_query(&join("JOIN", "o.currency = r.currency")).unwrap().planned;
    assert!(planned.explain().contains("TemporalJoin(joinType=[InnerJoin])"), "{}", planned.explain());
    let times: Vec<bool> = planned.schema.columns.iter().map(|c| c.time.is_some()).collect();
    assert_eq!(times, [false, false, false, false, true, true]);
    assert!(!planned.updating);
}

#[test]
fn temporal_joins_match_flink() {
    for (kind, case) in [("JOIN", "temporal_join_inner"), ("LEFT JOIN", "temporal_join_left")] {
        let mut s = common::session(&[ORDERS, RATES]);
        let got = common::print(&mut s, &join(kind, "o.currency = r.currency"));
        assert_eq!(common::sorted(got), common::sorted(expected(case)), "{kind}");
    }
}

#[test]
fn temporal_join_refusals() {
    let s = common::session(&[ORDERS, RATES, RATES_NO_KEY, RATES_NO_TIME]);
    let err = |sql: &str| s.plan_query(sql).map(|_| ()).unwrap_err().to_string();
    assert!(err(&join("RIGHT JOIN", "o.currency = r.currency")).contains("RIGHT"));
    assert!(err(&join("FULL JOIN", "o.currency = r.currency")).contains("FULL"));
    assert!(err(&join("JOIN", "o.amount = r.rate")).contains("primary key"));
    let no_key = err("SELECT o.order_id FROM orders AS o JOIN rates_no_key FOR SYSTEM_TIME AS OF o.order_time AS r ON o.currency = r.currency");
    assert!(no_key.contains("primary key"), "{no_key}");
    let no_time = err("SELECT o.order_id FROM orders AS o JOIN rates_no_time FOR SYSTEM_TIME AS OF o.order_time AS r ON o.currency = r.currency");
    assert!(no_time.contains("row time attribute"), "{no_time}");
    let not_time = err(&join("JOIN", "o.currency = r.currency").replace("AS OF o.order_time", "AS OF o.amount"));
    assert!(not_time.contains("time attribute"), "{not_time}");
}

#[test]
fn a_condition_on_the_version_pads_left_rows_it_rejects() {
    let mut s = common::session(&[ORDERS, RATES]);
    let got = common::print(
        &mut s,
        "SELECT o.order_id, o.currency, r.rate, o.order_time FROM orders AS o LEFT JOIN rates FOR SYSTEM_TIME AS OF o.order_time AS r
             ON o.currency = r.currency AND r.rate > 101",
    );
    assert_eq!(common::sorted(got), common::sorted(expected("temporal_join_condition")));
}
