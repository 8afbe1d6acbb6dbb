//! The operator interface: a stage of a chain that turns input records into output records.

use crate::checkpoint::snapshot::{RestoredState, SnapshotWriter};
use crate::checkpoint::CheckpointId;
use crate::data::{DataModel, Record};
use crate::error::{message, BoxError};
pub use crate::time::Marker;

/// What an operator emits: records, with watermarks (and watermark status changes) placed
/// between them.
pub struct Output<D: DataModel> {
    records: Vec<Record<D>>,
    /// `(position, marker)`: the marker follows the first `position` records.
    markers: Vec<(usize, Marker)>,
}

impl<D: DataModel> Default for Output<D> {
    fn default() -> Self {
        Output { records: Vec::new(), markers: Vec::new() }
    }
}

impl<D: DataModel> Output<D> {
    pub fn with_capacity(n: usize) -> Self {
        Output { records: Vec::with_capacity(n), markers: Vec::new() }
    }

    /// Emits a watermark after the records emitted so far.
    pub fn emit_watermark(&mut self, watermark: i64) {
        self.markers.push((self.records.len(), Marker::Watermark(watermark)));
    }

    /// Emits a watermark status change after the records emitted so far: `true` declares this
    /// stream idle (Flink's `WatermarkStatus.IDLE`: downstream leaves it out of its watermark
    /// until it is active again), `false` active again.
    pub fn emit_idle(&mut self, idle: bool) {
        self.markers.push((self.records.len(), Marker::Idle(idle)));
    }

    pub fn is_empty(&self) -> bool {
        self.records.is_empty() && self.markers.is_empty()
    }

    /// The records and watermarks in emission order (watermark status changes left out).
    pub fn into_segments(self) -> (Vec<Record<D>>, Vec<(usize, i64)>) {
        let watermarks = self
            .markers
            .into_iter()
            .filter_map(|(position, marker)| match marker {
                Marker::Watermark(w) => Some((position, w)),
                Marker::Idle(_) => None,
            })
            .collect();
        (self.records, watermarks)
    }

    /// The records and every marker (watermarks and status changes) in emission order.
    pub fn into_parts(self) -> (Vec<Record<D>>, Vec<(usize, Marker)>) {
        (self.records, self.markers)
    }
}

impl<D: DataModel> std::ops::Deref for Output<D> {
    type Target = Vec<Record<D>>;
    fn deref(&self) -> &Vec<Record<D>> {
        &self.records
    }
}

impl<D: DataModel> std::ops::DerefMut for Output<D> {
    fn deref_mut(&mut self) -> &mut Vec<Record<D>> {
        &mut self.records
    }
}

/// Where an operator instance runs.
#[derive(Clone)]
pub struct TaskInfo {
    /// The chain's name, e.g. `Source: Collection -> FlatMap`.
    pub task_name: String,
    /// This operator's own name.
    pub operator_name: String,
    /// What matches the operator's state in a snapshot (the user's `uid`, or one derived from
    /// its place in the graph).
    pub uid: String,
    pub subtask_index: usize,
    pub parallelism: usize,
    pub max_parallelism: usize,
    pub attempt_number: usize,
    /// Processing time, replaceable in tests.
    pub clock: std::sync::Arc<dyn crate::time::Clock>,
    /// The job takes checkpoints: two-phase sinks commit on checkpoint completion, not at the
    /// end of their input.
    pub checkpointing: bool,
    /// Where keyed operators keep their state: `None` in memory, else in the job's engine
    /// (see [`crate::state::KeyedStateStore::for_task`]).
    pub state_backend: Option<crate::state::StateBackend>,
}

impl std::fmt::Debug for TaskInfo {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} ({}/{})", self.operator_name, self.subtask_index + 1, self.parallelism)
    }
}

/// A stage of a task. Every method appends what it emits to `out`.
///
/// `input` is the logical input port (0 for single-input operators).
pub trait Operator<D: DataModel>: Send {
    fn open(&mut self, _task: &TaskInfo) -> Result<(), BoxError> {
        Ok(())
    }

    fn process(
        &mut self,
        input: usize,
        records: Vec<Record<D>>,
        out: &mut Output<D>,
    ) -> Result<(), BoxError>;

    /// The operator's event time advanced to `watermark`. Fire what is due, then forward the
    /// watermark (the default) unless the operator makes its own watermarks.
    fn on_watermark(&mut self, watermark: i64, out: &mut Output<D>) -> Result<(), BoxError> {
        out.emit_watermark(watermark);
        Ok(())
    }

    /// The watermark status of the operator's input changed: `idle` = every input is idle (see
    /// [`Output::emit_idle`]). Forwarded (the default) unless the operator decides its own status.
    fn on_idle(&mut self, idle: bool, out: &mut Output<D>) -> Result<(), BoxError> {
        out.emit_idle(idle);
        Ok(())
    }

    /// Processing time advanced to `now` (called between batches and while idle).
    fn on_processing_time(&mut self, _now: i64, _out: &mut Output<D>) -> Result<(), BoxError> {
        Ok(())
    }

    /// All inputs ended (after the final watermark); emit whatever is still buffered.
    fn finish(&mut self, _out: &mut Output<D>) -> Result<(), BoxError> {
        Ok(())
    }

    fn close(&mut self) -> Result<(), BoxError> {
        Ok(())
    }

    /// Writes the operator's state for checkpoint `checkpoint` (all input before the barrier has
    /// been processed, nothing after it). Stateless operators write nothing.
    fn snapshot_state(&mut self, _checkpoint: CheckpointId, _state: &mut SnapshotWriter<'_, D>) -> Result<(), BoxError> {
        Ok(())
    }

    /// Takes back this instance's share of a snapshot, before `open` (as Flink's
    /// `initializeState`). The default refuses state it would otherwise drop.
    fn restore_state(&mut self, state: RestoredState<D>) -> Result<(), BoxError> {
        refuse_state(state)
    }

    /// Checkpoint `checkpoint` completed on every task: commit what it covers (two-phase sinks).
    fn notify_checkpoint_complete(&mut self, _checkpoint: CheckpointId) -> Result<(), BoxError> {
        Ok(())
    }
}

/// What operators and sources without state do with restored state: refuse it unless empty.
pub fn refuse_state<D: DataModel>(state: RestoredState<D>) -> Result<(), BoxError> {
    if state.is_empty() {
        Ok(())
    } else {
        Err(message("the snapshot holds state for this operator, but it keeps none"))
    }
}

/// Creates the operator instance of one parallel subtask.
pub type OperatorFactory<D> =
    Box<dyn Fn(&TaskInfo) -> Result<Box<dyn Operator<D>>, BoxError> + Send + Sync>;
