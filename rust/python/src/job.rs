//! A running job as seen from Python: start it, wait for it (Ctrl-C cancels), cancel it.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::atomic::Ordering;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use oxflow_core::executor::{start, start_inline, InlineJob, RunningJob};
use pyo3::exceptions::PyKeyboardInterrupt;

use crate::data_model::PyData;
use pyo3::prelude::*;
use pyo3::types::PyDict;

use crate::errors::{to_py_err, JobExecutionError};
use crate::job_spec::{build_graph, JobMetrics};

/// How often a waiting caller looks for Ctrl-C.
const SIGNAL_CHECK: Duration = Duration::from_millis(50);

/// The path of the savepoint `trigger_savepoint` / `stop_with_savepoint` of a running job
/// requested, waited for without the GIL (Ctrl-C stops waiting); DataStream and SQL jobs alike.
pub(crate) fn await_savepoint(py: Python<'_>, receiver: crossbeam_channel::Receiver<Result<std::path::PathBuf, String>>) -> PyResult<String> {
    loop {
        match py.detach(|| receiver.recv_timeout(SIGNAL_CHECK)) {
            Ok(Ok(path)) => return Ok(path.display().to_string()),
            Ok(Err(reason)) => return Err(JobExecutionError::new_err(format!("the savepoint failed: {reason}"))),
            Err(crossbeam_channel::RecvTimeoutError::Timeout) => py.check_signals()?,
            Err(crossbeam_channel::RecvTimeoutError::Disconnected) => {
                return Err(JobExecutionError::new_err("the job ended before the savepoint completed"))
            }
        }
    }
}

enum State {
    Running(RunningJob),
    /// A single-task job the caller steps on its own thread (see `step`).
    Inline(InlineJob<PyData>),
    Finished { net_runtime_ms: u64 },
    Failed(PyErr),
}

/// A job started by `start_job`.
#[pyclass(module = "oxflow._native")]
pub struct NativeJob {
    name: String,
    state: Mutex<State>,
    metrics: JobMetrics,
    /// The completed checkpoints, kept when the running job is dropped.
    finished_checkpoints: Mutex<Vec<(u64, String)>>,
}

impl NativeJob {
    /// One bounded wait without the GIL; `true` once the job has ended.
    fn wait_slice(&self, py: Python<'_>, slice: Duration) -> bool {
        let (ended, notes) = py.detach(|| {
            let mut state = self.state.lock().unwrap_or_else(|p| p.into_inner());
            match &mut *state {
                State::Running(job) => (job.wait_timeout(slice), job.take_restart_notes()),
                _ => (None, Vec::new()),
            }
        });
        // Restarts are reported on Python's stderr, so they show in a notebook cell.
        if !notes.is_empty() {
            if let Ok(stderr) = py.import("sys").and_then(|sys| sys.getattr("stderr")) {
                for note in notes {
                    let _ = stderr.call_method1("write", (format!("oxflow: {note}\n"),));
                }
            }
        }
        if ended.is_none() && matches!(&*self.state.lock().unwrap_or_else(|p| p.into_inner()), State::Inline(_)) {
            return self.step_inline(py, slice);
        }
        let mut state = self.state.lock().unwrap_or_else(|p| p.into_inner());
        if ended.is_some() {
            if let State::Running(job) = &*state {
                *self.finished_checkpoints.lock().unwrap_or_else(|p| p.into_inner()) =
                    job.completed_checkpoints().into_iter().map(|(id, p)| (id, p.display().to_string())).collect();
            }
        }
        match ended {
            Some(Ok(outcome)) => *state = State::Finished { net_runtime_ms: outcome.net_runtime.as_millis() as u64 },
            Some(Err(e)) => *state = State::Failed(to_py_err(py, &self.name, e)),
            None => {}
        }
        !matches!(&*state, State::Running(_))
    }

    /// Steps an inline job for up to `budget` (at least one step); `true` once it has ended.
    fn step_inline(&self, py: Python<'_>, budget: Duration) -> bool {
        let deadline = Instant::now() + budget;
        let mut state = self.state.lock().unwrap_or_else(|p| p.into_inner());
        loop {
            let State::Inline(job) = &mut *state else { return true };
            match job.step() {
                Ok(true) => {
                    if Instant::now() >= deadline {
                        return false;
                    }
                }
                Ok(false) => {
                    let ms = job.outcome().net_runtime.as_millis() as u64;
                    *state = State::Finished { net_runtime_ms: ms };
                    return true;
                }
                Err(e) => {
                    *state = State::Failed(to_py_err(py, &self.name, e));
                    return true;
                }
            }
        }
    }

    fn outcome(&self, py: Python<'_>) -> PyResult<bool> {
        match &*self.state.lock().unwrap_or_else(|p| p.into_inner()) {
            State::Running(_) | State::Inline(_) => Ok(false),
            State::Finished { .. } => Ok(true),
            State::Failed(e) => Err(e.clone_ref(py)),
        }
    }
}

#[pymethods]
impl NativeJob {
    /// Waits until the job ends or `timeout` seconds pass (`None`: no limit). Returns whether it
    /// ended; raises the job's failure. Ctrl-C cancels the job and raises KeyboardInterrupt.
    #[pyo3(signature = (timeout=None))]
    fn wait(&self, py: Python<'_>, timeout: Option<f64>) -> PyResult<bool> {
        let deadline = timeout.map(|t| Instant::now() + Duration::from_secs_f64(t.max(0.0)));
        loop {
            let slice = match deadline {
                Some(d) => d.saturating_duration_since(Instant::now()).min(SIGNAL_CHECK),
                None => SIGNAL_CHECK,
            };
            if self.wait_slice(py, slice) {
                return self.outcome(py);
            }
            if let Err(interrupt) = py.check_signals() {
                self.cancel();
                while !self.wait_slice(py, SIGNAL_CHECK) {}
                return Err(interrupt);
            }
            if deadline.is_some_and(|d| Instant::now() >= d) {
                return Ok(false);
            }
        }
    }

    /// Asks every task to stop; a following `wait` raises.
    fn cancel(&self) {
        let mut state = self.state.lock().unwrap_or_else(|p| p.into_inner());
        match &mut *state {
            State::Running(job) => job.cancel(),
            State::Inline(job) => {
                job.cancel();
                *state = State::Failed(PyKeyboardInterrupt::new_err(format!("job '{}' was cancelled", self.name)));
            }
            _ => {}
        }
    }

    /// Runs one batch of an inline job (`is_inline`); returns whether the job is still running.
    /// Raises the job's failure.
    fn step(&self, py: Python<'_>) -> PyResult<bool> {
        if self.step_inline(py, Duration::ZERO) {
            self.outcome(py)?;
            return Ok(false);
        }
        Ok(true)
    }

    /// Whether the job runs on the caller's thread, driven by `wait` or `step`.
    #[getter]
    fn is_inline(&self) -> bool {
        matches!(&*self.state.lock().unwrap_or_else(|p| p.into_inner()), State::Inline(_))
    }

    /// Whether the job has ended (successfully or not).
    fn is_finished(&self, py: Python<'_>) -> bool {
        self.wait_slice(py, Duration::ZERO)
    }

    /// Milliseconds the job ran, once it finished successfully.
    #[getter]
    fn net_runtime_ms(&self) -> Option<u64> {
        match &*self.state.lock().unwrap_or_else(|p| p.into_inner()) {
            State::Finished { net_runtime_ms } => Some(*net_runtime_ms),
            _ => None,
        }
    }

    /// Counters of the job by Flink's metric names: `numLateRecordsDropped` in total and
    /// `<operator>.numLateRecordsDropped` per window operator.
    fn metrics(&self) -> HashMap<String, u64> {
        let mut out = HashMap::new();
        let mut total = 0;
        for (operator, counter) in &self.metrics.late_records_dropped {
            let n = counter.load(Ordering::Relaxed);
            total += n;
            *out.entry(format!("{operator}.numLateRecordsDropped")).or_insert(0) += n;
        }
        out.insert("numLateRecordsDropped".to_string(), total);
        out
    }

    /// Takes a savepoint under the directory `target` and returns the savepoint's path (waits
    /// for it without holding the GIL; Ctrl-C stops waiting). With `stop`, the job commits what
    /// the savepoint covers and stops (Flink's stop-with-savepoint); this waits for that too.
    #[pyo3(signature = (target, stop=false))]
    fn trigger_savepoint(&self, py: Python<'_>, target: PathBuf, stop: bool) -> PyResult<String> {
        let receiver = {
            let state = self.state.lock().unwrap_or_else(|p| p.into_inner());
            let requested = match &*state {
                State::Running(job) if stop => job.stop_with_savepoint(target),
                State::Running(job) => job.trigger_savepoint(target),
                _ => return Err(JobExecutionError::new_err(format!("job '{}' is not running; no savepoint can be taken", self.name))),
            };
            requested.map_err(|e| JobExecutionError::new_err(e.to_string()))?
        };
        let path = await_savepoint(py, receiver)?;
        if stop {
            while !self.wait_slice(py, SIGNAL_CHECK) {
                py.check_signals()?;
            }
        }
        Ok(path)
    }

    /// The checkpoints completed so far: `(id, path)`, oldest first.
    fn completed_checkpoints(&self) -> Vec<(u64, String)> {
        match &*self.state.lock().unwrap_or_else(|p| p.into_inner()) {
            State::Running(job) => job.completed_checkpoints().into_iter().map(|(id, p)| (id, p.display().to_string())).collect(),
            _ => self.finished_checkpoints.lock().unwrap_or_else(|p| p.into_inner()).clone(),
        }
    }

    /// The tasks the job runs as: `(chain name, parallelism, [node indices])`.
    fn tasks(&self) -> Vec<(String, usize, Vec<usize>)> {
        match &*self.state.lock().unwrap_or_else(|p| p.into_inner()) {
            State::Running(job) => job.plan().chains.iter().map(|c| (c.name.clone(), c.parallelism, c.nodes.clone())).collect(),
            State::Inline(_) => vec![(self.name.clone(), 1, Vec::new())],
            _ => Vec::new(),
        }
    }
}

/// Builds the job described by `nodes` and starts it. User functions are opened on the task
/// threads; errors in the description itself raise here, before anything runs.
#[pyfunction]
#[pyo3(signature = (name, nodes, config))]
pub fn start_job(name: String, nodes: &Bound<'_, PyAny>, config: &Bound<'_, PyDict>) -> PyResult<NativeJob> {
    let (graph, metrics) = build_graph(&name, nodes, config)?;
    let inline = config.get_item("inline")?.map(|v| v.is_truthy()).transpose()?.unwrap_or(false);
    let failed = |e: oxflow_core::error::JobError| JobExecutionError::new_err(e.to_string());
    let state = if inline {
        match start_inline(graph).map_err(failed)? {
            Ok(job) => State::Inline(job),
            Err(graph) => State::Running(start(graph).map_err(failed)?),
        }
    } else {
        State::Running(start(graph).map_err(failed)?)
    };
    Ok(NativeJob { name, state: Mutex::new(state), metrics, finished_checkpoints: Mutex::new(Vec::new()) })
}
