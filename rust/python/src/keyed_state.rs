//! The native handle through which Python state objects (`ValueState`, `ListState`, ...) and timer
//! services reach keyed state: a keyed operator's state store, timers and current key, or the
//! window operator's store during a window function call.

use std::sync::atomic::{AtomicPtr, Ordering};
use std::sync::{Arc, Mutex};

use oxflow_core::error::BoxError;
use oxflow_core::function::TimeDomain;
use oxflow_core::state::{KeyedContext, SharedKeyedContext, StateAt, StateId, TtlConfig};
use oxflow_core::window::WindowFnState;
use pyo3::exceptions::{PyRuntimeError, PyTypeError};
use pyo3::prelude::*;
use pyo3::types::PyList;

use crate::data_model::PyData;

fn runtime_error(e: BoxError) -> PyErr {
    PyRuntimeError::new_err(e.to_string())
}

/// Errors of the data model (an unhashable map key) and of the state backend (a value that
/// cannot be pickled) keep their Python type.
fn state_error(e: BoxError) -> PyErr {
    crate::errors::unboxed(e, PyRuntimeError::new_err)
}

type FnState = WindowFnState<'static, PyData>;

/// A state a window function declared: name, TTL, and its id in the operator's store once first
/// used (a function declares its states in `open`, before any call gives the store).
type DeclaredState = (String, Option<TtlConfig>, Option<StateId>);

/// The window function call in progress, if any, and the states the function declared.
#[derive(Default)]
pub struct WindowStateCall {
    current: AtomicPtr<FnState>,
    states: Mutex<Vec<DeclaredState>>,
}

impl WindowStateCall {
    /// Lets the handles reach `state` until the guard drops (the end of the call into Python).
    pub fn enter<'c>(&'c self, state: &mut WindowFnState<'_, PyData>) -> impl Drop + 'c {
        struct Leave<'c>(&'c AtomicPtr<FnState>);
        impl Drop for Leave<'_> {
            fn drop(&mut self) {
                self.0.store(std::ptr::null_mut(), Ordering::Release);
            }
        }
        let ptr: *mut WindowFnState<'_, PyData> = state;
        self.current.store(ptr.cast(), Ordering::Release);
        Leave(&self.current)
    }

    fn register(&self, name: &str, ttl: Option<TtlConfig>) -> u32 {
        let mut states = self.states.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(i) = states.iter().position(|(n, _, _)| n == name) {
            states[i].1 = ttl;
            states[i].2 = None;
            return i as u32;
        }
        states.push((name.to_string(), ttl, None));
        states.len() as u32 - 1
    }

    fn resolve(&self, state: u32, fn_state: &mut FnState) -> PyResult<StateId> {
        let mut states = self.states.lock().unwrap_or_else(|p| p.into_inner());
        let (name, ttl, id) = states.get_mut(state as usize).ok_or_else(|| PyRuntimeError::new_err("unknown state"))?;
        Ok(*id.get_or_insert_with(|| fn_state.register(name, *ttl)))
    }
}

enum Backend {
    /// A keyed process function's context, shared with its operator.
    Keyed(SharedKeyedContext<PyData>),
    /// A window function's state: the key's own, or the firing window's (`per_window`).
    Window { call: Arc<WindowStateCall>, per_window: bool },
}

/// Keyed state (and, for keyed process functions, timers) of one parallel instance.
#[pyclass(module = "oxflow._native", frozen)]
pub struct KeyedStateHandle {
    backend: Backend,
}

impl KeyedStateHandle {
    pub fn new(context: SharedKeyedContext<PyData>) -> Self {
        KeyedStateHandle { backend: Backend::Keyed(context) }
    }

    pub fn for_window(call: Arc<WindowStateCall>) -> Self {
        KeyedStateHandle { backend: Backend::Window { call, per_window: false } }
    }

    fn keyed<R>(&self, f: impl FnOnce(&mut KeyedContext<PyData>) -> PyResult<R>) -> PyResult<R> {
        match &self.backend {
            Backend::Keyed(context) => f(&mut context.lock().unwrap_or_else(|p| p.into_inner())),
            Backend::Window { .. } => Err(PyRuntimeError::new_err("window functions have no timers")),
        }
    }

    /// Runs `f` on `state` under the current key (and window).
    fn with_state<R>(&self, state: u32, f: impl FnOnce(StateAt<'_, PyData>) -> Result<R, BoxError>) -> PyResult<R> {
        match &self.backend {
            Backend::Keyed(context) => {
                let mut ctx = context.lock().unwrap_or_else(|p| p.into_inner());
                f(ctx.state(StateId(state)).map_err(runtime_error)?).map_err(state_error)
            }
            Backend::Window { call, per_window } => {
                let ptr = call.current.load(Ordering::Acquire);
                if ptr.is_null() {
                    return Err(PyRuntimeError::new_err(
                        "the keyed state of a window function can only be used while it processes or clears a window",
                    ));
                }
                // SAFETY: the pointer is set only while the window operator's state is lent to
                // the function call running on this thread (`WindowStateCall::enter`).
                let fn_state = unsafe { &mut *ptr };
                let id = call.resolve(state, fn_state)?;
                f(fn_state.at(id, *per_window).map_err(runtime_error)?).map_err(state_error)
            }
        }
    }
}

/// A state's time-to-live as `StateDescriptor._ttl_args()` gives it.
type TtlArgs = (i64, bool, bool, usize, bool, bool);

#[pymethods]
impl KeyedStateHandle {
    /// Declares a state; returns its id. `ttl`: (ttl_ms, refresh_on_read, return_expired,
    /// incremental cleanup size, cleanup for every record, cleanup in full snapshots).
    #[pyo3(signature = (name, ttl=None))]
    fn register_state(&self, name: &str, ttl: Option<TtlArgs>) -> PyResult<u32> {
        let ttl = ttl.map(|(ttl_ms, refresh_on_read, return_expired, incremental_cleanup, cleanup_every_record, cleanup_full_snapshot)| TtlConfig {
            ttl_ms,
            refresh_on_read,
            return_expired,
            incremental_cleanup,
            cleanup_every_record,
            cleanup_full_snapshot,
        });
        match &self.backend {
            Backend::Keyed(context) => Ok(context.lock().unwrap_or_else(|p| p.into_inner()).store.register(name, ttl).0),
            Backend::Window { call, .. } => Ok(call.register(name, ttl)),
        }
    }

    /// The handle of the same window function's per-window state.
    fn window_scoped(&self) -> PyResult<KeyedStateHandle> {
        match &self.backend {
            Backend::Window { call, .. } => Ok(KeyedStateHandle { backend: Backend::Window { call: call.clone(), per_window: true } }),
            Backend::Keyed(_) => Err(PyRuntimeError::new_err("only window functions have per-window state")),
        }
    }

    /// The value of a value state under the current key, or None.
    fn value(&self, py: Python<'_>, state: u32) -> PyResult<Py<PyAny>> {
        Ok(self.with_state(state, |s| s.value())?.unwrap_or_else(|| py.None()))
    }

    fn update(&self, state: u32, value: Py<PyAny>) -> PyResult<()> {
        self.with_state(state, |s| s.update(value))
    }

    fn clear(&self, state: u32) -> PyResult<()> {
        self.with_state(state, |s| s.clear())
    }

    /// The elements of a list state under the current key (a new list).
    fn list_get<'py>(&self, py: Python<'py>, state: u32) -> PyResult<Bound<'py, PyList>> {
        PyList::new(py, self.with_state(state, |s| s.list())?)
    }

    fn list_add(&self, state: u32, value: Py<PyAny>) -> PyResult<()> {
        self.with_state(state, |s| s.add(value))
    }

    fn list_update(&self, state: u32, values: Vec<Py<PyAny>>) -> PyResult<()> {
        self.with_state(state, |s| s.update_list(values))
    }

    fn map_get(&self, py: Python<'_>, state: u32, key: Py<PyAny>) -> PyResult<Py<PyAny>> {
        Ok(self.with_state(state, |s| s.map_get(&key))?.unwrap_or_else(|| py.None()))
    }

    fn map_put(&self, state: u32, key: Py<PyAny>, value: Py<PyAny>) -> PyResult<()> {
        self.with_state(state, |s| s.map_put(&key, value))
    }

    fn map_remove(&self, state: u32, key: Py<PyAny>) -> PyResult<()> {
        self.with_state(state, |s| s.map_remove(&key))
    }

    fn map_contains(&self, state: u32, key: Py<PyAny>) -> PyResult<bool> {
        self.with_state(state, |s| s.map_contains(&key))
    }

    /// The (key, value) pairs of a map state, in insertion order.
    fn map_items(&self, state: u32) -> PyResult<Vec<(Py<PyAny>, Py<PyAny>)>> {
        self.with_state(state, |s| s.map_entries())
    }

    fn map_is_empty(&self, state: u32) -> PyResult<bool> {
        self.with_state(state, |s| s.map_is_empty())
    }

    /// The key of the element or timer being processed.
    fn current_key(&self, py: Python<'_>) -> PyResult<Py<PyAny>> {
        self.keyed(|ctx| Ok(ctx.key().map_err(runtime_error)?.key.clone_ref(py)))
    }

    fn current_watermark(&self) -> PyResult<i64> {
        self.keyed(|ctx| Ok(ctx.current_watermark))
    }

    fn current_processing_time(&self) -> PyResult<i64> {
        self.keyed(|ctx| Ok(ctx.clock.now()))
    }

    /// Registers (`register=True`) or deletes a timer of the current key.
    fn timer(&self, event_time: bool, timestamp: &Bound<'_, PyAny>, register: bool) -> PyResult<()> {
        let timestamp: i64 = timestamp
            .extract()
            .map_err(|_| PyTypeError::new_err(format!("timer timestamps are int epoch milliseconds, got {}", crate::type_check::describe(timestamp))))?;
        let domain = if event_time { TimeDomain::EventTime } else { TimeDomain::ProcessingTime };
        self.keyed(|ctx| {
            if register {
                ctx.register_timer(domain, timestamp).map_err(runtime_error)
            } else {
                ctx.delete_timer(domain, timestamp).map_err(runtime_error)
            }
        })
    }
}
