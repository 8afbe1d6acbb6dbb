"""State backends (``pyflink.datastream``): where keyed state lives while a job runs.

In Flink 2.x the backend is chosen with the configuration key ``state.backend.type``
(``hashmap`` or ``rocksdb``); the 1.x ``env.set_state_backend(...)`` call is kept as a shim.
Savepoints have one format whatever the backend, so a savepoint of one restores into the other;
RocksDB checkpoints are incremental (RocksDB files) by default and restore into RocksDB only.
"""

from __future__ import annotations

import os
from typing import Any, Dict, List, Optional

__all__ = ["StateBackend", "HashMapStateBackend", "EmbeddedRocksDBStateBackend", "PredefinedOptions", "CustomStateBackend"]

#: The values ``state.backend.type`` takes.
BACKEND_TYPES = ("hashmap", "rocksdb")


def native_state_backend(conf: Any) -> Dict[str, Optional[str]]:
    """The ``state_backend``/``state_dir``/``incremental_checkpoints`` entries of the native job
    config, from the configuration keys ``state.backend.type`` (case-insensitive),
    ``state.backend.rocksdb.localdir`` and ``execution.checkpointing.incremental`` (1.x:
    ``state.backend.incremental``; default ``true``: RocksDB checkpoints store only new files)."""
    text = conf.get_string("state.backend.type", None)
    kind = (text or "hashmap").strip().lower()
    if kind not in BACKEND_TYPES:
        raise ValueError("state.backend.type must be one of %s, got %r" % (", ".join(repr(t) for t in BACKEND_TYPES), text))
    local_dir = conf.get_string("state.backend.rocksdb.localdir", None) if kind == "rocksdb" else None
    # Flink 2.x key, then the 1.x one; oxflow's default is incremental (see the README).
    incremental = conf.get_boolean("execution.checkpointing.incremental", conf.get_boolean("state.backend.incremental", True))
    return {
        "state_backend": kind,
        "state_dir": os.path.abspath(os.path.expanduser(local_dir)) if local_dir else None,
        "incremental_checkpoints": bool(incremental),
    }


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
    """Keyed state in an embedded RocksDB database, for state larger than memory.

    ``enable_incremental_checkpointing`` (default: on, unlike Flink) makes checkpoints store
    only the RocksDB files earlier checkpoints did not store; ``False`` writes every entry in
    the backend-neutral format. Savepoints are always full and backend-neutral."""

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
