"""Type stubs of the native module (the Rust runtime behind the Python API)."""

from typing import Any, Dict, List, Optional, Sequence, Tuple

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
    def cancel(self) -> None: ...
    def is_finished(self) -> bool: ...
    @property
    def net_runtime_ms(self) -> Optional[int]: ...
    def metrics(self) -> Dict[str, int]:
        """Counters by Flink's metric names, e.g. ``numLateRecordsDropped``."""
    def tasks(self) -> List[Tuple[str, int, List[int]]]:
        """The tasks the running job consists of: (chain name, parallelism, node indices)."""

def start_job(name: str, nodes: Sequence[Dict[str, Any]], config: Dict[str, Any]) -> NativeJob:
    """Build the job described by ``nodes`` (see ``oxflow.datastream._graph``) and start it."""

def first_type_mismatch(check_spec: Tuple[Any, ...], values: Sequence[Any]) -> Optional[Tuple[int, str]]:
    """The first value not matching ``TypeInformation._check_spec()`` as (index, reason), or None."""

class KeyedStateHandle:
    """Keyed state and timers of one parallel instance of a keyed operator (used by
    ``oxflow.datastream.state``)."""

    def register_state(self, name: str, ttl_ms: Optional[int] = None, refresh_on_read: bool = False, return_expired: bool = False) -> int: ...
    def value(self, state: int) -> Any: ...
    def update(self, state: int, value: Any) -> None: ...
    def clear(self, state: int) -> None: ...
    def list_get(self, state: int) -> List[Any]: ...
    def list_add(self, state: int, value: Any) -> None: ...
    def list_update(self, state: int, values: List[Any]) -> None: ...
    def current_key(self) -> Any: ...
    def current_watermark(self) -> int: ...
    def current_processing_time(self) -> int: ...
    def timer(self, event_time: bool, timestamp: int, register: bool) -> None: ...

def convert_values(check_spec: Tuple[Any, ...], values: List[Any]) -> List[Any]:
    """``values`` as the type delivers them (FLOAT fields rounded to 32 bits)."""
