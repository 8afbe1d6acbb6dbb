//! Python user functions behind the core function interfaces. Every call happens inside the
//! task's batch scope, so the GIL is already held; these types only convert and call.

use oxflow_core::data::Record;
use oxflow_core::error::BoxError;
use oxflow_core::function::{FilterFn, FlatMapFn, KeySelectorFn, Lifecycle, MapFn, ReduceFn, SinkFn};
use pyo3::exceptions::PyTypeError;
use pyo3::intern;
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyList};

use crate::data_model::PyData;
use crate::errors::add_note;
use crate::type_check::{describe, TypeCheck};

/// The Python module that turns a function spec into a per-subtask callable.
const RUNTIME_MODULE: &str = "oxflow.datastream._runtime";

/// A declared output type: the compiled check and the type's name for messages.
pub struct OutputType {
    pub check: TypeCheck,
    pub name: String,
    /// `check.converts()`, computed once.
    pub converts: bool,
}

impl OutputType {
    pub fn new(check: TypeCheck, name: String) -> Self {
        let converts = check.converts();
        OutputType { check, name, converts }
    }

    /// `value` checked against this type (and converted as the type delivers it); the error
    /// names `operator`, the value and `expected()`.
    pub fn checked<'py>(&self, operator: &str, value: Bound<'py, PyAny>, expected: impl FnOnce() -> String) -> Result<Bound<'py, PyAny>, BoxError> {
        if let Err(why) = self.check.check(&value) {
            return Err(Box::new(PyTypeError::new_err(format!(
                "operator '{operator}' produced {} which does not match {}: {why}",
                describe(&value),
                expected()
            ))));
        }
        if self.converts {
            return self.check.convert(&value).map_err(|e| Box::new(e) as BoxError);
        }
        Ok(value)
    }

    /// `checked` against a declared output type.
    pub fn checked_output<'py>(&self, operator: &str, value: Bound<'py, PyAny>) -> Result<Bound<'py, PyAny>, BoxError> {
        self.checked(operator, value, || format!("its declared output type {}", self.name))
    }
}

/// A user function as the Python layer described it, resolved per subtask when opened.
pub struct Udf {
    spec: Py<PyAny>,
    operator: String,
    call: Option<Py<PyAny>>,
    close: Option<Py<PyAny>>,
    /// What else `prepare` handed back: a process function's context object, or a sink's
    /// end-of-input callable.
    extra: Option<Py<PyAny>>,
    /// Function state from a snapshot, handed to the function once `open` prepared it.
    restored_state: Option<Vec<u8>>,
    output: Option<OutputType>,
    /// Handed to `prepare`: the keyed state handle of keyed operators.
    handle: Option<Py<PyAny>>,
    /// Whether `(OutputTag, value)` items go to side outputs (process functions only).
    side_outputs: bool,
    /// Whether the function serves two inputs (the runtime tells it which one, `ctx._input`).
    two_inputs: bool,
    /// The `OutputTag` class, looked up when opened if `side_outputs`.
    output_tag_class: Option<Py<PyAny>>,
    /// The type of each side output used so far, by tag id (`None`: the tag declares none),
    /// compiled from the tag when it is first used.
    side_types: std::cell::RefCell<Vec<(u32, Option<OutputType>)>>,
}

impl Udf {
    pub fn new(spec: Py<PyAny>, operator: String, output: Option<OutputType>) -> Self {
        Udf {
            spec,
            operator,
            call: None,
            close: None,
            extra: None,
            restored_state: None,
            output,
            handle: None,
            side_outputs: false,
            two_inputs: false,
            output_tag_class: None,
            side_types: Default::default(),
        }
    }

    /// What `prepare` returned besides the callable (a process function's context object).
    pub fn extra<'py>(&self, py: Python<'py>) -> &Bound<'py, PyAny> {
        self.extra.as_ref().expect("process functions get a context").bind(py)
    }

    /// `extra`, if `prepare` returned one.
    pub fn extra_opt<'py>(&self, py: Python<'py>) -> Option<&Bound<'py, PyAny>> {
        self.extra.as_ref().map(|e| e.bind(py))
    }

    pub fn with_two_inputs(mut self, two_inputs: bool) -> Self {
        self.two_inputs = two_inputs;
        self
    }

    pub fn two_inputs(&self) -> bool {
        self.two_inputs
    }

    pub fn operator(&self) -> &str {
        &self.operator
    }

    pub fn with_handle(mut self, handle: Py<PyAny>) -> Self {
        self.handle = Some(handle);
        self
    }

    /// Splits `(OutputTag, value)` items into side outputs, as PyFlink's process functions do.
    pub fn with_side_outputs(mut self) -> Self {
        self.side_outputs = true;
        self
    }

    pub fn call<'py>(&self, py: Python<'py>) -> &Bound<'py, PyAny> {
        self.call.as_ref().expect("function opened before use").bind(py)
    }

    /// Adds which element was being processed to an error the user function raised.
    pub fn failed(&self, py: Python<'_>, err: PyErr, element: &Bound<'_, PyAny>) -> BoxError {
        add_note(py, &err, &format!("while processing element: {}", describe(element)));
        Box::new(err)
    }

    /// Checks a produced value against the declared output type; returns the value as the
    /// type delivers it (FLOAT fields rounded to 32 bits), usually the value itself.
    pub fn check_output<'py>(&self, value: Bound<'py, PyAny>) -> Result<Bound<'py, PyAny>, BoxError> {
        let Some(output) = &self.output else { return Ok(value) };
        output.checked_output(&self.operator, value)
    }

    /// Checks a value yielded to a side output against the type its `OutputTag` declares.
    fn check_side_output<'py>(&self, tag: &Bound<'py, PyAny>, id: u32, value: Bound<'py, PyAny>) -> Result<Bound<'py, PyAny>, BoxError> {
        let py_err = |e: PyErr| Box::new(e) as BoxError;
        let mut types = self.side_types.borrow_mut();
        let index = match types.iter().position(|(t, _)| *t == id) {
            Some(i) => i,
            None => {
                let type_info = tag.getattr("type_info").map_err(py_err)?;
                let output = if type_info.is_none() {
                    None
                } else {
                    let check = TypeCheck::compile(&type_info.call_method0("_check_spec").map_err(py_err)?).map_err(py_err)?;
                    Some(OutputType::new(check, type_info.repr().map_err(py_err)?.to_string()))
                };
                types.push((id, output));
                types.len() - 1
            }
        };
        let Some(output) = &types[index].1 else { return Ok(value) };
        output.checked(&self.operator, value, || {
            let name = tag.getattr("tag_id").map(|t| t.to_string()).unwrap_or_default();
            format!("the type {} of side output '{name}'", output.name)
        })
    }
}

impl Lifecycle for Udf {
    fn open(&mut self, task: &oxflow_core::operator::TaskInfo) -> Result<(), oxflow_core::error::BoxError> {
        Python::attach(|py| -> PyResult<()> {
            let info = PyDict::new(py);
            info.set_item("task_name", &task.task_name)?;
            info.set_item("operator_name", &task.operator_name)?;
            info.set_item("subtask_index", task.subtask_index)?;
            info.set_item("parallelism", task.parallelism)?;
            info.set_item("max_parallelism", task.max_parallelism)?;
            info.set_item("attempt_number", task.attempt_number)?;
            info.set_item("clock", crate::clock::TaskClock { clock: task.clock.clone() })?;
            let handle = self.handle.as_ref().map(|h| h.clone_ref(py)).unwrap_or_else(|| py.None());
            let prepared = py.import(RUNTIME_MODULE)?.call_method1("prepare", (self.spec.bind(py), info, handle))?;
            if self.side_outputs {
                self.output_tag_class = Some(py.import("oxflow.datastream.output_tag")?.getattr("OutputTag")?.unbind());
            }
            let (call, close, extra): (Py<PyAny>, Py<PyAny>, Py<PyAny>) = prepared.extract()?;
            // Broadcast state restored before the function existed goes in now.
            if let Some(state) = self.restored_state.take() {
                let value = crate::data_model::unpickle_bytes(py, &state)?;
                call.bind(py).getattr(intern!(py, "_oxflow_restore_state"))?.call1((value,))?;
            }
            self.call = Some(call);
            self.close = (!close.is_none(py)).then_some(close);
            self.extra = (!extra.is_none(py)).then_some(extra);
            Ok(())
        })
        .map_err(|e| Box::new(e) as BoxError)
    }

    fn snapshot_function_state(&mut self) -> Result<Option<Vec<u8>>, BoxError> {
        let Some(call) = &self.call else { return Ok(None) };
        // SAFETY: snapshots run inside the data model's scope (attached to the interpreter).
        let py = unsafe { Python::assume_attached() };
        let Ok(snapshot) = call.bind(py).getattr(intern!(py, "_oxflow_snapshot_state")) else { return Ok(None) };
        let state = snapshot.call0().map_err(|e| Box::new(e) as BoxError)?;
        let mut out = Vec::new();
        <crate::data_model::PyData as oxflow_core::data::DataModel>::encode_value(&state.unbind(), &mut out)
            .map_err(|e| oxflow_core::error::message(format!("broadcast state: {e}")))?;
        Ok(Some(out))
    }

    fn restore_function_state(&mut self, state: Vec<u8>) -> Result<(), BoxError> {
        self.restored_state = Some(state);
        Ok(())
    }

    fn close(&mut self) -> Result<(), BoxError> {
        match self.close.take() {
            Some(close) => Python::attach(|py| close.call0(py).map(drop)).map_err(|e| Box::new(e) as BoxError),
            None => Ok(()),
        }
    }
}

/// Emits every item of what a flat_map or process function returned (a list, any iterable or a
/// generator; `None` emits nothing).
fn emit_all(udf: &Udf, py: Python<'_>, element: &Bound<'_, PyAny>, result: Bound<'_, PyAny>, emit: &mut dyn FnMut(Py<PyAny>)) -> Result<(), BoxError> {
    emit_tagged(udf, py, element, result, &mut |output, value| {
        if output == 0 {
            emit(value)
        }
    })
}

/// The side output an item goes to: `(OutputTag, value)` items go to the tag's output, checked
/// against the tag's type.
fn side_output<'py>(udf: &Udf, item: &Bound<'py, PyAny>) -> Result<Option<(u32, Bound<'py, PyAny>)>, BoxError> {
    let Some(tag_class) = &udf.output_tag_class else { return Ok(None) };
    let Ok(pair) = item.cast_exact::<pyo3::types::PyTuple>() else { return Ok(None) };
    if pair.len() != 2 {
        return Ok(None);
    }
    let tag = pair.get_item(0).map_err(|e| Box::new(e) as BoxError)?;
    if !tag.is_instance(tag_class.bind(item.py())).map_err(|e| Box::new(e) as BoxError)? {
        return Ok(None);
    }
    let id: u32 = tag.getattr("_oxflow_id").and_then(|i| i.extract()).map_err(|e| Box::new(e) as BoxError)?;
    let value = pair.get_item(1).map_err(|e| Box::new(e) as BoxError)?;
    Ok(Some((id, udf.check_side_output(&tag, id, value)?)))
}

/// Emits every item of what a process function returned, to the main output (checked against the
/// declared type) or, for `(OutputTag, value)` items, to the tag's side output.
pub fn emit_tagged(udf: &Udf, py: Python<'_>, element: &Bound<'_, PyAny>, result: Bound<'_, PyAny>, emit: &mut dyn FnMut(u32, Py<PyAny>)) -> Result<(), BoxError> {
    if result.is_none() {
        return Ok(());
    }
    let mut one = |item: Bound<'_, PyAny>| -> Result<(), BoxError> {
        match side_output(udf, &item)? {
            Some((tag, value)) => emit(tag, value.unbind()),
            None => emit(0, udf.check_output(item)?.unbind()),
        }
        Ok(())
    };
    if let Ok(list) = result.cast::<PyList>() {
        for item in list.iter() {
            one(item)?;
        }
        return Ok(());
    }
    let items = result.try_iter().map_err(|_| -> BoxError {
        Box::new(PyTypeError::new_err(format!(
            "operator '{}' must return an iterable (or be a generator), got {} for element {}",
            udf.operator,
            describe(&result),
            describe(element)
        )))
    })?;
    for item in items {
        one(item.map_err(|e| udf.failed(py, e, element))?)?;
    }
    Ok(())
}

// Calls without an argument tuple. Under the stable ABI (abi3-py39) PyO3's `call1` builds a
// tuple for every call; `PyObject_CallFunctionObjArgs` (limited API) passes the arguments on
// the C stack and CPython vectorcalls the function, as a Python-level call does: no tuple to
// allocate, GC-track and free per element.

/// `f(a)`.
#[inline]
pub fn call_1<'py>(f: &Bound<'py, PyAny>, a: &Bound<'py, PyAny>) -> PyResult<Bound<'py, PyAny>> {
    let null = std::ptr::null_mut::<pyo3::ffi::PyObject>();
    // SAFETY: the GIL is held (`f` is bound); the arguments are borrowed for the call only.
    unsafe { Bound::from_owned_ptr_or_err(f.py(), pyo3::ffi::PyObject_CallFunctionObjArgs(f.as_ptr(), a.as_ptr(), null)) }
}

/// `f(a, b)`.
#[inline]
pub fn call_2<'py>(f: &Bound<'py, PyAny>, a: &Bound<'py, PyAny>, b: &Bound<'py, PyAny>) -> PyResult<Bound<'py, PyAny>> {
    let null = std::ptr::null_mut::<pyo3::ffi::PyObject>();
    // SAFETY: as in `call_1`.
    unsafe { Bound::from_owned_ptr_or_err(f.py(), pyo3::ffi::PyObject_CallFunctionObjArgs(f.as_ptr(), a.as_ptr(), b.as_ptr(), null)) }
}

#[macro_export]
macro_rules! lifecycle_via_udf {
    ($t:ty) => {
        impl Lifecycle for $t {
            fn open(&mut self, task: &oxflow_core::operator::TaskInfo) -> Result<(), oxflow_core::error::BoxError> {
                self.0.open(task)
            }
            fn close(&mut self) -> Result<(), oxflow_core::error::BoxError> {
                self.0.close()
            }
            fn snapshot_function_state(&mut self) -> Result<Option<Vec<u8>>, oxflow_core::error::BoxError> {
                self.0.snapshot_function_state()
            }
            fn restore_function_state(&mut self, state: Vec<u8>) -> Result<(), oxflow_core::error::BoxError> {
                self.0.restore_function_state(state)
            }
        }
    };
}

pub struct PyMap(pub Udf);
pub struct PyFlatMap(pub Udf);
pub struct PyFilter(pub Udf);
pub struct PyKeySelector(pub Udf);
pub struct PyReduce(pub Udf);
lifecycle_via_udf!(PyMap);
lifecycle_via_udf!(PyFlatMap);
lifecycle_via_udf!(PyFilter);
lifecycle_via_udf!(PyKeySelector);
lifecycle_via_udf!(PyReduce);

impl MapFn<PyData> for PyMap {
    fn map(&mut self, value: Py<PyAny>) -> Result<Py<PyAny>, BoxError> {
        let py = unsafe { Python::assume_attached() };
        let v = value.bind(py);
        let out = call_1(self.0.call(py), v).map_err(|e| self.0.failed(py, e, v))?;
        Ok(self.0.check_output(out)?.unbind())
    }
}

impl FlatMapFn<PyData> for PyFlatMap {
    fn flat_map(&mut self, value: Py<PyAny>, emit: &mut dyn FnMut(Py<PyAny>)) -> Result<(), BoxError> {
        let py = unsafe { Python::assume_attached() };
        let v = value.bind(py);
        let result = call_1(self.0.call(py), v).map_err(|e| self.0.failed(py, e, v))?;
        emit_all(&self.0, py, v, result, emit)
    }
}

impl FilterFn<PyData> for PyFilter {
    fn filter(&mut self, value: &Py<PyAny>) -> Result<bool, BoxError> {
        let py = unsafe { Python::assume_attached() };
        let v = value.bind(py);
        let keep = call_1(self.0.call(py), v).map_err(|e| self.0.failed(py, e, v))?;
        keep.is_truthy().map_err(|e| self.0.failed(py, e, v))
    }
}

impl KeySelectorFn<PyData> for PyKeySelector {
    fn key(&mut self, value: &Py<PyAny>) -> Result<(Py<PyAny>, u64), BoxError> {
        let py = unsafe { Python::assume_attached() };
        let v = value.bind(py);
        let key = call_1(self.0.call(py), v).map_err(|e| self.0.failed(py, e, v))?;
        let hash = key.hash().map_err(|_| -> BoxError {
            Box::new(PyTypeError::new_err(format!(
                "the key selector of operator '{}' returned an unhashable key {} for element {}; keys must be hashable (use a tuple instead of a list)",
                self.0.operator,
                describe(&key),
                describe(v)
            )))
        })?;
        Ok((key.unbind(), hash as u64))
    }
}

impl ReduceFn<PyData> for PyReduce {
    fn reduce(&mut self, accumulated: &Py<PyAny>, value: Py<PyAny>) -> Result<Py<PyAny>, BoxError> {
        let py = unsafe { Python::assume_attached() };
        let v = value.bind(py);
        let out = call_2(self.0.call(py), accumulated.bind(py), v).map_err(|e| self.0.failed(py, e, v))?;
        Ok(self.0.check_output(out)?.unbind())
    }
}

/// A sink whose writing is a Python callable taking the batch's values as a list
/// (print to `sys.stdout`, collect to the caller).
pub struct PySink(pub Udf);
lifecycle_via_udf!(PySink);

impl SinkFn<PyData> for PySink {
    fn write(&mut self, records: Vec<Record<PyData>>) -> Result<(), BoxError> {
        let py = unsafe { Python::assume_attached() };
        let values = PyList::new(py, records.into_iter().map(|r| r.value)).map_err(|e| Box::new(e) as BoxError)?;
        self.0.call(py).call1((values,)).map_err(|e| Box::new(e) as BoxError)?;
        Ok(())
    }

    fn finish(&mut self) -> Result<(), BoxError> {
        let py = unsafe { Python::assume_attached() };
        let end = self.0.extra.as_ref().map(|c| c.clone_ref(py));
        if let Some(end) = end {
            end.call0(py).map_err(|e| Box::new(e) as BoxError)?;
        }
        Ok(())
    }
}
