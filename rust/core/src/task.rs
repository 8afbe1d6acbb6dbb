//! One parallel instance of a chain, run on its own thread: read input (or poll the source), push
//! each batch through the chained operators inside the data model's scope, route the output.

use std::sync::atomic::Ordering;
use std::sync::Arc;

use std::collections::VecDeque;

use crossbeam_channel::{Receiver, RecvTimeoutError};

use crate::checkpoint::alignment::{Alignment, BarrierAligner};
use crate::checkpoint::runtime::{TaskCheckpointing, TaskControl, TaskReport};
use crate::checkpoint::snapshot::{OperatorSnapshot, SnapshotWriter};
use crate::checkpoint::storage::{encode_task_file, InstanceSnapshot};
use crate::checkpoint::{Barrier, CheckpointId};

use crate::data::{DataModel, Record};
use crate::error::{BoxError, JobError};
use crate::exchange::{Envelope, Event, OutputRoute, POLL_INTERVAL};
use crate::executor::JobShared;
use crate::operator::{Operator, Output, TaskInfo};
use crate::source::{Source, SourcePoll};
use crate::time::{Clock, Marker, WatermarkValve, MAX_WATERMARK};

pub(crate) enum Head<D: DataModel> {
    Source { source: Box<dyn Source<D>>, info: TaskInfo },
    Input { receiver: Receiver<Envelope<D>>, channels: usize },
}

pub(crate) struct Task<D: DataModel> {
    pub name: String,
    pub subtask: usize,
    pub parallelism: usize,
    pub head: Head<D>,
    /// The chained operators with where each runs.
    pub operators: Vec<(TaskInfo, Box<dyn Operator<D>>)>,
    pub outputs: Vec<OutputRoute<D>>,
    pub batch_size: usize,
    pub shared: Arc<JobShared>,
    pub clock: Arc<dyn Clock>,
    /// The largest watermark the chain has been given (the end of input gives MAX only once).
    pub input_watermark: i64,
    /// The job takes checkpoints: this task's channels to the coordinator.
    pub checkpointing: Option<TaskCheckpointing>,
}

/// Which stage failed, so the error names the operator.
struct StageError {
    stage: Stage,
    error: BoxError,
}

#[derive(Clone, Copy)]
enum Stage {
    Source,
    Operator(usize),
}

type StageResult<T> = Result<T, StageError>;

fn at(stage: Stage) -> impl Fn(BoxError) -> StageError {
    move |error| StageError { stage, error }
}

impl<D: DataModel> Task<D> {
    pub fn run(mut self) -> Result<(), JobError> {
        let opened = D::scoped(|| self.open());
        let result = match opened {
            Ok(()) => self.run_opened(),
            Err(e) => Err(self.job_error(e)),
        };
        let closed = D::scoped(|| self.close()).map_err(|e| self.job_error(e));
        // Values still held (a source's input, operator state) are released in the scope too:
        // for Python objects that is one GIL acquisition instead of a deferred decref each.
        D::scoped(move || drop(self));
        result.and(closed)
    }

    fn run_opened(&mut self) -> Result<(), JobError> {
        match &self.head {
            Head::Source { .. } => self.run_source(),
            Head::Input { .. } => self.run_input(),
        }
    }

    fn open(&mut self) -> StageResult<()> {
        if let Head::Source { source, info } = &mut self.head {
            source.open(info).map_err(at(Stage::Source))?;
        }
        for (i, (info, op)) in self.operators.iter_mut().enumerate() {
            op.open(info).map_err(at(Stage::Operator(i)))?;
        }
        Ok(())
    }

    fn close(&mut self) -> StageResult<()> {
        let mut first = Ok(());
        if let Head::Source { source, .. } = &mut self.head {
            first = source.close().map_err(at(Stage::Source));
        }
        for (i, (_, op)) in self.operators.iter_mut().enumerate() {
            let r = op.close().map_err(at(Stage::Operator(i)));
            if first.is_ok() {
                first = r;
            }
        }
        first
    }

    fn cancelled(&self) -> Result<(), JobError> {
        if self.shared.cancelled.load(Ordering::Relaxed) {
            Err(JobError::Cancelled)
        } else {
            Ok(())
        }
    }

    /// Runs `step` inside the data model's scope, then sends what it routed.
    fn step(&mut self, step: impl FnOnce(&mut Self) -> StageResult<()>) -> Result<(), JobError> {
        D::scoped(|| step(self)).map_err(|e| self.job_error(e))?;
        self.flush()
    }

    fn run_source(&mut self) -> Result<(), JobError> {
        while self.source_step()? {}
        self.end_of_input()?;
        self.final_checkpoint()
    }

    /// Polls the source once and pushes what it gave through the chain; `false` once the source
    /// is exhausted (then `end_of_input` finishes the task).
    pub(crate) fn source_step(&mut self) -> Result<bool, JobError> {
        self.cancelled()?;
        self.handle_controls()?;
        let batch_size = self.batch_size;
        let mut more = true;
        self.step(|task| {
            let poll = match &mut task.head {
                Head::Source { source, .. } => source.poll(batch_size).map_err(at(Stage::Source))?,
                Head::Input { .. } => unreachable!("only source tasks are stepped"),
            };
            match poll {
                SourcePoll::Records(records) => task.push(0, 0, records)?,
                SourcePoll::Pending => std::thread::sleep(std::time::Duration::from_millis(1)),
                SourcePoll::Watermark(watermark) => task.push_watermark(0, watermark)?,
                SourcePoll::Finished => more = false,
            }
            task.tick()
        })?;
        Ok(more)
    }

    /// Whether this task reads a source (and so can be stepped by its caller).
    pub(crate) fn has_source(&self) -> bool {
        matches!(self.head, Head::Source { .. })
    }

    /// Opens the task's source and operators (for stepping by the caller).
    pub(crate) fn open_stepped(&mut self) -> Result<(), JobError> {
        D::scoped(|| self.open()).map_err(|e| self.job_error(e))
    }

    /// Closes the task's source and operators (for stepping by the caller).
    pub(crate) fn close_stepped(&mut self) -> Result<(), JobError> {
        D::scoped(|| self.close()).map_err(|e| self.job_error(e))
    }

    fn run_input(&mut self) -> Result<(), JobError> {
        let (receiver, channels) = match &self.head {
            Head::Input { receiver, channels } => (receiver.clone(), *channels),
            Head::Source { .. } => unreachable!(),
        };
        // An operator's event time is the minimum over its (non-idle) input channels.
        let mut valve = WatermarkValve::new(channels);
        let mut ended = vec![false; channels];
        let mut open_channels = channels;
        // Events of channels blocked by barrier alignment wait here, in arrival order.
        let mut aligner = BarrierAligner::new(channels);
        let mut parked: VecDeque<Envelope<D>> = VecDeque::new();
        while open_channels > 0 {
            self.handle_controls()?;
            let unparked = parked.iter().position(|e| !aligner.is_blocked(e.channel)).and_then(|i| parked.remove(i));
            let envelope = match unparked {
                Some(envelope) => envelope,
                None => match receiver.recv_timeout(POLL_INTERVAL) {
                    Ok(envelope) if aligner.is_blocked(envelope.channel) => {
                        parked.push_back(envelope);
                        continue;
                    }
                    Ok(envelope) => envelope,
                    Err(RecvTimeoutError::Timeout) => {
                        self.cancelled()?;
                        self.step(|task| task.tick())?;
                        continue;
                    }
                    Err(RecvTimeoutError::Disconnected) => {
                        // Upstream is gone; a stop-with-savepoint leaves its commit and stop
                        // notices in the control queue: carry them out first.
                        self.handle_controls()?;
                        return Err(JobError::Cancelled);
                    }
                },
            };
            let channel = envelope.channel;
            match envelope.event {
                Event::Records(records) => {
                    let markers = valve.on_record(channel);
                    self.step(|task| {
                        task.push_markers(0, markers)?;
                        task.push(0, envelope.port, records)?;
                        task.tick()
                    })?;
                }
                Event::Watermark(w) => {
                    let markers = valve.on_watermark(channel, w);
                    self.step_markers(markers)?;
                }
                Event::Idle(idle) => {
                    let markers = valve.on_idle(channel, idle);
                    self.step_markers(markers)?;
                }
                Event::Barrier(barrier) => {
                    if let Alignment::Aligned(barrier) = aligner.on_barrier(channel, barrier) {
                        self.checkpoint(barrier)?;
                    }
                }
                Event::EndOfInput => {
                    if !ended[channel] {
                        ended[channel] = true;
                        open_channels -= 1;
                        if open_channels > 0 {
                            let markers = valve.on_end(channel);
                            self.step_markers(markers)?;
                        }
                        if let Alignment::Aligned(barrier) = aligner.on_end(channel) {
                            self.checkpoint(barrier)?;
                        }
                    }
                }
            }
        }
        self.end_of_input()?;
        self.final_checkpoint()
    }

    /// `(uid, parallelism)` of the source and operators of this task.
    pub(crate) fn instances(&self) -> Vec<(String, usize)> {
        let head = match &self.head {
            Head::Source { info, .. } => Some(info),
            Head::Input { .. } => None,
        };
        head.into_iter().chain(self.operators.iter().map(|(i, _)| i)).map(|i| (i.uid.clone(), self.parallelism)).collect()
    }

    /// Carries out what the checkpoint coordinator sent (between batches).
    fn handle_controls(&mut self) -> Result<(), JobError> {
        loop {
            let Some(cp) = &self.checkpointing else { return Ok(()) };
            let Ok(control) = cp.control.try_recv() else { return Ok(()) };
            match control {
                TaskControl::Trigger(barrier) if self.has_source() => self.checkpoint(barrier)?,
                TaskControl::Trigger(_) => {}
                TaskControl::Complete(id) | TaskControl::Finalize(id) => self.notify_complete(id)?,
                TaskControl::Stop => return Err(JobError::Cancelled),
            }
        }
    }

    /// Snapshots the chain for checkpoint `barrier.id`, reports it and forwards the barrier.
    fn checkpoint(&mut self, barrier: Barrier) -> Result<(), JobError> {
        let id = barrier.id;
        // Savepoints are backend-neutral: every entry, no engine files.
        let (state, engines) = if barrier.savepoint {
            (D::scoped(|| self.snapshot_chain(id)), Vec::new())
        } else {
            crate::checkpoint::engine_files::collect(id, || D::scoped(|| self.snapshot_chain(id)))
        };
        let Some(cp) = &mut self.checkpointing else { return Ok(()) };
        cp.last_id = cp.last_id.max(id);
        let task = cp.index;
        let report = match state {
            Ok(state) => TaskReport::Ack { task, id, state, engines },
            Err(reason) => TaskReport::Decline { task, id, reason },
        };
        let _ = cp.reports.send(report);
        for route in &mut self.outputs {
            route.control(|| Event::Barrier(barrier.clone()));
        }
        self.flush()
    }

    /// The state of the source and every operator of the chain, as a task file; the error says
    /// which operator could not snapshot and why.
    fn snapshot_chain(&mut self, id: CheckpointId) -> Result<Vec<u8>, String> {
        let mut instances = Vec::new();
        let (subtask, parallelism) = (self.subtask, self.parallelism);
        // A source's snapshot is kept even when empty: on restore it means "nothing left to
        // read", where no snapshot at all means a new source that starts from the beginning.
        let mut add = |info: &TaskInfo, snapshot: OperatorSnapshot, source: bool| {
            if source || !snapshot.is_empty() {
                instances.push(InstanceSnapshot { uid: info.uid.clone(), subtask, parallelism, snapshot });
            }
        };
        let failed = |info: &TaskInfo, e: BoxError| format!("operator '{}' (subtask {} of {}) could not snapshot its state: {e}", info.operator_name, subtask + 1, parallelism);
        if let Head::Source { source, info } = &mut self.head {
            let mut snapshot = OperatorSnapshot::default();
            source.snapshot_state(id, &mut SnapshotWriter::new(&mut snapshot)).map_err(|e| failed(info, e))?;
            add(info, snapshot, true);
        }
        for (info, op) in &mut self.operators {
            let mut snapshot = OperatorSnapshot::default();
            op.snapshot_state(id, &mut SnapshotWriter::new(&mut snapshot)).map_err(|e| failed(info, e))?;
            add(info, snapshot, false);
        }
        encode_task_file(&instances).map_err(|e| format!("the state of task '{}' could not be encoded: {e}", self.name))
    }

    /// Tells every operator that checkpoint `id` completed (two-phase sinks commit), once.
    fn notify_complete(&mut self, id: CheckpointId) -> Result<(), JobError> {
        // The final checkpoint comes as Complete and then Finalize: commit once.
        match &mut self.checkpointing {
            Some(cp) if id <= cp.notified => return Ok(()),
            Some(cp) => cp.notified = id,
            None => {}
        }
        self.step(|task| {
            for (i, (_, op)) in task.operators.iter_mut().enumerate() {
                op.notify_checkpoint_complete(id).map_err(at(Stage::Operator(i)))?;
            }
            Ok(())
        })
    }

    /// With checkpointing, a finished task reports its final state and waits until the final
    /// checkpoint that holds it completes, then commits: output is committed only once it is in
    /// a completed checkpoint, also at the end of a bounded job.
    fn final_checkpoint(&mut self) -> Result<(), JobError> {
        let Some(cp) = &self.checkpointing else { return Ok(()) };
        let id = cp.last_id + 1;
        let state = D::scoped(|| self.snapshot_chain(id)).map_err(JobError::Checkpoint)?;
        let Some(cp) = &self.checkpointing else { return Ok(()) };
        let _ = cp.reports.send(TaskReport::Finished { task: cp.index, state });
        loop {
            self.cancelled()?;
            let Some(cp) = &self.checkpointing else { return Ok(()) };
            match cp.control.recv_timeout(POLL_INTERVAL) {
                Ok(TaskControl::Finalize(id)) => return self.notify_complete(id),
                Ok(TaskControl::Complete(id)) => self.notify_complete(id)?,
                Ok(TaskControl::Stop) => return Err(JobError::Cancelled),
                Ok(TaskControl::Trigger(_)) | Err(RecvTimeoutError::Timeout) => {}
                Err(RecvTimeoutError::Disconnected) => return Err(JobError::Cancelled),
            }
        }
    }

    /// Pushes what the input valve decided through the chain (nothing to do for none).
    fn step_markers(&mut self, markers: Vec<Marker>) -> Result<(), JobError> {
        if markers.is_empty() {
            return Ok(());
        }
        self.step(|task| task.push_markers(0, markers))
    }

    fn push_markers(&mut self, from: usize, markers: Vec<Marker>) -> StageResult<()> {
        for marker in markers {
            match marker {
                Marker::Watermark(w) => self.push_watermark(from, w)?,
                Marker::Idle(idle) => self.push_idle(from, idle)?,
            }
        }
        Ok(())
    }

    /// The input is exhausted: event time jumps to the end, operators flush, downstream is told.
    pub(crate) fn end_of_input(&mut self) -> Result<(), JobError> {
        self.step(|task| {
            if task.input_watermark < MAX_WATERMARK {
                task.push_watermark(0, MAX_WATERMARK)?;
            }
            for i in 0..task.operators.len() {
                let mut out = Output::default();
                task.operators[i].1.finish(&mut out).map_err(at(Stage::Operator(i)))?;
                task.push_output(i + 1, out)?;
            }
            for route in &mut task.outputs {
                route.control(|| Event::EndOfInput);
            }
            Ok(())
        })
    }

    /// Lets every operator fire what is due in processing time.
    fn tick(&mut self) -> StageResult<()> {
        let now = self.clock.now();
        for i in 0..self.operators.len() {
            let mut out = Output::default();
            self.operators[i].1.on_processing_time(now, &mut out).map_err(at(Stage::Operator(i)))?;
            self.push_output(i + 1, out)?;
        }
        Ok(())
    }

    /// Pushes records through the operators from index `from` on, then routes what comes out.
    fn push(&mut self, from: usize, port: usize, records: Vec<Record<D>>) -> StageResult<()> {
        if records.is_empty() {
            return Ok(());
        }
        if from == self.operators.len() {
            return self.route(records);
        }
        let mut out = Output::with_capacity(records.len());
        self.operators[from].1.process(port, records, &mut out).map_err(at(Stage::Operator(from)))?;
        self.push_output(from + 1, out)
    }

    /// Hands an operator's output (records with watermarks and status changes between them) to
    /// the next operator.
    fn push_output(&mut self, next: usize, out: Output<D>) -> StageResult<()> {
        let (records, markers) = out.into_parts();
        if markers.is_empty() {
            return self.push(next, 0, records);
        }
        let mut records = records.into_iter();
        let mut taken = 0;
        for (position, marker) in markers {
            let segment: Vec<Record<D>> = records.by_ref().take(position - taken).collect();
            taken = position;
            self.push(next, 0, segment)?;
            match marker {
                Marker::Watermark(w) => self.push_watermark(next, w)?,
                Marker::Idle(idle) => self.push_idle(next, idle)?,
            }
        }
        self.push(next, 0, records.collect())
    }

    fn push_watermark(&mut self, from: usize, watermark: i64) -> StageResult<()> {
        if from == 0 {
            self.input_watermark = self.input_watermark.max(watermark);
        }
        if from == self.operators.len() {
            for route in &mut self.outputs {
                route.control(|| Event::Watermark(watermark));
            }
            return Ok(());
        }
        let mut out = Output::default();
        self.operators[from].1.on_watermark(watermark, &mut out).map_err(at(Stage::Operator(from)))?;
        self.push_output(from + 1, out)
    }

    /// A watermark status change (idle / active) from operator `from - 1` or the input.
    fn push_idle(&mut self, from: usize, idle: bool) -> StageResult<()> {
        if from == self.operators.len() {
            for route in &mut self.outputs {
                route.control(|| Event::Idle(idle));
            }
            return Ok(());
        }
        let mut out = Output::default();
        self.operators[from].1.on_idle(idle, &mut out).map_err(at(Stage::Operator(from)))?;
        self.push_output(from + 1, out)
    }

    fn route(&mut self, records: Vec<Record<D>>) -> StageResult<()> {
        let stage = Stage::Operator(self.operators.len().saturating_sub(1));
        match self.outputs.len() {
            0 => Ok(()),
            1 => self.outputs[0].partition(records).map_err(at(stage)),
            n => {
                for route in &mut self.outputs[..n - 1] {
                    route.partition(records.iter().map(Record::duplicate).collect()).map_err(at(stage))?;
                }
                self.outputs[n - 1].partition(records).map_err(at(stage))
            }
        }
    }

    fn flush(&mut self) -> Result<(), JobError> {
        let cancelled = &self.shared.cancelled;
        for route in &mut self.outputs {
            route.flush(cancelled)?;
        }
        Ok(())
    }

    fn job_error(&self, e: StageError) -> JobError {
        let operator = match (e.stage, &self.head) {
            (Stage::Source, Head::Source { info, .. }) => info.operator_name.clone(),
            (Stage::Operator(i), _) if i < self.operators.len() => self.operators[i].0.operator_name.clone(),
            _ => self.name.clone(),
        };
        JobError::Operator { operator, subtask: self.subtask, parallelism: self.parallelism, source: e.error }
    }
}
