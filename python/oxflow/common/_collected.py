"""How values come back to the caller of ``execute_and_collect``.

In PyFlink a FLOAT field reaches the caller as Java's ``Float.toString`` parsed back into a Python
float (``0.1`` rather than the 32-bit value ``0.10000000149011612`` a UDF sees); the other types
come back as they are.
"""

import copy
from typing import Any, Callable, Optional

from ._java_format import java_float_to_string

Convert = Callable[[Any], Any]


def collected_converter(spec: tuple) -> Optional[Convert]:
    """What to apply to each collected value of the type with check spec ``spec``; ``None`` when
    values come back unchanged (no FLOAT in the type)."""
    tag = spec[0]
    if tag == "float":
        return lambda v: v if v is None else float(java_float_to_string(v))
    if tag in ("tuple", "row"):
        fields = [collected_converter(f) for f in spec[1]]
        if not any(fields):
            return None
        names = list(spec[2]) if tag == "row" and len(spec) > 2 else []
        return _fields_converter(fields, tag == "row", names)
    if tag == "list":
        element = collected_converter(spec[1])
        return None if element is None else (lambda v: v if v is None else [element(e) for e in v])
    if tag == "map":
        key, value = collected_converter(spec[1]) or _same, collected_converter(spec[2]) or _same
        if key is _same and value is _same:
            return None
        return lambda v: v if v is None else {key(k): value(x) for k, x in v.items()}
    return None


def _same(value: Any) -> Any:
    return value


def _fields_converter(fields: list, row: bool, names: list) -> Convert:
    def convert(value: Any) -> Any:
        if value is None:
            return None
        if row and not isinstance(value, (tuple, list)):
            # Rows keep their class, kind and field names: convert a copy field by field. A
            # keyword row (its fields sorted by name) matches the declared fields by name.
            own = getattr(value, "_fields", None)
            keys = names if own and sorted(own) == sorted(names) else range(len(fields))
            out = copy.copy(value)
            for key, f in zip(keys, fields):
                if f is not None:
                    out[key] = f(value[key])
            return out
        return tuple(v if f is None else f(v) for f, v in zip(fields, value))

    return convert
