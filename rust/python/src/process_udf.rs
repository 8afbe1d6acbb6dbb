//! Python process functions (plain and keyed) and timestamp assigners behind the core interfaces.

use oxflow_core::error::BoxError;
use oxflow_core::function::{
    KeyedProcessFn, Lifecycle, ProcessContext, ProcessFn, TimeDomain, TimestampAssignerFn,
};
use pyo3::exceptions::PyTypeError;
use pyo3::intern;
use pyo3::prelude::*;
use pyo3::types::{PyBool, PyInt};

use crate::data_model::PyData;
use crate::lifecycle_via_udf;
use crate::type_check::describe;
use crate::udf::{call_2, emit_tagged, Udf};

/// `Long.MIN_VALUE` as a Python int.
static NO_TIMESTAMP: pyo3::sync::PyOnceLock<Py<PyAny>> = pyo3::sync::PyOnceLock::new();

fn py_error(e: PyErr) -> BoxError {
    Box::new(e)
}

pub struct PyProcess(pub Udf);
pub struct PyKeyedProcess(pub Udf);
pub struct PyTimestampAssigner(pub Udf);
lifecycle_via_udf!(PyProcess);
lifecycle_via_udf!(PyKeyedProcess);
lifecycle_via_udf!(PyTimestampAssigner);

impl ProcessFn<PyData> for PyProcess {
    fn process_element(
        &mut self,
        value: Py<PyAny>,
        ctx: &ProcessContext<'_, PyData>,
        emit: &mut dyn FnMut(u32, Py<PyAny>),
    ) -> Result<(), BoxError> {
        let py = unsafe { Python::assume_attached() };
        let v = value.bind(py);
        let context = self.0.extra(py);
        context.setattr(intern!(py, "_timestamp"), ctx.timestamp).map_err(py_error)?;
        context.setattr(intern!(py, "_watermark"), ctx.current_watermark).map_err(py_error)?;
        if self.0.two_inputs() {
            context.setattr(intern!(py, "_input"), ctx.input).map_err(py_error)?;
        }
        let result = self.0.call(py).call1((v, context)).map_err(|e| self.0.failed(py, e, v))?;
        emit_tagged(&self.0, py, v, result, emit)
    }
}

impl KeyedProcessFn<PyData> for PyKeyedProcess {
    fn process_element(
        &mut self,
        input: usize,
        value: Py<PyAny>,
        timestamp: Option<i64>,
        emit: &mut dyn FnMut(u32, Py<PyAny>),
    ) -> Result<(), BoxError> {
        let py = unsafe { Python::assume_attached() };
        let v = value.bind(py);
        // `extra` is the (context, on_timer, on_timer_context) triple `prepare` built.
        let extra = self.0.extra(py);
        let context = extra.get_item(0).map_err(py_error)?;
        context.setattr(intern!(py, "_timestamp"), timestamp).map_err(py_error)?;
        if self.0.two_inputs() {
            context.setattr(intern!(py, "_input"), input).map_err(py_error)?;
        }
        let result = self.0.call(py).call1((v, &context)).map_err(|e| self.0.failed(py, e, v))?;
        emit_tagged(&self.0, py, v, result, emit)
    }

    fn on_timer(&mut self, timestamp: i64, domain: TimeDomain, emit: &mut dyn FnMut(u32, Py<PyAny>)) -> Result<(), BoxError> {
        let py = unsafe { Python::assume_attached() };
        let extra = self.0.extra(py);
        let on_timer = extra.get_item(1).map_err(py_error)?;
        if on_timer.is_none() {
            return Ok(());
        }
        let context = extra.get_item(2).map_err(py_error)?;
        context.setattr(intern!(py, "_timestamp"), timestamp).map_err(py_error)?;
        context.setattr(intern!(py, "_event_time"), domain == TimeDomain::EventTime).map_err(py_error)?;
        let ts = timestamp.into_pyobject(py).map_err(|e| Box::new(e) as BoxError)?.into_any();
        let result = on_timer.call1((timestamp, &context)).map_err(|e| self.0.failed(py, e, &ts))?;
        emit_tagged(&self.0, py, &ts, result, emit)
    }
}

impl TimestampAssignerFn<PyData> for PyTimestampAssigner {
    fn extract_timestamp(&mut self, value: &Py<PyAny>, record_timestamp: Option<i64>) -> Result<i64, BoxError> {
        let py = unsafe { Python::assume_attached() };
        let v = value.bind(py);
        // Flink passes Long.MIN_VALUE when the record has no timestamp yet (one int object for
        // all of them, not one allocated per record).
        let previous = match record_timestamp {
            Some(t) => t.into_pyobject(py).map_err(|e| Box::new(e) as BoxError)?.into_any(),
            None => NO_TIMESTAMP.get_or_init(py, || i64::MIN.into_pyobject(py).expect("ints convert").into_any().unbind()).bind(py).clone(),
        };
        let ts = call_2(self.0.call(py), v, &previous).map_err(|e| self.0.failed(py, e, v))?;
        if ts.is_instance_of::<PyInt>() && !ts.is_instance_of::<PyBool>() {
            if let Ok(t) = ts.extract::<i64>() {
                return Ok(t);
            }
        }
        Err(Box::new(PyTypeError::new_err(format!(
            "the timestamp assigner of operator '{}' returned {} for element {}; it must return an int (epoch milliseconds)",
            self.0.operator(),
            describe(&ts),
            describe(v)
        ))))
    }
}

