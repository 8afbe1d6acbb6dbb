"""``TableConfig``: the options of a TableEnvironment (``parallelism.default``,
``table.exec.state.ttl``, ``pipeline.auto-watermark-interval``, ...), as PyFlink's."""

import datetime
from typing import Any, Dict, Optional

from ..common.configuration import Configuration

__all__ = ["TableConfig"]


class TableConfig(object):
    """Options of a table program; ``set`` and ``get`` take Flink's configuration keys."""

    def __init__(self, native: Any = None, configuration: Optional[Configuration] = None):
        self._native = native
        self._configuration = Configuration()
        if configuration is not None:
            for k, v in configuration.to_dict().items():
                self.set(k, v)

    def set(self, key: str, value: str) -> "TableConfig":
        """Sets option ``key`` (values are strings, as in Flink's configuration)."""
        value = str(value)
        self._configuration.set_string(key, value)
        if self._native is not None:
            self._native.set_option(key, value)
        return self

    def get(self, key: str, default_value: Optional[str] = None) -> Optional[str]:
        return self._configuration.get_string(key, default_value)

    def get_configuration(self) -> Configuration:
        return self._configuration

    def add_configuration(self, configuration: Configuration) -> None:
        for k, v in configuration.to_dict().items():
            self.set(k, v)

    def to_map(self) -> Dict[str, str]:
        return self._configuration.to_dict()

    def set_local_timezone(self, timezone_id: str) -> None:
        self.set("table.local-time-zone", timezone_id)

    def get_local_timezone(self) -> str:
        return self.get("table.local-time-zone", "default") or "default"

    def set_idle_state_retention(self, duration: datetime.timedelta) -> None:
        """Keyed state of updating queries expires after ``duration`` (``table.exec.state.ttl``)."""
        self.set("table.exec.state.ttl", "%d ms" % int(duration.total_seconds() * 1000))

    def get_idle_state_retention(self) -> datetime.timedelta:
        from ..common.configuration import parse_duration_ms
        return datetime.timedelta(milliseconds=parse_duration_ms("table.exec.state.ttl", self.get("table.exec.state.ttl", "0 ms") or "0 ms"))

    def set_sql_dialect(self, sql_dialect: Any) -> None:
        self.set("table.sql-dialect", str(getattr(sql_dialect, "name", sql_dialect)).lower())

    def get_sql_dialect(self) -> str:
        return self.get("table.sql-dialect", "default") or "default"

    def set_python_executable(self, python_exec: str) -> None:
        self.set("python.executable", python_exec)

    def get_python_executable(self) -> Optional[str]:
        return self.get("python.executable")

    def _parallelism(self) -> int:
        return int(self.get("parallelism.default", "1") or "1")

    def __getattr__(self, name: str) -> Any:
        raise AttributeError("'TableConfig' object has no attribute %r" % name)
