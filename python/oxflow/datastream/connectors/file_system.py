"""Files as sources and sinks, mirroring ``pyflink.datastream.connectors.file_system``.

``FileSource`` reads text lines (bounded: the files present when the job starts). ``FileSink``
writes one encoded element per line into part files under ``<base>/<bucket>/``; each part is
written hidden as ``.part-...inprogress...`` and renamed to ``part-<uid>-<subtask>-<n>`` when it is
committed (when it rolls and at the end of the input).
"""

from __future__ import annotations

import os
from typing import Any, Callable, Dict, List, Optional

from ...common.serialization import Encoder
from ...common.time import Duration
from . import Sink, Source

__all__ = [
    "FileSource",
    "FileSourceBuilder",
    "StreamFormat",
    "FileSink",
    "OutputFileConfig",
    "RollingPolicy",
    "BucketAssigner",
]


class StreamFormat:
    """How a file's bytes become records."""

    def __init__(self, kind: str, charset: str):
        self._kind = kind
        self._charset = charset

    @staticmethod
    def text_line_format(charset_name: str = "UTF-8") -> "StreamFormat":
        """One record (a str) per line, without its line terminator."""
        if charset_name.upper().replace("_", "-") not in ("UTF-8", "UTF8"):
            raise ValueError("text_line_format supports UTF-8 only, got %r" % (charset_name,))
        return StreamFormat("text_line", charset_name)


class FileSource(Source):
    """A bounded source of the files (or directories, read recursively) given."""

    def __init__(self, stream_format: StreamFormat, paths: List[str]):
        self._format = stream_format
        self._paths = paths

    @staticmethod
    def for_record_stream_format(stream_format: StreamFormat, *paths: str) -> "FileSourceBuilder":
        if not isinstance(stream_format, StreamFormat):
            raise TypeError("expected a StreamFormat (e.g. StreamFormat.text_line_format()), got %r" % (stream_format,))
        if not paths:
            raise ValueError("FileSource needs at least one path")
        return FileSourceBuilder(stream_format, [os.fspath(p) for p in paths])

    def _job_params(self) -> Dict[str, Any]:
        for path in self._paths:
            if not os.path.exists(path):
                raise FileNotFoundError("file source: path '%s' does not exist" % path)
        return {"paths": list(self._paths)}


class FileSourceBuilder:
    def __init__(self, stream_format: StreamFormat, paths: List[str]):
        self._format = stream_format
        self._paths = paths

    def monitor_continuously(self, discovery_interval: Duration) -> "FileSourceBuilder":
        raise NotImplementedError("continuous file monitoring (an unbounded FileSource) is not supported yet")

    def process_static_file_set(self) -> "FileSourceBuilder":
        return self

    def build(self) -> FileSource:
        return FileSource(self._format, self._paths)


class OutputFileConfig:
    """Prefix and suffix of part file names."""

    def __init__(self, part_prefix: str, part_suffix: str):
        self._part_prefix = part_prefix
        self._part_suffix = part_suffix

    def get_part_prefix(self) -> str:
        return self._part_prefix

    def get_part_suffix(self) -> str:
        return self._part_suffix

    @staticmethod
    def builder() -> "OutputFileConfig.OutputFileConfigBuilder":
        return OutputFileConfig.OutputFileConfigBuilder()

    class OutputFileConfigBuilder:
        def __init__(self) -> None:
            self._prefix = "part"
            self._suffix = ""

        def with_part_prefix(self, prefix: str) -> "OutputFileConfig.OutputFileConfigBuilder":
            self._prefix = prefix
            return self

        def with_part_suffix(self, suffix: str) -> "OutputFileConfig.OutputFileConfigBuilder":
            self._suffix = suffix
            return self

        def build(self) -> "OutputFileConfig":
            return OutputFileConfig(self._prefix, self._suffix)


class RollingPolicy:
    """When a part file is committed and a new one started."""

    def __init__(self, part_size: Optional[int]):
        self._part_size = part_size

    @staticmethod
    def default_rolling_policy(
        part_size: int = 1024 * 1024 * 128, rollover_interval: int = 60 * 1000, inactivity_interval: int = 60 * 1000
    ) -> "RollingPolicy":
        """Roll when a part exceeds ``part_size`` bytes. Time-based rolling is not supported yet:
        parts also commit at the end of the input."""
        return RollingPolicy(part_size)

    @staticmethod
    def on_checkpoint_rolling_policy() -> "RollingPolicy":
        return RollingPolicy(None)


class BucketAssigner:
    """Which sub-directory of the base path an element goes to."""

    def __init__(self, kind: str):
        self._kind = kind

    @staticmethod
    def base_path_bucket_assigner() -> "BucketAssigner":
        return BucketAssigner("base_path")

    @staticmethod
    def date_time_bucket_assigner(format_str: str = "yyyy-MM-dd--HH", timezone_id: Optional[str] = None) -> "BucketAssigner":
        if format_str != "yyyy-MM-dd--HH":
            raise NotImplementedError("only the default bucket format 'yyyy-MM-dd--HH' (UTC) is supported")
        return BucketAssigner("date_time")


class FileSink(Sink):
    """Writes elements as lines of part files under a base directory."""

    def __init__(self, base_path: str, encoder: Encoder, config: OutputFileConfig, rolling: RollingPolicy, bucket: BucketAssigner):
        self._base_path = base_path
        self._encoder = encoder
        self._config = config
        self._rolling = rolling
        self._bucket = bucket

    @staticmethod
    def for_row_format(base_path: str, encoder: Encoder) -> "FileSink.RowFormatBuilder":
        if not isinstance(encoder, Encoder):
            raise TypeError("expected an Encoder (e.g. Encoder.simple_string_encoder()), got %r" % (encoder,))
        return FileSink.RowFormatBuilder(os.fspath(base_path), encoder)

    def _job_params(self, formatter: Callable[[Any], str]) -> Dict[str, Any]:
        return {
            "path": self._base_path,
            "part_prefix": self._config.get_part_prefix(),
            "part_suffix": self._config.get_part_suffix(),
            "max_part_size": self._rolling._part_size,
            "bucket": self._bucket._kind,
            "encoder": formatter,
        }

    class RowFormatBuilder:
        def __init__(self, base_path: str, encoder: Encoder):
            self._base_path = base_path
            self._encoder = encoder
            self._config = OutputFileConfig("part", "")
            self._rolling = RollingPolicy.default_rolling_policy()
            self._bucket = BucketAssigner.date_time_bucket_assigner()

        def with_output_file_config(self, output_file_config: OutputFileConfig) -> "FileSink.RowFormatBuilder":
            self._config = output_file_config
            return self

        def with_rolling_policy(self, rolling_policy: RollingPolicy) -> "FileSink.RowFormatBuilder":
            self._rolling = rolling_policy
            return self

        def with_bucket_assigner(self, bucket_assigner: BucketAssigner) -> "FileSink.RowFormatBuilder":
            self._bucket = bucket_assigner
            return self

        def with_bucket_check_interval(self, interval: int) -> "FileSink.RowFormatBuilder":
            return self

        def build(self) -> "FileSink":
            return FileSink(self._base_path, self._encoder, self._config, self._rolling, self._bucket)
