"""``Expression``, mirroring ``pyflink.table.expression``.

An expression is a small tree that renders to Flink SQL text with ``_to_sql()``: column
references are quoted with backticks, literals typed as Flink's ``lit`` types them, operators
parenthesized (``(`amount` * 2)``). The Table API composes these texts into SQL queries.
"""

from enum import Enum
from typing import Any, Dict, List, Optional, Sequence, Union

from ._sql_literals import _cast_type_sql, _interval_sql, _literal_sql, _millis_interval_sql
from .expression_enums import (JsonExistsOnError, JsonOnNull, JsonType, JsonValueOnEmptyOrError,
                               TimeIntervalUnit, TimePointUnit)
from .types import DataType, DataTypes, _quote_identifier, _to_data_type

__all__ = [
    "Expression", "TimeIntervalUnit", "TimePointUnit", "JsonType", "JsonExistsOnError",
    "JsonValueOnEmptyOrError", "JsonOnNull",
]


# --------------------------------------------------------------------------------------------
# Rendering helpers
# --------------------------------------------------------------------------------------------

class _RenderContext(object):
    """What a query offers to the expressions in it: group windows and over windows by alias."""

    def __init__(self, group_windows: Optional[Dict[str, Any]] = None,
                 over_windows: Optional[Dict[str, Any]] = None):
        self.group_windows = group_windows or {}
        self.over_windows = over_windows or {}


_NO_CONTEXT = _RenderContext()
def _expr(value: Any) -> "Expression":
    """``value`` as an expression: expressions unchanged, Python values as literals."""
    return value if isinstance(value, Expression) else _Literal(value)


def _render(value: Any, ctx: _RenderContext) -> str:
    return value._render(ctx) if isinstance(value, Expression) else _literal_sql(value)


def _unit_name(unit: Any) -> str:
    return unit.value if isinstance(unit, Enum) else str(unit).upper()


# --------------------------------------------------------------------------------------------
# Expression
# --------------------------------------------------------------------------------------------

def _operator(template: str, reverse: bool = False) -> Any:
    def op(self: "Expression", other: Any) -> "Expression":
        args = [_expr(other), self] if reverse else [self, _expr(other)]
        return _Template(template, args)
    return op


def _prop(sql_name: str, doc: str) -> property:
    def get(self: "Expression") -> "Expression":
        return _Call(sql_name, [self])
    get.__doc__ = doc
    return property(get)


def _fmt_prop(template: str, doc: str) -> property:
    def get(self: "Expression") -> "Expression":
        return _Template(template, [self])
    get.__doc__ = doc
    return property(get)


def _interval_prop(unit: str, multiplier: int = 1) -> property:
    def get(self: "Expression") -> "Expression":
        if isinstance(self, _Literal) and isinstance(self._value, int) \
                and not isinstance(self._value, bool) and self._data_type is None:
            n = self._value * multiplier
            text = _millis_interval_sql(n) if unit == "MILLI" else _interval_sql(n, unit)
            return _Raw(text, kind="interval")
        if unit == "MILLI":
            return _Template("({0} * INTERVAL '0.001' SECOND)", [self], kind="interval")
        factor = "" if multiplier == 1 else " * %d" % multiplier
        return _Template("({0}%s * INTERVAL '1' %s)" % (factor, unit), [self], kind="interval")
    get.__doc__ = "An interval of this many %s (e.g. ``lit(10).seconds``)." % (
        "milliseconds" if unit == "MILLI" else unit.lower() + "s")
    return property(get)


class Expression(object):
    """An expression of the Table API: a column reference, a literal or a function call.

    Build expressions with ``col``/``lit``/``call`` and combine them with operators and
    methods; ``_to_sql()`` renders the Flink SQL text.
    """

    _kind = None  # type: Optional[str]  # 'interval', 'rows' or 'special' for window bounds

    def _render(self, ctx: _RenderContext) -> str:
        raise NotImplementedError

    def _to_sql(self, ctx: Optional[_RenderContext] = None) -> str:
        """The Flink SQL text of this expression."""
        return self._render(ctx or _NO_CONTEXT)

    def __str__(self) -> str:
        try:
            return self._to_sql()
        except ValueError:
            return "<%s>" % type(self).__name__.lstrip("_")

    def __repr__(self) -> str:
        return "Expression(%s)" % self

    def __bool__(self) -> bool:
        raise TypeError("an Expression has no truth value: use & | ~ instead of and/or/not "
                        "and do not chain comparisons")

    __hash__ = object.__hash__

    def __getattr__(self, name: str) -> "Expression":
        if name.startswith("_"):
            raise AttributeError(name)
        return self.get(name)

    def __getitem__(self, index: Any) -> "Expression":
        return self.at(index)

    # ---- operators -------------------------------------------------------------------------

    __eq__ = _operator("({0} = {1})")  # type: ignore[assignment]
    __ne__ = _operator("({0} <> {1})")  # type: ignore[assignment]
    __lt__ = _operator("({0} < {1})")
    __le__ = _operator("({0} <= {1})")
    __gt__ = _operator("({0} > {1})")
    __ge__ = _operator("({0} >= {1})")
    __and__ = _operator("({0} AND {1})")
    __rand__ = _operator("({0} AND {1})", reverse=True)
    __or__ = _operator("({0} OR {1})")
    __ror__ = _operator("({0} OR {1})", reverse=True)
    __add__ = _operator("({0} + {1})")
    __radd__ = _operator("({0} + {1})", reverse=True)
    __sub__ = _operator("({0} - {1})")
    __rsub__ = _operator("({0} - {1})", reverse=True)
    __mul__ = _operator("({0} * {1})")
    __rmul__ = _operator("({0} * {1})", reverse=True)
    __truediv__ = _operator("({0} / {1})")
    __rtruediv__ = _operator("({0} / {1})", reverse=True)
    __mod__ = _operator("MOD({0}, {1})")
    __rmod__ = _operator("MOD({0}, {1})", reverse=True)
    __pow__ = _operator("POWER({0}, {1})")
    __rpow__ = _operator("POWER({0}, {1})", reverse=True)

    def __invert__(self) -> "Expression":
        # as in PyFlink, ``~e`` is ``e IS NOT TRUE`` (NULL becomes TRUE); ``not_(e)`` is NOT
        return _Template("({0} IS NOT TRUE)", [self])

    def __neg__(self) -> "Expression":
        return _Template("(- {0})", [self])

    def __abs__(self) -> "Expression":
        return _Call("ABS", [self])

    # ---- naming, ordering, types -----------------------------------------------------------

    def alias(self, name: str, *extra_names: str) -> "Expression":
        """Names this expression (``col('a').alias('b')``); several names for a table function."""
        return _Alias(self, [name] + list(extra_names))

    def cast(self, data_type: Union[DataType, str]) -> "Expression":
        """Casts to ``data_type``; a failing cast fails the job."""
        return _Template("CAST({0} AS %s)" % _esc(_cast_type_sql(data_type)), [self])

    def try_cast(self, data_type: Union[DataType, str]) -> "Expression":
        """Like ``cast``, but NULL when the cast fails."""
        return _Template("TRY_CAST({0} AS %s)" % _esc(_cast_type_sql(data_type)), [self])

    @property
    def asc(self) -> "Expression":
        """Ascending order, for ``order_by``."""
        return _Ordering(self, "ASC")

    @property
    def desc(self) -> "Expression":
        """Descending order, for ``order_by``."""
        return _Ordering(self, "DESC")

    # ---- comparison and logic --------------------------------------------------------------

    def between(self, lower_bound: Any, upper_bound: Any) -> "Expression":
        """True when between the bounds (inclusive)."""
        return _Template("({0} BETWEEN {1} AND {2})", [self, _expr(lower_bound),
                                                       _expr(upper_bound)])

    def not_between(self, lower_bound: Any, upper_bound: Any) -> "Expression":
        """True when not between the bounds (inclusive)."""
        return _Template("({0} NOT BETWEEN {1} AND {2})", [self, _expr(lower_bound),
                                                           _expr(upper_bound)])

    def then(self, if_true: Any, if_false: Any) -> "Expression":
        """``if_true`` when this condition holds, ``if_false`` otherwise."""
        return _Template("(CASE WHEN {0} THEN {1} ELSE {2} END)",
                         [self, _expr(if_true), _expr(if_false)])

    def if_null(self, null_replacement: Any) -> "Expression":
        """``null_replacement`` when this is NULL, this value otherwise."""
        return _Call("IFNULL", [self, _expr(null_replacement)])

    is_null = _fmt_prop("({0} IS NULL)", "True when NULL.")
    is_not_null = _fmt_prop("({0} IS NOT NULL)", "True when not NULL.")
    is_true = _fmt_prop("({0} IS TRUE)", "True when TRUE (not for NULL).")
    is_false = _fmt_prop("({0} IS FALSE)", "True when FALSE (not for NULL).")
    is_not_true = _fmt_prop("({0} IS NOT TRUE)", "True when FALSE or NULL.")
    is_not_false = _fmt_prop("({0} IS NOT FALSE)", "True when TRUE or NULL.")

    def in_(self, first_element_or_table: Any, *remaining_elements: Any) -> "Expression":
        """True when equal to one of the values, or contained in a one-column ``Table``."""
        sql = getattr(first_element_or_table, "_sql", None)
        if isinstance(sql, str) and hasattr(first_element_or_table, "_t_env"):
            if remaining_elements:
                raise ValueError("in_ takes either one Table or values")
            return _Template("({0} IN (%s))" % _esc(sql), [self])
        values = [_expr(v) for v in (first_element_or_table,) + remaining_elements]
        return _Template("({0} IN (%s))" % ", ".join("{%d}" % (i + 1) for i in range(len(values))),
                         [self] + values)

    # ---- aggregates ------------------------------------------------------------------------

    @property
    def distinct(self) -> "Expression":
        """Applies this aggregate to distinct values only (``COUNT(DISTINCT a)``)."""
        if not isinstance(self, _Call):
            raise TypeError("distinct applies to an aggregate call, e.g. col('a').count.distinct")
        return self._copy(distinct=True)

    sum = _prop("SUM", "Sum of the values; NULL when all are NULL.")
    min = _prop("MIN", "Minimum of the values.")
    max = _prop("MAX", "Maximum of the values.")
    count = _prop("COUNT", "Number of non-NULL values.")
    avg = _prop("AVG", "Average of the values.")
    first_value = _prop("FIRST_VALUE", "First value.")
    last_value = _prop("LAST_VALUE", "Last value.")
    stddev_pop = _prop("STDDEV_POP", "Population standard deviation.")
    stddev_samp = _prop("STDDEV_SAMP", "Sample standard deviation.")
    var_pop = _prop("VAR_POP", "Population variance.")
    var_samp = _prop("VAR_SAMP", "Sample variance.")
    collect = _prop("COLLECT", "Multiset of the values.")
    array_agg = _prop("ARRAY_AGG", "Array of the values.")

    @property
    def sum0(self) -> "Expression":
        """Sum of the values; 0 when all are NULL."""
        return _Call("SUM", [self], zero_if_null=True)

    def list_agg(self, separator: Optional[Any] = None) -> "Expression":
        """The values concatenated, separated by ``separator`` (',' by default)."""
        return _Call("LISTAGG", [self] + ([] if separator is None else [_expr(separator)]))

    def over(self, alias: Any) -> "Expression":
        """This aggregate over the over window named ``alias`` (``col('w')`` or ``'w'``)."""
        if not isinstance(self, _Call):
            raise TypeError("over applies to an aggregate call, e.g. col('a').sum.over(col('w'))")
        name = alias._name if isinstance(alias, _Column) else alias
        if not isinstance(name, str):
            raise TypeError("over expects a window alias such as col('w')")
        return self._copy(over=name)

    # ---- windows and time attributes -------------------------------------------------------

    @property
    def start(self) -> "Expression":
        """Start (inclusive) of the group window this alias names."""
        return _WindowProperty(self, "START")

    @property
    def end(self) -> "Expression":
        """End (exclusive) of the group window this alias names."""
        return _WindowProperty(self, "END")

    @property
    def rowtime(self) -> "Expression":
        """Rowtime attribute of a group window (or a field declared as rowtime)."""
        return _WindowProperty(self, "ROWTIME")

    @property
    def proctime(self) -> "Expression":
        """Proctime attribute of a group window (or a field declared as proctime)."""
        return _WindowProperty(self, "PROCTIME")

    year = years = _interval_prop("YEAR")
    quarter = quarters = _interval_prop("MONTH", 3)
    month = months = _interval_prop("MONTH")
    week = weeks = _interval_prop("DAY", 7)
    day = days = _interval_prop("DAY")
    hour = hours = _interval_prop("HOUR")
    minute = minutes = _interval_prop("MINUTE")
    second = seconds = _interval_prop("SECOND")
    milli = millis = _interval_prop("MILLI")

    # ---- math ------------------------------------------------------------------------------

    exp = _prop("EXP", "e raised to this power.")
    log10 = _prop("LOG10", "Base 10 logarithm.")
    log2 = _prop("LOG2", "Base 2 logarithm.")
    ln = _prop("LN", "Natural logarithm.")
    sqrt = _prop("SQRT", "Square root.")
    abs = _prop("ABS", "Absolute value.")
    sign = _prop("SIGN", "Signum.")
    sin = _prop("SIN", "Sine.")
    cos = _prop("COS", "Cosine.")
    tan = _prop("TAN", "Tangent.")
    cot = _prop("COT", "Cotangent.")
    asin = _prop("ASIN", "Arc sine.")
    acos = _prop("ACOS", "Arc cosine.")
    atan = _prop("ATAN", "Arc tangent.")
    sinh = _prop("SINH", "Hyperbolic sine.")
    cosh = _prop("COSH", "Hyperbolic cosine.")
    tanh = _prop("TANH", "Hyperbolic tangent.")
    degrees = _prop("DEGREES", "Radians to degrees.")
    radians = _prop("RADIANS", "Degrees to radians.")
    bin = _prop("BIN", "Binary string of an integer.")
    hex = _prop("HEX", "Hex string of an integer or a string.")
    unhex = _prop("UNHEX", "BINARY of a hex string.")

    def log(self, base: Optional[Any] = None) -> "Expression":
        """Natural logarithm, or the logarithm to ``base``."""
        return _Call("LN", [self]) if base is None else _Call("LOG", [_expr(base), self])

    def power(self, other: Any) -> "Expression":
        """This value raised to the power ``other``."""
        return _Call("POWER", [self, _expr(other)])

    def mod(self, other: Any) -> "Expression":
        """Remainder of the division by ``other``."""
        return _Call("MOD", [self, _expr(other)])

    def round(self, places: Any = 0) -> "Expression":
        """Rounded to ``places`` decimal places."""
        return _Call("ROUND", [self, _expr(places)])

    def truncate(self, n: Any = 0) -> "Expression":
        """Truncated to ``n`` decimal places."""
        return _Call("TRUNCATE", [self, _expr(n)])

    def floor(self, time_interval_unit: Optional[TimeIntervalUnit] = None) -> "Expression":
        """Largest integer not above this number, or a time point rounded down to a unit."""
        if time_interval_unit is None:
            return _Call("FLOOR", [self])
        return _Template("FLOOR({0} TO %s)" % _unit_name(time_interval_unit), [self])

    def ceil(self, time_interval_unit: Optional[TimeIntervalUnit] = None) -> "Expression":
        """Smallest integer not below this number, or a time point rounded up to a unit."""
        if time_interval_unit is None:
            return _Call("CEIL", [self])
        return _Template("CEIL({0} TO %s)" % _unit_name(time_interval_unit), [self])

    # ---- strings ---------------------------------------------------------------------------

    char_length = _prop("CHAR_LENGTH", "Number of characters.")
    upper_case = _prop("UPPER", "Upper case.")
    lower_case = _prop("LOWER", "Lower case.")
    init_cap = _prop("INITCAP", "First letter of each word in upper case.")
    from_base64 = _prop("FROM_BASE64", "Decoded from base64.")
    to_base64 = _prop("TO_BASE64", "Encoded as base64.")
    ascii = _prop("ASCII", "Numeric value of the first character.")
    chr = _prop("CHR", "Character of an ASCII code.")
    reverse = _prop("REVERSE", "Characters in reverse order.")
    md5 = _prop("MD5", "MD5 hash (32 hex digits).")
    sha1 = _prop("SHA1", "SHA-1 hash.")
    sha224 = _prop("SHA224", "SHA-224 hash.")
    sha256 = _prop("SHA256", "SHA-256 hash.")
    sha384 = _prop("SHA384", "SHA-384 hash.")
    sha512 = _prop("SHA512", "SHA-512 hash.")

    def sha2(self, hash_length: Any) -> "Expression":
        """SHA-2 hash of ``hash_length`` bits (224, 256, 384 or 512)."""
        return _Call("SHA2", [self, _expr(hash_length)])

    def concat(self, other: Any) -> "Expression":
        """This string followed by ``other``."""
        return _Call("CONCAT", [self, _expr(other)])

    def substring(self, begin_index: Any, length: Optional[Any] = None) -> "Expression":
        """Substring from ``begin_index`` (1-based), of ``length`` characters if given."""
        if length is None:
            return _Template("SUBSTRING({0} FROM {1})", [self, _expr(begin_index)])
        return _Template("SUBSTRING({0} FROM {1} FOR {2})",
                         [self, _expr(begin_index), _expr(length)])

    def substr(self, begin_index: Any, length: Optional[Any] = None) -> "Expression":
        """Substring from ``begin_index`` (1-based), of ``length`` characters if given."""
        rest = [] if length is None else [_expr(length)]
        return _Call("SUBSTR", [self, _expr(begin_index)] + rest)

    def _trim(self, where: str, character: Optional[Any]) -> "Expression":
        if character is None:
            return _Template("TRIM(%s FROM {0})" % where, [self])
        return _Template("TRIM(%s {1} FROM {0})" % where, [self, _expr(character)])

    def trim(self, character: Optional[Any] = None) -> "Expression":
        """Leading and trailing spaces (or ``character``) removed."""
        return self._trim("BOTH", character)

    def trim_leading(self, character: Optional[Any] = None) -> "Expression":
        """Leading spaces (or ``character``) removed."""
        return self._trim("LEADING", character)

    def trim_trailing(self, character: Optional[Any] = None) -> "Expression":
        """Trailing spaces (or ``character``) removed."""
        return self._trim("TRAILING", character)

    def ltrim(self, trim_str: Optional[Any] = None) -> "Expression":
        """Leading characters in ``trim_str`` (whitespace by default) removed."""
        return _Call("LTRIM", [self] + ([] if trim_str is None else [_expr(trim_str)]))

    def rtrim(self, trim_str: Optional[Any] = None) -> "Expression":
        """Trailing characters in ``trim_str`` (whitespace by default) removed."""
        return _Call("RTRIM", [self] + ([] if trim_str is None else [_expr(trim_str)]))

    def replace(self, search: Any = None, replacement: Any = None) -> "Expression":
        """Every occurrence of ``search`` replaced by ``replacement``."""
        return _Call("REPLACE", [self, _expr(search), _expr(replacement)])

    def like(self, pattern: Any = None, escape: Optional[Any] = None) -> "Expression":
        """True when matching the LIKE ``pattern``."""
        if escape is None:
            return _Template("({0} LIKE {1})", [self, _expr(pattern)])
        return _Template("({0} LIKE {1} ESCAPE {2})", [self, _expr(pattern), _expr(escape)])

    def similar(self, pattern: Any = None) -> "Expression":
        """True when matching the SQL regular expression ``pattern``."""
        return _Template("({0} SIMILAR TO {1})", [self, _expr(pattern)])

    def position(self, haystack: Any = None) -> "Expression":
        """1-based position of this string in ``haystack`` (0 when absent)."""
        return _Template("POSITION({0} IN {1})", [self, _expr(haystack)])

    def lpad(self, length: Any, pad: Any) -> "Expression":
        """Left-padded with ``pad`` to ``length`` characters."""
        return _Call("LPAD", [self, _expr(length), _expr(pad)])

    def rpad(self, length: Any, pad: Any) -> "Expression":
        """Right-padded with ``pad`` to ``length`` characters."""
        return _Call("RPAD", [self, _expr(length), _expr(pad)])

    def overlay(self, new_string: Any, starting: Any, length: Optional[Any] = None) -> "Expression":
        """``new_string`` placed over this string from ``starting`` (for ``length`` characters)."""
        if length is None:
            return _Template("OVERLAY({0} PLACING {1} FROM {2})",
                             [self, _expr(new_string), _expr(starting)])
        return _Template("OVERLAY({0} PLACING {1} FROM {2} FOR {3})",
                         [self, _expr(new_string), _expr(starting), _expr(length)])

    def regexp(self, regex: Any) -> "Expression":
        """True when a substring matches ``regex``."""
        return _Call("REGEXP", [self, _expr(regex)])

    def regexp_replace(self, regex: Any, replacement: Any) -> "Expression":
        """Every match of ``regex`` replaced by ``replacement``."""
        return _Call("REGEXP_REPLACE", [self, _expr(regex), _expr(replacement)])

    def regexp_extract(self, regex: Any, extract_index: Optional[Any] = None) -> "Expression":
        """The group ``extract_index`` of the first match of ``regex``."""
        rest = [] if extract_index is None else [_expr(extract_index)]
        return _Call("REGEXP_EXTRACT", [self, _expr(regex)] + rest)

    def left(self, length: Any) -> "Expression":
        """The leftmost ``length`` characters."""
        return _Call("LEFT", [self, _expr(length)])

    def right(self, length: Any) -> "Expression":
        """The rightmost ``length`` characters."""
        return _Call("RIGHT", [self, _expr(length)])

    def instr(self, s: Any) -> "Expression":
        """1-based position of the first occurrence of ``s``."""
        return _Call("INSTR", [self, _expr(s)])

    def locate(self, s: Any, pos: Optional[Any] = None) -> "Expression":
        """1-based position of this string in ``s`` (after ``pos``)."""
        return _Call("LOCATE", [self, _expr(s)] + ([] if pos is None else [_expr(pos)]))

    def parse_url(self, part_to_extract: Any, key: Optional[Any] = None) -> "Expression":
        """A part of this URL (``'HOST'``, ``'QUERY'``...)."""
        rest = [] if key is None else [_expr(key)]
        return _Call("PARSE_URL", [self, _expr(part_to_extract)] + rest)

    def repeat(self, n: Any) -> "Expression":
        """This string repeated ``n`` times."""
        return _Call("REPEAT", [self, _expr(n)])

    def split_index(self, separator: Any, index: Any) -> "Expression":
        """The ``index``-th (0-based) part of this string split by ``separator``."""
        return _Call("SPLIT_INDEX", [self, _expr(separator), _expr(index)])

    def split(self, delimiter: Any) -> "Expression":
        """Array of the parts of this string split by ``delimiter``."""
        return _Call("SPLIT", [self, _expr(delimiter)])

    def starts_with(self, start_expr: Any) -> "Expression":
        """True when starting with ``start_expr``."""
        return _Call("STARTSWITH", [self, _expr(start_expr)])

    def ends_with(self, end_expr: Any) -> "Expression":
        """True when ending with ``end_expr``."""
        return _Call("ENDSWITH", [self, _expr(end_expr)])

    # ---- temporal --------------------------------------------------------------------------

    to_date = _fmt_prop("CAST({0} AS DATE)", "This 'yyyy-MM-dd' string as a DATE.")
    to_time = _fmt_prop("CAST({0} AS TIME(0))", "This 'HH:mm:ss' string as a TIME.")
    to_timestamp = _fmt_prop("CAST({0} AS TIMESTAMP(3))",
                             "This 'yyyy-MM-dd HH:mm:ss[.SSS]' string as a TIMESTAMP(3).")

    def extract(self, time_interval_unit: TimeIntervalUnit) -> "Expression":
        """A part (``TimeIntervalUnit.DAY``...) of this time point or interval."""
        return _Template("EXTRACT(%s FROM {0})" % _unit_name(time_interval_unit), [self])

    # ---- composite types -------------------------------------------------------------------

    def get(self, name_or_index: Union[str, int]) -> "Expression":
        """The field ``name_or_index`` of this row."""
        if not isinstance(name_or_index, str):
            raise TypeError("fields are accessed by name in SQL, got %r" % (name_or_index,))
        return _Get(self, name_or_index)

    def at(self, index: Any) -> "Expression":
        """The element at ``index`` (1-based) of an array, or at a key of a map."""
        return _Template("{0}[{1}]", [self, _expr(index)])

    cardinality = _prop("CARDINALITY", "Number of elements of an array or a map.")
    element = _prop("ELEMENT", "The sole element of an array.")
    map_keys = _prop("MAP_KEYS", "Keys of a map as an array.")
    map_values = _prop("MAP_VALUES", "Values of a map as an array.")

    def array_contains(self, needle: Any) -> "Expression":
        """True when the array contains ``needle``."""
        return _Call("ARRAY_CONTAINS", [self, _expr(needle)])

    # ---- JSON ------------------------------------------------------------------------------

    def is_json(self, json_type: Optional[JsonType] = None) -> "Expression":
        """True when this string is valid JSON (of ``json_type`` if given)."""
        suffix = "" if json_type is None else " " + json_type.value
        return _Template("({0} IS JSON%s)" % suffix, [self])

    def json_exists(self, path: str, on_error: Optional[JsonExistsOnError] = None) -> "Expression":
        """True when this JSON string has a value at ``path``."""
        suffix = "" if on_error is None else " %s ON ERROR" % on_error.value
        return _Template("JSON_EXISTS({0}, {1}%s)" % suffix, [self, _expr(path)])

    def json_value(self, path: str, returning_type: DataType = DataTypes.STRING(),
                   on_empty: JsonValueOnEmptyOrError = JsonValueOnEmptyOrError.NULL,
                   default_on_empty: Any = None,
                   on_error: JsonValueOnEmptyOrError = JsonValueOnEmptyOrError.NULL,
                   default_on_error: Any = None) -> "Expression":
        """The scalar at ``path`` of this JSON string, as ``returning_type``."""
        args = [self, _expr(path)]
        text = "JSON_VALUE({0}, {1}"
        if _to_data_type(returning_type).nullable() != DataTypes.STRING():
            text += " RETURNING " + _esc(_cast_type_sql(returning_type))
        for behavior, default, what in ((on_empty, default_on_empty, "EMPTY"),
                                        (on_error, default_on_error, "ERROR")):
            if behavior == JsonValueOnEmptyOrError.DEFAULT:
                args.append(_expr(default))
                text += " DEFAULT {%d} ON %s" % (len(args) - 1, what)
            elif behavior != JsonValueOnEmptyOrError.NULL:
                text += " %s ON %s" % (behavior.value, what)
        return _Template(text + ")", args)



def _esc(text: str) -> str:
    """``text`` safe to embed in a ``_Template`` format string."""
    return text.replace("{", "{{").replace("}", "}}")


# --------------------------------------------------------------------------------------------
# Expression nodes
# --------------------------------------------------------------------------------------------

class _Column(Expression):
    """A column reference (``*`` for all columns)."""

    def __init__(self, name: str):
        self._name = name

    def _render(self, ctx: _RenderContext) -> str:
        if self._name == "*":
            return "*"
        if self._name in ctx.group_windows:
            raise ValueError("the window alias %r can only be used in group_by or with "
                             ".start/.end/.rowtime/.proctime" % self._name)
        return _quote_identifier(self._name)


class _Literal(Expression):
    """A literal value, optionally of an explicit data type."""

    def __init__(self, value: Any, data_type: Optional[DataType] = None):
        self._value = value
        self._data_type = data_type
        if isinstance(value, int) and not isinstance(value, bool) and data_type is None:
            self._kind = "rows"  # an integer literal may bound a rows over window

    def _render(self, ctx: _RenderContext) -> str:
        if self._data_type is None:
            return _literal_sql(self._value)
        if self._value is None:
            return "CAST(NULL AS %s)" % _cast_type_sql(self._data_type)
        return "CAST(%s AS %s)" % (_literal_sql(self._value), _cast_type_sql(self._data_type))


class _Raw(Expression):
    """SQL text produced by this package (interval literals, constants, ``call_sql``)."""

    def __init__(self, text: str, kind: Optional[str] = None, parenthesize: bool = False):
        self._text = text
        self._kind = kind
        self._parenthesize = parenthesize

    def _render(self, ctx: _RenderContext) -> str:
        return "(%s)" % self._text if self._parenthesize else self._text


class _Template(Expression):
    """SQL text with ``{i}`` placeholders for the rendered child expressions."""

    def __init__(self, template: str, args: Sequence[Any], kind: Optional[str] = None):
        self._template = template
        self._args = list(args)
        self._kind = kind

    def _render(self, ctx: _RenderContext) -> str:
        return self._template.format(*[_render(a, ctx) for a in self._args])


class _Call(Expression):
    """A function call ``NAME(args)``; may be DISTINCT and/or OVER a window (aggregates)."""

    def __init__(self, name: str, args: Sequence[Any], distinct: bool = False,
                 over: Optional[str] = None, zero_if_null: bool = False):
        self._fn = name
        self._args = list(args)
        self._distinct = distinct
        self._over = over
        self._zero_if_null = zero_if_null

    def _copy(self, **changes: Any) -> "_Call":
        attrs = dict(distinct=self._distinct, over=self._over, zero_if_null=self._zero_if_null)
        attrs.update(changes)
        return _Call(self._fn, self._args, **attrs)

    def _render(self, ctx: _RenderContext) -> str:
        args = ", ".join(_render(a, ctx) for a in self._args)
        text = "%s(%s%s)" % (self._fn, "DISTINCT " if self._distinct else "", args)
        if self._over is not None:
            window = ctx.over_windows.get(self._over)
            if window is None:
                raise ValueError("over window %r is not defined: declare it with "
                                 "Table.over_window(Over...alias(%r))" % (self._over, self._over))
            text += " OVER (%s)" % window._spec_sql(ctx)
        return "COALESCE(%s, 0)" % text if self._zero_if_null else text


class _Alias(Expression):
    """An expression with a name (``expr AS `name```)."""

    def __init__(self, expr: Expression, names: List[str]):
        self._expr = expr
        self._names = names

    def _render(self, ctx: _RenderContext) -> str:
        if len(self._names) != 1:
            raise ValueError("only table functions take several aliases, got %r" % (self._names,))
        return "%s AS %s" % (self._expr._render(ctx), _quote_identifier(self._names[0]))


class _Ordering(Expression):
    """An order_by key with its direction."""

    def __init__(self, expr: Expression, direction: str):
        self._expr = expr
        self._direction = direction

    def _render(self, ctx: _RenderContext) -> str:
        return "%s %s" % (self._expr._render(ctx), self._direction)


class _Get(Expression):
    """Field access on a row value."""

    def __init__(self, expr: Expression, field: str):
        self._expr = expr
        self._field = field

    def _render(self, ctx: _RenderContext) -> str:
        base = self._expr._render(ctx)
        if not isinstance(self._expr, (_Column, _Get)):
            base = "(%s)" % base
        return "%s.%s" % (base, _quote_identifier(self._field))


class _WindowProperty(Expression):
    """``w.start``/``w.end``/``w.rowtime``/``w.proctime`` of a group window alias."""

    def __init__(self, expr: Expression, prop: str):
        self._expr = expr
        self._prop = prop

    def _render(self, ctx: _RenderContext) -> str:
        name = self._expr._name if isinstance(self._expr, _Column) else None
        window = ctx.group_windows.get(name) if name is not None else None
        if window is None:
            raise ValueError("%s is only available on the alias of a group window, in "
                             "Table.window(...).group_by(...).select(...)" % self._prop.lower())
        return window._property_sql(self._prop, ctx)


def _column_name(expr: Any) -> Optional[str]:
    """The name a select item gets by itself: its alias or its column name (else None)."""
    if isinstance(expr, str):
        return expr
    if isinstance(expr, _Alias) and len(expr._names) == 1:
        return expr._names[0]
    if isinstance(expr, _Column):
        return expr._name
    return None
