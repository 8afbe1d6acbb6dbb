"""``CheckpointingMode``: the consistency a job's checkpoints give (``pyflink.datastream``; also importable from ``oxflow.common``)."""

from enum import Enum

__all__ = ["CheckpointingMode"]


class CheckpointingMode(Enum):
    """``EXACTLY_ONCE``: barriers are aligned, so after a recovery every record is reflected
    exactly once in operator state. ``AT_LEAST_ONCE``: accepted; oxflow aligns barriers in both
    modes (so it gives exactly-once state either way)."""

    EXACTLY_ONCE = 0
    AT_LEAST_ONCE = 1
