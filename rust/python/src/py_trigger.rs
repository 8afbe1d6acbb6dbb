//! User-defined Python triggers (`class MyTrigger(Trigger)`) behind the core `Trigger` trait.
//!
//! During each call the trigger gets a context object whose native handle points at the
//! operator's `TriggerContext`; the pointer is set for the duration of the call only, so a
//! context kept by the user past the call raises instead of reaching freed memory.

use std::cell::Cell;

use oxflow_core::error::{message, BoxError};
use oxflow_core::function::Lifecycle;
use oxflow_core::operator::TaskInfo;
use oxflow_core::state::Namespace;
use oxflow_core::window::{Trigger, TriggerContext, TriggerResult, TriggerState};
use pyo3::exceptions::PyRuntimeError;
use pyo3::intern;
use pyo3::prelude::*;
use pyo3::types::PyList;

use crate::data_model::PyData;
use crate::udf::Udf;

type ContextPtr = *mut (dyn TriggerContext<PyData> + 'static);

/// The native side of a Python `TriggerContext`: state names by id, and the context of the
/// current call.
#[pyclass(module = "oxflow._native", unsendable)]
pub struct TriggerContextHandle {
    ctx: Cell<Option<ContextPtr>>,
    names: std::cell::RefCell<Vec<String>>,
    /// The reduce function of each registered state, to merge it when windows merge.
    mergers: std::cell::RefCell<Vec<Option<Py<PyAny>>>>,
}

impl TriggerContextHandle {
    fn with<R>(&self, f: impl FnOnce(&mut dyn TriggerContext<PyData>) -> PyResult<R>) -> PyResult<R> {
        match self.ctx.get() {
            // SAFETY: the pointer is set only while the operator's context is borrowed for the
            // call into Python that uses this handle (see `PyTrigger::call`), on this thread.
            Some(ptr) => f(unsafe { &mut *ptr }),
            None => Err(PyRuntimeError::new_err("a trigger context can only be used during the trigger call it was given to")),
        }
    }

    fn name(&self, state: usize) -> PyResult<String> {
        self.names.borrow().get(state).cloned().ok_or_else(|| PyRuntimeError::new_err("unknown trigger state"))
    }
}

#[pymethods]
impl TriggerContextHandle {
    #[new]
    fn new() -> Self {
        TriggerContextHandle { ctx: Cell::new(None), names: Default::default(), mergers: Default::default() }
    }

    #[pyo3(signature = (name, ttl_ms=None, refresh_on_read=false, return_expired=false, merger=None))]
    fn register_state(&self, name: &str, ttl_ms: Option<i64>, refresh_on_read: bool, return_expired: bool, merger: Option<Py<PyAny>>) -> usize {
        let _ = (ttl_ms, refresh_on_read, return_expired);
        let mut names = self.names.borrow_mut();
        if let Some(i) = names.iter().position(|n| n == name) {
            return i;
        }
        names.push(name.to_string());
        self.mergers.borrow_mut().push(merger);
        names.len() - 1
    }

    fn value(&self, py: Python<'_>, state: usize) -> PyResult<Py<PyAny>> {
        let name = self.name(state)?;
        self.with(|ctx| {
            Ok(match ctx.state(&name) {
                Some(TriggerState::Value(v)) => v.clone_ref(py),
                Some(TriggerState::Long(n)) => n.into_pyobject(py)?.into_any().unbind(),
                _ => py.None(),
            })
        })
    }

    fn update(&self, state: usize, value: Py<PyAny>) -> PyResult<()> {
        let name = self.name(state)?;
        self.with(|ctx| {
            ctx.set_state(&name, TriggerState::Value(value));
            Ok(())
        })
    }

    fn clear(&self, state: usize) -> PyResult<()> {
        let name = self.name(state)?;
        self.with(|ctx| {
            ctx.clear_state(&name);
            Ok(())
        })
    }

    fn list_get<'py>(&self, py: Python<'py>, state: usize) -> PyResult<Bound<'py, PyList>> {
        let name = self.name(state)?;
        let items = self.with(|ctx| {
            Ok(match ctx.state(&name) {
                Some(TriggerState::List(items)) => items.iter().map(|v| v.clone_ref(py)).collect(),
                _ => Vec::new(),
            })
        })?;
        PyList::new(py, items)
    }

    fn list_add(&self, state: usize, value: Py<PyAny>) -> PyResult<()> {
        let name = self.name(state)?;
        self.with(|ctx| {
            match ctx.state(&name) {
                Some(TriggerState::List(items)) => items.push(value),
                _ => ctx.set_state(&name, TriggerState::List(vec![value])),
            }
            Ok(())
        })
    }

    fn list_update(&self, state: usize, values: Vec<Py<PyAny>>) -> PyResult<()> {
        let name = self.name(state)?;
        self.with(|ctx| {
            ctx.set_state(&name, TriggerState::List(values));
            Ok(())
        })
    }

    fn current_watermark(&self) -> PyResult<i64> {
        self.with(|ctx| Ok(ctx.current_watermark()))
    }

    fn current_processing_time(&self) -> PyResult<i64> {
        self.with(|ctx| Ok(ctx.current_processing_time()))
    }

    fn timer(&self, event_time: bool, timestamp: i64, register: bool) -> PyResult<()> {
        self.with(|ctx| {
            match (event_time, register) {
                (true, true) => ctx.register_event_time_timer(timestamp),
                (true, false) => ctx.delete_event_time_timer(timestamp),
                (false, true) => ctx.register_processing_time_timer(timestamp),
                (false, false) => ctx.delete_processing_time_timer(timestamp),
            }
            Ok(())
        })
    }

    /// `OnMergeContext.merge_partitioned_state`: combines the state of the merged windows into the
    /// current one (lists are concatenated, values reduced with the state's reduce function).
    fn merge_state(&self, py: Python<'_>, state: usize) -> PyResult<()> {
        let name = self.name(state)?;
        let merger = self.mergers.borrow().get(state).and_then(|m| m.as_ref().map(|m| m.clone_ref(py)));
        self.with(|ctx| {
            ctx.merge_state(&name, &mut |a, b| match (a, b) {
                (TriggerState::List(mut a), TriggerState::List(b)) => {
                    a.extend(b);
                    Ok(TriggerState::List(a))
                }
                (TriggerState::Value(a), TriggerState::Value(b)) => match &merger {
                    Some(reduce) => {
                        let py = unsafe { Python::assume_attached() };
                        Ok(TriggerState::Value(reduce.call1(py, (a, b)).map_err(|e| Box::new(e) as BoxError)?))
                    }
                    None => Err(message(format!("trigger state '{name}' cannot be merged: use a ReducingStateDescriptor or ListStateDescriptor"))),
                },
                _ => Err(message(format!("trigger state '{name}' holds different kinds of values"))),
            })
            .map_err(|e| PyRuntimeError::new_err(e.to_string()))
        })
    }
}

/// A Python `Trigger` instance; `extra` from `prepare` is `(context, handle)`.
pub struct PyTrigger {
    udf: Udf,
    can_merge: bool,
}

impl PyTrigger {
    /// `can_merge` is asked of the user's trigger when the operator is built (it is validated
    /// before it opens).
    pub fn new(udf: Udf, can_merge: bool) -> Self {
        PyTrigger { udf, can_merge }
    }

    /// Calls `method(*args, ctx)` with the handle pointing at `ctx` for the duration.
    fn call<'py>(
        &self,
        py: Python<'py>,
        method: &Bound<'py, pyo3::types::PyString>,
        args: Vec<Bound<'py, PyAny>>,
        ctx: &mut dyn TriggerContext<PyData>,
    ) -> Result<Bound<'py, PyAny>, BoxError> {
        let extra = self.udf.extra(py);
        let context = extra.get_item(0).map_err(|e| Box::new(e) as BoxError)?;
        let handle = extra.get_item(1).map_err(|e| Box::new(e) as BoxError)?;
        let handle = handle.cast::<TriggerContextHandle>().map_err(|e| Box::new(PyErr::from(e)) as BoxError)?;
        // SAFETY: erase the borrow's lifetime; the pointer is removed before this function returns.
        let ptr: ContextPtr = unsafe { std::mem::transmute::<*mut dyn TriggerContext<PyData>, ContextPtr>(ctx as *mut _) };
        handle.borrow().ctx.set(Some(ptr));
        let mut call_args = args;
        call_args.push(context);
        let args = pyo3::types::PyTuple::new(py, call_args).map_err(|e| Box::new(e) as BoxError)?;
        let result = self.udf.call(py).call_method1(method, args);
        handle.borrow().ctx.set(None);
        result.map_err(|e| Box::new(e) as BoxError)
    }

    fn result(py: Python<'_>, value: Bound<'_, PyAny>, method: &str) -> Result<TriggerResult, BoxError> {
        let (fire, purge): (bool, bool) = value
            .getattr(intern!(py, "value"))
            .and_then(|v| v.extract())
            .map_err(|_| message(format!("Trigger.{method} must return a TriggerResult, got {}", crate::type_check::describe(&value))))?;
        Ok(TriggerResult { fire, purge })
    }

    fn window<'py>(py: Python<'py>, window: &Namespace) -> Result<Bound<'py, PyAny>, BoxError> {
        let tuple = match *window {
            Namespace::Window { start, end } => ("time", start, end),
            Namespace::Count(id) => ("count", id, 0),
            _ => ("global", 0, 0),
        };
        let runtime = py.import("oxflow.datastream._runtime").map_err(|e| Box::new(e) as BoxError)?;
        runtime.call_method1("_window_object", (tuple,)).map_err(|e| Box::new(e) as BoxError)
    }
}

impl Lifecycle for PyTrigger {
    fn open(&mut self, task: &TaskInfo) -> Result<(), BoxError> {
        self.udf.open(task)
    }

    fn close(&mut self) -> Result<(), BoxError> {
        self.udf.close()
    }
}

impl Trigger<PyData> for PyTrigger {
    fn on_element(&mut self, element: &Py<PyAny>, timestamp: Option<i64>, window: &Namespace, ctx: &mut dyn TriggerContext<PyData>) -> Result<TriggerResult, BoxError> {
        let py = unsafe { Python::assume_attached() };
        let ts = timestamp.unwrap_or(i64::MIN).into_pyobject(py).map_err(|e| Box::new(e) as BoxError)?.into_any();
        let args = vec![element.bind(py).clone(), ts, Self::window(py, window)?];
        let out = self.call(py, intern!(py, "on_element"), args, ctx)?;
        Self::result(py, out, "on_element")
    }

    fn on_event_time(&mut self, time: i64, window: &Namespace, ctx: &mut dyn TriggerContext<PyData>) -> Result<TriggerResult, BoxError> {
        let py = unsafe { Python::assume_attached() };
        let args = vec![time.into_pyobject(py).map_err(|e| Box::new(e) as BoxError)?.into_any(), Self::window(py, window)?];
        let out = self.call(py, intern!(py, "on_event_time"), args, ctx)?;
        Self::result(py, out, "on_event_time")
    }

    fn on_processing_time(&mut self, time: i64, window: &Namespace, ctx: &mut dyn TriggerContext<PyData>) -> Result<TriggerResult, BoxError> {
        let py = unsafe { Python::assume_attached() };
        let args = vec![time.into_pyobject(py).map_err(|e| Box::new(e) as BoxError)?.into_any(), Self::window(py, window)?];
        let out = self.call(py, intern!(py, "on_processing_time"), args, ctx)?;
        Self::result(py, out, "on_processing_time")
    }

    fn can_merge(&self) -> bool {
        self.can_merge
    }

    fn on_merge(&mut self, window: &Namespace, ctx: &mut dyn TriggerContext<PyData>) -> Result<(), BoxError> {
        let py = unsafe { Python::assume_attached() };
        self.call(py, intern!(py, "on_merge"), vec![Self::window(py, window)?], ctx).map(drop)
    }

    fn clear(&mut self, window: &Namespace, ctx: &mut dyn TriggerContext<PyData>) -> Result<(), BoxError> {
        let py = unsafe { Python::assume_attached() };
        self.call(py, intern!(py, "clear"), vec![Self::window(py, window)?], ctx).map(drop)
    }

    fn describe(&self) -> String {
        format!("Python trigger of {}", self.udf.operator())
    }
}
