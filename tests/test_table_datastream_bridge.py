"""DataStream and Table API in one program (``from_data_stream``, ``create_temporary_view`` of a
DataStream, ``to_data_stream``, ``to_changelog_stream``): rows cross both ways within one
``env.execute()``; outputs compared whole. The PyFlink docs' examples are conformance cases
(tests/data/pyflink_reference/sql/datastream_*.json)."""

import datetime
from decimal import Decimal

import pytest

from oxflow.common import Row, RowKind, Types
from oxflow.datastream import StreamExecutionEnvironment
from oxflow.table import StreamTableEnvironment
from oxflow.table.expressions import col


@pytest.fixture()
def envs():
    env = StreamExecutionEnvironment.get_execution_environment()
    env.set_parallelism(1)
    return env, StreamTableEnvironment.create(env)


def test_rows_cross_both_ways_in_one_execute(envs):
    env, t_env = envs
    ds = env.from_collection([Row("a", 1), Row("b", 2), Row("a", 3)], type_info=Types.ROW_NAMED(["k", "v"], [Types.STRING(), Types.INT()]))
    t_env.create_temporary_view("input", ds)
    result = t_env.to_data_stream(t_env.sql_query("SELECT k, v * 10 AS v10 FROM input WHERE v > 1"))
    got = result.map(lambda r: (r.get_row_kind(), r[0], r[1]), output_type=Types.PICKLED_BYTE_ARRAY()).execute_and_collect()
    assert list(got) == [(RowKind.INSERT, "b", 20), (RowKind.INSERT, "a", 30)]


def test_changelog_stream_carries_row_kinds(envs):
    env, t_env = envs
    ds = env.from_collection([("x", 1), ("y", 2), ("x", 5)], type_info=Types.TUPLE([Types.STRING(), Types.INT()]))
    table = t_env.from_data_stream(ds, col("name"), col("n"))
    assert table.get_schema().get_column_names() == ["name", "n"]
    changes = t_env.to_changelog_stream(table.group_by(col("name")).select(col("name"), col("n").sum.alias("total")))
    got = [(str(r.get_row_kind()), tuple(r)) for r in changes.execute_and_collect()]
    assert got == [("+I", ("x", 1)), ("+I", ("y", 2)), ("-U", ("x", 1)), ("+U", ("x", 6))]


def test_an_updating_table_is_refused_by_to_data_stream(envs):
    env, t_env = envs
    ds = env.from_collection([("x", 1)], type_info=Types.TUPLE([Types.STRING(), Types.INT()]))
    table = t_env.from_data_stream(ds)
    with pytest.raises(Exception, match="doesn't support consuming update changes"):
        t_env.to_data_stream(table.group_by(col("f0")).select(col("f0"), col("f1").sum))


def test_types_cross_as_flink_converts_them(envs):
    env, t_env = envs
    names = ["s", "l", "d", "b", "dec", "ts", "day"]
    types = [Types.STRING(), Types.LONG(), Types.DOUBLE(), Types.BOOLEAN(), Types.BIG_DEC(), Types.SQL_TIMESTAMP(), Types.SQL_DATE()]
    value = Row("x", 2 ** 40, 0.5, True, Decimal("1.25"), datetime.datetime(2024, 1, 1, 10, 0, 0, 5000), datetime.date(2024, 2, 29))
    ds = env.from_collection([value], type_info=Types.ROW_NAMED(names, types))
    table = t_env.from_data_stream(ds)
    assert [str(t) for t in table.get_schema().get_column_data_types()] == [
        "STRING", "BIGINT", "DOUBLE", "BOOLEAN", "DECIMAL(38, 18)", "TIMESTAMP(3)", "DATE"]
    back = t_env.to_data_stream(t_env.sql_query("SELECT s, l + 1, d * 2, NOT b, dec * 2, ts, day FROM %s" % table))
    assert [tuple(r) for r in back.execute_and_collect()] == [
        ("x", 2 ** 40 + 1, 1.0, False, Decimal("2.500000000000000000"), datetime.datetime(2024, 1, 1, 10, 0, 0, 5000), datetime.date(2024, 2, 29))]


def test_a_fed_table_queried_alone_runs_its_data_stream(envs):
    env, t_env = envs
    words = env.from_collection(["a b", "c"], Types.STRING()).flat_map(lambda s: s.split(), output_type=Types.STRING())
    table = t_env.from_data_stream(words)
    with table.execute().collect() as rows:
        assert [r[0] for r in rows] == ["a", "b", "c"]
    t_env.create_temporary_view("w2", t_env.from_data_stream(env.from_collection([1, 2, 3], Types.INT())))
    with t_env.execute_sql("SELECT SUM(f0) AS s FROM w2").collect() as rows:
        assert [(str(r.get_row_kind()), r[0]) for r in rows] == [("+I", 1), ("-U", 1), ("+U", 3), ("-U", 3), ("+U", 6)]


def test_many_rows_cross(envs):
    env, t_env = envs
    n = 50_000
    ds = env.from_collection(list(range(n)), Types.LONG())
    t_env.create_temporary_view("nums", ds)
    out = t_env.to_changelog_stream(t_env.sql_query("SELECT MOD(f0, 3) AS k, COUNT(*) AS c FROM nums GROUP BY MOD(f0, 3)"))
    final = {}
    for r in out.execute_and_collect():
        if r.get_row_kind() in (RowKind.INSERT, RowKind.UPDATE_AFTER):
            final[r[0]] = r[1]
    assert final == {0: 16667, 1: 16667, 2: 16666}


def test_an_untyped_stream_is_refused_with_a_clear_error(envs):
    env, t_env = envs
    with pytest.raises(Exception, match="needs a stream with a declared type"):
        t_env.from_data_stream(env.from_collection([1, 2]))


def test_a_fed_table_read_by_two_queries_gives_each_every_row(envs, capsys):
    env, t_env = envs
    t_env.create_temporary_view("n", env.from_collection([1, 2, 3, 4], Types.INT()))
    t_env.to_data_stream(t_env.sql_query("SELECT f0 FROM n WHERE MOD(f0, 2) = 0")).print()
    t_env.to_changelog_stream(t_env.sql_query("SELECT COUNT(*) AS c FROM n")).print()
    env.execute()
    lines = capsys.readouterr().out.splitlines()
    assert sorted(lines) == sorted(["+I[2]", "+I[4]", "+I[1]", "-U[1]", "+U[2]", "-U[2]", "+U[3]", "-U[3]", "+U[4]"])


# --- event time across the bridge (the PyFlink case is datastream_event_time_window.json) ----

SCORES = [("a", 1, 100), ("b", 2, 400), ("a", 3, 900), ("a", 4, 1200), ("b", 5, 1999)]


def scored_stream(env, watermarks=True):
    from oxflow.common import WatermarkStrategy
    from oxflow.common.watermark_strategy import TimestampAssigner

    class EventTime(TimestampAssigner):
        def extract_timestamp(self, value, record_timestamp):
            return value[2]

    ds = env.from_collection(SCORES, type_info=Types.ROW_NAMED(["name", "score", "ts"], [Types.STRING(), Types.INT(), Types.LONG()]))
    if watermarks:
        ds = ds.assign_timestamps_and_watermarks(WatermarkStrategy.for_monotonous_timestamps().with_timestamp_assigner(EventTime()))
    return ds


def rowtime_schema(watermark="SOURCE_WATERMARK()", key=None, type_="TIMESTAMP_LTZ(3)"):
    from oxflow.table import Schema
    builder = Schema.new_builder().column_by_metadata("rowtime", type_, key)
    return (builder.watermark("rowtime", watermark) if watermark else builder).build()


def test_the_rowtime_column_holds_each_elements_timestamp(envs):
    env, t_env = envs
    table = t_env.from_data_stream(scored_stream(env), rowtime_schema(watermark=None))
    schema = str(table.get_schema())
    assert "`rowtime` TIMESTAMP_LTZ(3)" in schema and "*ROWTIME*" not in schema, schema
    with table.execute().collect() as it:
        got = [(r[0], r[3]) for r in it]
    utc = datetime.timezone.utc
    assert [(n, t.astimezone(utc)) for n, t in got] == [
        (n, datetime.datetime.fromtimestamp(ts / 1000, utc)) for n, _, ts in SCORES]


def test_without_a_watermark_the_rowtime_column_is_no_time_attribute(envs):
    env, t_env = envs
    t_env.create_temporary_view("scores", t_env.from_data_stream(scored_stream(env), rowtime_schema(watermark=None)))
    with pytest.raises(Exception, match="requires the timecol to be a time attribute"):
        t_env.sql_query("SELECT * FROM TABLE(TUMBLE(TABLE scores, DESCRIPTOR(rowtime), INTERVAL '1' SECOND))").execute()


def test_windows_on_a_fed_rowtime_fire_on_the_streams_watermarks(envs):
    env, t_env = envs
    t_env.create_temporary_view("scores", t_env.from_data_stream(scored_stream(env), rowtime_schema()))
    table = t_env.sql_query("""
        SELECT name, window_start, SUM(score) AS total FROM TABLE(TUMBLE(TABLE scores, DESCRIPTOR(rowtime), INTERVAL '1' SECOND))
        GROUP BY name, window_start, window_end""")
    got = t_env.to_data_stream(table).map(lambda r: (r[0], r[1].second, r[2]), output_type=Types.PICKLED_BYTE_ARRAY()).execute_and_collect()
    assert sorted(got) == [("a", 0, 4), ("a", 1, 4), ("b", 0, 2), ("b", 1, 5)]


@pytest.mark.parametrize("schema, message", [
    (lambda: rowtime_schema(watermark="rowtime - INTERVAL '1' SECOND"), "only SOURCE_WATERMARK"),
    (lambda: rowtime_schema(key="partition"), "unknown metadata key 'partition'"),
    (lambda: rowtime_schema(type_="BIGINT"), "must be TIMESTAMP_LTZ"),
])
def test_unsupported_event_time_schemas_are_refused(envs, schema, message):
    from oxflow.table import TableException
    env, t_env = envs
    with pytest.raises(TableException, match=message):
        t_env.from_data_stream(scored_stream(env), schema())
