"""Table data types, ``Schema`` and ``TableDescriptor``, mirroring ``pyflink.table.types``.

A ``DataType`` prints (``str()``/``to_sql()``) as the Flink SQL type string Flink itself
prints (``BIGINT NOT NULL``, ``DECIMAL(10, 2)``, ``ROW<`a` INT, `b` STRING>``), and
``_from_sql(text)`` parses such a string back. ``Schema._to_ddl_columns()`` and
``TableDescriptor._to_ddl(name)`` render the column list and the full ``CREATE TABLE``
statement the Table API hands to the SQL engine.
"""

import re
from enum import Enum
from typing import Any, List, Optional, Sequence, Tuple, Union

__all__ = [
    "DataType", "AtomicType", "NullType", "BooleanType", "NumericType", "IntegralType",
    "FractionalType", "TinyIntType", "SmallIntType", "IntType", "BigIntType", "FloatType",
    "DoubleType", "DecimalType", "CharType", "VarCharType", "BinaryType", "VarBinaryType",
    "DateType", "TimeType", "TimestampType", "LocalZonedTimestampType", "ZonedTimestampType",
    "DayTimeIntervalType", "YearMonthIntervalType", "ArrayType", "MapType", "MultisetType",
    "RowField", "RowType", "Resolution", "DataTypes", "Schema", "TableDescriptor",
    "FormatDescriptor",
]

_MAX_LENGTH = 0x7fffffff


def _quote_identifier(name: str) -> str:
    """``name`` as a Flink SQL identifier in backticks (a backtick inside doubles)."""
    return "`%s`" % str(name).replace("`", "``")


def _quote_string(text: str) -> str:
    """``text`` as a Flink SQL string literal (a quote inside doubles)."""
    return "'%s'" % str(text).replace("'", "''")


_PATH_PART = re.compile(r"\s*(?:`((?:[^`]|``)*)`|([^.`]*[^.`\s]))\s*(\.?)")


def _quote_path(path: str) -> str:
    """A table path (``t``, ``db.t``, ``cat.db.t``, parts maybe in backticks), parts quoted."""
    text, parts, pos, more = str(path), [], 0, True
    while more:
        m = _PATH_PART.match(text, pos)
        if not m or m.end() == pos:
            raise ValueError("invalid table path %r" % (path,))
        quoted, plain, dot = m.groups()
        parts.append(quoted.replace("``", "`") if quoted is not None else plain.strip())
        pos, more = m.end(), bool(dot)
    if pos != len(text):
        raise ValueError("invalid table path %r" % (path,))
    return ".".join(_quote_identifier(p) for p in parts)


# --------------------------------------------------------------------------------------------
# Data types
# --------------------------------------------------------------------------------------------

class DataType(object):
    """Describes the logical type of a value in the table ecosystem."""

    def __init__(self, nullable: bool = True):
        self._nullable = nullable

    def _type_string(self) -> str:
        raise NotImplementedError

    def to_sql(self) -> str:
        """The Flink SQL type string, e.g. ``DECIMAL(10, 2) NOT NULL``."""
        return self._type_string() + ("" if self._nullable else " NOT NULL")

    _to_sql = to_sql

    def __str__(self) -> str:
        return self.to_sql()

    def __repr__(self) -> str:
        args = [repr(v) for k, v in sorted(self.__dict__.items()) if k != "_nullable"]
        args.append("true" if self._nullable else "false")
        return "%s(%s)" % (type(self).__name__, ", ".join(args))

    def __eq__(self, other: Any) -> bool:
        return isinstance(other, self.__class__) and self.__dict__ == other.__dict__

    def __ne__(self, other: Any) -> bool:
        return not self.__eq__(other)

    def __hash__(self) -> int:
        return hash((type(self).__name__, self.to_sql()))

    def _copy(self, nullable: bool) -> "DataType":
        new = object.__new__(type(self))
        new.__dict__.update(self.__dict__)
        new._nullable = nullable
        return new

    def not_null(self) -> "DataType":
        """This type, disallowing NULL values."""
        return self._copy(False)

    def nullable(self) -> "DataType":
        """This type, allowing NULL values."""
        return self._copy(True)


class AtomicType(DataType):
    """A type that is not composed of other types."""

    _NAME = ""

    def _type_string(self) -> str:
        return self._NAME


class NullType(AtomicType):
    """The type of the NULL literal; always nullable."""

    _NAME = "NULL"

    def __init__(self):
        super(NullType, self).__init__(True)

    def not_null(self) -> "DataType":
        raise ValueError("NULL type is always nullable")


class BooleanType(AtomicType):
    _NAME = "BOOLEAN"


class NumericType(AtomicType):
    """Base of numeric types."""


class IntegralType(NumericType):
    """Base of integer types."""


class FractionalType(NumericType):
    """Base of fractional types."""


class TinyIntType(IntegralType):
    _NAME = "TINYINT"


class SmallIntType(IntegralType):
    _NAME = "SMALLINT"


class IntType(IntegralType):
    _NAME = "INT"


class BigIntType(IntegralType):
    _NAME = "BIGINT"


class FloatType(FractionalType):
    _NAME = "FLOAT"


class DoubleType(FractionalType):
    _NAME = "DOUBLE"


class DecimalType(FractionalType):
    """Decimal number with fixed precision (1..38) and scale (0..precision)."""

    def __init__(self, precision: int = 10, scale: int = 0, nullable: bool = True):
        super(DecimalType, self).__init__(nullable)
        if not 1 <= precision <= 38 or not 0 <= scale <= precision:
            raise ValueError("invalid DECIMAL(%s, %s)" % (precision, scale))
        self.precision = precision
        self.scale = scale

    def _type_string(self) -> str:
        return "DECIMAL(%d, %d)" % (self.precision, self.scale)


class _LengthType(AtomicType):
    def __init__(self, length: int = 1, nullable: bool = True):
        super(_LengthType, self).__init__(nullable)
        if length < 1:
            raise ValueError("%s length must be positive: %s" % (self._NAME, length))
        self.length = length

    def _type_string(self) -> str:
        return "%s(%d)" % (self._NAME, self.length)


class CharType(_LengthType):
    _NAME = "CHAR"


class VarCharType(_LengthType):
    _NAME = "VARCHAR"

    def _type_string(self) -> str:
        return "STRING" if self.length == _MAX_LENGTH else super(VarCharType, self)._type_string()


class BinaryType(_LengthType):
    _NAME = "BINARY"


class VarBinaryType(_LengthType):
    _NAME = "VARBINARY"

    def _type_string(self) -> str:
        return "BYTES" if self.length == _MAX_LENGTH else super(VarBinaryType, self)._type_string()


class DateType(AtomicType):
    _NAME = "DATE"


class _PrecisionType(AtomicType):
    _DEFAULT = 6
    _FORMAT = ""

    def __init__(self, precision: Optional[int] = None, nullable: bool = True):
        super(_PrecisionType, self).__init__(nullable)
        precision = self._DEFAULT if precision is None else precision
        if not 0 <= precision <= 9:
            raise ValueError("precision must be between 0 and 9: %s" % precision)
        self.precision = precision

    def _type_string(self) -> str:
        return self._FORMAT % self.precision


class TimeType(_PrecisionType):
    _DEFAULT, _FORMAT = 0, "TIME(%d)"


class TimestampType(_PrecisionType):
    _DEFAULT, _FORMAT = 6, "TIMESTAMP(%d)"


class LocalZonedTimestampType(_PrecisionType):
    _DEFAULT, _FORMAT = 6, "TIMESTAMP_LTZ(%d)"


class ZonedTimestampType(_PrecisionType):
    _DEFAULT, _FORMAT = 6, "TIMESTAMP(%d) WITH TIME ZONE"


class DayTimeIntervalType(AtomicType):
    """Interval of days, hours, minutes and seconds."""

    class DayTimeResolution(Enum):
        DAY = "DAY"
        DAY_TO_HOUR = "DAY_TO_HOUR"
        DAY_TO_MINUTE = "DAY_TO_MINUTE"
        DAY_TO_SECOND = "DAY_TO_SECOND"
        HOUR = "HOUR"
        HOUR_TO_MINUTE = "HOUR_TO_MINUTE"
        HOUR_TO_SECOND = "HOUR_TO_SECOND"
        MINUTE = "MINUTE"
        MINUTE_TO_SECOND = "MINUTE_TO_SECOND"
        SECOND = "SECOND"

    def __init__(self, resolution: "DayTimeIntervalType.DayTimeResolution",
                 day_precision: int = 2, fractional_precision: int = 6, nullable: bool = True):
        super(DayTimeIntervalType, self).__init__(nullable)
        self.resolution = resolution
        self.day_precision = day_precision
        self.fractional_precision = fractional_precision

    def _type_string(self) -> str:
        upper, _, lower = self.resolution.value.partition("_TO_")
        parts = []
        for unit in (upper, lower) if lower else (upper,):
            if unit == "DAY":
                parts.append("DAY(%d)" % self.day_precision)
            elif unit == "SECOND":
                parts.append("SECOND(%d)" % self.fractional_precision)
            else:
                parts.append(unit)
        return "INTERVAL " + " TO ".join(parts)


class YearMonthIntervalType(AtomicType):
    """Interval of years and months."""

    class YearMonthResolution(Enum):
        YEAR = "YEAR"
        MONTH = "MONTH"
        YEAR_TO_MONTH = "YEAR_TO_MONTH"

    def __init__(self, resolution: "YearMonthIntervalType.YearMonthResolution",
                 precision: int = 2, nullable: bool = True):
        super(YearMonthIntervalType, self).__init__(nullable)
        self.resolution = resolution
        self.precision = precision

    def _type_string(self) -> str:
        r = self.resolution.name
        if r == "MONTH":
            return "INTERVAL MONTH"
        return "INTERVAL YEAR(%d)%s" % (self.precision, " TO MONTH" if r == "YEAR_TO_MONTH" else "")


class ArrayType(DataType):
    """Array of elements of one type."""

    def __init__(self, element_type: DataType, nullable: bool = True):
        super(ArrayType, self).__init__(nullable)
        self.element_type = element_type

    def _type_string(self) -> str:
        return "ARRAY<%s>" % self.element_type.to_sql()


class MultisetType(DataType):
    """Multiset (bag) of elements of one type."""

    def __init__(self, element_type: DataType, nullable: bool = True):
        super(MultisetType, self).__init__(nullable)
        self.element_type = element_type

    def _type_string(self) -> str:
        return "MULTISET<%s>" % self.element_type.to_sql()


class MapType(DataType):
    """Map from keys of one type to values of another."""

    def __init__(self, key_type: DataType, value_type: DataType, nullable: bool = True):
        super(MapType, self).__init__(nullable)
        self.key_type = key_type
        self.value_type = value_type

    def _type_string(self) -> str:
        return "MAP<%s, %s>" % (self.key_type.to_sql(), self.value_type.to_sql())


class RowField(object):
    """A named field of a ``RowType``, with an optional description."""

    def __init__(self, name: str, data_type: DataType, description: Optional[str] = None):
        self.name = name
        self.data_type = data_type
        self.description = description

    def to_sql(self) -> str:
        text = "%s %s" % (_quote_identifier(self.name), self.data_type.to_sql())
        return text + (" " + _quote_string(self.description) if self.description else "")

    __str__ = to_sql

    def __repr__(self) -> str:
        return "RowField(%s, %r)" % (self.name, self.data_type)

    def __eq__(self, other: Any) -> bool:
        return isinstance(other, RowField) and self.__dict__ == other.__dict__

    def __hash__(self) -> int:
        return hash(self.to_sql())


class RowType(DataType):
    """A sequence of named fields."""

    def __init__(self, fields: Optional[List[RowField]] = None, nullable: bool = True):
        super(RowType, self).__init__(nullable)
        self.fields = list(fields or [])
        self.names = [f.name for f in self.fields]

    def add(self, field: Union[str, RowField], data_type: Optional[DataType] = None,
            description: Optional[str] = None) -> "RowType":
        """Appends a field (a ``RowField``, or a name and a type) and returns this row type."""
        if not isinstance(field, RowField):
            if data_type is None:
                raise ValueError("a data type is required to add field %r" % (field,))
            field = RowField(field, data_type, description)
        self.fields.append(field)
        self.names.append(field.name)
        return self

    def field_names(self) -> List[str]:
        return list(self.names)

    def field_types(self) -> List[DataType]:
        return [f.data_type for f in self.fields]

    def __iter__(self):
        return iter(self.fields)

    def __len__(self) -> int:
        return len(self.fields)

    def __getitem__(self, key: Union[str, int]) -> RowField:
        if isinstance(key, int):
            return self.fields[key]
        for f in self.fields:
            if f.name == key:
                return f
        raise KeyError("no field named %r" % (key,))

    def _type_string(self) -> str:
        return "ROW<%s>" % ", ".join(f.to_sql() for f in self.fields)


class Resolution(object):
    """One end of an interval type: a unit and its precision (see ``DataTypes.INTERVAL``)."""

    class IntervalUnit(Enum):
        YEAR = 0
        MONTH = 1
        DAY = 2
        HOUR = 3
        MINUTE = 4
        SECOND = 5

    def __init__(self, unit: "Resolution.IntervalUnit", precision: int = -1):
        self._unit = unit
        self._precision = precision

    def __str__(self) -> str:
        p = "(%d)" % self._precision if self._precision >= 0 else ""
        return "%s%s" % (self._unit.name, p)


class DataTypes(object):
    """Factory of data types: ``DataTypes.BIGINT()``, ``DataTypes.ROW([DataTypes.FIELD(...)])``."""

    @staticmethod
    def NULL() -> NullType:
        return NullType()

    @staticmethod
    def BOOLEAN(nullable: bool = True) -> BooleanType:
        return BooleanType(nullable)

    @staticmethod
    def TINYINT(nullable: bool = True) -> TinyIntType:
        return TinyIntType(nullable)

    @staticmethod
    def SMALLINT(nullable: bool = True) -> SmallIntType:
        return SmallIntType(nullable)

    @staticmethod
    def INT(nullable: bool = True) -> IntType:
        return IntType(nullable)

    @staticmethod
    def BIGINT(nullable: bool = True) -> BigIntType:
        return BigIntType(nullable)

    @staticmethod
    def FLOAT(nullable: bool = True) -> FloatType:
        return FloatType(nullable)

    @staticmethod
    def DOUBLE(nullable: bool = True) -> DoubleType:
        return DoubleType(nullable)

    @staticmethod
    def DECIMAL(precision: int, scale: int, nullable: bool = True) -> DecimalType:
        return DecimalType(precision, scale, nullable)

    @staticmethod
    def CHAR(length: int, nullable: bool = True) -> CharType:
        return CharType(length, nullable)

    @staticmethod
    def VARCHAR(length: int, nullable: bool = True) -> VarCharType:
        return VarCharType(length, nullable)

    @staticmethod
    def STRING(nullable: bool = True) -> VarCharType:
        return VarCharType(_MAX_LENGTH, nullable)

    @staticmethod
    def BINARY(length: int, nullable: bool = True) -> BinaryType:
        return BinaryType(length, nullable)

    @staticmethod
    def VARBINARY(length: int, nullable: bool = True) -> VarBinaryType:
        return VarBinaryType(length, nullable)

    @staticmethod
    def BYTES(nullable: bool = True) -> VarBinaryType:
        return VarBinaryType(_MAX_LENGTH, nullable)

    @staticmethod
    def DATE(nullable: bool = True) -> DateType:
        return DateType(nullable)

    @staticmethod
    def TIME(precision: int = 0, nullable: bool = True) -> TimeType:
        return TimeType(precision, nullable)

    @staticmethod
    def TIMESTAMP(precision: int = 6, nullable: bool = True) -> TimestampType:
        return TimestampType(precision, nullable)

    @staticmethod
    def TIMESTAMP_LTZ(precision: int = 6, nullable: bool = True) -> LocalZonedTimestampType:
        return LocalZonedTimestampType(precision, nullable)

    LOCAL_ZONED_TIMESTAMP = TIMESTAMP_LTZ
    TIMESTAMP_WITH_LOCAL_TIME_ZONE = TIMESTAMP_LTZ

    @staticmethod
    def ARRAY(element_type: DataType, nullable: bool = True) -> ArrayType:
        return ArrayType(element_type, nullable)

    @staticmethod
    def MAP(key_type: DataType, value_type: DataType, nullable: bool = True) -> MapType:
        return MapType(key_type, value_type, nullable)

    @staticmethod
    def MULTISET(element_type: DataType, nullable: bool = True) -> MultisetType:
        return MultisetType(element_type, nullable)

    @staticmethod
    def ROW(row_fields: Sequence[RowField] = (), nullable: bool = True) -> RowType:
        return RowType(list(row_fields), nullable)

    @staticmethod
    def FIELD(name: str, data_type: DataType, description: Optional[str] = None) -> RowField:
        return RowField(name, data_type, description)

    @staticmethod
    def SECOND(precision: int = 6) -> Resolution:
        return Resolution(Resolution.IntervalUnit.SECOND, precision)

    @staticmethod
    def MINUTE() -> Resolution:
        return Resolution(Resolution.IntervalUnit.MINUTE)

    @staticmethod
    def HOUR() -> Resolution:
        return Resolution(Resolution.IntervalUnit.HOUR)

    @staticmethod
    def DAY(precision: int = 2) -> Resolution:
        return Resolution(Resolution.IntervalUnit.DAY, precision)

    @staticmethod
    def MONTH() -> Resolution:
        return Resolution(Resolution.IntervalUnit.MONTH)

    @staticmethod
    def YEAR(precision: int = 2) -> Resolution:
        return Resolution(Resolution.IntervalUnit.YEAR, precision)

    @staticmethod
    def INTERVAL(upper_resolution: Resolution,
                 lower_resolution: Optional[Resolution] = None) -> DataType:
        """An interval type, e.g. ``INTERVAL(DAY(), SECOND(3))`` or ``INTERVAL(MONTH())``."""
        return _interval_type(upper_resolution, lower_resolution)


def _interval_type(upper: Resolution, lower: Optional[Resolution]) -> DataType:
    u = upper._unit.name
    l_name = lower._unit.name if lower is not None else None
    name = u if l_name is None else "%s_TO_%s" % (u, l_name)
    if u in ("YEAR", "MONTH"):
        try:
            res = YearMonthIntervalType.YearMonthResolution[name]
        except KeyError:
            raise ValueError("unsupported interval INTERVAL %s TO %s" % (u, l_name))
        return YearMonthIntervalType(res, upper._precision if upper._precision >= 0 else 2)
    try:
        res = DayTimeIntervalType.DayTimeResolution[name]
    except KeyError:
        raise ValueError("unsupported interval INTERVAL %s TO %s" % (u, l_name))
    day_p = upper._precision if u == "DAY" and upper._precision >= 0 else 2
    sec = lower if lower is not None else upper
    frac_p = sec._precision if sec._unit.name == "SECOND" and sec._precision >= 0 else 6
    return DayTimeIntervalType(res, day_p, frac_p)


# --------------------------------------------------------------------------------------------
# Parsing Flink SQL type strings
# --------------------------------------------------------------------------------------------

_TOKEN = re.compile(r"\s*(?:`((?:[^`]|``)*)`|\"((?:[^\"]|\"\")*)\"|'((?:[^']|'')*)'"
                    r"|(\d+)|([A-Za-z_$][A-Za-z0-9_$]*)|([<>(),:]))\s*")


class _TypeParser(object):
    """Recursive descent parser of Flink SQL type strings."""

    def __init__(self, text: str):
        self.text, self.tokens, self.i, pos = text, [], 0, 0  # tokens: (kind, value)
        while pos < len(text):
            m = _TOKEN.match(text, pos)
            if not m:
                raise ValueError("cannot parse type %r at position %d" % (text, pos))
            pos = m.end()
            bq, dq, sq, num, word, sym = m.groups()
            if bq is not None or dq is not None:
                self.tokens.append(("id", bq.replace("``", "`") if bq is not None
                                    else dq.replace('""', '"')))
            elif sq is not None:
                self.tokens.append(("str", sq.replace("''", "'")))
            elif num is not None:
                self.tokens.append(("num", int(num)))
            else:
                self.tokens.append(("word", word) if word is not None else ("sym", sym))

    def error(self, what: str) -> ValueError:
        return ValueError("cannot parse type %r: %s" % (self.text, what))

    def peek(self, ahead: int = 0) -> Tuple[str, Any]:
        j = self.i + ahead
        return self.tokens[j] if j < len(self.tokens) else ("end", None)

    def peek_word(self, ahead: int = 0) -> Optional[str]:
        kind, value = self.peek(ahead)
        return value.upper() if kind == "word" else None

    def accept_word(self, *words: str) -> bool:
        if all(self.peek_word(k) == w for k, w in enumerate(words)):
            self.i += len(words)
            return True
        return False

    def accept_sym(self, sym: str) -> bool:
        if self.peek() == ("sym", sym):
            self.i += 1
            return True
        return False

    def expect_sym(self, sym: str) -> None:
        if not self.accept_sym(sym):
            raise self.error("expected %r" % sym)

    def number(self) -> int:
        kind, value = self.peek()
        if kind != "num":
            raise self.error("expected a number")
        self.i += 1
        return value

    def opt_precision(self, default: Optional[int]) -> Optional[int]:
        if self.accept_sym("("):
            value = self.number()
            self.expect_sym(")")
            return value
        return default

    def parse(self) -> DataType:
        t = self.parse_type()
        if self.i != len(self.tokens):
            raise self.error("unexpected %r" % (self.peek()[1],))
        return t

    def parse_type(self) -> DataType:
        t = self.parse_base()
        while True:
            if self.accept_word("NOT", "NULL"):
                t = t.not_null()
            elif self.accept_word("NULL"):
                t = t.nullable()
            elif self.accept_word("ARRAY"):
                t = ArrayType(t)
            elif self.accept_word("MULTISET"):
                t = MultisetType(t)
            else:
                return t

    def parse_base(self) -> DataType:
        word = self.peek_word()
        if word is None:
            raise self.error("expected a type name")
        self.i += 1
        simple = {"BOOLEAN": BooleanType, "TINYINT": TinyIntType, "SMALLINT": SmallIntType,
                  "INT": IntType, "INTEGER": IntType, "BIGINT": BigIntType, "FLOAT": FloatType,
                  "REAL": FloatType, "DATE": DateType}
        if word in simple:
            return simple[word]()
        if word == "NULL":
            return NullType()
        if word == "DOUBLE":
            self.accept_word("PRECISION")
            return DoubleType()
        if word == "STRING":
            return VarCharType(_MAX_LENGTH)
        if word == "BYTES":
            return VarBinaryType(_MAX_LENGTH)
        if word in ("CHAR", "CHARACTER"):
            cls = VarCharType if self.accept_word("VARYING") else CharType
            return cls(self.opt_precision(1))
        if word == "VARCHAR":
            return VarCharType(self.opt_precision(1))
        if word == "BINARY":
            cls = VarBinaryType if self.accept_word("VARYING") else BinaryType
            return cls(self.opt_precision(1))
        if word == "VARBINARY":
            return VarBinaryType(self.opt_precision(1))
        if word in ("DECIMAL", "DEC", "NUMERIC"):
            p, s = 10, 0
            if self.accept_sym("("):
                p = self.number()
                if self.accept_sym(","):
                    s = self.number()
                self.expect_sym(")")
            return DecimalType(p, s)
        if word == "TIME":
            p = self.opt_precision(0)
            self.accept_word("WITHOUT", "TIME", "ZONE")
            return TimeType(p)
        if word in ("TIMESTAMP", "TIMESTAMP_LTZ"):
            p = self.opt_precision(6)
            if word == "TIMESTAMP_LTZ" or self.accept_word("WITH", "LOCAL", "TIME", "ZONE"):
                return LocalZonedTimestampType(p)
            if self.accept_word("WITH", "TIME", "ZONE"):
                return ZonedTimestampType(p)
            self.accept_word("WITHOUT", "TIME", "ZONE")
            return TimestampType(p)
        if word == "INTERVAL":
            upper = self.resolution()
            lower = self.resolution() if self.accept_word("TO") else None
            return _interval_type(upper, lower)
        if word in ("ARRAY", "MULTISET"):
            self.expect_sym("<")
            element = self.parse_type()
            self.expect_sym(">")
            return ArrayType(element) if word == "ARRAY" else MultisetType(element)
        if word == "MAP":
            self.expect_sym("<")
            key = self.parse_type()
            self.expect_sym(",")
            value = self.parse_type()
            self.expect_sym(">")
            return MapType(key, value)
        if word == "ROW":
            return self.row()
        raise self.error("unknown type %r" % word)

    def resolution(self) -> Resolution:
        word = self.peek_word()
        try:
            unit = Resolution.IntervalUnit[word or ""]
        except KeyError:
            raise self.error("expected an interval unit")
        self.i += 1
        return Resolution(unit, self.opt_precision(-1))

    def row(self) -> RowType:
        close = ">" if self.accept_sym("<") else None
        if close is None:
            self.expect_sym("(")
            close = ")"
        fields = []
        while not self.accept_sym(close):
            if fields:
                self.expect_sym(",")
            kind, name = self.peek()
            if kind not in ("id", "word"):
                raise self.error("expected a field name")
            self.i += 1
            self.accept_sym(":")
            data_type = self.parse_type()
            description = None
            if self.peek()[0] == "str":
                description = self.peek()[1]
                self.i += 1
            fields.append(RowField(name, data_type, description))
        return RowType(fields)


def _from_sql(text: str) -> DataType:
    """Parses a Flink SQL type string (``'BIGINT'``, ``'ROW<a INT, b STRING>'``...)."""
    return _TypeParser(text).parse()


DataType._from_sql = staticmethod(_from_sql)


def _to_data_type(data_type: Union[str, DataType]) -> DataType:
    if isinstance(data_type, DataType):
        return data_type
    if isinstance(data_type, str):
        return _from_sql(data_type)
    raise TypeError("expected a DataType or a type string, got %r" % (data_type,))


def _sql_text(expr: Any) -> str:
    """SQL text of an expression given as a string (kept verbatim) or an ``Expression``."""
    if isinstance(expr, str):
        return expr
    to_sql = getattr(expr, "_to_sql", None)
    if to_sql is None:
        raise TypeError("expected a SQL string or an Expression, got %r" % (expr,))
    return to_sql()


# Re-exported: PyFlink has them in pyflink.table.types' neighbours; oxflow keeps one module each.
from .schema import Schema  # noqa: E402
from .table_descriptor import FormatDescriptor, TableDescriptor  # noqa: E402
