"""Function specs of two-input operators (``connect``): co-functions and broadcast functions.

The runtime sets ``ctx._input`` (0 or 1) before each call; the spec's callable dispatches to the
user's method for that input.
"""

from __future__ import annotations

from typing import Any, Dict, Iterator, Optional, Tuple

from ._runtime import FunctionSpec, Prepared, _KeyedContext, _NonKeyedTimerService, _ProcessContext, processing_time
from .functions import BaseBroadcastProcessFunction, KeyedBroadcastProcessFunction, KeyedCoProcessFunction


class CoFunctionSpec(FunctionSpec):
    """CoMapFunction (``map1``/``map2``), CoFlatMapFunction, CoProcessFunction and
    KeyedCoProcessFunction (``process_element1``/``2``)."""

    def __init__(self, function: Any, method: str, job_parameters: Dict[str, str], keyed: bool):
        super().__init__(function, method, job_parameters)
        self.keyed = keyed

    def prepare(self, task_info: Dict[str, Any], keyed_state: Any = None) -> Prepared:
        instance = self._open(task_info, keyed_state)
        first = getattr(instance, self.method + "1")
        second = getattr(instance, self.method + "2")
        if self.method == "map":
            call = lambda value, ctx: (first(value),) if ctx._input == 0 else (second(value),)  # noqa: E731
        elif self.method == "flat_map":
            call = lambda value, ctx: first(value) if ctx._input == 0 else second(value)  # noqa: E731
        else:
            call = lambda value, ctx: first(value, ctx) if ctx._input == 0 else second(value, ctx)  # noqa: E731
        if not self.keyed:
            return call, instance.close, _ProcessContext(task_info.get("clock"))
        context = _KeyedContext(keyed_state)
        context._input = 0
        has_timer = isinstance(instance, KeyedCoProcessFunction) and type(instance).on_timer is not KeyedCoProcessFunction.on_timer
        return call, instance.close, (context, instance.on_timer if has_timer else None, context)


class BroadcastState:
    """The broadcast state of one descriptor in one parallel instance (the same in all, as every
    instance sees every broadcast element)."""

    def __init__(self, mapping: Dict[Any, Any], writable: bool):
        self._map = mapping
        self._writable = writable

    def _check(self) -> None:
        if not self._writable:
            raise RuntimeError("the broadcast state is read-only in process_element; update it in process_broadcast_element")

    def get(self, key: Any) -> Any:
        return self._map.get(key)

    def contains(self, key: Any) -> bool:
        return key in self._map

    def items(self) -> Iterator[Tuple[Any, Any]]:
        return iter(list(self._map.items()))

    def keys(self) -> Iterator[Any]:
        return iter(list(self._map.keys()))

    def values(self) -> Iterator[Any]:
        return iter(list(self._map.values()))

    def is_empty(self) -> bool:
        return not self._map

    def put(self, key: Any, value: Any) -> None:
        self._check()
        self._map[key] = value

    def put_all(self, mapping: Dict[Any, Any]) -> None:
        self._check()
        self._map.update(mapping)

    def remove(self, key: Any) -> None:
        self._check()
        self._map.pop(key, None)

    def clear(self) -> None:
        self._check()
        self._map.clear()

    def __contains__(self, key: Any) -> bool:
        return key in self._map

    def __getitem__(self, key: Any) -> Any:
        return self._map[key]


class _BroadcastContext(BaseBroadcastProcessFunction.Context, BaseBroadcastProcessFunction.ReadOnlyContext):
    """Both contexts of a broadcast function; writable on the broadcast input only."""

    def __init__(self, states: Dict[str, Dict[Any, Any]], keyed: Optional[_KeyedContext], clock: Any = None):
        self._states = states
        self._keyed = keyed
        self._clock = clock
        self._timestamp: Optional[int] = None
        self._watermark = -(2**63)
        self._input = 0

    def get_broadcast_state(self, state_descriptor: Any) -> BroadcastState:
        mapping = self._states.setdefault(state_descriptor.name, {})
        return BroadcastState(mapping, writable=self._input == 1)

    def timestamp(self) -> Optional[int]:
        return self._keyed._timestamp if self._keyed is not None else self._timestamp

    def current_processing_time(self) -> int:
        return self._keyed._handle.current_processing_time() if self._keyed is not None else processing_time(self._clock)

    def current_watermark(self) -> int:
        return self._keyed._handle.current_watermark() if self._keyed is not None else self._watermark

    # Keyed broadcast functions: key and timers of the element (not on the broadcast side).
    def get_current_key(self) -> Any:
        return self._keyed.get_current_key()

    def timer_service(self) -> Any:
        if self._keyed is None:
            return _NonKeyedTimerService(self)
        return self._keyed.timer_service()


class BroadcastFunctionSpec(FunctionSpec):
    """BroadcastProcessFunction / KeyedBroadcastProcessFunction: input 0 is the (keyed) data
    stream, input 1 the broadcast stream."""

    def __init__(self, function: Any, method: Optional[str], job_parameters: Dict[str, str], keyed: bool):
        super().__init__(function, method, job_parameters)
        self.keyed = keyed

    def prepare(self, task_info: Dict[str, Any], keyed_state: Any = None) -> Prepared:
        instance = self._open(task_info, keyed_state)
        states: Dict[str, Dict[Any, Any]] = {}
        keyed_context = _KeyedContext(keyed_state) if self.keyed else None
        context = _BroadcastContext(states, keyed_context, task_info.get("clock"))
        element, broadcast = instance.process_element, instance.process_broadcast_element

        def call(value: Any, ctx: Any) -> Any:
            context._input = ctx._input
            if keyed_context is not None:
                keyed_context._timestamp = ctx._timestamp
            else:
                context._timestamp, context._watermark = ctx._timestamp, ctx._watermark
            return element(value, context) if ctx._input == 0 else broadcast(value, context)

        # Checkpoints carry the broadcast state (the same on every instance, as in Flink).
        call._oxflow_snapshot_state = lambda: states  # type: ignore[attr-defined]
        call._oxflow_restore_state = states.update  # type: ignore[attr-defined]

        if not self.keyed:
            return call, instance.close, _ProcessContext(task_info.get("clock"))
        runtime_context = _KeyedContext(keyed_state)
        runtime_context._input = 0
        has_timer = type(instance).on_timer is not KeyedBroadcastProcessFunction.on_timer
        return call, instance.close, (runtime_context, instance.on_timer if has_timer else None, keyed_context)
