"""User-defined functions of table programs, mirroring ``pyflink.table.udf``: ``udf``
(``ScalarFunction``, general or pandas), ``udaf`` (``AggregateFunction``, general or pandas) and
``udtf`` (``TableFunction``). The SQL operators call them on whole Arrow batches: general
functions once per row inside one GIL acquisition per batch, pandas ones once per batch (scalar)
or per group and window (aggregate) with ``pandas.Series`` shared through Arrow."""

import functools
import itertools
from typing import Any, Callable, Iterable, List, Optional, Union

from ._pandas_udf import aggregate_caller, pandas_modules, scalar_caller
from .expression import Expression
from .expressions import call
from .types import DataType, RowType, _to_data_type

__all__ = ["FunctionContext", "UserDefinedFunction", "ScalarFunction", "TableFunction", "AggregateFunction",
           "ImperativeAggregateFunction", "udf", "udaf", "udtf", "UserDefinedFunctionWrapper",
           "UserDefinedScalarFunctionWrapper", "UserDefinedAggregateFunctionWrapper", "UserDefinedTableFunctionWrapper"]

_NAMES = itertools.count(1)
# Inline functions (used in the Table API without registration) by their generated SQL name;
# a TableEnvironment registers the ones a query mentions before planning it.
_INLINE = {}  # type: dict


class FunctionContext(object):
    """What ``open`` gets: the job's parameters (accepted; oxflow has none to give yet)."""

    def get_metric_group(self) -> Any:
        raise NotImplementedError("metric groups are not supported by oxflow yet")

    def get_job_parameter(self, key: str, default_value: str) -> str:
        return default_value


class UserDefinedFunction(object):
    """Base of user-defined functions: ``open`` runs before the first call, ``close`` after the last."""

    def open(self, function_context: FunctionContext) -> None:
        pass

    def close(self) -> None:
        pass

    def is_deterministic(self) -> bool:
        return True


class ScalarFunction(UserDefinedFunction):
    """A scalar function: ``eval(*args)`` returns one value per row."""

    def eval(self, *args: Any) -> Any:
        raise NotImplementedError("a ScalarFunction must define eval")


class TableFunction(UserDefinedFunction):
    """A table function: ``eval(*args)`` yields the rows (tuples or Rows) produced for one row."""

    def eval(self, *args: Any) -> Iterable[Any]:
        raise NotImplementedError("a TableFunction must define eval")


class ImperativeAggregateFunction(UserDefinedFunction):
    """Base of aggregate functions: an accumulator is created per group (and window), updated by
    ``accumulate`` per row, by ``retract`` per retracted row, and combined by ``merge``."""

    def create_accumulator(self) -> Any:
        raise NotImplementedError("an AggregateFunction must define create_accumulator")

    def accumulate(self, accumulator: Any, *args: Any) -> None:
        raise NotImplementedError("an AggregateFunction must define accumulate")

    def retract(self, accumulator: Any, *args: Any) -> None:
        raise RuntimeError("Method retract is not implemented")

    def merge(self, accumulator: Any, accumulators: List[Any]) -> None:
        raise RuntimeError("Method merge is not implemented")

    def get_result_type(self) -> Union[DataType, str]:
        raise RuntimeError("Method get_result_type is not implemented")

    def get_accumulator_type(self) -> Union[DataType, str]:
        raise RuntimeError("Method get_accumulator_type is not implemented")


class AggregateFunction(ImperativeAggregateFunction):
    """An aggregate function: ``get_value(accumulator)`` gives the group's result. Define
    ``retract`` to consume updating input (a GROUP BY over a GROUP BY's changelog) and ``merge``
    for session windows."""

    def get_value(self, accumulator: Any) -> Any:
        raise NotImplementedError("an AggregateFunction must define get_value")


def _type_text(t: Union[DataType, str]) -> str:
    return str(_to_data_type(t))


def _overrides(obj: Any, base: type, method: str) -> bool:
    """``obj`` defines ``method`` itself rather than inheriting ``base``'s."""
    own = getattr(type(obj), method, None)
    return own is not None and own is not getattr(base, method, None)


class UserDefinedFunctionWrapper(object):
    """What ``udf``/``udaf``/``udtf`` return: callable with Expressions in the Table API (the
    call of an inline function, registered when a query uses it) and registrable by name for
    SQL with ``create_temporary_system_function``."""

    def __init__(self, func: Any, input_types: Any, deterministic: Optional[bool], name: Optional[str], func_type: str):
        if func_type not in ("general", "pandas"):
            raise ValueError("func_type must be 'general' or 'pandas', got %r" % (func_type,))
        self._func = func
        if input_types is not None and not isinstance(input_types, (list, tuple)):
            input_types = [input_types]
        self._input_types = None if input_types is None else [_type_text(t) for t in input_types]
        if isinstance(func, UserDefinedFunction):
            deterministic = func.is_deterministic() if deterministic is None else deterministic
        self._deterministic = True if deterministic is None else deterministic
        self._func_type = func_type
        self._name = name or getattr(func, "__name__", None) or type(func).__name__
        self._inline_name = "_oxflow_udf_%d" % next(_NAMES)
        _INLINE[self._inline_name] = self

    def _opened(self, kind: type) -> Any:
        """The function object after ``open``, checked to be a ``kind``."""
        f = self._func
        if isinstance(f, UserDefinedFunction):
            if not isinstance(f, kind):
                raise TypeError("%s is not a %s" % (type(f).__name__, kind.__name__))
            f.open(FunctionContext())
            return f
        if not callable(f):
            raise TypeError("a user-defined function must be callable or a %s, got %r" % (kind.__name__, f))
        return f

    def _register(self, native: Any, name: str) -> None:
        raise NotImplementedError

    def _sql_function_name(self) -> str:
        return self._inline_name

    def __call__(self, *args: Any) -> Expression:
        return call(self._inline_name, *args)


class UserDefinedScalarFunctionWrapper(UserDefinedFunctionWrapper):
    """A scalar UDF: ``func_type='general'`` is called once per row, ``'pandas'`` once per batch
    with one ``pandas.Series`` per argument (it returns a Series of the same length)."""

    def __init__(self, func: Any, input_types: Any, result_type: Any, deterministic: Optional[bool], name: Optional[str], func_type: str):
        if result_type is None:
            raise TypeError("udf needs a result_type (a DataType or a type string such as 'BIGINT')")
        super(UserDefinedScalarFunctionWrapper, self).__init__(func, input_types, deterministic, name, func_type)
        self._result_type = _type_text(result_type)
        if func_type == "pandas":
            pandas_modules("the pandas UDF %s" % self._name)

    def _callable(self) -> Callable[..., Any]:
        """The function the engine calls (a ScalarFunction's ``eval`` after ``open``)."""
        f = self._opened(ScalarFunction)
        f = f.eval if isinstance(f, ScalarFunction) else f
        return scalar_caller(f, self._name) if self._func_type == "pandas" else f

    def _register(self, native: Any, name: str) -> None:
        native.register_function(name, self._callable(), self._input_types, self._result_type, self._deterministic,
                                 self._func_type == "pandas")


class UserDefinedAggregateFunctionWrapper(UserDefinedFunctionWrapper):
    """An aggregate UDF: an ``AggregateFunction`` (``func_type='general'``), or a function from
    one ``pandas.Series`` per argument to a scalar (``'pandas'``, window aggregation only)."""

    def __init__(self, func: Any, input_types: Any, result_type: Any, accumulator_type: Any, deterministic: Optional[bool],
                 name: Optional[str], func_type: str):
        super(UserDefinedAggregateFunctionWrapper, self).__init__(func, input_types, deterministic, name, func_type)
        if func_type == "general" and not isinstance(func, AggregateFunction):
            raise TypeError("a general udaf needs an AggregateFunction, got %r (a plain function needs func_type='pandas')" % (func,))
        if result_type is None and isinstance(func, AggregateFunction):
            try:
                result_type = func.get_result_type()
            except RuntimeError:  # the base class's "not implemented"
                result_type = None
        if result_type is None:
            raise TypeError("udaf needs a result_type (or an AggregateFunction whose get_result_type gives one)")
        if accumulator_type is None and isinstance(func, AggregateFunction):
            try:
                accumulator_type = func.get_accumulator_type()
            except RuntimeError:
                accumulator_type = None
        self._result_type = _type_text(result_type)
        # Accepted as PyFlink takes it; accumulators are kept as (pickled) Python objects.
        self._accumulator_type = accumulator_type
        if func_type == "pandas":
            pandas_modules("the pandas aggregate function %s" % self._name)

    def _register(self, native: Any, name: str) -> None:
        if self._func_type == "pandas":
            f = self._opened(AggregateFunction)
            native.register_aggregate_function(name, aggregate_caller(f, self._name), self._input_types, self._result_type, True, False)
        else:
            f = self._opened(AggregateFunction)
            native.register_aggregate_function(name, f, self._input_types, self._result_type, False,
                                               _overrides(f, ImperativeAggregateFunction, "retract"))


class UserDefinedTableFunctionWrapper(UserDefinedFunctionWrapper):
    """A table UDF: ``eval`` (or the function) yields rows, tuples of ``result_types``."""

    def __init__(self, func: Any, input_types: Any, result_types: Any, deterministic: Optional[bool], name: Optional[str]):
        super(UserDefinedTableFunctionWrapper, self).__init__(func, input_types, deterministic, name, "general")
        if result_types is None:
            raise TypeError("udtf needs result_types (a list of DataTypes or type strings)")
        if isinstance(result_types, RowType):
            result_types = result_types.field_types()
        elif not isinstance(result_types, (list, tuple)):
            result_types = [result_types]
        self._result_types = [_type_text(t) for t in result_types]

    def _register(self, native: Any, name: str) -> None:
        f = self._opened(TableFunction)
        native.register_table_function(name, f.eval if isinstance(f, TableFunction) else f, self._result_types)


def udf(f: Any = None, input_types: Any = None, result_type: Any = None, deterministic: Optional[bool] = None,
        name: Optional[str] = None, func_type: str = "general", udf_type: Optional[str] = None) -> Any:
    """A scalar UDF from a function, lambda or ``ScalarFunction``; usable as a decorator
    (``@udf(result_type='BIGINT')``). ``func_type='pandas'``: called per batch with
    ``pandas.Series`` (needs pandas and pyarrow)."""
    if udf_type is not None:
        func_type = udf_type
    if f is None:
        return functools.partial(udf, input_types=input_types, result_type=result_type, deterministic=deterministic,
                                 name=name, func_type=func_type)
    return UserDefinedScalarFunctionWrapper(f, input_types, result_type, deterministic, name, func_type)


def udaf(f: Any = None, input_types: Any = None, result_type: Any = None, accumulator_type: Any = None,
         deterministic: Optional[bool] = None, name: Optional[str] = None, func_type: str = "general") -> Any:
    """An aggregate UDF from an ``AggregateFunction``, or (``func_type='pandas'``) from a function
    of ``pandas.Series`` returning a scalar; usable as a decorator."""
    if f is None:
        return functools.partial(udaf, input_types=input_types, result_type=result_type, accumulator_type=accumulator_type,
                                 deterministic=deterministic, name=name, func_type=func_type)
    return UserDefinedAggregateFunctionWrapper(f, input_types, result_type, accumulator_type, deterministic, name, func_type)


def udtf(f: Any = None, input_types: Any = None, result_types: Any = None, deterministic: Optional[bool] = None,
         name: Optional[str] = None) -> Any:
    """A table UDF from a generator function or a ``TableFunction``; usable as a decorator
    (``@udtf(result_types=[DataTypes.STRING()])``). Used with ``LATERAL TABLE(f(x))`` in SQL and
    ``join_lateral``/``left_outer_join_lateral`` in the Table API."""
    if f is None:
        return functools.partial(udtf, input_types=input_types, result_types=result_types, deterministic=deterministic, name=name)
    return UserDefinedTableFunctionWrapper(f, input_types, result_types, deterministic, name)


def _inline_functions(sql: str) -> List[UserDefinedFunctionWrapper]:
    """The inline functions ``sql`` calls."""
    return [w for n, w in _INLINE.items() if n in sql]
