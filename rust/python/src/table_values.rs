//! Arrow values to Python objects (collected table rows) and Python rows to Arrow batches
//! (`from_elements`), as PyFlink converts them: DECIMAL is `decimal.Decimal`, TIMESTAMP a naive
//! `datetime.datetime`, DATE `datetime.date`, TIME `datetime.time`.

use std::sync::Arc;

use arrow::array::{
    Array, ArrayRef, AsArray, BooleanBuilder, Date32Builder, Decimal128Builder, Float32Builder, Float64Builder, Int16Builder,
    Int32Builder, Int64Builder, Int8Builder, RecordBatch, StringBuilder, TimestampMillisecondBuilder, BinaryBuilder,
};
use arrow::datatypes::{
    DataType, Date32Type, Decimal128Type, Float32Type, Float64Type, Int16Type, Int32Type, Int64Type, Int8Type, Schema, TimeUnit,
    TimestampMillisecondType, TimestampMicrosecondType, TimestampNanosecondType, TimestampSecondType,
};
use oxflow_sql::types::{SqlType, Typed};
use pyo3::exceptions::{PyTypeError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::{PyList, PyTuple};

/// Python modules the conversions need, imported once per call site.
struct Modules<'py> {
    decimal: Bound<'py, PyAny>,
    datetime: Bound<'py, PyAny>,
}

impl<'py> Modules<'py> {
    fn new(py: Python<'py>) -> PyResult<Self> {
        Ok(Modules { decimal: py.import("decimal")?.getattr("Decimal")?, datetime: py.import("datetime")?.into_any() })
    }
}

fn timestamp_ms(a: &ArrayRef, row: usize) -> Option<(i64, u32)> {
    let DataType::Timestamp(unit, _) = a.data_type() else { return None };
    let nanos: i128 = match unit {
        TimeUnit::Second => a.as_primitive::<TimestampSecondType>().value(row) as i128 * 1_000_000_000,
        TimeUnit::Millisecond => a.as_primitive::<TimestampMillisecondType>().value(row) as i128 * 1_000_000,
        TimeUnit::Microsecond => a.as_primitive::<TimestampMicrosecondType>().value(row) as i128 * 1000,
        TimeUnit::Nanosecond => a.as_primitive::<TimestampNanosecondType>().value(row) as i128,
    };
    Some((nanos.div_euclid(1_000_000_000) as i64, (nanos.rem_euclid(1_000_000_000) / 1000) as u32))
}

fn value<'py>(py: Python<'py>, m: &Modules<'py>, a: &ArrayRef, row: usize) -> PyResult<Bound<'py, PyAny>> {
    if a.is_null(row) {
        return Ok(py.None().into_bound(py));
    }
    Ok(match a.data_type() {
        DataType::Boolean => a.as_boolean().value(row).into_pyobject(py)?.to_owned().into_any(),
        DataType::Int8 => a.as_primitive::<Int8Type>().value(row).into_pyobject(py)?.into_any(),
        DataType::Int16 => a.as_primitive::<Int16Type>().value(row).into_pyobject(py)?.into_any(),
        DataType::Int32 => a.as_primitive::<Int32Type>().value(row).into_pyobject(py)?.into_any(),
        DataType::Int64 => a.as_primitive::<Int64Type>().value(row).into_pyobject(py)?.into_any(),
        DataType::Float32 => {
            // PyFlink gives a FLOAT back as the shortest decimal of the 32-bit value.
            let text = oxflow_sql::format::java_float(a.as_primitive::<Float32Type>().value(row));
            text.parse::<f64>().unwrap_or_default().into_pyobject(py)?.into_any()
        }
        DataType::Float64 => a.as_primitive::<Float64Type>().value(row).into_pyobject(py)?.into_any(),
        DataType::Decimal128(_, s) => {
            let text = oxflow_sql::format::decimal_string(a.as_primitive::<Decimal128Type>().value(row), *s);
            m.decimal.call1((text,))?
        }
        DataType::Utf8 => a.as_string::<i32>().value(row).into_pyobject(py)?.into_any(),
        DataType::Binary => pyo3::types::PyBytes::new(py, a.as_binary::<i32>().value(row)).into_any(),
        DataType::Date32 => {
            let days = a.as_primitive::<Date32Type>().value(row);
            let epoch = m.datetime.getattr("date")?.call1((1970, 1, 1))?;
            let delta = m.datetime.getattr("timedelta")?.call1((days,))?;
            epoch.call_method1("__add__", (delta,))?
        }
        DataType::Timestamp(..) => {
            let (secs, micros) = timestamp_ms(a, row).unwrap_or_default();
            let dt = chrono::DateTime::from_timestamp(secs, micros * 1000).unwrap_or_default().naive_utc();
            use chrono::{Datelike, Timelike};
            m.datetime.getattr("datetime")?.call1((dt.year(), dt.month(), dt.day(), dt.hour(), dt.minute(), dt.second(), micros))?
        }
        DataType::Time32(_) | DataType::Time64(_) => {
            let nanos = arrow::compute::cast(&a.slice(row, 1), &DataType::Time64(TimeUnit::Nanosecond))
                .map_err(|e| PyValueError::new_err(e.to_string()))?
                .as_primitive::<arrow::datatypes::Time64NanosecondType>()
                .value(0);
            let secs = nanos / 1_000_000_000;
            m.datetime.getattr("time")?.call1((secs / 3600, secs / 60 % 60, secs % 60, (nanos % 1_000_000_000) / 1000))?
        }
        DataType::List(_) => {
            let items = a.as_list::<i32>().value(row);
            let out = PyList::empty(py);
            for i in 0..items.len() {
                out.append(value(py, m, &items, i)?)?;
            }
            out.into_any()
        }
        DataType::Map(..) => {
            let entries = a.as_map().value(row);
            let d = pyo3::types::PyDict::new(py);
            for i in 0..entries.len() {
                d.set_item(value(py, m, entries.column(0), i)?, value(py, m, entries.column(1), i)?)?;
            }
            d.into_any()
        }
        DataType::Struct(_) => {
            let s = a.as_struct();
            let values = s.columns().iter().map(|c| value(py, m, c, row)).collect::<PyResult<Vec<_>>>()?;
            PyTuple::new(py, values)?.into_any()
        }
        other => return Err(PyTypeError::new_err(format!("cannot convert values of Arrow type {other} to Python"))),
    })
}

/// Each row of `batch` as a tuple of Python values.
pub fn rows<'py>(py: Python<'py>, batch: &RecordBatch) -> PyResult<Vec<Bound<'py, PyTuple>>> {
    let m = Modules::new(py)?;
    (0..batch.num_rows())
        .map(|row| {
            let values = batch.columns().iter().map(|c| value(py, &m, c, row)).collect::<PyResult<Vec<_>>>()?;
            PyTuple::new(py, values)
        })
        .collect()
}

fn err_at(row: usize, column: &str, ty: &Typed, v: &Bound<'_, PyAny>, why: impl std::fmt::Display) -> PyErr {
    let repr = v.repr().map(|r| r.to_string()).unwrap_or_default();
    PyTypeError::new_err(format!("row {row}, field '{column}' ({ty}): cannot use {repr}: {why}"))
}

/// The Python values of `arrays`, row by row (the arguments of a UDF call per row).
pub fn columns_to_python<'py>(py: Python<'py>, arrays: &[ArrayRef], rows: usize) -> PyResult<Vec<Vec<Bound<'py, PyAny>>>> {
    let m = Modules::new(py)?;
    (0..rows).map(|row| arrays.iter().map(|a| value(py, &m, a, row)).collect()).collect()
}

/// A column of type `ty` from Python values (a UDF's results), errors naming `what` and the row.
pub fn column_of(what: &str, ty: &Typed, values: &[Bound<'_, PyAny>]) -> PyResult<ArrayRef> {
    build_column(what, ty, values.len(), |row| Ok(values[row].clone()))
}

/// Python rows (tuples, lists or Rows) as one batch of columns `columns`.
pub fn batch_of_rows(columns: &[(String, Typed)], rows: &Bound<'_, PyAny>) -> PyResult<RecordBatch> {
    let rows: Vec<Bound<'_, PyAny>> = rows.try_iter()?.collect::<PyResult<_>>()?;
    let mut arrays: Vec<ArrayRef> = Vec::with_capacity(columns.len());
    for (c, (name, ty)) in columns.iter().enumerate() {
        let cell = |row: usize| -> PyResult<Bound<'_, PyAny>> {
            let r = &rows[row];
            let len = r.len().map_err(|_| PyTypeError::new_err(format!("row {row} is not a sequence: {}", r.repr().map(|x| x.to_string()).unwrap_or_default())))?;
            if len != columns.len() {
                return Err(PyValueError::new_err(format!("row {row} has {len} fields, the schema {}", columns.len())));
            }
            r.get_item(c)
        };
        arrays.push(build_column(name, ty, rows.len(), cell)?);
    }
    let schema = Arc::new(Schema::new(
        columns.iter().map(|(n, t)| arrow::datatypes::Field::new(n, t.ty.to_arrow(), true)).collect::<Vec<_>>(),
    ));
    let options = arrow::array::RecordBatchOptions::new().with_row_count(Some(rows.len()));
    RecordBatch::try_new_with_options(schema, arrays, &options).map_err(|e| PyValueError::new_err(e.to_string()))
}

/// `n` Python values (`cell(row)`) as an Arrow column of type `ty`.
fn build_column<'py>(name: &str, ty: &Typed, n: usize, cell: impl Fn(usize) -> PyResult<Bound<'py, PyAny>>) -> PyResult<ArrayRef> {
    macro_rules! build {
        ($builder:expr, $extract:ty) => {{
            let mut b = $builder;
            for row in 0..n {
                let v = cell(row)?;
                if v.is_none() {
                    if !ty.nullable {
                        return Err(err_at(row, name, ty, &v, "the field is NOT NULL"));
                    }
                    b.append_null();
                } else {
                    b.append_value(v.extract::<$extract>().map_err(|e| err_at(row, name, ty, &v, e))?);
                }
            }
            Arc::new(b.finish()) as ArrayRef
        }};
    }
    let array = match &ty.ty {
        SqlType::TinyInt => build!(Int8Builder::new(), i8),
        SqlType::SmallInt => build!(Int16Builder::new(), i16),
        SqlType::Int => build!(Int32Builder::new(), i32),
        SqlType::BigInt => build!(Int64Builder::new(), i64),
        SqlType::Float => build!(Float32Builder::new(), f32),
        SqlType::Double => build!(Float64Builder::new(), f64),
        SqlType::Boolean => build!(BooleanBuilder::new(), bool),
        SqlType::Varchar(_) | SqlType::Char(_) => build!(StringBuilder::new(), String),
        SqlType::Varbinary(_) | SqlType::Binary(_) => build!(BinaryBuilder::new(), Vec<u8>),
        SqlType::Decimal(p, s) => {
            let mut b = Decimal128Builder::new();
            for row in 0..n {
                let v = cell(row)?;
                if v.is_none() {
                    b.append_null();
                    continue;
                }
                let text = v.str()?.to_string();
                let scaled = oxflow_sql::format::parse_decimal(&text, *s).ok_or_else(|| err_at(row, name, ty, &v, "not a decimal number"))?;
                b.append_value(scaled);
            }
            Arc::new(b.finish().with_precision_and_scale(*p, *s).map_err(|e| PyValueError::new_err(e.to_string()))?)
        }
        SqlType::Timestamp(_) | SqlType::TimestampLtz(_) => {
            let mut b = TimestampMillisecondBuilder::new();
            let mut epoch: Option<UtcEpoch<'py>> = None;
            for row in 0..n {
                let v = cell(row)?;
                if v.is_none() {
                    b.append_null();
                    continue;
                }
                let e = match &epoch {
                    Some(e) => e,
                    None => epoch.insert(UtcEpoch::new(v.py())?),
                };
                let ms = e.millis(&v).map_err(|err| err_at(row, name, ty, &v, err))?;
                b.append_value(ms);
            }
            let a = b.finish();
            if matches!(ty.ty, SqlType::TimestampLtz(_)) {
                Arc::new(a.with_timezone("UTC"))
            } else {
                Arc::new(a)
            }
        }
        SqlType::Date => {
            let mut b = Date32Builder::new();
            for row in 0..n {
                let v = cell(row)?;
                if v.is_none() {
                    b.append_null();
                    continue;
                }
                let ordinal: i64 = v.call_method0("toordinal").map_err(|e| err_at(row, name, ty, &v, e))?.extract()?;
                b.append_value((ordinal - 719_163) as i32);
            }
            Arc::new(b.finish())
        }
        other => return Err(PyTypeError::new_err(format!("cannot make a column of type {other} from Python values yet (field '{name}')"))),
    };
    Ok(array)
}

/// UTC and the epoch as Python objects, made once per column.
struct UtcEpoch<'py> {
    utc: Bound<'py, PyAny>,
    epoch: Bound<'py, PyAny>,
}

impl<'py> UtcEpoch<'py> {
    fn new(py: Python<'py>) -> PyResult<Self> {
        let datetime = py.import("datetime")?;
        let utc = datetime.getattr("timezone")?.getattr("utc")?;
        let epoch = datetime.getattr("datetime")?.call1((1970, 1, 1, 0, 0, 0, 0, &utc))?;
        Ok(UtcEpoch { utc, epoch })
    }

    /// Milliseconds since the epoch of a naive `datetime` read as UTC wall time (as Flink reads
    /// a LocalDateTime), or of an aware one at its instant.
    fn millis(&self, v: &Bound<'py, PyAny>) -> PyResult<i64> {
        let aware = if v.getattr("tzinfo")?.is_none() {
            let kwargs = pyo3::types::PyDict::new(v.py());
            kwargs.set_item("tzinfo", &self.utc)?;
            v.call_method("replace", (), Some(&kwargs))?
        } else {
            v.clone()
        };
        let delta = aware.call_method1("__sub__", (&self.epoch,))?;
        let days: i64 = delta.getattr("days")?.extract()?;
        let seconds: i64 = delta.getattr("seconds")?.extract()?;
        let micros: i64 = delta.getattr("microseconds")?.extract()?;
        Ok(days * 86_400_000 + seconds * 1000 + micros / 1000)
    }
}
