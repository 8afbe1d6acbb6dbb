"""``EnvironmentSettings``: streaming or batch mode of a TableEnvironment, as PyFlink's."""

from typing import Optional

from ..common.configuration import Configuration

__all__ = ["EnvironmentSettings"]


class EnvironmentSettings(object):
    """How a TableEnvironment runs: in streaming mode (the default) or batch mode."""

    class Builder(object):
        def __init__(self) -> None:
            self._streaming = True
            self._configuration = Configuration()

        def in_streaming_mode(self) -> "EnvironmentSettings.Builder":
            self._streaming = True
            return self

        def in_batch_mode(self) -> "EnvironmentSettings.Builder":
            self._streaming = False
            return self

        def with_configuration(self, config: Configuration) -> "EnvironmentSettings.Builder":
            self._configuration.add_all(config)
            return self

        def with_built_in_catalog_name(self, name: str) -> "EnvironmentSettings.Builder":
            self._configuration.set_string("table.builtin-catalog-name", name)
            return self

        def with_built_in_database_name(self, name: str) -> "EnvironmentSettings.Builder":
            self._configuration.set_string("table.builtin-database-name", name)
            return self

        def build(self) -> "EnvironmentSettings":
            return EnvironmentSettings(self._streaming, self._configuration)

    def __init__(self, streaming: bool = True, configuration: Optional[Configuration] = None):
        self._streaming = streaming
        self._configuration = configuration if configuration is not None else Configuration()

    @staticmethod
    def new_instance() -> "EnvironmentSettings.Builder":
        return EnvironmentSettings.Builder()

    @staticmethod
    def in_streaming_mode() -> "EnvironmentSettings":
        return EnvironmentSettings(True)

    @staticmethod
    def in_batch_mode() -> "EnvironmentSettings":
        return EnvironmentSettings(False)

    @staticmethod
    def from_configuration(config: Configuration) -> "EnvironmentSettings":
        mode = config.get_string("execution.runtime-mode", "streaming").lower()
        return EnvironmentSettings(mode != "batch", config)

    def is_streaming_mode(self) -> bool:
        return self._streaming

    def get_configuration(self) -> Configuration:
        return self._configuration

    def to_configuration(self) -> Configuration:
        return self._configuration

    def get_built_in_catalog_name(self) -> str:
        return self._configuration.get_string("table.builtin-catalog-name", "default_catalog")

    def get_built_in_database_name(self) -> str:
        return self._configuration.get_string("table.builtin-database-name", "default_database")
