//! The source interface: a task's head that produces records until it is finished.

use crate::data::{DataModel, Record};
use crate::error::BoxError;
use crate::operator::TaskInfo;

pub enum SourcePoll<D: DataModel> {
    /// Some records (possibly none).
    Records(Vec<Record<D>>),
    /// Nothing available right now; poll again later.
    Pending,
    /// The (bounded) source is exhausted.
    Finished,
}

pub trait Source<D: DataModel>: Send {
    fn open(&mut self, _task: &TaskInfo) -> Result<(), BoxError> {
        Ok(())
    }

    /// Up to `max_records` records.
    fn poll(&mut self, max_records: usize) -> Result<SourcePoll<D>, BoxError>;

    fn close(&mut self) -> Result<(), BoxError> {
        Ok(())
    }
}

/// Creates the source instance of one parallel subtask (it reads its own share of the input).
pub type SourceFactory<D> =
    Box<dyn Fn(&TaskInfo) -> Result<Box<dyn Source<D>>, BoxError> + Send + Sync>;
