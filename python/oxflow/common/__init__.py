"""Common classes shared by the DataStream and Table APIs, mirroring ``pyflink.common``.

Pure Python: nothing here depends on the native runtime.
"""

import importlib
from typing import Any

from .configuration import Configuration
from .job_execution_result import JobExecutionResult
from .job_id import JobID
from .job_status import JobStatus
from .serialization import (ByteArraySchema, BulkWriterFactory, DeserializationSchema, Encoder,
                            SerializationSchema, SimpleStringSchema)
from .time import Duration, Instant, Time
from .typeinfo import RowTypeInfo, TypeInformation, Types
from .types import Row, RowKind

__all__ = [
    "Configuration",
    "JobExecutionResult",
    "JobID",
    "JobStatus",
    "SerializationSchema",
    "DeserializationSchema",
    "SimpleStringSchema",
    "ByteArraySchema",
    "BulkWriterFactory",
    "Encoder",
    "Duration",
    "Instant",
    "Time",
    "Types",
    "TypeInformation",
    "RowTypeInfo",
    "Row",
    "RowKind",
]

# Names PyFlink exports from ``pyflink.common`` whose modules are written separately (they may
# not exist yet). They are imported on first access, so ``from oxflow.common import
# WatermarkStrategy`` works as soon as ``oxflow/common/watermark_strategy.py`` exists.
_LAZY = {
    "WatermarkStrategy": "watermark_strategy",
    "ExecutionConfig": "execution_config",
    "ExecutionMode": "execution_mode",
    "InputDependencyConstraint": "input_dependency_constraint",
    "RestartStrategies": "restart_strategy",
    "RestartStrategyConfiguration": "restart_strategy",
    "JobClient": "job_client",
    "CheckpointingMode": "checkpointing_mode",
    "CompletableFuture": "completable_future",
    "ConfigOption": "config_options",
    "ConfigOptions": "config_options",
}


def __getattr__(name: str) -> Any:
    module_name = _LAZY.get(name)
    if module_name is None:
        raise AttributeError("module %r has no attribute %r" % (__name__, name))
    full_name = "%s.%s" % (__name__, module_name)
    try:
        module = importlib.import_module(full_name)
    except ModuleNotFoundError as e:
        if e.name != full_name:
            raise
        raise AttributeError("module %r has no attribute %r" % (__name__, name)) from None
    return getattr(module, name)
