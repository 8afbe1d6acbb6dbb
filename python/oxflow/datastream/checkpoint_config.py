"""``CheckpointConfig``: how a job takes checkpoints (``env.get_checkpoint_config()``).

Settings come from ``enable_checkpointing``, these setters, and Flink's configuration keys given
to ``StreamExecutionEnvironment.get_execution_environment(Configuration)``
(``execution.checkpointing.interval``, ``.mode``, ``.timeout``, ``.min-pause``,
``.max-concurrent-checkpoints``, ``.tolerable-failed-checkpoints``,
``.externalized-checkpoint-retention``, ``.num-retained``, ``.dir``).
"""

from __future__ import annotations

from typing import Any, Optional, Union

from ..common.configuration import Configuration, parse_duration_ms
from ..common.time import Duration
from .checkpointing_mode import CheckpointingMode
from .externalized_checkpoint_retention import ExternalizedCheckpointRetention

__all__ = ["CheckpointConfig"]

def _positive(name: str, value: Any, minimum: int = 1) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or value < minimum:
        raise ValueError("%s must be an int >= %d, got %r" % (name, minimum, value))
    return value


class CheckpointConfig:
    """The checkpoint settings of one environment (Flink's defaults until changed)."""

    def __init__(self) -> None:
        self._interval_ms = -1
        self._mode = CheckpointingMode.EXACTLY_ONCE
        self._timeout_ms = 600_000
        self._min_pause_ms = 0
        self._max_concurrent = 1
        self._tolerable_failures = 0
        self._retention = ExternalizedCheckpointRetention.NO_EXTERNALIZED_CHECKPOINTS
        self._unaligned = False
        self._aligned_timeout = Duration.of_millis(0)
        self._force_unaligned = False

    def _configure(self, conf: Configuration) -> None:
        """Reads Flink's ``execution.checkpointing.*`` keys."""
        def duration(key: str) -> Optional[int]:
            text = conf.get_string(key, None)
            return None if text is None else parse_duration_ms(key, text)

        interval = duration("execution.checkpointing.interval")
        if interval is not None and interval > 0:
            self.set_checkpoint_interval(interval)
        mode = conf.get_string("execution.checkpointing.mode", None)
        if mode is not None:
            self.set_checkpointing_mode(_enum(CheckpointingMode, "execution.checkpointing.mode", mode))
        timeout = duration("execution.checkpointing.timeout")
        if timeout is not None:
            self.set_checkpoint_timeout(timeout)
        pause = duration("execution.checkpointing.min-pause")
        if pause is not None:
            self.set_min_pause_between_checkpoints(pause)
        if conf.contains_key("execution.checkpointing.max-concurrent-checkpoints"):
            self.set_max_concurrent_checkpoints(conf.get_integer("execution.checkpointing.max-concurrent-checkpoints", 1))
        if conf.contains_key("execution.checkpointing.tolerable-failed-checkpoints"):
            self.set_tolerable_checkpoint_failure_number(conf.get_integer("execution.checkpointing.tolerable-failed-checkpoints", 0))
        retention = conf.get_string("execution.checkpointing.externalized-checkpoint-retention", None)
        if retention is not None:
            self.set_externalized_checkpoint_retention(
                _enum(ExternalizedCheckpointRetention, "execution.checkpointing.externalized-checkpoint-retention", retention)
            )

    # ---- the settings ---------------------------------------------------------------------
    def is_checkpointing_enabled(self) -> bool:
        return self._interval_ms > 0

    def get_checkpointing_mode(self) -> CheckpointingMode:
        return self._mode

    def set_checkpointing_mode(self, checkpointing_mode: CheckpointingMode) -> "CheckpointConfig":
        if not isinstance(checkpointing_mode, CheckpointingMode):
            raise TypeError("set_checkpointing_mode expects a CheckpointingMode, got %r" % (checkpointing_mode,))
        self._mode = checkpointing_mode
        return self

    def get_checkpoint_interval(self) -> int:
        """Milliseconds between checkpoints; -1 while checkpointing is disabled."""
        return self._interval_ms

    def set_checkpoint_interval(self, checkpoint_interval: int) -> "CheckpointConfig":
        # Flink's lower bound is 10 ms.
        self._interval_ms = _positive("the checkpoint interval (ms)", checkpoint_interval, 10)
        return self

    def get_checkpoint_timeout(self) -> int:
        return self._timeout_ms

    def set_checkpoint_timeout(self, checkpoint_timeout: int) -> "CheckpointConfig":
        self._timeout_ms = _positive("the checkpoint timeout (ms)", checkpoint_timeout)
        return self

    def get_min_pause_between_checkpoints(self) -> int:
        return self._min_pause_ms

    def set_min_pause_between_checkpoints(self, min_pause_between_checkpoints: int) -> "CheckpointConfig":
        self._min_pause_ms = _positive("the minimum pause between checkpoints (ms)", min_pause_between_checkpoints, 0)
        return self

    def get_max_concurrent_checkpoints(self) -> int:
        return self._max_concurrent

    def set_max_concurrent_checkpoints(self, max_concurrent_checkpoints: int) -> "CheckpointConfig":
        self._max_concurrent = _positive("max concurrent checkpoints", max_concurrent_checkpoints)
        return self

    def is_fail_on_checkpointing_errors(self) -> bool:
        return self._tolerable_failures == 0

    def set_fail_on_checkpointing_errors(self, fail_on_checkpointing_errors: bool) -> "CheckpointConfig":
        self._tolerable_failures = 0 if fail_on_checkpointing_errors else 2**31 - 1
        return self

    def get_tolerable_checkpoint_failure_number(self) -> int:
        return self._tolerable_failures

    def set_tolerable_checkpoint_failure_number(self, tolerable_checkpoint_failure_number: int) -> "CheckpointConfig":
        self._tolerable_failures = _positive("the tolerable checkpoint failure number", tolerable_checkpoint_failure_number, 0)
        return self

    def set_externalized_checkpoint_retention(self, retention_mode: ExternalizedCheckpointRetention) -> "CheckpointConfig":
        if not isinstance(retention_mode, ExternalizedCheckpointRetention):
            raise TypeError("expected an ExternalizedCheckpointRetention, got %r" % (retention_mode,))
        self._retention = retention_mode
        return self

    def set_externalized_checkpoints(
        self, cleanup_mode: Union[ExternalizedCheckpointRetention, str] = ExternalizedCheckpointRetention.RETAIN_ON_CANCELLATION
    ) -> "CheckpointConfig":
        """1.x name (``enable_externalized_checkpoints``); takes the mode or its name."""
        if isinstance(cleanup_mode, str):
            cleanup_mode = _enum(ExternalizedCheckpointRetention, "cleanup_mode", cleanup_mode)
        return self.set_externalized_checkpoint_retention(cleanup_mode)

    enable_externalized_checkpoints = set_externalized_checkpoints

    def is_externalized_checkpoints_enabled(self) -> bool:
        return self._retention != ExternalizedCheckpointRetention.NO_EXTERNALIZED_CHECKPOINTS

    def get_externalized_checkpoint_retention(self) -> Optional[ExternalizedCheckpointRetention]:
        return self._retention

    # Unaligned checkpoints are accepted as settings; barriers are always aligned here.
    def is_unaligned_checkpoints_enabled(self) -> bool:
        return self._unaligned

    def enable_unaligned_checkpoints(self, enabled: bool = True) -> "CheckpointConfig":
        self._unaligned = bool(enabled)
        return self

    def disable_unaligned_checkpoints(self) -> "CheckpointConfig":
        return self.enable_unaligned_checkpoints(False)

    def set_aligned_checkpoint_timeout(self, alignment_timeout: Duration) -> "CheckpointConfig":
        self._aligned_timeout = alignment_timeout
        return self

    def get_aligned_checkpoint_timeout(self) -> Duration:
        return self._aligned_timeout

    set_alignment_timeout = set_aligned_checkpoint_timeout
    get_alignment_timeout = get_aligned_checkpoint_timeout

    def set_force_unaligned_checkpoints(self, force_unaligned_checkpoints: bool = True) -> "CheckpointConfig":
        self._force_unaligned = bool(force_unaligned_checkpoints)
        return self

    def is_force_unaligned_checkpoints(self) -> bool:
        return self._force_unaligned


def _enum(enum: Any, key: str, text: str) -> Any:
    name = text.strip().upper().replace("-", "_")
    if name not in enum.__members__:
        raise ValueError("configuration '%s': unknown value %r (one of %s)" % (key, text, ", ".join(enum.__members__)))
    return enum[name]
