"""The units and options of expression functions (``TimeIntervalUnit``, ``JsonType``, ...), as in
``pyflink.table.expression``."""

from enum import Enum

__all__ = ["TimeIntervalUnit", "TimePointUnit", "JsonType", "JsonExistsOnError", "JsonValueOnEmptyOrError", "JsonOnNull"]


class TimeIntervalUnit(Enum):
    """Units for working with time intervals (``extract``, ``floor``, ``ceil``)."""

    YEAR = "YEAR"
    YEAR_TO_MONTH = "YEAR TO MONTH"
    QUARTER = "QUARTER"
    MONTH = "MONTH"
    WEEK = "WEEK"
    DAY = "DAY"
    DAY_TO_HOUR = "DAY TO HOUR"
    DAY_TO_MINUTE = "DAY TO MINUTE"
    DAY_TO_SECOND = "DAY TO SECOND"
    HOUR = "HOUR"
    SECOND = "SECOND"
    HOUR_TO_MINUTE = "HOUR TO MINUTE"
    HOUR_TO_SECOND = "HOUR TO SECOND"
    MINUTE = "MINUTE"
    MINUTE_TO_SECOND = "MINUTE TO SECOND"


class TimePointUnit(Enum):
    """Units for working with points in time (``timestamp_diff``)."""

    YEAR = "YEAR"
    MONTH = "MONTH"
    DAY = "DAY"
    HOUR = "HOUR"
    MINUTE = "MINUTE"
    SECOND = "SECOND"
    QUARTER = "QUARTER"
    WEEK = "WEEK"
    MILLISECOND = "MILLISECOND"
    MICROSECOND = "MICROSECOND"


class JsonType(Enum):
    """Types of JSON values for ``is_json``."""

    VALUE = "VALUE"
    SCALAR = "SCALAR"
    ARRAY = "ARRAY"
    OBJECT = "OBJECT"


class JsonExistsOnError(Enum):
    """Behavior of ``json_exists`` on errors."""

    TRUE = "TRUE"
    FALSE = "FALSE"
    UNKNOWN = "UNKNOWN"
    ERROR = "ERROR"


class JsonValueOnEmptyOrError(Enum):
    """Behavior of ``json_value`` on an empty result or an error."""

    NULL = "NULL"
    ERROR = "ERROR"
    DEFAULT = "DEFAULT"


class JsonOnNull(Enum):
    """Behavior of ``json_object``/``json_array`` for NULL values."""

    NULL = "NULL"
    ABSENT = "ABSENT"
