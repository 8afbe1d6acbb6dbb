"""The DataStream API, mirroring ``pyflink.datastream``."""

from .data_stream import CloseableIterator, DataStream, DataStreamSink, KeyedStream
from .execution_mode import RuntimeExecutionMode
from .functions import (
    FilterFunction,
    FlatMapFunction,
    Function,
    KeySelector,
    MapFunction,
    NullByteKeySelector,
    ProcessFunction,
    ReduceFunction,
    RuntimeContext,
    TimerService,
)
from .stream_execution_environment import StreamExecutionEnvironment

__all__ = [
    "StreamExecutionEnvironment",
    "DataStream",
    "KeyedStream",
    "DataStreamSink",
    "CloseableIterator",
    "RuntimeExecutionMode",
    "Function",
    "MapFunction",
    "FlatMapFunction",
    "FilterFunction",
    "ReduceFunction",
    "KeySelector",
    "NullByteKeySelector",
    "ProcessFunction",
    "RuntimeContext",
    "TimerService",
]
