"""Restart strategies: what a failed job does (``pyflink.common.RestartStrategies``, the 1.x API
kept in PyFlink 2.x; Flink 2's configuration keys are the other way to set them).

Configuration keys (as Flink's): ``restart-strategy.type`` = ``none`` | ``fixed-delay`` |
``failure-rate`` | ``exponential-delay``; ``restart-strategy.fixed-delay.attempts`` / ``.delay``;
``restart-strategy.failure-rate.max-failures-per-interval`` / ``.failure-rate-interval`` /
``.delay``; ``restart-strategy.exponential-delay.initial-backoff`` / ``.max-backoff`` /
``.backoff-multiplier`` / ``.reset-backoff-threshold`` / ``.attempts-before-reset-backoff``.
Without a type, a job with checkpointing uses ``exponential-delay`` and one without uses
``none``, as Flink does. A restarted job resumes from its latest completed checkpoint; each
restart is reported on ``sys.stderr``.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any, Dict, Optional, Union

from .configuration import parse_duration_ms

__all__ = ["RestartStrategies", "RestartStrategyConfiguration"]


def _ms(value: Union[int, timedelta]) -> int:
    return int(value.total_seconds() * 1000) if isinstance(value, timedelta) else int(value)


class RestartStrategyConfiguration:
    """A restart strategy, as ``env.set_restart_strategy`` takes it."""

    def __init__(self, settings: Dict[str, Any], description: str):
        self._settings = settings
        self._description = description

    def get_description(self) -> str:
        return self._description

    def _native(self) -> Dict[str, Any]:
        return dict(self._settings)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, RestartStrategyConfiguration) and self._settings == other._settings

    def __hash__(self) -> int:
        return hash(tuple(sorted(self._settings.items())))

    def __repr__(self) -> str:
        return "RestartStrategyConfiguration(%s)" % self._description


class RestartStrategies:
    """Factories of restart strategies."""

    class NoRestartStrategyConfiguration(RestartStrategyConfiguration):
        def __init__(self) -> None:
            super().__init__({"type": "none"}, "Restart deactivated.")

    class FixedDelayRestartStrategyConfiguration(RestartStrategyConfiguration):
        def __init__(self, restart_attempts: int, delay_between_attempts_interval: Union[int, timedelta]):
            self._attempts = restart_attempts
            self._delay = _ms(delay_between_attempts_interval)
            super().__init__(
                {"type": "fixed-delay", "attempts": restart_attempts, "delay_ms": self._delay},
                "Restart with fixed delay (%d ms). #%d restart attempts." % (self._delay, restart_attempts),
            )

        def get_restart_attempts(self) -> int:
            return self._attempts

        def get_delay_between_attempts_interval(self) -> timedelta:
            return timedelta(milliseconds=self._delay)

    class FailureRateRestartStrategyConfiguration(RestartStrategyConfiguration):
        def __init__(self, max_failure_rate: int, failure_interval: Union[int, timedelta], delay_between_attempts_interval: Union[int, timedelta]):
            self._rate, self._interval, self._delay = max_failure_rate, _ms(failure_interval), _ms(delay_between_attempts_interval)
            super().__init__(
                {"type": "failure-rate", "max_failures": max_failure_rate, "interval_ms": self._interval, "delay_ms": self._delay},
                "Failure rate restart with maximum of %d failures within interval %d ms and fixed delay %d ms."
                % (max_failure_rate, self._interval, self._delay),
            )

        def get_max_failure_rate(self) -> int:
            return self._rate

        def get_failure_interval(self) -> timedelta:
            return timedelta(milliseconds=self._interval)

        def get_delay_between_attempts_interval(self) -> timedelta:
            return timedelta(milliseconds=self._delay)

    class FallbackRestartStrategyConfiguration(RestartStrategyConfiguration):
        """Use what the configuration says (the default)."""

        def __init__(self) -> None:
            super().__init__({"type": "fallback"}, "Cluster level default restart strategy")

    @staticmethod
    def no_restart() -> "RestartStrategies.NoRestartStrategyConfiguration":
        return RestartStrategies.NoRestartStrategyConfiguration()

    @staticmethod
    def fall_back_restart() -> "RestartStrategies.FallbackRestartStrategyConfiguration":
        return RestartStrategies.FallbackRestartStrategyConfiguration()

    @staticmethod
    def fixed_delay_restart(restart_attempts: int, delay_between_attempts: int) -> "RestartStrategies.FixedDelayRestartStrategyConfiguration":
        return RestartStrategies.FixedDelayRestartStrategyConfiguration(restart_attempts, delay_between_attempts)

    @staticmethod
    def failure_rate_restart(failure_rate: int, failure_interval: int, delay_interval: int) -> "RestartStrategies.FailureRateRestartStrategyConfiguration":
        return RestartStrategies.FailureRateRestartStrategyConfiguration(failure_rate, failure_interval, delay_interval)


def native_restart_strategy(conf: Any, chosen: Optional[RestartStrategyConfiguration], checkpointing: bool) -> Dict[str, Any]:
    """The strategy a job runs with: ``env.set_restart_strategy``, else the configuration keys,
    else Flink's default (exponential delay with checkpointing, none without)."""

    if chosen is not None and chosen._settings["type"] != "fallback":
        return chosen._native()

    def duration(key: str, default_ms: int) -> int:
        text = conf.get_string(key, None)
        return default_ms if text is None else parse_duration_ms(key, text)

    kind = (conf.get_string("restart-strategy.type", None) or conf.get_string("restart-strategy", None) or "").strip().lower()
    kind = {"off": "none", "disable": "none", "norestart": "none", "fixeddelay": "fixed-delay", "failurerate": "failure-rate",
            "exponentialdelay": "exponential-delay"}.get(kind.replace("-", "").replace("_", ""), kind)
    if not kind:
        kind = "exponential-delay" if checkpointing else "none"
    if kind == "none":
        return {"type": "none"}
    if kind == "fixed-delay":
        return {"type": kind, "attempts": conf.get_integer("restart-strategy.fixed-delay.attempts", 1),
                "delay_ms": duration("restart-strategy.fixed-delay.delay", 1000)}
    if kind == "failure-rate":
        return {"type": kind, "max_failures": conf.get_integer("restart-strategy.failure-rate.max-failures-per-interval", 1),
                "interval_ms": duration("restart-strategy.failure-rate.failure-rate-interval", 60_000),
                "delay_ms": duration("restart-strategy.failure-rate.delay", 1000)}
    if kind == "exponential-delay":
        return {"type": kind, "initial_ms": duration("restart-strategy.exponential-delay.initial-backoff", 1000),
                "max_ms": duration("restart-strategy.exponential-delay.max-backoff", 60_000),
                "multiplier": conf.get_float("restart-strategy.exponential-delay.backoff-multiplier", 1.5),
                "reset_threshold_ms": duration("restart-strategy.exponential-delay.reset-backoff-threshold", 3_600_000),
                "attempts": min(conf.get_integer("restart-strategy.exponential-delay.attempts-before-reset-backoff", 2**31 - 1), 2**32 - 1)}
    raise ValueError("configuration 'restart-strategy.type': unknown value %r (none, fixed-delay, failure-rate, exponential-delay)" % kind)
