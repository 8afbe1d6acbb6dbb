"""Flink SQL text of Python values, types and intervals, as the Table API's ``lit`` writes them."""

import datetime
import decimal
import math
from typing import Any, Union

from .types import DataType, _quote_string, _to_data_type

_INT_MIN, _INT_MAX = -(1 << 31), (1 << 31) - 1
_LONG_MIN, _LONG_MAX = -(1 << 63), (1 << 63) - 1


def _cast_type_sql(data_type: Union[str, DataType]) -> str:
    """A type for CAST: the top-level NOT NULL is left out (nested constraints are kept)."""
    return _to_data_type(data_type).nullable().to_sql()


def _interval_sql(amount: int, unit: str) -> str:
    digits = len(str(abs(amount)))
    return "INTERVAL '%d' %s%s" % (amount, unit, "(%d)" % digits if digits > 2 else "")


def _millis_interval_sql(millis: int) -> str:
    """An interval literal of ``millis`` milliseconds, in the largest unit that is exact."""
    for unit, size in (("DAY", 86400000), ("HOUR", 3600000), ("MINUTE", 60000), ("SECOND", 1000)):
        if millis % size == 0:
            return _interval_sql(millis // size, unit)
    sign = "-" if millis < 0 else ""
    seconds, frac = divmod(abs(millis), 1000)
    digits = len(str(seconds))
    return "INTERVAL '%s%d.%03d' SECOND%s" % (sign, seconds, frac,
                                             "(%d)" % digits if digits > 2 else "")


def _literal_sql(value: Any) -> str:
    """Flink SQL text of a Python value, typed as Flink's ``lit`` types it."""
    if value is None:
        return "NULL"
    if hasattr(value, "_to_sql"):  # an Expression (imported lazily would be circular)
        return value._to_sql()
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, int):
        if _INT_MIN <= value <= _INT_MAX:
            return str(value)
        if _LONG_MIN <= value <= _LONG_MAX:
            return "CAST(%d AS BIGINT)" % value
        return str(value)
    if isinstance(value, float):
        if math.isnan(value):
            return "CAST('NaN' AS DOUBLE)"
        if math.isinf(value):
            return "CAST('%sInfinity' AS DOUBLE)" % ("-" if value < 0 else "")
        return "CAST(%r AS DOUBLE)" % value
    if isinstance(value, decimal.Decimal):
        if not value.is_finite():
            raise ValueError("cannot express the decimal %r in SQL" % (value,))
        text = format(value, "f")
        if "." not in text:
            return "CAST(%s AS DECIMAL(%d, 0))" % (text, max(1, len(text.lstrip("-"))))
        return text
    if isinstance(value, str):
        return _quote_string(value)
    if isinstance(value, (bytes, bytearray)):
        return "X'%s'" % bytes(value).hex().upper()
    if isinstance(value, datetime.datetime):
        if value.tzinfo is not None:
            epoch = datetime.datetime(1970, 1, 1, tzinfo=datetime.timezone.utc)
            millis = (value - epoch) // datetime.timedelta(milliseconds=1)
            return "TO_TIMESTAMP_LTZ(%d, 3)" % millis
        return "TIMESTAMP '%s'" % value.isoformat(sep=" ")
    if isinstance(value, datetime.date):
        return "DATE '%s'" % value.isoformat()
    if isinstance(value, datetime.time):
        return "TIME '%s'" % value.replace(tzinfo=None).isoformat()
    if isinstance(value, datetime.timedelta):
        return _millis_interval_sql(value // datetime.timedelta(milliseconds=1))
    if hasattr(value, "to_milliseconds") and callable(value.to_milliseconds):
        return _millis_interval_sql(int(value.to_milliseconds()))
    try:
        from oxflow.common.types import Row
    except ImportError:  # pragma: no cover
        Row = None
    if Row is not None and isinstance(value, Row):
        return "ROW(%s)" % ", ".join(_literal_sql(v) for v in value)
    if isinstance(value, (list, tuple)):
        if not value:
            raise ValueError("an empty array literal needs a data type: lit([], DataTypes...)")
        return "ARRAY[%s]" % ", ".join(_literal_sql(v) for v in value)
    if isinstance(value, dict):
        if not value:
            raise ValueError("an empty map literal needs a data type: lit({}, DataTypes...)")
        return "MAP[%s]" % ", ".join("%s, %s" % (_literal_sql(k), _literal_sql(v))
                                     for k, v in value.items())
    raise TypeError("unsupported literal value %r of type %s" % (value, type(value).__name__))
