"""``ExternalizedCheckpointRetention``: what happens to retained checkpoints when a job is
cancelled (``pyflink.datastream``)."""

from enum import Enum

__all__ = ["ExternalizedCheckpointRetention"]


class ExternalizedCheckpointRetention(Enum):
    """``DELETE_ON_CANCELLATION``: a cancelled job's checkpoints are deleted.
    ``RETAIN_ON_CANCELLATION``: they are kept, to restore from later.
    ``NO_EXTERNALIZED_CHECKPOINTS``: checkpoints are deleted when the job ends in any way.

    A job that fails or whose process is killed always leaves its last checkpoints behind."""

    DELETE_ON_CANCELLATION = 0
    RETAIN_ON_CANCELLATION = 1
    NO_EXTERNALIZED_CHECKPOINTS = 2
