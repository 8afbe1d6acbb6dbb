"""Top-N, deduplication and window Top-N through the public Table API: the rankings Flink refuses
are refused when the query is planned, with Flink's words (tests/data/pyflink_reference/sql/
topn_errors.json holds what PyFlink 2.3 says for the same statements); valid ones run, and their
changelog reaches collect() as row kinds. Their outputs are compared with PyFlink's in
test_sql_conformance.py (topn_*, dedup_*, window_topn_hop, dashboard_top_products)."""

import json
from pathlib import Path

import pytest

from oxflow.common import RowKind
from oxflow.table import EnvironmentSettings, TableEnvironment, TableException

DATA = Path(__file__).resolve().parent / "data" / "pyflink_reference" / "sql"


@pytest.fixture()
def t_env() -> TableEnvironment:
    t_env = TableEnvironment.create(EnvironmentSettings.in_streaming_mode())
    t_env.get_config().set("parallelism.default", "1")
    t_env.execute_sql("""
        CREATE TABLE orders (order_id BIGINT, user_id BIGINT, product_id BIGINT, amount DECIMAL(10, 2),
            order_time TIMESTAMP(3), WATERMARK FOR order_time AS order_time - INTERVAL '5' SECOND)
        WITH ('connector' = 'filesystem', 'path' = '%s', 'format' = 'csv')""" % (DATA / "inputs" / "orders.csv"))
    t_env.execute_sql("""
        CREATE TABLE orders_pt (order_id BIGINT, user_id BIGINT, product_id BIGINT, amount DECIMAL(10, 2),
            order_time TIMESTAMP(3), pt AS PROCTIME())
        WITH ('connector' = 'filesystem', 'path' = '%s', 'format' = 'csv')""" % (DATA / "inputs" / "orders.csv"))
    return t_env


def flink_error(sql: str) -> str:
    """The first line of what PyFlink said for `sql` (topn_errors.json)."""
    for e in json.loads((DATA / "topn_errors.json").read_text())["errors"]:
        if e["sql"] == sql:
            return e["error"].splitlines()[0].split(": ", 1)[-1]
    raise KeyError(sql)


# Statements Flink refuses with a TableException: ours says the same sentence.
REFUSED = [
    "SELECT order_id, ROW_NUMBER() OVER (PARTITION BY user_id ORDER BY amount DESC) AS rn FROM orders",
    "SELECT * FROM (SELECT order_id, ROW_NUMBER() OVER (PARTITION BY user_id ORDER BY amount DESC) AS rn FROM orders) WHERE rn > 2",
    "SELECT * FROM (SELECT order_id, RANK() OVER (PARTITION BY user_id ORDER BY amount DESC) AS r FROM orders) WHERE r <= 2",
    "SELECT * FROM (SELECT order_id, DENSE_RANK() OVER (PARTITION BY user_id ORDER BY amount DESC) AS r FROM orders) WHERE r <= 2",
    "SELECT * FROM (SELECT order_id, ROW_NUMBER() OVER (PARTITION BY user_id ORDER BY amount DESC) AS rn FROM orders) WHERE rn <= 2 OR order_id > 3",
    "SELECT order_id, NTILE(2) OVER (PARTITION BY user_id ORDER BY order_time) AS t FROM orders",
]


@pytest.mark.parametrize("sql", REFUSED)
def test_refused_like_flink(t_env, sql):
    with pytest.raises(TableException) as e:
        t_env.sql_query(sql)
    assert flink_error(sql) in str(e.value)


def test_a_ranking_without_order_by_is_refused(t_env):
    with pytest.raises(TableException, match="needs ORDER BY"):
        t_env.sql_query("SELECT * FROM (SELECT order_id, ROW_NUMBER() OVER (PARTITION BY user_id) AS rn FROM orders) WHERE rn <= 2")


def test_over_rankings_and_non_time_over_aggregations_are_refused(t_env):
    # Flink plans both as OVER aggregations (topn_errors.json); oxflow runs OVER aggregations
    # ordered by a time attribute (test_sql_over.py), not these yet.
    with pytest.raises(TableException, match="OVER aggregation"):
        t_env.sql_query("SELECT order_id, ROW_NUMBER() OVER (PARTITION BY user_id ORDER BY order_time) AS rn FROM orders")
    with pytest.raises(TableException, match="must be defined on a time attribute"):
        t_env.sql_query("SELECT order_id, SUM(amount) OVER (PARTITION BY user_id ORDER BY amount) AS s FROM orders")


def rows(t_env, sql):
    with t_env.sql_query(sql).execute().collect() as it:
        return [(r.get_row_kind(), list(r)) for r in it]


def test_proctime_deduplication_keeps_the_first_row_insert_only(t_env):
    got = rows(t_env, "SELECT order_id, user_id FROM orders_pt QUALIFY ROW_NUMBER() OVER (PARTITION BY user_id ORDER BY pt) = 1")
    assert got == [(RowKind.INSERT, [1, 1]), (RowKind.INSERT, [2, 2]), (RowKind.INSERT, [4, 3]), (RowKind.INSERT, [20, 4])]


def test_proctime_deduplication_keeps_the_last_row_with_updates(t_env):
    got = rows(t_env, "SELECT order_id, user_id FROM orders_pt QUALIFY ROW_NUMBER() OVER (PARTITION BY user_id ORDER BY pt DESC) = 1")
    orders = [line.split(",") for line in (DATA / "inputs" / "orders.csv").read_text().splitlines()]
    expected, last = [], {}
    for order_id, user_id, *_ in orders:
        row = [int(order_id), int(user_id)]
        if user_id in last:
            expected += [(RowKind.UPDATE_BEFORE, last[user_id]), (RowKind.UPDATE_AFTER, row)]
        else:
            expected.append((RowKind.INSERT, row))
        last[user_id] = row
    assert got == expected


def test_top_n_changelog_reaches_collect_as_row_kinds(t_env):
    got = rows(t_env, "SELECT order_id, amount, rn FROM (SELECT order_id, amount, ROW_NUMBER() OVER (ORDER BY amount DESC) AS rn"
                      " FROM orders WHERE order_id <= 3) WHERE rn <= 1")
    assert [(k, [v[0], str(v[1]), v[2]]) for k, v in got] == [
        (RowKind.INSERT, [1, "10.50", 1]), (RowKind.UPDATE_BEFORE, [1, "10.50", 1]), (RowKind.UPDATE_AFTER, [2, "20.00", 1])]
