"""Python table functions (udtf) joined to their rows: LATERAL TABLE in SQL (comma, CROSS JOIN,
JOIN ... ON, LEFT JOIN ... ON TRUE) and join_lateral / left_outer_join_lateral in the Table API;
changelog row kinds pass through; errors name the function."""

import pytest

from oxflow.common import Row
from oxflow.table import DataTypes, EnvironmentSettings, TableEnvironment, TableFunction, udtf
from oxflow.table.expressions import col


@udtf(result_types=[DataTypes.STRING(), DataTypes.INT()])
def split(s):
    for word in (s or "").split():
        yield word, len(word)


class Repeat(TableFunction):
    def eval(self, n):
        for i in range(n):
            yield Row(i)


@pytest.fixture()
def t_env():
    t_env = TableEnvironment.create(EnvironmentSettings.in_streaming_mode())
    t_env.create_temporary_view("t", t_env.from_elements([(1, "hello big world"), (2, None), (3, "x")], ["id", "s"]))
    t_env.create_temporary_system_function("split", split)
    t_env.create_temporary_system_function("rep", udtf(Repeat(), result_types=DataTypes.BIGINT()))
    return t_env


def values(table):
    with table.execute().collect() as rows:
        return [tuple(r) for r in rows]


def test_lateral_table_in_the_from_list(t_env):
    got = values(t_env.sql_query("SELECT t.id, w.word, w.len FROM t, LATERAL TABLE(split(t.s)) AS w(word, len)"))
    assert got == [(1, "hello", 5), (1, "big", 3), (1, "world", 5), (3, "x", 1)]


def test_cross_join_and_join_on_a_condition(t_env):
    got = values(t_env.sql_query("SELECT id, word FROM t CROSS JOIN LATERAL TABLE(split(s)) AS T(word, len)"))
    assert got == [(1, "hello"), (1, "big"), (1, "world"), (3, "x")]
    got = values(t_env.sql_query("SELECT id, word FROM t JOIN LATERAL TABLE(split(s)) AS T(word, len) ON len > 3"))
    assert got == [(1, "hello"), (1, "world")]


def test_left_join_keeps_rows_without_results(t_env):
    got = values(t_env.sql_query("SELECT id, word, len FROM t LEFT JOIN LATERAL TABLE(split(s)) AS T(word, len) ON TRUE"))
    assert got == [(1, "hello", 5), (1, "big", 3), (1, "world", 5), (2, None, None), (3, "x", 1)]
    with pytest.raises(Exception, match="only supports the join condition ON TRUE"):
        t_env.sql_query("SELECT id FROM t LEFT JOIN LATERAL TABLE(split(s)) AS T(word, len) ON len > 3")


def test_single_column_results_and_default_names(t_env):
    table = t_env.sql_query("SELECT * FROM t, LATERAL TABLE(rep(id))")
    assert table.get_schema().get_field_names() == ["id", "s", "f0"]
    assert values(table) == [(1, "hello big world", 0), (2, None, 0), (2, None, 1), (3, "x", 0), (3, "x", 1), (3, "x", 2)]


def test_table_api_join_lateral(t_env):
    t = t_env.from_path("t")
    got = values(t.join_lateral(split(col("s")).alias("word", "len")).select(col("id"), col("word")))
    assert got == [(1, "hello"), (1, "big"), (1, "world"), (3, "x")]
    got = values(t.left_outer_join_lateral(split(col("s")).alias("word", "len")).select(col("id"), col("len")))
    assert got == [(1, 5), (1, 3), (1, 5), (2, None), (3, 1)]


def test_updating_input_keeps_row_kinds(t_env):
    table = t_env.sql_query("SELECT c, r FROM (SELECT COUNT(*) AS c FROM t), LATERAL TABLE(rep(c)) AS R(r)")
    with table.execute().collect() as rows:
        got = [(r.get_row_kind().short_string(),) + tuple(r) for r in rows]
    assert got == [("+I", 1, 0), ("-U", 1, 0), ("+U", 2, 0), ("+U", 2, 1), ("-U", 2, 0), ("-U", 2, 1),
                   ("+U", 3, 0), ("+U", 3, 1), ("+U", 3, 2)]


def test_wrong_rows_and_exceptions_name_the_function(t_env):
    t_env.create_temporary_system_function("bad", udtf(lambda s: [(1, 2, 3)], result_types=["INT", "INT"]))
    with pytest.raises(TypeError, match=r"table function bad yielded \(1, 2, 3\) with 3 values; its result_types declare 2"):
        values(t_env.sql_query("SELECT * FROM t, LATERAL TABLE(bad(s)) AS B(a, b)"))

    def boom(s):
        raise KeyError("boom")
        yield s

    t_env.create_temporary_system_function("boom", udtf(boom, result_types=["STRING"]))
    with pytest.raises(KeyError, match="boom") as e:
        values(t_env.sql_query("SELECT * FROM t, LATERAL TABLE(boom(s))"))
    assert any(frame.name == "boom" for frame in e.traceback)
    with pytest.raises(Exception, match="No match found for table function 'nope'"):
        t_env.sql_query("SELECT * FROM t, LATERAL TABLE(nope(s))")
