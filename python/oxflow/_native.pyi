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
    def tasks(self) -> List[Tuple[str, int, List[int]]]:
        """The tasks the running job consists of: (chain name, parallelism, node indices)."""

def start_job(name: str, nodes: Sequence[Dict[str, Any]], config: Dict[str, Any]) -> NativeJob:
    """Build the job described by ``nodes`` (see ``oxflow.datastream._graph``) and start it."""

def first_type_mismatch(check_spec: Tuple[Any, ...], values: Sequence[Any]) -> Optional[Tuple[int, str]]:
    """The first value not matching ``TypeInformation._check_spec()`` as (index, reason), or None."""
