"""Checks user functions when a pipeline is defined and wraps them into function specs."""

from __future__ import annotations

import inspect
from typing import Any, Dict, Optional, Type

from ._runtime import FunctionSpec
from .functions import Function


def _accepts(func: Any, arity: int) -> Optional[bool]:
    """Whether ``func`` can be called with ``arity`` positional arguments (None: unknowable)."""
    try:
        signature = inspect.signature(func)
    except (TypeError, ValueError):
        return None
    try:
        signature.bind(*([None] * arity))
        return True
    except TypeError:
        return False


def function_spec(
    func: Any,
    interface: Type[Function],
    method: str,
    arity: int,
    operator: str,
    job_parameters: Dict[str, str],
    spec_class: Type[FunctionSpec] = FunctionSpec,
) -> FunctionSpec:
    """Validates ``func`` for ``operator`` and describes how to call it.

    Accepts an instance of ``interface``, the ``interface`` subclass itself (instantiated here, as the
    reference notes pass ``reduce(Counter)``), or, unless ``spec_class`` needs an interface instance,
    any callable taking ``arity`` arguments.
    """
    if isinstance(func, type) and issubclass(func, interface):
        func = func()
    if isinstance(func, interface):
        bound = getattr(func, method)
        if _accepts(bound, arity) is False:
            raise TypeError(
                "operator '%s': %s.%s must take %d argument(s)" % (operator, type(func).__name__, method, arity)
            )
        return spec_class(func, method, job_parameters)
    if spec_class is not FunctionSpec:
        raise TypeError(
            "operator '%s' expects a %s, got %s %r" % (operator, interface.__name__, type(func).__name__, func)
        )
    if not callable(func):
        raise TypeError(
            "operator '%s' expects a callable or a %s, got %s %r"
            % (operator, interface.__name__, type(func).__name__, func)
        )
    if _accepts(func, arity) is False:
        raise TypeError(
            "operator '%s': the function %r must take %d argument(s) but its signature is %s"
            % (operator, getattr(func, "__name__", func), arity, inspect.signature(func))
        )
    return FunctionSpec(func, None, job_parameters)
