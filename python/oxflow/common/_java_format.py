"""Java ``toString`` renderings of scalar values.

Flink prints records with Java's ``toString`` when an output type is declared. These helpers
reproduce the Java formats of floating-point numbers and of ``java.time`` / ``java.sql`` temporal
values, so that oxflow prints what Flink prints. Internal module: the public entry point is
``TypeInformation._java_str``.
"""

import datetime
import math
import struct
from decimal import Decimal
from typing import Any, Callable, Tuple

__all__ = [
    "java_double_to_string",
    "java_float_to_string",
    "to_float32",
    "java_local_date",
    "java_local_time",
    "java_local_date_time",
    "java_instant",
    "java_sql_date",
    "java_sql_time",
    "java_sql_timestamp",
    "java_boolean",
]

_EPOCH_UTC = datetime.datetime(1970, 1, 1, tzinfo=datetime.timezone.utc)
_FLOAT32_MAX = 3.4028234663852886e38


# --------------------------------------------------------------------------------------------
# Floating point
# --------------------------------------------------------------------------------------------

def _layout(negative: bool, digits: str, k: int) -> str:
    """Lays out ``0.<digits> * 10**k`` the way Java's ``FloatingDecimal`` does.

    Plain notation when the decimal exponent ``k`` is in [-2, 7] (i.e. 1e-3 <= |x| < 1e7),
    computerized scientific notation (``d.dddE<n>``) otherwise. At least one digit always
    follows the decimal point.
    """
    n = len(digits)
    if 0 < k <= 7:
        if k >= n:
            body = digits + "0" * (k - n) + ".0"
        else:
            body = digits[:k] + "." + digits[k:]
    elif -3 < k <= 0:
        body = "0." + "0" * (-k) + digits
    else:
        body = digits[0] + "." + (digits[1:] or "0") + "E" + str(k - 1)
    return ("-" if negative else "") + body


def _shortest_digits(text: str) -> Tuple[str, int]:
    """Splits a positive decimal literal into significant digits and exponent ``k``.

    The value equals ``0.<digits> * 10**k``; trailing zeros are removed from ``digits``.
    """
    _, digit_tuple, exponent = Decimal(text).as_tuple()
    digits = "".join(str(d) for d in digit_tuple).lstrip("0")
    stripped = digits.rstrip("0")
    exponent += len(digits) - len(stripped)
    return stripped, len(stripped) + exponent


def _special(x: float) -> Any:
    if math.isnan(x):
        return "NaN"
    if math.isinf(x):
        return "Infinity" if x > 0 else "-Infinity"
    if x == 0.0:
        return "-0.0" if math.copysign(1.0, x) < 0 else "0.0"
    return None


def _prefer_two_digits(x: float, text: str, round_trips: Callable[[str], bool]) -> str:
    """Java picks among decimals of length 1 *or 2* the one closest to the value.

    That only matters when one digit is enough to round-trip but a two-digit decimal is
    closer, e.g. ``Double.MIN_VALUE`` prints ``4.9E-324`` rather than ``5.0E-324``.
    """
    if len(_shortest_digits(text)[0]) != 1:
        return text
    two = "%.1e" % x
    exact = Decimal(x)
    if round_trips(two) and abs(Decimal(two) - exact) < abs(Decimal(text) - exact):
        return two
    return text


def java_double_to_string(value: Any) -> str:
    """Renders ``value`` like Java's ``Double.toString`` (shortest round-trip digits).

    ``1.0`` -> ``1.0``, ``1e7`` -> ``1.0E7``, ``0.001`` -> ``0.001``, ``1e-5`` -> ``1.0E-5``.
    """
    x = float(value)
    special = _special(x)
    if special is not None:
        return special
    ax = abs(x)
    text = _prefer_two_digits(ax, repr(ax), lambda s: float(s) == ax)
    digits, k = _shortest_digits(text)
    return _layout(x < 0, digits, k)


def to_float32(value: Any) -> float:
    """Rounds ``value`` to the nearest IEEE-754 single-precision value (as a Python float).

    Values beyond the float range become infinities, like a Java ``(float)`` cast.
    """
    x = float(value)
    if math.isnan(x) or math.isinf(x):
        return x
    try:
        return struct.unpack("<f", struct.pack("<f", x))[0]
    except OverflowError:
        return math.copysign(math.inf, x)


def java_float_to_string(value: Any) -> str:
    """Renders ``value`` like Java's ``Float.toString`` after rounding it to 32 bits.

    ``4.333333333`` -> ``4.3333335``, ``1.0`` -> ``1.0``, ``1e7`` -> ``1.0E7``.
    """
    x = to_float32(value)
    special = _special(x)
    if special is not None:
        return special
    ax = abs(x)
    packed = struct.pack("<f", ax)

    def round_trips(candidate: str) -> bool:
        try:
            return struct.pack("<f", float(candidate)) == packed
        except OverflowError:
            return False

    text = repr(ax)
    for precision in range(1, 10):
        candidate = "%.*e" % (precision - 1, ax)
        if round_trips(candidate):
            text = candidate
            break
    text = _prefer_two_digits(ax, text, round_trips)
    digits, k = _shortest_digits(text)
    return _layout(x < 0, digits, k)


def java_boolean(value: Any) -> str:
    """Renders a boolean like Java: ``true`` / ``false``."""
    return "true" if value else "false"


# --------------------------------------------------------------------------------------------
# Temporal values
# --------------------------------------------------------------------------------------------

def _fraction(nanos: int) -> str:
    """The fraction of a second as ``java.time`` prints it: 3, 6 or 9 digits, or nothing."""
    if nanos == 0:
        return ""
    if nanos % 1_000_000 == 0:
        return ".%03d" % (nanos // 1_000_000)
    if nanos % 1_000 == 0:
        return ".%06d" % (nanos // 1_000)
    return ".%09d" % nanos


def _year(year: int) -> str:
    if year > 9999:
        return "+%d" % year
    if year < 0:
        return "-%04d" % -year
    return "%04d" % year


def java_local_date(value: datetime.date) -> str:
    """``java.time.LocalDate.toString``: ``2020-10-10``."""
    return "%s-%02d-%02d" % (_year(value.year), value.month, value.day)


def _local_time_parts(hour: int, minute: int, second: int, nanos: int) -> str:
    text = "%02d:%02d" % (hour, minute)
    if second or nanos:
        text += ":%02d" % second + _fraction(nanos)
    return text


def java_local_time(value: Any) -> str:
    """``java.time.LocalTime.toString``: ``00:00``, ``10:20:30``, ``10:20:30.500``."""
    if isinstance(value, datetime.datetime):
        value = value.time()
    return _local_time_parts(value.hour, value.minute, value.second, value.microsecond * 1000)


def java_local_date_time(value: Any) -> str:
    """``java.time.LocalDateTime.toString``.

    Seconds are dropped when seconds and fraction are zero, and the fraction is printed in
    groups of three digits: ``2020-10-10T00:00``, ``2020-10-10T00:00:04.999``.
    """
    if not isinstance(value, datetime.datetime):
        value = datetime.datetime(value.year, value.month, value.day)
    return java_local_date(value) + "T" + java_local_time(value)


def _instant_parts(value: Any) -> Tuple[datetime.datetime, int]:
    """Returns (UTC datetime truncated to the second, nanos of second) for an instant value."""
    if isinstance(value, datetime.datetime):
        if value.tzinfo is not None:
            value = value.astimezone(datetime.timezone.utc)
        nanos = value.microsecond * 1000
        value = value.replace(microsecond=0, tzinfo=None)
        return value, nanos
    if hasattr(value, "seconds") and hasattr(value, "nanos"):
        seconds, nanos = int(value.seconds), int(value.nanos)
    elif isinstance(value, int) and not isinstance(value, bool):
        seconds, millis = divmod(value, 1000)
        nanos = millis * 1_000_000
    else:
        raise TypeError("not an instant value: %r" % (value,))
    moment = _EPOCH_UTC + datetime.timedelta(seconds=seconds)
    return moment.replace(tzinfo=None), nanos


def java_instant(value: Any) -> str:
    """``java.time.Instant.toString`` (ISO-8601 in UTC, seconds always printed).

    Accepts an ``oxflow.common.time.Instant`` (anything with ``seconds`` and ``nanos``), a
    ``datetime`` (naive values are taken as UTC) or epoch milliseconds as an ``int``.
    ``Instant.of_epoch_milli(0)`` -> ``1970-01-01T00:00:00Z``.
    """
    moment, nanos = _instant_parts(value)
    return "%sT%02d:%02d:%02d%sZ" % (java_local_date(moment), moment.hour, moment.minute,
                                     moment.second, _fraction(nanos))


def java_sql_date(value: datetime.date) -> str:
    """``java.sql.Date.toString``: ``2020-10-10``."""
    return "%04d-%02d-%02d" % (value.year, value.month, value.day)


def java_sql_time(value: Any) -> str:
    """``java.sql.Time.toString``: always ``HH:mm:ss``, no fraction."""
    return "%02d:%02d:%02d" % (value.hour, value.minute, value.second)


def java_sql_timestamp(value: Any) -> str:
    """``java.sql.Timestamp.toString``: ``yyyy-mm-dd hh:mm:ss.f...``.

    The nanosecond fraction keeps at least one digit and drops trailing zeros:
    ``2020-10-10 00:00:00.0``, ``2020-10-10 00:00:04.999``.
    """
    if not isinstance(value, datetime.datetime):
        value = datetime.datetime(value.year, value.month, value.day)
    fraction = ("%09d" % (value.microsecond * 1000)).rstrip("0") or "0"
    return "%s %02d:%02d:%02d.%s" % (java_sql_date(value), value.hour, value.minute,
                                     value.second, fraction)
