"""The reduce functions behind ``KeyedStream.sum/min/max/min_by/max_by``, with Flink's semantics:
sum/min/max update one field of the key's first element; min_by/max_by keep a whole element."""

from typing import Any, Callable, Union

from ..common.types import Row

Field = Union[int, str]


def _get(value: Any, field: Field) -> Any:
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        if field not in (0, None):
            raise TypeError("a scalar element has only position 0, got field %r" % (field,))
        return value
    if isinstance(field, str):
        if isinstance(value, Row):
            return value[value._fields.index(field)] if value._fields else getattr(value, field)
        if isinstance(value, dict):
            return value[field]
        raise TypeError("field %r needs Row elements, got %s" % (field, type(value).__name__))
    return value[field]


def _replace(value: Any, field: Field, new: Any) -> Any:
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return new
    if isinstance(value, Row):
        values = list(value)
        index = value._fields.index(field) if isinstance(field, str) else field
        values[index] = new
        row = Row(*values)
        if value._fields:
            row.set_field_names(value._fields)
        row.set_row_kind(value.get_row_kind())
        return row
    if isinstance(value, dict):
        out = dict(value)
        out[field] = new
        return out
    values = list(value)
    values[field] = new
    return tuple(values) if isinstance(value, tuple) else values


def summer(field: Field) -> Callable[[Any, Any], Any]:
    def sum_reduce(acc: Any, value: Any) -> Any:
        return _replace(acc, field, _get(acc, field) + _get(value, field))

    return sum_reduce


def field_extremum(field: Field, minimum: bool) -> Callable[[Any, Any], Any]:
    def extremum_reduce(acc: Any, value: Any) -> Any:
        a, b = _get(acc, field), _get(value, field)
        better = b < a if minimum else b > a
        return _replace(acc, field, b) if better else acc

    return extremum_reduce


def element_extremum(field: Field, minimum: bool) -> Callable[[Any, Any], Any]:
    def extremum_by_reduce(acc: Any, value: Any) -> Any:
        a, b = _get(acc, field), _get(value, field)
        return value if (b < a if minimum else b > a) else acc

    return extremum_by_reduce
