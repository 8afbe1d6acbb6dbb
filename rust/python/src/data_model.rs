//! Python objects as the runtime's values and keys.

use oxflow_core::data::DataModel;
use oxflow_core::error::BoxError;
use pyo3::ffi;
use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::PyBytes;

/// The data model of DataStream jobs built from Python: every value and key is a Python object.
pub struct PyData;

impl DataModel for PyData {
    type Value = Py<PyAny>;
    type Key = Py<PyAny>;

    fn key_eq(a: &Py<PyAny>, b: &Py<PyAny>) -> bool {
        if a.is(b) {
            return true;
        }
        // SAFETY: the runtime compares keys only inside `scoped`, i.e. while this thread is
        // attached to the interpreter. `PyObject_RichCompareBool` needs no result object.
        let (a, b) = (a.as_ptr(), b.as_ptr());
        unsafe {
            // Most keys are strings: compare them without the rich-comparison machinery.
            if ffi::PyUnicode_CheckExact(a) != 0 && ffi::PyUnicode_CheckExact(b) != 0 {
                return ffi::PyUnicode_Compare(a, b) == 0;
            }
        }
        let equal = unsafe { ffi::PyObject_RichCompareBool(a, b, ffi::Py_EQ) };
        if equal < 0 {
            // An `__eq__` that raises counts as "not equal": the key gets its own state entry.
            let py = unsafe { Python::assume_attached() };
            drop(PyErr::take(py));
        }
        equal == 1
    }

    fn duplicate(value: &Py<PyAny>) -> Py<PyAny> {
        // SAFETY: the runtime duplicates values only inside `scoped` (see `DataModel`). Avoiding
        // `Python::attach` here saves a lock of PyO3's reference pool per record.
        value.clone_ref(unsafe { Python::assume_attached() })
    }

    fn duplicate_key(key: &Py<PyAny>) -> Py<PyAny> {
        key.clone_ref(unsafe { Python::assume_attached() })
    }

    fn scoped<R>(f: impl FnOnce() -> R) -> R {
        Python::attach(|_| f())
    }

    // Snapshots pickle values and keys (Python's own serialisation, what PyFlink's
    // PICKLED_BYTE_ARRAY uses too); restored keys are hashed again in this process.

    fn encode_value(value: &Py<PyAny>, out: &mut Vec<u8>) -> Result<(), BoxError> {
        pickle(value, out)
    }

    fn decode_value(bytes: &[u8]) -> Result<Py<PyAny>, BoxError> {
        unpickle(bytes)
    }

    fn encode_key(key: &Py<PyAny>, out: &mut Vec<u8>) -> Result<(), BoxError> {
        pickle(key, out)
    }

    fn decode_key(bytes: &[u8]) -> Result<Py<PyAny>, BoxError> {
        unpickle(bytes)
    }

    fn hash_key(key: &Py<PyAny>) -> Result<u64, BoxError> {
        let py = unsafe { Python::assume_attached() };
        key.bind(py).hash().map(|h| h as u64).map_err(|e| Box::new(e) as BoxError)
    }
}

static PICKLE: PyOnceLock<(Py<PyAny>, Py<PyAny>)> = PyOnceLock::new();

fn pickle_functions(py: Python<'_>) -> PyResult<&(Py<PyAny>, Py<PyAny>)> {
    PICKLE.get_or_try_init(py, || {
        let pickle = py.import("pickle")?;
        Ok((pickle.getattr("dumps")?.unbind(), pickle.getattr("loads")?.unbind()))
    })
}

fn pickle(value: &Py<PyAny>, out: &mut Vec<u8>) -> Result<(), BoxError> {
    // SAFETY: snapshots run inside `scoped` (attached to the interpreter).
    let py = unsafe { Python::assume_attached() };
    let (dumps, _) = pickle_functions(py).map_err(|e| Box::new(e) as BoxError)?;
    let bytes = dumps.bind(py).call1((value.bind(py), 5)).map_err(|e| -> BoxError {
        let value = value.bind(py).repr().map(|r| r.to_string()).unwrap_or_else(|_| "<unprintable>".into());
        Box::new(pyo3::exceptions::PyTypeError::new_err(format!("cannot pickle {value}: {e}")))
    })?;
    let bytes = bytes.cast::<PyBytes>().map_err(|e| Box::new(PyErr::from(e)) as BoxError)?;
    out.extend_from_slice(bytes.as_bytes());
    Ok(())
}

/// `pickle.loads(bytes)`.
pub fn unpickle_bytes<'py>(py: Python<'py>, bytes: &[u8]) -> PyResult<Bound<'py, PyAny>> {
    let (_, loads) = pickle_functions(py)?;
    loads.bind(py).call1((PyBytes::new(py, bytes),))
}

fn unpickle(bytes: &[u8]) -> Result<Py<PyAny>, BoxError> {
    let py = unsafe { Python::assume_attached() };
    let (_, loads) = pickle_functions(py).map_err(|e| Box::new(e) as BoxError)?;
    loads.bind(py).call1((PyBytes::new(py, bytes),)).map(|v| v.unbind()).map_err(|e| Box::new(e) as BoxError)
}
