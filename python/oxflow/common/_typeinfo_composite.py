"""Collection and composite type informations (see ``oxflow.common.typeinfo``)."""

from typing import Any, Iterable, List, Optional, Sequence

from ._typeinfo_basic import (BasicType, BasicTypeInfo, TypeInformation, _ANY, _PRIMITIVES,
                              _require_type, _require_types)
from .types import Row, RowKind

__all__ = [
    "PrimitiveArrayTypeInfo",
    "BasicArrayTypeInfo",
    "ObjectArrayTypeInfo",
    "ListTypeInfo",
    "MapTypeInfo",
    "TupleTypeInfo",
    "RowTypeInfo",
]


# --------------------------------------------------------------------------------------------
# Collections
# --------------------------------------------------------------------------------------------

def _render_seq(element_type: TypeInformation, values: Iterable[Any]) -> str:
    return "[" + ", ".join(element_type._java_str(v) for v in values) + "]"


class _ElementTypeInfo(TypeInformation):
    """Shared base of the array and list type informations."""

    def __init__(self, element_type: TypeInformation):
        self._element_type = _require_type(element_type, "element_type")

    def get_element_type(self) -> TypeInformation:
        """The type of the elements."""
        return self._element_type

    @property
    def elem_type(self) -> TypeInformation:
        return self._element_type

    def _params(self) -> tuple:
        return (self._element_type,)

    def _check_spec(self) -> tuple:
        return ("list", self._element_type._check_spec())

    def _render(self, value: Any) -> str:
        if isinstance(value, (str, bytes, bytearray)) or not hasattr(value, "__iter__"):
            return str(value)
        return _render_seq(self._element_type, value)

    def __repr__(self) -> str:
        return "%s<%r>" % (type(self).__name__, self._element_type)


class PrimitiveArrayTypeInfo(_ElementTypeInfo):
    """An array of primitives (``int[]``...): a Python list; ``bytes`` for a byte array."""

    def __init__(self, element_type: TypeInformation):
        super().__init__(element_type)
        if not (isinstance(element_type, BasicTypeInfo)
                and element_type.get_basic_type() in _PRIMITIVES):
            raise TypeError("Invalid element type for a primitive array: %r" % (element_type,))

    def _is_byte_array(self) -> bool:
        return self._element_type.get_basic_type() is BasicType.BYTE  # type: ignore

    def _check_spec(self) -> tuple:
        return _ANY if self._is_byte_array() else ("list", self._element_type._check_spec())

    def _render(self, value: Any) -> str:
        if self._is_byte_array() and isinstance(value, (bytes, bytearray)):
            return "[" + ", ".join(str(b - 256 if b > 127 else b) for b in value) + "]"
        if self._element_type.get_basic_type() is BasicType.CHAR and isinstance(value, str):  # type: ignore
            return "[" + ", ".join(value) + "]"
        return super()._render(value)


class BasicArrayTypeInfo(_ElementTypeInfo):
    """An array of boxed basic values (``Integer[]``, ``String[]``...): a Python list."""

    def __init__(self, element_type: TypeInformation):
        super().__init__(element_type)
        if not isinstance(element_type, BasicTypeInfo):
            raise TypeError("Invalid element type for a basic array: %r" % (element_type,))


class ObjectArrayTypeInfo(_ElementTypeInfo):
    """An array of arbitrary objects (rows, tuples, ...): a Python list."""


class ListTypeInfo(_ElementTypeInfo):
    """A ``java.util.List``: a Python list; renders as ``[a, b]``."""


class MapTypeInfo(TypeInformation):
    """A ``java.util.Map``: a Python dict; renders as ``{k=v, k2=v2}``."""

    def __init__(self, key_type_info: TypeInformation, value_type_info: TypeInformation):
        self._key_type_info = _require_type(key_type_info, "key_type_info")
        self._value_type_info = _require_type(value_type_info, "value_type_info")

    def get_key_type(self) -> TypeInformation:
        """The type of the keys."""
        return self._key_type_info

    def get_value_type(self) -> TypeInformation:
        """The type of the values."""
        return self._value_type_info

    def _params(self) -> tuple:
        return (self._key_type_info, self._value_type_info)

    def _check_spec(self) -> tuple:
        return ("map", self._key_type_info._check_spec(), self._value_type_info._check_spec())

    def _render(self, value: Any) -> str:
        if not hasattr(value, "items"):
            return str(value)
        return "{" + ", ".join("%s=%s" % (self._key_type_info._java_str(k),
                                          self._value_type_info._java_str(v))
                               for k, v in value.items()) + "}"

    def __repr__(self) -> str:
        return "MapTypeInfo<%r, %r>" % (self._key_type_info, self._value_type_info)


# --------------------------------------------------------------------------------------------
# Composite types
# --------------------------------------------------------------------------------------------

def _render_fields(types: Sequence[TypeInformation], values: Sequence[Any]) -> List[str]:
    out = []
    for i, v in enumerate(values):
        out.append(types[i]._java_str(v) if i < len(types)
                   else ("null" if v is None else str(v)))
    return out


class TupleTypeInfo(TypeInformation):
    """A Flink ``TupleN``: a Python tuple (or list); renders as ``(a,1)`` with no spaces."""

    def __init__(self, field_types: List[TypeInformation]):
        self._field_types = _require_types(field_types, "field_types")

    def get_field_types(self) -> List[TypeInformation]:
        """The types of the fields."""
        return list(self._field_types)

    def get_arity(self) -> int:
        """The number of fields."""
        return len(self._field_types)

    def _params(self) -> tuple:
        return tuple(self._field_types)

    def _check_spec(self) -> tuple:
        return ("tuple", [t._check_spec() for t in self._field_types])

    def _render(self, value: Any) -> str:
        if not isinstance(value, (tuple, list, Row)):
            return str(value)
        return "(" + ",".join(_render_fields(self._field_types, list(value))) + ")"

    def __repr__(self) -> str:
        return "TupleTypeInfo(%s)" % ", ".join(repr(t) for t in self._field_types)


class RowTypeInfo(TypeInformation):
    """A Flink ``Row`` with typed, named fields (``f0``, ``f1``... by default).

    Values are ``Row`` objects (tuples/lists are accepted as positional rows). Renders as
    ``+I[a, 1]`` using the row's kind. A row whose field names cover the declared names (such as
    one built from keyword arguments, whose fields are sorted by name) is matched by name.
    """

    def __init__(self, field_types: List[TypeInformation],
                 field_names: Optional[List[str]] = None):
        self._field_types = _require_types(field_types, "field_types")
        if field_names is None:
            field_names = ["f%d" % i for i in range(len(self._field_types))]
        else:
            field_names = list(field_names)
            if len(field_names) != len(self._field_types):
                raise ValueError("Number of field names (%d) and field types (%d) differ"
                                 % (len(field_names), len(self._field_types)))
            if len(set(field_names)) != len(field_names):
                raise ValueError("Field names must be unique: %r" % (field_names,))
        self._field_names = field_names  # type: List[str]

    def get_field_names(self) -> List[str]:
        """The names of the fields."""
        return list(self._field_names)

    def get_field_index(self, field_name: str) -> int:
        """The position of ``field_name``, or -1 if there is no such field."""
        try:
            return self._field_names.index(field_name)
        except ValueError:
            return -1

    def get_field_types(self) -> List[TypeInformation]:
        """The types of the fields."""
        return list(self._field_types)

    def get_field_type(self, field: Any) -> TypeInformation:
        """The type of a field given by position or by name."""
        if isinstance(field, str):
            index = self.get_field_index(field)
            if index < 0:
                raise KeyError(field)
            return self._field_types[index]
        return self._field_types[field]

    def get_arity(self) -> int:
        """The number of fields."""
        return len(self._field_types)

    def _params(self) -> tuple:
        return (tuple(self._field_types), tuple(self._field_names))

    def _check_spec(self) -> tuple:
        # Names let the runtime match a keyword Row (fields sorted by name) by name.
        return ("row", [t._check_spec() for t in self._field_types], list(self.get_field_names()))

    def _aligned_values(self, row: Row) -> List[Any]:
        """Field values in declared order.

        A row with field names covering all declared names (e.g. one built from keyword
        arguments, whose fields are sorted by name) is matched by name; others by position.
        """
        fields = row._fields
        if (fields is not None and list(fields) != self._field_names
                and set(self._field_names) <= set(fields)):
            return [row[name] for name in self._field_names]
        return list(row)

    def _render(self, value: Any) -> str:
        if isinstance(value, Row):
            kind = value.get_row_kind()
            values = self._aligned_values(value)
        elif isinstance(value, (tuple, list)):
            kind, values = RowKind.INSERT, list(value)
        else:
            return str(value)
        return kind.short_string() + "[" + ", ".join(
            _render_fields(self._field_types, values)) + "]"

    def __repr__(self) -> str:
        return "RowTypeInfo(%s)" % ", ".join(
            "%s: %r" % (n, t) for n, t in zip(self._field_names, self._field_types))
