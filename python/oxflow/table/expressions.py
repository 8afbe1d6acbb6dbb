"""Functions building Table API expressions, mirroring ``pyflink.table.expressions``.

``col('a')``, ``lit(1)``, ``call('my_udf', col('a'))``, ``call_sql('UPPER(a)')``... Each returns
an ``Expression``, which renders to Flink SQL text.
"""

from typing import Any, List, Optional, Union

from .expression import (Expression, JsonOnNull, TimePointUnit, _Call, _Column, _Literal, _Raw,
                         _Template, _cast_type_sql, _expr, _unit_name)
from .types import DataType, _quote_identifier

__all__ = [
    "col", "lit", "range_", "and_", "or_", "not_", "current_database", "current_date",
    "current_time", "current_timestamp", "current_watermark", "local_time", "local_timestamp",
    "to_date", "to_timestamp", "to_timestamp_ltz", "temporal_overlaps", "date_format",
    "timestamp_diff", "convert_tz", "from_unixtime", "unix_timestamp", "array", "row", "map_",
    "map_from_arrays", "row_interval", "pi", "e", "rand", "rand_integer", "atan2", "negative",
    "concat", "concat_ws", "uuid", "null_of", "log", "source_watermark", "if_then_else",
    "coalesce", "greatest", "least", "with_columns", "without_columns", "json_string",
    "json_object", "json_array", "call", "call_sql",
    "UNBOUNDED_ROW", "UNBOUNDED_RANGE", "CURRENT_ROW", "CURRENT_RANGE",
]


def col(name: str) -> Expression:
    """A reference to the column ``name`` (``col('*')`` selects all columns)."""
    if not isinstance(name, str):
        raise TypeError("col expects a column name, got %r" % (name,))
    return _Column(name)


def lit(v: Any, data_type: Optional[DataType] = None) -> Expression:
    """A literal value, typed as Flink types it or cast to ``data_type``."""
    if isinstance(v, Expression):
        return v if data_type is None else v.cast(data_type)
    return _Literal(v, data_type)


class _ColumnRange(Expression):
    """``range_(start, end)``: the columns from ``start`` to ``end`` (1-based indices or names)."""

    def __init__(self, start: Union[int, str], end: Union[int, str]):
        self._start = start
        self._end = end

    def _render(self, ctx: Any) -> str:
        raise ValueError("range_ can only be used inside with_columns/without_columns")


class _ColumnSelection(Expression):
    """``with_columns(...)``/``without_columns(...)``, expanded by the Table against its columns."""

    def __init__(self, keep: bool, items: List[Any]):
        self._keep = keep
        self._items = items

    def _select(self, names: List[str]) -> List[str]:
        chosen = []  # type: List[str]
        for item in self._items:
            if isinstance(item, _Column):
                item = item._name
            if isinstance(item, _ColumnRange):
                lo, hi = (_position(item._start, names), _position(item._end, names))
                chosen.extend(names[lo:hi + 1])
            elif isinstance(item, str) and item == "*":
                chosen.extend(names)
            else:
                chosen.append(names[_position(item, names)])
        if self._keep:
            return chosen
        return [n for n in names if n not in chosen]

    def _render(self, ctx: Any) -> str:
        raise ValueError("with_columns/without_columns can only be used in a Table's select")


def _position(item: Union[int, str], names: List[str]) -> int:
    if isinstance(item, _Literal):
        item = item._value
    if isinstance(item, bool) or not isinstance(item, (int, str)):
        raise TypeError("a column is selected by name or 1-based index, got %r" % (item,))
    if isinstance(item, int):
        if not 1 <= item <= len(names):
            raise ValueError("column index %d out of range 1..%d" % (item, len(names)))
        return item - 1
    if item not in names:
        raise ValueError("no column named %r among %r" % (item, names))
    return names.index(item)


def range_(start: Union[int, str], end: Union[int, str]) -> Expression:
    """A range of columns (1-based indices or names, inclusive) for with_columns/without_columns."""
    return _ColumnRange(start, end)


def with_columns(head: Any, *tails: Any) -> Expression:
    """The columns named, indexed (1-based) or ranged (``range_``), in a Table's select."""
    return _ColumnSelection(True, [head] + list(tails))


def without_columns(head: Any, *tails: Any) -> Expression:
    """All columns except those named, indexed or ranged, in a Table's select."""
    return _ColumnSelection(False, [head] + list(tails))


def _join(op: str, predicates: List[Any]) -> Expression:
    placeholders = (" %s " % op).join("{%d}" % i for i in range(len(predicates)))
    return _Template("(%s)" % placeholders, [_expr(p) for p in predicates])


def and_(predicate0: Any, predicate1: Any, *predicates: Any) -> Expression:
    """True when all predicates are true."""
    return _join("AND", [predicate0, predicate1] + list(predicates))


def or_(predicate0: Any, predicate1: Any, *predicates: Any) -> Expression:
    """True when any predicate is true."""
    return _join("OR", [predicate0, predicate1] + list(predicates))


def not_(expression: Any) -> Expression:
    """The negation of a boolean expression (NULL stays NULL)."""
    return _Template("(NOT {0})", [_expr(expression)])


def current_database() -> Expression:
    """The current database."""
    return _Raw("CURRENT_DATABASE()")


def current_date() -> Expression:
    """The current date in the session time zone."""
    return _Raw("CURRENT_DATE")


def current_time() -> Expression:
    """The current time in the session time zone."""
    return _Raw("CURRENT_TIME")


def current_timestamp() -> Expression:
    """The current timestamp (TIMESTAMP_LTZ)."""
    return _Raw("CURRENT_TIMESTAMP")


def current_watermark(rowtime_attribute: Any) -> Expression:
    """The current watermark of the rowtime attribute, or NULL."""
    return _Call("CURRENT_WATERMARK", [_expr(rowtime_attribute)])


def local_time() -> Expression:
    """The current local time."""
    return _Raw("LOCALTIME")


def local_timestamp() -> Expression:
    """The current local timestamp (TIMESTAMP)."""
    return _Raw("LOCALTIMESTAMP")


def to_date(date_str: Any, format: Optional[Any] = None) -> Expression:
    """A date string (``'yyyy-MM-dd'`` or ``format``) parsed to a DATE."""
    return _Call("TO_DATE", [_expr(date_str)] + ([] if format is None else [_expr(format)]))


def to_timestamp(timestamp_str: Any, format: Optional[Any] = None) -> Expression:
    """A timestamp string (``'yyyy-MM-dd HH:mm:ss'`` or ``format``) parsed to a TIMESTAMP."""
    rest = [] if format is None else [_expr(format)]
    return _Call("TO_TIMESTAMP", [_expr(timestamp_str)] + rest)


def to_timestamp_ltz(numeric_epoch_time: Any, precision: Any = 3) -> Expression:
    """Epoch seconds (precision 0) or milliseconds (precision 3) as a TIMESTAMP_LTZ."""
    return _Call("TO_TIMESTAMP_LTZ", [_expr(numeric_epoch_time), _expr(precision)])


def temporal_overlaps(left_time_point: Any, left_temporal: Any, right_time_point: Any,
                      right_temporal: Any) -> Expression:
    """True when the two time intervals overlap."""
    return _Template("(({0}, {1}) OVERLAPS ({2}, {3}))",
                     [_expr(left_time_point), _expr(left_temporal), _expr(right_time_point),
                      _expr(right_temporal)])


def date_format(timestamp: Any, format: Any) -> Expression:
    """A timestamp formatted with a Java date format string."""
    return _Call("DATE_FORMAT", [_expr(timestamp), _expr(format)])


def timestamp_diff(time_point_unit: TimePointUnit, time_point1: Any,
                   time_point2: Any) -> Expression:
    """The number of ``time_point_unit`` units between two time points."""
    return _Template("TIMESTAMPDIFF(%s, {0}, {1})" % _unit_name(time_point_unit),
                     [_expr(time_point1), _expr(time_point2)])


def convert_tz(date_str: Any, tz_from: Any, tz_to: Any) -> Expression:
    """A datetime string converted from time zone ``tz_from`` to ``tz_to``."""
    return _Call("CONVERT_TZ", [_expr(date_str), _expr(tz_from), _expr(tz_to)])


def from_unixtime(unixtime: Any, format: Optional[Any] = None) -> Expression:
    """Epoch seconds formatted (``'yyyy-MM-dd HH:mm:ss'`` by default)."""
    return _Call("FROM_UNIXTIME", [_expr(unixtime)] + ([] if format is None else [_expr(format)]))


def unix_timestamp(date_str: Optional[Any] = None, format: Optional[Any] = None) -> Expression:
    """The current epoch seconds, or those of a datetime string."""
    args = [] if date_str is None else [_expr(date_str)]
    if format is not None:
        args.append(_expr(format))
    return _Call("UNIX_TIMESTAMP", args)


def _values(template: str, values: List[Any]) -> Expression:
    placeholders = ", ".join("{%d}" % i for i in range(len(values)))
    return _Template(template % placeholders, [_expr(v) for v in values])


def array(head: Any, *tail: Any) -> Expression:
    """An array of the given values."""
    return _values("ARRAY[%s]", [head] + list(tail))


def row(head: Any, *tail: Any) -> Expression:
    """A row of the given values."""
    return _values("ROW(%s)", [head] + list(tail))


def map_(key: Any, value: Any, *tail: Any) -> Expression:
    """A map of the given key, value, key, value... pairs."""
    if len(tail) % 2:
        raise ValueError("map_ expects key/value pairs")
    return _values("MAP[%s]", [key, value] + list(tail))


def map_from_arrays(key: Any, value: Any) -> Expression:
    """A map from an array of keys and an array of values."""
    return _Call("MAP_FROM_ARRAYS", [_expr(key), _expr(value)])


class _RowInterval(Expression):
    def __init__(self, rows: int):
        self._rows = rows
        self._kind = "rows"

    def _render(self, ctx: Any) -> str:
        return str(self._rows)


def row_interval(rows: int) -> Expression:
    """An interval of ``rows`` rows (count windows, rows over windows)."""
    return _RowInterval(rows)


def pi() -> Expression:
    """The value of pi."""
    return _Raw("PI()")


def e() -> Expression:
    """The value of e."""
    return _Raw("E()")


def rand(seed: Optional[Any] = None) -> Expression:
    """A pseudorandom double in [0, 1)."""
    return _Call("RAND", [] if seed is None else [_expr(seed)])


def rand_integer(bound: Any, seed: Optional[Any] = None) -> Expression:
    """A pseudorandom integer in [0, bound)."""
    return _Call("RAND_INTEGER", ([] if seed is None else [_expr(seed)]) + [_expr(bound)])


def atan2(y: Any, x: Any) -> Expression:
    """The arc tangent of the coordinate (x, y)."""
    return _Call("ATAN2", [_expr(y), _expr(x)])


def negative(v: Any) -> Expression:
    """The negation of a numeric value."""
    return -_expr(v)


def concat(first: Any, *others: Any) -> Expression:
    """The strings concatenated (NULL if any is NULL)."""
    return _Call("CONCAT", [_expr(a) for a in (first,) + others])


def concat_ws(separator: Any, first: Any, *others: Any) -> Expression:
    """The strings concatenated with ``separator`` (NULLs skipped)."""
    return _Call("CONCAT_WS", [_expr(a) for a in (separator, first) + others])


def uuid() -> Expression:
    """A random UUID string."""
    return _Raw("UUID()")


def null_of(data_type: DataType) -> Expression:
    """A NULL of the given type."""
    return _Raw("CAST(NULL AS %s)" % _cast_type_sql(data_type))


def log(v: Any, base: Optional[Any] = None) -> Expression:
    """Natural logarithm of ``v``, or its logarithm to ``base``."""
    return _expr(v).log(base)


def source_watermark() -> Expression:
    """The watermark strategy of the source (in a Schema's watermark)."""
    return _Raw("SOURCE_WATERMARK()")


def if_then_else(condition: Any, if_true: Any, if_false: Any) -> Expression:
    """``if_true`` when ``condition`` holds, ``if_false`` otherwise."""
    return _expr(condition).then(if_true, if_false)


def coalesce(*args: Any) -> Expression:
    """The first non-NULL argument."""
    return _Call("COALESCE", [_expr(a) for a in args])


def greatest(*args: Any) -> Expression:
    """The greatest argument."""
    return _Call("GREATEST", [_expr(a) for a in args])


def least(*args: Any) -> Expression:
    """The least argument."""
    return _Call("LEAST", [_expr(a) for a in args])


def json_string(value: Any) -> Expression:
    """``value`` serialized as a JSON string."""
    return _Call("JSON_STRING", [_expr(value)])


def json_object(on_null: JsonOnNull = JsonOnNull.NULL, *args: Any) -> Expression:
    """A JSON object of key, value, key, value... pairs."""
    if len(args) % 2:
        raise ValueError("json_object expects key/value pairs")
    pairs = ", ".join("KEY {%d} VALUE {%d}" % (i, i + 1) for i in range(0, len(args), 2))
    sep = " " if pairs else ""
    return _Template("JSON_OBJECT(%s%s%s ON NULL)" % (pairs, sep, on_null.value),
                     [_expr(a) for a in args])


def json_array(on_null: JsonOnNull = JsonOnNull.ABSENT, *args: Any) -> Expression:
    """A JSON array of the values."""
    items = ", ".join("{%d}" % i for i in range(len(args)))
    sep = " " if items else ""
    return _Template("JSON_ARRAY(%s%s%s ON NULL)" % (items, sep, on_null.value),
                     [_expr(a) for a in args])


def _function_sql_name(f: Any) -> str:
    if isinstance(f, str):
        name = f
    else:
        getter = getattr(f, "_sql_function_name", None)
        if getter is None:
            raise TypeError("call expects a function name or a registered user-defined "
                            "function, got %r" % (f,))
        name = getter()
    parts = name.split(".")
    if all(p.replace("_", "a").isalnum() and not p[:1].isdigit() for p in parts):
        return name
    return ".".join(_quote_identifier(p) for p in parts)


def call(f: Any, *args: Any) -> Expression:
    """A call of a function by name (built-in or registered), or of a user-defined function
    object offering ``_sql_function_name()``."""
    return _Call(_function_sql_name(f), [_expr(a) for a in args])


def call_sql(sql_expression: str) -> Expression:
    """A SQL expression given as text, e.g. ``call_sql('UPPER(name)')``."""
    return _Raw(sql_expression, parenthesize=True)


class _WindowBound(Expression):
    def __init__(self, name: str, kind: str):
        self._bound = name
        self._kind = kind

    def _render(self, ctx: Any) -> str:
        raise ValueError("%s can only be used as an over window bound" % self._bound)


UNBOUNDED_ROW = _WindowBound("UNBOUNDED_ROW", "rows")  # type: Expression
UNBOUNDED_RANGE = _WindowBound("UNBOUNDED_RANGE", "interval")  # type: Expression
CURRENT_ROW = _WindowBound("CURRENT_ROW", "rows")  # type: Expression
CURRENT_RANGE = _WindowBound("CURRENT_RANGE", "interval")  # type: Expression
