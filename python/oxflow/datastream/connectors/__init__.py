"""Sources and sinks of the DataStream API, mirroring ``pyflink.datastream.connectors``."""

from enum import Enum

__all__ = ["Source", "Sink", "DeliveryGuarantee", "FileSource", "FileSink", "NumberSequenceSource", "StreamFormat"]


class Source:
    """Base of the sources ``StreamExecutionEnvironment.from_source`` reads."""


class Sink:
    """Base of the sinks ``DataStream.sink_to`` writes to."""


class DeliveryGuarantee(Enum):
    EXACTLY_ONCE = 0
    AT_LEAST_ONCE = 1
    NONE = 2


def __getattr__(name: str):
    # Re-exported lazily to avoid an import cycle with the modules that subclass Source/Sink.
    if name in ("FileSource", "FileSink", "StreamFormat"):
        from . import file_system

        return getattr(file_system, name)
    if name == "NumberSequenceSource":
        from .number_seq import NumberSequenceSource

        return NumberSequenceSource
    raise AttributeError("module %r has no attribute %r" % (__name__, name))
