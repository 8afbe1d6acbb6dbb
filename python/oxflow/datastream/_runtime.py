"""What the native runtime calls to set up a user function in one parallel instance.

The job description carries a *function spec* per operator. When a task starts, the runtime calls
:func:`prepare` with the spec and the task's info; it returns ``(call, close, extra)``: the callable
invoked per element (or per batch, for sinks), what to call when the task ends, and an extra object
(a process function's context, or a sink's end-of-input callable).
"""

from __future__ import annotations

import copy
import queue
import threading
from typing import Any, Callable, Dict, List, Optional, Tuple

from .functions import (
    KeyedProcessFunction,
    KeyedStateStore,
    ProcessAllWindowFunction,
    ProcessFunction,
    ProcessWindowFunction,
    RuntimeContext,
    TimeDomain,
    TimerService,
)
from .window import CountWindow, GlobalWindow, TimeWindow

Prepared = Tuple[Callable[..., Any], Optional[Callable[[], Any]], Any]


def prepare(spec: "FunctionSpec", task_info: Dict[str, Any], keyed_state: Any = None) -> Prepared:
    return spec.prepare(task_info, keyed_state)


def _own_copy(function: Any) -> Any:
    """Each parallel instance works on its own copy of a stateful function object, as if it had
    been shipped to a worker. Objects that cannot be copied (holding locks, sockets...) are shared."""
    try:
        return copy.deepcopy(function)
    except Exception:
        return function


class FunctionSpec:
    """A user function: a plain callable, or a :class:`Function` and the method to call."""

    def __init__(self, function: Any, method: Optional[str], job_parameters: Dict[str, str]):
        self.function = function
        self.method = method
        self.job_parameters = job_parameters

    def _open(self, task_info: Dict[str, Any], keyed_state: Any = None) -> Any:
        instance = _own_copy(self.function)
        # Interfaces that are not Functions (TimestampAssigner, ...) have no open/close.
        if hasattr(instance, "open"):
            instance.open(RuntimeContext(task_info, self.job_parameters, keyed_state))
        return instance

    def prepare(self, task_info: Dict[str, Any], keyed_state: Any = None) -> Prepared:
        if self.method is None:
            return self.function, None, None
        instance = self._open(task_info, keyed_state)
        return getattr(instance, self.method), getattr(instance, "close", None), None


def processing_time(clock: Any) -> int:
    """The task's processing time: its clock (``task_info["clock"]``, which follows a job's
    ManualClock), or the wall clock where there is none."""
    if clock is not None:
        return clock.now()
    import time

    return int(time.time() * 1000)


class _NonKeyedTimerService(TimerService):
    """Timers need a key; on a non-keyed stream registering one raises, as in Flink."""

    def __init__(self, context: "_ProcessContext"):
        self._context = context

    def current_processing_time(self) -> int:
        return processing_time(getattr(self._context, "_clock", None))

    def current_watermark(self) -> int:
        return self._context._watermark

    # PyFlink raises plain Exceptions with these messages.
    def _no_timers(self, timestamp: int) -> None:
        raise Exception("Register timers is only supported on a keyed stream.")

    def _no_timer_deletion(self, timestamp: int) -> None:
        raise Exception("Deleting timers is only supported on a keyed stream.")

    register_processing_time_timer = register_event_time_timer = _no_timers
    delete_processing_time_timer = delete_event_time_timer = _no_timer_deletion


class _ProcessContext(ProcessFunction.Context):
    """The context object handed to ``process_element``; the runtime updates its fields."""

    def __init__(self, clock: Any = None) -> None:
        self._timestamp: Optional[int] = None
        self._watermark: int = -(2**63)
        self._key: Any = None
        self._clock = clock
        self._timers = _NonKeyedTimerService(self)

    def timestamp(self) -> Optional[int]:
        return self._timestamp

    def timer_service(self) -> TimerService:
        return self._timers


class ProcessFunctionSpec(FunctionSpec):
    def prepare(self, task_info: Dict[str, Any], keyed_state: Any = None) -> Prepared:
        instance = self._open(task_info)
        return instance.process_element, instance.close, _ProcessContext(task_info.get("clock"))


class _KeyedTimerService(TimerService):
    """Timers of the current key, kept by the keyed operator in Rust."""

    def __init__(self, handle: Any):
        self._handle = handle

    def current_processing_time(self) -> int:
        return self._handle.current_processing_time()

    def current_watermark(self) -> int:
        return self._handle.current_watermark()

    def register_processing_time_timer(self, timestamp: int) -> None:
        self._handle.timer(False, timestamp, True)

    def register_event_time_timer(self, timestamp: int) -> None:
        self._handle.timer(True, timestamp, True)

    def delete_processing_time_timer(self, timestamp: int) -> None:
        self._handle.timer(False, timestamp, False)

    def delete_event_time_timer(self, timestamp: int) -> None:
        self._handle.timer(True, timestamp, False)


class _KeyedContext(KeyedProcessFunction.OnTimerContext):
    """The context of ``process_element`` and ``on_timer``; the runtime updates its fields."""

    def __init__(self, handle: Any):
        self._handle = handle
        self._timestamp: Optional[int] = None
        self._event_time = True
        self._timers = _KeyedTimerService(handle)

    def timestamp(self) -> Optional[int]:
        return self._timestamp

    def timer_service(self) -> TimerService:
        return self._timers

    def get_current_key(self) -> Any:
        return self._handle.current_key()

    def time_domain(self) -> TimeDomain:
        return TimeDomain.EVENT_TIME if self._event_time else TimeDomain.PROCESSING_TIME


class KeyedProcessFunctionSpec(FunctionSpec):
    def prepare(self, task_info: Dict[str, Any], keyed_state: Any = None) -> Prepared:
        instance = self._open(task_info, keyed_state)
        context = _KeyedContext(keyed_state)
        on_timer = instance.on_timer if type(instance).on_timer is not KeyedProcessFunction.on_timer else None
        return instance.process_element, instance.close, (context, on_timer, context)


class PrintSpec(FunctionSpec):
    """Writes each value on its own line to a text stream (``sys.stdout`` when the job was built),
    formatted as Flink prints it, behind a ``N> `` prefix when the sink runs in parallel."""

    def __init__(self, stream: Any, formatter: Callable[[Any], str], identifier: Optional[str]):
        super().__init__(None, None, {})
        self.stream = stream
        self.formatter = formatter
        self.identifier = identifier

    def prepare(self, task_info: Dict[str, Any], keyed_state: Any = None) -> Prepared:
        if task_info["parallelism"] > 1:
            prefix = "%s%d> " % (self.identifier + ":" if self.identifier else "", task_info["subtask_index"] + 1)
        else:
            prefix = self.identifier + "> " if self.identifier else ""
        stream, fmt = self.stream, self.formatter

        def write(values: List[Any]) -> None:
            stream.write("".join([prefix + fmt(v) + "\n" for v in values]))
            stream.flush()

        return write, None, None


class CollectSpec(FunctionSpec):
    """Hands the sink's batches to a :class:`Collector` read by the caller."""

    def __init__(self, collector: "Collector", convert: Optional[Callable[[Any], Any]] = None):
        super().__init__(None, None, {})
        self.collector = collector
        # Applied to each value on its way to the caller (see oxflow.common._collected).
        self.convert = convert

    def prepare(self, task_info: Dict[str, Any], keyed_state: Any = None) -> Prepared:
        put, convert = self.collector.put, self.convert
        if convert is None:
            return put, None, self.collector.end
        return (lambda batch: put([convert(v) for v in batch])), None, self.collector.end


class CollectorClosed(Exception):
    """The reader of collected results went away; the job is being cancelled."""


_END = object()


class Collector:
    """A bounded queue of result batches between sink instances and the reading thread."""

    def __init__(self, writers: int, capacity: int = 64):
        self._queue: "queue.Queue[Any]" = queue.Queue(maxsize=capacity)
        self._writers = writers
        self._closed = threading.Event()
        # Set when the job runs on the reading thread: writers then hand batches over directly.
        self._inline: Optional[List[List[Any]]] = None

    def put(self, batch: List[Any]) -> None:
        if self._inline is not None:
            self._inline.append(batch)
        else:
            self._put(batch)

    def end(self) -> None:
        if self._inline is None:
            self._put(_END)

    def _put(self, item: Any) -> None:
        # Waiting in short slices lets a closed reader unblock the writer.
        while True:
            if self._closed.is_set():
                raise CollectorClosed("the result iterator was closed")
            try:
                self._queue.put(item, timeout=0.05)
                return
            except queue.Full:
                continue

    def close(self) -> None:
        self._closed.set()

    def batches(self, job: Any):
        """Yields batches until every writer ended; raises the job's failure."""
        if job.is_inline:
            # The job runs here: step it and hand over what each step collected.
            self._inline = pending = []
            while True:
                running = job.step()
                yield from pending
                pending.clear()
                if not running:
                    return
        ended = 0
        while ended < self._writers:
            try:
                item = self._queue.get(timeout=0.05)
            except queue.Empty:
                if job.wait(0):
                    # The job ended (or raised just now); drain what is left.
                    if self._queue.empty():
                        return
                continue
            if item is _END:
                ended += 1
            else:
                yield item


class KeyedFunctionSpec(FunctionSpec):
    """A map/flat_map/filter function object on a keyed stream, run by the keyed operator so that
    its ``open`` can create keyed state: adapted to the process-function calling convention."""

    def prepare(self, task_info: Dict[str, Any], keyed_state: Any = None) -> Prepared:
        instance = self._open(task_info, keyed_state)
        method = getattr(instance, self.method)
        if self.method == "map":
            call = lambda value, ctx: (method(value),)  # noqa: E731
        elif self.method == "flat_map":
            call = lambda value, ctx: method(value)  # noqa: E731
        else:
            call = lambda value, ctx: (value,) if method(value) else ()  # noqa: E731
        return call, instance.close, (_KeyedContext(keyed_state), None, None)


class AggregateFunctionSpec(FunctionSpec):
    """An AggregateFunction: the runtime calls its methods by name on the opened instance."""

    def prepare(self, task_info: Dict[str, Any], keyed_state: Any = None) -> Prepared:
        instance = self._open(task_info, keyed_state)
        return instance, instance.close, None


class _WindowContext(ProcessWindowFunction.Context):
    """``ProcessWindowFunction.Context`` of one firing (or cleanup, for ``clear``)."""

    def __init__(self, window: Any, watermark: int, processing_time: int, stores: Tuple[KeyedStateStore, KeyedStateStore]):
        self._window = window
        self._watermark = watermark
        self._processing_time = processing_time
        self._stores = stores

    def window(self) -> Any:
        return self._window

    def current_watermark(self) -> int:
        return self._watermark

    def current_processing_time(self) -> int:
        return self._processing_time

    def window_state(self) -> KeyedStateStore:
        return self._stores[1]

    def global_state(self) -> KeyedStateStore:
        return self._stores[0]


class _MergingWindowStateStore(KeyedStateStore):
    """``window_state()`` of merging windows: refused, as in PyFlink."""

    def _state(self, descriptor: Any, expected: str) -> Any:
        raise Exception("Per-window state is not allowed when using merging windows.")


def _window_object(window: Tuple[str, int, int]) -> Any:
    kind, a, b = window
    if kind == "time":
        return TimeWindow(a, b)
    if kind == "count":
        return CountWindow(a)
    return GlobalWindow.get()


class WindowFunctionSpec(FunctionSpec):
    """A window function called as ``call(key, window, watermark, processing_time, elements)`` by
    the runtime; adapted to the four PyFlink interfaces."""

    def __init__(self, function: Any, method: Optional[str], job_parameters: Dict[str, str], keyed: bool, with_context: bool, merging: bool = False):
        super().__init__(function, method, job_parameters)
        self.keyed = keyed
        self.with_context = with_context
        # Session windows: no per-window state (their windows merge).
        self.merging = merging

    def prepare(self, task_info: Dict[str, Any], keyed_state: Any = None) -> Prepared:
        # The runtime context's state is the key's state shared by all windows, as global_state().
        instance = self._open(task_info, keyed_state)
        keyed, with_context = self.keyed, self.with_context
        method = getattr(instance, self.method)
        per_window = _MergingWindowStateStore() if self.merging else KeyedStateStore(keyed_state.window_scoped())
        stores = (KeyedStateStore(keyed_state), per_window)

        def call(key: Any, window: Tuple[str, int, int], watermark: int, processing_time: int, elements: List[Any]) -> Any:
            w = _window_object(window)
            if with_context:
                context = _WindowContext(w, watermark, processing_time, stores)
                return method(key, context, elements) if keyed else method(context, elements)
            return method(key, w, elements) if keyed else method(w, elements)

        def clear(key: Any, window: Tuple[str, int, int], watermark: int, processing_time: int) -> None:
            instance.clear(_WindowContext(_window_object(window), watermark, processing_time, stores))

        # The runtime calls clear only when the function has its own.
        base = ProcessWindowFunction if keyed else ProcessAllWindowFunction
        overrides_clear = with_context and type(instance).clear is not base.clear
        return call, instance.close, clear if overrides_clear else None


class _TriggerContext:
    """``Trigger.OnMergeContext`` of a user trigger; valid during the call it is passed to."""

    def __init__(self, handle: Any):
        self._handle = handle

    def get_current_processing_time(self) -> int:
        return self._handle.current_processing_time()

    def get_current_watermark(self) -> int:
        return self._handle.current_watermark()

    def register_processing_time_timer(self, time: int) -> None:
        self._handle.timer(False, time, True)

    def register_event_time_timer(self, time: int) -> None:
        self._handle.timer(True, time, True)

    def delete_processing_time_timer(self, time: int) -> None:
        self._handle.timer(False, time, False)

    def delete_event_time_timer(self, time: int) -> None:
        self._handle.timer(True, time, False)

    def _register(self, descriptor: Any) -> int:
        merger = getattr(descriptor, "reduce_function", None)
        return self._handle.register_state(descriptor.name, None, False, False, merger)

    def get_partitioned_state(self, state_descriptor: Any) -> Any:
        from .state import (
            ListState,
            ListStateDescriptor,
            ReducingState,
            ReducingStateDescriptor,
            ValueState,
            ValueStateDescriptor,
        )

        state_id = self._register(state_descriptor)
        if isinstance(state_descriptor, ValueStateDescriptor):
            return ValueState(self._handle, state_id)
        if isinstance(state_descriptor, ListStateDescriptor):
            return ListState(self._handle, state_id)
        if isinstance(state_descriptor, ReducingStateDescriptor):
            return ReducingState(self._handle, state_id, state_descriptor.reduce_function)
        raise TypeError("triggers support Value, List and Reducing state, got %r" % (state_descriptor,))

    def merge_partitioned_state(self, state_descriptor: Any) -> None:
        self._handle.merge_state(self._register(state_descriptor))

    def get_metric_group(self) -> Any:
        raise NotImplementedError("metric groups are not supported yet")


class TriggerSpec(FunctionSpec):
    """A user-defined Trigger: the runtime calls its methods on the opened copy with a context
    whose native handle it points at the operator's trigger context for each call."""

    def prepare(self, task_info: Dict[str, Any], keyed_state: Any = None) -> Prepared:
        from .. import _native

        instance = self._open(task_info)
        handle = _native.TriggerContextHandle()
        return instance, instance.close, (_TriggerContext(handle), handle)
