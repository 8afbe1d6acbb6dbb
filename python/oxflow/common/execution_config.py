"""``ExecutionConfig``: per-job settings reached through ``env.get_config()``."""

from typing import Dict, Optional

__all__ = ["ExecutionConfig"]


class ExecutionConfig:
    """Settings of a job. Kryo/Avro/closure-cleaner switches of Java Flink are accepted and ignored."""

    def __init__(self) -> None:
        self._auto_watermark_interval = 200
        self._parallelism: Optional[int] = None
        self._max_parallelism: Optional[int] = None
        self._global_job_parameters: Dict[str, str] = {}
        self._object_reuse = False
        self._latency_tracking_interval = 0

    def set_auto_watermark_interval(self, interval: int) -> "ExecutionConfig":
        """How often (ms) periodic watermarks are emitted."""
        self._auto_watermark_interval = int(interval)
        return self

    def get_auto_watermark_interval(self) -> int:
        return self._auto_watermark_interval

    def set_parallelism(self, parallelism: int) -> "ExecutionConfig":
        self._parallelism = parallelism
        return self

    def get_parallelism(self) -> Optional[int]:
        return self._parallelism

    def set_max_parallelism(self, max_parallelism: int) -> "ExecutionConfig":
        self._max_parallelism = max_parallelism
        return self

    def get_max_parallelism(self) -> Optional[int]:
        return self._max_parallelism

    def set_global_job_parameters(self, global_job_parameters_dict: Dict[str, str]) -> "ExecutionConfig":
        """Parameters every function reads with ``RuntimeContext.get_job_parameter``."""
        self._global_job_parameters = {str(k): str(v) for k, v in global_job_parameters_dict.items()}
        return self

    def get_global_job_parameters(self) -> Dict[str, str]:
        return dict(self._global_job_parameters)

    def enable_object_reuse(self) -> "ExecutionConfig":
        self._object_reuse = True
        return self

    def disable_object_reuse(self) -> "ExecutionConfig":
        self._object_reuse = False
        return self

    def is_object_reuse_enabled(self) -> bool:
        return self._object_reuse

    def set_latency_tracking_interval(self, interval: int) -> "ExecutionConfig":
        self._latency_tracking_interval = interval
        return self

    def get_latency_tracking_interval(self) -> int:
        return self._latency_tracking_interval

    def _ignored(self, *args, **kwargs) -> "ExecutionConfig":
        return self

    enable_closure_cleaner = disable_closure_cleaner = _ignored
    enable_force_kryo = disable_force_kryo = enable_force_avro = disable_force_avro = _ignored
    disable_generic_types = enable_generic_types = _ignored
