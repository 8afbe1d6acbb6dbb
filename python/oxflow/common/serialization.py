"""Serialization schemas and encoders, mirroring ``pyflink.common.serialization``.

These are pure-Python objects; connectors and sinks of the runtime read their attributes
(e.g. ``Encoder.charset``) and call ``serialize`` / ``deserialize``.
"""

from typing import Any, Optional

__all__ = [
    "SerializationSchema",
    "DeserializationSchema",
    "SimpleStringSchema",
    "ByteArraySchema",
    "RowFieldExtractorSchema",
    "Encoder",
    "BulkWriterFactory",
]


def _check_charset(charset: str) -> str:
    import codecs
    try:
        codecs.lookup(charset)
    except LookupError:
        raise ValueError("Unsupported charset: %r" % (charset,))
    return charset


class SerializationSchema(object):
    """Turns records into bytes for a sink or connector."""

    def serialize(self, element: Any) -> bytes:
        """Serializes ``element`` to bytes."""
        raise NotImplementedError


class DeserializationSchema(object):
    """Turns bytes from a source or connector into records."""

    def deserialize(self, message: bytes) -> Any:
        """Deserializes ``message`` into a record."""
        raise NotImplementedError

    def is_end_of_stream(self, next_element: Any) -> bool:
        """Whether ``next_element`` ends the stream (never, by default)."""
        return False

    def get_produced_type(self) -> Optional[Any]:
        """The ``TypeInformation`` of the produced records, if known."""
        return None


class SimpleStringSchema(SerializationSchema, DeserializationSchema):
    """Strings encoded with a charset (UTF-8 by default)."""

    def __init__(self, charset: str = "UTF-8"):
        self.charset = _check_charset(charset)

    def get_charset(self) -> str:
        """The charset name."""
        return self.charset

    def serialize(self, element: Any) -> bytes:
        return str(element).encode(self.charset)

    def deserialize(self, message: bytes) -> str:
        return bytes(message).decode(self.charset)

    def get_produced_type(self) -> Any:
        from .typeinfo import Types
        return Types.STRING()

    def __eq__(self, other: object) -> bool:
        return (isinstance(other, SimpleStringSchema)
                and self.charset.lower() == other.charset.lower())

    def __hash__(self) -> int:
        return hash(("SimpleStringSchema", self.charset.lower()))

    def __repr__(self) -> str:
        return "SimpleStringSchema(charset=%r)" % self.charset


class ByteArraySchema(SerializationSchema, DeserializationSchema):
    """Raw bytes, passed through unchanged."""

    def serialize(self, element: Any) -> bytes:
        return bytes(element)

    def deserialize(self, message: bytes) -> bytes:
        return bytes(message)

    def get_produced_type(self) -> Any:
        from .typeinfo import Types
        return Types.PRIMITIVE_ARRAY(Types.BYTE())

    def __eq__(self, other: object) -> bool:
        return isinstance(other, ByteArraySchema)

    def __hash__(self) -> int:
        return hash("ByteArraySchema")

    def __repr__(self) -> str:
        return "ByteArraySchema()"


class RowFieldExtractorSchema(SerializationSchema):
    """Serializes one field of a ``Row``: bytes as they are, strings as UTF-8."""

    def __init__(self, field_index: int):
        if field_index < 0:
            raise ValueError("field_index must be non-negative, got %d" % field_index)
        self.field_index = field_index

    def serialize(self, element: Any) -> bytes:
        value = element[self.field_index]
        if value is None:
            return b""
        if isinstance(value, (bytes, bytearray)):
            return bytes(value)
        if isinstance(value, str):
            return value.encode("utf-8")
        raise TypeError("field %d must be bytes or str, got %r" % (self.field_index, value))

    def __repr__(self) -> str:
        return "RowFieldExtractorSchema(%d)" % self.field_index


class Encoder(object):
    """Writes records of a row-format file sink; see ``Encoder.simple_string_encoder``."""

    def __init__(self, charset: str = "UTF-8"):
        self.charset = _check_charset(charset)

    @staticmethod
    def simple_string_encoder(charset: str = "UTF-8") -> "Encoder":
        """An encoder writing ``str(record)`` in ``charset``, one record per line."""
        return Encoder(charset)

    def encode(self, element: Any) -> bytes:
        """The bytes written for ``element``, including the trailing newline."""
        return (str(element) + "\n").encode(self.charset)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Encoder) and self.charset.lower() == other.charset.lower()

    def __hash__(self) -> int:
        return hash(("Encoder", self.charset.lower()))

    def __repr__(self) -> str:
        return "Encoder.simple_string_encoder(%r)" % self.charset


class BulkWriterFactory(object):
    """Base class of bulk-format writers (Parquet, ORC...) for the file sink."""
