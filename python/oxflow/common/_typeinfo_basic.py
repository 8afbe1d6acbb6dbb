"""Type information base class, scalar and temporal types (see ``oxflow.common.typeinfo``)."""

import datetime
from enum import Enum
from typing import Any, List

from . import _java_format as jf

__all__ = [
    "TypeInformation",
    "BasicType",
    "BasicTypeInfo",
    "InstantTypeInfo",
    "SqlTimeTypeInfo",
    "LocalTimeTypeInfo",
    "PickledBytesTypeInfo",
]

_ANY = ("any",)


class TypeInformation(object):
    """Base class of all type information objects.

    Subclasses define ``_check_spec`` and ``_render`` (the non-null part of ``_java_str``).
    Two type informations are equal when they are of the same class with equal parameters.
    """

    def _check_spec(self) -> tuple:
        """Structural spec used by the runtime to validate values of this type."""
        raise NotImplementedError

    def _java_str(self, value: Any) -> str:
        """Renders ``value`` like Java's ``toString``; ``None`` renders as ``null``."""
        if value is None:
            return "null"
        return self._render(value)

    def _render(self, value: Any) -> str:
        """Renders a non-null value; the default is Python's ``str``."""
        return str(value)

    def _params(self) -> tuple:
        """Parameters that define equality and hashing."""
        return ()

    def need_conversion(self) -> bool:
        """Whether values need converting between Python and the internal form (never here)."""
        return False

    def to_internal_type(self, obj: Any) -> Any:
        """Converts a Python value to the internal representation (identity in oxflow)."""
        return obj

    def from_internal_type(self, obj: Any) -> Any:
        """Converts an internal value back to Python (identity in oxflow)."""
        return obj

    def __eq__(self, other: object) -> bool:
        return type(self) is type(other) and self._params() == other._params()

    def __ne__(self, other: object) -> bool:
        return not self.__eq__(other)

    def __hash__(self) -> int:
        return hash((type(self).__name__,) + self._params())

    def __repr__(self) -> str:
        return type(self).__name__

    def __str__(self) -> str:
        return self.__repr__()


def _require_type(t: Any, what: str) -> "TypeInformation":
    if not isinstance(t, TypeInformation):
        raise TypeError("%s must be a TypeInformation, got %r" % (what, t))
    return t


def _require_types(types: Any, what: str) -> List["TypeInformation"]:
    if not isinstance(types, (list, tuple)):
        raise TypeError("%s must be a list of TypeInformation, got %r" % (what, types))
    return [_require_type(t, what) for t in types]


# --------------------------------------------------------------------------------------------
# Basic types
# --------------------------------------------------------------------------------------------

class BasicType(Enum):
    """The basic (scalar) types; values are the Java class names."""

    STRING = "String"
    BYTE = "Byte"
    BOOLEAN = "Boolean"
    SHORT = "Short"
    INT = "Integer"
    LONG = "Long"
    FLOAT = "Float"
    DOUBLE = "Double"
    CHAR = "Char"
    BIG_INT = "BigInteger"
    BIG_DEC = "BigDecimal"
    INSTANT = "Instant"


_BASIC_SPECS = {
    BasicType.STRING: ("string",),
    BasicType.BYTE: ("byte",),
    BasicType.BOOLEAN: ("boolean",),
    BasicType.SHORT: ("short",),
    BasicType.INT: ("int",),
    BasicType.LONG: ("long",),
    BasicType.FLOAT: ("float",),
    BasicType.DOUBLE: ("double",),
    BasicType.CHAR: ("char",),
    BasicType.BIG_INT: ("big_int",),
    BasicType.BIG_DEC: ("big_dec",),
    BasicType.INSTANT: _ANY,
}

_INTEGRAL = (BasicType.BYTE, BasicType.SHORT, BasicType.INT, BasicType.LONG, BasicType.BIG_INT)
_PRIMITIVES = (BasicType.BYTE, BasicType.BOOLEAN, BasicType.SHORT, BasicType.INT,
               BasicType.LONG, BasicType.FLOAT, BasicType.DOUBLE, BasicType.CHAR)


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


class BasicTypeInfo(TypeInformation):
    """Type information for scalar types: strings, booleans, numbers and chars."""

    def __init__(self, basic_type: BasicType):
        if not isinstance(basic_type, BasicType):
            raise TypeError("basic_type must be a BasicType, got %r" % (basic_type,))
        self._basic_type = basic_type

    def get_basic_type(self) -> BasicType:
        """The ``BasicType`` this type information describes."""
        return self._basic_type

    def _params(self) -> tuple:
        return (self._basic_type,)

    def _check_spec(self) -> tuple:
        return _BASIC_SPECS[self._basic_type]

    def _render(self, value: Any) -> str:
        bt = self._basic_type
        if bt is BasicType.BOOLEAN:
            return jf.java_boolean(value)
        if bt in _INTEGRAL:
            return str(int(value)) if _is_number(value) and int(value) == value else str(value)
        if bt is BasicType.DOUBLE:
            return jf.java_double_to_string(value) if _is_number(value) else str(value)
        if bt is BasicType.FLOAT:
            return jf.java_float_to_string(value) if _is_number(value) else str(value)
        if bt is BasicType.INSTANT:
            return jf.java_instant(value)
        return str(value)

    def __repr__(self) -> str:
        return self._basic_type.value

    @staticmethod
    def STRING_TYPE_INFO() -> "BasicTypeInfo":
        return BasicTypeInfo(BasicType.STRING)

    @staticmethod
    def BOOLEAN_TYPE_INFO() -> "BasicTypeInfo":
        return BasicTypeInfo(BasicType.BOOLEAN)

    @staticmethod
    def BYTE_TYPE_INFO() -> "BasicTypeInfo":
        return BasicTypeInfo(BasicType.BYTE)

    @staticmethod
    def SHORT_TYPE_INFO() -> "BasicTypeInfo":
        return BasicTypeInfo(BasicType.SHORT)

    @staticmethod
    def INT_TYPE_INFO() -> "BasicTypeInfo":
        return BasicTypeInfo(BasicType.INT)

    @staticmethod
    def LONG_TYPE_INFO() -> "BasicTypeInfo":
        return BasicTypeInfo(BasicType.LONG)

    @staticmethod
    def FLOAT_TYPE_INFO() -> "BasicTypeInfo":
        return BasicTypeInfo(BasicType.FLOAT)

    @staticmethod
    def DOUBLE_TYPE_INFO() -> "BasicTypeInfo":
        return BasicTypeInfo(BasicType.DOUBLE)

    @staticmethod
    def CHAR_TYPE_INFO() -> "BasicTypeInfo":
        return BasicTypeInfo(BasicType.CHAR)

    @staticmethod
    def BIG_INT_TYPE_INFO() -> "BasicTypeInfo":
        return BasicTypeInfo(BasicType.BIG_INT)

    @staticmethod
    def BIG_DEC_TYPE_INFO() -> "BasicTypeInfo":
        return BasicTypeInfo(BasicType.BIG_DEC)

    @staticmethod
    def INSTANT_TYPE_INFO() -> "InstantTypeInfo":
        return InstantTypeInfo()


class InstantTypeInfo(BasicTypeInfo):
    """Type information for ``java.time.Instant`` (``oxflow.common.time.Instant`` or datetime).

    Renders as ISO-8601 in UTC with seconds always shown: ``2020-10-10T00:00:04.999Z``.
    """

    def __init__(self) -> None:
        super().__init__(BasicType.INSTANT)

    def __repr__(self) -> str:
        return "InstantTypeInfo"


# --------------------------------------------------------------------------------------------
# Temporal types
# --------------------------------------------------------------------------------------------

class SqlTimeTypeInfo(TypeInformation):
    """``java.sql.Date`` / ``java.sql.Time`` / ``java.sql.Timestamp`` (Python date/time/datetime).

    Rendering follows the ``java.sql`` classes: ``2020-10-10``, ``10:20:30`` and
    ``2020-10-10 00:00:00.0`` (nanosecond fraction without trailing zeros, at least one digit).
    """

    _KINDS = ("DATE", "TIME", "TIMESTAMP")

    def __init__(self, kind: str):
        if kind not in self._KINDS:
            raise ValueError("kind must be one of %s, got %r" % (self._KINDS, kind))
        self._kind = kind

    def _params(self) -> tuple:
        return (self._kind,)

    def _check_spec(self) -> tuple:
        return _ANY

    def _render(self, value: Any) -> str:
        if self._kind == "DATE" and isinstance(value, datetime.date):
            return jf.java_sql_date(value)
        if self._kind == "TIME" and isinstance(value, (datetime.time, datetime.datetime)):
            return jf.java_sql_time(value)
        if self._kind == "TIMESTAMP" and isinstance(value, datetime.date):
            return jf.java_sql_timestamp(value)
        return str(value)

    def __repr__(self) -> str:
        return "SqlTimeTypeInfo(%s)" % self._kind

    @staticmethod
    def DATE() -> "SqlTimeTypeInfo":
        return SqlTimeTypeInfo("DATE")

    @staticmethod
    def TIME() -> "SqlTimeTypeInfo":
        return SqlTimeTypeInfo("TIME")

    @staticmethod
    def TIMESTAMP() -> "SqlTimeTypeInfo":
        return SqlTimeTypeInfo("TIMESTAMP")


class LocalTimeTypeInfo(TypeInformation):
    """``java.time.LocalDate`` / ``LocalTime`` / ``LocalDateTime`` (Python date/time/datetime).

    Rendering follows ``java.time``: ``2020-10-10``, ``00:00`` and ``2020-10-10T00:00:04.999``
    (seconds dropped when seconds and fraction are zero). This is how SQL ``DATE``, ``TIME`` and
    ``TIMESTAMP`` columns print inside ``+I[...]`` rows.
    """

    _KINDS = ("LOCAL_DATE", "LOCAL_TIME", "LOCAL_DATE_TIME")

    def __init__(self, kind: str):
        if kind not in self._KINDS:
            raise ValueError("kind must be one of %s, got %r" % (self._KINDS, kind))
        self._kind = kind

    def _params(self) -> tuple:
        return (self._kind,)

    def _check_spec(self) -> tuple:
        return _ANY

    def _render(self, value: Any) -> str:
        if self._kind == "LOCAL_DATE" and isinstance(value, datetime.date):
            return jf.java_local_date(value)
        if self._kind == "LOCAL_TIME" and isinstance(value, (datetime.time, datetime.datetime)):
            return jf.java_local_time(value)
        if self._kind == "LOCAL_DATE_TIME" and isinstance(value, datetime.date):
            return jf.java_local_date_time(value)
        return str(value)

    def __repr__(self) -> str:
        return "LocalTimeTypeInfo(%s)" % self._kind


class PickledBytesTypeInfo(TypeInformation):
    """Any Python object, carried as pickled bytes; prints with Python ``str``."""

    def _check_spec(self) -> tuple:
        return _ANY

    def __repr__(self) -> str:
        return "PickledByteArrayTypeInfo"

    @staticmethod
    def PICKLED_BYTE_ARRAY_TYPE_INFO() -> "PickledBytesTypeInfo":
        return PickledBytesTypeInfo()
