use super::*;

const ORDERS: &str = "
  CREATE TABLE orders (
    order_id BIGINT,
    user_id BIGINT,
    amount DECIMAL(10, 2),
    tags ARRAY<STRING>,
    order_time TIMESTAMP(3),
    proc AS PROCTIME(),
    cost AS amount * 2,
    WATERMARK FOR order_time AS order_time - INTERVAL '5' SECOND,
    PRIMARY KEY (order_id) NOT ENFORCED
  ) WITH ('connector' = 'filesystem', 'path' = 'orders.csv', 'format' = 'csv')";

#[test]
fn create_table_with_watermark_and_computed_columns() {
    let Statement::CreateTable(t) = parse_one(ORDERS).unwrap() else { panic!() };
    assert_eq!(t.name, vec!["orders"]);
    let names: Vec<_> = t.columns.iter().map(|c| c.name.as_str()).collect();
    assert_eq!(names, ["order_id", "user_id", "amount", "tags", "order_time", "proc", "cost"]);
    match &t.columns[2].kind {
        ColumnKind::Physical(ty) => assert_eq!(ty.to_string(), "DECIMAL(10, 2)"),
        other => panic!("{other:?}"),
    }
    match &t.columns[3].kind {
        ColumnKind::Physical(ty) => assert_eq!(ty.to_string(), "ARRAY<STRING>"),
        other => panic!("{other:?}"),
    }
    assert!(matches!(t.columns[5].kind, ColumnKind::Computed(_)));
    let wm = t.watermark.unwrap();
    assert_eq!(wm.column, "order_time");
    assert_eq!(wm.expr.to_string(), "order_time - INTERVAL '5' SECOND");
    assert_eq!(t.primary_key, vec!["order_id"]);
    assert_eq!(t.options[1], ("path".to_string(), "orders.csv".to_string()));
}

#[test]
fn watermark_on_a_missing_column_is_refused() {
    let e = parse_one("CREATE TABLE t (a INT, WATERMARK FOR ts AS ts) WITH ()").unwrap_err().to_string();
    assert!(e.contains("'ts'") && e.contains("Available columns are: [a]"), "{e}");
}

#[test]
fn scripts_hold_several_statements() {
    let all = parse_script(&format!(
        "{ORDERS}; SET 'parallelism.default' = '2'; SELECT * FROM orders; INSERT INTO s SELECT order_id FROM orders;"
    ))
    .unwrap();
    assert_eq!(all.len(), 4);
    assert!(matches!(&all[1], Statement::Set(Some((k, v))) if k == "parallelism.default" && v == "2"));
    assert!(matches!(&all[2], Statement::Query(_)));
    assert!(matches!(&all[3], Statement::Insert(i) if i.table == vec!["s"] && !i.overwrite));
}

#[test]
fn statement_sets_and_views() {
    let s = parse_one("EXECUTE STATEMENT SET BEGIN INSERT INTO a SELECT 1; INSERT INTO b SELECT 2; END").unwrap();
    assert!(matches!(s, Statement::StatementSet(v) if v.len() == 2));
    let v = parse_one("CREATE TEMPORARY VIEW v AS SELECT a FROM t").unwrap();
    assert!(matches!(v, Statement::CreateView { temporary: true, .. }));
}

#[test]
fn window_tvf_table_argument_parses() {
    let q = parse_one(
        "SELECT window_start, COUNT(*) FROM TABLE(TUMBLE(TABLE orders, DESCRIPTOR(order_time), INTERVAL '10' MINUTES)) GROUP BY window_start",
    )
    .unwrap();
    let Statement::Query(q) = q else { panic!() };
    assert!(q.to_string().contains(dialect::TABLE_ARGUMENT), "{q}");
}

#[test]
fn syntax_errors_name_line_and_column() {
    let e = parse_one("SELECT a\nFROM t WHERE )").unwrap_err().to_string();
    assert!(e.contains("Line: 2"), "{e}");
}
