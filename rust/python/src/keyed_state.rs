//! The native handle through which Python state objects (`ValueState`, `ListState`, ...) and timer
//! services reach a keyed operator's state store, timers and current key.

use oxflow_core::error::BoxError;
use oxflow_core::function::TimeDomain;
use oxflow_core::state::{KeyedContext, Namespace, SharedKeyedContext, Slot, StateId, TtlConfig};
use pyo3::exceptions::{PyRuntimeError, PyTypeError};
use pyo3::prelude::*;
use pyo3::types::PyList;

use crate::data_model::PyData;

fn runtime_error(e: BoxError) -> PyErr {
    PyRuntimeError::new_err(e.to_string())
}

/// A state backend's failure: Python's own errors (a value that cannot be pickled) as they are.
fn state_error(e: BoxError) -> PyErr {
    match e.downcast::<PyErr>() {
        Ok(err) => *err,
        Err(other) => runtime_error(other),
    }
}

/// Keyed state and timers of one parallel instance of a keyed operator.
#[pyclass(module = "oxflow._native", frozen)]
pub struct KeyedStateHandle {
    context: SharedKeyedContext<PyData>,
}

impl KeyedStateHandle {
    pub fn new(context: SharedKeyedContext<PyData>) -> Self {
        KeyedStateHandle { context }
    }

    fn with<R>(&self, f: impl FnOnce(&mut KeyedContext<PyData>) -> PyResult<R>) -> PyResult<R> {
        let mut guard = self.context.lock().unwrap_or_else(|p| p.into_inner());
        f(&mut guard)
    }
}

/// Runs `f` on the slot of `state` under the current key.
fn current_slot<R>(
    ctx: &mut KeyedContext<PyData>,
    state: u32,
    f: impl FnOnce(Option<&mut Slot<PyData>>) -> R,
) -> PyResult<R> {
    let key = ctx.key().map_err(runtime_error)?;
    let key = oxflow_core::data::Keyed { key: key.key.clone_ref(unsafe { Python::assume_attached() }), hash: key.hash };
    let now = ctx.clock.now();
    Ok(f(ctx.store.get(&key, StateId(state), &Namespace::Void, now).map_err(state_error)?))
}

fn current_put(ctx: &mut KeyedContext<PyData>, state: u32, slot: Slot<PyData>) -> PyResult<()> {
    let key = ctx.key().map_err(runtime_error)?;
    let key = oxflow_core::data::Keyed { key: key.key.clone_ref(unsafe { Python::assume_attached() }), hash: key.hash };
    let now = ctx.clock.now();
    ctx.store.put(&key, StateId(state), Namespace::Void, slot, now).map_err(state_error)
}

#[pymethods]
impl KeyedStateHandle {
    /// Declares a state; returns its id. `ttl_ms` None: no time-to-live.
    #[pyo3(signature = (name, ttl_ms=None, refresh_on_read=false, return_expired=false))]
    fn register_state(&self, name: &str, ttl_ms: Option<i64>, refresh_on_read: bool, return_expired: bool) -> PyResult<u32> {
        let ttl = ttl_ms.map(|ttl_ms| TtlConfig { ttl_ms, refresh_on_read, return_expired });
        self.with(|ctx| Ok(ctx.store.register(name, ttl).0))
    }

    /// The value of a value state under the current key, or None.
    fn value(&self, py: Python<'_>, state: u32) -> PyResult<Py<PyAny>> {
        self.with(|ctx| {
            current_slot(ctx, state, |slot| match slot {
                Some(Slot::Value(v)) => v.clone_ref(py),
                _ => py.None(),
            })
        })
    }

    fn update(&self, state: u32, value: Py<PyAny>) -> PyResult<()> {
        self.with(|ctx| current_put(ctx, state, Slot::Value(value)))
    }

    fn clear(&self, state: u32) -> PyResult<()> {
        self.with(|ctx| {
            let key = ctx.key().map_err(runtime_error)?;
            let key = oxflow_core::data::Keyed { key: key.key.clone_ref(unsafe { Python::assume_attached() }), hash: key.hash };
            ctx.store.remove(&key, StateId(state), &Namespace::Void).map_err(state_error)?;
            Ok(())
        })
    }

    /// The elements of a list state under the current key (a new list).
    fn list_get<'py>(&self, py: Python<'py>, state: u32) -> PyResult<Bound<'py, PyList>> {
        let items = self.with(|ctx| {
            current_slot(ctx, state, |slot| match slot {
                Some(Slot::List(items)) => items.iter().map(|v| v.clone_ref(py)).collect::<Vec<_>>(),
                _ => Vec::new(),
            })
        })?;
        PyList::new(py, items)
    }

    fn list_add(&self, state: u32, value: Py<PyAny>) -> PyResult<()> {
        self.with(|ctx| {
            let added = current_slot(ctx, state, |slot| match slot {
                Some(Slot::List(items)) => {
                    items.push(value.clone_ref(unsafe { Python::assume_attached() }));
                    true
                }
                _ => false,
            })?;
            if !added {
                current_put(ctx, state, Slot::List(vec![value]))?;
            }
            Ok(())
        })
    }

    fn list_update(&self, state: u32, values: Vec<Py<PyAny>>) -> PyResult<()> {
        self.with(|ctx| current_put(ctx, state, Slot::List(values)))
    }

    /// The key of the element or timer being processed.
    fn current_key(&self, py: Python<'_>) -> PyResult<Py<PyAny>> {
        self.with(|ctx| Ok(ctx.key().map_err(runtime_error)?.key.clone_ref(py)))
    }

    fn current_watermark(&self) -> PyResult<i64> {
        self.with(|ctx| Ok(ctx.current_watermark))
    }

    fn current_processing_time(&self) -> PyResult<i64> {
        self.with(|ctx| Ok(ctx.clock.now()))
    }

    /// Registers (`register=True`) or deletes a timer of the current key.
    fn timer(&self, event_time: bool, timestamp: &Bound<'_, PyAny>, register: bool) -> PyResult<()> {
        let timestamp: i64 = timestamp
            .extract()
            .map_err(|_| PyTypeError::new_err(format!("timer timestamps are int epoch milliseconds, got {}", crate::type_check::describe(timestamp))))?;
        let domain = if event_time { TimeDomain::EventTime } else { TimeDomain::ProcessingTime };
        self.with(|ctx| {
            if register {
                ctx.register_timer(domain, timestamp).map_err(runtime_error)
            } else {
                ctx.delete_timer(domain, timestamp).map_err(runtime_error)
            }
        })
    }
}
