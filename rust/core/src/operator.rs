//! The operator interface: a stage of a chain that turns input records into output records.

use crate::data::{DataModel, Record};
use crate::error::BoxError;

/// What an operator emits: records, with watermarks placed between them.
pub struct Output<D: DataModel> {
    records: Vec<Record<D>>,
    /// `(position, watermark)`: the watermark follows the first `position` records.
    watermarks: Vec<(usize, i64)>,
}

impl<D: DataModel> Default for Output<D> {
    fn default() -> Self {
        Output { records: Vec::new(), watermarks: Vec::new() }
    }
}

impl<D: DataModel> Output<D> {
    pub fn with_capacity(n: usize) -> Self {
        Output { records: Vec::with_capacity(n), watermarks: Vec::new() }
    }

    /// Emits a watermark after the records emitted so far.
    pub fn emit_watermark(&mut self, watermark: i64) {
        self.watermarks.push((self.records.len(), watermark));
    }

    pub fn is_empty(&self) -> bool {
        self.records.is_empty() && self.watermarks.is_empty()
    }

    /// The records and watermarks in emission order.
    pub fn into_segments(self) -> (Vec<Record<D>>, Vec<(usize, i64)>) {
        (self.records, self.watermarks)
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
    pub subtask_index: usize,
    pub parallelism: usize,
    pub max_parallelism: usize,
    pub attempt_number: usize,
    /// Processing time, replaceable in tests.
    pub clock: std::sync::Arc<dyn crate::time::Clock>,
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
}

/// Creates the operator instance of one parallel subtask.
pub type OperatorFactory<D> =
    Box<dyn Fn(&TaskInfo) -> Result<Box<dyn Operator<D>>, BoxError> + Send + Sync>;
