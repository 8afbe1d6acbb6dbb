//! `oxflow._native`: the bridge between the Python API and the Rust runtime. It converts Python
//! job descriptions into core job graphs and calls Python user functions; it holds no engine logic.

mod arrow_ffi;
mod clock;
mod data_model;
mod errors;
mod job;
mod job_spec;
mod keyed_state;
mod native_aggregation;
mod process_udf;
mod py_function;
mod table_session;
mod table_arrow;
mod table_bridge;
mod table_udaf;
mod table_udf;
mod table_udtf;
mod table_values;
mod py_trigger;
mod window_spec;
mod window_udf;
mod type_check;
mod udf;

use pyo3::prelude::*;

/// The first of `values` that does not match the type described by `check_spec`
/// (`TypeInformation._check_spec()`), as `(index, reason)`, or None when all match.
#[pyfunction]
fn first_type_mismatch(check_spec: &Bound<'_, PyAny>, values: &Bound<'_, PyAny>) -> PyResult<Option<(usize, String)>> {
    let check = type_check::TypeCheck::compile(check_spec)?;
    for (i, value) in values.try_iter()?.enumerate() {
        if let Err(reason) = check.check(&value?) {
            return Ok(Some((i, reason)));
        }
    }
    Ok(None)
}

/// `values` as a field of the type described by `check_spec` delivers them (FLOATs rounded to
/// 32 bits); the same list when nothing needs converting.
#[pyfunction]
fn convert_values<'py>(check_spec: &Bound<'py, PyAny>, values: Bound<'py, pyo3::types::PyList>) -> PyResult<Bound<'py, pyo3::types::PyList>> {
    let check = type_check::TypeCheck::compile(check_spec)?;
    if !check.converts() {
        return Ok(values);
    }
    let converted = values.iter().map(|v| check.convert(&v)).collect::<PyResult<Vec<_>>>()?;
    pyo3::types::PyList::new(values.py(), converted)
}

#[pymodule]
fn _native(m: &Bound<'_, PyModule>) -> PyResult<()> {
    // SQL operators calling Python aggregates row by row hold the GIL for the whole batch.
    oxflow_sql::exec::scope::install(|body| Python::attach(|_| body()));
    m.add_function(wrap_pyfunction!(job::start_job, m)?)?;
    m.add_function(wrap_pyfunction!(first_type_mismatch, m)?)?;
    m.add_function(wrap_pyfunction!(convert_values, m)?)?;
    m.add_class::<job::NativeJob>()?;
    m.add_class::<clock::PyManualClock>()?;
    m.add_class::<clock::TaskClock>()?;
    m.add_class::<keyed_state::KeyedStateHandle>()?;
    m.add_class::<py_trigger::TriggerContextHandle>()?;
    m.add("JobExecutionError", m.py().get_type::<errors::JobExecutionError>())?;
    m.add_class::<table_session::TableSessionHandle>()?;
    m.add_class::<table_session::QueryHandle>()?;
    m.add_class::<table_session::InsertHandle>()?;
    m.add_class::<table_session::ResultJob>()?;
    m.add_class::<table_bridge::TableFeed>()?;
    m.add("TableException", m.py().get_type::<table_session::TableException>())?;
    m.add("ValidationException", m.py().get_type::<table_session::ValidationException>())?;
    m.add("SqlParserException", m.py().get_type::<table_session::SqlParserException>())?;
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    Ok(())
}
