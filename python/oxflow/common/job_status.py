"""``JobStatus``: the states of a job, mirroring ``pyflink.common.job_status``."""

from enum import Enum

__all__ = ["JobStatus"]

_GLOBALLY_TERMINAL = ("FAILED", "CANCELED", "FINISHED")
_LOCALLY_TERMINAL = ("SUSPENDED",)


class JobStatus(Enum):
    """Possible states of a job once it has been accepted by the runtime."""

    INITIALIZING = 0
    CREATED = 1
    RUNNING = 2
    FAILING = 3
    FAILED = 4
    CANCELLING = 5
    CANCELED = 6
    FINISHED = 7
    RESTARTING = 8
    SUSPENDED = 9
    RECONCILING = 10

    def is_globally_terminal_state(self) -> bool:
        """True for FAILED, CANCELED and FINISHED: the job will not run again anywhere."""
        return self.name in _GLOBALLY_TERMINAL

    def is_terminal_state(self) -> bool:
        """True for the globally terminal states and for SUSPENDED (locally terminal)."""
        return self.name in _GLOBALLY_TERMINAL or self.name in _LOCALLY_TERMINAL
