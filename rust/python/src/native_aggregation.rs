//! Built-in field aggregations (`sum`, `min`, `max`, `min_by`, `max_by`) computed in Rust on
//! Python tuples, lists and numbers, without running Python code per element. Semantics are
//! Flink's: sum/min/max update one field of the key's first element; min_by/max_by keep the
//! whole element (the first one among equals). `count` (an oxflow extension) counts a window's
//! elements.

use oxflow_core::error::BoxError;
use oxflow_core::function::{AggregateFn, Lifecycle, ReduceFn, WindowContext, WindowFn};
use pyo3::exceptions::PyTypeError;
use pyo3::prelude::*;
use pyo3::types::{PyFloat, PyInt, PyList, PyTuple};

use crate::data_model::PyData;
use crate::type_check::describe;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Aggregation {
    Sum,
    Min,
    Max,
    MinBy,
    MaxBy,
}

impl Aggregation {
    pub fn parse(name: &str) -> Option<Aggregation> {
        Some(match name {
            "sum" => Aggregation::Sum,
            "min" => Aggregation::Min,
            "max" => Aggregation::Max,
            "min_by" => Aggregation::MinBy,
            "max_by" => Aggregation::MaxBy,
            _ => return None,
        })
    }
}

pub struct NativeAggregation {
    pub aggregation: Aggregation,
    pub field: usize,
    pub operator: String,
}

impl Lifecycle for NativeAggregation {}

fn error(e: PyErr) -> BoxError {
    Box::new(e)
}

impl NativeAggregation {
    /// The aggregated field of `value` (a number itself, or a tuple/list field).
    fn field<'py>(&self, value: &Bound<'py, PyAny>) -> Result<Bound<'py, PyAny>, BoxError> {
        if let Ok(t) = value.cast_exact::<PyTuple>() {
            return t.get_item(self.field).map_err(|_| self.bad(value));
        }
        if let Ok(l) = value.cast::<PyList>() {
            return l.get_item(self.field).map_err(|_| self.bad(value));
        }
        if self.field == 0 && (value.is_instance_of::<PyInt>() || value.is_instance_of::<PyFloat>()) {
            return Ok(value.clone());
        }
        value.get_item(self.field).map_err(|_| self.bad(value))
    }

    fn bad(&self, value: &Bound<'_, PyAny>) -> BoxError {
        Box::new(PyTypeError::new_err(format!(
            "operator '{}' aggregates field {} but got {}",
            self.operator,
            self.field,
            describe(value)
        )))
    }

    /// `value` with its aggregated field replaced by `field`.
    fn with_field<'py>(&self, value: &Bound<'py, PyAny>, field: Bound<'py, PyAny>) -> Result<Bound<'py, PyAny>, BoxError> {
        let py = value.py();
        if let Ok(t) = value.cast_exact::<PyTuple>() {
            let items: Vec<Bound<'py, PyAny>> =
                t.iter().enumerate().map(|(i, item)| if i == self.field { field.clone() } else { item }).collect();
            return Ok(PyTuple::new(py, items).map_err(error)?.into_any());
        }
        if let Ok(l) = value.cast::<PyList>() {
            let copy = PyList::new(py, l.iter()).map_err(error)?;
            copy.set_item(self.field, field).map_err(error)?;
            return Ok(copy.into_any());
        }
        if self.field == 0 && (value.is_instance_of::<PyInt>() || value.is_instance_of::<PyFloat>()) {
            return Ok(field);
        }
        // Rows and other sequences: rebuild through Python's own copy and item assignment.
        let copy = py.import("copy").map_err(error)?.call_method1("copy", (value,)).map_err(error)?;
        copy.set_item(self.field, field).map_err(error)?;
        Ok(copy)
    }
}

/// `a + b`, in Rust when both are ints that fit i64 or floats.
fn add<'py>(a: &Bound<'py, PyAny>, b: &Bound<'py, PyAny>) -> PyResult<Bound<'py, PyAny>> {
    let py = a.py();
    if a.is_exact_instance_of::<PyInt>() && b.is_exact_instance_of::<PyInt>() {
        if let (Ok(x), Ok(y)) = (a.extract::<i64>(), b.extract::<i64>()) {
            if let Some(sum) = x.checked_add(y) {
                return Ok(sum.into_pyobject(py)?.into_any());
            }
        }
    }
    if a.is_exact_instance_of::<PyFloat>() && b.is_exact_instance_of::<PyFloat>() {
        let sum = a.extract::<f64>()? + b.extract::<f64>()?;
        return Ok(PyFloat::new(py, sum).into_any());
    }
    a.add(b)
}

impl ReduceFn<PyData> for NativeAggregation {
    fn reduce(&mut self, accumulated: &Py<PyAny>, value: Py<PyAny>) -> Result<Py<PyAny>, BoxError> {
        let py = unsafe { Python::assume_attached() };
        let acc = accumulated.bind(py);
        let v = value.bind(py);
        let (a, b) = (self.field(acc)?, self.field(v)?);
        let out = match self.aggregation {
            Aggregation::Sum => self.with_field(acc, add(&a, &b).map_err(error)?)?,
            Aggregation::Min | Aggregation::Max => {
                let better = if self.aggregation == Aggregation::Min { b.lt(&a) } else { b.gt(&a) }.map_err(error)?;
                if better {
                    self.with_field(acc, b)?
                } else {
                    acc.clone()
                }
            }
            Aggregation::MinBy | Aggregation::MaxBy => {
                let better = if self.aggregation == Aggregation::MinBy { b.lt(&a) } else { b.gt(&a) }.map_err(error)?;
                if better {
                    v.clone()
                } else {
                    acc.clone()
                }
            }
        };
        Ok(out.unbind())
    }
}

/// `count()`: the number of elements, as a Python int accumulator (an AggregateFn, so merging
/// windows add their counts).
pub struct NativeCount;

impl Lifecycle for NativeCount {}

fn count_of(acc: &Bound<'_, PyAny>) -> Result<i64, BoxError> {
    acc.extract::<i64>().map_err(error)
}

fn int(py: Python<'_>, n: i64) -> Result<Py<PyAny>, BoxError> {
    Ok(n.into_pyobject(py).map_err(|e| error(e.into()))?.into_any().unbind())
}

impl AggregateFn<PyData> for NativeCount {
    fn create_accumulator(&mut self) -> Result<Py<PyAny>, BoxError> {
        int(unsafe { Python::assume_attached() }, 0)
    }

    fn add(&mut self, _value: Py<PyAny>, accumulator: Py<PyAny>) -> Result<Py<PyAny>, BoxError> {
        let py = unsafe { Python::assume_attached() };
        int(py, count_of(accumulator.bind(py))? + 1)
    }

    fn get_result(&mut self, accumulator: &Py<PyAny>) -> Result<Py<PyAny>, BoxError> {
        Ok(accumulator.clone_ref(unsafe { Python::assume_attached() }))
    }

    fn merge(&mut self, a: Py<PyAny>, b: Py<PyAny>) -> Result<Py<PyAny>, BoxError> {
        let py = unsafe { Python::assume_attached() };
        int(py, count_of(a.bind(py))? + count_of(b.bind(py))?)
    }
}

/// The window function of a keyed `count()`: emits `(key, count)`.
pub struct WithKey;

impl Lifecycle for WithKey {}

impl WindowFn<PyData> for WithKey {
    fn process(&mut self, ctx: &mut WindowContext<'_, PyData>, elements: Vec<Py<PyAny>>, emit: &mut dyn FnMut(Py<PyAny>)) -> Result<(), BoxError> {
        let py = unsafe { Python::assume_attached() };
        for result in elements {
            emit(PyTuple::new(py, [ctx.key.clone_ref(py), result]).map_err(error)?.into_any().unbind());
        }
        Ok(())
    }
}
