"""Bad SQL gets a clear error naming what is wrong and where: syntax errors name line and column,
unknown tables, columns and functions come with the available names, type mismatches name the
expression (the statements are those of tests/data/pyflink_reference/sql/errors.json, whose
Flink messages say the same things in Java's words)."""

import os
from pathlib import Path

import pytest

from oxflow.table import (EnvironmentSettings, SqlParserException, TableEnvironment, TableException,
                          ValidationException)

INPUTS = Path(__file__).resolve().parent / "data" / "pyflink_reference" / "sql" / "inputs"


@pytest.fixture()
def t_env() -> TableEnvironment:
    t_env = TableEnvironment.create(EnvironmentSettings.in_streaming_mode())
    t_env.execute_sql("""
        CREATE TABLE orders (order_id BIGINT, user_id BIGINT, product_id BIGINT, amount DECIMAL(10, 2),
            order_time TIMESTAMP(3), WATERMARK FOR order_time AS order_time - INTERVAL '5' SECOND)
        WITH ('connector' = 'filesystem', 'path' = '%s', 'format' = 'csv')""" % (INPUTS / "orders.csv"))
    return t_env


@pytest.mark.parametrize("sql, where", [
    ("SELECT order_id FORM orders", "line 1, column 22"),
    ("SELECT order_id\nFROM orders WHERE )", "Line: 2, Column: 19"),
    ("SELECT * FROM orders WHERE", "Line: 1, Column: 27"),
    ("SELECT order_id, FROM orders", "found: FROM at Line: 1"),
])
def test_syntax_errors_name_line_and_column(t_env, sql, where):
    with pytest.raises(SqlParserException) as e:
        t_env.sql_query(sql)
    assert where in str(e.value)


def test_a_parse_error_is_a_table_exception(t_env):
    with pytest.raises(TableException):
        t_env.sql_query("SELECT * FROM orders WHERE")


def test_unknown_table_lists_the_tables(t_env):
    with pytest.raises(ValidationException) as e:
        t_env.sql_query("SELECT * FROM no_such_table")
    assert "'no_such_table' not found" in str(e.value)
    assert "orders" in str(e.value)


def test_unknown_column_lists_the_columns(t_env):
    with pytest.raises(ValidationException) as e:
        t_env.sql_query("SELECT no_such_column FROM orders")
    message = str(e.value)
    assert "Column 'no_such_column' not found" in message
    assert "order_id, user_id, product_id, amount, order_time" in message


def test_unknown_function_is_named(t_env):
    with pytest.raises(ValidationException) as e:
        t_env.sql_query("SELECT no_such_function(amount) FROM orders")
    assert "no_such_function" in str(e.value)


def test_column_not_grouped(t_env):
    with pytest.raises(ValidationException) as e:
        t_env.sql_query("SELECT user_id, amount FROM orders GROUP BY user_id")
    assert "Expression 'amount' is not being grouped" in str(e.value)


def test_timestamp_minus_timestamp_is_refused_as_in_flink(t_env):
    with pytest.raises(ValidationException) as e:
        t_env.sql_query("""SELECT MAX(order_time) - MIN(order_time) FROM orders
                           GROUP BY SESSION(order_time, INTERVAL '5' MINUTE), user_id""")
    assert "Cannot apply '-' to arguments of type '<TIMESTAMP(3)> - <TIMESTAMP(3)>'" in str(e.value)


def test_window_over_a_non_time_attribute(t_env):
    with pytest.raises(ValidationException) as e:
        t_env.sql_query("SELECT COUNT(*) FROM orders GROUP BY TUMBLE(CAST(order_time AS TIMESTAMP(3)) + INTERVAL '1' SECOND, INTERVAL '1' MINUTE)")
    assert "time attribute" in str(e.value)


def test_where_needs_a_condition(t_env):
    with pytest.raises(ValidationException) as e:
        t_env.sql_query("SELECT * FROM orders WHERE amount")
    assert "WHERE clause must be a condition" in str(e.value)


def test_a_malformed_csv_row_fails_with_file_and_line(t_env, tmp_path):
    bad = tmp_path / "bad.csv"
    bad.write_text("1,10\n2,x\n3,30\n")
    t_env.execute_sql("CREATE TABLE t (id BIGINT, v INT) WITH ('connector' = 'filesystem', 'path' = '%s', 'format' = 'csv')" % bad)
    with pytest.raises(Exception) as e:
        t_env.sql_query("SELECT * FROM t").execute().wait()
    message = str(e.value)
    assert str(bad) in message and "line 2" in message and "'2,x'" in message


def test_ignore_parse_errors_skips_and_counts(t_env, tmp_path):
    bad = tmp_path / "bad.csv"
    bad.write_text("1,10\n2,x\n3,30\n")
    t_env.execute_sql("""CREATE TABLE t (id BIGINT, v INT) WITH ('connector' = 'filesystem', 'path' = '%s',
                         'format' = 'csv', 'csv.ignore-parse-errors' = 'true')""" % bad)
    result = t_env.sql_query("SELECT * FROM t").execute()
    with result.collect() as rows:
        assert [tuple(r) for r in rows] == [(1, 10), (3, 30)]
    assert result._job.skipped_parse_errors() == 1


def test_an_aggregate_that_cannot_retract_over_an_updating_input_is_refused_before_it_runs(t_env):
    # The outer GROUP BY retracts each user's old total; SUM(DISTINCT) of a DECIMAL cannot take a
    # row back here yet (Flink can): refused when the job is built, naming the aggregate.
    table = t_env.sql_query("SELECT cnt, SUM(DISTINCT total) AS totals FROM "
                            "(SELECT user_id, COUNT(*) AS cnt, SUM(amount) AS total FROM orders GROUP BY user_id) GROUP BY cnt")
    with pytest.raises(TableException) as e:
        with table.execute().collect() as rows:
            list(rows)
    message = str(e.value)
    assert "over an updating input" in message and "SUM(DISTINCT" in message.upper(), message
