"""Time values: ``Time`` (window sizes, TTLs), ``Duration`` (watermarks, timeouts) and ``Instant``.

Mirrors ``pyflink.common.time``.
"""

from typing import Any

__all__ = ["Time", "Duration", "Instant"]

_NANOS_PER_MILLI = 1_000_000
_NANOS_PER_SECOND = 1_000_000_000
_MILLIS_PER_SECOND = 1000
_MILLIS_PER_MINUTE = 60 * _MILLIS_PER_SECOND
_MILLIS_PER_HOUR = 60 * _MILLIS_PER_MINUTE
_MILLIS_PER_DAY = 24 * _MILLIS_PER_HOUR


def _trunc_div(a: int, b: int) -> int:
    """Integer division truncating towards zero, like Java's ``/``."""
    q = abs(a) // abs(b)
    return q if (a >= 0) == (b >= 0) else -q


def _trunc_mod(a: int, b: int) -> int:
    """Remainder with the sign of the dividend, like Java's ``%``."""
    return a - b * _trunc_div(a, b)


def _as_int(value: Any, what: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        if isinstance(value, float) and value.is_integer():
            return int(value)
        raise TypeError("%s must be an integer, got %r" % (what, value))
    return value


class Time(object):
    """A time interval with millisecond precision, e.g. ``Time.seconds(5)``.

    Used as the size of windows, the gap of session windows, trigger intervals and state TTLs.
    """

    __slots__ = ("_milliseconds",)

    def __init__(self, milliseconds: int):
        self._milliseconds = _as_int(milliseconds, "milliseconds")

    def to_milliseconds(self) -> int:
        """Returns the interval in milliseconds."""
        return self._milliseconds

    @staticmethod
    def milliseconds(milliseconds: int) -> "Time":
        """Creates a ``Time`` of the given number of milliseconds."""
        return Time(_as_int(milliseconds, "milliseconds"))

    @staticmethod
    def seconds(seconds: int) -> "Time":
        """Creates a ``Time`` of the given number of seconds."""
        return Time(_as_int(seconds, "seconds") * _MILLIS_PER_SECOND)

    @staticmethod
    def minutes(minutes: int) -> "Time":
        """Creates a ``Time`` of the given number of minutes."""
        return Time(_as_int(minutes, "minutes") * _MILLIS_PER_MINUTE)

    @staticmethod
    def hours(hours: int) -> "Time":
        """Creates a ``Time`` of the given number of hours."""
        return Time(_as_int(hours, "hours") * _MILLIS_PER_HOUR)

    @staticmethod
    def days(days: int) -> "Time":
        """Creates a ``Time`` of the given number of days."""
        return Time(_as_int(days, "days") * _MILLIS_PER_DAY)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Time) and self._milliseconds == other._milliseconds

    def __hash__(self) -> int:
        return hash(("Time", self._milliseconds))

    def __repr__(self) -> str:
        return "Time(milliseconds=%d)" % self._milliseconds

    def __reduce__(self):
        return Time, (self._milliseconds,)


class Duration(object):
    """A time-based amount with nanosecond precision, like ``java.time.Duration``.

    Used by ``WatermarkStrategy.for_bounded_out_of_orderness``, idleness, checkpoint timeouts...
    """

    __slots__ = ("_nanos",)

    def __init__(self, nanos: int = 0):
        self._nanos = _as_int(nanos, "nanos")

    @staticmethod
    def of_nanos(nanos: int) -> "Duration":
        """A duration of ``nanos`` nanoseconds."""
        return Duration(_as_int(nanos, "nanos"))

    @staticmethod
    def of_millis(millis: int) -> "Duration":
        """A duration of ``millis`` milliseconds."""
        return Duration(_as_int(millis, "millis") * _NANOS_PER_MILLI)

    @staticmethod
    def of_seconds(seconds: int) -> "Duration":
        """A duration of ``seconds`` seconds."""
        return Duration(_as_int(seconds, "seconds") * _NANOS_PER_SECOND)

    @staticmethod
    def of_minutes(minutes: int) -> "Duration":
        """A duration of ``minutes`` minutes."""
        return Duration(_as_int(minutes, "minutes") * 60 * _NANOS_PER_SECOND)

    @staticmethod
    def of_hours(hours: int) -> "Duration":
        """A duration of ``hours`` hours."""
        return Duration(_as_int(hours, "hours") * 3600 * _NANOS_PER_SECOND)

    @staticmethod
    def of_days(days: int) -> "Duration":
        """A duration of ``days`` days (24 hours each)."""
        return Duration(_as_int(days, "days") * 86400 * _NANOS_PER_SECOND)

    def to_nanos(self) -> int:
        """Returns the duration in nanoseconds."""
        return self._nanos

    def to_milliseconds(self) -> int:
        """Returns the duration in milliseconds (floored, like Java's ``toMillis``)."""
        return self._nanos // _NANOS_PER_MILLI

    to_millis = to_milliseconds

    def get_seconds(self) -> int:
        """Whole seconds of this duration (floored, like Java's ``getSeconds``)."""
        return self._nanos // _NANOS_PER_SECOND

    def get_nano(self) -> int:
        """Nanosecond adjustment within the second (0..999,999,999)."""
        return self._nanos % _NANOS_PER_SECOND

    def is_zero(self) -> bool:
        """True for a zero-length duration."""
        return self._nanos == 0

    def is_negative(self) -> bool:
        """True when the duration is below zero."""
        return self._nanos < 0

    def to_string(self) -> str:
        """ISO-8601 form as Java's ``Duration.toString`` prints it, e.g. ``PT1M30S``."""
        if self._nanos == 0:
            return "PT0S"
        seconds, nano = self.get_seconds(), self.get_nano()
        effective = seconds + 1 if (seconds < 0 and nano > 0) else seconds
        hours = _trunc_div(effective, 3600)
        minutes = _trunc_div(_trunc_mod(effective, 3600), 60)
        secs = _trunc_mod(effective, 60)
        out = "PT"
        if hours:
            out += "%dH" % hours
        if minutes:
            out += "%dM" % minutes
        if secs == 0 and nano == 0 and len(out) > 2:
            return out
        out += "-0" if (seconds < 0 and nano > 0 and secs == 0) else str(secs)
        if nano > 0:
            fraction = 2 * _NANOS_PER_SECOND - nano if seconds < 0 else nano + _NANOS_PER_SECOND
            out += "." + str(fraction)[1:].rstrip("0")
        return out + "S"

    def __str__(self) -> str:
        return self.to_string()

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Duration) and self._nanos == other._nanos

    def __lt__(self, other: "Duration") -> bool:
        if not isinstance(other, Duration):
            return NotImplemented
        return self._nanos < other._nanos

    def __hash__(self) -> int:
        return hash(("Duration", self._nanos))

    def __repr__(self) -> str:
        return "Duration(%s)" % self.to_string()

    def __reduce__(self):
        return Duration, (self._nanos,)


class Instant(object):
    """An instantaneous point on the time line: seconds and nanoseconds since the epoch (UTC)."""

    __slots__ = ("seconds", "nanos")

    def __init__(self, seconds: int, nanos: int):
        seconds = _as_int(seconds, "seconds")
        nanos = _as_int(nanos, "nanos")
        extra, nanos = divmod(nanos, _NANOS_PER_SECOND)
        self.seconds = seconds + extra
        self.nanos = nanos

    @staticmethod
    def of_epoch_milli(epoch_milli: int) -> "Instant":
        """The instant ``epoch_milli`` milliseconds after 1970-01-01T00:00:00Z."""
        seconds, millis = divmod(_as_int(epoch_milli, "epoch_milli"), _MILLIS_PER_SECOND)
        return Instant(seconds, millis * _NANOS_PER_MILLI)

    @staticmethod
    def of_epoch_second(epoch_second: int, nano_adjustment: int = 0) -> "Instant":
        """The instant ``epoch_second`` seconds (plus ``nano_adjustment`` ns) after the epoch."""
        return Instant(epoch_second, nano_adjustment)

    def to_epoch_milli(self) -> int:
        """Milliseconds since the epoch (floored)."""
        return self.seconds * _MILLIS_PER_SECOND + self.nanos // _NANOS_PER_MILLI

    def get_epoch_second(self) -> int:
        """Whole seconds since the epoch."""
        return self.seconds

    def get_nano(self) -> int:
        """Nanoseconds within the second."""
        return self.nanos

    def to_string(self) -> str:
        """ISO-8601 form as Java's ``Instant.toString`` prints it, e.g. ``1970-01-01T00:00:00Z``."""
        from ._java_format import java_instant
        return java_instant(self)

    def __eq__(self, other: object) -> bool:
        return (isinstance(other, Instant) and self.seconds == other.seconds
                and self.nanos == other.nanos)

    def __lt__(self, other: "Instant") -> bool:
        if not isinstance(other, Instant):
            return NotImplemented
        return (self.seconds, self.nanos) < (other.seconds, other.nanos)

    def __hash__(self) -> int:
        return hash(("Instant", self.seconds, self.nanos))

    def __repr__(self) -> str:
        return "Instant<%d, %d>" % (self.seconds, self.nanos)

    def __reduce__(self):
        return Instant, (self.seconds, self.nanos)
