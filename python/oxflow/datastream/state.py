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
    """Time-to-live of state entries (processing time of the task's clock), as Flink's
    ``StateTtlConfig``.

    A value (value, reducing and aggregating state) expires as a whole, a list state per element
    (``add`` sets the time of the new element only) and a map state per map key. An expired entry
    is removed by the read that finds it; with ``ReturnExpiredIfNotCleanedUp`` that read still
    returns it, once.

    Cleanup of expired entries nobody reads (:class:`StateTtlConfig.CleanupStrategies`):

    - ``cleanup_incrementally(size, run_cleanup_for_every_record)``: after every access of the
      state, ``size`` entries of the operator's state are checked and the expired ones dropped,
      walking the whole state over time; optionally for every processed record too. Without any
      strategy configured this runs with size 5 (Flink's default for heap state backends) unless
      ``disable_cleanup_in_background()`` was called.
    - ``cleanup_full_snapshot()``: checkpoints and savepoints leave expired entries out.
    - ``cleanup_in_rocksdb_compact_filter(...)``: accepted and reported by
      ``get_cleanup_strategies()``; it applies with the RocksDB backend only, so with the in-memory
      state backend it has no effect (the default incremental cleanup still runs).
    """

    class UpdateType(Enum):
        Disabled = 0
        OnCreateAndWrite = 1
        OnReadAndWrite = 2

    class StateVisibility(Enum):
        ReturnExpiredIfNotCleanedUp = 0
        NeverReturnExpired = 1

    class TtlTimeCharacteristic(Enum):
        ProcessingTime = 0

    def __init__(
        self,
        update_type: "StateTtlConfig.UpdateType",
        state_visibility: "StateTtlConfig.StateVisibility",
        ttl_time_characteristic: "StateTtlConfig.TtlTimeCharacteristic",
        ttl: Time,
        cleanup_strategies: "StateTtlConfig.CleanupStrategies",
    ):
        self._update_type = update_type
        self._state_visibility = state_visibility
        self._ttl_time_characteristic = ttl_time_characteristic
        self._ttl = ttl
        self._cleanup_strategies = cleanup_strategies

    @staticmethod
    def new_builder(ttl: Time) -> "StateTtlConfig.Builder":
        return StateTtlConfig.Builder(ttl)

    def get_ttl(self) -> Time:
        return self._ttl

    def get_update_type(self) -> "StateTtlConfig.UpdateType":
        return self._update_type

    def get_state_visibility(self) -> "StateTtlConfig.StateVisibility":
        return self._state_visibility

    def get_ttl_time_characteristic(self) -> "StateTtlConfig.TtlTimeCharacteristic":
        return self._ttl_time_characteristic

    def get_cleanup_strategies(self) -> "StateTtlConfig.CleanupStrategies":
        return self._cleanup_strategies

    def is_enabled(self) -> bool:
        return self._update_type != StateTtlConfig.UpdateType.Disabled

    def __repr__(self) -> str:
        return "StateTtlConfig<update_type=%s, state_visibility=%s, ttl_time_characteristic=%s, ttl=%s>" % (
            self._update_type,
            self._state_visibility,
            self._ttl_time_characteristic,
            self._ttl,
        )

    class Builder:
        def __init__(self, ttl: Time):
            self._ttl = ttl
            self._update_type = StateTtlConfig.UpdateType.OnCreateAndWrite
            self._state_visibility = StateTtlConfig.StateVisibility.NeverReturnExpired
            self._ttl_time_characteristic = StateTtlConfig.TtlTimeCharacteristic.ProcessingTime
            self._is_cleanup_in_background = True
            self._strategies: Dict["StateTtlConfig.CleanupStrategies.Strategies", "StateTtlConfig.CleanupStrategies.CleanupStrategy"] = {}

        def set_update_type(self, update_type: "StateTtlConfig.UpdateType") -> "StateTtlConfig.Builder":
            self._update_type = update_type
            return self

        def update_ttl_on_create_and_write(self) -> "StateTtlConfig.Builder":
            return self.set_update_type(StateTtlConfig.UpdateType.OnCreateAndWrite)

        def update_ttl_on_read_and_write(self) -> "StateTtlConfig.Builder":
            return self.set_update_type(StateTtlConfig.UpdateType.OnReadAndWrite)

        def set_state_visibility(self, state_visibility: "StateTtlConfig.StateVisibility") -> "StateTtlConfig.Builder":
            self._state_visibility = state_visibility
            return self

        def return_expired_if_not_cleaned_up(self) -> "StateTtlConfig.Builder":
            return self.set_state_visibility(StateTtlConfig.StateVisibility.ReturnExpiredIfNotCleanedUp)

        def never_return_expired(self) -> "StateTtlConfig.Builder":
            return self.set_state_visibility(StateTtlConfig.StateVisibility.NeverReturnExpired)

        def set_ttl_time_characteristic(self, ttl_time_characteristic: "StateTtlConfig.TtlTimeCharacteristic") -> "StateTtlConfig.Builder":
            self._ttl_time_characteristic = ttl_time_characteristic
            return self

        def use_processing_time(self) -> "StateTtlConfig.Builder":
            return self.set_ttl_time_characteristic(StateTtlConfig.TtlTimeCharacteristic.ProcessingTime)

        def set_ttl(self, ttl: Time) -> "StateTtlConfig.Builder":
            self._ttl = ttl
            return self

        def cleanup_full_snapshot(self) -> "StateTtlConfig.Builder":
            """Leave expired entries out of checkpoints and savepoints."""
            strategies = StateTtlConfig.CleanupStrategies
            self._strategies[strategies.Strategies.FULL_STATE_SCAN_SNAPSHOT] = strategies.EMPTY_STRATEGY
            return self

        def cleanup_incrementally(self, cleanup_size: int, run_cleanup_for_every_record: bool) -> "StateTtlConfig.Builder":
            """After every access of the state, check ``cleanup_size`` entries for expiry (and for
            every processed record too if ``run_cleanup_for_every_record``)."""
            if not isinstance(cleanup_size, int) or isinstance(cleanup_size, bool) or cleanup_size < 0:
                raise ValueError("cleanup_size must be a non-negative int, got %r" % (cleanup_size,))
            strategies = StateTtlConfig.CleanupStrategies
            self._strategies[strategies.Strategies.INCREMENTAL_CLEANUP] = strategies.IncrementalCleanupStrategy(
                cleanup_size, bool(run_cleanup_for_every_record)
            )
            return self

        def cleanup_in_rocksdb_compact_filter(self, query_time_after_num_entries: int, periodic_compaction_time: Any = None) -> "StateTtlConfig.Builder":
            """Cleanup by RocksDB's compaction filter: applies with the RocksDB state backend only
            (no effect on in-memory state)."""
            strategies = StateTtlConfig.CleanupStrategies
            self._strategies[strategies.Strategies.ROCKSDB_COMPACTION_FILTER] = strategies.RocksdbCompactFilterCleanupStrategy(
                query_time_after_num_entries, periodic_compaction_time
            )
            return self

        def disable_cleanup_in_background(self) -> "StateTtlConfig.Builder":
            """No default background cleanup; strategies configured explicitly still apply."""
            self._is_cleanup_in_background = False
            return self

        def build(self) -> "StateTtlConfig":
            return StateTtlConfig(
                self._update_type,
                self._state_visibility,
                self._ttl_time_characteristic,
                self._ttl,
                StateTtlConfig.CleanupStrategies(dict(self._strategies), self._is_cleanup_in_background),
            )

    class CleanupStrategies:
        """When expired entries that nobody reads are removed (reads always remove what they find
        expired)."""

        class Strategies(Enum):
            FULL_STATE_SCAN_SNAPSHOT = 0
            INCREMENTAL_CLEANUP = 1
            ROCKSDB_COMPACTION_FILTER = 2

        class CleanupStrategy(abc.ABC):
            pass

        class EmptyCleanupStrategy(CleanupStrategy):
            pass

        class IncrementalCleanupStrategy(CleanupStrategy):
            def __init__(self, cleanup_size: int, run_cleanup_for_every_record: bool):
                self._cleanup_size = cleanup_size
                self._run_cleanup_for_every_record = run_cleanup_for_every_record

            def get_cleanup_size(self) -> int:
                return self._cleanup_size

            def run_cleanup_for_every_record(self) -> bool:
                return self._run_cleanup_for_every_record

        class RocksdbCompactFilterCleanupStrategy(CleanupStrategy):
            def __init__(self, query_time_after_num_entries: int, periodic_compaction_time: Any = None):
                from ..common.time import Duration

                self._query_time_after_num_entries = query_time_after_num_entries
                self._periodic_compaction_time = periodic_compaction_time if periodic_compaction_time else Duration.of_days(30)

            def get_query_time_after_num_entries(self) -> int:
                return self._query_time_after_num_entries

            def get_periodic_compaction_time(self) -> Any:
                return self._periodic_compaction_time

        EMPTY_STRATEGY: "StateTtlConfig.CleanupStrategies.EmptyCleanupStrategy"

        def __init__(self, strategies: Dict[Any, Any], is_cleanup_in_background: bool):
            self._strategies = strategies
            self._is_cleanup_in_background = is_cleanup_in_background

        def is_cleanup_in_background(self) -> bool:
            return self._is_cleanup_in_background

        def in_full_snapshot(self) -> bool:
            return StateTtlConfig.CleanupStrategies.Strategies.FULL_STATE_SCAN_SNAPSHOT in self._strategies

        def get_incremental_cleanup_strategy(self) -> Optional["StateTtlConfig.CleanupStrategies.IncrementalCleanupStrategy"]:
            """The configured incremental cleanup, else Flink's default (5 entries per access)
            while background cleanup is enabled."""
            default = StateTtlConfig.CleanupStrategies.IncrementalCleanupStrategy(5, False) if self._is_cleanup_in_background else None
            return self._strategies.get(StateTtlConfig.CleanupStrategies.Strategies.INCREMENTAL_CLEANUP, default)

        def get_rocksdb_compact_filter_cleanup_strategy(self) -> Optional["StateTtlConfig.CleanupStrategies.RocksdbCompactFilterCleanupStrategy"]:
            default = StateTtlConfig.CleanupStrategies.RocksdbCompactFilterCleanupStrategy(1000) if self._is_cleanup_in_background else None
            return self._strategies.get(StateTtlConfig.CleanupStrategies.Strategies.ROCKSDB_COMPACTION_FILTER, default)


StateTtlConfig.CleanupStrategies.EMPTY_STRATEGY = StateTtlConfig.CleanupStrategies.EmptyCleanupStrategy()


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

    def _ttl_args(self) -> Optional[Tuple[int, bool, bool, int, bool, bool]]:
        """The time-to-live as the native state handle takes it, or None."""
        ttl = self._ttl_config
        if ttl is None or not ttl.is_enabled():
            return None
        cleanup = ttl.get_cleanup_strategies()
        incremental = cleanup.get_incremental_cleanup_strategy()
        return (
            ttl.get_ttl().to_milliseconds(),
            ttl.get_update_type() == StateTtlConfig.UpdateType.OnReadAndWrite,
            ttl.get_state_visibility() == StateTtlConfig.StateVisibility.ReturnExpiredIfNotCleanedUp,
            incremental.get_cleanup_size() if incremental is not None else 0,
            incremental is not None and incremental.run_cleanup_for_every_record(),
            cleanup.in_full_snapshot(),
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
    """A map per key; with time-to-live each map key expires on its own. Iteration follows
    insertion order."""

    def get(self, key: Any) -> Any:
        return self._handle.map_get(self._id, key)

    def put(self, key: Any, value: Any) -> None:
        self._handle.map_put(self._id, key, value)

    def put_all(self, dict_value: Dict[Any, Any]) -> None:
        for key, value in dict_value.items():
            self._handle.map_put(self._id, key, value)

    def remove(self, key: Any) -> None:
        self._handle.map_remove(self._id, key)

    def contains(self, key: Any) -> bool:
        return self._handle.map_contains(self._id, key)

    def items(self) -> Iterable[Tuple[Any, Any]]:
        return self._handle.map_items(self._id)

    def keys(self) -> Iterable[Any]:
        return [k for k, _ in self._handle.map_items(self._id)]

    def values(self) -> Iterable[Any]:
        return [v for _, v in self._handle.map_items(self._id)]

    def is_empty(self) -> bool:
        return self._handle.map_is_empty(self._id)

    def __getitem__(self, key: Any) -> Any:
        return self.get(key)

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
    state_id = handle.register_state(descriptor.name, descriptor._ttl_args())
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
