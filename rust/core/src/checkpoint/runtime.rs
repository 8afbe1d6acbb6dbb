//! The checkpoint coordinator of a running job: a thread that feeds what tasks report into the
//! pure [`CheckpointCoordinator`] and carries its actions out (barriers to the sources, files to
//! storage, completion notices to every task).

use std::path::PathBuf;
use std::sync::atomic::Ordering;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use crossbeam_channel::{unbounded, Receiver, RecvTimeoutError, Sender};

use super::engine_files::{delete_shared, store_engine_checkpoints, LocalEngineCheckpoint};
use super::incremental::SharedRegistry;
use super::protocol::{Action, CheckpointCoordinator, CoordinatorConfig};
use super::storage::{checkpoint_dir, savepoint_dir, write_snapshot, LoadedSnapshot, Metadata, SnapshotStorage};
use super::{Barrier, CheckpointId, SnapshotKind};
use crate::error::JobError;
use crate::executor::JobShared;

/// How a job checkpoints.
#[derive(Clone)]
pub struct CheckpointSettings {
    pub coordinator: CoordinatorConfig,
    /// `execution.checkpointing.dir`; checkpoints go to `<dir>/<job-id>/chk-<n>/`.
    pub dir: PathBuf,
    pub job_id: String,
    /// Keep the retained checkpoints when the job is cancelled or fails (externalized
    /// checkpoints, RETAIN_ON_CANCELLATION); otherwise they are deleted then.
    pub retain_on_cancellation: bool,
    pub storage: Arc<dyn SnapshotStorage>,
}

/// The snapshot a job starts from, and how strictly it must match the job.
#[derive(Clone)]
pub struct RestoreSettings {
    pub snapshot: Arc<LoadedSnapshot>,
    /// `execution.state-recovery.ignore-unclaimed-state`: state of operators that no longer
    /// exist is dropped instead of refused.
    pub ignore_unclaimed: bool,
}

/// What the coordinator tells a task.
pub(crate) enum TaskControl {
    /// Source tasks: snapshot now and send this barrier downstream.
    Trigger(Barrier),
    /// Checkpoint (or savepoint) `id` completed: commit what it covers.
    Complete(CheckpointId),
    /// Every task finished and checkpoint `id` holds their final state: commit and exit.
    Finalize(CheckpointId),
    /// Stop now (after a stop-with-savepoint completed and was committed): no end of input.
    Stop,
}

/// What a task tells the coordinator.
pub(crate) enum TaskReport {
    /// `engines`: what the task's stores wrote as engine files (incremental checkpoints).
    Ack { task: usize, id: CheckpointId, state: Vec<u8>, engines: Vec<LocalEngineCheckpoint> },
    Decline { task: usize, id: CheckpointId, reason: String },
    /// The task's input ended; `state` is its state after finishing.
    Finished { task: usize, state: Vec<u8> },
}

/// A task's end of the checkpoint channels.
pub(crate) struct TaskCheckpointing {
    pub index: usize,
    pub control: Receiver<TaskControl>,
    pub reports: Sender<TaskReport>,
    /// The latest checkpoint id this task took part in (or was restored from).
    pub last_id: CheckpointId,
    /// The latest checkpoint the task's operators were told completed.
    pub notified: CheckpointId,
}

/// A savepoint request from the user, answered with the savepoint's directory.
pub(crate) struct SavepointRequest {
    pub target: PathBuf,
    /// Stop the job once the savepoint completed (Flink's stop-with-savepoint).
    pub stop: bool,
    pub reply: Sender<Result<PathBuf, String>>,
}

/// The coordinator side, before its thread starts.
pub(crate) struct CoordinatorSetup {
    pub settings: CheckpointSettings,
    pub controls: Vec<Sender<TaskControl>>,
    pub sources: Vec<usize>,
    pub reports: Receiver<TaskReport>,
    pub savepoints: Receiver<SavepointRequest>,
    pub last_id: CheckpointId,
    pub max_parallelism: usize,
    /// Per task: (uid, parallelism) of its operators, for the metadata.
    pub instances: Vec<Vec<(String, usize)>>,
}

/// Creates the channels of `tasks` tasks; returns each task's end and the coordinator's.
pub(crate) fn channels(
    settings: CheckpointSettings,
    tasks: usize,
    sources: Vec<usize>,
    last_id: CheckpointId,
    max_parallelism: usize,
    instances: Vec<Vec<(String, usize)>>,
) -> (Vec<TaskCheckpointing>, CoordinatorSetup, Sender<SavepointRequest>) {
    let (report_tx, reports) = unbounded();
    let (savepoint_tx, savepoints) = unbounded();
    let mut ends = Vec::new();
    let mut controls = Vec::new();
    for index in 0..tasks {
        let (tx, rx) = unbounded();
        controls.push(tx);
        ends.push(TaskCheckpointing { index, control: rx, reports: report_tx.clone(), last_id, notified: last_id });
    }
    (ends, CoordinatorSetup { settings, controls, sources, reports, savepoints, last_id, max_parallelism, instances }, savepoint_tx)
}

fn now_ms() -> i64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_millis() as i64).unwrap_or(0)
}

/// Where checkpoints of the job completed so far are; shared with the job's handle.
#[derive(Default)]
pub struct CheckpointStats {
    pub completed: Vec<(CheckpointId, PathBuf)>,
    pub latest: Option<PathBuf>,
}

/// Runs the coordinator until the job ends.
pub(crate) fn run(setup: CoordinatorSetup, shared: Arc<JobShared>, stats: Arc<Mutex<CheckpointStats>>) {
    let CoordinatorSetup { settings, controls, sources, reports, savepoints, last_id, max_parallelism, instances } = setup;
    let storage = settings.storage.clone();
    let mut coordinator: CheckpointCoordinator<Arc<AckState>> =
        CheckpointCoordinator::new(settings.coordinator.clone(), controls.len(), last_id, now_ms());
    let mut waiting: Vec<(CheckpointId, SavepointRequest)> = Vec::new();
    let mut locations: Vec<(CheckpointId, PathBuf)> = Vec::new();
    let mut retained: Vec<(CheckpointId, PathBuf)> = Vec::new();
    let mut unsent_savepoints: Vec<SavepointRequest> = Vec::new();
    let mut shared_files = SharedRegistry::default();
    let job_dir = settings.dir.join(&settings.job_id);
    let tick = Duration::from_millis(5);
    loop {
        let mut actions = Vec::new();
        match reports.recv_timeout(tick) {
            Ok(report) => {
                let now = now_ms();
                actions.extend(match report {
                    TaskReport::Ack { task, id, state, engines } => coordinator.on_ack(task, id, Arc::new(AckState { state, engines }), now),
                    TaskReport::Decline { task, id, reason } => coordinator.on_decline(task, id, reason, now),
                    TaskReport::Finished { task, state } => {
                        coordinator.on_task_finished(task, Arc::new(AckState { state, engines: Vec::new() }), now)
                    }
                });
            }
            Err(RecvTimeoutError::Timeout) => {}
            Err(RecvTimeoutError::Disconnected) => break,
        }
        while let Ok(request) = savepoints.try_recv() {
            unsent_savepoints.push(request);
        }
        for request in unsent_savepoints.drain(..) {
            let found = coordinator.trigger_savepoint(now_ms(), request.target.clone());
            if let Some(Action::Trigger { id, .. }) = found.iter().find(|a| matches!(a, Action::Trigger { .. })) {
                waiting.push((*id, request));
            } else {
                let _ = request.reply.send(Err("the job has finished; no savepoint can be taken".into()));
            }
            actions.extend(found);
        }
        actions.extend(coordinator.on_tick(now_ms()));
        for action in actions {
            match action {
                Action::Trigger { id, kind, timestamp_ms } => {
                    let dir = match &kind {
                        SnapshotKind::Checkpoint => checkpoint_dir(&settings.dir, &settings.job_id, id),
                        SnapshotKind::Savepoint { target } => savepoint_dir(target, &settings.job_id),
                    };
                    locations.push((id, dir));
                    for &s in &sources {
                        let savepoint = matches!(kind, SnapshotKind::Savepoint { .. });
                        let _ = controls[s].send(TaskControl::Trigger(Barrier { id, timestamp_ms, savepoint }));
                    }
                }
                Action::Complete { id, kind, timestamp_ms, acks } => {
                    let savepoint = matches!(kind, SnapshotKind::Savepoint { .. });
                    let dir = match locations.iter().position(|(i, _)| *i == id) {
                        Some(i) => locations.remove(i).1,
                        None => checkpoint_dir(&settings.dir, &settings.job_id, id),
                    };
                    let files: Vec<&[u8]> = acks.iter().map(|a| a.state.as_slice()).collect();
                    let mut metadata = Metadata::new(&settings.job_id, id, savepoint, timestamp_ms, max_parallelism);
                    let engines: Vec<&LocalEngineCheckpoint> = acks.iter().flat_map(|a| a.engines.iter()).collect();
                    let written = store_engine_checkpoints(storage.as_ref(), &dir, &mut shared_files, id, &engines)
                        .and_then(|states| {
                            metadata.engines = states;
                            write_snapshot(storage.as_ref(), &dir, metadata, &files, |i| instances[i].clone())
                        });
                    // The local engine files are stored (or the job fails): remove them.
                    drop(files);
                    drop(engines);
                    drop(acks);
                    if let Err(e) = written {
                        shared.fail(JobError::Checkpoint(format!("checkpoint {id} could not be written: {e}")));
                        break;
                    }
                    for control in &controls {
                        let _ = control.send(TaskControl::Complete(id));
                    }
                    if let Some(i) = waiting.iter().position(|(w, _)| *w == id) {
                        let request = waiting.remove(i).1;
                        if request.stop {
                            // Every task commits the savepoint (Complete comes first in its
                            // queue), then stops; the job ends without finishing its input.
                            shared.stopping.store(true, Ordering::Relaxed);
                            for control in &controls {
                                let _ = control.send(TaskControl::Stop);
                            }
                        }
                        let _ = request.reply.send(Ok(dir.clone()));
                    }
                    let mut stats = stats.lock().unwrap_or_else(|p| p.into_inner());
                    if !savepoint {
                        retained.push((id, dir.clone()));
                        stats.completed.push((id, dir.clone()));
                        stats.latest = Some(dir);
                    }
                }
                Action::Abort { id, reason, .. } => {
                    if let Some(i) = locations.iter().position(|(i, _)| *i == id) {
                        let _ = storage.discard(&locations.remove(i).1);
                    }
                    if let Some(i) = waiting.iter().position(|(w, _)| *w == id) {
                        let _ = waiting.remove(i).1.reply.send(Err(reason));
                    }
                }
                Action::Discard { id } => {
                    if let Some(i) = retained.iter().position(|(r, _)| *r == id) {
                        let _ = storage.discard(&retained.remove(i).1);
                    }
                    delete_shared(storage.as_ref(), &job_dir, &shared_files.discard(id));
                }
                Action::Finalize { id } => {
                    for control in &controls {
                        let _ = control.send(TaskControl::Finalize(id));
                    }
                }
                Action::FailJob { reason } => {
                    shared.fail(JobError::Checkpoint(reason));
                }
            }
        }
        if shared.cancelled.load(Ordering::Relaxed) || shared.running.load(Ordering::Acquire) == 0 {
            break;
        }
    }
    for (_, request) in waiting {
        let _ = request.reply.send(Err("the job ended before the savepoint completed".into()));
    }
    for request in unsent_savepoints.into_iter().chain(savepoints.try_iter()) {
        let _ = request.reply.send(Err("the job ended before the savepoint was taken".into()));
    }
    // A cancelled job keeps its checkpoints only if they are retained on cancellation; a failed
    // one always keeps them (as Flink), so it can be restored.
    for (_, dir) in locations {
        let _ = storage.discard(&dir);
    }
    if shared.is_cancelled_not_failed() && !settings.retain_on_cancellation {
        for (id, dir) in retained {
            let _ = storage.discard(&dir);
            delete_shared(storage.as_ref(), &job_dir, &shared_files.discard(id));
        }
    }
}

/// What a task acknowledged: its task file and its stores' engine files.
#[derive(Debug)]
pub(crate) struct AckState {
    state: Vec<u8>,
    engines: Vec<LocalEngineCheckpoint>,
}
