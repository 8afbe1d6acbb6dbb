mod common;

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
