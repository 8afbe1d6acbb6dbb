//! The table environment's native side: a SQL session (catalog, functions, configuration) and
//! the jobs its queries and inserts run as. Converts and calls; the SQL engine is oxflow-sql.

use std::sync::atomic::Ordering;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use crossbeam_channel::{Receiver, RecvTimeoutError};
use oxflow_sql::arrow_bridge;
use oxflow_sql::catalog::InlineTable;
use oxflow_sql::exec::build::{start, JobSettings, SinkTarget, SqlJob};
use oxflow_sql::exec::data::ChangeBatch;
use oxflow_sql::format::Tableau;
use oxflow_sql::session::{InsertPlan, Outcome, QueryPlan, TableSession};
use oxflow_sql::types::parse_type;
use oxflow_sql::SqlError;
use pyo3::exceptions::PyException;
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyList};

use crate::errors::to_py_err;

pyo3::create_exception!(_native, TableException, PyException, "A table program failed: planning, a connector, or a running query.");
pyo3::create_exception!(_native, ValidationException, TableException, "A statement is not valid: unknown names, types that do not fit, bad grouping.");
pyo3::create_exception!(_native, SqlParserException, TableException, "SQL text that does not parse; the message names line and column.");

pub fn sql_err(e: SqlError) -> PyErr {
    match e {
        SqlError::Parse(_) => SqlParserException::new_err(e.to_string()),
        SqlError::NotFound(_) | SqlError::Validation(_) | SqlError::Type(_) => ValidationException::new_err(e.to_string()),
        _ => TableException::new_err(e.to_string()),
    }
}

const SIGNAL_CHECK: Duration = Duration::from_millis(50);

/// Writes printed lines to Python's `sys.stdout` (or `sys.stderr`), taking the GIL once per call.
fn python_writer() -> oxflow_sql::connector::sinks::LineWriter {
    Arc::new(|text: &str, stderr: bool| {
        Python::attach(|py| {
            let stream = if stderr { "stderr" } else { "stdout" };
            if let Ok(s) = py.import("sys").and_then(|sys| sys.getattr(stream)) {
                let _ = s.call_method1("write", (text,));
            }
        })
    })
}

/// Column names and their Flink type texts as typed columns.
fn parse_columns(names: Vec<String>, types: &[String]) -> PyResult<Vec<(String, oxflow_sql::types::Typed)>> {
    names.into_iter().zip(types).map(|(n, t)| Ok((n, parse_type(t).map_err(sql_err)?))).collect()
}

#[pyclass(module = "oxflow._native")]
pub struct TableSessionHandle {
    session: Mutex<TableSession>,
}

impl TableSessionHandle {
    fn lock(&self) -> std::sync::MutexGuard<'_, TableSession> {
        self.session.lock().unwrap_or_else(|p| p.into_inner())
    }
}

/// A planned query: its columns, and how to run it.
#[pyclass(module = "oxflow._native")]
pub struct QueryHandle {
    plan: QueryPlan,
}

#[pyclass(module = "oxflow._native")]
pub struct InsertHandle {
    plans: Vec<InsertPlan>,
}

#[pymethods]
impl TableSessionHandle {
    #[new]
    fn new() -> Self {
        TableSessionHandle { session: Mutex::new(TableSession::default()) }
    }

    /// Runs one statement's planning: returns `("rows", columns, rows)`, `("query", QueryHandle)`,
    /// `("insert", InsertHandle)`, `("explain", text)` or `("function", name, identifier, language, if_not_exists)`.
    fn execute<'py>(&self, py: Python<'py>, sql: &str) -> PyResult<Bound<'py, PyAny>> {
        let outcome = py.detach(|| self.lock().execute(sql)).map_err(sql_err)?;
        Ok(match outcome {
            Outcome::Rows { columns, rows } => ("rows", columns, rows).into_pyobject(py)?.into_any(),
            Outcome::Query(plan) => ("query", Py::new(py, QueryHandle { plan })?).into_pyobject(py)?.into_any(),
            Outcome::Insert(plans) => ("insert", Py::new(py, InsertHandle { plans })?).into_pyobject(py)?.into_any(),
            Outcome::Explain(text) => ("explain", text).into_pyobject(py)?.into_any(),
            Outcome::CreateFunction { name, identifier, language, if_not_exists } => {
                ("function", name, identifier, language, if_not_exists).into_pyobject(py)?.into_any()
            }
        })
    }

    /// Plans a SELECT (`sql_query`).
    fn query(&self, py: Python<'_>, sql: &str) -> PyResult<QueryHandle> {
        let plan = py.detach(|| self.lock().plan_query(sql)).map_err(sql_err)?;
        Ok(QueryHandle { plan })
    }

    fn set_option(&self, key: &str, value: &str) {
        self.lock().config.insert(key.to_string(), value.to_string());
    }

    fn get_option(&self, key: &str) -> Option<String> {
        self.lock().config.get(key).cloned()
    }

    fn options<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        let d = PyDict::new(py);
        for (k, v) in &self.lock().config {
            d.set_item(k, v)?;
        }
        Ok(d)
    }

    /// Registers rows given by the program under a fresh table name, returned.
    fn register_rows(&self, names: Vec<String>, types: Vec<String>, rows: &Bound<'_, PyAny>) -> PyResult<String> {
        let columns = parse_columns(names, &types)?;
        let batch = crate::table_values::batch_of_rows(&columns, rows)?;
        self.lock().register_inline(InlineTable { columns, batches: vec![batch], feed: None, rowtime: None }).map_err(sql_err)
    }

    /// Registers Arrow batches (`from_pandas`) under a fresh table name, returned; their columns
    /// are cast to `types` by position.
    fn register_arrow(&self, py: Python<'_>, names: Vec<String>, types: Vec<String>, batches: Vec<Bound<'_, PyAny>>) -> PyResult<String> {
        let columns = parse_columns(names, &types)?;
        let batches = batches.iter().map(crate::table_arrow::from_pyarrow).collect::<PyResult<Vec<_>>>()?;
        py.detach(|| {
            let batches = batches.iter().map(|b| arrow_bridge::conform(&columns, b)).collect::<Result<Vec<_>, _>>()?;
            self.lock().register_inline(InlineTable { columns, batches, feed: None, rowtime: None })
        })
        .map_err(sql_err)
    }

    /// Registers a table fed while its job runs (`from_data_stream`): returns its fresh name and
    /// the feed that takes the DataStream's rows. `rowtime`: a last column (name, type) of the
    /// elements' timestamps, the table's time attribute with the stream's watermarks if
    /// `source_watermark`.
    #[pyo3(signature = (names, types, rowtime=None, source_watermark=false))]
    fn register_feed(&self, names: Vec<String>, types: Vec<String>, rowtime: Option<(String, String)>, source_watermark: bool) -> PyResult<(String, crate::table_bridge::TableFeed)> {
        let physical = parse_columns(names, &types)?;
        let rowtime = match rowtime {
            Some((name, ty)) => Some((name, parse_type(&ty).map_err(sql_err)?)),
            None => None,
        };
        let mut columns = physical.clone();
        columns.extend(rowtime.clone());
        let time_attribute = (source_watermark && rowtime.is_some()).then_some(columns.len() - 1);
        let (handle, feed) = crate::table_bridge::TableFeed::new(physical, rowtime);
        let table = InlineTable { columns, batches: Vec::new(), feed: Some(feed), rowtime: time_attribute };
        let name = self.lock().register_inline(table).map_err(sql_err)?;
        Ok((name, handle))
    }

    /// `create_temporary_view(name, table)`: a view of a query.
    fn create_view(&self, name: &str, sql: &str) -> PyResult<()> {
        self.lock().create_view_of(name, sql).map_err(sql_err)
    }

    fn drop_view(&self, name: &str) -> PyResult<bool> {
        Ok(self.lock().catalog.drop(&[name.to_string()], false, true).is_ok())
    }

    /// Registers a Python scalar function under `name` (`create_temporary_system_function`);
    /// `pandas`: called once per batch with pyarrow arrays (see `table_udf`).
    #[pyo3(signature = (name, function, input_types, result_type, deterministic=true, pandas=false))]
    fn register_function(&self, name: &str, function: Py<PyAny>, input_types: Option<Vec<String>>, result_type: &str, deterministic: bool, pandas: bool) -> PyResult<()> {
        let inputs = parse_types(input_types)?;
        let result = parse_type(result_type).map_err(sql_err)?;
        let udf = crate::table_udf::registered(name, function, inputs, result, deterministic, pandas);
        self.lock().functions.register_scalar(name, udf);
        Ok(())
    }

    /// Registers a Python aggregate function: an `AggregateFunction` object, or with `pandas`
    /// a callable from one pyarrow array per argument to the aggregate's value.
    #[pyo3(signature = (name, function, input_types, result_type, pandas=false, retracts=false))]
    fn register_aggregate_function(&self, name: &str, function: Py<PyAny>, input_types: Option<Vec<String>>, result_type: &str, pandas: bool, retracts: bool) -> PyResult<()> {
        let inputs = parse_types(input_types)?;
        let result = parse_type(result_type).map_err(sql_err)?;
        let udaf = crate::table_udaf::registered(name, function, inputs, result, pandas, retracts);
        self.lock().functions.register_aggregate(name, udaf, pandas);
        Ok(())
    }

    /// Registers a Python table function (`eval` of a `TableFunction`) producing rows of `result_types`.
    fn register_table_function(&self, name: &str, function: Py<PyAny>, result_types: Vec<String>) -> PyResult<()> {
        let types = parse_types(Some(result_types))?.unwrap_or_default();
        let udtf = crate::table_udtf::registered(name, function, types);
        self.lock().functions.register_table_function(name, udtf);
        Ok(())
    }

    fn drop_function(&self, name: &str) -> bool {
        self.lock().functions.drop_function(name)
    }

    fn list_user_functions(&self) -> Vec<String> {
        self.lock().functions.user_functions().to_vec()
    }

    fn list_tables(&self) -> Vec<String> {
        self.lock().catalog.names(false)
    }

    fn list_views(&self) -> Vec<String> {
        self.lock().catalog.names(true)
    }
}

#[pymethods]
impl QueryHandle {
    fn names(&self) -> Vec<String> {
        self.plan.names()
    }

    /// Types as Flink's schema shows them (`TIMESTAMP(3) *ROWTIME*`).
    fn types(&self) -> Vec<String> {
        self.plan.shown_types()
    }

    /// Plain types (`TIMESTAMP(3)`), nullability included (`BIGINT NOT NULL`).
    fn data_types(&self) -> Vec<String> {
        self.plan.types().iter().map(|t| t.to_string()).collect()
    }

    fn is_updating(&self) -> bool {
        self.plan.planned.updating
    }

    fn explain(&self) -> String {
        self.plan.planned.explain()
    }

    /// Starts the query with results collected back to Python. `config`: the fault-tolerance
    /// keys of a DataStream job's config (`job_spec::fault_tolerance`).
    #[pyo3(signature = (name, parallelism=1, config=None))]
    fn start(&self, py: Python<'_>, name: String, parallelism: usize, config: Option<&Bound<'_, PyDict>>) -> PyResult<ResultJob> {
        let settings = job_settings(name.clone(), parallelism, config)?;
        let plan = self.plan.planned.clone();
        let job = py.detach(|| start(vec![(plan, SinkTarget::Collect)], settings)).map_err(sql_err)?;
        let tableau = Tableau::new(&self.plan.names(), self.plan.types(), true);
        Ok(ResultJob::new(name, job, Some(tableau), self.plan.names()))
    }
}

#[pymethods]
impl InsertHandle {
    fn sinks(&self) -> Vec<String> {
        self.plans.iter().map(|p| p.sink.name.join(".")).collect()
    }

    #[pyo3(signature = (name, parallelism=1, config=None))]
    fn start(&self, py: Python<'_>, name: String, parallelism: usize, config: Option<&Bound<'_, PyDict>>) -> PyResult<ResultJob> {
        let settings = job_settings(name.clone(), parallelism, config)?;
        let pipelines: Vec<_> = self
            .plans
            .iter()
            .map(|p| {
                let names = p.query.schema.names();
                let types = p.query.schema.columns.iter().map(|c| c.ty.ty.clone()).collect();
                (p.query.clone(), SinkTarget::Table { table: p.sink.clone(), names, types })
            })
            .collect();
        let job = py.detach(|| start(pipelines, settings)).map_err(sql_err)?;
        Ok(ResultJob::new(name, job, None, Vec::new()))
    }

    /// Merges another insert's plans into this one (a StatementSet runs them as one job).
    fn extend(&mut self, other: &InsertHandle) {
        self.plans.extend(other.plans.iter().cloned());
    }
}

fn job_settings(name: String, parallelism: usize, config: Option<&Bound<'_, PyDict>>) -> PyResult<JobSettings> {
    let mut runtime = oxflow_core::graph::JobConfig::default();
    if let Some(config) = config {
        crate::job_spec::fault_tolerance(config, &mut runtime)?;
    }
    Ok(JobSettings { name, parallelism, print: python_writer(), runtime })
}

enum JobState {
    Running(SqlJob),
    Done,
    Failed(PyErr),
}

/// A running SQL job: its collected rows (for `collect()` / `print()`), its end, its metrics.
#[pyclass(module = "oxflow._native")]
pub struct ResultJob {
    name: String,
    state: Mutex<JobState>,
    results: Option<Receiver<ChangeBatch>>,
    tableau: Option<Tableau>,
    names: Vec<String>,
    late: Arc<std::sync::atomic::AtomicU64>,
    skipped: Arc<std::sync::atomic::AtomicU64>,
}

impl ResultJob {
    fn new(name: String, mut job: SqlJob, tableau: Option<Tableau>, names: Vec<String>) -> Self {
        let results = job.results.take();
        let late = job.metrics.late_records_dropped.clone();
        let skipped = job.metrics.skipped_parse_errors.clone();
        ResultJob { name, state: Mutex::new(JobState::Running(job)), results, tableau, names, late, skipped }
    }

    /// Waits up to `slice` for the job to end; `true` once it has (failed or not).
    fn wait_slice(&self, py: Python<'_>, slice: Duration) -> bool {
        let mut state = self.state.lock().unwrap_or_else(|p| p.into_inner());
        let ended = match &mut *state {
            JobState::Running(job) => py.detach(|| job.running.wait_timeout(slice)),
            _ => return true,
        };
        match ended {
            None => false,
            Some(Ok(_)) => {
                *state = JobState::Done;
                true
            }
            Some(Err(e)) => {
                *state = JobState::Failed(to_py_err(py, &self.name, e));
                true
            }
        }
    }

    fn failure(&self, py: Python<'_>) -> PyResult<()> {
        match &*self.state.lock().unwrap_or_else(|p| p.into_inner()) {
            JobState::Failed(e) => Err(e.clone_ref(py)),
            _ => Ok(()),
        }
    }

    /// The next batch of results, `None` at the end. Ctrl-C cancels the job.
    fn next_batch(&self, py: Python<'_>) -> PyResult<Option<ChangeBatch>> {
        let Some(rx) = &self.results else { return Ok(None) };
        loop {
            match py.detach(|| rx.recv_timeout(SIGNAL_CHECK)) {
                Ok(b) => return Ok(Some(b)),
                Err(RecvTimeoutError::Disconnected) => {
                    while !self.wait_slice(py, SIGNAL_CHECK) {}
                    self.failure(py)?;
                    return Ok(None);
                }
                Err(RecvTimeoutError::Timeout) => {
                    if let Err(interrupt) = py.check_signals() {
                        self.cancel();
                        return Err(interrupt);
                    }
                    if self.wait_slice(py, Duration::ZERO) {
                        self.failure(py)?;
                        // Ended: drain what the sink sent before it went away.
                        return Ok(rx.try_recv().ok());
                    }
                }
            }
        }
    }
}

#[pymethods]
impl ResultJob {
    /// The next rows as `(kinds, tuples)`, `None` at the end.
    fn fetch<'py>(&self, py: Python<'py>) -> PyResult<Option<(Vec<&'static str>, Bound<'py, PyList>)>> {
        let Some(batch) = self.next_batch(py)? else { return Ok(None) };
        let kinds = (0..batch.num_rows()).map(|r| batch.kind(r).short()).collect();
        let rows = crate::table_values::rows(py, &batch.batch)?;
        Ok(Some((kinds, PyList::new(py, rows)?)))
    }

    /// `fetch`, and the milliseconds of the TIMESTAMP column `column` of each row (the
    /// rowtime a DataStream element made of it carries).
    fn fetch_timed<'py>(&self, py: Python<'py>, column: usize) -> PyResult<Option<(Vec<&'static str>, Bound<'py, PyList>, Vec<Option<i64>>)>> {
        let Some(batch) = self.next_batch(py)? else { return Ok(None) };
        let kinds = (0..batch.num_rows()).map(|r| batch.kind(r).short()).collect();
        let rows = crate::table_values::rows(py, &batch.batch)?;
        let times = oxflow_sql::exec::watermark::millis(batch.batch.column(column).as_ref()).map_err(|e| pyo3::exceptions::PyValueError::new_err(e.to_string()))?;
        let times = (0..times.len()).map(|r| arrow::array::Array::is_valid(&times, r).then(|| times.value(r))).collect();
        Ok(Some((kinds, PyList::new(py, rows)?, times)))
    }

    /// Every row the job leaves (a changelog materialized: retracted rows taken back), as
    /// pyarrow batches; waits for the end of the job.
    fn collect_arrow<'py>(&self, py: Python<'py>) -> PyResult<Vec<Bound<'py, PyAny>>> {
        let mut batches = Vec::new();
        while let Some(b) = self.next_batch(py)? {
            if b.num_rows() > 0 {
                batches.push(b);
            }
        }
        let Some(first) = batches.first() else { return Ok(Vec::new()) };
        let out = if batches.iter().all(|b| b.kinds.is_none()) {
            batches.into_iter().map(|b| b.batch).collect()
        } else {
            let mut m = arrow_bridge::Materializer::new(first.batch.schema()).map_err(sql_err)?;
            for b in &batches {
                m.push(b).map_err(sql_err)?;
            }
            vec![m.finish().map_err(sql_err)?]
        };
        out.iter().map(|b| crate::table_arrow::to_pyarrow(py, b)).collect()
    }

    /// The next rows as tableau lines, `None` at the end.
    fn fetch_lines(&self, py: Python<'_>) -> PyResult<Option<Vec<String>>> {
        let Some(batch) = self.next_batch(py)? else { return Ok(None) };
        let tableau = self.tableau.as_ref().expect("a query job has a tableau");
        Ok(Some((0..batch.num_rows()).map(|r| tableau.row(&batch, r)).collect()))
    }

    /// The tableau's separator and header lines.
    fn header(&self) -> (String, String) {
        let tableau = self.tableau.as_ref().expect("a query job has a tableau");
        (tableau.separator(), tableau.header(&self.names))
    }

    /// Waits until the job ends or `timeout` seconds pass; raises its failure. Ctrl-C cancels.
    #[pyo3(signature = (timeout=None))]
    fn wait(&self, py: Python<'_>, timeout: Option<f64>) -> PyResult<bool> {
        let deadline = timeout.map(|t| Instant::now() + Duration::from_secs_f64(t.max(0.0)));
        loop {
            if self.wait_slice(py, SIGNAL_CHECK) {
                self.failure(py)?;
                return Ok(true);
            }
            if let Err(interrupt) = py.check_signals() {
                self.cancel();
                return Err(interrupt);
            }
            if deadline.is_some_and(|d| Instant::now() >= d) {
                return Ok(false);
            }
        }
    }

    /// Takes a savepoint into `target` (with `stop`, then stops the job, as Flink's
    /// stop-with-savepoint); its path. As the DataStream job's method of the same name.
    #[pyo3(signature = (target, stop=false))]
    fn trigger_savepoint(&self, py: Python<'_>, target: std::path::PathBuf, stop: bool) -> PyResult<String> {
        let receiver = match &*self.state.lock().unwrap_or_else(|p| p.into_inner()) {
            JobState::Running(job) if stop => job.running.stop_with_savepoint(target),
            JobState::Running(job) => job.running.trigger_savepoint(target),
            _ => return Err(crate::errors::JobExecutionError::new_err(format!("job '{}' is not running; no savepoint can be taken", self.name))),
        }
        .map_err(|e| crate::errors::JobExecutionError::new_err(e.to_string()))?;
        let path = crate::job::await_savepoint(py, receiver)?;
        if stop {
            while !self.wait_slice(py, Duration::from_millis(50)) {
                py.check_signals()?;
            }
        }
        Ok(path)
    }

    /// The checkpoints completed so far: `(id, path)`, oldest first (none once the job ended).
    fn completed_checkpoints(&self) -> Vec<(u64, String)> {
        match &*self.state.lock().unwrap_or_else(|p| p.into_inner()) {
            JobState::Running(job) => job.running.completed_checkpoints().into_iter().map(|(id, p)| (id, p.display().to_string())).collect(),
            _ => Vec::new(),
        }
    }

    fn cancel(&self) {
        if let JobState::Running(job) = &*self.state.lock().unwrap_or_else(|p| p.into_inner()) {
            job.running.cancel();
        }
    }

    fn is_done(&self, py: Python<'_>) -> bool {
        self.wait_slice(py, Duration::ZERO)
    }

    /// As `is_done` (the name `JobClient` uses).
    fn is_finished(&self, py: Python<'_>) -> bool {
        self.wait_slice(py, Duration::ZERO)
    }

    /// Rows dropped as late by window operators (`numLateRecordsDropped`).
    fn late_records_dropped(&self) -> u64 {
        self.late.load(Ordering::Relaxed)
    }

    /// Rows skipped by `csv.ignore-parse-errors` / `json.ignore-parse-errors`.
    fn skipped_parse_errors(&self) -> u64 {
        self.skipped.load(Ordering::Relaxed)
    }
}

fn parse_types(types: Option<Vec<String>>) -> PyResult<Option<Vec<oxflow_sql::types::Typed>>> {
    types.map(|ts| ts.iter().map(|t| parse_type(t).map_err(sql_err)).collect::<PyResult<Vec<_>>>()).transpose()
}
