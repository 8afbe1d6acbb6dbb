"""Lookup joins (`JOIN dim FOR SYSTEM_TIME AS OF left.proctime`) through the public Table API,
against a filesystem table read whole into a cache: each row joins the cached rows of its key,
the cache is read again once older than `lookup.full-cache.periodic-reload.interval`, and a
table that cannot be looked up is refused at planning. Flink's filesystem connector serves no
lookups, so the expected rows follow Flink's lookup-join semantics (as its JDBC and Hive
connectors give them), not a PyFlink run."""

import os
import threading
import time

import pytest

from oxflow.common.types import RowKind
from oxflow.table import EnvironmentSettings, TableEnvironment


def t_env():
    return TableEnvironment.create(EnvironmentSettings.in_streaming_mode())


def write_atomically(path, text):
    tmp = path.with_suffix(".tmp")
    tmp.write_text(text)
    os.replace(tmp, path)


def test_orders_join_the_rows_of_their_key_and_left_joins_pad_the_others(tmp_path):
    (tmp_path / "orders.csv").write_text("1,USD,10\n2,EUR,20\n3,GBP,30\n4,USD,40\n")
    (tmp_path / "currencies.csv").write_text("USD,US Dollar\nEUR,Euro\nEUR,Euro (alt)\n")
    env = t_env()
    env.execute_sql(
        f"CREATE TABLE orders (id BIGINT, cur STRING, amount BIGINT, proc AS PROCTIME()) "
        f"WITH ('connector' = 'filesystem', 'path' = '{tmp_path / 'orders.csv'}', 'format' = 'csv')"
    )
    env.execute_sql(
        f"CREATE TABLE currencies (code STRING, name STRING) "
        f"WITH ('connector' = 'filesystem', 'path' = '{tmp_path / 'currencies.csv'}', 'format' = 'csv')"
    )
    sql = "SELECT o.id, o.amount, c.name FROM orders AS o {} currencies FOR SYSTEM_TIME AS OF o.proc AS c ON o.cur = c.code"
    with env.execute_sql(sql.format("JOIN")).collect() as rows:
        inner = sorted(tuple(r) for r in rows)
    assert inner == [(1, 10, "US Dollar"), (2, 20, "Euro"), (2, 20, "Euro (alt)"), (4, 40, "US Dollar")]
    with env.execute_sql(sql.format("LEFT JOIN")).collect() as rows:
        left = [(r.get_row_kind(), tuple(r)) for r in rows]
    assert all(kind == RowKind.INSERT for kind, _ in left), "append-only"
    assert sorted(v for _, v in left) == sorted(inner + [(3, 30, None)])


def test_the_cache_is_read_again_once_older_than_the_reload_interval(tmp_path):
    dim = tmp_path / "names.csv"
    write_atomically(dim, "0,old even\n1,old odd\n")
    env = t_env()
    env.execute_sql(
        "CREATE TABLE ticks (id BIGINT, proc AS PROCTIME()) WITH ('connector' = 'datagen', "
        "'fields.id.kind' = 'sequence', 'fields.id.start' = '1', 'fields.id.end' = '60', 'rows-per-second' = '30')"
    )
    env.execute_sql(
        f"CREATE TABLE names (k BIGINT, name STRING) WITH ('connector' = 'filesystem', 'path' = '{dim}', "
        "'format' = 'csv', 'lookup.full-cache.periodic-reload.interval' = '100 ms')"
    )
    result = env.execute_sql(
        "SELECT t.id, n.name FROM (SELECT id, id % 2 AS k, proc FROM ticks) AS t "
        "JOIN names FOR SYSTEM_TIME AS OF t.proc AS n ON t.k = n.k"
    )
    # The file changes about 1 s into the 2 s of input.
    timer = threading.Timer(1.0, write_atomically, (dim, "0,new even\n1,new odd\n"))
    timer.start()
    try:
        with result.collect() as rows:
            got = [tuple(r) for r in rows]
    finally:
        timer.cancel()
    assert [i for i, _ in got] == list(range(1, 61)), "every tick once, in order"
    ages = [name.split()[0] for _, name in got]
    assert ages[0] == "old" and ages[-1] == "new", ages
    # Once the new file was read, no row sees the old one again.
    assert ages == sorted(ages, key=lambda a: a == "new"), ages
    assert all(name.endswith("even" if i % 2 == 0 else "odd") for i, name in got)


def test_a_table_without_lookups_or_an_equality_is_refused(tmp_path):
    (tmp_path / "d.csv").write_text("1,a\n")
    env = t_env()
    env.execute_sql("CREATE TABLE l (id BIGINT, proc AS PROCTIME()) WITH ('connector' = 'datagen', 'number-of-rows' = '3')")
    env.execute_sql("CREATE TABLE gen (id BIGINT, name STRING) WITH ('connector' = 'datagen', 'number-of-rows' = '3')")
    env.execute_sql(f"CREATE TABLE d (id BIGINT, name STRING) WITH ('connector' = 'filesystem', 'path' = '{tmp_path / 'd.csv'}', 'format' = 'csv')")
    with pytest.raises(Exception, match="Connector 'datagen' of table 'gen' does not support lookups"):
        env.sql_query("SELECT * FROM l JOIN gen FOR SYSTEM_TIME AS OF l.proc AS g ON l.id = g.id").execute()
    with pytest.raises(Exception, match=r"requires an equality condition on fields of table \[d\]"):
        env.sql_query("SELECT * FROM l JOIN d FOR SYSTEM_TIME AS OF l.proc ON l.id > d.id").execute()
