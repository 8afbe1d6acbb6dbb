"""Type stubs of the native module (the Rust runtime behind the Python API).

tests/test_native_stub.py checks that every public name and method of the module is here."""

from typing import Any, Callable, Dict, List, Optional, Sequence, Tuple

__version__: str

class JobExecutionError(RuntimeError):
    """A job failed for a reason other than an exception raised by user code."""

class NativeJob:
    """A job started by :func:`start_job`."""

    def wait(self, timeout: Optional[float] = None) -> bool:
        """Wait until the job ends or ``timeout`` seconds pass; returns whether it ended.

        Raises the job's failure (a user function's own exception, with notes naming the
        operator). Ctrl-C cancels the job and raises KeyboardInterrupt.
        """
    def cancel(self) -> None:
        """Ask every task to stop; a following ``wait`` raises."""
    def step(self) -> bool:
        """Run one batch of an inline job (see ``is_inline``); returns whether it still runs.
        Raises the job's failure."""
    @property
    def is_inline(self) -> bool:
        """Whether the job runs on the caller's thread, driven by ``wait`` or ``step``."""
    def is_finished(self) -> bool: ...
    @property
    def net_runtime_ms(self) -> Optional[int]: ...
    def metrics(self) -> Dict[str, int]:
        """Counters by Flink's metric names, e.g. ``numLateRecordsDropped``."""
    def trigger_savepoint(self, target: str, stop: bool = False) -> str:
        """Take a savepoint under the directory ``target``; returns the savepoint's path. With
        ``stop``, the job commits what the savepoint covers and stops (this waits for that)."""
    def completed_checkpoints(self) -> List[Tuple[int, str]]:
        """The checkpoints completed so far as (id, path), oldest first."""
    def tasks(self) -> List[Tuple[str, int, List[int]]]:
        """The tasks the running job consists of: (chain name, parallelism, node indices)."""

def start_job(name: str, nodes: Sequence[Dict[str, Any]], config: Dict[str, Any]) -> NativeJob:
    """Build the job described by ``nodes`` (see ``oxflow.datastream._graph``) and start it.
    ``config["clock"]`` may be a :class:`ManualClock` for the job's processing time."""

def first_type_mismatch(check_spec: Tuple[Any, ...], values: Sequence[Any]) -> Optional[Tuple[int, str]]:
    """The first value not matching ``TypeInformation._check_spec()`` as (index, reason), or None."""

def convert_values(check_spec: Tuple[Any, ...], values: List[Any]) -> List[Any]:
    """``values`` as the type delivers them (FLOAT fields rounded to 32 bits)."""

class ManualClock:
    """A processing-time clock that only moves when told to (``env.set_clock``)."""

    def __init__(self, start: int = 0) -> None: ...
    def now(self) -> int:
        """The current time, in epoch milliseconds."""
    def set(self, now: int) -> None:
        """Move the clock to ``now`` (milliseconds)."""
    def advance(self, millis: int) -> None:
        """Move the clock forward by ``millis``."""

class TaskClock:
    """The processing-time clock of one task (``task_info["clock"]`` of a user function)."""

    def now(self) -> int: ...

class KeyedStateHandle:
    """Keyed state and timers of one parallel instance of a keyed operator, or the keyed state of
    a window function (used by ``oxflow.datastream.state``)."""

    def register_state(self, name: str, ttl: Optional[Tuple[int, bool, bool, int, bool, bool]] = None) -> int:
        """``ttl``: (ttl_ms, refresh_on_read, return_expired, incremental cleanup size, cleanup
        for every record, cleanup in full snapshots)."""
    def window_scoped(self) -> "KeyedStateHandle":
        """A window function's per-window state (this handle is its per-key state)."""
    def value(self, state: int) -> Any: ...
    def update(self, state: int, value: Any) -> None: ...
    def clear(self, state: int) -> None: ...
    def list_get(self, state: int) -> List[Any]: ...
    def list_add(self, state: int, value: Any) -> None: ...
    def list_update(self, state: int, values: List[Any]) -> None: ...
    def map_get(self, state: int, key: Any) -> Any: ...
    def map_put(self, state: int, key: Any, value: Any) -> None: ...
    def map_remove(self, state: int, key: Any) -> None: ...
    def map_contains(self, state: int, key: Any) -> bool: ...
    def map_items(self, state: int) -> List[Tuple[Any, Any]]: ...
    def map_is_empty(self, state: int) -> bool: ...
    def current_key(self) -> Any: ...
    def current_watermark(self) -> int: ...
    def current_processing_time(self) -> int: ...
    def timer(self, event_time: bool, timestamp: int, register: bool) -> None: ...

class TriggerContextHandle:
    """The native side of a Python ``Trigger.TriggerContext``: the partitioned state and timers
    of the key and window of the current trigger call (used by ``oxflow.datastream.window``)."""

    def __init__(self) -> None: ...
    def register_state(
        self,
        name: str,
        ttl_ms: Optional[int] = None,
        refresh_on_read: bool = False,
        return_expired: bool = False,
        merger: Optional[Callable[[Any, Any], Any]] = None,
    ) -> int: ...
    def value(self, state: int) -> Any: ...
    def update(self, state: int, value: Any) -> None: ...
    def clear(self, state: int) -> None: ...
    def list_get(self, state: int) -> List[Any]: ...
    def list_add(self, state: int, value: Any) -> None: ...
    def list_update(self, state: int, values: List[Any]) -> None: ...
    def current_watermark(self) -> int: ...
    def current_processing_time(self) -> int: ...
    def timer(self, event_time: bool, timestamp: int, register: bool) -> None: ...
    def merge_state(self, state: int) -> None:
        """``OnMergeContext.merge_partitioned_state``: combine the merged windows' state into
        the current window's."""
