"""Group windows and over windows of the Table API, mirroring ``pyflink.table.window``.

Group windows render to Flink's group window functions: ``TUMBLE(`ts`, INTERVAL '1' MINUTE)``,
``HOP(`ts`, slide, size)`` and ``SESSION(`ts`, gap)``, their alias's ``.start``/``.end``/
``.rowtime``/``.proctime`` to ``TUMBLE_START(...)`` etc. Over windows render to the
``OVER (PARTITION BY ... ORDER BY ... ROWS|RANGE BETWEEN ... AND CURRENT ROW)`` clause.
"""

from typing import Any, List, Optional, Union

from .expression import Expression, _Column, _expr, _RenderContext
from .expressions import UNBOUNDED_RANGE

__all__ = [
    "GroupWindow", "Tumble", "TumbleWithSize", "TumbleWithSizeOnTime", "Session",
    "SessionWithGap", "SessionWithGapOnTime", "Slide", "SlideWithSize", "SlideWithSizeAndSlide",
    "SlideWithSizeAndSlideOnTime", "OverWindow", "Over", "OverWindowPartitioned",
    "OverWindowPartitionedOrdered", "OverWindowPartitionedOrderedPreceding",
]


def _field(value: Union[str, Expression]) -> Expression:
    return _Column(value) if isinstance(value, str) else value


def _alias_name(alias: Union[str, Expression]) -> str:
    if isinstance(alias, _Column):
        return alias._name
    if not isinstance(alias, str):
        raise TypeError("a window alias is a name, got %r" % (alias,))
    return alias


def _time_interval(value: Any, what: str) -> Expression:
    expr = _expr(value)
    if getattr(expr, "_kind", None) == "rows":
        raise ValueError("row-count %s windows (row_interval) cannot be expressed in Flink SQL; "
                         "use a time interval such as lit(10).minutes" % what)
    return expr


class GroupWindow(object):
    """A group window with an alias, for ``Table.window(...)``."""

    def __init__(self, function: str, time_field: Expression, alias: str,
                 intervals: List[Expression]):
        self._function = function  # TUMBLE, HOP or SESSION
        self._time_field = time_field
        self._alias = alias
        self._intervals = intervals  # [size] / [slide, size] / [gap], in SQL argument order

    def _args_sql(self, ctx: _RenderContext) -> str:
        return ", ".join(e._to_sql(ctx) for e in [self._time_field] + self._intervals)

    def _group_sql(self, ctx: _RenderContext) -> str:
        """The GROUP BY item, e.g. ``TUMBLE(`ts`, INTERVAL '1' MINUTE)``."""
        return "%s(%s)" % (self._function, self._args_sql(ctx))

    def _property_sql(self, prop: str, ctx: _RenderContext) -> str:
        """``START``/``END``/``ROWTIME``/``PROCTIME`` of the window, e.g. ``TUMBLE_END(...)``."""
        return "%s_%s(%s)" % (self._function, prop, self._args_sql(ctx))

    def __str__(self) -> str:
        return "%s AS %s" % (self._group_sql(_RenderContext()), self._alias)


class Tumble(object):
    """Tumbling (fixed-size, non-overlapping) windows: ``Tumble.over(lit(10).minutes)
    .on(col('rowtime')).alias('w')``."""

    @classmethod
    def over(cls, size: Expression) -> "TumbleWithSize":
        """The size of the windows, a time interval."""
        return TumbleWithSize(_time_interval(size, "tumbling"))


class TumbleWithSize(object):
    def __init__(self, size: Expression):
        self._size = size

    def on(self, time_field: Union[str, Expression]) -> "TumbleWithSizeOnTime":
        """The time attribute (rowtime or proctime) the windows are defined on."""
        return TumbleWithSizeOnTime(self._size, _field(time_field))


class TumbleWithSizeOnTime(object):
    def __init__(self, size: Expression, time_field: Expression):
        self._size = size
        self._time_field = time_field

    def alias(self, alias: Union[str, Expression]) -> GroupWindow:
        """The name by which group_by and select refer to the window."""
        return GroupWindow("TUMBLE", self._time_field, _alias_name(alias), [self._size])


class Slide(object):
    """Sliding (fixed-size, overlapping) windows: ``Slide.over(lit(10).minutes)
    .every(lit(5).minutes).on(col('rowtime')).alias('w')``."""

    @classmethod
    def over(cls, size: Expression) -> "SlideWithSize":
        """The size of the windows, a time interval."""
        return SlideWithSize(_time_interval(size, "sliding"))


class SlideWithSize(object):
    def __init__(self, size: Expression):
        self._size = size

    def every(self, slide: Expression) -> "SlideWithSizeAndSlide":
        """How often a window starts, a time interval."""
        return SlideWithSizeAndSlide(self._size, _time_interval(slide, "sliding"))


class SlideWithSizeAndSlide(object):
    def __init__(self, size: Expression, slide: Expression):
        self._size = size
        self._slide = slide

    def on(self, time_field: Union[str, Expression]) -> "SlideWithSizeAndSlideOnTime":
        """The time attribute (rowtime or proctime) the windows are defined on."""
        return SlideWithSizeAndSlideOnTime(self._size, self._slide, _field(time_field))


class SlideWithSizeAndSlideOnTime(object):
    def __init__(self, size: Expression, slide: Expression, time_field: Expression):
        self._size = size
        self._slide = slide
        self._time_field = time_field

    def alias(self, alias: Union[str, Expression]) -> GroupWindow:
        """The name by which group_by and select refer to the window."""
        # HOP takes the slide before the size
        return GroupWindow("HOP", self._time_field, _alias_name(alias), [self._slide, self._size])


class Session(object):
    """Session windows, closed after a gap of inactivity: ``Session.with_gap(lit(10).minutes)
    .on(col('rowtime')).alias('w')``."""

    @classmethod
    def with_gap(cls, gap: Expression) -> "SessionWithGap":
        """The gap of inactivity closing a session, a time interval."""
        return SessionWithGap(_time_interval(gap, "session"))


class SessionWithGap(object):
    def __init__(self, gap: Expression):
        self._gap = gap

    def on(self, time_field: Union[str, Expression]) -> "SessionWithGapOnTime":
        """The time attribute (rowtime or proctime) the windows are defined on."""
        return SessionWithGapOnTime(self._gap, _field(time_field))


class SessionWithGapOnTime(object):
    def __init__(self, gap: Expression, time_field: Expression):
        self._gap = gap
        self._time_field = time_field

    def alias(self, alias: Union[str, Expression]) -> GroupWindow:
        """The name by which group_by and select refer to the window."""
        return GroupWindow("SESSION", self._time_field, _alias_name(alias), [self._gap])


# --------------------------------------------------------------------------------------------
# Over windows
# --------------------------------------------------------------------------------------------

def _bound_kind(bound: Expression) -> str:
    return "ROWS" if getattr(bound, "_kind", None) == "rows" else "RANGE"


def _bound_sql(bound: Expression, direction: str, ctx: _RenderContext) -> str:
    name = getattr(bound, "_bound", None)
    if name is not None:
        return ("UNBOUNDED " + direction) if name.startswith("UNBOUNDED") else "CURRENT ROW"
    return "%s %s" % (bound._to_sql(ctx), direction)


class OverWindow(object):
    """An over window with an alias, for ``Table.over_window(...)``."""

    def __init__(self, alias: str, partition_by: List[Expression], order_by: Expression,
                 preceding: Optional[Expression] = None, following: Optional[Expression] = None):
        self._alias = alias
        self._partition_by = partition_by
        self._order_by = order_by
        self._preceding = UNBOUNDED_RANGE if preceding is None else preceding
        self._following = following
        current = getattr(following, "_bound", "").startswith("CURRENT")
        if following is not None and not current \
                and _bound_kind(following) != _bound_kind(self._preceding):
            raise ValueError("the preceding and following bounds of an over window must both "
                             "be row counts or both be time intervals")

    def _spec_sql(self, ctx: _RenderContext) -> str:
        """The window specification inside ``OVER (...)``."""
        parts = []
        if self._partition_by:
            parts.append("PARTITION BY " + ", ".join(e._to_sql(ctx) for e in self._partition_by))
        parts.append("ORDER BY " + self._order_by._to_sql(ctx))
        following = "CURRENT ROW" if self._following is None else \
            _bound_sql(self._following, "FOLLOWING", ctx)
        parts.append("%s BETWEEN %s AND %s" % (_bound_kind(self._preceding),
                                               _bound_sql(self._preceding, "PRECEDING", ctx),
                                               following))
        return " ".join(parts)

    def __str__(self) -> str:
        return "%s AS (%s)" % (self._alias, self._spec_sql(_RenderContext()))


class Over(object):
    """Over windows: ``Over.partition_by(col('a')).order_by(col('rowtime'))
    .preceding(row_interval(2)).alias('w')``."""

    @classmethod
    def order_by(cls, order_by: Union[str, Expression]) -> "OverWindowPartitionedOrdered":
        """The time attribute ordering the rows (no partitioning)."""
        return OverWindowPartitionedOrdered([], _field(order_by))

    @classmethod
    def partition_by(cls, *partition_by: Union[str, Expression]) -> "OverWindowPartitioned":
        """The partitioning keys."""
        return OverWindowPartitioned([_field(p) for p in partition_by])


class OverWindowPartitioned(object):
    def __init__(self, partition_by: List[Expression]):
        self._partition_by = partition_by

    def order_by(self, order_by: Union[str, Expression]) -> "OverWindowPartitionedOrdered":
        """The time attribute ordering the rows."""
        return OverWindowPartitionedOrdered(self._partition_by, _field(order_by))


class OverWindowPartitionedOrdered(object):
    def __init__(self, partition_by: List[Expression], order_by: Expression):
        self._partition_by = partition_by
        self._order_by = order_by

    def preceding(self, preceding: Any) -> "OverWindowPartitionedOrderedPreceding":
        """The start of the window: ``row_interval(n)``, a time interval, ``UNBOUNDED_ROW``,
        ``UNBOUNDED_RANGE``, ``CURRENT_ROW`` or ``CURRENT_RANGE``."""
        return OverWindowPartitionedOrderedPreceding(self._partition_by, self._order_by,
                                                     _expr(preceding))

    def alias(self, alias: Union[str, Expression]) -> OverWindow:
        """The name by which ``over(...)`` refers to the window (rows from the start)."""
        return OverWindow(_alias_name(alias), self._partition_by, self._order_by)


class OverWindowPartitionedOrderedPreceding(object):
    def __init__(self, partition_by: List[Expression], order_by: Expression,
                 preceding: Expression, following: Optional[Expression] = None):
        self._partition_by = partition_by
        self._order_by = order_by
        self._preceding = preceding
        self._following = following

    def following(self, following: Any) -> "OverWindowPartitionedOrderedPreceding":
        """The end of the window (``CURRENT_ROW``/``CURRENT_RANGE`` by default)."""
        return OverWindowPartitionedOrderedPreceding(self._partition_by, self._order_by,
                                                     self._preceding, _expr(following))

    def alias(self, alias: Union[str, Expression]) -> OverWindow:
        """The name by which ``over(...)`` refers to the window."""
        return OverWindow(_alias_name(alias), self._partition_by, self._order_by,
                          self._preceding, self._following)
