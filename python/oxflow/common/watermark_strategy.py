"""``WatermarkStrategy`` and ``TimestampAssigner``, as ``pyflink.common.watermark_strategy``."""

from __future__ import annotations

import abc
from typing import Any, Optional

from .time import Duration

__all__ = ["WatermarkStrategy", "TimestampAssigner"]


class TimestampAssigner(abc.ABC):
    """Extracts an element's event time (epoch milliseconds)."""

    @abc.abstractmethod
    def extract_timestamp(self, value: Any, record_timestamp: int) -> int:
        """``record_timestamp`` is the element's previous timestamp (``Long.MIN_VALUE`` if none)."""


class WatermarkStrategy:
    """How event time is derived from elements and how far the watermark trails it."""

    def __init__(self, out_of_orderness_ms: Optional[int]):
        self._out_of_orderness_ms = out_of_orderness_ms
        self._timestamp_assigner: Optional[Any] = None
        self._idleness_ms: Optional[int] = None
        self._per_event = False

    @staticmethod
    def for_monotonous_timestamps() -> "WatermarkStrategy":
        """Timestamps only increase: the watermark is the largest timestamp seen minus 1 ms."""
        return WatermarkStrategy(0)

    @staticmethod
    def for_bounded_out_of_orderness(max_out_of_orderness: Duration) -> "WatermarkStrategy":
        """Elements may arrive up to ``max_out_of_orderness`` late."""
        if not isinstance(max_out_of_orderness, Duration):
            raise TypeError("expected a Duration (e.g. Duration.of_seconds(5)), got %r" % (max_out_of_orderness,))
        return WatermarkStrategy(max_out_of_orderness.to_milliseconds())

    @staticmethod
    def no_watermarks() -> "WatermarkStrategy":
        """No watermarks (event time only ends with a bounded input)."""
        return WatermarkStrategy(None)

    def _copy(self) -> "WatermarkStrategy":
        other = WatermarkStrategy(self._out_of_orderness_ms)
        other._timestamp_assigner = self._timestamp_assigner
        other._idleness_ms = self._idleness_ms
        other._per_event = self._per_event
        return other

    def with_timestamp_assigner(self, timestamp_assigner: Any) -> "WatermarkStrategy":
        """Use ``timestamp_assigner`` (a TimestampAssigner or a ``(value, record_ts) -> int``)."""
        if not isinstance(timestamp_assigner, TimestampAssigner) and not callable(timestamp_assigner):
            raise TypeError("expected a TimestampAssigner, got %r" % (timestamp_assigner,))
        other = self._copy()
        other._timestamp_assigner = timestamp_assigner
        return other

    def with_idleness(self, idle_timeout: Duration) -> "WatermarkStrategy":
        """Mark a source split idle after ``idle_timeout`` without elements."""
        other = self._copy()
        other._idleness_ms = idle_timeout.to_milliseconds()
        return other

    def with_per_event_emission(self) -> "WatermarkStrategy":
        """oxflow extension: emit the watermark after every element that advances it, instead of
        periodically. Makes late-data behaviour deterministic (tests, replays)."""
        other = self._copy()
        other._per_event = True
        return other

    def with_watermark_alignment(self, watermark_group: str, max_allowed_watermark_drift: Duration, update_interval: Optional[Duration] = None) -> "WatermarkStrategy":
        """Accepted for compatibility; sources are not aligned yet."""
        return self._copy()
