"""User-defined function interfaces, as in ``pyflink.datastream.functions``.

Every function may override ``open(runtime_context)`` and ``close()``. Each parallel instance of an
operator works on its own copy of the function object.
"""

from __future__ import annotations

import abc
from enum import Enum
from typing import Any, Dict, Iterable, Optional

__all__ = [
    "CoMapFunction",
    "CoFlatMapFunction",
    "CoProcessFunction",
    "KeyedCoProcessFunction",
    "BroadcastProcessFunction",
    "KeyedBroadcastProcessFunction",
    "WindowFunction",
    "AllWindowFunction",
    "ProcessWindowFunction",
    "ProcessAllWindowFunction",
    "AggregateFunction",
    "KeyedProcessFunction",
    "TimeDomain",
    "Function",
    "MapFunction",
    "FlatMapFunction",
    "FilterFunction",
    "ReduceFunction",
    "KeySelector",
    "NullByteKeySelector",
    "ProcessFunction",
    "RuntimeContext",
    "TimerService",
]


class KeyedStateStore:
    """Creates the state objects of a keyed function (``get_state``, ``get_list_state``, ...):
    the runtime context's, or a window function's per-key and per-window state."""

    def __init__(self, keyed_state: Any = None):
        # The native state handle (None on non-keyed streams).
        self._keyed_state = keyed_state

    def _state(self, descriptor: Any, expected: str) -> Any:
        from . import state

        if not isinstance(descriptor, getattr(state, expected)):
            raise TypeError("expected a %s, got %r" % (expected, descriptor))
        if self._keyed_state is None:
            raise RuntimeError(
                "Keyed state can only be used on a 'keyed stream', i.e., after a 'key_by()' operation "
                "(state '%s')" % descriptor.name
            )
        return state.create_state(self._keyed_state, descriptor)

    def get_state(self, state_descriptor: Any) -> Any:
        """The ``ValueState`` of ``state_descriptor`` (a ValueStateDescriptor)."""
        return self._state(state_descriptor, "ValueStateDescriptor")

    def get_list_state(self, state_descriptor: Any) -> Any:
        """The ``ListState`` of ``state_descriptor`` (a ListStateDescriptor)."""
        return self._state(state_descriptor, "ListStateDescriptor")

    def get_map_state(self, state_descriptor: Any) -> Any:
        """The ``MapState`` of ``state_descriptor`` (a MapStateDescriptor)."""
        return self._state(state_descriptor, "MapStateDescriptor")

    def get_reducing_state(self, state_descriptor: Any) -> Any:
        """The ``ReducingState`` of ``state_descriptor`` (a ReducingStateDescriptor)."""
        return self._state(state_descriptor, "ReducingStateDescriptor")

    def get_aggregating_state(self, state_descriptor: Any) -> Any:
        """The ``AggregatingState`` of ``state_descriptor`` (an AggregatingStateDescriptor)."""
        return self._state(state_descriptor, "AggregatingStateDescriptor")


class RuntimeContext(KeyedStateStore):
    """Information about the parallel instance a function runs in, and its keyed state."""

    def __init__(self, task_info: Dict[str, Any], job_parameters: Optional[Dict[str, str]] = None, keyed_state: Any = None):
        super().__init__(keyed_state)
        self._info = task_info
        self._job_parameters = dict(job_parameters or {})

    def get_task_name(self) -> str:
        """The name of the task (the chain of operators this function runs in)."""
        return self._info["task_name"]

    def get_number_of_parallel_subtasks(self) -> int:
        return self._info["parallelism"]

    def get_max_number_of_parallel_subtasks(self) -> int:
        return self._info["max_parallelism"]

    def get_index_of_this_subtask(self) -> int:
        """This instance's index, from 0 to parallelism - 1."""
        return self._info["subtask_index"]

    def get_attempt_number(self) -> int:
        return self._info["attempt_number"]

    def get_task_name_with_subtasks(self) -> str:
        """The task name with the subtask, as Flink writes it: ``name (2/4)#0``."""
        return "%s (%d/%d)#%d" % (
            self.get_task_name(),
            self.get_index_of_this_subtask() + 1,
            self.get_number_of_parallel_subtasks(),
            self.get_attempt_number(),
        )

    def get_job_parameter(self, key: str, default_value: Optional[str] = None) -> Optional[str]:
        """A global job parameter (``env.get_config().set_global_job_parameters``)."""
        return self._job_parameters.get(key, default_value)


class Function(abc.ABC):
    """Base of all user-defined functions."""

    def open(self, runtime_context: RuntimeContext) -> None:
        """Called once per parallel instance before the first element."""

    def close(self) -> None:
        """Called once per parallel instance after the last element."""


class MapFunction(Function):
    """One output value per input value."""

    @abc.abstractmethod
    def map(self, value: Any) -> Any:
        pass


class FlatMapFunction(Function):
    """Any number of output values per input value: return an iterable or ``yield`` them."""

    @abc.abstractmethod
    def flat_map(self, value: Any) -> Optional[Iterable[Any]]:
        pass


class FilterFunction(Function):
    """Keeps the values for which ``filter`` returns true."""

    @abc.abstractmethod
    def filter(self, value: Any) -> bool:
        pass


class ReduceFunction(Function):
    """Combines two values of the same key into one."""

    @abc.abstractmethod
    def reduce(self, value1: Any, value2: Any) -> Any:
        pass


class KeySelector(Function):
    """Extracts the key of a value for ``key_by``."""

    @abc.abstractmethod
    def get_key(self, value: Any) -> Any:
        pass


class NullByteKeySelector(KeySelector):
    """Puts every value under the same key."""

    def get_key(self, value: Any) -> int:
        return 0


class TimerService(abc.ABC):
    """Time and timers of a process function."""

    @abc.abstractmethod
    def current_processing_time(self) -> int:
        pass

    @abc.abstractmethod
    def current_watermark(self) -> int:
        pass

    @abc.abstractmethod
    def register_processing_time_timer(self, timestamp: int) -> None:
        pass

    @abc.abstractmethod
    def register_event_time_timer(self, timestamp: int) -> None:
        pass

    @abc.abstractmethod
    def delete_processing_time_timer(self, timestamp: int) -> None:
        pass

    @abc.abstractmethod
    def delete_event_time_timer(self, timestamp: int) -> None:
        pass


class ProcessFunction(Function):
    """A low-level function seeing every element with its context; emits by ``yield``."""

    class Context(abc.ABC):
        """What ``process_element`` may know about the current element."""

        @abc.abstractmethod
        def timer_service(self) -> TimerService:
            pass

        @abc.abstractmethod
        def timestamp(self) -> Optional[int]:
            """The element's event timestamp in epoch milliseconds, or None."""

    @abc.abstractmethod
    def process_element(self, value: Any, ctx: "ProcessFunction.Context") -> Optional[Iterable[Any]]:
        pass


class TimeDomain(Enum):
    """Which clock fired a timer."""

    EVENT_TIME = 0
    PROCESSING_TIME = 1


class KeyedProcessFunction(Function):
    """Processes the elements of a keyed stream with keyed state and timers."""

    class Context(abc.ABC):
        @abc.abstractmethod
        def timer_service(self) -> TimerService:
            pass

        @abc.abstractmethod
        def timestamp(self) -> Optional[int]:
            pass

        @abc.abstractmethod
        def get_current_key(self) -> Any:
            pass

    class OnTimerContext(Context):
        @abc.abstractmethod
        def time_domain(self) -> TimeDomain:
            pass

    @abc.abstractmethod
    def process_element(self, value: Any, ctx: "KeyedProcessFunction.Context") -> Optional[Iterable[Any]]:
        pass

    def on_timer(self, timestamp: int, ctx: "KeyedProcessFunction.OnTimerContext") -> Optional[Iterable[Any]]:
        """Called when a registered timer fires; emits by ``yield``."""


class AggregateFunction(Function):
    """An incremental aggregation: values are added to an accumulator."""

    @abc.abstractmethod
    def create_accumulator(self) -> Any:
        pass

    @abc.abstractmethod
    def add(self, value: Any, accumulator: Any) -> Any:
        pass

    @abc.abstractmethod
    def get_result(self, accumulator: Any) -> Any:
        pass

    def merge(self, acc_a: Any, acc_b: Any) -> Any:
        raise NotImplementedError("%s.merge is needed by merging (session) windows" % type(self).__name__)


class WindowFunction(Function):
    """Called with all elements (or the pre-aggregated one) of a fired window of a key."""

    @abc.abstractmethod
    def apply(self, key: Any, window: Any, inputs: Iterable[Any]) -> Optional[Iterable[Any]]:
        pass


class AllWindowFunction(Function):
    """``WindowFunction`` of a non-keyed (``window_all``) stream."""

    @abc.abstractmethod
    def apply(self, window: Any, inputs: Iterable[Any]) -> Optional[Iterable[Any]]:
        pass


class ProcessWindowFunction(Function):
    """Called with all elements (or the pre-aggregated one) of a fired window, and its context."""

    class Context(abc.ABC):
        @abc.abstractmethod
        def window(self) -> Any:
            pass

        @abc.abstractmethod
        def current_processing_time(self) -> int:
            pass

        @abc.abstractmethod
        def current_watermark(self) -> int:
            pass

        @abc.abstractmethod
        def window_state(self) -> KeyedStateStore:
            """State of the current key in the firing window only. Remove it in
            :meth:`ProcessWindowFunction.clear`, called when the window is cleaned up."""

        @abc.abstractmethod
        def global_state(self) -> KeyedStateStore:
            """State of the current key shared by all its windows (the runtime context's state)."""

    @abc.abstractmethod
    def process(self, key: Any, context: "ProcessWindowFunction.Context", elements: Iterable[Any]) -> Optional[Iterable[Any]]:
        pass

    def clear(self, context: "ProcessWindowFunction.Context") -> None:
        """The window is being cleaned up (its end plus allowed lateness passed): remove what
        ``context.window_state()`` holds for it."""


class ProcessAllWindowFunction(Function):
    """``ProcessWindowFunction`` of a non-keyed (``window_all``) stream."""

    Context = ProcessWindowFunction.Context

    @abc.abstractmethod
    def process(self, context: "ProcessWindowFunction.Context", elements: Iterable[Any]) -> Optional[Iterable[Any]]:
        pass

    def clear(self, context: "ProcessWindowFunction.Context") -> None:
        """The window's state is being purged."""


class CoMapFunction(Function):
    """Maps the elements of two connected streams, each with its own method."""

    @abc.abstractmethod
    def map1(self, value: Any) -> Any:
        pass

    @abc.abstractmethod
    def map2(self, value: Any) -> Any:
        pass


class CoFlatMapFunction(Function):
    """Flat-maps the elements of two connected streams, each with its own method."""

    @abc.abstractmethod
    def flat_map1(self, value: Any) -> Optional[Iterable[Any]]:
        pass

    @abc.abstractmethod
    def flat_map2(self, value: Any) -> Optional[Iterable[Any]]:
        pass


class CoProcessFunction(Function):
    """Processes the elements of two connected (non-keyed) streams."""

    Context = ProcessFunction.Context

    @abc.abstractmethod
    def process_element1(self, value: Any, ctx: "ProcessFunction.Context") -> Optional[Iterable[Any]]:
        pass

    @abc.abstractmethod
    def process_element2(self, value: Any, ctx: "ProcessFunction.Context") -> Optional[Iterable[Any]]:
        pass


class KeyedCoProcessFunction(Function):
    """Processes the elements of two connected keyed streams with keyed state and timers."""

    Context = KeyedProcessFunction.Context
    OnTimerContext = KeyedProcessFunction.OnTimerContext

    @abc.abstractmethod
    def process_element1(self, value: Any, ctx: "KeyedProcessFunction.Context") -> Optional[Iterable[Any]]:
        pass

    @abc.abstractmethod
    def process_element2(self, value: Any, ctx: "KeyedProcessFunction.Context") -> Optional[Iterable[Any]]:
        pass

    def on_timer(self, timestamp: int, ctx: "KeyedProcessFunction.OnTimerContext") -> Optional[Iterable[Any]]:
        """Called when a registered timer fires; emits by ``yield``."""


class BaseBroadcastProcessFunction(Function):
    class BaseContext(abc.ABC):
        @abc.abstractmethod
        def timestamp(self) -> Optional[int]:
            pass

        @abc.abstractmethod
        def current_processing_time(self) -> int:
            pass

        @abc.abstractmethod
        def current_watermark(self) -> int:
            pass

    class Context(BaseContext):
        @abc.abstractmethod
        def get_broadcast_state(self, state_descriptor: Any) -> Any:
            """The writable broadcast state of ``state_descriptor`` (a MapStateDescriptor)."""

    class ReadOnlyContext(BaseContext):
        @abc.abstractmethod
        def get_broadcast_state(self, state_descriptor: Any) -> Any:
            """The read-only broadcast state of ``state_descriptor``."""


class BroadcastProcessFunction(BaseBroadcastProcessFunction):
    """Processes a non-keyed stream connected with a broadcast stream."""

    @abc.abstractmethod
    def process_element(self, value: Any, ctx: "BaseBroadcastProcessFunction.ReadOnlyContext") -> Optional[Iterable[Any]]:
        pass

    @abc.abstractmethod
    def process_broadcast_element(self, value: Any, ctx: "BaseBroadcastProcessFunction.Context") -> Optional[Iterable[Any]]:
        pass


class KeyedBroadcastProcessFunction(BaseBroadcastProcessFunction):
    """Processes a keyed stream connected with a broadcast stream; keyed state and timers."""

    @abc.abstractmethod
    def process_element(self, value: Any, ctx: "BaseBroadcastProcessFunction.ReadOnlyContext") -> Optional[Iterable[Any]]:
        pass

    @abc.abstractmethod
    def process_broadcast_element(self, value: Any, ctx: "BaseBroadcastProcessFunction.Context") -> Optional[Iterable[Any]]:
        pass

    def on_timer(self, timestamp: int, ctx: Any) -> Optional[Iterable[Any]]:
        """Called when a registered timer fires; emits by ``yield``."""
