"""WindowedStream and AllWindowedStream, as in ``pyflink.datastream.data_stream``."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Callable, Dict, Optional, Union

from ..common.time import Time
from ..common.typeinfo import TypeInformation, Types
from ._function_specs import function_spec
from ._graph import Transformation
from ._runtime import AggregateFunctionSpec, FunctionSpec, WindowFunctionSpec
from .functions import (
    AggregateFunction,
    AllWindowFunction,
    ProcessAllWindowFunction,
    ProcessWindowFunction,
    ReduceFunction,
    WindowFunction,
)
from .output_tag import OutputTag
from .window import MergingWindowAssigner, Trigger, WindowAssigner

if TYPE_CHECKING:
    from .data_stream import DataStream, KeyedStream

__all__ = ["WindowedStream", "AllWindowedStream"]


class WindowedStream:
    """A keyed stream cut into windows; ``reduce``/``aggregate``/``process``/``apply`` compute one
    result per key and window when the window fires."""

    _keyed = True
    _name = "Window"

    def __init__(self, keyed_stream: "KeyedStream", window_assigner: WindowAssigner):
        if not isinstance(window_assigner, WindowAssigner):
            raise TypeError("expected a WindowAssigner, got %r" % (window_assigner,))
        self._stream = keyed_stream
        self._assigner = window_assigner
        self._trigger: Optional[Trigger] = None
        self._allowed_lateness = 0
        self._late_tag: Optional[OutputTag] = None

    def get_execution_environment(self) -> Any:
        return self._stream._env

    def trigger(self, trigger: Trigger) -> "WindowedStream":
        """Replaces the assigner's default trigger."""
        if not isinstance(trigger, Trigger):
            raise TypeError("expected a Trigger, got %r" % (trigger,))
        trigger._spec()  # an incomplete user trigger raises here, at definition
        self._trigger = trigger
        return self

    def allowed_lateness(self, time_ms: Union[int, Time]) -> "WindowedStream":
        """Keeps window state this long after the watermark passed the window's end, so late
        elements update (and re-fire) it instead of being dropped."""
        self._allowed_lateness = time_ms.to_milliseconds() if isinstance(time_ms, Time) else int(time_ms)
        if self._allowed_lateness < 0:
            raise ValueError("allowed lateness must not be negative")
        return self

    def side_output_late_data(self, output_tag: OutputTag) -> "WindowedStream":
        """Sends elements too late for every window to this side output instead of dropping them."""
        if not isinstance(output_tag, OutputTag):
            raise TypeError("expected an OutputTag, got %r" % (output_tag,))
        self._late_tag = output_tag
        return self

    # ---- the window's function ------------------------------------------------------------
    def _window_function(self, func: Any, output_type: Any) -> Optional[WindowFunctionSpec]:
        if func is None:
            return None
        params = self._stream._env._job_parameters()
        keyed = self._keyed
        process_interface = ProcessWindowFunction if keyed else ProcessAllWindowFunction
        apply_interface = WindowFunction if keyed else AllWindowFunction
        arity = 3 if keyed else 2
        if isinstance(func, type):
            func = func()
        if isinstance(func, process_interface):
            function_spec(func, process_interface, "process", arity, self._name, params)
            merging = isinstance(self._assigner, MergingWindowAssigner)
            return WindowFunctionSpec(func, "process", params, keyed, True, merging)
        if isinstance(func, apply_interface):
            function_spec(func, apply_interface, "apply", arity, self._name, params)
            return WindowFunctionSpec(func, "apply", params, keyed, False, False)
        raise TypeError(
            "operator '%s' expects a %s or %s, got %r" % (self._name, process_interface.__name__, apply_interface.__name__, func)
        )

    def _build(self, contents: str, function: Any, window_function: Any, output_type: Any, aggregation: Any = None, count: bool = False,
               reduces_to_input_type: bool = False) -> "DataStream":
        from .data_stream import DataStream

        if output_type is not None and not isinstance(output_type, TypeInformation):
            raise TypeError("output_type must be a TypeInformation, got %r" % (output_type,))
        assigner = self._assigner._spec()
        trigger = self._trigger._spec() if self._trigger is not None else None
        evictor = None
        gap = self._assigner._gap_extractor()
        params: Dict[str, Any] = {
            "assigner": assigner,
            "trigger": trigger,
            "contents": contents,
            "function": function,
            "window_function": window_function,
            "allowed_lateness": self._allowed_lateness,
            "late_output": self._late_tag._oxflow_id if self._late_tag is not None else None,
            "evictor": evictor,
            "gap_function": FunctionSpec(gap, None, {}) if gap is not None else None,
            "aggregation": aggregation,
        }
        if count:
            params["count"] = self._keyed
        if reduces_to_input_type:
            # The elements conform to the stream's type (their producer checked them), so only
            # what the reduce function returns is checked, where it returns it.
            params["reduces_to_input_type"] = True
        if output_type is not None:
            params["output_check"] = output_type._check_spec()
            params["output_type_name"] = repr(output_type)
        t = Transformation("window", self._name, [(self._stream._transformation, "hash")], params, output_type=output_type)
        self._configure(t)
        self._stream._env._add_transformation(t)
        return DataStream(self._stream._env, t)

    def _configure(self, t: Transformation) -> None:
        pass

    def reduce(self, reduce_function: Union[Callable[[Any, Any], Any], ReduceFunction], window_function: Any = None, output_type: Optional[TypeInformation] = None) -> "DataStream":
        """Reduces each window's elements incrementally; the optional window function receives
        the single reduced value."""
        spec = function_spec(reduce_function, ReduceFunction, "reduce", 2, self._name, self._stream._env._job_parameters())
        result_type = output_type if window_function is not None else (output_type or self._stream.get_type())
        to_input_type = window_function is None and output_type is None
        return self._build("reduce", spec, self._window_function(window_function, output_type), result_type, reduces_to_input_type=to_input_type)

    def aggregate(self, aggregate_function: AggregateFunction, window_function: Any = None, accumulator_type: Optional[TypeInformation] = None, output_type: Optional[TypeInformation] = None) -> "DataStream":
        """Aggregates each window's elements incrementally with an :class:`AggregateFunction`."""
        spec = function_spec(
            aggregate_function, AggregateFunction, "add", 2, self._name, self._stream._env._job_parameters(), AggregateFunctionSpec
        )
        return self._build("aggregate", spec, self._window_function(window_function, output_type), output_type)

    def _field_aggregation(self, kind: str, position: int) -> "DataStream":
        if not isinstance(position, int) or isinstance(position, bool) or position < 0:
            raise TypeError("window %s aggregates a tuple position (an int >= 0), got %r" % (kind, position))
        return self._build("reduce", None, None, self._stream.get_type(), aggregation=(kind, position))

    def sum(self, position_to_sum: int = 0) -> "DataStream":
        """oxflow extension (as Java Flink's ``WindowedStream.sum``): sums a tuple position per
        window, in Rust; the other fields are those of the window's first element."""
        return self._field_aggregation("sum", position_to_sum)

    def min(self, position_to_min: int = 0) -> "DataStream":
        """oxflow extension: the minimum of a tuple position per window (other fields: first element's)."""
        return self._field_aggregation("min", position_to_min)

    def max(self, position_to_max: int = 0) -> "DataStream":
        """oxflow extension: the maximum of a tuple position per window (other fields: first element's)."""
        return self._field_aggregation("max", position_to_max)

    def min_by(self, position_to_min_by: int = 0) -> "DataStream":
        """oxflow extension: the element with the smallest tuple position per window."""
        return self._field_aggregation("min_by", position_to_min_by)

    def max_by(self, position_to_max_by: int = 0) -> "DataStream":
        """oxflow extension: the element with the largest tuple position per window."""
        return self._field_aggregation("max_by", position_to_max_by)

    def count(self) -> "DataStream":
        """oxflow extension (Java Flink's DataStream API has no count): the number of elements of
        each key and window as a ``(key, count)`` tuple (typed ``TUPLE([key type, LONG])`` when the
        key type is known), counted in Rust without calling Python. Merging (session) windows
        add their counts; a window fires as its trigger says, as with ``aggregate``."""
        key_type = getattr(self._stream, "_key_type", None)
        output_type = Types.TUPLE([key_type, Types.LONG()]) if self._keyed and key_type is not None else None
        return self._build("aggregate", None, None, output_type if self._keyed else Types.LONG(), count=True)

    def process(self, process_window_function: Any, output_type: Optional[TypeInformation] = None) -> "DataStream":
        """Calls the function with all elements of each fired window."""
        return self._build("buffer", None, self._window_function(process_window_function, output_type), output_type)

    def apply(self, window_function: Any, output_type: Optional[TypeInformation] = None) -> "DataStream":
        """Calls a :class:`WindowFunction` with all elements of each fired window."""
        return self._build("buffer", None, self._window_function(window_function, output_type), output_type)


class AllWindowedStream(WindowedStream):
    """A non-keyed stream cut into windows; it runs as a single instance, as in Flink."""

    _keyed = False
    _name = "AllWindow"

    def __init__(self, data_stream: "DataStream", window_assigner: WindowAssigner):
        keyed = data_stream.key_by(lambda value: 0)
        super().__init__(keyed, window_assigner)

    def _configure(self, t: Transformation) -> None:
        t.parallelism = 1

    def count(self) -> "DataStream":
        """oxflow extension: the number of elements of each window (an int, typed LONG), counted
        in Rust without calling Python."""
        return super().count()
