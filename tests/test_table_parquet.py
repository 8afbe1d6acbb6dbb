"""The filesystem connector's Parquet format (``'format' = 'parquet'``): a round trip through
the sink and the source, files written by pyarrow read with Flink's type mapping (columns by
name, missing ones NULL), directories of files, and a bad file failing with its name."""

import datetime
from decimal import Decimal

import pytest

from oxflow.table import DataTypes, EnvironmentSettings, TableEnvironment

pa = pytest.importorskip("pyarrow")
pq = pytest.importorskip("pyarrow.parquet")

COLUMNS = "id BIGINT, name STRING, price DECIMAL(10, 2), qty INT, ok BOOLEAN, ts TIMESTAMP(3), d DATE, f DOUBLE, t TINYINT"


@pytest.fixture()
def t_env():
    t_env = TableEnvironment.create(EnvironmentSettings.in_streaming_mode())
    t_env.get_config().set("parallelism.default", "1")
    return t_env


def rows(t_env, sql):
    with t_env.execute_sql(sql).collect() as it:
        return [tuple(r) for r in it]


def parquet_table(t_env, name, path, columns=COLUMNS):
    t_env.execute_sql("CREATE TABLE %s (%s) WITH ('connector' = 'filesystem', 'path' = '%s', 'format' = 'parquet')"
                      % (name, columns, path))


EXPECTED = [
    (1, "apple", Decimal("1.50"), 3, True, datetime.datetime(2024, 1, 1, 10, 0, 0, 123000), datetime.date(2024, 1, 1), 0.25, 7),
    (2, None, Decimal("20.00"), None, False, datetime.datetime(2024, 1, 2, 11, 30), datetime.date(2024, 2, 29), None, -3),
    (3, "cherry, ripe", None, 5, None, None, None, 1e300, None),
]


def test_round_trip_through_the_sink_and_the_source(t_env, tmp_path):
    out = tmp_path / "out"
    row = DataTypes.ROW([DataTypes.FIELD(n, t) for n, t in [
        ("id", DataTypes.BIGINT()), ("name", DataTypes.STRING()), ("price", DataTypes.DECIMAL(10, 2)),
        ("qty", DataTypes.INT()), ("ok", DataTypes.BOOLEAN()), ("ts", DataTypes.TIMESTAMP(3)), ("d", DataTypes.DATE()),
        ("f", DataTypes.DOUBLE()), ("t", DataTypes.TINYINT())]])
    t_env.create_temporary_view("src", t_env.from_elements(EXPECTED, row))
    parquet_table(t_env, "sink", out)
    t_env.execute_sql("INSERT INTO sink SELECT * FROM src").wait()
    parts = sorted(p.name for p in out.iterdir())
    assert len(parts) == 1 and parts[0].startswith("part-") and not parts[0].startswith(".")
    # The part file is plain Parquet, with Flink's types on the Arrow side.
    written = pq.read_table(out / parts[0])
    assert [str(f.type) for f in written.schema] == [
        "int64", "string", "decimal128(10, 2)", "int32", "bool", "timestamp[ms]", "date32[day]", "double", "int8"]
    assert written.column("name").to_pylist() == ["apple", None, "cherry, ripe"]
    parquet_table(t_env, "back", out)
    assert rows(t_env, "SELECT * FROM back") == EXPECTED


def test_reads_a_file_written_by_pyarrow(t_env, tmp_path):
    table = pa.table({
        # Another column order than the table's, an extra column, and pyarrow's own types.
        "qty": pa.array([3, None, 5], pa.int64()),
        "name": pa.array(["apple", None, "cherry, ripe"], pa.large_string()),
        "extra": pa.array([1, 2, 3]),
        "id": pa.array([1, 2, 3], pa.int32()),
        "price": pa.array([Decimal("1.5"), Decimal("20"), None], pa.decimal128(6, 1)),
        "ok": [True, False, None],
        "ts": pa.array([datetime.datetime(2024, 1, 1, 10, 0, 0, 123456), datetime.datetime(2024, 1, 2, 11, 30), None], pa.timestamp("us")),
        "d": pa.array([datetime.date(2024, 1, 1), datetime.date(2024, 2, 29), None]),
        "f": [0.25, None, 1e300],
    })
    path = tmp_path / "data.parquet"
    pq.write_table(table, path, row_group_size=2)
    parquet_table(t_env, "p", path)
    got = rows(t_env, "SELECT * FROM p")
    # TIMESTAMP(3) keeps milliseconds; `t` is not in the file, so it reads as NULL (as in Flink).
    assert got == [EXPECTED[0][:5] + (datetime.datetime(2024, 1, 1, 10, 0, 0, 123000),) + EXPECTED[0][6:8] + (None,)] + \
        [r[:8] + (None,) for r in EXPECTED[1:]]


def test_reads_every_file_of_a_directory_with_dictionary_encoding_and_int96(t_env, tmp_path):
    d = tmp_path / "dir"
    (d / "sub").mkdir(parents=True)
    pq.write_table(pa.table({"k": ["a", "b", "a"], "v": [1, 2, 3]}), d / "part-0.parquet", use_dictionary=True)
    pq.write_table(pa.table({"k": ["c"], "v": [4]}), d / "sub" / "part-1.parquet")
    pq.write_table(pa.table({"k": ["x"], "v": [99]}), d / ".hidden.parquet")
    ts = pa.table({"ts": pa.array([datetime.datetime(2024, 5, 6, 7, 8, 9)], pa.timestamp("ns"))})
    pq.write_table(ts, tmp_path / "int96.parquet", use_deprecated_int96_timestamps=True)
    parquet_table(t_env, "p", d, "k STRING, v BIGINT")
    assert rows(t_env, "SELECT k, v FROM p") == [("a", 1), ("b", 2), ("a", 3), ("c", 4)]
    parquet_table(t_env, "t96", tmp_path / "int96.parquet", "ts TIMESTAMP(3)")
    assert rows(t_env, "SELECT * FROM t96") == [(datetime.datetime(2024, 5, 6, 7, 8, 9),)]


def test_a_bad_file_fails_naming_the_file(t_env, tmp_path):
    bad = tmp_path / "broken.parquet"
    bad.write_bytes(b"this is not parquet at all")
    parquet_table(t_env, "p", bad, "a BIGINT")
    with pytest.raises(Exception, match="Cannot read the Parquet file '.*broken.parquet'"):
        rows(t_env, "SELECT * FROM p")


def test_a_column_of_another_type_fails_naming_file_and_column(t_env, tmp_path):
    path = tmp_path / "words.parquet"
    pq.write_table(pa.table({"a": ["one", "two"]}), path)
    parquet_table(t_env, "p", path, "a BIGINT")
    with pytest.raises(Exception, match="words.parquet': column 'a' holds Utf8 values that cannot be read as Int64"):
        rows(t_env, "SELECT * FROM p")


def test_an_updating_query_is_refused_by_the_parquet_sink(t_env, tmp_path):
    parquet_table(t_env, "sink", tmp_path / "out", "k STRING, c BIGINT")
    t_env.create_temporary_view("v", t_env.from_elements([("a",), ("a",)], ["k"]))
    with pytest.raises(Exception, match="only accepts inserts"):
        t_env.execute_sql("INSERT INTO sink SELECT k, COUNT(*) FROM v GROUP BY k").wait()
