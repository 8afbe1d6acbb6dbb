"""``Schema``: the columns, watermark and primary key of a table or view (``Schema.new_builder()``)."""

from typing import Any, Dict, List, Optional, Tuple, Union

from .types import DataType, RowType, _from_sql, _quote_identifier, _quote_string, _sql_text, _to_data_type

__all__ = ["Schema"]


# --------------------------------------------------------------------------------------------
# Schema
# --------------------------------------------------------------------------------------------

class Schema(object):
    """The schema of a table or view: physical, computed and metadata columns, a watermark
    and a primary key. Built with ``Schema.new_builder()``."""

    def __init__(self, columns: List[Dict[str, Any]], watermarks: List[Tuple[str, str]],
                 primary_key: Optional[Tuple[Optional[str], List[str]]]):
        self._columns = columns
        self._watermarks = watermarks
        self._primary_key = primary_key

    @staticmethod
    def new_builder() -> "Schema.Builder":
        return Schema.Builder()

    def _column_sql(self, c: Dict[str, Any]) -> str:
        name = _quote_identifier(c["name"])
        if c["kind"] == "computed":
            text = "%s AS %s" % (name, c["expr"])
        else:
            text = "%s %s" % (name, c["type"])
            if c["kind"] == "metadata":
                text += " METADATA"
                if c["key"] is not None:
                    text += " FROM " + _quote_string(c["key"])
                if c["virtual"]:
                    text += " VIRTUAL"
        if c.get("comment"):
            text += " COMMENT " + _quote_string(c["comment"])
        return text

    def _ddl_items(self) -> List[str]:
        items = [self._column_sql(c) for c in self._columns]
        for column, expr in self._watermarks:
            items.append("WATERMARK FOR %s AS %s" % (_quote_identifier(column), expr))
        if self._primary_key is not None:
            name, cols = self._primary_key
            prefix = "CONSTRAINT %s " % _quote_identifier(name) if name else ""
            items.append("%sPRIMARY KEY (%s) NOT ENFORCED"
                         % (prefix, ", ".join(_quote_identifier(c) for c in cols)))
        return items

    def _to_ddl_columns(self) -> str:
        """The column list of a ``CREATE TABLE`` (without the surrounding parentheses)."""
        return ", ".join(self._ddl_items())

    def _column_names(self) -> List[str]:
        return [c["name"] for c in self._columns]

    def __str__(self) -> str:
        items = self._ddl_items()
        return "(\n%s\n)" % ",\n".join("  " + i for i in items) if items else "()"

    __repr__ = __str__

    def __eq__(self, other: Any) -> bool:
        return isinstance(other, Schema) and self._ddl_items() == other._ddl_items()

    def __hash__(self) -> int:
        return hash(tuple(self._ddl_items()))

    class Builder(object):
        """Builds a ``Schema`` column by column."""

        def __init__(self):
            self._columns = []  # type: List[Dict[str, Any]]
            self._watermarks = []  # type: List[Tuple[str, str]]
            self._primary_key = None  # type: Optional[Tuple[Optional[str], List[str]]]

        def from_schema(self, schema: "Schema") -> "Schema.Builder":
            """Adopts all members of another schema."""
            self._columns.extend(dict(c) for c in schema._columns)
            self._watermarks.extend(schema._watermarks)
            if schema._primary_key is not None:
                self._primary_key = schema._primary_key
            return self

        def from_row_data_type(self, data_type: RowType) -> "Schema.Builder":
            """Adds one physical column per field of a row type."""
            for f in data_type.fields:
                self.column(f.name, f.data_type)
            return self

        def from_fields(self, field_names: List[str],
                        field_data_types: List[DataType]) -> "Schema.Builder":
            """Adds physical columns of the given names and types."""
            if len(field_names) != len(field_data_types):
                raise ValueError("field names and data types must have the same length")
            for name, data_type in zip(field_names, field_data_types):
                self.column(name, data_type)
            return self

        def column(self, column_name: str, data_type: Union[str, DataType]) -> "Schema.Builder":
            """Adds a physical column of the given type (a DataType or a SQL type string)."""
            if isinstance(data_type, str):
                try:
                    data_type = _from_sql(data_type)
                except ValueError:
                    pass  # a type the parser does not know: passed to the engine verbatim
            self._columns.append({"kind": "physical", "name": column_name,
                                  "type": str(data_type)})
            return self

        def column_by_expression(self, column_name: str, expr: Any) -> "Schema.Builder":
            """Adds a computed column (a SQL expression string or an ``Expression``)."""
            self._columns.append({"kind": "computed", "name": column_name,
                                  "expr": _sql_text(expr)})
            return self

        def column_by_metadata(self, column_name: str, data_type: Union[str, DataType],
                               metadata_key: Optional[str] = None,
                               is_virtual: bool = False) -> "Schema.Builder":
            """Adds a metadata column (``METADATA [FROM key] [VIRTUAL]``)."""
            self._columns.append({"kind": "metadata", "name": column_name,
                                  "type": str(_to_data_type(data_type)), "key": metadata_key,
                                  "virtual": is_virtual})
            return self

        def with_comment(self, comment: str) -> "Schema.Builder":
            """Sets the comment of the column declared last."""
            if not self._columns:
                raise ValueError("with_comment must follow a column declaration")
            self._columns[-1]["comment"] = comment
            return self

        def watermark(self, column_name: str, watermark_expr: Any) -> "Schema.Builder":
            """Declares ``column_name`` the rowtime attribute, with a watermark expression."""
            self._watermarks.append((column_name, _sql_text(watermark_expr)))
            return self

        def primary_key(self, *column_names: str) -> "Schema.Builder":
            """Declares a (not enforced) primary key."""
            return self.primary_key_named(None, *column_names)

        def primary_key_named(self, constraint_name: Optional[str],
                              *column_names: str) -> "Schema.Builder":
            """Declares a named (not enforced) primary key."""
            if len(column_names) == 1 and isinstance(column_names[0], (list, tuple)):
                column_names = tuple(column_names[0])
            if not column_names:
                raise ValueError("a primary key needs at least one column")
            if self._primary_key is not None:
                raise ValueError("multiple primary keys are not supported")
            self._primary_key = (constraint_name, list(column_names))
            return self

        def build(self) -> "Schema":
            return Schema(list(self._columns), list(self._watermarks), self._primary_key)


