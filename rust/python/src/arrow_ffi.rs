//! Arrow arrays to and from pyarrow through the Arrow C data interface: the buffers are shared,
//! not converted value by value (pandas UDFs get whole columns this way).

use arrow::array::{make_array, ArrayRef};
use arrow::datatypes::DataType;
use arrow::ffi::{from_ffi, to_ffi, FFI_ArrowArray, FFI_ArrowSchema};
use pyo3::exceptions::{PyImportError, PyValueError};
use pyo3::prelude::*;

/// The `pyarrow` module, or an ImportError saying what needs it.
pub fn pyarrow<'py>(py: Python<'py>, what: &str) -> PyResult<Bound<'py, PyModule>> {
    py.import("pyarrow").map_err(|e| {
        PyImportError::new_err(format!("{what} needs pyarrow (and pandas): pip install pyarrow pandas ({e})"))
    })
}

/// `array` as a `pyarrow.Array` sharing its buffers.
pub fn to_pyarrow<'py>(pa: &Bound<'py, PyModule>, array: &ArrayRef) -> PyResult<Bound<'py, PyAny>> {
    let (ffi_array, ffi_schema) = to_ffi(&array.to_data()).map_err(|e| PyValueError::new_err(e.to_string()))?;
    let ffi_array = Box::new(ffi_array);
    let ffi_schema = Box::new(ffi_schema);
    // pyarrow moves both structs out (it takes over their release callbacks); dropping the
    // emptied boxes afterwards releases nothing.
    pa.getattr("Array")?.call_method1(
        "_import_from_c",
        (&*ffi_array as *const FFI_ArrowArray as usize, &*ffi_schema as *const FFI_ArrowSchema as usize),
    )
}

/// `data_type` as a `pyarrow.DataType`.
pub fn pyarrow_type<'py>(pa: &Bound<'py, PyModule>, data_type: &DataType) -> PyResult<Bound<'py, PyAny>> {
    let schema = Box::new(FFI_ArrowSchema::try_from(data_type).map_err(|e| PyValueError::new_err(e.to_string()))?);
    pa.getattr("DataType")?.call_method1("_import_from_c", (&*schema as *const FFI_ArrowSchema as usize,))
}

/// A `pyarrow.Array` as an Arrow array sharing its buffers.
pub fn from_pyarrow(array: &Bound<'_, PyAny>) -> PyResult<ArrayRef> {
    let mut ffi_array = Box::new(FFI_ArrowArray::empty());
    let mut ffi_schema = Box::new(FFI_ArrowSchema::empty());
    array.call_method1(
        "_export_to_c",
        (&mut *ffi_array as *mut FFI_ArrowArray as usize, &mut *ffi_schema as *mut FFI_ArrowSchema as usize),
    )?;
    // Safety: pyarrow has just filled both structs with a valid array and its schema.
    let data = unsafe { from_ffi(*ffi_array, &ffi_schema) }.map_err(|e| PyValueError::new_err(e.to_string()))?;
    Ok(make_array(data))
}
