"""Table API expressions, windows and table compositions render the expected Flink SQL."""

import datetime
import decimal
import re
from typing import Any, Dict, List

import pytest

from oxflow.table.expression import JsonValueOnEmptyOrError, TimeIntervalUnit, TimePointUnit
from oxflow.table.expressions import (CURRENT_RANGE, CURRENT_ROW, UNBOUNDED_RANGE,
                                      UNBOUNDED_ROW, and_, array, call, call_sql, coalesce, col,
                                      concat, concat_ws, current_timestamp, if_then_else, lit,
                                      log, map_, not_, null_of, or_, range_, row, row_interval,
                                      timestamp_diff, to_timestamp, uuid, with_columns,
                                      without_columns)
from oxflow.table.table import Table
from oxflow.table.types import DataTypes, FormatDescriptor, Schema, TableDescriptor
from oxflow.table.window import Over, Session, Slide, Tumble


def sql(expr: Any) -> str:
    return expr._to_sql()


def normalized(text: str) -> str:
    """Renumbers the derived-table aliases _tN in order of appearance (_t1, _t2, ...)."""
    seen = {}  # type: Dict[str, str]

    def repl(m: Any) -> str:
        return seen.setdefault(m.group(0), "_t%d" % (len(seen) + 1))
    return re.sub(r"\b_t\d+\b", repl, text)


class FakeEnv(object):
    """Records what the Table API hands to the TableEnvironment."""

    def __init__(self) -> None:
        self.columns = {}  # type: Dict[str, List[str]]
        self.queries = []  # type: List[str]
        self.statements = []  # type: List[str]
        self.executed = []  # type: List[str]

    def table(self, name: str, columns: List[str]) -> Table:
        query = "SELECT * FROM `%s`" % name
        self.columns[query] = columns
        return Table(query, self)

    def sql_query(self, query: str) -> Table:
        self.queries.append(query)
        return Table(query, self)

    def execute_sql(self, stmt: str) -> str:
        self.statements.append(stmt)
        return "table-result"

    def _execute_query(self, query: str) -> str:
        self.executed.append(query)
        return "query-result"

    def _column_names(self, query: str) -> List[str]:
        return self.columns[query]

    def _resolved_schema(self, query: str) -> str:
        return "(\n  `a` BIGINT\n)"

    def _to_pandas(self, query: str) -> Any:
        return ("pandas", query)

    def explain_sql(self, query: str, *details: Any) -> str:
        return "plan of " + query


@pytest.fixture
def env() -> FakeEnv:
    return FakeEnv()


@pytest.fixture
def orders(env: FakeEnv) -> Table:
    return env.table("orders", ["id", "user", "amount", "ts"])


def q(table: Table) -> str:
    return normalized(table._sql)


ORDERS = "SELECT * FROM `orders`"

# ---- literals ----------------------------------------------------------------------------------


@pytest.mark.parametrize("value, expected", [
    (1, "1"),
    (-7, "-7"),
    (2147483647, "2147483647"),
    (2147483648, "CAST(2147483648 AS BIGINT)"),
    (-2147483649, "CAST(-2147483649 AS BIGINT)"),
    (1.5, "CAST(1.5 AS DOUBLE)"),
    (float("nan"), "CAST('NaN' AS DOUBLE)"),
    (float("-inf"), "CAST('-Infinity' AS DOUBLE)"),
    (decimal.Decimal("12.50"), "12.50"),
    (decimal.Decimal("100"), "CAST(100 AS DECIMAL(3, 0))"),
    (True, "TRUE"),
    (False, "FALSE"),
    (None, "NULL"),
    ("abc", "'abc'"),
    ("it's", "'it''s'"),
    (b"\x01\xab", "X'01AB'"),
    (datetime.date(2024, 3, 5), "DATE '2024-03-05'"),
    (datetime.time(12, 30, 1), "TIME '12:30:01'"),
    (datetime.time(12, 30, 1, 500), "TIME '12:30:01.000500'"),
    (datetime.datetime(2024, 3, 5, 1, 2, 3), "TIMESTAMP '2024-03-05 01:02:03'"),
    (datetime.datetime(2024, 3, 5, 1, 2, 3, 123000), "TIMESTAMP '2024-03-05 01:02:03.123000'"),
    (datetime.datetime(1970, 1, 1, 0, 0, 1, tzinfo=datetime.timezone.utc),
     "TO_TIMESTAMP_LTZ(1000, 3)"),
    (datetime.timedelta(minutes=5), "INTERVAL '5' MINUTE"),
    (datetime.timedelta(milliseconds=1500), "INTERVAL '1.500' SECOND"),
    ([1, 2, 3], "ARRAY[1, 2, 3]"),
    ({"a": 1}, "MAP['a', 1]"),
])
def test_literals(value: Any, expected: str) -> None:
    assert sql(lit(value)) == expected


def test_typed_literals() -> None:
    assert sql(lit(1, DataTypes.BIGINT())) == "CAST(1 AS BIGINT)"
    assert sql(lit("2024-01-01", DataTypes.DATE())) == "CAST('2024-01-01' AS DATE)"
    assert sql(lit(None, DataTypes.STRING())) == "CAST(NULL AS STRING)"
    assert sql(lit(1, DataTypes.INT().not_null())) == "CAST(1 AS INT)"
    assert sql(null_of(DataTypes.DECIMAL(10, 2))) == "CAST(NULL AS DECIMAL(10, 2))"


def test_row_literal() -> None:
    from oxflow.common.types import Row
    assert sql(lit(Row(1, "a"))) == "ROW(1, 'a')"


def test_empty_collection_literal_needs_a_type() -> None:
    with pytest.raises(ValueError):
        sql(lit([]))


# ---- operators ---------------------------------------------------------------------------------


def test_column_references_are_quoted() -> None:
    assert sql(col("amount")) == "`amount`"
    assert sql(col("we`ird")) == "`we``ird`"
    assert sql(col("*")) == "*"


@pytest.mark.parametrize("expr, expected", [
    (col("a") + 1, "(`a` + 1)"),
    (col("a") - col("b"), "(`a` - `b`)"),
    (col("amount") * 2, "(`amount` * 2)"),
    (col("a") / 2, "(`a` / 2)"),
    (col("a") % 3, "MOD(`a`, 3)"),
    (col("a") ** 2, "POWER(`a`, 2)"),
    (1 + col("a"), "(1 + `a`)"),
    (10 - col("a"), "(10 - `a`)"),
    (2 * col("a"), "(2 * `a`)"),
    (1 / col("a"), "(1 / `a`)"),
    (-col("a"), "(- `a`)"),
    (-lit(-5), "(- -5)"),
    (col("a") == 1, "(`a` = 1)"),
    (col("a") != "x", "(`a` <> 'x')"),
    (col("a") < 1, "(`a` < 1)"),
    (col("a") <= 1, "(`a` <= 1)"),
    (col("a") > 1, "(`a` > 1)"),
    (col("a") >= 1, "(`a` >= 1)"),
    (1 < col("a"), "(`a` > 1)"),
    ((col("a") > 1) & (col("b") < 2), "((`a` > 1) AND (`b` < 2))"),
    ((col("a") > 1) | col("c"), "((`a` > 1) OR `c`)"),
    (~col("c"), "(`c` IS NOT TRUE)"),
    (not_(col("c")), "(NOT `c`)"),
    (and_(col("a"), col("b"), col("c")), "(`a` AND `b` AND `c`)"),
    (or_(col("a"), False), "(`a` OR FALSE)"),
    ((col("a") + 1) * (col("b") - 2), "((`a` + 1) * (`b` - 2))"),
    (abs(col("a")), "ABS(`a`)"),
])
def test_operators(expr: Any, expected: str) -> None:
    assert sql(expr) == expected


def test_expressions_have_no_truth_value() -> None:
    with pytest.raises(TypeError):
        bool(col("a") == 1)
    with pytest.raises(TypeError):
        1 < col("a") < 3


@pytest.mark.parametrize("expr, expected", [
    (col("a").alias("b"), "`a` AS `b`"),
    (col("a").cast(DataTypes.BIGINT()), "CAST(`a` AS BIGINT)"),
    (col("a").cast(DataTypes.DECIMAL(10, 2).not_null()), "CAST(`a` AS DECIMAL(10, 2))"),
    (col("a").cast("TIMESTAMP(3)"), "CAST(`a` AS TIMESTAMP(3))"),
    (col("a").try_cast(DataTypes.INT()), "TRY_CAST(`a` AS INT)"),
    (col("a").is_null, "(`a` IS NULL)"),
    (col("a").is_not_null, "(`a` IS NOT NULL)"),
    (col("a").is_true, "(`a` IS TRUE)"),
    (col("a").is_not_false, "(`a` IS NOT FALSE)"),
    (col("a").in_(1, 2, 3), "(`a` IN (1, 2, 3))"),
    (col("a").in_("x"), "(`a` IN ('x'))"),
    (col("a").between(1, 10), "(`a` BETWEEN 1 AND 10)"),
    (col("a").not_between(1, col("b")), "(`a` NOT BETWEEN 1 AND `b`)"),
    (col("s").like("a%"), "(`s` LIKE 'a%')"),
    (col("s").like("a!%", "!"), "(`s` LIKE 'a!%' ESCAPE '!')"),
    (col("s").similar("A+"), "(`s` SIMILAR TO 'A+')"),
    (col("a").if_null(0), "IFNULL(`a`, 0)"),
    ((col("a") > 1).then("big", "small"), "(CASE WHEN (`a` > 1) THEN 'big' ELSE 'small' END)"),
    (if_then_else(col("c"), 1, 2), "(CASE WHEN `c` THEN 1 ELSE 2 END)"),
    (col("a").asc, "`a` ASC"),
    (col("a").desc, "`a` DESC"),
])
def test_methods(expr: Any, expected: str) -> None:
    assert sql(expr) == expected


@pytest.mark.parametrize("expr, expected", [
    (col("a").abs, "ABS(`a`)"),
    (col("a").floor(), "FLOOR(`a`)"),
    (col("a").ceil(), "CEIL(`a`)"),
    (col("ts").floor(TimeIntervalUnit.MINUTE), "FLOOR(`ts` TO MINUTE)"),
    (col("ts").ceil(TimeIntervalUnit.HOUR), "CEIL(`ts` TO HOUR)"),
    (col("a").round(2), "ROUND(`a`, 2)"),
    (col("a").sqrt, "SQRT(`a`)"),
    (col("a").exp, "EXP(`a`)"),
    (col("a").ln, "LN(`a`)"),
    (col("a").log10, "LOG10(`a`)"),
    (col("a").log(), "LN(`a`)"),
    (col("a").log(2), "LOG(2, `a`)"),
    (log(col("a"), 10), "LOG(10, `a`)"),
    (col("a").power(3), "POWER(`a`, 3)"),
    (col("a").truncate(1), "TRUNCATE(`a`, 1)"),
    (col("a").sign, "SIGN(`a`)"),
    (col("a").sin, "SIN(`a`)"),
    (col("s").upper_case, "UPPER(`s`)"),
    (col("s").lower_case, "LOWER(`s`)"),
    (col("s").init_cap, "INITCAP(`s`)"),
    (col("s").trim(), "TRIM(BOTH FROM `s`)"),
    (col("s").trim("x"), "TRIM(BOTH 'x' FROM `s`)"),
    (col("s").trim_leading(), "TRIM(LEADING FROM `s`)"),
    (col("s").trim_trailing("x"), "TRIM(TRAILING 'x' FROM `s`)"),
    (col("s").ltrim(), "LTRIM(`s`)"),
    (col("s").rtrim("xy"), "RTRIM(`s`, 'xy')"),
    (col("s").char_length, "CHAR_LENGTH(`s`)"),
    (col("s").substring(2), "SUBSTRING(`s` FROM 2)"),
    (col("s").substring(2, 3), "SUBSTRING(`s` FROM 2 FOR 3)"),
    (col("s").substr(2, 3), "SUBSTR(`s`, 2, 3)"),
    (col("s").replace(" ", "_"), "REPLACE(`s`, ' ', '_')"),
    (col("s").regexp_replace("[0-9]+", "#"), "REGEXP_REPLACE(`s`, '[0-9]+', '#')"),
    (col("s").regexp_extract("(a)(b)", 2), "REGEXP_EXTRACT(`s`, '(a)(b)', 2)"),
    (col("s").regexp_extract("a+"), "REGEXP_EXTRACT(`s`, 'a+')"),
    (col("s").split_index(",", 0), "SPLIT_INDEX(`s`, ',', 0)"),
    (col("s").to_base64, "TO_BASE64(`s`)"),
    (col("s").from_base64, "FROM_BASE64(`s`)"),
    (col("s").md5, "MD5(`s`)"),
    (col("s").sha256, "SHA256(`s`)"),
    (col("s").sha2(512), "SHA2(`s`, 512)"),
    (col("s").position("abc"), "POSITION(`s` IN 'abc')"),
    (col("s").lpad(5, "*"), "LPAD(`s`, 5, '*')"),
    (col("s").overlay("xx", 2, 1), "OVERLAY(`s` PLACING 'xx' FROM 2 FOR 1)"),
    (col("s").concat("!"), "CONCAT(`s`, '!')"),
    (col("s").repeat(3), "REPEAT(`s`, 3)"),
    (col("s").reverse, "REVERSE(`s`)"),
    (col("s").locate("a"), "LOCATE(`s`, 'a')"),
    (col("s").to_date, "CAST(`s` AS DATE)"),
    (col("s").to_timestamp, "CAST(`s` AS TIMESTAMP(3))"),
    (col("ts").extract(TimeIntervalUnit.DAY), "EXTRACT(DAY FROM `ts`)"),
    (col("j").json_value("$.a"), "JSON_VALUE(`j`, '$.a')"),
    (col("j").json_value("$.a", DataTypes.INT()), "JSON_VALUE(`j`, '$.a' RETURNING INT)"),
    (col("j").json_value("$.a", DataTypes.INT(), JsonValueOnEmptyOrError.DEFAULT, 0,
                         JsonValueOnEmptyOrError.ERROR),
     "JSON_VALUE(`j`, '$.a' RETURNING INT DEFAULT 0 ON EMPTY ERROR ON ERROR)"),
    (col("j").is_json(), "(`j` IS JSON)"),
    (col("arr").at(1), "`arr`[1]"),
    (col("m")["k"], "`m`['k']"),
    (col("arr").cardinality, "CARDINALITY(`arr`)"),
    (col("r").get("f"), "`r`.`f`"),
    (col("r").f.g, "`r`.`f`.`g`"),
    ((col("a") + 1).get("x"), "((`a` + 1)).`x`"),
])
def test_functions(expr: Any, expected: str) -> None:
    assert sql(expr) == expected


@pytest.mark.parametrize("expr, expected", [
    (col("a").sum, "SUM(`a`)"),
    (col("a").sum0, "COALESCE(SUM(`a`), 0)"),
    (col("a").min, "MIN(`a`)"),
    (col("a").max, "MAX(`a`)"),
    (col("a").count, "COUNT(`a`)"),
    (lit(1).count, "COUNT(1)"),
    (col("*").count, "COUNT(*)"),
    (col("a").avg, "AVG(`a`)"),
    (col("a").stddev_pop, "STDDEV_POP(`a`)"),
    (col("a").stddev_samp, "STDDEV_SAMP(`a`)"),
    (col("a").var_pop, "VAR_POP(`a`)"),
    (col("a").var_samp, "VAR_SAMP(`a`)"),
    (col("a").collect, "COLLECT(`a`)"),
    (col("a").first_value, "FIRST_VALUE(`a`)"),
    (col("a").last_value, "LAST_VALUE(`a`)"),
    (col("a").list_agg(";"), "LISTAGG(`a`, ';')"),
    (col("a").count.distinct, "COUNT(DISTINCT `a`)"),
    (col("a").sum.distinct.alias("d"), "SUM(DISTINCT `a`) AS `d`"),
    (col("a").sum0.distinct, "COALESCE(SUM(DISTINCT `a`), 0)"),
    (call("my_agg", col("a")).distinct, "my_agg(DISTINCT `a`)"),
])
def test_aggregates(expr: Any, expected: str) -> None:
    assert sql(expr) == expected


def test_distinct_needs_a_call() -> None:
    with pytest.raises(TypeError):
        col("a").distinct


@pytest.mark.parametrize("expr, expected", [
    (lit(10).seconds, "INTERVAL '10' SECOND"),
    (lit(1).second, "INTERVAL '1' SECOND"),
    (lit(5).minutes, "INTERVAL '5' MINUTE"),
    (lit(1).minute, "INTERVAL '1' MINUTE"),
    (lit(2).hours, "INTERVAL '2' HOUR"),
    (lit(1).hour, "INTERVAL '1' HOUR"),
    (lit(3).days, "INTERVAL '3' DAY"),
    (lit(1).day, "INTERVAL '1' DAY"),
    (lit(2).weeks, "INTERVAL '14' DAY"),
    (lit(6).months, "INTERVAL '6' MONTH"),
    (lit(1).quarter, "INTERVAL '3' MONTH"),
    (lit(1).years, "INTERVAL '1' YEAR"),
    (lit(500).millis, "INTERVAL '0.500' SECOND"),
    (lit(1).milli, "INTERVAL '0.001' SECOND"),
    (lit(2000).millis, "INTERVAL '2' SECOND"),
    (lit(120).seconds, "INTERVAL '120' SECOND(3)"),
    (lit(100).days, "INTERVAL '100' DAY(3)"),
    (col("n").seconds, "(`n` * INTERVAL '1' SECOND)"),
    (col("ts") - lit(5).seconds, "(`ts` - INTERVAL '5' SECOND)"),
    (col("ts") + lit(1).hours, "(`ts` + INTERVAL '1' HOUR)"),
])
def test_time_intervals(expr: Any, expected: str) -> None:
    assert sql(expr) == expected


@pytest.mark.parametrize("expr, expected", [
    (call("my_udf", col("a"), 1), "my_udf(`a`, 1)"),
    (call("cat.db.f", col("a")), "cat.db.f(`a`)"),
    (call("weird-name", col("a")), "`weird-name`(`a`)"),
    (call_sql("UPPER(name) || '!'"), "(UPPER(name) || '!')"),
    (row(1, col("a")), "ROW(1, `a`)"),
    (array(1, 2), "ARRAY[1, 2]"),
    (map_("a", 1, "b", 2), "MAP['a', 1, 'b', 2]"),
    (coalesce(col("a"), col("b"), 0), "COALESCE(`a`, `b`, 0)"),
    (concat(col("a"), "-", col("b")), "CONCAT(`a`, '-', `b`)"),
    (concat_ws("-", col("a"), col("b")), "CONCAT_WS('-', `a`, `b`)"),
    (current_timestamp(), "CURRENT_TIMESTAMP"),
    (to_timestamp(col("s"), "yyyy-MM-dd"), "TO_TIMESTAMP(`s`, 'yyyy-MM-dd')"),
    (uuid(), "UUID()"),
    (timestamp_diff(TimePointUnit.DAY, col("a"), col("b")), "TIMESTAMPDIFF(DAY, `a`, `b`)"),
])
def test_expression_functions(expr: Any, expected: str) -> None:
    assert sql(expr) == expected


def test_call_with_a_function_object() -> None:
    class Udf(object):
        def _sql_function_name(self) -> str:
            return "plus_one"
    assert sql(call(Udf(), col("a"))) == "plus_one(`a`)"
    with pytest.raises(TypeError):
        call(object(), col("a"))


def test_str_of_an_expression_is_its_sql() -> None:
    assert str(col("a") + 1) == "(`a` + 1)"
    assert str(col("w").start) == "<WindowProperty>"  # no error outside a window


# ---- windows -----------------------------------------------------------------------------------


def test_group_window_sql() -> None:
    ctx_free = Tumble.over(lit(1).minutes).on(col("ts")).alias("w")
    assert str(ctx_free) == "TUMBLE(`ts`, INTERVAL '1' MINUTE) AS w"
    slide = Slide.over(lit(10).minutes).every(lit(5).minutes).on("ts").alias("w")
    assert str(slide) == "HOP(`ts`, INTERVAL '5' MINUTE, INTERVAL '10' MINUTE) AS w"
    session = Session.with_gap(lit(30).seconds).on(col("pt")).alias(col("s"))
    assert str(session) == "SESSION(`pt`, INTERVAL '30' SECOND) AS s"


def test_count_windows_are_rejected() -> None:
    with pytest.raises(ValueError):
        Tumble.over(row_interval(10))
    with pytest.raises(ValueError):
        Slide.over(lit(10).minutes).every(row_interval(2))


@pytest.mark.parametrize("window, expected", [
    (Over.partition_by(col("a")).order_by(col("ts")).preceding(row_interval(2)).alias("w"),
     "PARTITION BY `a` ORDER BY `ts` ROWS BETWEEN 2 PRECEDING AND CURRENT ROW"),
    (Over.partition_by(col("a"), col("b")).order_by(col("ts")).preceding(lit(1).hours)
     .alias("w"),
     "PARTITION BY `a`, `b` ORDER BY `ts` RANGE BETWEEN INTERVAL '1' HOUR PRECEDING "
     "AND CURRENT ROW"),
    (Over.order_by(col("ts")).preceding(UNBOUNDED_ROW).alias("w"),
     "ORDER BY `ts` ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW"),
    (Over.order_by(col("ts")).preceding(UNBOUNDED_RANGE).following(CURRENT_RANGE).alias("w"),
     "ORDER BY `ts` RANGE BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW"),
    (Over.order_by(col("ts")).alias("w"),
     "ORDER BY `ts` RANGE BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW"),
    (Over.partition_by("a").order_by("ts").preceding(row_interval(5)).following(CURRENT_ROW)
     .alias("w"),
     "PARTITION BY `a` ORDER BY `ts` ROWS BETWEEN 5 PRECEDING AND CURRENT ROW"),
])
def test_over_window_spec(window: Any, expected: str) -> None:
    from oxflow.table.expression import _RenderContext
    assert window._spec_sql(_RenderContext()) == expected


def test_over_window_bounds_must_agree() -> None:
    with pytest.raises(ValueError):
        Over.order_by(col("ts")).preceding(row_interval(2)).following(lit(1).hours).alias("w")


# ---- tables ------------------------------------------------------------------------------------


def test_select(orders: Table, env: FakeEnv) -> None:
    t = orders.select(col("id"), (col("amount") * 2).alias("double"), "user")
    assert q(t) == ("SELECT `id`, (`amount` * 2) AS `double`, `user` FROM (%s) AS _t1" % ORDERS)
    assert env.queries == [t._sql]
    assert q(orders.select("*")) == "SELECT * FROM (%s) AS _t1" % ORDERS
    assert q(orders.select(col("*"))) == "SELECT * FROM (%s) AS _t1" % ORDERS


def test_each_composition_gets_a_fresh_alias(orders: Table) -> None:
    t = orders.select(col("id")).select(col("id"))
    aliases = re.findall(r"\b_t\d+\b", t._sql)
    assert len(set(aliases)) == 2
    assert q(t) == "SELECT `id` FROM (SELECT `id` FROM (%s) AS _t1) AS _t2" % ORDERS


def test_filter_and_where(orders: Table) -> None:
    expected = "SELECT * FROM (%s) AS _t1 WHERE (`amount` > 10)" % ORDERS
    assert q(orders.filter(col("amount") > 10)) == expected
    assert q(orders.where(col("amount") > 10)) == expected


def test_select_then_filter_nests(orders: Table) -> None:
    t = orders.select(col("id"), col("amount")).filter(col("amount").is_not_null)
    assert q(t) == ("SELECT * FROM (SELECT `id`, `amount` FROM (%s) AS _t1) AS _t2 "
                    "WHERE (`amount` IS NOT NULL)" % ORDERS)


def test_alias(orders: Table) -> None:
    assert q(orders.alias("i", "u")) == (
        "SELECT `id` AS `i`, `user` AS `u`, `amount`, `ts` FROM (%s) AS _t1" % ORDERS)
    with pytest.raises(ValueError):
        orders.alias("a", "b", "c", "d", "e")


def test_distinct(orders: Table) -> None:
    assert q(orders.distinct()) == "SELECT DISTINCT * FROM (%s) AS _t1" % ORDERS


def test_add_columns(orders: Table) -> None:
    assert q(orders.add_columns((col("amount") + 1).alias("a1"))) == (
        "SELECT *, (`amount` + 1) AS `a1` FROM (%s) AS _t1" % ORDERS)


def test_add_or_replace_columns(orders: Table) -> None:
    t = orders.add_or_replace_columns((col("amount") * 100).alias("amount"),
                                      lit(1).alias("one"), lit(2).alias("one"))
    assert q(t) == ("SELECT `id`, `user`, (`amount` * 100) AS `amount`, `ts`, 2 AS `one` "
                    "FROM (%s) AS _t1" % ORDERS)


def test_rename_columns(orders: Table) -> None:
    t = orders.rename_columns(col("user").alias("customer"), col("ts").alias("event_time"))
    assert q(t) == ("SELECT `id`, `user` AS `customer`, `amount`, `ts` AS `event_time` "
                    "FROM (%s) AS _t1" % ORDERS)
    with pytest.raises(ValueError):
        orders.rename_columns(col("nope").alias("x"))
    with pytest.raises(TypeError):
        orders.rename_columns(col("id"))


def test_drop_columns(orders: Table) -> None:
    assert q(orders.drop_columns(col("user"), "ts")) == (
        "SELECT `id`, `amount` FROM (%s) AS _t1" % ORDERS)
    with pytest.raises(ValueError):
        orders.drop_columns(col("nope"))
    with pytest.raises(ValueError):
        orders.drop_columns("id", "user", "amount", "ts")


def test_with_and_without_columns(orders: Table) -> None:
    assert q(orders.select(with_columns(range_(1, 2), "ts"))) == (
        "SELECT `id`, `user`, `ts` FROM (%s) AS _t1" % ORDERS)
    assert q(orders.select(without_columns(col("user"), range_("amount", "ts")))) == (
        "SELECT `id` FROM (%s) AS _t1" % ORDERS)


def test_table_attribute_is_a_column(orders: Table) -> None:
    assert sql(orders.amount) == "`amount`"
    with pytest.raises(AttributeError):
        orders.nope


def test_group_by(orders: Table) -> None:
    t = orders.group_by(col("user")).select(col("user"), col("amount").sum.alias("total"),
                                            col("id").count.distinct.alias("n"))
    assert q(t) == ("SELECT `user`, SUM(`amount`) AS `total`, COUNT(DISTINCT `id`) AS `n` "
                    "FROM (%s) AS _t1 GROUP BY `user`" % ORDERS)


def test_global_aggregate(orders: Table) -> None:
    assert q(orders.select(col("amount").max.alias("m"))) == (
        "SELECT MAX(`amount`) AS `m` FROM (%s) AS _t1" % ORDERS)


def test_tumbling_window_aggregate(orders: Table) -> None:
    w = Tumble.over(lit(1).minutes).on(col("ts")).alias("w")
    t = orders.window(w).group_by(col("w"), col("user")).select(
        col("user"), col("w").start.alias("window_start"), col("w").end.alias("window_end"),
        col("w").rowtime.alias("rt"), col("amount").sum.alias("total"))
    win = "`ts`, INTERVAL '1' MINUTE"
    assert q(t) == ("SELECT `user`, TUMBLE_START(%s) AS `window_start`, TUMBLE_END(%s) AS "
                    "`window_end`, TUMBLE_ROWTIME(%s) AS `rt`, SUM(`amount`) AS `total` "
                    "FROM (%s) AS _t1 GROUP BY TUMBLE(%s), `user`"
                    % (win, win, win, ORDERS, win))


def test_sliding_window_aggregate(orders: Table) -> None:
    w = Slide.over(lit(10).minutes).every(lit(5).minutes).on(col("ts")).alias("w")
    t = orders.window(w).group_by(col("w")).select(col("w").end.alias("e"), col("id").count)
    win = "`ts`, INTERVAL '5' MINUTE, INTERVAL '10' MINUTE"
    assert q(t) == ("SELECT HOP_END(%s) AS `e`, COUNT(`id`) FROM (%s) AS _t1 GROUP BY HOP(%s)"
                    % (win, ORDERS, win))


def test_session_window_aggregate(orders: Table) -> None:
    w = Session.with_gap(lit(30).seconds).on(col("ts")).alias("s")
    t = orders.window(w).group_by(col("user"), col("s")).select(
        col("user"), col("s").start, col("s").proctime)
    win = "`ts`, INTERVAL '30' SECOND"
    assert q(t) == ("SELECT `user`, SESSION_START(%s), SESSION_PROCTIME(%s) FROM (%s) AS _t1 "
                    "GROUP BY `user`, SESSION(%s)" % (win, win, ORDERS, win))


def test_window_alias_is_required_in_group_by(orders: Table) -> None:
    w = Tumble.over(lit(1).minutes).on(col("ts")).alias("w")
    with pytest.raises(ValueError):
        orders.window(w).group_by(col("user"))


def test_window_alias_alone_in_select_is_rejected(orders: Table) -> None:
    w = Tumble.over(lit(1).minutes).on(col("ts")).alias("w")
    with pytest.raises(ValueError):
        orders.window(w).group_by(col("w")).select(col("w"))


def test_window_property_outside_a_window_is_rejected(orders: Table) -> None:
    with pytest.raises(ValueError):
        orders.select(col("w").start)


def test_over_window_aggregate(orders: Table) -> None:
    w = Over.partition_by(col("user")).order_by(col("ts")).preceding(row_interval(2)).alias("w")
    t = orders.over_window(w).select(col("user"), col("amount").sum.over(col("w")).alias("s"),
                                     col("amount").avg.over("w"))
    spec = "PARTITION BY `user` ORDER BY `ts` ROWS BETWEEN 2 PRECEDING AND CURRENT ROW"
    assert q(t) == ("SELECT `user`, SUM(`amount`) OVER (%s) AS `s`, AVG(`amount`) OVER (%s) "
                    "FROM (%s) AS _t1" % (spec, spec, ORDERS))


def test_over_without_window_is_rejected(orders: Table) -> None:
    with pytest.raises(ValueError):
        orders.select(col("amount").sum.over(col("w")))


def test_range_over_window_aggregate(orders: Table) -> None:
    w = Over.order_by(col("ts")).preceding(lit(1).hours).alias("w")
    t = orders.over_window(w).select(col("amount").max.over(col("w")).alias("m"))
    assert q(t) == ("SELECT MAX(`amount`) OVER (ORDER BY `ts` RANGE BETWEEN INTERVAL '1' HOUR "
                    "PRECEDING AND CURRENT ROW) AS `m` FROM (%s) AS _t1" % ORDERS)


def test_set_operations(env: FakeEnv, orders: Table) -> None:
    other = env.table("more", ["id", "user", "amount", "ts"])
    more = "SELECT * FROM `more`"
    for method, op in [("union_all", "UNION ALL"), ("union", "UNION"),
                       ("minus_all", "EXCEPT ALL"), ("minus", "EXCEPT"),
                       ("intersect_all", "INTERSECT ALL"), ("intersect", "INTERSECT")]:
        t = getattr(orders, method)(other)
        assert q(t) == "SELECT * FROM (%s) AS _t1 %s SELECT * FROM (%s) AS _t2" % (ORDERS, op,
                                                                                   more)


def test_order_by_offset_fetch(orders: Table) -> None:
    assert q(orders.order_by(col("amount").desc, col("id"))) == (
        "SELECT * FROM (%s) AS _t1 ORDER BY `amount` DESC, `id`" % ORDERS)
    assert q(orders.order_by(col("amount").asc).fetch(5)) == (
        "SELECT * FROM (%s) AS _t1 ORDER BY `amount` ASC LIMIT 5" % ORDERS)
    assert q(orders.order_by(col("amount")).offset(10).fetch(5)) == (
        "SELECT * FROM (%s) AS _t1 ORDER BY `amount` LIMIT 5 OFFSET 10" % ORDERS)
    assert q(orders.order_by(col("amount")).offset(3)) == (
        "SELECT * FROM (%s) AS _t1 ORDER BY `amount` OFFSET 3" % ORDERS)
    assert q(orders.limit(3)) == "SELECT * FROM (%s) AS _t1 LIMIT 3" % ORDERS
    assert q(orders.order_by("id").limit(3, 6)) == (
        "SELECT * FROM (%s) AS _t1 ORDER BY `id` LIMIT 3 OFFSET 6" % ORDERS)


def test_fetch_then_offset_is_rejected(orders: Table) -> None:
    with pytest.raises(ValueError):
        orders.order_by(col("id")).fetch(3).offset(1)
    with pytest.raises(ValueError):
        orders.order_by(col("id")).fetch(3).fetch(1)


def test_sorted_then_selected_wraps_the_limit(orders: Table) -> None:
    t = orders.order_by(col("id")).fetch(2).select(col("id"))
    assert q(t) == ("SELECT `id` FROM (SELECT * FROM (%s) AS _t1 ORDER BY `id` LIMIT 2) AS _t2"
                    % ORDERS)


def test_joins(env: FakeEnv, orders: Table) -> None:
    users = env.table("users", ["uid", "name"])
    u = "SELECT * FROM `users`"
    pred = col("user") == col("uid")
    assert q(orders.join(users, pred)) == (
        "SELECT * FROM (%s) AS _t1 INNER JOIN (%s) AS _t2 ON (`user` = `uid`)" % (ORDERS, u))
    assert q(orders.join(users)) == "SELECT * FROM (%s) AS _t1 CROSS JOIN (%s) AS _t2" % (
        ORDERS, u)
    assert q(orders.left_outer_join(users, pred)) == (
        "SELECT * FROM (%s) AS _t1 LEFT JOIN (%s) AS _t2 ON (`user` = `uid`)" % (ORDERS, u))
    assert q(orders.left_outer_join(users)) == (
        "SELECT * FROM (%s) AS _t1 LEFT JOIN (%s) AS _t2 ON TRUE" % (ORDERS, u))
    assert q(orders.right_outer_join(users, pred)) == (
        "SELECT * FROM (%s) AS _t1 RIGHT JOIN (%s) AS _t2 ON (`user` = `uid`)" % (ORDERS, u))
    assert q(orders.full_outer_join(users, pred)) == (
        "SELECT * FROM (%s) AS _t1 FULL JOIN (%s) AS _t2 ON (`user` = `uid`)" % (ORDERS, u))


def test_join_then_where(env: FakeEnv, orders: Table) -> None:
    users = env.table("users", ["uid", "name"])
    t = orders.join(users).where(col("user") == col("uid")).select(col("id"), col("name"))
    assert q(t) == ("SELECT `id`, `name` FROM (SELECT * FROM (SELECT * FROM (%s) AS _t1 CROSS "
                    "JOIN (SELECT * FROM `users`) AS _t2) AS _t3 WHERE (`user` = `uid`)) AS _t4"
                    % ORDERS)


def test_join_requires_the_same_environment(orders: Table) -> None:
    other = FakeEnv().table("users", ["uid"])
    with pytest.raises(ValueError):
        orders.join(other, col("user") == col("uid"))


def test_lateral_joins(orders: Table) -> None:
    t = orders.join_lateral(call("split", col("user")).alias("word", "len"))
    assert q(t) == ("SELECT * FROM (%s) AS _t1, LATERAL TABLE(split(`user`)) AS _t2(`word`, "
                    "`len`)" % ORDERS)
    t = orders.left_outer_join_lateral(call("split", col("user")).alias("word"))
    assert q(t) == ("SELECT * FROM (%s) AS _t1 LEFT JOIN LATERAL TABLE(split(`user`)) AS "
                    "_t2(`word`) ON TRUE" % ORDERS)


def test_in_subquery(env: FakeEnv, orders: Table) -> None:
    users = env.table("users", ["uid", "name"])
    t = orders.where(col("user").in_(users.select(col("uid"))))
    assert q(t) == ("SELECT * FROM (%s) AS _t1 WHERE (`user` IN (SELECT `uid` FROM "
                    "(SELECT * FROM `users`) AS _t2))" % ORDERS)


def test_execute_and_friends(env: FakeEnv, orders: Table, capsys: Any) -> None:
    t = orders.select(col("id"))
    assert t.execute() == "query-result"
    assert env.executed == [t._sql]
    assert t.explain() == "plan of " + t._sql
    assert t.to_pandas() == ("pandas", t._sql)
    assert t.get_schema() == "(\n  `a` BIGINT\n)"
    t.print_schema()
    assert capsys.readouterr().out == "(\n  `a` BIGINT\n)\n"


def test_execute_insert(env: FakeEnv, orders: Table) -> None:
    assert orders.execute_insert("sink") == "table-result"
    assert env.statements == ["INSERT INTO `sink` " + ORDERS]
    orders.execute_insert("cat.db.sink", overwrite=True)
    assert env.statements[-1] == "INSERT OVERWRITE `cat`.`db`.`sink` " + ORDERS


def test_execute_insert_into_a_descriptor(env: FakeEnv, orders: Table) -> None:
    descriptor = TableDescriptor.for_connector("print").schema(
        Schema.new_builder().column("id", DataTypes.BIGINT()).build()).build()
    orders.select(col("id")).execute_insert(descriptor)
    ddl, insert = env.statements
    name = re.match(r"CREATE TEMPORARY TABLE (`_oxflow_sink_\d+`)", ddl).group(1)
    assert ddl == "CREATE TEMPORARY TABLE %s (\n  `id` BIGINT\n)\nWITH (\n  'connector' = " \
                  "'print'\n)" % name
    assert insert.startswith("INSERT INTO %s SELECT `id` FROM" % name)


def test_execute_insert_uses_create_temporary_table_when_offered(orders: Table) -> None:
    env = orders._t_env
    created = []
    env.create_temporary_table = lambda path, d: created.append((path, d))
    descriptor = TableDescriptor.for_connector("blackhole").build()
    orders.execute_insert(descriptor)
    assert created[0][1] is descriptor
    assert env.statements == ["INSERT INTO `%s` %s" % (created[0][0], ORDERS)]


def test_format_descriptor_in_table_descriptor() -> None:
    d = TableDescriptor.for_connector("filesystem").format(
        FormatDescriptor.for_format("csv").option("field-delimiter", "|").build()).build()
    assert d.get_options() == {"connector": "filesystem", "format": "csv",
                               "csv.field-delimiter": "|"}
