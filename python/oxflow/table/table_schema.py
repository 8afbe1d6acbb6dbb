"""The columns of a table or result: ``ResolvedSchema`` (and its 1.x name ``TableSchema``)."""

from typing import List

from .types import DataType, _from_sql

__all__ = ["ResolvedSchema", "TableSchema"]


class ResolvedSchema(object):
    """Column names and types; prints as Flink prints a schema."""

    def __init__(self, names: List[str], types: List[str], is_query: bool = False):
        self._names = list(names)
        self._types = list(types)
        self._is_query = is_query

    def get_column_names(self) -> List[str]:
        return list(self._names)

    def get_field_names(self) -> List[str]:
        return list(self._names)

    def get_field_count(self) -> int:
        return len(self._names)

    def get_column_count(self) -> int:
        return len(self._names)

    def get_field_data_types(self) -> List[DataType]:
        return [_from_sql(t.replace(" *ROWTIME*", "").replace(" *PROCTIME*", "")) for t in self._types]

    def get_column_data_types(self) -> List[DataType]:
        return self.get_field_data_types()

    def get_field_data_type(self, field: str) -> DataType:
        return self.get_field_data_types()[self._names.index(field)]

    def __str__(self) -> str:
        lines = ["  `%s` %s" % (n, t) for n, t in zip(self._names, self._types)]
        return "(\n" + ",\n".join(lines) + "\n)"

    def __repr__(self) -> str:
        return str(self)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, ResolvedSchema) and (self._names, self._types) == (other._names, other._types)


TableSchema = ResolvedSchema
