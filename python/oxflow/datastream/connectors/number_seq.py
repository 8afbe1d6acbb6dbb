"""``NumberSequenceSource``: the numbers of a range, read in parallel."""

from typing import Any, Dict

from ..connectors import Source

__all__ = ["NumberSequenceSource"]


class NumberSequenceSource(Source):
    """Emits every number from ``start`` to ``end``, both inclusive, as Flink's source of the
    same name; each parallel instance reads its own contiguous part of the range."""

    def __init__(self, start: int, end: int):
        if not isinstance(start, int) or not isinstance(end, int):
            raise TypeError("NumberSequenceSource needs int bounds, got %r and %r" % (start, end))
        if start > end:
            raise ValueError("NumberSequenceSource: start (%d) must not be greater than end (%d)" % (start, end))
        self._start = start
        self._end = end

    def _job_params(self) -> Dict[str, Any]:
        return {"start": self._start, "end": self._end}
