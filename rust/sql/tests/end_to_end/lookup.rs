//! Lookup joins (`JOIN dim FOR SYSTEM_TIME AS OF left.proctime`) against a filesystem table:
//! every left row joins the table's rows with its key (several, one, none), the table's
//! computed columns are computed, and the refusals name what is wrong. Flink's own filesystem
//! connector serves no lookups, so these expectations are written from its lookup-join
//! semantics (JDBC/Hive), not printed by Flink.

use crate::common;

const ORDERS: &str = "CREATE TABLE orders (order_id BIGINT, currency STRING, amount BIGINT, order_time TIMESTAMP(3), proc AS PROCTIME())
  WITH ('connector' = 'filesystem', 'path' = '{INPUT_DIR}/fx_orders.csv', 'format' = 'csv')";

fn currencies() -> String {
    let dir = format!("{}/../../tests/data/lookup", env!("CARGO_MANIFEST_DIR"));
    format!(
        "CREATE TABLE currencies (code STRING, name STRING, num INT, loud AS UPPER(name))
         WITH ('connector' = 'filesystem', 'path' = '{dir}/currencies.csv', 'format' = 'csv')"
    )
}

/// Each collected row as its values joined by commas (NULL as `null`), sorted.
fn rows(sql: &str) -> Vec<String> {
    let ddl = currencies();
    let mut s = common::session(&[ORDERS, &ddl]);
    let mut out = Vec::new();
    for b in common::collect(&mut s, sql) {
        for i in 0..b.num_rows() {
            let values: Vec<String> = (0..b.batch.num_columns())
                .map(|c| {
                    let col = b.batch.column(c);
                    if col.is_null(i) {
                        "null".to_string()
                    } else {
                        arrow::util::display::array_value_to_string(col, i).unwrap()
                    }
                })
                .collect();
            out.push(values.join(","));
        }
    }
    out.sort();
    out
}

fn join(kind: &str, on: &str) -> String {
    format!("SELECT o.order_id, o.currency, c.name, c.loud FROM orders AS o {kind} currencies FOR SYSTEM_TIME AS OF o.proc AS c ON {on}")
}

#[test]
fn inner_lookup_joins_give_each_order_every_row_of_its_key() {
    let got = rows(&join("JOIN", "o.currency = c.code"));
    let expected = [
        "1,USD,US Dollar,US DOLLAR",
        "2,EUR,Euro (alt),EURO (ALT)",
        "2,EUR,Euro,EURO",
        "3,USD,US Dollar,US DOLLAR",
        "5,EUR,Euro (alt),EURO (ALT)",
        "5,EUR,Euro,EURO",
        "6,USD,US Dollar,US DOLLAR",
        "7,EUR,Euro (alt),EURO (ALT)",
        "7,EUR,Euro,EURO",
        "8,USD,US Dollar,US DOLLAR",
    ];
    assert_eq!(got, expected);
}

#[test]
fn left_lookup_joins_pad_orders_without_a_row_and_the_condition_filters_rows() {
    let got = rows(&join("LEFT JOIN", "o.currency = c.code AND c.name NOT LIKE '%alt%'"));
    let expected = [
        "1,USD,US Dollar,US DOLLAR",
        "2,EUR,Euro,EURO",
        "3,USD,US Dollar,US DOLLAR",
        "4,GBP,null,null",
        "5,EUR,Euro,EURO",
        "6,USD,US Dollar,US DOLLAR",
        "7,EUR,Euro,EURO",
        "8,USD,US Dollar,US DOLLAR",
    ];
    assert_eq!(got, expected);
}

#[test]
fn lookup_joins_plan_as_lookups_and_refuse_what_cannot_be_looked_up() {
    let ddl = currencies();
    let s = common::session(&[
        ORDERS,
        &ddl,
        "CREATE TABLE gen (code STRING, name STRING) WITH ('connector' = 'datagen', 'number-of-rows' = '3')",
    ]);
    let planned = s.plan_query(&join("JOIN", "o.currency = c.code")).unwrap().planned;
    let explain = planned.explain();
    assert!(explain.contains("LookupJoin(table=[[currencies]], joinType=[InnerJoin])"), "{explain}");
    assert!(!explain.contains("TableSourceScan(table=[[currencies]])"), "the table is read by the join, not scanned as a stream: {explain}");
    let err = |sql: &str| s.plan_query(sql).map(|_| ()).unwrap_err().to_string();
    let no_lookup = err("SELECT o.order_id FROM orders AS o JOIN gen FOR SYSTEM_TIME AS OF o.proc AS g ON o.currency = g.code");
    assert!(no_lookup.contains("Connector 'datagen' of table 'gen' does not support lookups"), "{no_lookup}");
    let no_key = err(&join("JOIN", "o.amount > c.num"));
    assert!(no_key.contains("requires an equality condition on fields of table [currencies]"), "{no_key}");
    assert!(err(&join("RIGHT JOIN", "o.currency = c.code")).contains("RIGHT"));
}
