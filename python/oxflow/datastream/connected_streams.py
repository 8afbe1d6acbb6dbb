"""ConnectedStreams, BroadcastStream and BroadcastConnectedStream, as in
``pyflink.datastream.data_stream``: two streams processed by one two-input operator."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Optional

from ..common.typeinfo import TypeInformation
from ._function_specs import function_spec
from ._graph import Transformation
from ._two_input_runtime import BroadcastFunctionSpec, CoFunctionSpec
from .functions import (
    BroadcastProcessFunction,
    CoFlatMapFunction,
    CoMapFunction,
    CoProcessFunction,
    KeyedBroadcastProcessFunction,
    KeyedCoProcessFunction,
)

if TYPE_CHECKING:
    from .data_stream import DataStream

__all__ = ["ConnectedStreams", "BroadcastStream", "BroadcastConnectedStream"]


def _two_input(first: "DataStream", second: "DataStream", first_part: Optional[str], second_part: Optional[str], kind: str, name: str, params: dict, output_type: Any) -> "DataStream":
    from .data_stream import DataStream

    if output_type is not None and not isinstance(output_type, TypeInformation):
        raise TypeError("output_type must be a TypeInformation, got %r" % (output_type,))
    params = dict(params, two_inputs=True)
    if output_type is not None:
        params["output_check"] = output_type._check_spec()
        params["output_type_name"] = repr(output_type)
    inputs = [(first._transformation, first_part), (second._transformation, second_part)]
    t = Transformation(kind, name, inputs, params, output_type=output_type)
    first._env._add_transformation(t)
    return DataStream(first._env, t)


class ConnectedStreams:
    """Two streams, possibly of different types, processed together (``ds1.connect(ds2)``)."""

    def __init__(self, stream1: "DataStream", stream2: "DataStream"):
        self.stream1 = stream1
        self.stream2 = stream2

    def _keyed(self) -> bool:
        from .data_stream import KeyedStream

        return isinstance(self.stream1, KeyedStream) and isinstance(self.stream2, KeyedStream)

    def key_by(self, key_selector1: Any, key_selector2: Any, key_type: Any = None) -> "ConnectedStreams":
        """Keys both inputs, so elements of the same key meet in the same instance."""
        return ConnectedStreams(self.stream1.key_by(key_selector1, key_type), self.stream2.key_by(key_selector2, key_type))

    def _apply(self, func: Any, interface: type, method: str, arity: int, name: str, output_type: Any) -> "DataStream":
        keyed = self._keyed()
        params = self.stream1._env._job_parameters()
        checked = function_spec(func, interface, method + "1", arity, name, params)
        spec = CoFunctionSpec(checked.function, method, params, keyed)
        part = "hash" if keyed else None
        kind = "keyed_process" if keyed else "process"
        return _two_input(self.stream1, self.stream2, part or self.stream1._partitioning, part or self.stream2._partitioning, kind, name, {"function": spec}, output_type)

    def map(self, func: CoMapFunction, output_type: Optional[TypeInformation] = None) -> "DataStream":
        """Applies ``map1`` to the first input's elements and ``map2`` to the second's."""
        return self._apply(func, CoMapFunction, "map", 1, "Co-Map", output_type)

    def flat_map(self, func: CoFlatMapFunction, output_type: Optional[TypeInformation] = None) -> "DataStream":
        return self._apply(func, CoFlatMapFunction, "flat_map", 1, "Co-Flat Map", output_type)

    def process(self, func: Any, output_type: Optional[TypeInformation] = None) -> "DataStream":
        """A CoProcessFunction, or a KeyedCoProcessFunction on keyed inputs (state, timers)."""
        if self._keyed() and not isinstance(func, CoProcessFunction):
            return self._apply(func, KeyedCoProcessFunction, "process_element", 2, "Co-Process", output_type)
        return self._apply(func, CoProcessFunction, "process_element", 2, "Co-Process", output_type)


class BroadcastStream:
    """A stream sent to every instance of the operator it is connected to, with broadcast state
    described by ``descriptors`` (``ds.broadcast(MapStateDescriptor(...))``)."""

    def __init__(self, stream: "DataStream", descriptors: tuple):
        self.stream = stream
        self.descriptors = descriptors


class BroadcastConnectedStream:
    """A (keyed or not) stream connected with a broadcast stream."""

    def __init__(self, stream: "DataStream", broadcast_stream: BroadcastStream):
        self.stream = stream
        self.broadcast_stream = broadcast_stream

    def process(self, func: Any, output_type: Optional[TypeInformation] = None) -> "DataStream":
        from .data_stream import KeyedStream

        keyed = isinstance(self.stream, KeyedStream)
        interface = KeyedBroadcastProcessFunction if keyed else BroadcastProcessFunction
        params = self.stream._env._job_parameters()
        checked = function_spec(func, interface, "process_element", 2, "Broadcast-Process", params)
        spec = BroadcastFunctionSpec(checked.function, None, params, keyed)
        kind = "keyed_process" if keyed else "process"
        first_part = "hash" if keyed else self.stream._partitioning
        return _two_input(self.stream, self.broadcast_stream.stream, first_part, "broadcast", kind, "Broadcast-Process", {"function": spec}, output_type)
