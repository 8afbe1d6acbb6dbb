//! Arrow record batches between pyarrow and Rust through the Arrow C data interface: the
//! buffers are handed over, not copied, and no Python object is made per value.


use arrow::array::{Array, RecordBatch, StructArray};
use arrow::ffi::{from_ffi, to_ffi, FFI_ArrowArray, FFI_ArrowSchema};
use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;

/// A `pyarrow.RecordBatch` (or any object `pyarrow.record_batch` accepts through the Arrow
/// PyCapsule interface) as a Rust batch.
pub fn from_pyarrow(batch: &Bound<'_, PyAny>) -> PyResult<RecordBatch> {
    let pa = batch.py().import("pyarrow")?;
    let batch = if batch.is_instance(&pa.getattr("RecordBatch")?)? { batch.clone() } else { pa.call_method1("record_batch", (batch,))? };
    let mut array = FFI_ArrowArray::empty();
    let mut schema = FFI_ArrowSchema::empty();
    batch.call_method1("_export_to_c", (std::ptr::addr_of_mut!(array) as usize, std::ptr::addr_of_mut!(schema) as usize))?;
    // Safety: pyarrow filled both structs with a valid struct array and its schema; `from_ffi`
    // takes ownership of the array's buffers (released through its release callback).
    let data = unsafe { from_ffi(array, &schema) }.map_err(|e| PyValueError::new_err(format!("cannot import the Arrow batch: {e}")))?;
    Ok(RecordBatch::from(StructArray::from(data)))
}

/// A Rust batch as a `pyarrow.RecordBatch`, its buffers shared.
pub fn to_pyarrow<'py>(py: Python<'py>, batch: &RecordBatch) -> PyResult<Bound<'py, PyAny>> {
    let array = StructArray::new(batch.schema().fields().clone(), batch.columns().to_vec(), None);
    let (array, schema) = to_ffi(&array.to_data()).map_err(|e| PyValueError::new_err(format!("cannot export the Arrow batch: {e}")))?;
    let (mut array, mut schema) = (Box::new(array), Box::new(schema));
    let rb = py.import("pyarrow")?.getattr("RecordBatch")?;
    // pyarrow moves the contents out (and marks them released), so dropping the boxes is safe.
    let out = rb.call_method1("_import_from_c", (std::ptr::addr_of_mut!(*array) as usize, std::ptr::addr_of_mut!(*schema) as usize))?;
    Ok(out)
}
