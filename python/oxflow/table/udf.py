"""User-defined functions of table programs, mirroring ``pyflink.table.udf``: ``udf`` and
``ScalarFunction``. A scalar function is called from the SQL operator on whole Arrow batches,
once per row inside one GIL acquisition per batch."""

import functools
import itertools
from typing import Any, Callable, List, Optional, Union

from .expression import Expression
from .expressions import call
from .types import DataType, _to_data_type

__all__ = ["FunctionContext", "UserDefinedFunction", "ScalarFunction", "udf", "UserDefinedScalarFunctionWrapper"]

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


def _type_text(t: Union[DataType, str]) -> str:
    return str(_to_data_type(t))


class UserDefinedScalarFunctionWrapper(object):
    """What ``udf`` returns: callable with Expressions (Table API) and registrable by name (SQL)."""

    def __init__(self, func: Any, input_types: Any, result_type: Any, deterministic: Optional[bool], name: Optional[str], func_type: str):
        if result_type is None:
            raise TypeError("udf needs a result_type (a DataType or a type string such as 'BIGINT')")
        if func_type not in ("general", "pandas"):
            raise ValueError("func_type must be 'general' or 'pandas', got %r" % (func_type,))
        if func_type == "pandas":
            raise NotImplementedError("pandas UDFs (func_type='pandas') are not supported by oxflow yet")
        self._func = func
        if input_types is not None and not isinstance(input_types, (list, tuple)):
            input_types = [input_types]
        self._input_types = None if input_types is None else [_type_text(t) for t in input_types]
        self._result_type = _type_text(result_type)
        if isinstance(func, UserDefinedFunction):
            deterministic = func.is_deterministic() if deterministic is None else deterministic
        self._deterministic = True if deterministic is None else deterministic
        self._func_type = func_type
        self._name = name or getattr(func, "__name__", None) or type(func).__name__
        self._inline_name = "_oxflow_udf_%d" % next(_NAMES)
        _INLINE[self._inline_name] = self

    def _callable(self) -> Callable[..., Any]:
        """The function the engine calls per row (a ScalarFunction's ``eval`` after ``open``)."""
        f = self._func
        if isinstance(f, ScalarFunction):
            f.open(FunctionContext())
            return f.eval
        if isinstance(f, UserDefinedFunction):
            raise TypeError("%s is not a ScalarFunction" % type(f).__name__)
        return f

    def _sql_function_name(self) -> str:
        return self._inline_name

    def __call__(self, *args: Any) -> Expression:
        return call(self._inline_name, *args)


def udf(f: Any = None, input_types: Any = None, result_type: Any = None, deterministic: Optional[bool] = None,
        name: Optional[str] = None, func_type: str = "general", udf_type: Optional[str] = None) -> Any:
    """A scalar UDF from a function, lambda or ``ScalarFunction``; usable as a decorator
    (``@udf(result_type='BIGINT')``)."""
    if udf_type is not None:
        func_type = udf_type
    if f is None:
        return functools.partial(udf, input_types=input_types, result_type=result_type, deterministic=deterministic,
                                 name=name, func_type=func_type)
    return UserDefinedScalarFunctionWrapper(f, input_types, result_type, deterministic, name, func_type)


def _inline_functions(sql: str) -> List[UserDefinedScalarFunctionWrapper]:
    """The inline functions ``sql`` calls."""
    return [w for n, w in _INLINE.items() if n in sql]
