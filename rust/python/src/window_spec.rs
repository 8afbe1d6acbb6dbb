//! Builds the core window operator from a `window` node of the job description: the assigner and
//! trigger specs (`WindowAssigner._spec()`, `Trigger._spec()`), contents and window function.

use std::sync::atomic::AtomicU64;
use std::sync::Arc;

use oxflow_core::error::BoxError;
use oxflow_core::operator::{Operator, OperatorFactory};
use oxflow_core::window::{
    ContinuousEventTimeTrigger, ContinuousProcessingTimeTrigger, CountTrigger, EventTimeTrigger, NeverTrigger,
    ProcessingTimeTrigger, PurgingTrigger, Trigger, WindowAssigner, WindowContents, WindowOperator,
};
use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyTuple};

use crate::data_model::PyData;
use crate::keyed_state::{KeyedStateHandle, WindowStateCall};
use crate::type_check::TypeCheck;
use crate::native_aggregation::{NativeAggregation, NativeCount, WithKey};
use crate::py_trigger::PyTrigger;
use crate::udf::{OutputType, PyReduce, Udf};
use crate::window_udf::{PyAggregate, PyCheckedResult, PyGapExtractor, PyWindowFunction};

fn invalid(e: BoxError) -> PyErr {
    PyValueError::new_err(e.to_string())
}

fn assigner(spec: &Bound<'_, PyTuple>) -> PyResult<WindowAssigner> {
    let kind: String = spec.get_item(0)?.extract()?;
    let n = |i: usize| -> PyResult<i64> { spec.get_item(i)?.extract() };
    Ok(match kind.as_str() {
        "tumbling_event_time" => WindowAssigner::tumbling_event_time(n(1)?, n(2)?).map_err(invalid)?,
        "tumbling_processing_time" => WindowAssigner::tumbling_processing_time(n(1)?, n(2)?).map_err(invalid)?,
        "sliding_event_time" => WindowAssigner::sliding_event_time(n(1)?, n(2)?, n(3)?).map_err(invalid)?,
        "sliding_processing_time" => WindowAssigner::sliding_processing_time(n(1)?, n(2)?, n(3)?).map_err(invalid)?,
        "session_event_time" => WindowAssigner::event_time_session(n(1)?).map_err(invalid)?,
        "session_processing_time" => WindowAssigner::processing_time_session(n(1)?).map_err(invalid)?,
        "dynamic_session_event_time" => WindowAssigner::DynamicEventTimeSession,
        "dynamic_session_processing_time" => WindowAssigner::DynamicProcessingTimeSession,
        "global" => WindowAssigner::Global,
        "count_tumbling" => WindowAssigner::count_tumbling(n(1)?).map_err(invalid)?,
        "count_sliding" => WindowAssigner::count_sliding(n(1)?, n(2)?).map_err(invalid)?,
        other => return Err(PyValueError::new_err(format!("unknown window assigner '{other}'"))),
    })
}

/// Trigger specs are plain data, compiled anew for every parallel instance.
#[derive(Clone, Debug)]
enum TriggerSpec {
    EventTime,
    ProcessingTime,
    Count(i64),
    Purging(Box<TriggerSpec>),
    ContinuousEventTime(i64),
    ContinuousProcessingTime(i64),
    Never,
    /// A user-defined Python trigger (its function spec).
    Python(std::sync::Arc<Py<PyAny>>),
}

impl TriggerSpec {
    fn parse(spec: &Bound<'_, PyTuple>) -> PyResult<TriggerSpec> {
        let kind: String = spec.get_item(0)?.extract()?;
        Ok(match kind.as_str() {
            "event_time" => TriggerSpec::EventTime,
            "processing_time" => TriggerSpec::ProcessingTime,
            "count" => TriggerSpec::Count(spec.get_item(1)?.extract()?),
            "purging" => TriggerSpec::Purging(Box::new(TriggerSpec::parse(spec.get_item(1)?.cast::<PyTuple>()?)?)),
            "continuous_event_time" => TriggerSpec::ContinuousEventTime(spec.get_item(1)?.extract()?),
            "continuous_processing_time" => TriggerSpec::ContinuousProcessingTime(spec.get_item(1)?.extract()?),
            "never" => TriggerSpec::Never,
            "python" => TriggerSpec::Python(std::sync::Arc::new(spec.get_item(1)?.unbind())),
            other => return Err(PyValueError::new_err(format!("unknown trigger '{other}'"))),
        })
    }

    fn build(&self) -> Result<Box<dyn Trigger<PyData>>, BoxError> {
        Ok(match self {
            TriggerSpec::EventTime => Box::new(EventTimeTrigger),
            TriggerSpec::ProcessingTime => Box::new(ProcessingTimeTrigger),
            TriggerSpec::Count(n) => Box::new(CountTrigger::of(*n)),
            TriggerSpec::Purging(inner) => Box::new(PurgingTrigger::of(inner.build()?)),
            TriggerSpec::ContinuousEventTime(i) => Box::new(ContinuousEventTimeTrigger::of(*i)?),
            TriggerSpec::ContinuousProcessingTime(i) => Box::new(ContinuousProcessingTimeTrigger::of(*i)?),
            TriggerSpec::Never => Box::new(NeverTrigger),
            TriggerSpec::Python(spec) => Python::attach(|py| -> Result<Box<dyn Trigger<PyData>>, BoxError> {
                let can_merge = spec
                    .bind(py)
                    .getattr("function")
                    .and_then(|f| f.call_method0("can_merge"))
                    .and_then(|v| v.is_truthy())
                    .map_err(|e| Box::new(e) as BoxError)?;
                Ok(Box::new(PyTrigger::new(Udf::new(spec.clone_ref(py), "Trigger".into(), None), can_merge)))
            })?,
        })
    }
}

fn optional<'py>(node: &Bound<'py, PyDict>, key: &str) -> PyResult<Option<Bound<'py, PyAny>>> {
    Ok(node.get_item(key)?.filter(|v| !v.is_none()))
}

/// The factory of a `window` node; `late_dropped` counts the late elements it drops.
pub fn window_factory(node: &Bound<'_, PyDict>, name: &str, late_dropped: Arc<AtomicU64>) -> PyResult<OperatorFactory<PyData>> {
    let py = node.py();
    let assigner_spec = node.get_item("assigner")?.ok_or_else(|| PyValueError::new_err("window node without assigner"))?;
    let assigner = assigner(assigner_spec.cast::<PyTuple>()?)?;
    let trigger = optional(node, "trigger")?.map(|t| TriggerSpec::parse(t.cast::<PyTuple>()?)).transpose()?;
    let contents: String = node.get_item("contents")?.map(|c| c.extract()).transpose()?.unwrap_or_else(|| "buffer".into());
    let function = optional(node, "function")?.map(Bound::unbind);
    let window_function = optional(node, "window_function")?.map(Bound::unbind);
    let allowed_lateness: i64 = optional(node, "allowed_lateness")?.map(|v| v.extract()).transpose()?.unwrap_or(0);
    let late_output: Option<u32> = optional(node, "late_output")?.map(|v| v.extract()).transpose()?;
    let evictor: Option<usize> = optional(node, "evictor")?.map(|v| v.extract()).transpose()?;
    let gap_function = optional(node, "gap_function")?.map(|spec| spec.getattr("function").map(Bound::unbind)).transpose()?;
    let output = match optional(node, "output_check")? {
        Some(check) => Some((TypeCheck::compile(&check)?, node.get_item("output_type_name")?.map(|n| n.to_string()).unwrap_or_default())),
        None => None,
    };
    // `count()` (an oxflow extension): counted in Rust; a keyed count emits (key, count).
    let count = match optional(node, "count")? {
        Some(with_key) => Some(with_key.extract::<bool>()?),
        None => None,
    };
    let aggregation = crate::job_spec::native_aggregation(node, name)?;
    let reduces_to_input_type = optional(node, "reduces_to_input_type")?.map(|v| v.extract::<bool>()).transpose()?.unwrap_or(false);
    if contents != "buffer" && function.is_none() && aggregation.is_none() && count.is_none() {
        return Err(PyValueError::new_err(format!("window '{name}' needs its {contents} function")));
    }
    let _ = py;
    let name = name.to_string();
    Ok(Box::new(move |task| -> Result<Box<dyn Operator<PyData>>, BoxError> {
        Python::attach(|py| {
            let output_type = || output.as_ref().map(|(check, type_name)| OutputType::new(check.clone(), type_name.clone()));
            let udf = |spec: &Py<PyAny>, checked: bool| Udf::new(spec.clone_ref(py), name.clone(), if checked { output_type() } else { None });
            // Without a window function the reduce/aggregate result is the output: check it.
            let result_is_output = window_function.is_none();
            let contents_is_reduce = contents == "reduce";
            let contents = match contents.as_str() {
                "reduce" if aggregation.is_some() => {
                    let (aggregation, field, operator) = aggregation.clone().expect("checked");
                    WindowContents::Reduce(Box::new(NativeAggregation { aggregation, field, operator }))
                }
                // Of the input type, each reduced value is checked as the function returns it (the
                // elements themselves conform already); otherwise the window's result is checked
                // where the window emits it (`PyCheckedResult`).
                "reduce" => WindowContents::Reduce(Box::new(PyReduce(udf(function.as_ref().expect("checked"), reduces_to_input_type)))),
                "aggregate" if count.is_some() => WindowContents::Aggregate(Box::new(NativeCount)),
                "aggregate" => WindowContents::Aggregate(Box::new(PyAggregate(udf(function.as_ref().expect("checked"), result_is_output)))),
                _ => WindowContents::Buffer,
            };
            let trigger = match &trigger {
                Some(spec) => spec.build()?,
                None => assigner.default_trigger(),
            };
            let mut op = WindowOperator::new(assigner.clone(), trigger, contents)
                .for_task(task)?
                .allowed_lateness(allowed_lateness)
                .late_dropped_counter(late_dropped.clone());
            if let Some(spec) = &window_function {
                let call = Arc::new(WindowStateCall::default());
                let handle = Py::new(py, KeyedStateHandle::for_window(call.clone()))?.into_any();
                op = op.window_fn(Box::new(PyWindowFunction(udf(spec, true).with_handle(handle), call)));
            } else if let (true, false, Some(output)) = (contents_is_reduce, reduces_to_input_type, output_type()) {
                op = op.window_fn(Box::new(PyCheckedResult { output, operator: name.clone() }));
            }
            if count == Some(true) {
                op = op.window_fn(Box::new(WithKey));
            }
            if let Some(tag) = late_output {
                op = op.late_output_tag(tag);
            }
            if let Some(n) = evictor {
                op = op.count_evictor(n);
            }
            if let Some(call) = &gap_function {
                let mut gap = PyGapExtractor { call: call.clone_ref(py), operator: name.clone() };
                op = op.dynamic_gap(Box::new(move |value| gap.gap(value)));
            }
            op.validate()?;
            Ok(Box::new(op) as Box<dyn Operator<PyData>>)
        })
    }))
}

