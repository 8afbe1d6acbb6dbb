"""``TableDescriptor`` and ``FormatDescriptor``: a connector table described in Python, turned into
its CREATE TABLE statement."""

from enum import Enum
from typing import Any, Dict, List, Optional, Union

from .schema import Schema
from .types import _quote_identifier, _quote_path, _quote_string

__all__ = ["TableDescriptor", "FormatDescriptor"]


# --------------------------------------------------------------------------------------------
# TableDescriptor / FormatDescriptor
# --------------------------------------------------------------------------------------------

def _option_key(key: Any) -> str:
    return key if isinstance(key, str) else str(key.key())


def _option_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, Enum):
        return str(value.name)
    return str(value)


class FormatDescriptor(object):
    """A format and its options, used by ``TableDescriptor.Builder.format``."""

    def __init__(self, format: str, options: Dict[str, str]):
        self._format = format
        self._options = options

    @staticmethod
    def for_format(format: str) -> "FormatDescriptor.Builder":
        return FormatDescriptor.Builder(format)

    def get_format(self) -> str:
        return self._format

    def get_options(self) -> Dict[str, str]:
        return dict(self._options)

    def __str__(self) -> str:
        opts = ", ".join("%s = %s" % (_quote_string(k), _quote_string(v))
                         for k, v in self._options.items())
        return "%s[{%s}]" % (self._format, opts)

    def __eq__(self, other: Any) -> bool:
        return isinstance(other, FormatDescriptor) and self.__dict__ == other.__dict__

    def __hash__(self) -> int:
        return hash(str(self))

    class Builder(object):
        def __init__(self, format: str):
            self._format = format
            self._options = {}  # type: Dict[str, str]

        def option(self, key: Any, value: Any) -> "FormatDescriptor.Builder":
            """Sets a format option (without the format prefix, e.g. ``field-delimiter``)."""
            self._options[_option_key(key)] = _option_value(value)
            return self

        def build(self) -> "FormatDescriptor":
            return FormatDescriptor(self._format, dict(self._options))


class TableDescriptor(object):
    """Describes a table to create: connector, schema, options, partition keys and comment.
    Built with ``TableDescriptor.for_connector(name)``."""

    def __init__(self, schema: Optional[Schema], options: Dict[str, str],
                 partition_keys: List[str], comment: Optional[str]):
        self._schema = schema
        self._options = options
        self._partition_keys = partition_keys
        self._comment = comment

    @staticmethod
    def for_connector(connector: str) -> "TableDescriptor.Builder":
        return TableDescriptor.Builder().option("connector", connector)

    def get_schema(self) -> Optional[Schema]:
        return self._schema

    def get_options(self) -> Dict[str, str]:
        return dict(self._options)

    def get_partition_keys(self) -> List[str]:
        return list(self._partition_keys)

    def get_comment(self) -> Optional[str]:
        return self._comment

    def _ddl_body(self) -> List[str]:
        lines = []
        if self._comment is not None:
            lines.append("COMMENT " + _quote_string(self._comment))
        if self._partition_keys:
            lines.append("PARTITIONED BY (%s)"
                         % ", ".join(_quote_identifier(k) for k in self._partition_keys))
        opts = ",\n".join("  %s = %s" % (_quote_string(k), _quote_string(v))
                          for k, v in self._options.items())
        lines.append("WITH (\n%s\n)" % opts)
        return lines

    def _to_ddl(self, table_name: str, temporary: bool = False,
                if_not_exists: bool = False) -> str:
        """The ``CREATE TABLE`` statement creating this table under ``table_name``."""
        head = "CREATE %sTABLE %s%s" % ("TEMPORARY " if temporary else "",
                                        "IF NOT EXISTS " if if_not_exists else "",
                                        _quote_path(table_name))
        if self._schema is not None:
            items = self._schema._ddl_items()
            head += " (\n%s\n)" % ",\n".join("  " + i for i in items)
        return "\n".join([head] + self._ddl_body())

    def __str__(self) -> str:
        parts = [str(self._schema)] if self._schema is not None else []
        return "\n".join(parts + self._ddl_body())

    def __eq__(self, other: Any) -> bool:
        return isinstance(other, TableDescriptor) and str(self) == str(other)

    def __hash__(self) -> int:
        return hash(str(self))

    class Builder(object):
        def __init__(self):
            self._schema = None  # type: Optional[Schema]
            self._options = {}  # type: Dict[str, str]
            self._partition_keys = []  # type: List[str]
            self._comment = None  # type: Optional[str]

        def schema(self, schema: Schema) -> "TableDescriptor.Builder":
            self._schema = schema
            return self

        def option(self, key: Any, value: Any) -> "TableDescriptor.Builder":
            """Sets a table option (``key`` a string or an object with ``key()``)."""
            self._options[_option_key(key)] = _option_value(value)
            return self

        def format(self, format: Union[str, FormatDescriptor],
                   format_option: Any = None) -> "TableDescriptor.Builder":
            """Sets the format (``'format'`` or ``format_option``, e.g. ``'key.format'``);
            a FormatDescriptor's options are prefixed with the format name, as Flink does
            (``'csv.field-delimiter'``, ``'key.csv.field-delimiter'``)."""
            key = "format" if format_option is None else _option_key(format_option)
            if isinstance(format, str):
                return self.option(key, format)
            name = format.get_format()
            if key == "format":
                prefix = name + "."
            elif key.endswith(".format"):
                prefix = key[:-len("format")] + name + "."
            else:
                raise ValueError("format option %r must be 'format' or end with '.format'" % key)
            self.option(key, name)
            for k, v in format.get_options().items():
                if k.startswith(prefix):
                    raise ValueError("format option %r must not carry the prefix %r" % (k, prefix))
                self.option(prefix + k, v)
            return self

        def partitioned_by(self, *partition_keys: str) -> "TableDescriptor.Builder":
            self._partition_keys = list(partition_keys)
            return self

        def comment(self, comment: str) -> "TableDescriptor.Builder":
            self._comment = comment
            return self

        def build(self) -> "TableDescriptor":
            return TableDescriptor(self._schema, dict(self._options),
                                   list(self._partition_keys), self._comment)
