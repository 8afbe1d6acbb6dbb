"""``CheckpointingMode`` as ``pyflink.datastream`` exports it (defined in :mod:`oxflow.common`)."""

from ..common.checkpointing_mode import CheckpointingMode

__all__ = ["CheckpointingMode"]
