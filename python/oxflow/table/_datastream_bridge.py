"""DataStream <-> Table in one program (``from_data_stream``, ``to_data_stream``,
``to_changelog_stream``), as PyFlink's StreamTableEnvironment mixes them.

Design: the DataStream part runs as oxflow's DataStream job (Python values), the SQL part as its
own SQL job (Arrow batches), both inside this process and started by the same
``env.execute()``:

- ``from_data_stream(ds)`` ends ``ds`` in a sink that hands each batch of elements to a
  *table feed* (the rows become one Arrow batch) and registers a table whose sources read the
  feed until the DataStream ends; every SQL job reading the table gets every batch (the feed
  keeps what it was sent, so a query started later still reads from the beginning).
- ``to_data_stream(table)`` / ``to_changelog_stream(table)`` make a DataStream source that, the
  first time it is polled, starts the table's SQL job and then emits its collected rows as
  ``Row`` objects (with their ``RowKind``), typed ``Types.ROW_NAMED`` from the table's columns.

Event time: ``from_data_stream(ds, Schema...column_by_metadata("rowtime", "TIMESTAMP_LTZ(3)")
.watermark("rowtime", "SOURCE_WATERMARK()"))`` gives the table a column of the elements'
timestamps that is its rowtime attribute, with the stream's watermarks (they cross with the
batches, in order); ``to_data_stream`` of a table with a rowtime attribute sets the elements'
timestamps from it.

Limits: a feed keeps every batch until the program ends and does not slow the DataStream down
(no backpressure across the bridge: meant for bounded inputs); jobs that cross the bridge cannot
be checkpointed (the bridge source refuses a
checkpoint rather than lose rows); watermarks do not cross from a table to a DataStream (only
timestamps); a fed table queried outside ``env.execute()``
(``execute().print()``, ``to_pandas()``) starts the DataStream job in the background first.
"""

from typing import Any, Callable, List, Optional, Sequence, Tuple

from ..common.typeinfo import Types
from ..common.types import Row
from .exceptions import TableException, ValidationException

__all__ = ["columns_of_type_info", "type_info_of_columns", "feed_table", "table_stream"]


def _basic_sql_types() -> List[Tuple[Any, str]]:
    return [
        (Types.STRING(), "STRING"), (Types.CHAR(), "STRING"), (Types.BYTE(), "TINYINT"), (Types.BOOLEAN(), "BOOLEAN"),
        (Types.SHORT(), "SMALLINT"), (Types.INT(), "INT"), (Types.LONG(), "BIGINT"), (Types.FLOAT(), "FLOAT"),
        (Types.DOUBLE(), "DOUBLE"), (Types.BIG_INT(), "DECIMAL(38, 0)"), (Types.BIG_DEC(), "DECIMAL(38, 18)"),
        (Types.SQL_DATE(), "DATE"), (Types.LOCAL_DATE(), "DATE"), (Types.SQL_TIME(), "TIME(0)"),
        (Types.LOCAL_TIME(), "TIME(0)"), (Types.SQL_TIMESTAMP(), "TIMESTAMP(3)"),
        (Types.LOCAL_DATE_TIME(), "TIMESTAMP(3)"), (Types.INSTANT(), "TIMESTAMP_LTZ(3)"),
    ]


def _sql_type(type_info: Any, where: str) -> str:
    for info, sql in _basic_sql_types():
        if type_info == info:
            return sql
    raise ValidationException("from_data_stream: %s has type %r, which has no table type yet" % (where, type_info))


def columns_of_type_info(type_info: Any) -> Tuple[List[str], List[str], Callable[[Any], tuple]]:
    """Column names and types of a stream of ``type_info``, and how an element becomes a row:
    a ROW's fields (named as declared), a TUPLE's ``f0, f1, ...``, an atomic type as ``f0``."""
    from ..common._typeinfo_composite import RowTypeInfo, TupleTypeInfo
    if type_info is None:
        raise ValidationException("from_data_stream needs a stream with a declared type (e.g. output_type=Types.ROW_NAMED(...)); "
                                  "an untyped stream of Python objects has no columns")
    if isinstance(type_info, RowTypeInfo):
        names = type_info.get_field_names()
        types = [_sql_type(t, "field '%s'" % n) for n, t in zip(names, type_info.get_field_types())]
        return names, types, tuple
    if isinstance(type_info, TupleTypeInfo):
        fields = type_info.get_field_types()
        names = ["f%d" % i for i in range(len(fields))]
        types = [_sql_type(t, "field '%s'" % n) for n, t in zip(names, fields)]
        # Flink reads a tuple's numeric and boolean fields as primitives: NOT NULL.
        types = [t if t in ("STRING", "DATE") or t.startswith(("DECIMAL", "TIME")) else t + " NOT NULL" for t in types]
        return names, types, tuple
    return ["f0"], [_sql_type(type_info, "the stream")], lambda v: (v,)


_TYPE_INFOS = {
    "STRING": Types.STRING, "CHAR": Types.STRING, "VARCHAR": Types.STRING, "BOOLEAN": Types.BOOLEAN,
    "TINYINT": Types.BYTE, "SMALLINT": Types.SHORT, "INT": Types.INT, "INTEGER": Types.INT, "BIGINT": Types.LONG,
    "FLOAT": Types.FLOAT, "DOUBLE": Types.DOUBLE, "DECIMAL": Types.BIG_DEC, "DATE": Types.LOCAL_DATE,
    "TIME": Types.LOCAL_TIME, "TIMESTAMP": Types.LOCAL_DATE_TIME, "TIMESTAMP_LTZ": Types.INSTANT,
}


def _table_row_type_info() -> Any:
    from ..common._typeinfo_composite import RowTypeInfo, _render_fields

    class TableRowTypeInfo(RowTypeInfo):
        """Rows converted from a table: they print as Flink's ``Row.toString`` does there
        (``+I[Alice,12]``, no space after the commas)."""

        def _render(self, value: Any) -> str:
            if not isinstance(value, Row):
                return super()._render(value)
            fields = _render_fields(self.get_field_types(), self._aligned_values(value))
            return value.get_row_kind().short_string() + "[" + ",".join(fields) + "]"

    return TableRowTypeInfo


def type_info_of_columns(names: List[str], types: List[str]) -> Any:
    """``Types.ROW_NAMED`` of a table's columns, with the Java classes Flink converts them to
    (BIGINT Long, DECIMAL BigDecimal, TIMESTAMP LocalDateTime, DATE LocalDate, ...)."""
    infos = []
    for t in types:
        base = t.replace(" NOT NULL", "").split("(")[0].split("<")[0].strip()
        if base == "TIMESTAMP" and "LOCAL TIME ZONE" in t:
            base = "TIMESTAMP_LTZ"
        infos.append(_TYPE_INFOS.get(base, Types.PICKLED_BYTE_ARRAY)())
    return _table_row_type_info()(infos, list(names))


def feed_table(t_env: Any, ds: Any, names: Optional[Sequence[str]] = None,
               rowtime: Optional[Tuple[str, str]] = None, source_watermark: bool = False) -> Tuple[str, Any]:
    """Registers a table fed by ``ds`` (columns renamed to ``names`` if given); returns its
    name and the sink transformation added to ``ds``'s environment. ``rowtime``: (name, type)
    of a last column holding each element's timestamp; with ``source_watermark`` it is the
    table's time attribute and the stream's watermarks are the table's."""
    from ..datastream._graph import Transformation
    columns, types, to_row = columns_of_type_info(ds.get_type())
    if names:
        if len(names) != len(columns):
            raise ValidationException("from_data_stream: %d field names given (%s) for a stream of %d fields (%s)"
                                      % (len(names), ", ".join(names), len(columns), ", ".join(columns)))
        columns = list(names)
    name, feed = t_env._native.register_feed(columns, types, rowtime, source_watermark)
    t = Transformation("table_feed", "Sink: table %s" % name, [(ds._transformation, ds._partitioning)],
                       {"feed": feed, "to_row": to_row}, parallelism=1)
    ds._env._add_transformation(t)
    return name, t


def table_stream(t_env: Any, table: Any, changelog: bool) -> Any:
    """A DataStream of ``table``'s rows (``Row`` objects with their kinds)."""
    from .table_result import _KINDS
    env = t_env._stream_env
    if env is None:
        raise TableException("to_data_stream needs a StreamTableEnvironment created from a StreamExecutionEnvironment")
    handle = t_env._native.query(table._sql)
    if not changelog and handle.is_updating():
        raise TableException(
            "Table sink '*anonymous_datastream_sink*' doesn't support consuming update changes which is produced by "
            "an aggregation or another updating operator of the query; use to_changelog_stream for an updating table")
    sql = table._sql
    running = []  # type: List[Any]
    # A rowtime attribute becomes the elements' timestamps (Flink: the StreamRecord timestamp).
    rowtime = next((i for i, t in enumerate(handle.types()) if "*ROWTIME*" in t), None)

    def poll() -> Any:
        if not running:
            running.append(t_env._start_query_job(sql))
        got = running[0].fetch() if rowtime is None else running[0].fetch_timed(rowtime)
        if got is None:
            return None
        out = []
        for kind, values in zip(got[0], got[1]):
            row = Row(*values)
            row.set_row_kind(_KINDS[kind])
            out.append(row)
        return out if rowtime is None else (out, got[2])

    out_type = type_info_of_columns(handle.names(), handle.data_types())
    return env._source("python_poll", "Source: table", {"poll": poll}, out_type, parallelism=1, non_parallel=True)
