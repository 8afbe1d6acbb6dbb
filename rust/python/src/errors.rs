//! Job failures as Python exceptions: a user's exception is re-raised as itself (type, message,
//! traceback) with notes naming the operator; engine failures raise `JobExecutionError`.

use oxflow_core::error::JobError;
use pyo3::exceptions::{PyKeyboardInterrupt, PyRuntimeError};
use pyo3::prelude::*;
use pyo3::types::PyList;

pyo3::create_exception!(
    _native,
    JobExecutionError,
    PyRuntimeError,
    "A job failed for a reason other than an exception raised by user code."
);

/// Attaches a note to an exception (PEP 678; `__notes__` set by hand before Python 3.11).
pub fn add_note(py: Python<'_>, err: &PyErr, note: &str) {
    let value = err.value(py);
    if value.call_method1("add_note", (note,)).is_ok() {
        return;
    }
    let notes = match value.getattr("__notes__") {
        Ok(n) => n,
        Err(_) => {
            let fresh = PyList::empty(py).into_any();
            let _ = value.setattr("__notes__", &fresh);
            fresh
        }
    };
    let _ = notes.call_method1("append", (note,));
}

/// The Python exception a `BoxError` carries, as itself; other errors as `fallback(message)`.
pub fn unboxed(e: oxflow_core::error::BoxError, fallback: fn(String) -> PyErr) -> PyErr {
    match python_error(e) {
        Ok(err) => *err,
        Err(other) => fallback(other.to_string()),
    }
}

/// The Python exception for a failed job.
pub fn to_py_err(py: Python<'_>, job_name: &str, error: JobError) -> PyErr {
    match error {
        JobError::Operator { operator, subtask, parallelism, source } => {
            let where_ = format!(
                "oxflow: raised in operator '{operator}' (subtask {} of {parallelism}) of job '{job_name}'",
                subtask + 1
            );
            match python_error(source) {
                Ok(err) => {
                    add_note(py, &err, &where_);
                    *err
                }
                Err(other) => JobExecutionError::new_err(format!("{where_}: {other}")),
            }
        }
        JobError::Cancelled => PyKeyboardInterrupt::new_err(format!("job '{job_name}' was cancelled")),
        other => JobExecutionError::new_err(format!("job '{job_name}' failed: {other}")),
    }
}

/// The Python exception in `e`, also where DataFusion wrapped it (a Python aggregate's
/// exception comes back from DataFusion's accumulator calls as `DataFusionError::External`).
fn python_error(e: oxflow_core::error::BoxError) -> Result<Box<PyErr>, oxflow_core::error::BoxError> {
    use datafusion_common::DataFusionError;
    let e = match e.downcast::<PyErr>() {
        Ok(err) => return Ok(err),
        Err(other) => other,
    };
    match e.downcast::<DataFusionError>() {
        Ok(df) => match *df {
            DataFusionError::External(inner) => python_error(inner),
            DataFusionError::Context(_, inner) => python_error(inner),
            other => Err(Box::new(other)),
        },
        Err(other) => Err(other),
    }
}
