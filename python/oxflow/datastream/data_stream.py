"""DataStream, KeyedStream and DataStreamSink, as in ``pyflink.datastream.data_stream``."""

from __future__ import annotations

import itertools
from typing import TYPE_CHECKING, Any, Callable, Iterator, List, Optional, Union

from ..common._collected import collected_converter
from ..common.job_execution_result import JobExecutionResult
from ..common.job_id import JobID
from ..common.typeinfo import TypeInformation, Types
from . import _keyed_aggregations
from ._function_specs import function_spec
from ._graph import Transformation
from ._runtime import (
    CollectSpec,
    Collector,
    FunctionSpec,
    KeyedFunctionSpec,
    KeyedProcessFunctionSpec,
    PrintSpec,
    ProcessFunctionSpec,
)
from .functions import (
    FilterFunction,
    FlatMapFunction,
    KeyedProcessFunction,
    KeySelector,
    MapFunction,
    ProcessFunction,
    ReduceFunction,
)
from .output_tag import OutputTag

if TYPE_CHECKING:
    from .stream_execution_environment import StreamExecutionEnvironment

__all__ = ["DataStream", "KeyedStream", "DataStreamSink", "CloseableIterator"]


class DataStream:
    """A stream of elements produced by a source or an operator."""

    def __init__(self, env: "StreamExecutionEnvironment", transformation: Transformation, partitioning: Optional[str] = None):
        self._env = env
        self._transformation = transformation
        # Set by shuffle(), rebalance()...: how the next operator reads this stream.
        self._partitioning = partitioning

    # ---- metadata -------------------------------------------------------------------------
    def get_name(self) -> str:
        return self._transformation.name

    def name(self, name: str) -> "DataStream":
        """Sets the operator's name (shown in errors and execution plans)."""
        self._transformation.name = name
        return self

    def uid(self, uid: str) -> "DataStream":
        """Sets the operator's stable id (matches state on restore)."""
        self._transformation.uid = uid
        return self

    def set_uid_hash(self, uid_hash: str) -> "DataStream":
        self._transformation.uid = uid_hash
        return self

    def set_description(self, description: str) -> "DataStream":
        self._transformation.description = description
        return self

    def get_type(self) -> Optional[TypeInformation]:
        """The declared type of the elements (None: any Python object)."""
        return self._transformation.output_type

    def set_parallelism(self, parallelism: int) -> "DataStream":
        """Sets how many parallel instances run this operator."""
        if not isinstance(parallelism, int) or parallelism < 1:
            raise ValueError("parallelism must be a positive int, got %r" % (parallelism,))
        if self._transformation.non_parallel and parallelism != 1:
            raise ValueError("The parallelism of non parallel operator must be 1.")
        self._transformation.parallelism = parallelism
        self._transformation.follows_input_parallelism = False
        return self

    def set_max_parallelism(self, max_parallelism: int) -> "DataStream":
        self._transformation.max_parallelism = max_parallelism
        return self

    def force_non_parallel(self) -> "DataStream":
        self._transformation.parallelism = 1
        self._transformation.non_parallel = True
        return self

    # Accepted for compatibility; resource grouping and buffering are the runtime's own business.
    def slot_sharing_group(self, slot_sharing_group: Any) -> "DataStream":
        return self

    def set_buffer_timeout(self, timeout_millis: int) -> "DataStream":
        return self

    def start_new_chain(self) -> "DataStream":
        return self

    def disable_chaining(self) -> "DataStream":
        return self

    # ---- transformations ------------------------------------------------------------------
    def _add(
        self,
        kind: str,
        name: str,
        params: dict,
        output_type: Any,
        partitioning: Optional[str] = None,
        stream_class: type = None,
    ) -> "DataStream":
        t = Transformation(kind, name, [(self._transformation, partitioning or self._partitioning)], params, output_type=output_type)
        self._env._add_transformation(t)
        return (stream_class or DataStream)(self._env, t)

    def _udf_params(self, spec: Any, output_type: Optional[TypeInformation]) -> dict:
        params = {"function": spec}
        if output_type is not None:
            params["output_check"] = output_type._check_spec()
            params["output_type_name"] = repr(output_type)
        return params

    def _check_type(self, output_type: Any) -> None:
        if output_type is not None and not isinstance(output_type, TypeInformation):
            raise TypeError("output_type must be a TypeInformation (e.g. Types.INT()), got %r" % (output_type,))

    def map(self, func: Union[Callable[[Any], Any], MapFunction], output_type: Optional[TypeInformation] = None) -> "DataStream":
        """Applies ``func`` to every element."""
        self._check_type(output_type)
        spec = function_spec(func, MapFunction, "map", 1, "Map", self._env._job_parameters())
        return self._add("map", "Map", self._udf_params(spec, output_type), output_type)

    def flat_map(
        self, func: Union[Callable[[Any], Any], FlatMapFunction], output_type: Optional[TypeInformation] = None
    ) -> "DataStream":
        """Applies ``func`` to every element; it returns (or yields) any number of outputs."""
        self._check_type(output_type)
        spec = function_spec(func, FlatMapFunction, "flat_map", 1, "Flat Map", self._env._job_parameters())
        return self._add("flat_map", "Flat Map", self._udf_params(spec, output_type), output_type)

    def filter(self, func: Union[Callable[[Any], bool], FilterFunction]) -> "DataStream":
        """Keeps the elements for which ``func`` returns true."""
        spec = function_spec(func, FilterFunction, "filter", 1, "Filter", self._env._job_parameters())
        return self._add("filter", "Filter", {"function": spec}, self.get_type())

    def process(self, func: ProcessFunction, output_type: Optional[TypeInformation] = None) -> "DataStream":
        """Applies a :class:`ProcessFunction` to every element."""
        self._check_type(output_type)
        spec = function_spec(
            func, ProcessFunction, "process_element", 2, "Process", self._env._job_parameters(), ProcessFunctionSpec
        )
        return self._add("process", "Process", self._udf_params(spec, output_type), output_type)

    def key_by(self, key_selector: Union[Callable[[Any], Any], KeySelector], key_type: Optional[TypeInformation] = None) -> "KeyedStream":
        """Partitions the stream by the key ``key_selector`` extracts."""
        spec = function_spec(key_selector, KeySelector, "get_key", 1, "Key By", self._env._job_parameters())
        t = Transformation("key_by", "Key By", [(self._transformation, "forward")], {"function": spec}, output_type=self.get_type())
        t.follows_input_parallelism = True
        self._env._add_transformation(t)
        return KeyedStream(self._env, t, key_type)

    def union(self, *streams: "DataStream") -> "DataStream":
        """One stream of the elements of this and the other streams (of the same type). Streams
        of different declared types are refused, as in Flink; an untyped stream (any Python
        object) unions with anything."""
        pickled = Types.PICKLED_BYTE_ARRAY()
        mine = self.get_type()
        for other in streams:
            theirs = other.get_type()
            if mine is not None and theirs is not None and mine != theirs and pickled not in (mine, theirs):
                raise ValueError("Cannot union streams of different types: %r and %r" % (mine, theirs))
        inputs = [(s._transformation, s._partitioning) for s in (self,) + streams]
        t = Transformation("union", "Union", inputs, output_type=self.get_type())
        self._env._add_transformation(t)
        return DataStream(self._env, t)

    def assign_timestamps_and_watermarks(self, watermark_strategy: Any) -> "DataStream":
        """Sets each element's event timestamp and generates watermarks, per ``watermark_strategy``
        (periodically, every ``get_config().set_auto_watermark_interval`` ms, 200 by default)."""
        from ..common.watermark_strategy import TimestampAssigner, WatermarkStrategy

        if not isinstance(watermark_strategy, WatermarkStrategy):
            raise TypeError("expected a WatermarkStrategy, got %r" % (watermark_strategy,))
        assigner = watermark_strategy._timestamp_assigner
        spec = None
        if assigner is not None:
            spec = function_spec(assigner, TimestampAssigner, "extract_timestamp", 2, "Timestamps/Watermarks", self._env._job_parameters())
        interval = self._env.get_config().get_auto_watermark_interval()
        params = {
            "function": spec,
            "out_of_orderness_ms": watermark_strategy._out_of_orderness_ms,
            "emission": "on_event" if watermark_strategy._per_event else "periodic",
            "interval_ms": interval,
            "idle_timeout_ms": watermark_strategy._idleness_ms,
        }
        return self._add("timestamps", "Timestamps/Watermarks", params, self.get_type())

    def get_side_output(self, output_tag: OutputTag) -> "DataStream":
        """The elements a process function emitted with ``yield output_tag, value`` (or a window's
        late elements for its ``side_output_late_data`` tag)."""
        if not isinstance(output_tag, OutputTag):
            raise TypeError("expected an OutputTag, got %r" % (output_tag,))
        t = Transformation(
            "select_output", "Side Output: %s" % output_tag.tag_id, [(self._transformation, "forward")], {"output": output_tag._oxflow_id}, output_type=output_tag.type_info
        )
        t.follows_input_parallelism = True
        self._env._add_transformation(t)
        return DataStream(self._env, t)

    def window_all(self, window_assigner: Any) -> Any:
        """Cuts the whole (non-keyed) stream into windows, evaluated by a single instance."""
        from .windowed_stream import AllWindowedStream

        return AllWindowedStream(self, window_assigner)

    def project(self, *field_indexes: int) -> "DataStream":
        """Keeps the given fields of tuple elements."""
        fields = list(field_indexes)
        return self.map(lambda v: tuple(v[i] for i in fields)).name("Projection")

    # ---- partitioning ---------------------------------------------------------------------
    def _partitioned(self, partitioning: str) -> "DataStream":
        return DataStream(self._env, self._transformation, partitioning)

    def shuffle(self) -> "DataStream":
        """Sends each element to a uniformly random instance of the next operator."""
        return self._partitioned("shuffle")

    def rebalance(self) -> "DataStream":
        """Sends elements round-robin to the instances of the next operator."""
        return self._partitioned("rebalance")

    def rescale(self) -> "DataStream":
        return self._partitioned("rescale")

    def forward(self) -> "DataStream":
        """Sends each element to the instance of the next operator with the same index."""
        return self._partitioned("forward")

    def broadcast(self, *broadcast_state_descriptors: Any) -> Any:
        """Sends every element to every instance of the next operator. With MapStateDescriptors,
        returns a BroadcastStream to ``connect`` to another stream (broadcast state pattern)."""
        if broadcast_state_descriptors:
            from .connected_streams import BroadcastStream

            return BroadcastStream(self, broadcast_state_descriptors)
        return self._partitioned("broadcast")

    def connect(self, other: Any) -> Any:
        """Connects with another stream (ConnectedStreams) or a BroadcastStream
        (BroadcastConnectedStream) to process both in one operator."""
        from .connected_streams import BroadcastConnectedStream, BroadcastStream, ConnectedStreams

        if isinstance(other, BroadcastStream):
            return BroadcastConnectedStream(self, other)
        if not isinstance(other, DataStream):
            raise TypeError("connect expects a DataStream or BroadcastStream, got %r" % (other,))
        return ConnectedStreams(self, other)

    def global_(self) -> "DataStream":
        return self._partitioned("global")

    # ---- sinks ----------------------------------------------------------------------------
    def _formatter(self) -> Callable[[Any], str]:
        output_type = self.get_type()
        return output_type._java_str if output_type is not None else str

    def print(self, sink_identifier: Optional[str] = None) -> "DataStreamSink":
        """Prints every element to ``sys.stdout`` as Flink does: Java style (``(a,1)``,
        ``+I[a, 1]``) when the stream has a declared type, ``str()`` otherwise, behind ``N> `` when
        the sink runs in parallel."""
        spec = PrintSpec(None, self._formatter(), sink_identifier)
        t = Transformation("python_sink", "Print to Std. Out", [(self._transformation, self._partitioning)], {"function": spec})
        self._env._add_transformation(t)
        return DataStreamSink(t)

    def sink_to(self, sink: Any) -> "DataStreamSink":
        """Writes the stream to a sink (``FileSink``)."""
        from .connectors.file_system import FileSink

        if not isinstance(sink, FileSink):
            raise TypeError("sink_to expects a FileSink, got %r" % (sink,))
        params = sink._job_params(self._formatter())
        t = Transformation("file_sink", "File Sink", [(self._transformation, self._partitioning)], params)
        self._env._add_transformation(t)
        return DataStreamSink(t)

    def execute_and_collect(self, job_name: Optional[str] = None, limit: Optional[int] = None) -> Union["CloseableIterator", List[Any]]:
        """Runs the job and returns its elements: an iterator (use it as a context manager to stop
        the job early), or a list of at most ``limit`` elements.

        oxflow extension: once read to its end, the iterator's ``get_job_execution_result()``
        gives the job's :class:`JobExecutionResult`, with the accumulators ``execute()`` reports
        (``numLateRecordsDropped``); PyFlink offers no way to read them here."""
        collector = Collector(writers=1)
        out_type = self.get_type()
        convert = collected_converter(out_type._check_spec()) if out_type is not None else None
        spec = CollectSpec(collector, convert)
        t = Transformation("python_sink", "Collect Sink", [(self._transformation, self._partitioning)], {"function": spec}, parallelism=1)
        self._env._add_transformation(t)
        job_id = JobID()
        job = self._env._start(job_name or "collect", job_id=job_id)
        iterator = CloseableIterator(job, collector, job_id)
        if limit is None:
            return iterator
        with iterator:
            out = []
            for value in iterator:
                if len(out) >= limit:
                    break
                out.append(value)
            return out


class KeyedStream(DataStream):
    """A stream partitioned by key; aggregations and functions run per key."""

    def __init__(self, env: "StreamExecutionEnvironment", transformation: Transformation, key_type: Optional[TypeInformation] = None):
        super().__init__(env, transformation)
        self._key_type = key_type

    def _keyed(self, kind: str, name: str, params: dict, output_type: Any) -> DataStream:
        return self._add(kind, name, params, output_type, partitioning="hash")

    def reduce(self, func: Union[Callable[[Any, Any], Any], ReduceFunction]) -> DataStream:
        """A rolling reduce: emits the reduced value of the element's key for every element."""
        spec = function_spec(func, ReduceFunction, "reduce", 2, "Keyed Reduce", self._env._job_parameters())
        params = self._udf_params(spec, self.get_type())
        params["emit"] = self._env._keyed_emit_mode()
        return self._keyed("reduce", "Keyed Reduce", params, self.get_type())

    def _aggregation(self, name: str, kind: str, field: Union[int, str], reducer: Callable[[Any, Any], Any]) -> DataStream:
        params: dict = {"emit": self._env._keyed_emit_mode()}
        if isinstance(field, int) and not isinstance(field, bool):
            # Positions of tuples (or plain numbers) are aggregated in Rust.
            params["aggregation"] = (kind, field)
        else:
            params["function"] = function_spec(reducer, ReduceFunction, "reduce", 2, name, {})
        return self._keyed("reduce", name, params, self.get_type())

    def sum(self, position_to_sum: Union[int, str] = 0) -> DataStream:
        """A rolling sum of a field (a position, or a name for Rows)."""
        return self._aggregation("Keyed Sum", "sum", position_to_sum, _keyed_aggregations.summer(position_to_sum))

    def min(self, position_to_min: Union[int, str] = 0) -> DataStream:
        """A rolling minimum of a field; the other fields are those of the key's first element."""
        return self._aggregation("Keyed Min", "min", position_to_min, _keyed_aggregations.field_extremum(position_to_min, minimum=True))

    def max(self, position_to_max: Union[int, str] = 0) -> DataStream:
        """A rolling maximum of a field; the other fields are those of the key's first element."""
        return self._aggregation("Keyed Max", "max", position_to_max, _keyed_aggregations.field_extremum(position_to_max, minimum=False))

    def min_by(self, position_to_min_by: Union[int, str] = 0) -> DataStream:
        """The element with the smallest field so far (the first one among equals)."""
        return self._aggregation("Keyed MinBy", "min_by", position_to_min_by, _keyed_aggregations.element_extremum(position_to_min_by, minimum=True))

    def max_by(self, position_to_max_by: Union[int, str] = 0) -> DataStream:
        """The element with the largest field so far (the first one among equals)."""
        return self._aggregation("Keyed MaxBy", "max_by", position_to_max_by, _keyed_aggregations.element_extremum(position_to_max_by, minimum=False))

    def _keyed_function(self, kind: str, name: str, func: Any, interface: type, method: str, output_type: Any) -> DataStream:
        spec = function_spec(func, interface, method, 1, name, self._env._job_parameters())
        if spec.method is not None:
            # A function object may create keyed state in open(): run it in the keyed operator.
            spec = KeyedFunctionSpec(spec.function, spec.method, spec.job_parameters)
            return self._keyed("keyed_process", name, self._udf_params(spec, output_type), output_type)
        return self._keyed(kind, name, self._udf_params(spec, output_type), output_type)

    def map(self, func: Union[Callable[[Any], Any], MapFunction], output_type: Optional[TypeInformation] = None) -> DataStream:
        self._check_type(output_type)
        return self._keyed_function("map", "Map", func, MapFunction, "map", output_type)

    def flat_map(self, func: Union[Callable[[Any], Any], FlatMapFunction], output_type: Optional[TypeInformation] = None) -> DataStream:
        self._check_type(output_type)
        return self._keyed_function("flat_map", "Flat Map", func, FlatMapFunction, "flat_map", output_type)

    def filter(self, func: Union[Callable[[Any], bool], FilterFunction]) -> DataStream:
        return self._keyed_function("filter", "Filter", func, FilterFunction, "filter", self.get_type())

    def process(self, func: KeyedProcessFunction, output_type: Optional[TypeInformation] = None) -> DataStream:
        """Applies a :class:`KeyedProcessFunction` (keyed state, timers) to every element."""
        if not (isinstance(func, KeyedProcessFunction) or (isinstance(func, type) and issubclass(func, KeyedProcessFunction))):
            raise TypeError("KeyedProcessFunction is required for KeyedStream.")
        self._check_type(output_type)
        spec = function_spec(
            func, KeyedProcessFunction, "process_element", 2, "KeyedProcess", self._env._job_parameters(), KeyedProcessFunctionSpec
        )
        return self._keyed("keyed_process", "KeyedProcess", self._udf_params(spec, output_type), output_type)

    def window(self, window_assigner: Any) -> Any:
        """Cuts each key's elements into windows (``TumblingEventTimeWindows.of(...)``...)."""
        from .windowed_stream import WindowedStream

        return WindowedStream(self, window_assigner)

    def count_window(self, size: int, slide: int = 0) -> Any:
        """Windows of ``size`` elements per key, every ``slide`` elements if given."""
        from .window import CountSlidingWindowAssigner, CountTumblingWindowAssigner

        if slide == 0:
            return self.window(CountTumblingWindowAssigner.of(size))
        return self.window(CountSlidingWindowAssigner.of(size, slide))

    def name(self, name: str) -> "DataStream":
        raise Exception("Set name is not supported for KeyedStream.")

    def uid(self, uid: str) -> "DataStream":
        raise Exception("Set uid is not supported for KeyedStream.")

    def set_parallelism(self, parallelism: int) -> "DataStream":
        raise Exception("Set parallelism is not supported for KeyedStream.")

    def _not_for_keyed(self, *args: Any) -> "DataStream":
        raise Exception("Cannot override partitioning for KeyedStream.")

    shuffle = rebalance = rescale = forward = broadcast = global_ = _not_for_keyed


class DataStreamSink:
    """The end of a stream written to a sink."""

    def __init__(self, transformation: Transformation):
        self._transformation = transformation

    def name(self, name: str) -> "DataStreamSink":
        self._transformation.name = name
        return self

    def uid(self, uid: str) -> "DataStreamSink":
        self._transformation.uid = uid
        return self

    def set_uid_hash(self, uid_hash: str) -> "DataStreamSink":
        self._transformation.uid = uid_hash
        return self

    def set_description(self, description: str) -> "DataStreamSink":
        self._transformation.description = description
        return self

    def set_parallelism(self, parallelism: int) -> "DataStreamSink":
        if not isinstance(parallelism, int) or parallelism < 1:
            raise ValueError("parallelism must be a positive int, got %r" % (parallelism,))
        self._transformation.parallelism = parallelism
        return self

    def disable_chaining(self) -> "DataStreamSink":
        return self

    def slot_sharing_group(self, slot_sharing_group: Any) -> "DataStreamSink":
        return self


def _cancel_unread(job: Any, collector: Collector) -> None:
    """Stops a job whose results nobody will read."""
    collector.close()
    if not job.is_finished():
        job.cancel()
        try:
            job.wait()
        except BaseException:
            pass


def _collected(job: Any, collector: Collector, ended: List[bool]) -> Iterator[Any]:
    try:
        # Chaining the batches in C keeps the per-element cost of reading results minimal.
        yield from itertools.chain.from_iterable(collector.batches(job))
        job.wait()
    except BaseException:
        # KeyboardInterrupt, or GeneratorExit when the iterator is closed or collected: a job
        # nobody reads from must not keep running. A failure goes to the reader.
        _cancel_unread(job, collector)
        ended[0] = True
        raise
    ended[0] = True


def _held_until_the_end(owner: Any) -> Iterator[Any]:
    """Yields nothing; until it runs, its frame holds ``owner``."""
    del owner
    return
    yield


class CloseableIterator:
    """The elements a job collects, in arrival order. Closing it (or leaving its ``with`` block),
    interrupting its iteration (Ctrl-C) or dropping it cancels the job if it is still running."""

    def __init__(self, job: Any, collector: Collector, job_id: Any = None):
        self._job = job
        self._collector = collector
        self._job_id = job_id
        # Set by the generator once the job has ended (read to the end, failed or closed);
        # asking the native job before would step an inline job past the reader. The generator
        # shares this list, not the iterator, so dropping the iterator is not delayed until a
        # garbage collection finds a cycle.
        self._ended = [False]
        self._elements = _collected(job, collector, self._ended)

    def get_job_execution_result(self) -> JobExecutionResult:
        """oxflow extension: the finished job's :class:`JobExecutionResult` (its accumulators,
        e.g. ``get_accumulator_result("numLateRecordsDropped")``), as ``execute()`` returns it.
        Available once the iterator was read to its end (or closed); raises while the job runs."""
        if not self._ended[0]:
            raise RuntimeError("the job is still running: read the iterator to its end (or close it) first")
        return JobExecutionResult(self._job_id, self._job.net_runtime_ms or 0, self._job.metrics())

    def __iter__(self) -> Iterator[Any]:
        # The elements, then a generator holding this iterator: `for x in ds.execute_and_collect()`
        # keeps it alive until the elements end (dropping it cancels a job still running on
        # other threads), with no Python call per element (chain is C) and no reference cycle.
        return itertools.chain(self._elements, _held_until_the_end(self))

    def __next__(self) -> Any:
        return next(self._elements)

    def close(self) -> None:
        _cancel_unread(self._job, self._collector)
        self._ended[0] = True

    def __enter__(self) -> "CloseableIterator":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    def __del__(self) -> None:
        try:
            self.close()
        except Exception:
            pass  # at interpreter exit the job's module may be gone already
