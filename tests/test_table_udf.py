"""Python scalar UDFs called from SQL operators: registered by name, used inline in the Table
API, created with CREATE FUNCTION ... LANGUAGE PYTHON; their errors come back as themselves."""

import sys
import textwrap

import pytest

from oxflow.table import DataTypes, EnvironmentSettings, ScalarFunction, TableEnvironment, udf
from oxflow.table.expressions import col


@pytest.fixture()
def t_env():
    t_env = TableEnvironment.create(EnvironmentSettings.in_streaming_mode())
    t_env.create_temporary_view("t", t_env.from_elements([(1, "a"), (2, "bb"), (3, None)], ["id", "s"]))
    return t_env


def values(table):
    with table.execute().collect() as rows:
        return [tuple(r) for r in rows]


def test_a_registered_lambda_in_sql(t_env):
    t_env.create_temporary_system_function("plus_one", udf(lambda x: x + 1, result_type=DataTypes.BIGINT()))
    assert values(t_env.sql_query("SELECT id, plus_one(id) AS p FROM t")) == [(1, 2), (2, 3), (3, 4)]


def test_decorated_function_with_input_types_and_nulls(t_env):
    @udf(input_types=[DataTypes.STRING()], result_type="INT")
    def length(s):
        return None if s is None else len(s)

    t_env.create_temporary_system_function("length_of", length)
    assert values(t_env.sql_query("SELECT length_of(s) FROM t")) == [(1,), (2,), (None,)]


def test_a_scalar_function_class_is_opened_once(t_env):
    class Scale(ScalarFunction):
        def open(self, function_context):
            self.factor = 10

        def eval(self, x):
            return x * self.factor

    t_env.create_temporary_system_function("scale", udf(Scale(), result_type=DataTypes.BIGINT()))
    assert values(t_env.sql_query("SELECT scale(id) FROM t WHERE id > 1")) == [(20,), (30,)]


def test_inline_in_the_table_api(t_env):
    shout = udf(lambda s: (s or "").upper() + "!", result_type=DataTypes.STRING())
    table = t_env.from_path("t").select(col("id"), shout(col("s")).alias("loud"))
    assert values(table) == [(1, "A!"), (2, "BB!"), (3, "!")]


def test_create_function_language_python(t_env, tmp_path, monkeypatch):
    (tmp_path / "my_udfs.py").write_text(textwrap.dedent("""
        from oxflow.table import DataTypes
        from oxflow.table.udf import udf

        double = udf(lambda x: 2 * x, result_type=DataTypes.BIGINT())
    """))
    monkeypatch.syspath_prepend(str(tmp_path))
    t_env.execute_sql("CREATE TEMPORARY FUNCTION dbl AS 'my_udfs.double' LANGUAGE PYTHON")
    assert values(t_env.sql_query("SELECT dbl(id) FROM t")) == [(2,), (4,), (6,)]
    assert "dbl" in t_env.list_user_defined_functions()


def test_a_udf_exception_is_the_users_own(t_env):
    def broken(x):
        if x == 2:
            raise ZeroDivisionError("cannot do 2")
        return x

    t_env.create_temporary_system_function("broken", udf(broken, result_type="BIGINT"))
    with pytest.raises(ZeroDivisionError, match="cannot do 2") as e:
        values(t_env.sql_query("SELECT broken(id) FROM t"))
    assert any(frame.name == "broken" for frame in e.traceback)


def test_a_result_of_the_wrong_type_names_the_function_and_row(t_env):
    t_env.create_temporary_system_function("wrong", udf(lambda x: "text", result_type="BIGINT"))
    with pytest.raises(TypeError, match=r"row 0, field 'wrong' \(BIGINT\)"):
        values(t_env.sql_query("SELECT wrong(id) FROM t"))


# --- pandas UDFs --------------------------------------------------------------------------


def test_pandas_udf_gets_series_per_batch(t_env):
    pd = pytest.importorskip("pandas")
    calls = []

    @udf(result_type=DataTypes.DOUBLE(), func_type="pandas")
    def scaled(i, s):
        calls.append((type(i), type(s), len(i)))
        return i * 1.5 + s.str.len().fillna(0)

    t_env.create_temporary_system_function("scaled", scaled)
    assert values(t_env.sql_query("SELECT id, scaled(id, s) FROM t")) == [(1, 2.5), (2, 5.0), (3, 4.5)]
    assert calls == [(pd.Series, pd.Series, 3)]


def test_pandas_udf_results_are_cast_and_nulls_kept(t_env):
    pytest.importorskip("pandas")
    upper = udf(lambda s: s.str.upper(), result_type="STRING", func_type="pandas")
    as_int = udf(lambda i: (i * 2).astype("float64"), result_type=DataTypes.INT(), func_type="pandas")
    listed = udf(lambda i: [v + 1 for v in i], result_type="BIGINT", func_type="pandas")
    table = t_env.from_path("t").select(upper(col("s")), as_int(col("id")), listed(col("id")))
    assert values(table) == [("A", 2, 2), ("BB", 4, 3), (None, 6, 4)]


def test_pandas_udf_of_the_wrong_length_names_the_function(t_env):
    pytest.importorskip("pandas")
    t_env.create_temporary_system_function("short", udf(lambda i: i[:1], result_type="BIGINT", func_type="pandas"))
    with pytest.raises(ValueError, match="the pandas UDF <lambda> returned 1 values for a batch of 3 rows"):
        values(t_env.sql_query("SELECT short(id) FROM t"))
    t_env.create_temporary_system_function("text", udf(lambda i: i.astype(str) + "x", result_type="BIGINT", func_type="pandas"))
    with pytest.raises(TypeError, match="the pandas UDF <lambda> returned Series, which does not convert to int64"):
        values(t_env.sql_query("SELECT text(id) FROM t"))


def test_pandas_udf_needs_pandas(monkeypatch):
    import builtins
    real_import = builtins.__import__

    def no_pandas(name, *args, **kwargs):
        if name in ("pandas", "pyarrow"):
            raise ImportError("No module named %r" % name)
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_pandas)
    with pytest.raises(ImportError, match="the pandas UDF f needs pandas and pyarrow"):
        udf(lambda x: x, result_type="BIGINT", func_type="pandas", name="f")
