//! Runs a job: plans it, instantiates every operator, starts one thread per task, and reports the
//! first failure (cancelling the rest) or success.

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use crossbeam_channel::{bounded, Receiver, Sender};

use std::path::PathBuf;

use crate::checkpoint::runtime::{CheckpointStats, CoordinatorSetup, RestoreSettings, SavepointRequest};
use crate::checkpoint::storage::{load_snapshot, LocalStorage};
use crate::restart::{RestartStrategy, RestartTracker};
use crate::checkpoint::snapshot::RestoredState;
use crate::checkpoint::CheckpointId;
use crate::data::DataModel;
use crate::error::JobError;
use crate::exchange::{Envelope, OutputRoute};
use crate::graph::{JobConfig, JobGraph, NodeKind, Partitioning};
use crate::operator::TaskInfo;
use crate::plan::{plan, PhysicalPlan};
use crate::task::{Head, Task};

/// State every task of a job shares.
pub struct JobShared {
    pub(crate) cancelled: AtomicBool,
    /// A stop-with-savepoint is stopping the tasks: their ends are not failures.
    pub(crate) stopping: AtomicBool,
    error: Mutex<Option<JobError>>,
    pub(crate) running: AtomicUsize,
}

impl JobShared {
    /// Records a task's failure; the first real failure wins and cancels the job.
    pub(crate) fn fail(&self, error: JobError) {
        let mut slot = self.error.lock().unwrap_or_else(|p| p.into_inner());
        let replace = match (&*slot, &error) {
            (None, _) => true,
            (Some(JobError::Cancelled), e) => !matches!(e, JobError::Cancelled),
            _ => false,
        };
        if replace {
            *slot = Some(error);
        }
        self.cancelled.store(true, Ordering::Relaxed);
    }
}

impl JobShared {
    /// The job was cancelled (by the user), not failed.
    pub(crate) fn is_cancelled_not_failed(&self) -> bool {
        matches!(&*self.error.lock().unwrap_or_else(|p| p.into_inner()), Some(JobError::Cancelled))
    }
}

/// What a finished job reports.
#[derive(Debug, Clone)]
pub struct JobOutcome {
    pub net_runtime: Duration,
    pub tasks: usize,
}

/// One run of a job's tasks (a job restarted after a failure has several, one after another).
struct Attempt {
    shared: Arc<JobShared>,
    threads: Vec<JoinHandle<()>>,
    coordinator: Option<JoinHandle<()>>,
    savepoints: Option<Sender<SavepointRequest>>,
    checkpoints: Arc<Mutex<CheckpointStats>>,
    done: Receiver<()>,
    started: Instant,
    plan: PhysicalPlan,
}

impl Attempt {
    fn is_finished(&self) -> bool {
        self.shared.running.load(Ordering::Acquire) == 0
    }

    /// Asks for a savepoint under `target`; the receiver gets the savepoint's directory once it
    /// completed, or why it did not.
    pub fn trigger_savepoint(&self, target: PathBuf, stop: bool) -> Result<Receiver<Result<PathBuf, String>>, JobError> {
        let Some(savepoints) = &self.savepoints else {
            return Err(JobError::Checkpoint("savepoints need checkpointing to be configured for the job".into()));
        };
        let (reply, receiver) = bounded(1);
        savepoints
            .send(SavepointRequest { target, stop, reply })
            .map_err(|_| JobError::Checkpoint("the job has ended; no savepoint can be taken".into()))?;
        Ok(receiver)
    }

    /// Waits up to `timeout` for the attempt to end; `None` if it is still running.
    fn wait_timeout(&mut self, timeout: Duration) -> Option<Result<JobOutcome, JobError>> {
        let deadline = Instant::now() + timeout;
        while !self.is_finished() {
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() || self.done.recv_timeout(left).is_err() && !self.is_finished() {
                return None;
            }
        }
        for thread in self.threads.drain(..) {
            let _ = thread.join();
        }
        if let Some(coordinator) = self.coordinator.take() {
            let _ = coordinator.join();
        }
        let error = self.shared.error.lock().unwrap_or_else(|p| p.into_inner()).take();
        Some(match error {
            Some(e) => Err(e),
            None => Ok(JobOutcome { net_runtime: self.started.elapsed(), tasks: self.plan.chains.iter().map(|c| c.parallelism).sum() }),
        })
    }

}

/// Starts a new attempt of the job, from the given snapshot.
type Rebuild = Box<dyn FnMut(Option<RestoreSettings>) -> Result<Attempt, JobError> + Send>;

/// What restarts a failed job (see [`crate::restart`]).
struct Restarter {
    rebuild: Rebuild,
    tracker: RestartTracker,
    /// The snapshot the current attempt started from.
    restored: Option<RestoreSettings>,
    /// A restart waiting for its delay: when, and from which snapshot.
    pending: Option<(Instant, Option<RestoreSettings>)>,
}

/// A started job.
pub struct RunningJob {
    attempt: Attempt,
    restarter: Option<Restarter>,
    cancelled: AtomicBool,
    started: Instant,
    /// Checkpoints completed by earlier attempts.
    earlier_checkpoints: Vec<(CheckpointId, PathBuf)>,
    /// What the restarts since the last `take_restart_notes` were about, for the user.
    restart_notes: Vec<String>,
}

fn now_ms() -> i64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_millis() as i64).unwrap_or(0)
}

impl RunningJob {
    /// Asks every task to stop; `wait` then returns [`JobError::Cancelled`].
    pub fn cancel(&self) {
        self.cancelled.store(true, Ordering::Relaxed);
        self.attempt.shared.fail(JobError::Cancelled);
    }

    pub fn is_finished(&self) -> bool {
        self.attempt.is_finished() && self.restarter.as_ref().is_none_or(|r| r.pending.is_none())
    }

    pub fn plan(&self) -> &PhysicalPlan {
        &self.attempt.plan
    }

    /// Messages about restarts since the last call (why the job failed, when it restarts).
    pub fn take_restart_notes(&mut self) -> Vec<String> {
        std::mem::take(&mut self.restart_notes)
    }

    /// How often the job restarted after failures.
    pub fn restarts(&self) -> u32 {
        self.restarter.as_ref().map_or(0, |r| r.tracker.restarts())
    }

    /// Asks for a savepoint under `target`; the receiver gets the savepoint's directory once it
    /// completed, or why it did not.
    pub fn trigger_savepoint(&self, target: PathBuf) -> Result<Receiver<Result<PathBuf, String>>, JobError> {
        self.attempt.trigger_savepoint(target, false)
    }

    /// Takes a savepoint, commits what it covers and stops the job (which then ends without an
    /// error and without finishing its input); the receiver gets the savepoint's directory.
    pub fn stop_with_savepoint(&self, target: PathBuf) -> Result<Receiver<Result<PathBuf, String>>, JobError> {
        self.attempt.trigger_savepoint(target, true)
    }

    /// The completed checkpoints so far (all attempts): `(id, directory)`, oldest first.
    pub fn completed_checkpoints(&self) -> Vec<(CheckpointId, PathBuf)> {
        let mine = self.attempt.checkpoints.lock().unwrap_or_else(|p| p.into_inner()).completed.clone();
        self.earlier_checkpoints.iter().cloned().chain(mine).collect()
    }

    /// Waits up to `timeout` for the job to end; `None` if it is still running. A failed attempt
    /// restarts here, from the latest completed checkpoint, as the restart strategy decides.
    pub fn wait_timeout(&mut self, timeout: Duration) -> Option<Result<JobOutcome, JobError>> {
        let deadline = Instant::now() + timeout;
        loop {
            if let Some(restarter) = &mut self.restarter {
                if let Some((at, restore)) = &restarter.pending {
                    if self.cancelled.load(Ordering::Relaxed) {
                        restarter.pending = None;
                        return Some(Err(JobError::Cancelled));
                    }
                    let now = Instant::now();
                    if now < *at {
                        std::thread::sleep((*at - now).min(deadline.saturating_duration_since(now)));
                        if Instant::now() >= deadline && Instant::now() < *at {
                            return None;
                        }
                        continue;
                    }
                    let restore = restore.clone();
                    restarter.pending = None;
                    match (restarter.rebuild)(restore.clone()) {
                        Ok(attempt) => {
                            self.attempt = attempt;
                            restarter.restored = restore;
                        }
                        Err(e) => return Some(Err(e)),
                    }
                }
            }
            let result = self.attempt.wait_timeout(deadline.saturating_duration_since(Instant::now()))?;
            let error = match result {
                Ok(mut outcome) => {
                    outcome.net_runtime = self.started.elapsed();
                    return Some(Ok(outcome));
                }
                Err(e) => e,
            };
            let restartable = !matches!(error, JobError::Cancelled | JobError::InvalidGraph(_)) && !self.cancelled.load(Ordering::Relaxed);
            let Some(restarter) = self.restarter.as_mut().filter(|_| restartable) else { return Some(Err(error)) };
            let Some(delay) = restarter.tracker.on_failure(now_ms()) else { return Some(Err(error)) };
            // From the latest checkpoint this attempt completed, else where the attempt began.
            let latest = self.attempt.checkpoints.lock().unwrap_or_else(|p| p.into_inner()).latest.clone();
            let restore = match latest {
                Some(path) => match load_snapshot(&LocalStorage, &path) {
                    Ok(snapshot) => Some(RestoreSettings { snapshot: Arc::new(snapshot), ignore_unclaimed: false }),
                    Err(e) => return Some(Err(JobError::Checkpoint(format!("cannot restart from '{}': {e}", path.display())))),
                },
                None => restarter.restored.clone(),
            };
            self.earlier_checkpoints.extend(self.attempt.checkpoints.lock().unwrap_or_else(|p| p.into_inner()).completed.drain(..));
            self.restart_notes.push(format!(
                "the job failed: {error}\nrestart {} in {:.1} s from {}",
                restarter.tracker.restarts(),
                delay.as_secs_f64(),
                restore.as_ref().map_or("the beginning".to_string(), |r| format!("checkpoint '{}'", r.snapshot.path.display()))
            ));
            restarter.pending = Some((Instant::now() + delay, restore));
        }
    }

    pub fn wait(mut self) -> Result<JobOutcome, JobError> {
        loop {
            if let Some(result) = self.wait_timeout(Duration::from_secs(3600)) {
                return result;
            }
        }
    }
}

/// Plans `graph`, creates every operator instance (on the calling thread, inside the data model's
/// scope) and starts the tasks. With a restart strategy, the job keeps its graph to start again
/// after a failure.
pub fn start<D: DataModel>(graph: JobGraph<D>) -> Result<RunningJob, JobError> {
    let config = graph.config.clone();
    let attempt = {
        let (plan, tasks, shared, coordinator) = build(&graph, config.clone())?;
        spawn(plan, tasks, shared, coordinator)?
    };
    let strategy = config.restart.clone();
    let restored = config.restore.clone();
    let restarter = (strategy != RestartStrategy::None).then(|| {
        let rebuild: Rebuild = Box::new(move |restore| {
            let mut config = config.clone();
            config.restore = restore;
            let (plan, tasks, shared, coordinator) = build(&graph, config)?;
            spawn(plan, tasks, shared, coordinator)
        });
        Restarter { rebuild, tracker: RestartTracker::new(strategy, now_ms()), restored, pending: None }
    });
    Ok(RunningJob { attempt, restarter, cancelled: AtomicBool::new(false), started: Instant::now(), earlier_checkpoints: Vec::new(), restart_notes: Vec::new() })
}

/// A job that is one source task with parallelism 1, run on the caller's thread step by step:
/// no thread and no hand-off between threads (the caller pulls, e.g. while collecting results).
pub struct InlineJob<D: DataModel> {
    task: Option<Task<D>>,
    opened: bool,
    started: Instant,
    tasks: usize,
}

impl<D: DataModel> InlineJob<D> {
    /// Runs one source batch through the job. `Ok(true)` while input remains; `Ok(false)` once the
    /// job has finished (end of input processed, operators closed).
    pub fn step(&mut self) -> Result<bool, JobError> {
        let Some(task) = self.task.as_mut() else { return Ok(false) };
        let result = (|| {
            if !self.opened {
                self.opened = true;
                task.open_stepped()?;
            }
            if task.source_step()? {
                return Ok(true);
            }
            task.end_of_input()?;
            Ok(false)
        })();
        if !matches!(result, Ok(true)) {
            self.stop()?;
        }
        result
    }

    /// Ends the job now (closing what was opened).
    pub fn cancel(&mut self) {
        let _ = self.stop();
    }

    fn stop(&mut self) -> Result<(), JobError> {
        let Some(mut task) = self.task.take() else { return Ok(()) };
        let closed = if self.opened { task.close_stepped() } else { Ok(()) };
        D::scoped(move || drop(task));
        closed
    }

    pub fn is_finished(&self) -> bool {
        self.task.is_none()
    }

    pub fn outcome(&self) -> JobOutcome {
        JobOutcome { net_runtime: self.started.elapsed(), tasks: self.tasks }
    }
}

/// Builds `graph` to run inline if it plans to a single source task of parallelism 1; otherwise
/// gives the graph back.
pub fn start_inline<D: DataModel>(graph: JobGraph<D>) -> Result<Result<InlineJob<D>, JobGraph<D>>, JobError> {
    let plan = plan(&graph.shape(), graph.config.chaining, graph.config.max_parallelism)?;
    // A checkpointing job needs its coordinator thread.
    if plan.chains.len() != 1 || plan.chains[0].parallelism != 1 || graph.config.checkpoint.is_some() {
        return Ok(Err(graph));
    }
    let config = graph.config.clone();
    let (_, mut tasks, _, _) = build(&graph, config)?;
    let task = tasks.pop().expect("one task");
    if !task.has_source() {
        return Err(JobError::InvalidGraph("a single-task job must start with a source".into()));
    }
    Ok(Ok(InlineJob { task: Some(task), opened: false, started: Instant::now(), tasks: 1 }))
}

type Built<D> = (PhysicalPlan, Vec<Task<D>>, Arc<JobShared>, Option<Coordinator>);

/// The checkpoint coordinator of a job, before it starts.
struct Coordinator {
    setup: CoordinatorSetup,
    savepoints: Sender<SavepointRequest>,
}

/// A restored job keeps the snapshot's key groups (Flink: the max parallelism cannot change).
fn restored_max_parallelism(config: &JobConfig) -> Result<Option<usize>, JobError> {
    let Some(restore) = &config.restore else { return Ok(config.max_parallelism) };
    let snapshot = restore.snapshot.metadata.max_parallelism;
    match config.max_parallelism {
        Some(mine) if mine != snapshot => Err(JobError::Checkpoint(format!(
            "the job's max parallelism ({mine}) differs from the max parallelism of the snapshot '{}' ({snapshot}); it cannot change across a restore",
            restore.snapshot.path.display()
        ))),
        _ => Ok(Some(snapshot)),
    }
}

/// Checks that every operator state in the snapshot has an operator to go to.
fn check_unclaimed<D>(graph: &JobGraph<D>, restore: &RestoreSettings) -> Result<(), JobError> {
    if restore.ignore_unclaimed {
        return Ok(());
    }
    let uids: Vec<String> = (0..graph.nodes.len()).map(|n| graph.uid(n)).collect();
    let mut unclaimed: Vec<&String> = restore.snapshot.operators.keys().filter(|u| !uids.contains(u)).collect();
    unclaimed.sort();
    if unclaimed.is_empty() {
        return Ok(());
    }
    Err(JobError::Checkpoint(format!(
        "the snapshot '{}' holds state for operator(s) {} that the job does not have (matched by uid); set execution.state-recovery.ignore-unclaimed-state to true to drop it",
        restore.snapshot.path.display(),
        unclaimed.iter().map(|u| format!("'{u}'")).collect::<Vec<_>>().join(", ")
    )))
}

/// Plans the job and creates its tasks (operators instantiated, channels wired), unstarted.
fn build<D: DataModel>(graph: &JobGraph<D>, mut config: JobConfig) -> Result<Built<D>, JobError> {
    config.max_parallelism = restored_max_parallelism(&config)?;
    if let Some(restore) = &config.restore {
        check_unclaimed(graph, restore)?;
    }
    let plan = plan(&graph.shape(), config.chaining, config.max_parallelism)?;
    // The job's working directory of state engines, removed once every task is dropped.
    let engine_restore = config
        .restore
        .as_ref()
        .and_then(|r| crate::checkpoint::engine_files::EngineRestore::of(&r.snapshot, Arc::new(crate::checkpoint::storage::LocalStorage)));
    let state_backend = match &config.state_backend {
        Some(factory) => {
            let backend = crate::state::StateBackend::new(factory.clone(), config.state_dir.as_deref()).map_err(|e| JobError::Checkpoint(e.to_string()))?;
            Some(match engine_restore {
                Some(restore) => backend.with_restore(restore),
                None => backend,
            })
        }
        // Engine files are the engine's own format: only a job with an engine reads them.
        None => match engine_restore {
            Some(restore) => {
                let mut uids: Vec<&String> = restore.by_uid.keys().collect();
                uids.sort();
                return Err(JobError::Checkpoint(format!(
                    "the checkpoint '{}' holds incremental RocksDB state (of operator(s) {}), which only the RocksDB state backend restores (state.backend.type: rocksdb); to move to another state backend, restore from a savepoint (savepoints are backend-neutral)",
                    restore.path.display(),
                    uids.iter().map(|u| format!("'{u}'")).collect::<Vec<_>>().join(", ")
                )));
            }
            None => None,
        },
    };
    let shared = Arc::new(JobShared { cancelled: AtomicBool::new(false), stopping: AtomicBool::new(false), error: Mutex::new(None), running: AtomicUsize::new(0) });

    // One bounded input channel per task with inputs.
    let mut senders: Vec<Vec<Sender<Envelope<D>>>> = Vec::new();
    let mut receivers: Vec<Vec<Option<Receiver<Envelope<D>>>>> = Vec::new();
    for chain in &plan.chains {
        let (s, r): (Vec<_>, Vec<_>) = (0..chain.parallelism).map(|_| bounded(config.channel_capacity)).map(|(s, r)| (s, Some(r))).unzip();
        senders.push(s);
        receivers.push(r);
    }

    let mut tasks = Vec::new();
    let created = D::scoped(|| -> Result<(), JobError> {
        for (c, chain) in plan.chains.iter().enumerate() {
            for subtask in 0..chain.parallelism {
                let info_for = |node: usize| TaskInfo {
                    task_name: chain.name.clone(),
                    operator_name: graph.nodes[node].name.clone(),
                    uid: graph.uid(node),
                    subtask_index: subtask,
                    parallelism: chain.parallelism,
                    max_parallelism: plan.max_parallelism,
                    attempt_number: 0,
                    checkpointing: config.checkpoint.is_some(),
                    clock: config.clock.clone(),
                    state_backend: state_backend.clone(),
                };
                let creation_error = |node: usize, source| JobError::Operator {
                    operator: graph.nodes[node].name.clone(),
                    subtask,
                    parallelism: chain.parallelism,
                    source,
                };
                // This instance's share of the restored snapshot's state for the operator.
                let restored = |info: &TaskInfo| -> Result<Option<RestoredState<D>>, crate::error::BoxError> {
                    let Some(restore) = &config.restore else { return Ok(None) };
                    let Some(old) = restore.snapshot.operators.get(&info.uid) else { return Ok(None) };
                    RestoredState::share(old, info.subtask_index, info.parallelism, info.max_parallelism).map(Some)
                };
                let restore_error = |e: crate::error::BoxError| -> crate::error::BoxError {
                    let path = config.restore.as_ref().map(|r| r.snapshot.path.display().to_string()).unwrap_or_default();
                    crate::error::message(format!("cannot restore its state from '{path}': {e}"))
                };
                let mut operators = Vec::new();
                let mut head = None;
                for &node in &chain.nodes {
                    let info = info_for(node);
                    match &graph.nodes[node].kind {
                        NodeKind::Source(factory) => {
                            let mut source = factory(&info).map_err(|e| creation_error(node, e))?;
                            if let Some(state) = restored(&info).map_err(|e| creation_error(node, e))? {
                                source.restore_state(state).map_err(|e| creation_error(node, restore_error(e)))?;
                            }
                            head = Some(Head::Source { source, info });
                        }
                        NodeKind::Operator(factory) => {
                            let mut op = factory(&info).map_err(|e| creation_error(node, e))?;
                            if let Some(state) = restored(&info).map_err(|e| creation_error(node, e))? {
                                op.restore_state(state).map_err(|e| creation_error(node, restore_error(e)))?;
                            }
                            operators.push((info, op));
                        }
                    }
                }
                let head = match head {
                    Some(h) => h,
                    None => Head::Input {
                        receiver: receivers[c][subtask].take().expect("one receiver per task"),
                        channels: plan.input_channels(c),
                    },
                };
                let outputs = chain
                    .outputs
                    .iter()
                    .map(|out| {
                        let targets = &senders[out.to_chain];
                        let forward = out.partitioning == Partitioning::Forward;
                        let chosen = if forward { vec![targets[subtask].clone()] } else { targets.clone() };
                        let channel = out.channel_offset + if forward { 0 } else { subtask };
                        OutputRoute::new(out.partitioning, chosen, out.port, channel, plan.max_parallelism, subtask)
                    })
                    .collect();
                tasks.push(Task {
                    name: chain.name.clone(),
                    subtask,
                    parallelism: chain.parallelism,
                    head,
                    operators,
                    outputs,
                    batch_size: config.batch_size,
                    shared: shared.clone(),
                    clock: config.clock.clone(),
                    input_watermark: crate::time::MIN_WATERMARK,
                    checkpointing: None,
                });
            }
        }
        Ok(())
    });
    created?;
    drop(senders);
    let coordinator = config.checkpoint.clone().map(|settings| {
        let sources = tasks.iter().enumerate().filter(|(_, t)| t.has_source()).map(|(i, _)| i).collect();
        let instances = tasks.iter().map(Task::instances).collect();
        let last_id = config.restore.as_ref().map_or(0, |r| r.snapshot.metadata.checkpoint_id);
        let (ends, setup, savepoints) = crate::checkpoint::runtime::channels(settings, tasks.len(), sources, last_id, plan.max_parallelism, instances);
        for (task, end) in tasks.iter_mut().zip(ends) {
            task.checkpointing = Some(end);
        }
        Coordinator { setup, savepoints }
    });
    Ok((plan, tasks, shared, coordinator))
}

fn spawn<D: DataModel>(plan: PhysicalPlan, tasks: Vec<Task<D>>, shared: Arc<JobShared>, coordinator: Option<Coordinator>) -> Result<Attempt, JobError> {
    let (done_tx, done) = bounded(tasks.len().max(1));
    shared.running.store(tasks.len(), Ordering::Release);
    let checkpoints = Arc::new(Mutex::new(CheckpointStats::default()));
    let (coordinator, savepoints) = match coordinator {
        Some(Coordinator { setup, savepoints }) => {
            let (shared, stats) = (shared.clone(), checkpoints.clone());
            let handle = std::thread::Builder::new()
                .name("checkpoint coordinator".into())
                .spawn(move || crate::checkpoint::runtime::run(setup, shared, stats))
                .map_err(|e| JobError::Panic { task: "spawn".into(), message: e.to_string() })?;
            (Some(handle), Some(savepoints))
        }
        None => (None, None),
    };
    let mut threads = Vec::new();
    for task in tasks {
        let shared = shared.clone();
        let done_tx = done_tx.clone();
        let thread_name = format!("{} ({}/{})", task.name, task.subtask + 1, task.parallelism);
        let task_name = thread_name.clone();
        let handle = std::thread::Builder::new()
            .name(thread_name)
            .spawn(move || {
                let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| task.run()));
                let outcome = match result {
                    Ok(r) => r,
                    Err(panic) => {
                        let message = panic
                            .downcast_ref::<String>()
                            .cloned()
                            .or_else(|| panic.downcast_ref::<&str>().map(|s| s.to_string()))
                            .unwrap_or_else(|| "unknown panic".into());
                        Err(JobError::Panic { task: task_name, message })
                    }
                };
                match outcome {
                    Err(JobError::Cancelled) if shared.stopping.load(Ordering::Relaxed) => {}
                    Err(e) => shared.fail(e),
                    Ok(()) => {}
                }
                shared.running.fetch_sub(1, Ordering::AcqRel);
                let _ = done_tx.send(());
            })
            .map_err(|e| JobError::Panic { task: "spawn".into(), message: e.to_string() })?;
        threads.push(handle);
    }
    Ok(Attempt { shared, threads, coordinator, savepoints, checkpoints, done, started: Instant::now(), plan })
}
