"""How a job executes, as ``pyflink.datastream.RuntimeExecutionMode``."""

from enum import Enum

__all__ = ["RuntimeExecutionMode"]


class RuntimeExecutionMode(Enum):
    """STREAMING emits every update; BATCH emits only final results of keyed aggregations
    (bounded inputs only); AUTOMATIC is BATCH when every source is bounded."""

    STREAMING = 0
    BATCH = 1
    AUTOMATIC = 2
