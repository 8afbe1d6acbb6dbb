"""The Table API end to end through the engine: each program's rows are checked against values
worked out by hand, and against the same query written in SQL."""

from decimal import Decimal

import pytest

from oxflow.table import DataTypes, EnvironmentSettings, RowKind, TableEnvironment
from oxflow.table.expressions import col, lit
from oxflow.table.window import Session, Slide, Tumble


def rows(table):
    with table.execute().collect() as it:
        return [(r.get_row_kind().short_string(),) + tuple(r) for r in it]


@pytest.fixture()
def t_env():
    t_env = TableEnvironment.create(EnvironmentSettings.in_streaming_mode())
    t_env.get_config().set("parallelism.default", "1")
    return t_env


@pytest.fixture()
def clicks(t_env, tmp_path):
    data = tmp_path / "clicks.csv"
    data.write_text("\n".join([
        "alice,/home,2024-01-01 10:00:01.000",
        "bob,/cart,2024-01-01 10:00:20.000",
        "alice,/cart,2024-01-01 10:00:40.000",
        "alice,/pay,2024-01-01 10:01:05.000",
        "bob,/home,2024-01-01 10:01:50.000",
        "carol,/home,2024-01-01 10:03:00.000",
    ]) + "\n")
    t_env.execute_sql("""
        CREATE TABLE clicks (name STRING, url STRING, ts TIMESTAMP(3),
            WATERMARK FOR ts AS ts - INTERVAL '1' SECOND)
        WITH ('connector' = 'filesystem', 'path' = '%s', 'format' = 'csv')""" % data)
    return t_env.from_path("clicks")


def test_select_where_and_expressions(t_env):
    t = t_env.from_elements([(1, "a", 1.5), (2, "bb", -2.25), (3, "ccc", 10.0)], ["id", "name", "score"])
    result = t.where(col("score") > 0).select(col("id"), col("name").upper_case.alias("up"), (col("score") * 2).alias("twice"))
    assert rows(result) == [("+I", 1, "A", 3.0), ("+I", 3, "CCC", 20.0)]
    assert result.get_schema().get_field_names() == ["id", "up", "twice"]


def test_group_by_is_an_updating_table(t_env):
    t = t_env.from_elements([("a", 1), ("b", 2), ("a", 3)], ["k", "v"])
    result = t.group_by(col("k")).select(col("k"), col("v").sum.alias("total"))
    assert rows(result) == [("+I", "a", 1), ("+I", "b", 2), ("-U", "a", 1), ("+U", "a", 4)]


def test_tumble_window_matches_sql(t_env, clicks):
    table_api = (clicks.window(Tumble.over(lit(1).minutes).on(col("ts")).alias("w"))
                 .group_by(col("w"), col("name"))
                 .select(col("name"), col("w").start.alias("w_start"), col("url").count.alias("n")))
    sql = t_env.sql_query("""SELECT name, TUMBLE_START(ts, INTERVAL '1' MINUTE) AS w_start, COUNT(url) AS n
                             FROM clicks GROUP BY TUMBLE(ts, INTERVAL '1' MINUTE), name""")
    got = sorted(rows(table_api), key=str)
    import datetime
    m = lambda minute: datetime.datetime(2024, 1, 1, 10, minute)
    assert got == sorted([("+I", "alice", m(0), 2), ("+I", "bob", m(0), 1), ("+I", "alice", m(1), 1),
                          ("+I", "bob", m(1), 1), ("+I", "carol", m(3), 1)], key=str)
    assert got == sorted(rows(sql), key=str)


def test_slide_and_session_windows(t_env, clicks):
    slide = (clicks.window(Slide.over(lit(2).minutes).every(lit(1).minutes).on(col("ts")).alias("w"))
             .group_by(col("w")).select(col("w").end.alias("w_end"), col("name").count.alias("n")))
    ends = sorted((r[1].minute, r[2]) for r in rows(slide))
    # Windows [9:59, 10:01) .. [10:03, 10:05): clicks at 10:00:01-10:00:40 (3), 10:01:05-10:01:50 (2), 10:03 (1).
    assert ends == [(1, 3), (2, 5), (3, 2), (4, 1), (5, 1)]
    session = (clicks.window(Session.with_gap(lit(30).seconds).on(col("ts")).alias("w"))
               .group_by(col("w"), col("name")).select(col("name"), col("name").count.alias("n")))
    # alice: 10:00:01 alone, then 10:00:40 and 10:01:05 (25 s apart) in one session.
    assert sorted(r[1:] for r in rows(session)) == [("alice", 1), ("alice", 2), ("bob", 1), ("bob", 1), ("carol", 1)]


def test_from_elements_with_a_row_schema_and_a_view(t_env):
    schema = DataTypes.ROW([DataTypes.FIELD("id", DataTypes.INT()), DataTypes.FIELD("price", DataTypes.DECIMAL(5, 2))])
    t = t_env.from_elements([(1, Decimal("1.50")), (2, Decimal("12.00"))], schema)
    t_env.create_temporary_view("products", t)
    got = rows(t_env.sql_query("SELECT id, price * 2 AS doubled FROM products WHERE price > 2"))
    assert got == [("+I", 2, Decimal("24.00"))]


def test_union_all_and_limit(t_env):
    a = t_env.from_elements([(1,), (2,)], ["x"])
    b = t_env.from_elements([(3,)], ["x"])
    assert sorted(r[1] for r in rows(a.union_all(b))) == [1, 2, 3]
    assert len(rows(a.union_all(b).limit(2))) == 2


def test_collected_rows_carry_their_kind(t_env):
    t = t_env.from_elements([("a", 1), ("a", 2)], ["k", "v"])
    with t.group_by(col("k")).select(col("k"), col("v").max.alias("m")).execute().collect() as it:
        kinds = [r.get_row_kind() for r in it]
    assert kinds == [RowKind.INSERT, RowKind.UPDATE_BEFORE, RowKind.UPDATE_AFTER]


def test_execute_insert_into_a_print_table(t_env, capfd):
    t_env.execute_sql("CREATE TABLE out (k STRING, n BIGINT) WITH ('connector' = 'print')")
    t = t_env.from_elements([("a", 1), ("b", 2)], ["k", "n"])
    t.execute_insert("out").wait()
    assert capfd.readouterr().out.splitlines() == ["+I[a, 1]", "+I[b, 2]"]
