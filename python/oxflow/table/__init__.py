"""The Table API and SQL, mirroring ``pyflink.table``."""

from ..common.types import Row, RowKind
from .environment_settings import EnvironmentSettings
from .exceptions import SqlParserException, TableException, ValidationException
from .expression import Expression
from .result_kind import ResultKind
from .table import GroupedTable, GroupWindowedTable, OverWindowedTable, Table, WindowGroupedTable
from .table_config import TableConfig
from .table_environment import ExplainDetail, StatementSet, StreamTableEnvironment, TableEnvironment
from .table_result import TableResult
from .table_schema import ResolvedSchema, TableSchema
from .types import DataType, DataTypes, FormatDescriptor, Schema, TableDescriptor
from .udf import AggregateFunction, FunctionContext, ScalarFunction, TableFunction, udaf, udf, udtf

__all__ = [
    "AggregateFunction", "DataType", "DataTypes", "FunctionContext", "ScalarFunction", "TableFunction", "udaf", "udf", "udtf", "EnvironmentSettings", "ExplainDetail", "Expression", "FormatDescriptor",
    "GroupedTable", "GroupWindowedTable", "OverWindowedTable", "ResolvedSchema", "ResultKind", "Row",
    "RowKind", "Schema", "SqlParserException", "StatementSet", "StreamTableEnvironment", "Table",
    "TableConfig", "TableDescriptor", "TableEnvironment", "TableException", "TableResult",
    "TableSchema", "ValidationException", "WindowGroupedTable",
]
