"""OVER aggregations through the public Table API: the OVER windows Flink refuses are refused when
the query is planned, with Flink's words (tests/data/pyflink_reference/sql/over_errors.json holds
what PyFlink 2.3 said for the same statements); valid ones run append-only. Their outputs are
compared with PyFlink's in test_sql_conformance.py (over_*)."""

import json
from pathlib import Path

import pytest

from oxflow.common import RowKind
from oxflow.table import EnvironmentSettings, TableEnvironment, TableException
from oxflow.table.expressions import CURRENT_ROW, col, lit, row_interval
from oxflow.table.window import Over

DATA = Path(__file__).resolve().parent / "data" / "pyflink_reference" / "sql"
ERRORS = json.loads((DATA / "over_errors.json").read_text())["errors"]


@pytest.fixture()
def t_env() -> TableEnvironment:
    t_env = TableEnvironment.create(EnvironmentSettings.in_streaming_mode())
    t_env.get_config().set("parallelism.default", "1")
    t_env.execute_sql("""
        CREATE TABLE ticks (id BIGINT, symbol STRING, price INT, volume BIGINT, ts TIMESTAMP(3),
            WATERMARK FOR ts AS ts - INTERVAL '2' SECOND)
        WITH ('connector' = 'filesystem', 'path' = '%s', 'format' = 'csv')""" % (DATA / "inputs" / "trades.csv"))
    return t_env


def flink_sentence(error: str) -> str:
    """The sentence of Flink's error naming the problem (without Java's class and advice)."""
    lines = error.splitlines()
    line = next((l for l in lines if "Over Agg:" in l), lines[-1])
    return line.rsplit(": ", 1)[-1].split(" please")[0].rstrip(".")


REFUSED = [e for e in ERRORS if e["error"]]


@pytest.mark.parametrize("case", REFUSED, ids=[str(i) for i in range(len(REFUSED))])
def test_refused_like_flink(t_env, case):
    with pytest.raises(TableException) as e:
        t_env.sql_query(case["sql"])
    assert flink_sentence(case["error"]) in str(e.value)


def test_the_refusals_cover_every_error_flink_gave():
    assert len(REFUSED) == 10


def rows(table):
    with table.execute().collect() as it:
        return [(r.get_row_kind(), list(r)) for r in it]


def test_over_rows_are_append_only_one_per_input_row(t_env):
    got = rows(t_env.sql_query(
        "SELECT id, SUM(price) OVER (PARTITION BY symbol ORDER BY ts ROWS BETWEEN 1 PRECEDING AND CURRENT ROW) AS s"
        " FROM ticks WHERE symbol = 'C'"))
    # C's prices 5, 6, 7, 8, 9 at increasing times: each row with the one before it.
    assert got == [(RowKind.INSERT, [5, 5]), (RowKind.INSERT, [9, 11]), (RowKind.INSERT, [12, 13]),
                   (RowKind.INSERT, [17, 15]), (RowKind.INSERT, [22, 17])]


def test_table_api_over_window_runs_through_sql(t_env):
    ticks = t_env.from_path("ticks").filter(col("symbol") == "C")
    w = Over.partition_by(col("symbol")).order_by(col("ts")).preceding(row_interval(1)).following(CURRENT_ROW).alias("w")
    got = rows(ticks.over_window(w).select(col("id"), col("price").max.over(col("w")).alias("hi")))
    assert got == [(RowKind.INSERT, [5, 5]), (RowKind.INSERT, [9, 6]), (RowKind.INSERT, [12, 7]),
                   (RowKind.INSERT, [17, 8]), (RowKind.INSERT, [22, 9])]
    # A time interval: the rows of the last 10 seconds (C at :04, :10, :12, :20, :30).
    w = Over.partition_by(col("symbol")).order_by(col("ts")).preceding(lit(10).seconds).alias("w")
    got = rows(ticks.over_window(w).select(col("id"), col("id").count.over(col("w")).alias("n")))
    assert got == [(RowKind.INSERT, [5, 1]), (RowKind.INSERT, [9, 2]), (RowKind.INSERT, [12, 3]),
                   (RowKind.INSERT, [17, 3]), (RowKind.INSERT, [22, 2])]


def test_an_undefined_over_window_alias_is_refused(t_env):
    w = Over.order_by(col("ts")).preceding(row_interval(1)).alias("w")
    with pytest.raises(ValueError, match="over window 'x' is not defined"):
        t_env.from_path("ticks").over_window(w).select(col("price").sum.over(col("x")))
