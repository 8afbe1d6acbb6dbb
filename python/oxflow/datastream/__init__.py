"""The DataStream API, mirroring ``pyflink.datastream``."""

from .connected_streams import BroadcastConnectedStream, BroadcastStream, ConnectedStreams
from .data_stream import CloseableIterator, DataStream, DataStreamSink, KeyedStream
from .windowed_stream import AllWindowedStream, WindowedStream
from .execution_mode import RuntimeExecutionMode
from .functions import (
    AggregateFunction,
    AllWindowFunction,
    BroadcastProcessFunction,
    CoFlatMapFunction,
    CoMapFunction,
    CoProcessFunction,
    KeyedBroadcastProcessFunction,
    KeyedCoProcessFunction,
    ProcessAllWindowFunction,
    ProcessWindowFunction,
    WindowFunction,
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
from .checkpoint_config import CheckpointConfig
from .checkpointing_mode import CheckpointingMode
from .externalized_checkpoint_retention import ExternalizedCheckpointRetention
from .output_tag import OutputTag
from .state_backend import CustomStateBackend, EmbeddedRocksDBStateBackend, HashMapStateBackend, PredefinedOptions, StateBackend
from .stream_execution_environment import StreamExecutionEnvironment
from .._native import ManualClock

__all__ = [
    "StreamExecutionEnvironment",
    "ManualClock",
    "CheckpointConfig",
    "CheckpointingMode",
    "ExternalizedCheckpointRetention",
    "StateBackend",
    "HashMapStateBackend",
    "EmbeddedRocksDBStateBackend",
    "PredefinedOptions",
    "CustomStateBackend",
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
    "ConnectedStreams",
    "BroadcastStream",
    "BroadcastConnectedStream",
    "WindowedStream",
    "AllWindowedStream",
    "CoMapFunction",
    "CoFlatMapFunction",
    "CoProcessFunction",
    "KeyedCoProcessFunction",
    "BroadcastProcessFunction",
    "KeyedBroadcastProcessFunction",
    "WindowFunction",
    "AllWindowFunction",
    "ProcessWindowFunction",
    "ProcessAllWindowFunction",
]
