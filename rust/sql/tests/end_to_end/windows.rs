use crate::common;

const ORDERS: &str = "CREATE TABLE orders (order_id BIGINT, user_id BIGINT, product_id BIGINT, amount DECIMAL(10, 2), order_time TIMESTAMP(3),
    WATERMARK FOR order_time AS order_time - INTERVAL '5' SECOND)
  WITH ('connector' = 'filesystem', 'path' = '{INPUT_DIR}/orders.csv', 'format' = 'csv')";

const TUMBLE: &str = "SELECT TUMBLE_START(order_time, INTERVAL '1' MINUTE) AS window_start, user_id, SUM(amount) AS total_revenue, COUNT(*) AS order_count
         FROM orders GROUP BY TUMBLE(order_time, INTERVAL '1' MINUTE), user_id";

#[test]
fn tumble_group_window_matches_flink() {
    let mut s = common::session(&[ORDERS]);
    let got = common::print(&mut s, TUMBLE);
    assert_eq!(common::sorted(got), common::sorted(tumble_expected()));
}

#[test]
fn tumble_group_window_at_parallelism_3_gives_the_same_rows() {
    let mut s = common::session(&[ORDERS]);
    let got = common::print_at(&mut s, TUMBLE, 3);
    assert_eq!(common::sorted(got), common::sorted(tumble_expected()));
}

fn tumble_expected() -> Vec<String> {
    let expected: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(format!("{}/../tumble_group_window.json", common::inputs())).unwrap()).unwrap();
    expected["stdout"].as_array().unwrap().iter().map(|v| v.as_str().unwrap().to_string()).collect()
}

/// 60 rows over 1.5 s (40 a second) into half-second windows of processing time.
const GENERATED: &str = "CREATE TABLE g (k INT, pt AS PROCTIME())
  WITH ('connector' = 'datagen', 'rows-per-second' = '40', 'number-of-rows' = '60', 'fields.k.min' = '1', 'fields.k.max' = '1')";

/// (window start, window end, window time, count) of each row, by window.
fn proctime_windows(sql: &str) -> Vec<(i64, i64, i64, i64)> {
    use arrow::array::{Array, Int64Array, TimestampMillisecondArray};
    let mut s = common::session(&[GENERATED]);
    let mut rows = Vec::new();
    for b in common::collect(&mut s, sql) {
        let ts = |i: usize| b.batch.column(i).as_any().downcast_ref::<TimestampMillisecondArray>().expect("a TIMESTAMP(3) column").clone();
        let (start, end, time) = (ts(0), ts(1), ts(2));
        let count = b.batch.column(3).as_any().downcast_ref::<Int64Array>().expect("a BIGINT count").clone();
        for r in 0..b.batch.num_rows() {
            rows.push((start.value(r), end.value(r), time.value(r), count.value(r)));
        }
    }
    rows.sort();
    rows
}

/// What Flink does with processing-time windows: a row goes to the window of the time it
/// arrives, a window fires once the clock passes its end (its window time is then), and the
/// windows still open when the input ends never fire.
fn assert_processing_time_windows(rows: &[(i64, i64, i64, i64)]) {
    assert!(!rows.is_empty(), "1.5 s of rows close at least two half-second windows: {rows:?}");
    for (i, &(start, end, time, count)) in rows.iter().enumerate() {
        assert_eq!(end - start, 500, "half-second windows: {rows:?}");
        assert_eq!(start % 500, 0, "windows are aligned to the epoch: {rows:?}");
        assert!(time >= end - 1, "a window fires once the clock reached its max timestamp: {rows:?}");
        assert!((1..=40).contains(&count), "at most about 20 rows a window (bursts after a stall aside): {rows:?}");
        if i > 0 {
            assert!(start > rows[i - 1].0, "each window fires once: {rows:?}");
        }
    }
    let total: i64 = rows.iter().map(|r| r.3).sum();
    assert!(total < 60, "the window open at the end of input does not fire: {total} rows of 60 in {rows:?}");
}

#[test]
fn processing_time_group_windows_fire_by_the_clock() {
    assert_processing_time_windows(&proctime_windows(
        "SELECT TUMBLE_START(pt, INTERVAL '0.5' SECOND), TUMBLE_END(pt, INTERVAL '0.5' SECOND), TUMBLE_PROCTIME(pt, INTERVAL '0.5' SECOND), COUNT(*)
         FROM g GROUP BY TUMBLE(pt, INTERVAL '0.5' SECOND), k",
    ));
}

#[test]
fn processing_time_window_tvfs_fire_by_the_clock() {
    assert_processing_time_windows(&proctime_windows(
        "SELECT window_start, window_end, window_time, COUNT(*)
         FROM TABLE(TUMBLE(TABLE g, DESCRIPTOR(pt), INTERVAL '0.5' SECOND)) GROUP BY window_start, window_end, window_time, k",
    ));
}

#[test]
fn a_processing_time_window_has_no_rowtime() {
    let mut s = common::session(&[GENERATED]);
    let err = s.execute("SELECT TUMBLE_ROWTIME(pt, INTERVAL '1' SECOND) FROM g GROUP BY TUMBLE(pt, INTERVAL '1' SECOND)").unwrap_err().to_string();
    assert!(err.contains("TUMBLE_ROWTIME") && err.contains("processing-time window") && err.contains("TUMBLE_PROCTIME"), "{err}");
}
