"""``Row`` and ``RowKind``, mirroring ``pyflink.common.types``."""

from collections.abc import Sequence as _SequenceABC
from enum import Enum
from typing import Any, Dict, Iterator, List, Optional, Sequence

__all__ = ["Row", "RowKind"]


class RowKind(Enum):
    """The kind of change a row describes in a changelog."""

    INSERT = 0
    UPDATE_BEFORE = 1
    UPDATE_AFTER = 2
    DELETE = 3

    def short_string(self) -> str:
        """``+I``, ``-U``, ``+U`` or ``-D``, as printed by Flink."""
        return _SHORT_STRINGS[self.value]

    def __str__(self) -> str:
        # PyFlink prints a kind as its short string.
        return _SHORT_STRINGS[self.value]

    def to_byte_value(self) -> int:
        """The stable byte value of this kind (0..3)."""
        return self.value

    @staticmethod
    def from_byte_value(value: int) -> "RowKind":
        """The kind whose ``to_byte_value()`` is ``value``."""
        return RowKind(value)

    @staticmethod
    def from_short_string(text: str) -> "RowKind":
        """The kind whose ``short_string()`` is ``text``."""
        try:
            return RowKind(_SHORT_STRINGS.index(text))
        except ValueError:
            raise ValueError("unknown row kind short string: %r" % (text,))


_SHORT_STRINGS = ("+I", "-U", "+U", "-D")


def _create_row(fields: Optional[List[str]], values: Sequence[Any],
                row_kind: Optional[RowKind] = None, from_dict: bool = False) -> "Row":
    """Rebuilds a row (used by pickling and by the field-name factory)."""
    row = Row(*values)
    if fields is not None:
        row._fields = list(fields)
    if row_kind is not None:
        row._row_kind = row_kind
    row._from_dict = from_dict
    return row


class Row(object):
    """A row: a fixed sequence of values with optional field names and a ``RowKind``.

    * ``Row(1, 'a')`` makes a positional row; its repr is ``<Row(1, 'a')>``.
    * ``Row(name='Alice', age=11)`` makes a named row. As in PyFlink, the fields are sorted by
      name: its repr is ``Row(age=11, name='Alice')``.
    * ``Person = Row('name', 'age')`` makes a field-name factory: ``Person('Alice', 11)`` gives
      ``Row(name='Alice', age=11)``.

    Fields are read by position (``row[0]``), by name (``row['name']``) or as attributes
    (``row.name``). ``key in row`` tests field names when the row has names, values otherwise.
    ``_fields`` is the list of field names, or ``None`` for a positional row.
    """

    __slots__ = ("_fields", "_values", "_row_kind", "_from_dict")

    def __init__(self, *args: Any, **kwargs: Any):
        if args and kwargs:
            raise ValueError("Can not use both args and kwargs to create Row")
        if kwargs:
            names = sorted(kwargs.keys())
            self._fields = names  # type: Optional[List[str]]
            self._values = [kwargs[n] for n in names]
            self._from_dict = True
        else:
            self._fields = None
            self._values = list(args)
            self._from_dict = False
        self._row_kind = RowKind.INSERT

    @staticmethod
    def of_kind(row_kind: RowKind, *args: Any) -> "Row":
        """Creates a positional row of the given kind: ``Row.of_kind(RowKind.DELETE, 1, 'a')``."""
        row = Row(*args)
        row._row_kind = row_kind
        return row

    def as_dict(self, recursive: bool = False) -> Dict[str, Any]:
        """Returns the row as a ``{name: value}`` dict; nested rows too when ``recursive``.

        Raises ``TypeError`` for a row without field names.
        """
        if self._fields is None:
            raise TypeError("Cannot convert a Row without field names into dict")
        if not recursive:
            return dict(zip(self._fields, self._values))

        def conv(obj: Any) -> Any:
            if isinstance(obj, Row):
                return obj.as_dict(True) if obj._fields is not None else [conv(o) for o in obj]
            if isinstance(obj, list):
                return [conv(o) for o in obj]
            if isinstance(obj, dict):
                return {k: conv(v) for k, v in obj.items()}
            return obj

        return {k: conv(v) for k, v in zip(self._fields, self._values)}

    def get_row_kind(self) -> RowKind:
        """The change kind of this row (``RowKind.INSERT`` by default)."""
        return self._row_kind

    def set_row_kind(self, row_kind: RowKind) -> None:
        """Sets the change kind of this row."""
        if not isinstance(row_kind, RowKind):
            raise TypeError("row_kind must be a RowKind, got %r" % (row_kind,))
        self._row_kind = row_kind

    def set_field_names(self, field_names: List[str]) -> None:
        """Names the fields of this row (by position)."""
        self._fields = list(field_names) if field_names is not None else None

    def get_fields_by_names(self, names: Sequence[str]) -> List[Any]:
        """The values of the named fields, in the order of ``names``."""
        return [self[name] for name in names]

    def _index_of(self, name: str) -> int:
        if self._fields is None:
            raise KeyError(name)
        try:
            return self._fields.index(name)
        except ValueError:
            raise KeyError(name)

    def _is_retract_msg(self) -> bool:
        return self._row_kind in (RowKind.UPDATE_BEFORE, RowKind.DELETE)

    def _is_accumulate_msg(self) -> bool:
        return self._row_kind in (RowKind.UPDATE_AFTER, RowKind.INSERT)

    def __call__(self, *args: Any) -> "Row":
        """Uses this row's values as field names and creates a named row from ``args``."""
        if len(args) > len(self):
            raise ValueError("Can not create Row with fields %s, expected %d values but got %s"
                             % (self, len(self), args))
        return _create_row(self._values, args, self._row_kind)

    def __getitem__(self, item: Any) -> Any:
        if isinstance(item, (int, slice)):
            return self._values[item]
        return self._values[self._index_of(item)]

    def __setitem__(self, key: Any, value: Any) -> None:
        if isinstance(key, (int, slice)):
            self._values[key] = value
        else:
            self._values[self._index_of(key)] = value

    def __getattr__(self, item: str) -> Any:
        # Only called when normal lookup fails, i.e. for field names.
        if item.startswith("_"):
            raise AttributeError(item)
        fields = object.__getattribute__(self, "_fields")
        if fields is not None and item in fields:
            return object.__getattribute__(self, "_values")[fields.index(item)]
        raise AttributeError(item)

    def __contains__(self, item: Any) -> bool:
        if self._fields is not None:
            return item in self._fields
        return item in self._values

    def __iter__(self) -> Iterator[Any]:
        return iter(self._values)

    def __len__(self) -> int:
        return len(self._values)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Row):
            return False
        return (self._fields == other._fields and self._row_kind == other._row_kind
                and self._values == other._values)

    def __ne__(self, other: object) -> bool:
        return not self.__eq__(other)

    def __hash__(self) -> int:
        return hash(tuple(self._values))

    def __repr__(self) -> str:
        if self._fields is not None:
            return "Row(%s)" % ", ".join("%s=%r" % (k, v)
                                         for k, v in zip(self._fields, self._values))
        return "<Row(%s)>" % ", ".join(repr(v) for v in self._values)

    def __reduce__(self):
        return _create_row, (self._fields, tuple(self._values), self._row_kind, self._from_dict)


# A Row is a read-mostly sequence: registering it lets ``isinstance(row, Sequence)`` (and the
# native runtime's sequence check for ROW values) accept it.
_SequenceABC.register(Row)
