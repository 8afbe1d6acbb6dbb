"""Resolves an environment's checkpoint and recovery settings into what the native runtime takes.

Recovery keys (Flink 2.x, with the 1.x names too): ``execution.state-recovery.path``
(``execution.savepoint.path``) points at a ``chk-<n>`` directory, a savepoint directory or its
``_metadata`` file; ``execution.state-recovery.ignore-unclaimed-state``
(``execution.savepoint.ignore-unclaimed-state``) drops state of operators the job no longer has.
"""

from __future__ import annotations

import os
import tempfile
from typing import Any, Dict, Optional

from ..common.configuration import Configuration
from .checkpoint_config import CheckpointConfig
from .externalized_checkpoint_retention import ExternalizedCheckpointRetention


def _path(text: str) -> str:
    # Flink writes URIs (file:///tmp/ckpt); local paths are what this runtime reads.
    if text.startswith("file://"):
        text = text[len("file://"):]
    return os.path.abspath(os.path.expanduser(text))


def checkpoint_dir(conf: Configuration) -> str:
    """``execution.checkpointing.dir`` (1.x: ``state.checkpoints.dir``), else a directory under
    the system's temporary directory."""
    text = conf.get_string("execution.checkpointing.dir", None) or conf.get_string("state.checkpoints.dir", None)
    return _path(text) if text else os.path.join(tempfile.gettempdir(), "oxflow-checkpoints")


def native_checkpoint_settings(conf: Configuration, config: CheckpointConfig, job_id: str) -> Optional[Dict[str, Any]]:
    """The ``checkpoint`` entry of the native job config, or None without checkpointing."""
    if not config.is_checkpointing_enabled():
        return None
    retained = conf.get_integer("execution.checkpointing.num-retained", conf.get_integer("state.checkpoints.num-retained", 1))
    if retained < 1:
        raise ValueError("execution.checkpointing.num-retained must be at least 1, got %d" % retained)
    return {
        "interval_ms": config.get_checkpoint_interval(),
        "min_pause_ms": config.get_min_pause_between_checkpoints(),
        "timeout_ms": config.get_checkpoint_timeout(),
        "max_concurrent": config.get_max_concurrent_checkpoints(),
        "tolerable_failures": config.get_tolerable_checkpoint_failure_number(),
        "retained": retained,
        "dir": checkpoint_dir(conf),
        "job_id": job_id,
        "retain_on_cancellation": config.get_externalized_checkpoint_retention() == ExternalizedCheckpointRetention.RETAIN_ON_CANCELLATION,
    }


def native_restore_settings(conf: Configuration) -> Optional[Dict[str, Any]]:
    """The ``restore`` entry of the native job config, or None to start fresh."""
    path = conf.get_string("execution.state-recovery.path", None) or conf.get_string("execution.savepoint.path", None)
    if not path:
        return None
    ignore = conf.get_boolean(
        "execution.state-recovery.ignore-unclaimed-state", conf.get_boolean("execution.savepoint.ignore-unclaimed-state", False)
    )
    return {"path": _path(path), "ignore_unclaimed": ignore}


def native_fault_tolerance(conf: Configuration, config: CheckpointConfig, job_id: str, restart: Any = None) -> Dict[str, Any]:
    """The fault-tolerance entries of a native job config (checkpoints, restore, state backend,
    restart strategy), for DataStream and Table jobs alike; ``restart``: a strategy set with
    ``set_restart_strategy``, if any."""
    from ..common.restart_strategy import native_restart_strategy
    from .state_backend import native_state_backend

    entries = {"checkpoint": native_checkpoint_settings(conf, config, job_id), "restore": native_restore_settings(conf)}
    entries.update(native_state_backend(conf))
    entries["restart"] = native_restart_strategy(conf, restart, entries["checkpoint"] is not None)
    return entries
