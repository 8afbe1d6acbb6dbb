"""pandas DataFrames to and from tables through Arrow (``from_pandas``, ``Table.to_pandas``), as
PyFlink converts them: a DataFrame becomes Arrow record batches handed to the engine through the
Arrow C data interface (no Python object per value), and a query's result comes back as Arrow
batches turned into a DataFrame by ``pyarrow.Table.to_pandas``."""

from typing import Any, List, Sequence, Tuple, Union

from .types import DataType, RowType

__all__ = ["require_pandas", "infer_type", "pandas_batches", "arrow_to_pandas"]


def require_pandas() -> Tuple[Any, Any]:
    """The pandas and pyarrow modules, or an ImportError saying what to install."""
    try:
        import pandas as pd
        import pyarrow as pa
    except ImportError as e:
        raise ImportError("Converting between tables and pandas needs pandas and pyarrow: "
                          "pip install pandas pyarrow (%s)" % e) from e
    return pd, pa


def infer_type(arrow_type: Any) -> str:
    """The Flink type PyFlink gives a column of this Arrow type (``from_arrow_type``)."""
    import pyarrow.types as t
    if t.is_boolean(arrow_type):
        return "BOOLEAN"
    for test, name in ((t.is_int8, "TINYINT"), (t.is_int16, "SMALLINT"), (t.is_int32, "INT"), (t.is_int64, "BIGINT"),
                       (t.is_float32, "FLOAT"), (t.is_float64, "DOUBLE"), (t.is_date32, "DATE")):
        if test(arrow_type):
            return name
    if t.is_decimal(arrow_type):
        return "DECIMAL(%d, %d)" % (arrow_type.precision, arrow_type.scale)
    # pandas 3 keeps text as large (or view) strings; PyFlink's pandas made plain strings.
    if t.is_string(arrow_type) or t.is_large_string(arrow_type) or getattr(t, "is_string_view", lambda _: False)(arrow_type):
        return "STRING"
    if t.is_fixed_size_binary(arrow_type):
        return "BINARY(%d)" % arrow_type.byte_width
    if t.is_binary(arrow_type) or t.is_large_binary(arrow_type):
        return "BYTES"
    if t.is_time32(arrow_type):
        return "TIME(0)" if arrow_type.unit == "s" else "TIME(3)"
    if t.is_time64(arrow_type):
        return "TIME(6)" if arrow_type.unit == "us" else "TIME(9)"
    if t.is_timestamp(arrow_type):
        precision = {"s": 0, "ms": 3, "us": 6}.get(arrow_type.unit, 9)
        # A zone-aware column is an instant: TIMESTAMP_LTZ (PyFlink fails on it).
        return ("TIMESTAMP_LTZ(%d)" if arrow_type.tz else "TIMESTAMP(%d)") % precision
    if t.is_list(arrow_type) or t.is_large_list(arrow_type):
        return "ARRAY<%s>" % infer_type(arrow_type.value_type)
    if t.is_map(arrow_type):
        return "MAP<%s, %s>" % (infer_type(arrow_type.key_type), infer_type(arrow_type.item_type))
    if t.is_struct(arrow_type):
        return "ROW<%s>" % ", ".join("`%s` %s" % (f.name, infer_type(f.type)) for f in arrow_type)
    if t.is_null(arrow_type):
        return "NULL"
    raise TypeError("from_pandas: no Flink type for Arrow type %s" % arrow_type)


def pandas_batches(pdf: Any, schema: Union[RowType, Sequence[str], Sequence[DataType], None],
                   splits_num: int) -> Tuple[List[str], List[str], List[Any]]:
    """Column names, Flink types and Arrow batches (``splits_num`` of them at most) of ``pdf``."""
    pd, pa = require_pandas()
    if not isinstance(pdf, pd.DataFrame):
        raise TypeError("Unsupported type, expected pandas.DataFrame, got %s" % type(pdf))
    if splits_num < 1:
        raise ValueError("from_pandas: splits_num must be at least 1, got %d" % splits_num)
    arrow_schema = pa.Schema.from_pandas(pdf, preserve_index=False)
    inferred = [infer_type(f.type) for f in arrow_schema]
    if schema is None:
        names, types = list(arrow_schema.names), inferred
    elif isinstance(schema, RowType):
        names, types = schema.field_names(), [str(f.data_type) for f in schema.fields]
    elif isinstance(schema, (list, tuple)) and schema and all(isinstance(s, str) for s in schema):
        names, types = list(schema), inferred
    elif isinstance(schema, (list, tuple)) and schema and all(isinstance(s, DataType) for s in schema):
        names, types = list(arrow_schema.names), [str(s) for s in schema]
    else:
        raise TypeError("Unsupported schema type, it could only be of RowType, a list of str or a list of DataType, got %s" % (schema,))
    if len(names) != len(arrow_schema) or len(types) != len(arrow_schema):
        raise ValueError("from_pandas: the DataFrame has %d columns (%s), the schema %d (%s)"
                         % (len(arrow_schema), ", ".join(map(str, arrow_schema.names)), len(names), ", ".join(names)))
    step = -(-len(pdf) // splits_num) or 1
    batches = [pa.RecordBatch.from_pandas(pdf.iloc[start:start + step], schema=arrow_schema, preserve_index=False)
               for start in range(0, len(pdf), step)]
    return names, types, batches


def arrow_to_pandas(batches: List[Any], names: List[str], types: List[str], local_timezone: str) -> Any:
    """The DataFrame of a query's final rows, with PyFlink's column types: no rows give an empty
    frame of object columns, as PyFlink's does."""
    pd, pa = require_pandas()
    if not batches:
        return pd.DataFrame.from_records([], columns=names)
    table = pa.Table.from_batches(batches).rename_columns(names)
    pdf = table.to_pandas()
    for name, ty in zip(names, types):
        if ty.startswith("TIMESTAMP_LTZ") or ty.startswith("TIMESTAMP WITH LOCAL TIME ZONE"):
            # PyFlink shows an instant in the session's time zone.
            pdf[name] = pdf[name].dt.tz_convert(local_timezone)
    return pdf
