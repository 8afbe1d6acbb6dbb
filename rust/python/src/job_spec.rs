//! Turns the job description the Python API builds (a list of node dicts) into a core job graph.
//!
//! Node dict keys: `name`, `parallelism`, `kind`, `inputs` (list of `(node_index, partitioning,
//! port)`), plus per kind: `values` (collection), `poll` (python_poll: a callable giving the next elements), `start`/`end` (number_sequence), `paths`
//! (text_file), `function` and optional `output_check`/`output_type_name` (map, flat_map, filter,
//! key_by, reduce, process, python_sink), `path`/`part_prefix`/`part_suffix`/`bucket`/`encoder`
//! (file_sink).
//!
//! Job config keys: `max_parallelism`, `chaining`, `batch_size`, `checkpoint`, `restore`,
//! `state_backend` (`"hashmap"` or `"rocksdb"`; absent: hashmap) and `state_dir` (where RocksDB
//! keeps its files; absent: the temporary directory), `incremental_checkpoints` (RocksDB
//! checkpoints store only new files; absent: true).

use std::path::PathBuf;
use std::sync::atomic::AtomicU64;
use std::sync::Arc;

use oxflow_connectors::{collection, file_sink, number_sequence, text_file};
use oxflow_core::checkpoint::protocol::CoordinatorConfig;
use oxflow_core::checkpoint::runtime::{CheckpointSettings, RestoreSettings};
use oxflow_core::checkpoint::storage::{load_snapshot, LocalStorage};
use oxflow_core::error::BoxError;
use oxflow_core::restart::RestartStrategy;
use std::time::Duration;
use oxflow_core::graph::{Edge, JobConfig, JobGraph, Partitioning};
use oxflow_core::operator::{Operator, OperatorFactory, TaskInfo};
use oxflow_core::operators::{
    FilterOperator, FlatMapOperator, ForwardOperator, KeyByOperator, KeyedProcessOperator, KeyedReduceOperator,
    MapOperator, ProcessOperator, SelectOutputOperator, SinkOperator, TimestampsAndWatermarksOperator,
    WatermarkEmission,
};
use oxflow_core::state::{KeyedContext, KvEngineFactory};
use oxflow_core::time::{WatermarkGenerator, WatermarkStrategy};
use pyo3::exceptions::{PyFileNotFoundError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyString};

use crate::data_model::PyData;
use crate::type_check::TypeCheck;
use crate::window_spec::window_factory;
use crate::keyed_state::KeyedStateHandle;
use crate::native_aggregation::{Aggregation, NativeAggregation};
use crate::process_udf::{PyKeyedProcess, PyProcess, PyTimestampAssigner};
use crate::udf::{OutputType, PyFilter, PyFlatMap, PyKeySelector, PyMap, PyReduce, PySink, Udf};

fn item<'py>(node: &Bound<'py, PyDict>, key: &str) -> PyResult<Bound<'py, PyAny>> {
    node.get_item(key)?.ok_or_else(|| PyValueError::new_err(format!("job node is missing '{key}'")))
}

/// Whether a node reads two logical inputs (a connect).
fn two_inputs(node: &Bound<'_, PyDict>) -> PyResult<bool> {
    Ok(node.get_item("two_inputs")?.map(|v| v.is_truthy()).transpose()?.unwrap_or(false))
}

fn partitioning(name: &str) -> PyResult<Partitioning> {
    Ok(match name {
        "forward" => Partitioning::Forward,
        "rebalance" => Partitioning::Rebalance,
        "rescale" => Partitioning::Rescale,
        "shuffle" => Partitioning::Shuffle,
        "hash" => Partitioning::Hash,
        "broadcast" => Partitioning::Broadcast,
        "global" => Partitioning::Global,
        other => return Err(PyValueError::new_err(format!("unknown partitioning '{other}'"))),
    })
}

/// Builds the operator factory of a node whose operator wraps one Python function.
fn udf_factory<F>(node: &Bound<'_, PyDict>, name: &str, build: F) -> PyResult<OperatorFactory<PyData>>
where
    F: Fn(Udf, &TaskInfo) -> Result<Box<dyn Operator<PyData>>, BoxError> + Send + Sync + 'static,
{
    let spec = item(node, "function")?.unbind();
    let output = match node.get_item("output_check")? {
        Some(check) if !check.is_none() => Some((
            TypeCheck::compile(&check)?,
            node.get_item("output_type_name")?.map(|n| n.to_string()).unwrap_or_default(),
        )),
        _ => None,
    };
    let name = name.to_string();
    Ok(Box::new(move |task| {
        let spec = Python::attach(|py| spec.clone_ref(py));
        let output = output.as_ref().map(|(check, type_name)| OutputType::new(check.clone(), type_name.clone()));
        build(Udf::new(spec, name.clone(), output), task)
    }))
}

fn to_py(e: BoxError) -> PyErr {
    crate::errors::unboxed(e, PyValueError::new_err)
}

/// Counters a job exposes as metrics (Flink's names), per operator.
#[derive(Default)]
pub struct JobMetrics {
    pub late_records_dropped: Vec<(String, Arc<AtomicU64>)>,
}

/// Reads the whole job description.
pub fn build_graph(job_name: &str, nodes: &Bound<'_, PyAny>, config: &Bound<'_, PyDict>) -> PyResult<(JobGraph<PyData>, JobMetrics)> {
    let mut graph = JobGraph::new(job_name);
    let mut metrics = JobMetrics::default();
    if let Some(v) = config.get_item("max_parallelism")? {
        if !v.is_none() {
            graph.config.max_parallelism = Some(v.extract()?);
        }
    }
    if let Some(v) = config.get_item("chaining")? {
        graph.config.chaining = v.extract()?;
    }
    if let Some(c) = config.get_item("clock")?.filter(|c| !c.is_none()) {
        graph.config.clock = c.extract::<PyRef<'_, crate::clock::PyManualClock>>()?.shared();
    }
    if let Some(v) = config.get_item("batch_size")? {
        graph.config.batch_size = v.extract()?;
    }
    fault_tolerance(config, &mut graph.config)?;
    for node in nodes.try_iter()? {
        let node = node?;
        let node = node.cast::<PyDict>()?;
        let uid: Option<String> = node.get_item("uid")?.map(|u| u.extract()).transpose()?;
        let name: String = item(node, "name")?.extract()?;
        let parallelism: usize = item(node, "parallelism")?.extract()?;
        let kind: String = item(node, "kind")?.extract()?;
        let mut inputs = Vec::new();
        for input in item(node, "inputs")?.try_iter()? {
            let (from, part, port): (usize, String, usize) = input?.extract()?;
            inputs.push(Edge { from, partitioning: partitioning(&part)?, port });
        }
        let make_int: Arc<dyn Fn(i64) -> Py<PyAny> + Send + Sync> =
            Arc::new(|n| Python::attach(|py| n.into_pyobject(py).expect("ints convert").into_any().unbind()));
        let make_str: Arc<dyn Fn(String) -> Py<PyAny> + Send + Sync> =
            Arc::new(|s| Python::attach(|py| PyString::new(py, &s).into_any().unbind()));
        match kind.as_str() {
            "collection" => {
                let values: Vec<Py<PyAny>> = item(node, "values")?.extract()?;
                graph.add_source(name, parallelism, collection::CollectionSource::factory(Arc::new(values)));
            }
            "number_sequence" => {
                let (start, end): (i64, i64) = (item(node, "start")?.extract()?, item(node, "end")?.extract()?);
                number_sequence::validate(start, end).map_err(to_py)?;
                graph.add_source(name, parallelism, number_sequence::factory(start, end, make_int));
            }
            "python_poll" => {
                let poll: Py<PyAny> = item(node, "poll")?.extract()?;
                graph.add_source(name, 1, crate::table_bridge::python_poll_factory(poll));
            }
            "text_file" => {
                let paths: Vec<PathBuf> = item(node, "paths")?.extract()?;
                let files = text_file::list_files(&paths).map_err(|e| PyFileNotFoundError::new_err(e.to_string()))?;
                graph.add_source(name, parallelism, text_file::factory(files, make_str));
            }
            _ => {
                let factory = if kind == "window" {
                    let counter = Arc::new(AtomicU64::new(0));
                    metrics.late_records_dropped.push((name.clone(), counter.clone()));
                    window_factory(node, &name, counter)?
                } else {
                    operator_factory(node, &name, &kind)?
                };
                graph.add_operator(name, parallelism, factory, inputs).map_err(|e| PyValueError::new_err(e.to_string()))?;
            }
        }
        if let Some(last) = graph.nodes.last_mut() {
            last.uid = uid;
        }
    }
    Ok((graph, metrics))
}

/// The fault-tolerance keys of a job config (`checkpoint`, `restart`, `restore`,
/// `state_backend`, `incremental_checkpoints`, `state_dir`) into `job`; DataStream and SQL jobs
/// alike.
pub fn fault_tolerance(config: &Bound<'_, PyDict>, job: &mut JobConfig) -> PyResult<()> {
    if let Some(c) = config.get_item("checkpoint")?.filter(|c| !c.is_none()) {
        job.checkpoint = Some(checkpoint_settings(c.cast::<PyDict>()?)?);
    }
    if let Some(r) = config.get_item("restart")?.filter(|r| !r.is_none()) {
        job.restart = restart_strategy(r.cast::<PyDict>()?)?;
    }
    if let Some(r) = config.get_item("restore")?.filter(|r| !r.is_none()) {
        job.restore = Some(restore_settings(r.cast::<PyDict>()?)?);
    }
    if let Some(b) = config.get_item("state_backend")?.filter(|b| !b.is_none()) {
        let incremental = match config.get_item("incremental_checkpoints")?.filter(|i| !i.is_none()) {
            Some(i) => i.extract::<bool>()?,
            None => true,
        };
        job.state_backend = state_backend(&b.extract::<String>()?, incremental)?;
    }
    if let Some(d) = config.get_item("state_dir")?.filter(|d| !d.is_none()) {
        job.state_dir = Some(d.extract()?);
    }
    Ok(())
}

/// `config["checkpoint"]`: what the Python API resolved from `enable_checkpointing`, the
/// `CheckpointConfig` and Flink's configuration keys.
fn checkpoint_settings(c: &Bound<'_, PyDict>) -> PyResult<CheckpointSettings> {
    let get = |key: &str| item(c, key);
    Ok(CheckpointSettings {
        coordinator: CoordinatorConfig {
            interval_ms: get("interval_ms")?.extract()?,
            min_pause_ms: get("min_pause_ms")?.extract()?,
            timeout_ms: get("timeout_ms")?.extract()?,
            max_concurrent: get("max_concurrent")?.extract()?,
            tolerable_failures: get("tolerable_failures")?.extract()?,
            retained: get("retained")?.extract()?,
        },
        dir: get("dir")?.extract()?,
        job_id: get("job_id")?.extract()?,
        retain_on_cancellation: get("retain_on_cancellation")?.extract()?,
        storage: Arc::new(LocalStorage),
    })
}

/// `config["state_backend"]`: where keyed state lives (`None`: in memory).
/// `incremental`: `config["incremental_checkpoints"]` (RocksDB checkpoints store new files only).
#[cfg_attr(not(feature = "rocksdb"), allow(unused_variables))]
fn state_backend(name: &str, incremental: bool) -> PyResult<Option<Arc<dyn KvEngineFactory>>> {
    match name {
        "hashmap" => Ok(None),
        #[cfg(feature = "rocksdb")]
        "rocksdb" => {
            let config = oxflow_state_rocksdb::RocksDbConfig { incremental, ..Default::default() };
            Ok(Some(Arc::new(oxflow_state_rocksdb::RocksDbFactory::new(config))))
        }
        #[cfg(not(feature = "rocksdb"))]
        "rocksdb" => Err(PyValueError::new_err(
            "state.backend.type 'rocksdb': this build of oxflow has no RocksDB state backend (its native module was built without the 'rocksdb' cargo feature); use 'hashmap' or rebuild with the feature",
        )),
        other => Err(PyValueError::new_err(format!("unknown state backend '{other}' (expected 'hashmap' or 'rocksdb')"))),
    }
}

/// `config["restart"]`: `{"type": "none" | "fixed-delay" | "failure-rate" | "exponential-delay",
/// ...}` with the strategy's settings in milliseconds, resolved by the Python API.
fn restart_strategy(r: &Bound<'_, PyDict>) -> PyResult<RestartStrategy> {
    let ms = |key: &str| -> PyResult<Duration> { Ok(Duration::from_millis(item(r, key)?.extract::<u64>()?)) };
    Ok(match item(r, "type")?.extract::<String>()?.as_str() {
        "none" => RestartStrategy::None,
        "fixed-delay" => RestartStrategy::FixedDelay { attempts: item(r, "attempts")?.extract()?, delay: ms("delay_ms")? },
        "failure-rate" => RestartStrategy::FailureRate {
            max_failures: item(r, "max_failures")?.extract()?,
            interval: ms("interval_ms")?,
            delay: ms("delay_ms")?,
        },
        "exponential-delay" => RestartStrategy::ExponentialDelay {
            initial: ms("initial_ms")?,
            max: ms("max_ms")?,
            multiplier: item(r, "multiplier")?.extract()?,
            reset_threshold: ms("reset_threshold_ms")?,
            attempts: item(r, "attempts")?.extract()?,
        },
        other => return Err(PyValueError::new_err(format!("unknown restart strategy '{other}'"))),
    })
}

/// `config["restore"]`: the snapshot to start from. A missing or corrupt snapshot raises here,
/// before the job starts, naming the file: never a silent fresh start.
fn restore_settings(r: &Bound<'_, PyDict>) -> PyResult<RestoreSettings> {
    let path: PathBuf = item(r, "path")?.extract()?;
    let snapshot = load_snapshot(&LocalStorage, &path).map_err(|e| crate::errors::JobExecutionError::new_err(e.to_string()))?;
    Ok(RestoreSettings { snapshot: Arc::new(snapshot), ignore_unclaimed: item(r, "ignore_unclaimed")?.extract()? })
}

/// A built-in aggregation (`"aggregation": (name, field)`) instead of a Python function.
pub fn native_aggregation(node: &Bound<'_, PyDict>, name: &str) -> PyResult<Option<(Aggregation, usize, String)>> {
    let Some(spec) = node.get_item("aggregation")?.filter(|v| !v.is_none()) else { return Ok(None) };
    let (kind, field): (String, usize) = spec.extract()?;
    let aggregation = Aggregation::parse(&kind).ok_or_else(|| PyValueError::new_err(format!("unknown aggregation '{kind}'")))?;
    Ok(Some((aggregation, field, name.to_string())))
}

/// `assign_timestamps_and_watermarks`: an optional Python timestamp assigner and the strategy.
fn timestamps_factory(node: &Bound<'_, PyDict>, name: &str) -> PyResult<OperatorFactory<PyData>> {
    let delay: Option<i64> = item(node, "out_of_orderness_ms")?.extract()?;
    let strategy = match delay {
        Some(ms) => WatermarkStrategy::BoundedOutOfOrderness { max_out_of_orderness_ms: ms },
        None => WatermarkStrategy::None,
    };
    let emission = match item(node, "emission")?.extract::<String>()?.as_str() {
        "on_event" => WatermarkEmission::OnEvent,
        "disabled" => WatermarkEmission::Disabled,
        _ => match item(node, "interval_ms")?.extract::<i64>()? {
            0 => WatermarkEmission::Disabled,
            interval_ms => WatermarkEmission::Periodic { interval_ms },
        },
    };
    let idle_timeout_ms: Option<i64> = node.get_item("idle_timeout_ms")?.map(|v| v.extract()).transpose()?.flatten();
    let has_assigner = !item(node, "function")?.is_none();
    let build = move |udf: Option<Udf>| -> Result<Box<dyn Operator<PyData>>, BoxError> {
        Ok(Box::new(
            TimestampsAndWatermarksOperator::new(udf.map(PyTimestampAssigner), WatermarkGenerator::new(strategy.clone()), emission)
                .with_idle_timeout(idle_timeout_ms),
        ))
    };
    if has_assigner {
        udf_factory(node, name, move |f, _| build(Some(f)))
    } else {
        Ok(Box::new(move |_| build(None)))
    }
}

fn operator_factory(node: &Bound<'_, PyDict>, name: &str, kind: &str) -> PyResult<OperatorFactory<PyData>> {
    fn boxed(op: impl Operator<PyData> + 'static) -> Result<Box<dyn Operator<PyData>>, BoxError> {
        Ok(Box::new(op))
    }
    Ok(match kind {
        "map" => udf_factory(node, name, |f, _| boxed(MapOperator::new(PyMap(f))))?,
        "flat_map" => udf_factory(node, name, |f, _| boxed(FlatMapOperator::new(PyFlatMap(f))))?,
        "filter" => udf_factory(node, name, |f, _| boxed(FilterOperator::new(PyFilter(f))))?,
        "key_by" => udf_factory(node, name, |f, _| boxed(KeyByOperator::new(PyKeySelector(f))))?,
        "reduce" => {
            let final_only = matches!(node.get_item("emit")?, Some(e) if e.extract::<String>()? == "final");
            match native_aggregation(node, name)? {
                Some(aggregation) => Box::new(move |task| {
                    let f = NativeAggregation { aggregation: aggregation.0, field: aggregation.1, operator: aggregation.2.clone() };
                    boxed(KeyedReduceOperator::<PyData, _>::new(f).for_task(task)?.final_only(final_only))
                }),
                None => udf_factory(node, name, move |f, task| {
                    boxed(KeyedReduceOperator::<PyData, _>::new(PyReduce(f)).for_task(task)?.final_only(final_only))
                })?,
            }
        }
        "process" => {
            let two = two_inputs(node)?;
            udf_factory(node, name, move |f, _| boxed(ProcessOperator::new(PyProcess(f.with_side_outputs().with_two_inputs(two)))))?
        }
        "keyed_process" => {
            let two = two_inputs(node)?;
            udf_factory(node, name, move |f, task| {
                let context = KeyedContext::for_task(task)?;
                let handle = Python::attach(|py| Py::new(py, KeyedStateHandle::new(context.clone())).map(|h| h.into_any()))
                    .expect("a state handle can be created");
                boxed(KeyedProcessOperator::new(PyKeyedProcess(f.with_handle(handle).with_side_outputs().with_two_inputs(two)), context))
            })?
        }
        "timestamps" => timestamps_factory(node, name)?,
        "select_output" => {
            let output: u32 = item(node, "output")?.extract()?;
            Box::new(move |_| boxed(SelectOutputOperator::new(output)))
        }
        "python_sink" => udf_factory(node, name, |f, _| boxed(SinkOperator::new(PySink(f))))?,
        // The end of a stream feeding a table (`from_data_stream`).
        "table_feed" => crate::table_bridge::feed_factory(item(node, "feed")?.extract()?, item(node, "to_row")?.unbind()),
        "union" => Box::new(|_| boxed(ForwardOperator)),
        "file_sink" => {
            let mut config = file_sink::FileSinkConfig::new(item(node, "path")?.extract::<PathBuf>()?);
            config.part_prefix = item(node, "part_prefix")?.extract()?;
            config.part_suffix = item(node, "part_suffix")?.extract()?;
            if let Some(size) = node.get_item("max_part_size")? {
                if !size.is_none() {
                    config.max_part_size = size.extract()?;
                }
            }
            if item(node, "bucket")?.extract::<String>()? == "base_path" {
                config.bucket_format = file_sink::BucketFormat::BasePath;
            }
            config.validate().map_err(to_py)?;
            let encoder = Arc::new(item(node, "encoder")?.unbind());
            file_sink::factory(
                config,
                Arc::new(move || {
                    let encoder = encoder.clone();
                    Box::new(move |value: &Py<PyAny>, out: &mut Vec<u8>| -> Result<(), BoxError> {
                        let py = unsafe { Python::assume_attached() };
                        let text = encoder.bind(py).call1((value.bind(py),)).map_err(|e| Box::new(e) as BoxError)?;
                        let text = text.cast::<PyString>().map_err(|e| Box::new(PyErr::from(e)) as BoxError)?;
                        out.extend_from_slice(text.to_cow().map_err(|e| Box::new(e) as BoxError)?.as_bytes());
                        Ok(())
                    })
                }),
            )
        }
        other => return Err(PyValueError::new_err(format!("unknown node kind '{other}'"))),
    })
}
