//! Python objects as the runtime's values and keys.

use oxflow_core::data::DataModel;
use pyo3::ffi;
use pyo3::prelude::*;

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
}
