"""``TableResult``: what ``execute_sql`` and ``Table.execute`` return, as PyFlink's.

A query's result streams: ``collect()`` yields ``Row`` objects that carry their ``RowKind`` while
the job runs, and ``print()`` writes Flink's tableau (with the ``op`` column) row by row.
Statements without a job (DDL, SHOW, DESCRIBE) hold their few rows directly.
"""

import unicodedata
from typing import Any, Iterator, List, Optional

from ..common.job_client import JobClient
from ..common.types import Row, RowKind
from .result_kind import ResultKind
from .table_schema import ResolvedSchema

__all__ = ["TableResult", "CloseableIterator"]

_KINDS = {"+I": RowKind.INSERT, "-U": RowKind.UPDATE_BEFORE, "+U": RowKind.UPDATE_AFTER, "-D": RowKind.DELETE}


def _width(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)


def _rows_in_set(n: int) -> str:
    if n == 0:
        return "Empty set"
    return "1 row in set" if n == 1 else "%d rows in set" % n


class CloseableIterator(object):
    """The rows of a running query, as they arrive; close it (or use ``with``) to stop the job."""

    def __init__(self, job: Any, names: List[str]):
        self._job = job
        self._names = names
        self._buffer = []  # type: List[Row]
        self._closed = False

    def __iter__(self) -> "CloseableIterator":
        return self

    def __next__(self) -> Row:
        while not self._buffer:
            if self._closed:
                raise StopIteration
            got = self._job.fetch()
            if got is None:
                self._closed = True
                raise StopIteration
            kinds, tuples = got
            for kind, values in zip(kinds, tuples):
                # As in PyFlink, collected rows carry values and kind, not field names.
                row = Row(*values)
                row.set_row_kind(_KINDS[kind])
                self._buffer.append(row)
            self._buffer.reverse()
        return self._buffer.pop()

    def next(self) -> Row:
        return self.__next__()

    def close(self) -> None:
        if not self._closed:
            self._closed = True
            self._job.cancel()

    def __enter__(self) -> "CloseableIterator":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    def __del__(self) -> None:
        try:
            self.close()
        except Exception:
            pass


class TableResult(object):
    """The result of a statement: a schema and rows, and for queries and inserts the job."""

    def __init__(self, kind: ResultKind, schema: ResolvedSchema, rows: Optional[List[List[str]]] = None,
                 job: Any = None, job_name: str = "", job_id: Any = None, savepoint_dir: Optional[str] = None):
        self._kind = kind
        self._job_id = job_id
        self._savepoint_dir = savepoint_dir
        self._schema = schema
        self._rows = rows
        self._job = job
        self._job_name = job_name
        self._consumed = False

    def get_job_client(self) -> Optional[JobClient]:
        """The client of the statement's job (None for statements without one): its status,
        ``cancel``, ``trigger_savepoint`` and ``stop_with_savepoint`` (with checkpointing
        configured), as the DataStream job's client."""
        if self._job is None:
            return None
        from ..common.job_id import JobID
        if self._job_id is None:
            self._job_id = JobID.generate()
        client = JobClient(self._job, self._job_id)
        client._default_savepoint_dir = self._savepoint_dir
        return client

    def wait(self, timeout_ms: Optional[int] = None) -> None:
        """Waits until the job ends (or ``timeout_ms`` passes); raises its failure."""
        if self._job is not None:
            self._job.wait(None if timeout_ms is None else timeout_ms / 1000.0)

    def get_table_schema(self) -> ResolvedSchema:
        return self._schema

    def get_resolved_schema(self) -> ResolvedSchema:
        return self._schema

    def get_result_kind(self) -> ResultKind:
        return self._kind

    def _take(self) -> None:
        if self._consumed:
            raise RuntimeError("A TableResult can only be collected or printed once.")
        self._consumed = True

    def collect(self) -> CloseableIterator:
        """The rows as ``Row`` objects with their ``RowKind``, while the job runs."""
        self._take()
        if self._job is None or not self._schema._is_query:
            return CloseableIterator(_StaticRows(self._rows or []), self._schema.get_column_names())
        return CloseableIterator(self._job, self._schema.get_column_names())

    def print(self) -> None:
        """Prints the result as Flink's tableau; a query's rows are printed as they arrive."""
        self._take()
        if self._job is not None and self._schema._is_query:
            separator, header = self._job.header()
            n = 0
            while True:
                lines = self._job.fetch_lines()
                if lines is None:
                    break
                if lines and n == 0:
                    # As Flink's tableau: the header comes with the first row; no rows, no header.
                    print(separator)
                    print(header)
                    print(separator)
                for line in lines:
                    print(line)
                n += len(lines)
            if n == 0:
                print("Empty set")
                return
            print(separator)
            print(_rows_in_set(n))
            return
        self._print_static()

    def _print_static(self) -> None:
        names = self._schema.get_column_names()
        rows = self._rows or []
        widths = [max([_width(n)] + [_width(r[i]) for r in rows]) for i, n in enumerate(names)]
        separator = "+" + "+".join("-" * (w + 2) for w in widths) + "+"

        def line(cells: List[str]) -> str:
            return "|" + "|".join(" " + " " * (w - _width(c)) + c + " " for c, w in zip(cells, widths)) + "|"

        if not rows:
            print("Empty set")
            return
        print(separator)
        print(line(names))
        print(separator)
        for r in rows:
            print(line(r))
        print(separator)
        print(_rows_in_set(len(rows)))


class _StaticRows(object):
    """The rows of a statement without a job, served like a job's."""

    def __init__(self, rows: List[List[str]]):
        self._rows = rows

    def fetch(self) -> Any:
        if not self._rows:
            return None
        rows, self._rows = self._rows, []
        return ["+I"] * len(rows), [tuple(r) for r in rows]

    def cancel(self) -> None:
        pass
