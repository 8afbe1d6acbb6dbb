"""Keyed state, as ``pyflink.datastream.state``: descriptors, state objects and time-to-live.

State objects live in the Rust runtime (one store per parallel instance of a keyed operator) and
are read and written under the key of the element or timer being processed.
"""

from __future__ import annotations

import abc
from enum import Enum
from typing import Any, Callable, Dict, Iterable, Iterator, List, Optional, Tuple

from ..common.time import Time

__all__ = [
    "StateDescriptor",
    "ValueStateDescriptor",
    "ListStateDescriptor",
    "MapStateDescriptor",
    "ReducingStateDescriptor",
    "AggregatingStateDescriptor",
    "State",
    "ValueState",
    "ListState",
    "MapState",
    "ReducingState",
    "AggregatingState",
    "StateTtlConfig",
]


class StateTtlConfig:
    """Time-to-live of state entries (processing time), as Flink's ``StateTtlConfig``."""

    class UpdateType(Enum):
        Disabled = 0
        OnCreateAndWrite = 1
        OnReadAndWrite = 2

    class StateVisibility(Enum):
        ReturnExpiredIfNotCleanedUp = 0
        NeverReturnExpired = 1

    class TtlTimeCharacteristic(Enum):
        ProcessingTime = 0

    def __init__(self, ttl: Time, update_type: "StateTtlConfig.UpdateType", visibility: "StateTtlConfig.StateVisibility"):
        self._ttl = ttl
        self._update_type = update_type
        self._visibility = visibility

    @staticmethod
    def new_builder(ttl: Time) -> "StateTtlConfig.Builder":
        return StateTtlConfig.Builder(ttl)

    def get_ttl(self) -> Time:
        return self._ttl

    def get_update_type(self) -> "StateTtlConfig.UpdateType":
        return self._update_type

    def get_state_visibility(self) -> "StateTtlConfig.StateVisibility":
        return self._visibility

    def get_ttl_time_characteristic(self) -> "StateTtlConfig.TtlTimeCharacteristic":
        return StateTtlConfig.TtlTimeCharacteristic.ProcessingTime

    def is_enabled(self) -> bool:
        return self._update_type != StateTtlConfig.UpdateType.Disabled

    class Builder:
        def __init__(self, ttl: Time):
            self._ttl = ttl
            self._update_type = StateTtlConfig.UpdateType.OnCreateAndWrite
            self._visibility = StateTtlConfig.StateVisibility.NeverReturnExpired

        def set_update_type(self, update_type: "StateTtlConfig.UpdateType") -> "StateTtlConfig.Builder":
            self._update_type = update_type
            return self

        def update_ttl_on_create_and_write(self) -> "StateTtlConfig.Builder":
            return self.set_update_type(StateTtlConfig.UpdateType.OnCreateAndWrite)

        def update_ttl_on_read_and_write(self) -> "StateTtlConfig.Builder":
            return self.set_update_type(StateTtlConfig.UpdateType.OnReadAndWrite)

        def set_state_visibility(self, visibility: "StateTtlConfig.StateVisibility") -> "StateTtlConfig.Builder":
            self._visibility = visibility
            return self

        def return_expired_if_not_cleaned_up(self) -> "StateTtlConfig.Builder":
            return self.set_state_visibility(StateTtlConfig.StateVisibility.ReturnExpiredIfNotCleanedUp)

        def never_return_expired(self) -> "StateTtlConfig.Builder":
            return self.set_state_visibility(StateTtlConfig.StateVisibility.NeverReturnExpired)

        def set_ttl_time_characteristic(self, characteristic: Any) -> "StateTtlConfig.Builder":
            return self

        def use_processing_time(self) -> "StateTtlConfig.Builder":
            return self

        def set_ttl(self, ttl: Time) -> "StateTtlConfig.Builder":
            self._ttl = ttl
            return self

        # Cleanup strategies: expired entries are removed when read; background cleanup is the
        # backend's business.
        def _cleanup(self, *args: Any, **kwargs: Any) -> "StateTtlConfig.Builder":
            return self

        cleanup_full_snapshot = cleanup_incrementally = cleanup_in_rocksdb_compact_filter = _cleanup
        disable_cleanup_in_background = _cleanup

        def build(self) -> "StateTtlConfig":
            return StateTtlConfig(self._ttl, self._update_type, self._visibility)


class StateDescriptor(abc.ABC):
    """Names a state and its type."""

    def __init__(self, name: str, type_info: Any):
        if not isinstance(name, str) or not name:
            raise ValueError("a state needs a non-empty name, got %r" % (name,))
        self.name = name
        self.type_info = type_info
        self._ttl_config: Optional[StateTtlConfig] = None

    def get_name(self) -> str:
        return self.name

    def enable_time_to_live(self, ttl_config: StateTtlConfig) -> None:
        self._ttl_config = ttl_config

    def _ttl_args(self) -> Tuple[Optional[int], bool, bool]:
        ttl = self._ttl_config
        if ttl is None or not ttl.is_enabled():
            return None, False, False
        return (
            ttl.get_ttl().to_milliseconds(),
            ttl.get_update_type() == StateTtlConfig.UpdateType.OnReadAndWrite,
            ttl.get_state_visibility() == StateTtlConfig.StateVisibility.ReturnExpiredIfNotCleanedUp,
        )


class ValueStateDescriptor(StateDescriptor):
    def __init__(self, name: str, value_type_info: Any):
        super().__init__(name, value_type_info)


class ListStateDescriptor(StateDescriptor):
    def __init__(self, name: str, elem_type_info: Any):
        super().__init__(name, elem_type_info)


class MapStateDescriptor(StateDescriptor):
    def __init__(self, name: str, key_type_info: Any, value_type_info: Any):
        super().__init__(name, (key_type_info, value_type_info))


class ReducingStateDescriptor(StateDescriptor):
    def __init__(self, name: str, reduce_function: Any, type_info: Any):
        super().__init__(name, type_info)
        from .functions import ReduceFunction

        if isinstance(reduce_function, ReduceFunction):
            self.reduce_function: Callable[[Any, Any], Any] = reduce_function.reduce
        elif callable(reduce_function):
            self.reduce_function = reduce_function
        else:
            raise TypeError("ReducingStateDescriptor needs a ReduceFunction or a callable, got %r" % (reduce_function,))


class AggregatingStateDescriptor(StateDescriptor):
    def __init__(self, name: str, agg_function: Any, state_type_info: Any):
        super().__init__(name, state_type_info)
        self.agg_function = agg_function


class State(abc.ABC):
    """A state of the current key."""

    def __init__(self, handle: Any, state_id: int):
        self._handle = handle
        self._id = state_id

    def clear(self) -> None:
        """Removes the current key's value."""
        self._handle.clear(self._id)


class ValueState(State):
    def value(self) -> Any:
        """The current key's value, or None."""
        return self._handle.value(self._id)

    def update(self, value: Any) -> None:
        self._handle.update(self._id, value)


class ListState(State):
    def get(self) -> List[Any]:
        return self._handle.list_get(self._id)

    def add(self, value: Any) -> None:
        self._handle.list_add(self._id, value)

    def add_all(self, values: Iterable[Any]) -> None:
        for value in values:
            self._handle.list_add(self._id, value)

    def update(self, values: Iterable[Any]) -> None:
        self._handle.list_update(self._id, list(values))

    def __iter__(self) -> Iterator[Any]:
        return iter(self.get())


class MapState(State):
    """A dict per key (kept whole; each change writes it back so time-to-live is refreshed)."""

    def _map(self) -> Dict[Any, Any]:
        current = self._handle.value(self._id)
        return current if current is not None else {}

    def _write(self, mapping: Dict[Any, Any]) -> None:
        self._handle.update(self._id, mapping)

    def get(self, key: Any) -> Any:
        return self._map().get(key)

    def put(self, key: Any, value: Any) -> None:
        mapping = self._map()
        mapping[key] = value
        self._write(mapping)

    def put_all(self, dict_value: Dict[Any, Any]) -> None:
        mapping = self._map()
        mapping.update(dict_value)
        self._write(mapping)

    def remove(self, key: Any) -> None:
        mapping = self._map()
        if key in mapping:
            del mapping[key]
            self._write(mapping)

    def contains(self, key: Any) -> bool:
        return key in self._map()

    def items(self) -> Iterable[Tuple[Any, Any]]:
        return list(self._map().items())

    def keys(self) -> Iterable[Any]:
        return list(self._map().keys())

    def values(self) -> Iterable[Any]:
        return list(self._map().values())

    def is_empty(self) -> bool:
        return not self._map()

    def __getitem__(self, key: Any) -> Any:
        mapping = self._map()
        if key not in mapping:
            raise KeyError(key)
        return mapping[key]

    def __setitem__(self, key: Any, value: Any) -> None:
        self.put(key, value)

    def __delitem__(self, key: Any) -> None:
        self.remove(key)

    def __contains__(self, key: Any) -> bool:
        return self.contains(key)

    def __iter__(self) -> Iterator[Any]:
        return iter(self.keys())


class ReducingState(State):
    def __init__(self, handle: Any, state_id: int, reduce_function: Callable[[Any, Any], Any]):
        super().__init__(handle, state_id)
        self._reduce = reduce_function

    def get(self) -> Any:
        return self._handle.value(self._id)

    def add(self, value: Any) -> None:
        current = self._handle.value(self._id)
        self._handle.update(self._id, value if current is None else self._reduce(current, value))


class AggregatingState(State):
    def __init__(self, handle: Any, state_id: int, agg_function: Any):
        super().__init__(handle, state_id)
        self._agg = agg_function

    def get(self) -> Any:
        accumulator = self._handle.value(self._id)
        return None if accumulator is None else self._agg.get_result(accumulator)

    def add(self, value: Any) -> None:
        accumulator = self._handle.value(self._id)
        if accumulator is None:
            accumulator = self._agg.create_accumulator()
        self._handle.update(self._id, self._agg.add(value, accumulator))


def create_state(handle: Any, descriptor: StateDescriptor) -> State:
    """The state object of ``descriptor`` on a keyed operator's native ``handle``."""
    ttl_ms, refresh_on_read, return_expired = descriptor._ttl_args()
    state_id = handle.register_state(descriptor.name, ttl_ms, refresh_on_read, return_expired)
    if isinstance(descriptor, ValueStateDescriptor):
        return ValueState(handle, state_id)
    if isinstance(descriptor, ListStateDescriptor):
        return ListState(handle, state_id)
    if isinstance(descriptor, MapStateDescriptor):
        return MapState(handle, state_id)
    if isinstance(descriptor, ReducingStateDescriptor):
        return ReducingState(handle, state_id, descriptor.reduce_function)
    if isinstance(descriptor, AggregatingStateDescriptor):
        return AggregatingState(handle, state_id, descriptor.agg_function)
    raise TypeError("unknown state descriptor %r" % (descriptor,))
