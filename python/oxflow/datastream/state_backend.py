"""State backends (``pyflink.datastream``): where keyed state lives while a job runs.

In Flink 2.x the backend is chosen with the configuration key ``state.backend.type``
(``hashmap`` or ``rocksdb``); the 1.x ``env.set_state_backend(...)`` call is kept as a shim.
Snapshots have one format whatever the backend, so a savepoint of one restores into the other.
"""

from __future__ import annotations

from typing import List, Optional

__all__ = ["StateBackend", "HashMapStateBackend", "EmbeddedRocksDBStateBackend", "PredefinedOptions", "CustomStateBackend"]


class StateBackend:
    """Base class of the backends; ``StateBackend.memory()`` / ``.rocks_db()`` are shorthands."""

    #: The value of ``state.backend.type`` this backend stands for.
    type_name = "hashmap"

    @staticmethod
    def memory() -> "HashMapStateBackend":
        return HashMapStateBackend()

    @staticmethod
    def rocks_db() -> "EmbeddedRocksDBStateBackend":
        return EmbeddedRocksDBStateBackend()


class HashMapStateBackend(StateBackend):
    """Keyed state as objects in memory (the default)."""

    type_name = "hashmap"


class PredefinedOptions:
    DEFAULT = "DEFAULT"
    SPINNING_DISK_OPTIMIZED = "SPINNING_DISK_OPTIMIZED"
    SPINNING_DISK_OPTIMIZED_HIGH_MEM = "SPINNING_DISK_OPTIMIZED_HIGH_MEM"
    FLASH_SSD_OPTIMIZED = "FLASH_SSD_OPTIMIZED"


class EmbeddedRocksDBStateBackend(StateBackend):
    """Keyed state in an embedded RocksDB database, for state larger than memory."""

    type_name = "rocksdb"

    def __init__(self, enable_incremental_checkpointing: Optional[bool] = None):
        self._incremental = True if enable_incremental_checkpointing is None else bool(enable_incremental_checkpointing)
        self._paths: List[str] = []
        self._options = PredefinedOptions.DEFAULT

    def is_incremental_checkpoints_enabled(self) -> bool:
        return self._incremental

    def set_db_storage_paths(self, *paths: str) -> None:
        self._paths = list(paths)

    def get_db_storage_paths(self) -> List[str]:
        return list(self._paths)

    def set_predefined_options(self, options: str) -> None:
        self._options = options

    def get_predefined_options(self) -> str:
        return self._options


class CustomStateBackend(StateBackend):
    """A Java state backend in PyFlink; not available without a JVM."""

    def __init__(self, *args: object, **kwargs: object):
        raise NotImplementedError("custom (Java) state backends are not available in oxflow; use 'hashmap' or 'rocksdb'")
