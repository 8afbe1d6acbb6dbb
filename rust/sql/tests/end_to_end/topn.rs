//! Top-N, deduplication and window Top-N end to end against what PyFlink 2.3 printed for the
//! same queries (tests/data/pyflink_reference/sql/topn_*.json, dedup_*.json, window_topn_hop.json),
//! and the rankings refused at planning.

use crate::common;

const ORDERS: &str = "CREATE TABLE orders (order_id BIGINT, user_id BIGINT, product_id BIGINT, amount DECIMAL(10, 2), order_time TIMESTAMP(3),
    WATERMARK FOR order_time AS order_time - INTERVAL '5' SECOND)
  WITH ('connector' = 'filesystem', 'path' = '{INPUT_DIR}/orders.csv', 'format' = 'csv')";

fn tables(case: &str) -> Vec<Vec<String>> {
    common::printed(case)
}

fn run(sql: &str, parallelism: usize) -> Vec<String> {
    let mut s = common::session(&[ORDERS]);
    common::print_at(&mut s, sql, parallelism)
}

const TOP2_PER_USER: &str = "SELECT order_id, user_id, amount, rn FROM (
    SELECT *, ROW_NUMBER() OVER (PARTITION BY user_id ORDER BY amount DESC) AS rn FROM orders) WHERE rn <= 2";

#[test]
fn top_n_with_rank_numbers_matches_flink() {
    let expected = tables("topn_append_rank_number");
    assert_eq!(run(TOP2_PER_USER, 1), expected[0]);
    let global = "SELECT * FROM (SELECT order_id, amount, ROW_NUMBER() OVER (ORDER BY amount DESC) AS rn FROM orders) WHERE rn < 4";
    assert_eq!(run(global, 1), expected[1]);
}

#[test]
fn top_n_without_rank_numbers_matches_flink() {
    let expected = tables("topn_append_no_rank_number");
    let sql = "SELECT order_id, user_id, amount FROM (
        SELECT *, ROW_NUMBER() OVER (PARTITION BY user_id ORDER BY amount DESC) AS rn FROM orders) WHERE rn <= 2";
    assert_eq!(run(sql, 1), expected[0]);
    let sql = "SELECT order_id, product_id, amount FROM (
        SELECT *, ROW_NUMBER() OVER (PARTITION BY product_id ORDER BY amount ASC, order_id DESC) AS rn FROM orders) WHERE rn BETWEEN 1 AND 2";
    assert_eq!(run(sql, 1), expected[1]);
}

#[test]
fn top_n_over_an_updating_group_by_matches_flink() {
    let expected = tables("topn_updating_group_by");
    let inner = "SELECT *, ROW_NUMBER() OVER (PARTITION BY user_id ORDER BY revenue DESC) AS rn FROM (
        SELECT user_id, product_id, SUM(amount) AS revenue FROM orders GROUP BY user_id, product_id)";
    assert_eq!(run(&format!("SELECT user_id, product_id, revenue, rn FROM ({inner}) WHERE rn <= 2"), 1), expected[0]);
    assert_eq!(run(&format!("SELECT user_id, product_id, revenue FROM ({inner}) WHERE rn <= 2"), 1), expected[1]);
}

#[test]
fn qualify_matches_flink() {
    let expected = tables("topn_qualify");
    let sql = "SELECT order_id, product_id, amount FROM orders QUALIFY ROW_NUMBER() OVER (PARTITION BY product_id ORDER BY amount) = 1";
    assert_eq!(run(sql, 1), expected[0]);
    let sql = "SELECT order_id, user_id, amount, ROW_NUMBER() OVER (PARTITION BY user_id ORDER BY amount DESC) AS rn FROM orders QUALIFY rn <= 2";
    assert_eq!(run(sql, 1), expected[1]);
}

#[test]
fn window_top_n_matches_flink_at_parallelism_1_and_3() {
    let expected = tables("window_topn_hop");
    let sql = "SELECT * FROM (
        SELECT *, ROW_NUMBER() OVER (PARTITION BY window_start, window_end ORDER BY revenue DESC) AS rn FROM (
            SELECT window_start, window_end, product_id, SUM(amount) AS revenue
            FROM TABLE(HOP(TABLE orders, DESCRIPTOR(order_time), INTERVAL '1' MINUTE, INTERVAL '5' MINUTE))
            GROUP BY window_start, window_end, product_id)) WHERE rn <= 2";
    for p in [1, 3] {
        assert_eq!(common::sorted(run(sql, p)), common::sorted(expected[0].clone()));
    }
    let sql = "SELECT window_start, window_end, order_id, amount FROM TABLE(TUMBLE(TABLE orders, DESCRIPTOR(order_time), INTERVAL '5' MINUTE))
        QUALIFY ROW_NUMBER() OVER (PARTITION BY window_start, window_end ORDER BY amount DESC) <= 1";
    assert_eq!(run(sql, 1), expected[1]);
}

#[test]
fn deduplication_matches_flink() {
    let first = "SELECT order_id, user_id, amount, order_time FROM (
        SELECT *, ROW_NUMBER() OVER (PARTITION BY user_id ORDER BY order_time ASC) AS rn FROM orders) WHERE rn = 1";
    assert_eq!(run(first, 1), tables("dedup_keep_first_rowtime")[0]);
    let expected = tables("dedup_keep_last_rowtime");
    let last = "SELECT order_id, user_id, amount, order_time FROM (
        SELECT *, ROW_NUMBER() OVER (PARTITION BY user_id ORDER BY order_time DESC) AS rn FROM orders) WHERE rn = 1";
    assert_eq!(run(last, 1), expected[0]);
    let last = "SELECT order_id, product_id, order_time FROM orders QUALIFY ROW_NUMBER() OVER (PARTITION BY product_id ORDER BY order_time DESC) = 1";
    assert_eq!(run(last, 1), expected[1]);
}

#[test]
fn top_n_at_parallelism_3_keeps_each_partitions_changelog() {
    // Partitions are split over subtasks; each user's changes keep their order.
    let got = run(TOP2_PER_USER, 3);
    let expected = tables("topn_append_rank_number").remove(0);
    let of_user = |lines: &[String], user: &str| -> Vec<String> {
        lines.iter().filter(|l| l.split('|').nth(3).is_some_and(|c| c.trim() == user)).cloned().collect()
    };
    for user in ["1", "2", "3", "4"] {
        assert_eq!(of_user(&got, user), of_user(&expected, user), "user {user}");
    }
    assert_eq!(got.len(), expected.len());
}

fn plan(sql: &str) -> Result<String, String> {
    let s = common::session(&[ORDERS]);
    s.plan_query(sql).map(|p| p.planned.explain()).map_err(|e| e.to_string())
}

#[test]
fn strategies_follow_flinks_rules() {
    let first = |sql: &str| plan(sql).unwrap().lines().find(|l| l.contains("Rank") || l.contains("Deduplicate")).unwrap().trim().to_string();
    assert!(first(TOP2_PER_USER).starts_with("Rank(strategy=[AppendFastStrategy], rankType=[ROW_NUMBER], rankRange=[rankStart=1, rankEnd=2])"));
    // ORDER BY a time attribute with rn <= 2 is a Top-N, not a deduplication.
    let sql = "SELECT * FROM (SELECT order_id, user_id, ROW_NUMBER() OVER (PARTITION BY user_id ORDER BY order_time) AS rn FROM orders) WHERE rn <= 2";
    assert!(first(sql).starts_with("Rank(strategy=[AppendFastStrategy]"));
    // Other conditions beside the rank's stay a filter above it.
    let sql = "SELECT * FROM (SELECT order_id, ROW_NUMBER() OVER (PARTITION BY user_id ORDER BY amount DESC) AS rn FROM orders) WHERE rn <= 2 AND order_id > 3";
    let explained = plan(sql).unwrap();
    assert!(explained.contains("Filter") && explained.contains("rankEnd=2"), "{explained}");
    let sql = "SELECT order_id FROM orders QUALIFY ROW_NUMBER() OVER (PARTITION BY user_id ORDER BY order_time DESC) = 1";
    assert!(first(sql).starts_with("Deduplicate(keep=[LastRow], order=[ROWTIME])"));
}

#[test]
fn rankings_flink_refuses_are_refused_at_planning() {
    let err = |sql: &str| plan(sql).unwrap_err();
    let sub = |over: &str, cond: &str| format!("SELECT * FROM (SELECT order_id, {over} AS rn FROM orders) WHERE {cond}");
    assert!(err("SELECT order_id, ROW_NUMBER() OVER (PARTITION BY user_id ORDER BY amount DESC) AS rn FROM orders")
        .contains("The window can only be ordered in ASCENDING mode."));
    assert!(err("SELECT order_id, ROW_NUMBER() OVER (PARTITION BY user_id ORDER BY order_time) AS rn FROM orders").contains("OVER aggregation"));
    assert!(err(&sub("ROW_NUMBER() OVER (PARTITION BY user_id ORDER BY amount DESC)", "rn > 2")).contains("Rank end is not specified."));
    assert!(err(&sub("ROW_NUMBER() OVER (PARTITION BY user_id ORDER BY amount DESC)", "rn <= 2 OR order_id > 3"))
        .contains("The window can only be ordered in ASCENDING mode."));
    assert!(err(&sub("RANK() OVER (PARTITION BY user_id ORDER BY amount DESC)", "rn <= 2")).contains("RANK() on streaming table is not supported currently"));
    assert!(err(&sub("DENSE_RANK() OVER (PARTITION BY user_id ORDER BY amount DESC)", "rn <= 2"))
        .contains("DENSE_RANK() on streaming table is not supported currently"));
    assert!(err(&sub("ROW_NUMBER() OVER (PARTITION BY user_id)", "rn <= 2")).contains("needs ORDER BY"));
    assert!(err("SELECT order_id, NTILE(2) OVER (PARTITION BY user_id ORDER BY order_time) AS t FROM orders").contains("NTILE Function is not supported in stream mode."));
    // An OVER aggregation ordered by a non-time column: refused as Flink's OVER windows are.
    assert!(err("SELECT order_id, SUM(amount) OVER (PARTITION BY user_id ORDER BY amount) AS s FROM orders")
        .contains("OVER windows' ordering in stream mode must be defined on a time attribute."));
    // Through a view, the ranking is bounded by the query that uses it.
    let mut s = common::session(&[ORDERS]);
    s.execute("CREATE TEMPORARY VIEW ranked AS SELECT order_id, user_id, ROW_NUMBER() OVER (PARTITION BY user_id ORDER BY amount DESC) AS rn FROM orders").unwrap();
    assert!(s.plan_query("SELECT * FROM ranked WHERE rn <= 1").is_ok());
    assert!(s.plan_query("SELECT * FROM ranked").is_err());
}

#[test]
fn order_by_limit_matches_flink() {
    let expected = tables("topn_order_by_limit");
    assert_eq!(run("SELECT order_id, amount FROM orders ORDER BY amount DESC LIMIT 3", 1), expected[0]);
    assert_eq!(run("SELECT order_id, amount FROM orders ORDER BY amount LIMIT 1", 1), expected[1]);
    assert!(plan("SELECT order_id FROM orders ORDER BY amount").unwrap_err().contains("Sort on a non-time-attribute field is not supported"));
}
