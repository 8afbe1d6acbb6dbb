//! Runs a job: plans it, instantiates every operator, starts one thread per task, and reports the
//! first failure (cancelling the rest) or success.

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use crossbeam_channel::{bounded, Receiver, Sender};

use crate::data::DataModel;
use crate::error::JobError;
use crate::exchange::{Envelope, OutputRoute};
use crate::graph::{JobGraph, NodeKind, Partitioning};
use crate::operator::TaskInfo;
use crate::plan::{plan, PhysicalPlan};
use crate::task::{Head, Task};

/// State every task of a job shares.
pub struct JobShared {
    pub(crate) cancelled: AtomicBool,
    error: Mutex<Option<JobError>>,
    running: AtomicUsize,
}

impl JobShared {
    /// Records a task's failure; the first real failure wins and cancels the job.
    fn fail(&self, error: JobError) {
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

/// What a finished job reports.
#[derive(Debug, Clone)]
pub struct JobOutcome {
    pub net_runtime: Duration,
    pub tasks: usize,
}

/// A started job.
pub struct RunningJob {
    shared: Arc<JobShared>,
    threads: Vec<JoinHandle<()>>,
    done: Receiver<()>,
    started: Instant,
    plan: PhysicalPlan,
}

impl RunningJob {
    /// Asks every task to stop; `wait` then returns [`JobError::Cancelled`].
    pub fn cancel(&self) {
        self.shared.fail(JobError::Cancelled);
    }

    pub fn is_finished(&self) -> bool {
        self.shared.running.load(Ordering::Acquire) == 0
    }

    pub fn plan(&self) -> &PhysicalPlan {
        &self.plan
    }

    /// Waits up to `timeout` for the job to end; `None` if it is still running.
    pub fn wait_timeout(&mut self, timeout: Duration) -> Option<Result<JobOutcome, JobError>> {
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
        let error = self.shared.error.lock().unwrap_or_else(|p| p.into_inner()).take();
        Some(match error {
            Some(e) => Err(e),
            None => Ok(JobOutcome { net_runtime: self.started.elapsed(), tasks: self.plan.chains.iter().map(|c| c.parallelism).sum() }),
        })
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
/// scope) and starts the tasks.
pub fn start<D: DataModel>(graph: JobGraph<D>) -> Result<RunningJob, JobError> {
    let (plan, tasks, shared) = build(graph)?;
    spawn(plan, tasks, shared)
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
    if plan.chains.len() != 1 || plan.chains[0].parallelism != 1 {
        return Ok(Err(graph));
    }
    let (_, mut tasks, _) = build(graph)?;
    let task = tasks.pop().expect("one task");
    if !task.has_source() {
        return Err(JobError::InvalidGraph("a single-task job must start with a source".into()));
    }
    Ok(Ok(InlineJob { task: Some(task), opened: false, started: Instant::now(), tasks: 1 }))
}

type Built<D> = (PhysicalPlan, Vec<Task<D>>, Arc<JobShared>);

/// Plans the job and creates its tasks (operators instantiated, channels wired), unstarted.
fn build<D: DataModel>(graph: JobGraph<D>) -> Result<Built<D>, JobError> {
    let plan = plan(&graph.shape(), graph.config.chaining, graph.config.max_parallelism)?;
    let config = graph.config.clone();
    let shared = Arc::new(JobShared { cancelled: AtomicBool::new(false), error: Mutex::new(None), running: AtomicUsize::new(0) });

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
                    subtask_index: subtask,
                    parallelism: chain.parallelism,
                    max_parallelism: plan.max_parallelism,
                    attempt_number: 0,
                    checkpointing: config.checkpointing,
                    clock: config.clock.clone(),
                };
                let creation_error = |node: usize, source| JobError::Operator {
                    operator: graph.nodes[node].name.clone(),
                    subtask,
                    parallelism: chain.parallelism,
                    source,
                };
                let mut operators = Vec::new();
                let mut head = None;
                for &node in &chain.nodes {
                    let info = info_for(node);
                    match &graph.nodes[node].kind {
                        NodeKind::Source(factory) => {
                            let source = factory(&info).map_err(|e| creation_error(node, e))?;
                            head = Some(Head::Source { source, info });
                        }
                        NodeKind::Operator(factory) => {
                            let op = factory(&info).map_err(|e| creation_error(node, e))?;
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
                });
            }
        }
        Ok(())
    });
    created?;
    drop(senders);
    Ok((plan, tasks, shared))
}

fn spawn<D: DataModel>(plan: PhysicalPlan, tasks: Vec<Task<D>>, shared: Arc<JobShared>) -> Result<RunningJob, JobError> {
    let (done_tx, done) = bounded(tasks.len().max(1));
    shared.running.store(tasks.len(), Ordering::Release);
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
                if let Err(e) = outcome {
                    shared.fail(e);
                }
                shared.running.fetch_sub(1, Ordering::AcqRel);
                let _ = done_tx.send(());
            })
            .map_err(|e| JobError::Panic { task: "spawn".into(), message: e.to_string() })?;
        threads.push(handle);
    }
    Ok(RunningJob { shared, threads, done, started: Instant::now(), plan })
}
