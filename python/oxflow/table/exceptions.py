"""Exceptions of table programs (PyFlink's ``pyflink.util.exceptions`` names)."""

from .. import _native

TableException = _native.TableException
ValidationException = _native.ValidationException
SqlParserException = _native.SqlParserException

__all__ = ["TableException", "ValidationException", "SqlParserException"]
