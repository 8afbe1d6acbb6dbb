"""pandas DataFrames to tables and back through Arrow (``from_pandas``, ``Table.to_pandas``):
types inferred or given as PyFlink takes them, values and dtypes compared whole, updating
results materialized as PyFlink materializes them (see also the conformance case
tests/data/pyflink_reference/sql/from_pandas_to_pandas.json)."""

import datetime
import subprocess
import sys
from decimal import Decimal

import pytest

pd = pytest.importorskip("pandas")
pa = pytest.importorskip("pyarrow")

from oxflow.table import DataTypes, EnvironmentSettings, TableEnvironment  # noqa: E402
from oxflow.table.expressions import col  # noqa: E402


@pytest.fixture()
def t_env():
    t_env = TableEnvironment.create(EnvironmentSettings.in_streaming_mode())
    t_env.get_config().set("parallelism.default", "1")
    return t_env


def collected(table):
    with table.execute().collect() as it:
        return [(r.get_row_kind().short_string(),) + tuple(r) for r in it]


def frame():
    return pd.DataFrame({
        "id": [1, 2, 3],
        "name": ["a", None, "c"],
        "score": [1.5, float("nan"), 3.25],
        "ok": [True, False, True],
        "ts": pd.to_datetime(["2024-01-01 00:00:01.000", "2024-01-01 00:00:02.500", "2024-01-02 00:00:00.000"]).astype("datetime64[ns]"),
        "small": pd.Series([7, 8, 9], dtype="int32"),
        "f": pd.Series([0.5, 1.5, 2.5], dtype="float32"),
        "d": [datetime.date(2024, 1, 1), datetime.date(2024, 2, 29), None],
    })


def test_types_inferred_from_dtypes_as_pyflink_does(t_env):
    t = t_env.from_pandas(frame())
    schema = t.get_schema()
    assert schema.get_column_names() == ["id", "name", "score", "ok", "ts", "small", "f", "d"]
    assert [str(x) for x in schema.get_column_data_types()] == [
        "BIGINT", "STRING", "DOUBLE", "BOOLEAN", "TIMESTAMP(9)", "INT", "FLOAT", "DATE"]


def test_values_cross_with_nan_as_null(t_env):
    rows = collected(t_env.from_pandas(frame()))
    assert rows == [
        ("+I", 1, "a", 1.5, True, datetime.datetime(2024, 1, 1, 0, 0, 1), 7, 0.5, datetime.date(2024, 1, 1)),
        ("+I", 2, None, None, False, datetime.datetime(2024, 1, 1, 0, 0, 2, 500000), 8, 1.5, datetime.date(2024, 2, 29)),
        ("+I", 3, "c", 3.25, True, datetime.datetime(2024, 1, 2), 9, 2.5, None),
    ]


def test_schema_as_names_row_type_or_data_types(t_env):
    pdf = pd.DataFrame({"a": [1, 2], "b": [0.5, None]})
    by_names = t_env.from_pandas(pdf, ["x", "y"])
    assert by_names.get_schema().get_column_names() == ["x", "y"]
    row = DataTypes.ROW([DataTypes.FIELD("x", DataTypes.INT()), DataTypes.FIELD("y", DataTypes.DECIMAL(10, 2))])
    assert collected(t_env.from_pandas(pdf, row)) == [("+I", 1, Decimal("0.50")), ("+I", 2, None)]
    by_types = t_env.from_pandas(pdf, [DataTypes.SMALLINT(), DataTypes.FLOAT()])
    assert [str(x) for x in by_types.get_schema().get_column_data_types()] == ["SMALLINT", "FLOAT"]
    assert by_types.get_schema().get_column_names() == ["a", "b"]


def test_splits_keep_every_row_in_order(t_env):
    pdf = pd.DataFrame({"v": list(range(10))})
    t = t_env.from_pandas(pdf, splits_num=3)
    assert [r[1] for r in collected(t)] == list(range(10))
    assert t.to_pandas()["v"].tolist() == list(range(10))


def test_to_pandas_round_trip_with_pyflink_dtypes(t_env):
    out = t_env.from_pandas(frame()).to_pandas()
    assert list(out.columns) == ["id", "name", "score", "ok", "ts", "small", "f", "d"]
    assert {c: str(out[c].dtype) for c in ["id", "score", "ok", "ts", "small", "f"]} == {
        "id": "int64", "score": "float64", "ok": "bool", "ts": "datetime64[ns]", "small": "int32", "f": "float32"}
    assert out["id"].tolist() == [1, 2, 3]
    assert out["name"].tolist()[0::2] == ["a", "c"] and pd.isna(out["name"][1])
    assert out["score"][0] == 1.5 and pd.isna(out["score"][1])
    assert out["ts"].tolist() == list(frame()["ts"])
    # DATE comes back as datetime.date objects (pyarrow's date_as_object, as in PyFlink).
    assert out["d"].tolist()[:2] == [datetime.date(2024, 1, 1), datetime.date(2024, 2, 29)]


def test_to_pandas_of_sql_types(t_env):
    t_env.create_temporary_view("t", t_env.from_pandas(frame()))
    out = t_env.sql_query(
        "SELECT CAST(id AS DECIMAL(10, 2)) AS dec, CAST(ts AS TIMESTAMP(3)) AS ts3, UPPER(name) AS up FROM t").to_pandas()
    assert out["dec"].tolist() == [Decimal("1.00"), Decimal("2.00"), Decimal("3.00")]
    assert str(out["ts3"].dtype) == "datetime64[ms]"
    assert out["up"].tolist()[0] == "A"


def test_to_pandas_of_an_updating_table_gives_the_final_rows(t_env):
    g = t_env.from_pandas(pd.DataFrame({"k": ["b", "a", "c", "b", "a", "c", "b"], "v": [1, 2, 3, 4, 5, 6, 7]}))
    out = g.group_by(col("k")).select(col("k"), col("v").sum.alias("s")).to_pandas()
    # Flink's order: rows as they were last added (b changed last).
    assert out.values.tolist() == [["a", 7], ["c", 9], ["b", 12]]
    assert str(out["s"].dtype) == "int64"


def test_to_pandas_of_no_rows_is_an_empty_frame_of_object_columns(t_env):
    out = t_env.from_pandas(frame()).filter(col("id") > 100).select(col("id"), col("name")).to_pandas()
    assert list(out.columns) == ["id", "name"] and len(out) == 0
    assert [str(t) for t in out.dtypes] == ["object", "object"]


def test_a_bad_value_names_the_column(t_env):
    pdf = pd.DataFrame({"a": [1, 2], "b": ["3", "x"]})
    row = DataTypes.ROW([DataTypes.FIELD("a", DataTypes.INT()), DataTypes.FIELD("b", DataTypes.INT())])
    with pytest.raises(Exception, match="column 'b'"):
        t_env.from_pandas(pdf, row)


def test_a_schema_of_another_width_is_refused(t_env):
    with pytest.raises(ValueError, match="the DataFrame has 2 columns"):
        t_env.from_pandas(pd.DataFrame({"a": [1], "b": [2]}), ["x"])
    with pytest.raises(TypeError, match="expected pandas.DataFrame"):
        t_env.from_pandas([(1, 2)])


def test_many_rows_cross_as_arrow(t_env):
    n = 200_000
    pdf = pd.DataFrame({"k": [i % 7 for i in range(n)], "v": [float(i) for i in range(n)]})
    t_env.create_temporary_view("t", t_env.from_pandas(pdf, splits_num=4))
    out = t_env.sql_query("SELECT k, COUNT(*) AS c, SUM(v) AS s FROM t GROUP BY k").to_pandas()
    got = {int(r.k): (int(r.c), float(r.s)) for r in out.itertuples()}
    want = pdf.groupby("k").agg(c=("v", "size"), s=("v", "sum"))
    assert got == {int(k): (int(r.c), float(r.s)) for k, r in want.iterrows()}


def test_without_pandas_a_clear_import_error():
    program = (
        "import sys; sys.modules['pandas'] = None\n"
        "from oxflow.table import EnvironmentSettings, TableEnvironment\n"
        "t = TableEnvironment.create(EnvironmentSettings.in_streaming_mode())\n"
        "try:\n"
        "    t.from_elements([(1,)], ['a']).to_pandas()\n"
        "except ImportError as e:\n"
        "    print('ImportError:', e)\n")
    done = subprocess.run([sys.executable, "-c", program], capture_output=True, text=True, timeout=120)
    assert "ImportError: Converting between tables and pandas needs pandas and pyarrow" in done.stdout, done.stderr
