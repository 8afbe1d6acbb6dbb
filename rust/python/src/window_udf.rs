//! Python functions of windows: AggregateFunction, window functions (process/apply) and the
//! dynamic session gap extractor, behind the core interfaces.

use oxflow_core::error::BoxError;
use oxflow_core::function::{AggregateFn, Lifecycle, WindowContext, WindowFn};
use oxflow_core::state::Namespace;
use pyo3::intern;
use pyo3::prelude::*;
use pyo3::types::{PyBool, PyInt, PyList};

use std::sync::Arc;

use crate::data_model::PyData;
use crate::keyed_state::WindowStateCall;
use crate::lifecycle_via_udf;
use crate::type_check::describe;
use crate::udf::{emit_tagged, OutputType, Udf};

fn py_error(e: PyErr) -> BoxError {
    Box::new(e)
}

pub struct PyAggregate(pub Udf);
/// A window function and the state handle its Python side uses during calls.
pub struct PyWindowFunction(pub Udf, pub Arc<WindowStateCall>);
/// The dynamic session gap extractor: a plain callable, needing no per-instance setup.
pub struct PyGapExtractor {
    pub call: Py<PyAny>,
    pub operator: String,
}
lifecycle_via_udf!(PyAggregate);
lifecycle_via_udf!(PyWindowFunction);

impl AggregateFn<PyData> for PyAggregate {
    fn create_accumulator(&mut self) -> Result<Py<PyAny>, BoxError> {
        let py = unsafe { Python::assume_attached() };
        let acc = self.0.call(py).call_method0(intern!(py, "create_accumulator")).map_err(py_error)?;
        Ok(acc.unbind())
    }

    fn add(&mut self, value: Py<PyAny>, accumulator: Py<PyAny>) -> Result<Py<PyAny>, BoxError> {
        let py = unsafe { Python::assume_attached() };
        let v = value.bind(py);
        let acc = self.0.call(py).call_method1(intern!(py, "add"), (v, accumulator.bind(py))).map_err(|e| self.0.failed(py, e, v))?;
        Ok(acc.unbind())
    }

    fn get_result(&mut self, accumulator: &Py<PyAny>) -> Result<Py<PyAny>, BoxError> {
        let py = unsafe { Python::assume_attached() };
        let out = self.0.call(py).call_method1(intern!(py, "get_result"), (accumulator.bind(py),)).map_err(py_error)?;
        Ok(self.0.check_output(out)?.unbind())
    }

    fn merge(&mut self, a: Py<PyAny>, b: Py<PyAny>) -> Result<Py<PyAny>, BoxError> {
        let py = unsafe { Python::assume_attached() };
        let merged = self.0.call(py).call_method1(intern!(py, "merge"), (a.bind(py), b.bind(py))).map_err(py_error)?;
        Ok(merged.unbind())
    }
}

/// A window as the Python adapter receives it: `("time", start, end)`, `("count", id, 0)` or
/// `("global", 0, 0)`.
fn window_tuple(window: &Namespace) -> (&'static str, i64, i64) {
    match *window {
        Namespace::Window { start, end } => ("time", start, end),
        Namespace::Count(id) => ("count", id, 0),
        Namespace::Global | Namespace::Void => ("global", 0, 0),
    }
}

impl WindowFn<PyData> for PyWindowFunction {
    fn process(
        &mut self,
        ctx: &mut WindowContext<'_, PyData>,
        elements: Vec<Py<PyAny>>,
        emit: &mut dyn FnMut(Py<PyAny>),
    ) -> Result<(), BoxError> {
        let py = unsafe { Python::assume_attached() };
        let _lent = self.1.enter(&mut ctx.state);
        let elements = PyList::new(py, elements).map_err(py_error)?;
        let key = ctx.key.bind(py);
        let args = (key, window_tuple(&ctx.window), ctx.current_watermark, ctx.current_processing_time, &elements);
        let result = self.0.call(py).call1(args).map_err(|e| self.0.failed(py, e, key))?;
        emit_tagged(&self.0, py, key, result, &mut |output, value| {
            if output == 0 {
                emit(value)
            }
        })
    }

    fn clear(&mut self, ctx: &mut WindowContext<'_, PyData>) -> Result<(), BoxError> {
        let py = unsafe { Python::assume_attached() };
        // Only functions that override `clear` get called.
        let Some(clear) = self.0.extra_opt(py) else { return Ok(()) };
        let _lent = self.1.enter(&mut ctx.state);
        let key = ctx.key.bind(py);
        clear
            .call1((key, window_tuple(&ctx.window), ctx.current_watermark, ctx.current_processing_time))
            .map_err(|e| self.0.failed(py, e, key))?;
        Ok(())
    }
}

/// The window function of a reduce window without one: what the window emits is the reduced
/// value, checked against the declared output type (as process and aggregate results are; the
/// reduce's intermediate values are of the input type).
pub struct PyCheckedResult {
    pub output: OutputType,
    pub operator: String,
}
impl Lifecycle for PyCheckedResult {}

impl WindowFn<PyData> for PyCheckedResult {
    fn process(&mut self, _: &mut WindowContext<'_, PyData>, elements: Vec<Py<PyAny>>, emit: &mut dyn FnMut(Py<PyAny>)) -> Result<(), BoxError> {
        let py = unsafe { Python::assume_attached() };
        for value in elements {
            emit(self.output.checked_output(&self.operator, value.into_bound(py))?.unbind());
        }
        Ok(())
    }
}

impl PyGapExtractor {
    /// The session gap (ms) after `value`.
    pub fn gap(&mut self, value: &Py<PyAny>) -> Result<i64, BoxError> {
        let py = unsafe { Python::assume_attached() };
        let v = value.bind(py);
        let gap = crate::udf::call_1(self.call.bind(py), v).map_err(|e| -> BoxError {
            crate::errors::add_note(py, &e, &format!("while processing element: {}", describe(v)));
            Box::new(e)
        })?;
        match gap.extract::<i64>() {
            Ok(g) if g > 0 && gap.is_instance_of::<PyInt>() && !gap.is_instance_of::<PyBool>() => Ok(g),
            _ => Err(Box::new(pyo3::exceptions::PyValueError::new_err(format!(
                "the session gap extractor of operator '{}' returned {} for element {}; it must return a positive int (milliseconds)",
                self.operator,
                describe(&gap),
                describe(v)
            )))),
        }
    }
}
