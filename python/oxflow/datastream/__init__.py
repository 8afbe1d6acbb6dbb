"""The DataStream API, mirroring ``pyflink.datastream``."""

from .data_stream import CloseableIterator, DataStream, DataStreamSink, KeyedStream
from .execution_mode import RuntimeExecutionMode
from .functions import (
    AggregateFunction,
    FilterFunction,
    FlatMapFunction,
    Function,
    KeyedProcessFunction,
    KeySelector,
    MapFunction,
    NullByteKeySelector,
    ProcessFunction,
    ReduceFunction,
    RuntimeContext,
    TimeDomain,
    TimerService,
)
from .output_tag import OutputTag
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
    "TimeDomain",
    "KeyedProcessFunction",
    "AggregateFunction",
    "OutputTag",
]
