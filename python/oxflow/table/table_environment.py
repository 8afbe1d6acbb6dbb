"""``TableEnvironment`` and ``StreamTableEnvironment``: the entry point of table programs, as
PyFlink's. SQL is planned and run by oxflow's native engine (Arrow batches, DataFusion
expressions); the Table API composes the same SQL (see ``table.py``)."""

import copy
import datetime
import decimal
from typing import Any, Iterable, List, Optional, Sequence, Tuple, Union

from .. import _native
from ..common.configuration import Configuration
from .environment_settings import EnvironmentSettings
from .result_kind import ResultKind
from .table import Table
from .table_config import TableConfig
from .table_result import TableResult
from .table_schema import ResolvedSchema
from .types import DataType, DataTypes, RowType, _to_data_type

__all__ = ["TableEnvironment", "StreamTableEnvironment", "StatementSet", "ExplainDetail"]


class ExplainDetail(object):
    """Extra details ``explain_sql`` can show (accepted; oxflow shows one plan)."""

    ESTIMATED_COST = 0
    CHANGELOG_MODE = 1
    JSON_EXECUTION_PLAN = 2
    PLAN_ADVICE = 3


def _quote(name: str) -> str:
    return "`%s`" % name.replace("`", "``")


def _infer_type(value: Any) -> DataType:
    if isinstance(value, bool):
        return DataTypes.BOOLEAN()
    if isinstance(value, int):
        return DataTypes.BIGINT()
    if isinstance(value, float):
        return DataTypes.DOUBLE()
    if isinstance(value, str):
        return DataTypes.STRING()
    if isinstance(value, bytes):
        return DataTypes.BYTES()
    if isinstance(value, decimal.Decimal):
        return DataTypes.DECIMAL(38, 18)
    if isinstance(value, datetime.datetime):
        return DataTypes.TIMESTAMP(6)
    if isinstance(value, datetime.date):
        return DataTypes.DATE()
    if isinstance(value, datetime.time):
        return DataTypes.TIME()
    raise TypeError("cannot infer a table type for the value %r (%s); give from_elements a schema" % (value, type(value).__name__))


class TableEnvironment(object):
    """Creates tables, runs SQL and holds the catalog of one table program."""

    def __init__(self, environment_settings: Optional[EnvironmentSettings] = None):
        self._settings = environment_settings or EnvironmentSettings.in_streaming_mode()
        self._native = _native.TableSessionHandle()
        self._config = TableConfig(self._native, self._settings.get_configuration())
        self._jobs = 0
        self._pending = []  # type: List[TableResult]

    @staticmethod
    def create(environment_settings: Union[EnvironmentSettings, Configuration, None] = None) -> "TableEnvironment":
        """A TableEnvironment from settings (or a Configuration)."""
        if isinstance(environment_settings, Configuration):
            environment_settings = EnvironmentSettings.from_configuration(environment_settings)
        return TableEnvironment(environment_settings)

    def get_config(self) -> TableConfig:
        return self._config

    # --- statements -------------------------------------------------------------------

    def _job_name(self, what: str) -> str:
        self._jobs += 1
        return self._config.get("pipeline.name", None) or "%s_%d" % (what, self._jobs)

    def execute_sql(self, stmt: str) -> TableResult:
        """Runs one statement: DDL, DML (INSERT INTO, EXECUTE STATEMENT SET), a query, SHOW,
        DESCRIBE, EXPLAIN, SET, RESET or USE. INSERTs and queries start a job right away."""
        self._register_inline(stmt)
        outcome = self._native.execute(stmt)
        kind = outcome[0]
        if kind == "rows":
            _, columns, rows = outcome
            result_kind = ResultKind.SUCCESS if columns == ["result"] and rows == [["OK"]] else ResultKind.SUCCESS_WITH_CONTENT
            return TableResult(result_kind, ResolvedSchema(columns, ["STRING"] * len(columns)), rows)
        if kind == "query":
            return self._start_query(outcome[1])
        if kind == "insert":
            return self._start_insert(outcome[1])
        if kind == "explain":
            return TableResult(ResultKind.SUCCESS_WITH_CONTENT, ResolvedSchema(["result"], ["STRING"]), [[outcome[1]]])
        if kind == "function":
            _, name, identifier, language, if_not_exists = outcome
            self._create_function(name, identifier, language, if_not_exists)
            return TableResult(ResultKind.SUCCESS, ResolvedSchema(["result"], ["STRING"]), [["OK"]])
        raise AssertionError("unknown statement outcome %r" % (kind,))

    def _before_execute(self) -> None:
        """Hook run before a SQL job starts (a StreamTableEnvironment starts its feeding
        DataStream job)."""

    def _start_query_job(self, sql: str) -> Any:
        """Starts the query ``sql`` with results collected; its native job."""
        self._register_inline(sql)
        self._before_execute()
        return self._start_job(self._native.query(sql), self._job_name("collect"))[0]

    def _job_configuration(self) -> Tuple[Configuration, Any, Any]:
        """The configuration a job runs with: the StreamExecutionEnvironment's (if any), then
        this TableConfig's keys over it; with its checkpoint config and restart strategy."""
        from ..datastream.checkpoint_config import CheckpointConfig
        env = getattr(self, "_stream_env", None)
        if env is not None:
            conf = Configuration(env._configuration)
            checkpoints = copy.copy(env._checkpoint_config)
            restart = getattr(env, "_restart_strategy", None)
        else:
            conf, checkpoints, restart = Configuration(), CheckpointConfig(), None
        for key, value in self._config.to_map().items():
            conf.set_string(key, value)
        checkpoints._configure(conf)
        return conf, checkpoints, restart

    def _start_job(self, handle: Any, name: str) -> Tuple[Any, Any, Optional[str]]:
        """Starts ``handle``'s job with the checkpoint, restore, state backend and restart
        settings of the configuration; the job, its JobID and the default savepoint directory."""
        from ..common.job_id import JobID
        from ..datastream._checkpointing import native_fault_tolerance
        conf, checkpoints, restart = self._job_configuration()
        job_id = JobID()
        config = native_fault_tolerance(conf, checkpoints, str(job_id), restart)
        job = handle.start(name, self._config._parallelism(), config)
        return job, job_id, conf.get_string("execution.checkpointing.savepoint-dir", None)

    def _start_query(self, handle: Any) -> TableResult:
        self._before_execute()
        name = self._job_name("collect")
        job, job_id, savepoints = self._start_job(handle, name)
        schema = ResolvedSchema(handle.names(), handle.types(), is_query=True)
        return TableResult(ResultKind.SUCCESS_WITH_CONTENT, schema, job=job, job_name=name, job_id=job_id, savepoint_dir=savepoints)

    def _start_insert(self, handle: Any) -> TableResult:
        self._before_execute()
        name = self._job_name("insert-into")
        sinks = handle.sinks()
        job, job_id, savepoints = self._start_job(handle, name)
        names = ["default_catalog.default_database.%s" % s for s in sinks]
        result = TableResult(ResultKind.SUCCESS_WITH_CONTENT, ResolvedSchema(names, ["BIGINT"] * len(names)),
                             [["-1"] * len(names)], job=job, job_name=name, job_id=job_id, savepoint_dir=savepoints)
        self._pending.append(result)
        return result

    def _create_function(self, name: str, identifier: str, language: str, if_not_exists: bool) -> None:
        from .exceptions import ValidationException
        if language != "PYTHON":
            raise ValidationException("CREATE FUNCTION %s: only LANGUAGE PYTHON functions run in oxflow, not %s ('%s')" % (name, language, identifier))
        if if_not_exists and name.lower() in (f.lower() for f in self._native.list_user_functions()):
            return
        module_name, _, attribute = identifier.rpartition(".")
        if not module_name:
            raise ValidationException("CREATE FUNCTION %s AS '%s': the identifier must be 'module.function'" % (name, identifier))
        import importlib
        try:
            function = getattr(importlib.import_module(module_name), attribute)
        except (ImportError, AttributeError) as e:
            raise ValidationException("CREATE FUNCTION %s AS '%s': cannot load it: %s" % (name, identifier, e))
        self.create_temporary_system_function(name, function)

    # --- functions --------------------------------------------------------------------

    def create_temporary_system_function(self, name: str, function: Any) -> None:
        """Registers a UDF (made by ``udf``, ``udaf`` or ``udtf``) under ``name`` for SQL and
        ``call(name, ...)``."""
        from .udf import UserDefinedFunctionWrapper
        if not isinstance(function, UserDefinedFunctionWrapper):
            raise TypeError("expected a function made by oxflow.table.udf.udf, udaf or udtf, got %r" % (function,))
        function._register(self._native, name)

    def create_temporary_function(self, path: str, function: Any) -> None:
        self.create_temporary_system_function(path, function)

    def create_function(self, path: str, function_class_name: Any, ignore_if_exists: bool = False) -> None:
        if isinstance(function_class_name, str):
            self.execute_sql("CREATE FUNCTION %s%s AS '%s' LANGUAGE PYTHON" % ("IF NOT EXISTS " if ignore_if_exists else "", path, function_class_name))
        else:
            self.create_temporary_system_function(path, function_class_name)

    def drop_temporary_system_function(self, name: str) -> bool:
        return self._native.drop_function(name)

    def drop_temporary_function(self, path: str) -> bool:
        return self._native.drop_function(path)

    def drop_function(self, path: str) -> bool:
        return self._native.drop_function(path)

    def list_user_defined_functions(self) -> List[str]:
        return self._native.list_user_functions()

    def _register_inline(self, sql: str) -> None:
        """Registers the inline UDFs (Table API calls of ``udf`` objects) that ``sql`` uses."""
        from .udf import _inline_functions
        known = set(self._native.list_user_functions())
        for w in _inline_functions(sql):
            if w._inline_name not in known:
                w._register(self._native, w._inline_name)

    def sql_query(self, query: str) -> Table:
        """A Table of the SELECT ``query`` (planned now, run when executed)."""
        self._register_inline(query)
        self._native.query(query)
        return Table(query, self)

    def explain_sql(self, stmt: str, *extra_details: Any) -> str:
        return self.execute_sql("EXPLAIN " + stmt)._rows[0][0]

    def create_statement_set(self) -> "StatementSet":
        return StatementSet(self)

    def execute(self, job_name: Optional[str] = None) -> None:
        """Waits for the jobs INSERT statements started (Flink 1.x's ``execute``)."""
        pending, self._pending = self._pending, []
        for result in pending:
            result.wait()

    # --- tables and views -------------------------------------------------------------

    def from_elements(self, elements: Iterable[Any], schema: Union[DataType, Sequence[str], None] = None,
                      verify_schema: bool = True) -> Table:
        """A Table of the given rows (tuples, lists or Rows). ``schema`` is a ``DataTypes.ROW``,
        a list of column names (types inferred), or ``None`` (names ``_1``, ``_2``, ...)."""
        rows = [tuple(e) if not isinstance(e, tuple) else e for e in elements]
        if isinstance(schema, str):
            schema = _to_data_type(schema)
        if isinstance(schema, RowType):
            names = schema.field_names()
            types = [str(f.data_type) for f in schema.fields]
        else:
            if not rows:
                raise ValueError("from_elements needs a schema with its types when there are no elements")
            first = rows[0]
            names = list(schema) if schema is not None else ["_%d" % (i + 1) for i in range(len(first))]
            types = []
            for i in range(len(first)):
                value = next((r[i] for r in rows if r[i] is not None), None)
                types.append(str(DataTypes.STRING() if value is None else _infer_type(value)))
        table = self._native.register_rows(names, types, rows)
        return Table("SELECT * FROM %s" % _quote(table), self)

    def from_pandas(self, pdf: Any, schema: Union[RowType, Sequence[str], Sequence[DataType], None] = None,
                    splits_num: int = 1) -> Table:
        """A Table of a pandas DataFrame, handed over as Arrow batches (no per-value Python objects).

        ``schema`` is a ``DataTypes.ROW``, a list of column names or a list of DataTypes; without
        it names come from the DataFrame and types from its dtypes as PyFlink infers them (int64
        BIGINT, float64 DOUBLE, object str STRING, bool BOOLEAN, datetime64[ns] TIMESTAMP(9)).
        NaN in float columns reads as NULL. ``splits_num`` cuts the frame into that many batches.
        Needs pandas and pyarrow."""
        from ._pandas import pandas_batches
        names, types, batches = pandas_batches(pdf, schema, splits_num)
        table = self._native.register_arrow(names, types, batches)
        return Table("SELECT * FROM %s" % _quote(table), self)

    def from_path(self, path: str) -> Table:
        return self.sql_query("SELECT * FROM %s" % ".".join(_quote(p) for p in path.split(".")))

    def create_temporary_view(self, view_path: str, table_or_data_stream: Any, *fields_or_schema: Any) -> None:
        if not isinstance(table_or_data_stream, Table):
            raise TypeError("create_temporary_view takes a Table here; DataStreams need a StreamTableEnvironment")
        self._native.create_view(view_path, table_or_data_stream._sql)

    def create_view(self, view_path: str, table: Table) -> None:
        self.create_temporary_view(view_path, table)

    def drop_temporary_view(self, view_path: str) -> bool:
        return self._native.drop_view(view_path)

    def drop_view(self, view_path: str) -> bool:
        return self.drop_temporary_view(view_path)

    def create_temporary_table(self, path: str, descriptor: Any) -> None:
        self.execute_sql(descriptor._to_ddl(path, temporary=True))

    def create_table(self, path: str, descriptor: Any) -> None:
        self.execute_sql(descriptor._to_ddl(path))

    def from_descriptor(self, descriptor: Any) -> Table:
        self._jobs += 1
        name = "_oxflow_descriptor_%d" % self._jobs
        self.create_temporary_table(name, descriptor)
        return self.from_path(name)

    def list_tables(self) -> List[str]:
        return self._native.list_tables()

    def list_views(self) -> List[str]:
        return self._native.list_views()

    def list_temporary_tables(self) -> List[str]:
        return self.list_tables()

    def list_temporary_views(self) -> List[str]:
        return self.list_views()

    def list_catalogs(self) -> List[str]:
        return ["default_catalog"]

    def list_databases(self) -> List[str]:
        return ["default_database"]

    def get_current_catalog(self) -> str:
        return "default_catalog"

    def get_current_database(self) -> str:
        return "default_database"

    # --- what Table needs -------------------------------------------------------------

    def _execute_query(self, sql: str) -> TableResult:
        self._register_inline(sql)
        return self._start_query(self._native.query(sql))

    def _column_names(self, sql: str) -> List[str]:
        self._register_inline(sql)
        return self._native.query(sql).names()

    def _resolved_schema(self, sql: str) -> ResolvedSchema:
        self._register_inline(sql)
        handle = self._native.query(sql)
        return ResolvedSchema(handle.names(), handle.types())

    def _to_pandas(self, sql: str) -> Any:
        from ._pandas import arrow_to_pandas, require_pandas
        require_pandas()
        self._register_inline(sql)
        handle = self._native.query(sql)
        self._before_execute()
        job = handle.start(self._job_name("collect"), self._config._parallelism())
        return arrow_to_pandas(job.collect_arrow(), handle.names(), handle.data_types(), self._config.get_local_timezone())


class StreamTableEnvironment(TableEnvironment):
    """A TableEnvironment tied to a StreamExecutionEnvironment (its parallelism and settings)."""

    def __init__(self, stream_execution_environment: Any = None, environment_settings: Optional[EnvironmentSettings] = None):
        super().__init__(environment_settings)
        self._stream_env = stream_execution_environment
        if stream_execution_environment is not None:
            parallelism = stream_execution_environment.get_parallelism()
            if parallelism and parallelism > 0 and self._config.get("parallelism.default") is None:
                self._config.set("parallelism.default", str(parallelism))

        self._feeds = []  # type: List[Any]  # sink transformations of from_data_stream tables
        self._feeding_jobs = []  # type: List[Any]

    @staticmethod
    def create(stream_execution_environment: Any = None, environment_settings: Optional[EnvironmentSettings] = None) -> "StreamTableEnvironment":
        if isinstance(stream_execution_environment, EnvironmentSettings):
            stream_execution_environment, environment_settings = None, stream_execution_environment
        return StreamTableEnvironment(stream_execution_environment, environment_settings)

    # --- DataStream <-> Table (see _datastream_bridge.py for the design) ----------------

    def from_data_stream(self, data_stream: Any, *fields_or_schema: Any) -> Table:
        """A Table of a DataStream's elements: a ROW's fields, a TUPLE's ``f0, f1, ...`` or an
        atomic type's ``f0``. ``fields_or_schema``: new column names (strings or ``col(...)``),
        or a ``Schema`` whose physical columns name them; in the Schema a metadata column
        ``column_by_metadata("rowtime", "TIMESTAMP_LTZ(3)")`` holds each element's timestamp,
        and ``watermark("rowtime", "SOURCE_WATERMARK()")`` makes it the table's rowtime
        attribute with the stream's watermarks. The stream runs in the same ``env.execute()``
        as the SQL reading it."""
        from ._datastream_bridge import feed_table
        from .schema import Schema
        names = None  # type: Optional[List[str]]
        rowtime = None  # type: Optional[Tuple[str, str]]
        source_watermark = False
        if len(fields_or_schema) == 1 and isinstance(fields_or_schema[0], Schema):
            rowtime, source_watermark = _stream_time_of_schema(fields_or_schema[0])
            names = [c["name"] for c in fields_or_schema[0]._columns if c["kind"] == "physical"] or None
        elif fields_or_schema:
            names = [f if isinstance(f, str) else f._to_sql().strip("`") for f in fields_or_schema]
        name, sink = feed_table(self, data_stream, names, rowtime, source_watermark)
        self._feeds.append(sink)
        return Table("SELECT * FROM %s" % _quote(name), self)

    def create_temporary_view(self, view_path: str, table_or_data_stream: Any, *fields_or_schema: Any) -> None:
        """A view of a Table, or of a DataStream (as ``from_data_stream`` makes it)."""
        if not isinstance(table_or_data_stream, Table):
            table_or_data_stream = self.from_data_stream(table_or_data_stream, *fields_or_schema)
        self._native.create_view(view_path, table_or_data_stream._sql)

    def to_data_stream(self, table: Table) -> Any:
        """A DataStream of an insert-only table's rows (``Row``, typed ``Types.ROW_NAMED``);
        the query runs when the DataStream job does."""
        from ._datastream_bridge import table_stream
        return table_stream(self, table, changelog=False)

    def to_changelog_stream(self, table: Table) -> Any:
        """A DataStream of a table's changes: ``Row`` objects with their ``RowKind``
        (``+I -U +U -D``)."""
        from ._datastream_bridge import table_stream
        return table_stream(self, table, changelog=True)

    def to_append_stream(self, table: Table, type_info: Any = None) -> Any:
        """The 1.x name of ``to_data_stream``."""
        return self.to_data_stream(table)

    def to_retract_stream(self, table: Table, type_info: Any = None) -> Any:
        """The 1.x name: ``(is_accumulate, row)`` pairs of the table's changes."""
        from ..common.typeinfo import Types
        from ..common.types import RowKind
        changes = self.to_changelog_stream(table)
        return changes.map(lambda r: (r.get_row_kind() in (RowKind.INSERT, RowKind.UPDATE_AFTER), r),
                           output_type=Types.TUPLE([Types.BOOLEAN(), changes.get_type()]))

    def _before_execute(self) -> None:
        # A fed table queried on its own: its DataStream job must run for the SQL job to end.
        env = self._stream_env
        if env is not None and any(s in env._transformations for s in self._feeds):
            self._feeding_jobs.append(env._start("Flink Streaming Job", inline=False))


class StatementSet(object):
    """Several INSERTs run as one job."""

    def __init__(self, t_env: TableEnvironment):
        self._t_env = t_env
        self._statements = []  # type: List[str]

    def add_insert_sql(self, stmt: str) -> "StatementSet":
        self._statements.append(stmt)
        return self

    def add_insert(self, target_path: Any, table: Table, overwrite: bool = False) -> "StatementSet":
        if not isinstance(target_path, str):
            self._t_env._jobs += 1
            name = "_oxflow_sink_%d" % self._t_env._jobs
            self._t_env.create_temporary_table(name, target_path)
            target_path = name
        verb = "INSERT OVERWRITE" if overwrite else "INSERT INTO"
        self._statements.append("%s %s %s" % (verb, ".".join(_quote(p) for p in target_path.split(".")), table._sql))
        return self

    def _script(self) -> str:
        return "EXECUTE STATEMENT SET BEGIN\n%s;\nEND" % ";\n".join(self._statements)

    def explain(self, *extra_details: Any) -> str:
        return self._t_env.explain_sql(self._script())

    def execute(self) -> TableResult:
        if not self._statements:
            from .exceptions import TableException
            raise TableException("No operators defined in the statement set.")
        return self._t_env.execute_sql(self._script())


def _stream_time_of_schema(schema: Any) -> Tuple[Optional[Tuple[str, str]], bool]:
    """What a ``from_data_stream`` Schema says of event time: the (name, type) of the metadata
    column of the elements' timestamps, and whether it is the rowtime attribute with the
    stream's watermarks (``SOURCE_WATERMARK()``)."""
    from .exceptions import TableException
    rowtime = None  # type: Optional[Tuple[str, str]]
    for c in schema._columns:
        if c["kind"] == "computed":
            raise TableException("from_data_stream: computed columns (%s) are not supported yet; declare physical columns, "
                                 "and a metadata column 'rowtime'" % c["name"])
        if c["kind"] == "metadata":
            key = c["key"] or c["name"]
            if key != "rowtime":
                raise TableException("from_data_stream: unknown metadata key '%s' of column '%s'; a DataStream has the "
                                     "metadata key 'rowtime' (TIMESTAMP_LTZ(3)) only" % (key, c["name"]))
            if not c["type"].replace(" NOT NULL", "").startswith(("TIMESTAMP_LTZ(", "TIMESTAMP(")):
                raise TableException("from_data_stream: the metadata column '%s' holds the elements' timestamps, it must be "
                                     "TIMESTAMP_LTZ(3), not %s" % (c["name"], c["type"]))
            rowtime = (c["name"], c["type"])
    source_watermark = False
    for column, expr in schema._watermarks:
        if rowtime is None or column != rowtime[0]:
            raise TableException("from_data_stream: the watermark is declared on '%s', which is not the metadata column "
                                 "of the elements' timestamps (column_by_metadata('rowtime', 'TIMESTAMP_LTZ(3)'))" % column)
        if expr.replace(" ", "").upper() != "SOURCE_WATERMARK()":
            raise TableException("from_data_stream: watermark '%s' on '%s': only SOURCE_WATERMARK() (the DataStream's own "
                                 "watermarks) is supported yet" % (expr, column))
        source_watermark = True
    return rowtime, source_watermark
