"""Windows, as ``pyflink.datastream.window``: window types, assigners and triggers.

Assigners and built-in triggers run in the Rust core; these classes describe them.
"""

from __future__ import annotations

import abc
from enum import Enum
from typing import Any, Callable, Optional, Tuple, Union

from ..common.time import Duration, Time

__all__ = [
    "Window",
    "TimeWindow",
    "CountWindow",
    "GlobalWindow",
    "WindowAssigner",
    "MergingWindowAssigner",
    "TumblingEventTimeWindows",
    "TumblingProcessingTimeWindows",
    "SlidingEventTimeWindows",
    "SlidingProcessingTimeWindows",
    "EventTimeSessionWindows",
    "ProcessingTimeSessionWindows",
    "DynamicEventTimeSessionWindows",
    "DynamicProcessingTimeSessionWindows",
    "SessionWindowTimeGapExtractor",
    "GlobalWindows",
    "CountTumblingWindowAssigner",
    "CountSlidingWindowAssigner",
    "Trigger",
    "TriggerResult",
    "EventTimeTrigger",
    "ProcessingTimeTrigger",
    "CountTrigger",
    "PurgingTrigger",
    "ContinuousEventTimeTrigger",
    "ContinuousProcessingTimeTrigger",
    "NeverTrigger",
]

MAX_LONG = 2**63 - 1


def _ms(value: Union[Time, Duration, int], what: str) -> int:
    # PyFlink takes Time; a Duration (Flink 2.x's Java API) is accepted too.
    if isinstance(value, (Time, Duration)):
        return value.to_milliseconds()
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    raise TypeError("%s must be a Time, a Duration or int milliseconds, got %r" % (what, value))


class Window(abc.ABC):
    @abc.abstractmethod
    def max_timestamp(self) -> int:
        pass


class TimeWindow(Window):
    """The time interval ``[start, end)``."""

    def __init__(self, start: int, end: int):
        self.start = start
        self.end = end

    def max_timestamp(self) -> int:
        return self.end - 1

    def intersects(self, other: "TimeWindow") -> bool:
        return self.start <= other.end and self.end >= other.start

    def cover(self, other: "TimeWindow") -> "TimeWindow":
        return TimeWindow(min(self.start, other.start), max(self.end, other.end))

    @staticmethod
    def get_window_start_with_offset(timestamp: int, offset: int, window_size: int) -> int:
        remainder = (timestamp - offset) % window_size
        return timestamp - remainder

    def __eq__(self, other: Any) -> bool:
        return isinstance(other, TimeWindow) and (self.start, self.end) == (other.start, other.end)

    def __hash__(self) -> int:
        return hash((self.start, self.end))

    def __repr__(self) -> str:
        return "TimeWindow(start=%d, end=%d)" % (self.start, self.end)


class CountWindow(Window):
    def __init__(self, id: int):
        self.id = id

    def max_timestamp(self) -> int:
        return MAX_LONG

    def __eq__(self, other: Any) -> bool:
        return isinstance(other, CountWindow) and other.id == self.id

    def __hash__(self) -> int:
        return hash(self.id)

    def __repr__(self) -> str:
        return "CountWindow(id=%d)" % self.id


class GlobalWindow(Window):
    _instance: Optional["GlobalWindow"] = None

    @staticmethod
    def get() -> "GlobalWindow":
        if GlobalWindow._instance is None:
            GlobalWindow._instance = GlobalWindow()
        return GlobalWindow._instance

    def max_timestamp(self) -> int:
        return MAX_LONG

    def __eq__(self, other: Any) -> bool:
        return isinstance(other, GlobalWindow)

    def __hash__(self) -> int:
        return 0

    def __repr__(self) -> str:
        return "GlobalWindow"


class TriggerResult(Enum):
    CONTINUE = (False, False)
    FIRE_AND_PURGE = (True, True)
    FIRE = (True, False)
    PURGE = (False, True)

    def is_fire(self) -> bool:
        return self.value[0]

    def is_purge(self) -> bool:
        return self.value[1]


class Trigger:
    """When a window fires and when it is purged. Subclass it for your own trigger (its methods
    return a :class:`TriggerResult`); the built-in triggers below run in Rust."""

    class TriggerContext(abc.ABC):
        """Time, timers and per-window state of the current key and window."""

        @abc.abstractmethod
        def get_current_processing_time(self) -> int:
            pass

        @abc.abstractmethod
        def get_current_watermark(self) -> int:
            pass

        @abc.abstractmethod
        def register_processing_time_timer(self, time: int) -> None:
            pass

        @abc.abstractmethod
        def register_event_time_timer(self, time: int) -> None:
            pass

        @abc.abstractmethod
        def delete_processing_time_timer(self, time: int) -> None:
            pass

        @abc.abstractmethod
        def delete_event_time_timer(self, time: int) -> None:
            pass

        @abc.abstractmethod
        def get_partitioned_state(self, state_descriptor: Any) -> Any:
            """State of the current key and window (Value, List, Reducing...)."""

        def get_metric_group(self) -> Any:
            raise NotImplementedError("metric groups are not supported yet")

    class OnMergeContext(TriggerContext):
        @abc.abstractmethod
        def merge_partitioned_state(self, state_descriptor: Any) -> None:
            """Merges the state of the merged windows into the new window's."""

    def on_element(self, element: Any, timestamp: int, window: Any, ctx: "Trigger.TriggerContext") -> TriggerResult:
        raise NotImplementedError("%s.on_element" % type(self).__name__)

    def on_processing_time(self, time: int, window: Any, ctx: "Trigger.TriggerContext") -> TriggerResult:
        raise NotImplementedError("%s.on_processing_time" % type(self).__name__)

    def on_event_time(self, time: int, window: Any, ctx: "Trigger.TriggerContext") -> TriggerResult:
        raise NotImplementedError("%s.on_event_time" % type(self).__name__)

    def can_merge(self) -> bool:
        return False

    def on_merge(self, window: Any, ctx: "Trigger.OnMergeContext") -> None:
        raise NotImplementedError("This trigger does not support merging.")

    def clear(self, window: Any, ctx: "Trigger.TriggerContext") -> None:
        """The window is discarded: delete its timers and state."""

    def open(self, runtime_context: Any) -> None:
        pass

    def close(self) -> None:
        pass

    def _spec(self) -> Tuple[Any, ...]:
        from ._runtime import TriggerSpec

        for method in ("on_element", "on_processing_time", "on_event_time"):
            if getattr(type(self), method) is getattr(Trigger, method):
                raise TypeError("%s must implement %s" % (type(self).__name__, method))
        return ("python", TriggerSpec(self, None, {}))


class EventTimeTrigger(Trigger):
    @staticmethod
    def create() -> "EventTimeTrigger":
        return EventTimeTrigger()

    def _spec(self) -> Tuple[Any, ...]:
        return ("event_time",)


class ProcessingTimeTrigger(Trigger):
    @staticmethod
    def create() -> "ProcessingTimeTrigger":
        return ProcessingTimeTrigger()

    def _spec(self) -> Tuple[Any, ...]:
        return ("processing_time",)


class CountTrigger(Trigger):
    def __init__(self, count: int):
        if count < 1:
            raise ValueError("CountTrigger needs a count >= 1, got %r" % (count,))
        self._count = count

    @staticmethod
    def of(count: int) -> "CountTrigger":
        return CountTrigger(count)

    def _spec(self) -> Tuple[Any, ...]:
        return ("count", self._count)


class PurgingTrigger(Trigger):
    def __init__(self, nested_trigger: Trigger):
        self._nested = nested_trigger

    @staticmethod
    def of(nested_trigger: Trigger) -> "PurgingTrigger":
        return PurgingTrigger(nested_trigger)

    def _spec(self) -> Tuple[Any, ...]:
        return ("purging", self._nested._spec())


class ContinuousEventTimeTrigger(Trigger):
    def __init__(self, interval: int):
        self._interval = interval

    @staticmethod
    def of(interval: Union[Time, int]) -> "ContinuousEventTimeTrigger":
        return ContinuousEventTimeTrigger(_ms(interval, "interval"))

    def _spec(self) -> Tuple[Any, ...]:
        return ("continuous_event_time", self._interval)


class ContinuousProcessingTimeTrigger(Trigger):
    def __init__(self, interval: int):
        self._interval = interval

    @staticmethod
    def of(interval: Union[Time, int]) -> "ContinuousProcessingTimeTrigger":
        return ContinuousProcessingTimeTrigger(_ms(interval, "interval"))

    def _spec(self) -> Tuple[Any, ...]:
        return ("continuous_processing_time", self._interval)


class NeverTrigger(Trigger):
    @staticmethod
    def create() -> "NeverTrigger":
        return NeverTrigger()

    def _spec(self) -> Tuple[Any, ...]:
        return ("never",)


class WindowAssigner(abc.ABC):
    """Assigns elements to windows. The built-in assigners run in Rust."""

    @abc.abstractmethod
    def _spec(self) -> Tuple[Any, ...]:
        pass

    def is_event_time(self) -> bool:
        return self._spec()[0].endswith("_event_time") or self._spec()[0] == "dynamic_session_event_time"

    def _gap_extractor(self) -> Optional[Callable[[Any], int]]:
        return None


class MergingWindowAssigner(WindowAssigner):
    pass


class TumblingEventTimeWindows(WindowAssigner):
    def __init__(self, size: int, offset: int = 0):
        if size <= 0 or abs(offset) >= size:
            raise ValueError("TumblingEventTimeWindows needs 0 <= |offset| < size, got size %d offset %d" % (size, offset))
        self._size, self._offset = size, offset

    @staticmethod
    def of(size: Union[Time, int], offset: Union[Time, int, None] = None) -> "TumblingEventTimeWindows":
        return TumblingEventTimeWindows(_ms(size, "size"), _ms(offset, "offset") if offset is not None else 0)

    def _spec(self) -> Tuple[Any, ...]:
        return ("tumbling_event_time", self._size, self._offset)


class TumblingProcessingTimeWindows(TumblingEventTimeWindows):
    @staticmethod
    def of(size: Union[Time, int], offset: Union[Time, int, None] = None) -> "TumblingProcessingTimeWindows":
        return TumblingProcessingTimeWindows(_ms(size, "size"), _ms(offset, "offset") if offset is not None else 0)

    def _spec(self) -> Tuple[Any, ...]:
        return ("tumbling_processing_time", self._size, self._offset)


class SlidingEventTimeWindows(WindowAssigner):
    def __init__(self, size: int, slide: int, offset: int = 0):
        if size <= 0 or slide <= 0 or abs(offset) >= slide:
            raise ValueError("SlidingEventTimeWindows needs size > 0, slide > 0 and |offset| < slide")
        self._size, self._slide, self._offset = size, slide, offset

    @staticmethod
    def of(size: Union[Time, int], slide: Union[Time, int], offset: Union[Time, int, None] = None) -> "SlidingEventTimeWindows":
        return SlidingEventTimeWindows(_ms(size, "size"), _ms(slide, "slide"), _ms(offset, "offset") if offset is not None else 0)

    def _spec(self) -> Tuple[Any, ...]:
        return ("sliding_event_time", self._size, self._slide, self._offset)


class SlidingProcessingTimeWindows(SlidingEventTimeWindows):
    @staticmethod
    def of(size: Union[Time, int], slide: Union[Time, int], offset: Union[Time, int, None] = None) -> "SlidingProcessingTimeWindows":
        return SlidingProcessingTimeWindows(_ms(size, "size"), _ms(slide, "slide"), _ms(offset, "offset") if offset is not None else 0)

    def _spec(self) -> Tuple[Any, ...]:
        return ("sliding_processing_time", self._size, self._slide, self._offset)


class SessionWindowTimeGapExtractor(abc.ABC):
    """The session gap (ms) that follows an element, for dynamic session windows."""

    @abc.abstractmethod
    def extract(self, element: Any) -> int:
        pass


class EventTimeSessionWindows(MergingWindowAssigner):
    def __init__(self, gap: int):
        if gap <= 0:
            raise ValueError("a session gap must be positive, got %d" % gap)
        self._gap = gap

    @staticmethod
    def with_gap(size: Union[Time, int]) -> "EventTimeSessionWindows":
        return EventTimeSessionWindows(_ms(size, "gap"))

    @staticmethod
    def with_dynamic_gap(extractor: Any) -> "DynamicEventTimeSessionWindows":
        return DynamicEventTimeSessionWindows(extractor)

    def _spec(self) -> Tuple[Any, ...]:
        return ("session_event_time", self._gap)


class ProcessingTimeSessionWindows(MergingWindowAssigner):
    def __init__(self, gap: int):
        if gap <= 0:
            raise ValueError("a session gap must be positive, got %d" % gap)
        self._gap = gap

    @staticmethod
    def with_gap(size: Union[Time, int]) -> "ProcessingTimeSessionWindows":
        return ProcessingTimeSessionWindows(_ms(size, "gap"))

    @staticmethod
    def with_dynamic_gap(extractor: Any) -> "DynamicProcessingTimeSessionWindows":
        return DynamicProcessingTimeSessionWindows(extractor)

    def _spec(self) -> Tuple[Any, ...]:
        return ("session_processing_time", self._gap)


def _gap_function(extractor: Any) -> Callable[[Any], int]:
    if isinstance(extractor, SessionWindowTimeGapExtractor):
        return extractor.extract
    if callable(extractor):
        return extractor
    raise TypeError("expected a SessionWindowTimeGapExtractor, got %r" % (extractor,))


class DynamicEventTimeSessionWindows(MergingWindowAssigner):
    def __init__(self, extractor: Any):
        self._extract = _gap_function(extractor)

    @staticmethod
    def with_dynamic_gap(extractor: Any) -> "DynamicEventTimeSessionWindows":
        return DynamicEventTimeSessionWindows(extractor)

    def _spec(self) -> Tuple[Any, ...]:
        return ("dynamic_session_event_time",)

    def _gap_extractor(self) -> Optional[Callable[[Any], int]]:
        return self._extract


class DynamicProcessingTimeSessionWindows(DynamicEventTimeSessionWindows):
    @staticmethod
    def with_dynamic_gap(extractor: Any) -> "DynamicProcessingTimeSessionWindows":
        return DynamicProcessingTimeSessionWindows(extractor)

    def _spec(self) -> Tuple[Any, ...]:
        return ("dynamic_session_processing_time",)


class GlobalWindows(WindowAssigner):
    """One window per key holding every element; fires only with a trigger (default: never)."""

    @staticmethod
    def create() -> "GlobalWindows":
        return GlobalWindows()

    def _spec(self) -> Tuple[Any, ...]:
        return ("global",)


class CountTumblingWindowAssigner(WindowAssigner):
    """``count_window(size)``: fires with every ``size`` elements of a key."""

    def __init__(self, window_size: int):
        if window_size < 1:
            raise ValueError("a count window needs a size >= 1")
        self._size = window_size

    @staticmethod
    def of(window_size: int) -> "CountTumblingWindowAssigner":
        return CountTumblingWindowAssigner(window_size)

    def _spec(self) -> Tuple[Any, ...]:
        return ("count_tumbling", self._size)


class CountSlidingWindowAssigner(WindowAssigner):
    """``count_window(size, slide)``: fires every ``slide`` elements with the last ``size``."""

    def __init__(self, window_size: int, window_slide: int):
        if window_size < 1 or window_slide < 1:
            raise ValueError("a count window needs a size and slide >= 1")
        self._size, self._slide = window_size, window_slide

    @staticmethod
    def of(window_size: int, window_slide: int) -> "CountSlidingWindowAssigner":
        return CountSlidingWindowAssigner(window_size, window_slide)

    def _spec(self) -> Tuple[Any, ...]:
        return ("count_sliding", self._size, self._slide)
