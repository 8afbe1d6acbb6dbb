//! The operator interface: a stage of a chain that turns input records into output records.

use crate::data::{DataModel, Record};
use crate::error::BoxError;

/// Where an operator instance runs.
#[derive(Clone, Debug)]
pub struct TaskInfo {
    /// The chain's name, e.g. `Source: Collection -> FlatMap`.
    pub task_name: String,
    /// This operator's own name.
    pub operator_name: String,
    pub subtask_index: usize,
    pub parallelism: usize,
    pub max_parallelism: usize,
    pub attempt_number: usize,
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
        out: &mut Vec<Record<D>>,
    ) -> Result<(), BoxError>;

    /// The operator's event time advanced to `watermark`.
    fn on_watermark(&mut self, _watermark: i64, _out: &mut Vec<Record<D>>) -> Result<(), BoxError> {
        Ok(())
    }

    /// All inputs ended; emit whatever is still buffered.
    fn finish(&mut self, _out: &mut Vec<Record<D>>) -> Result<(), BoxError> {
        Ok(())
    }

    fn close(&mut self) -> Result<(), BoxError> {
        Ok(())
    }
}

/// Creates the operator instance of one parallel subtask.
pub type OperatorFactory<D> =
    Box<dyn Fn(&TaskInfo) -> Result<Box<dyn Operator<D>>, BoxError> + Send + Sync>;
