"""``ResultKind`` of a TableResult, as PyFlink's."""

from enum import Enum

__all__ = ["ResultKind"]


class ResultKind(Enum):
    """``SUCCESS`` for DDL and other statements without content, ``SUCCESS_WITH_CONTENT``
    for queries, SHOW, DESCRIBE and EXPLAIN."""

    SUCCESS = 0
    SUCCESS_WITH_CONTENT = 1
