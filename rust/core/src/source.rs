//! The source interface: a task's head that produces records until it is finished.

use crate::checkpoint::snapshot::{RestoredState, SnapshotWriter};
use crate::checkpoint::CheckpointId;
use crate::data::{DataModel, Record};
use crate::error::BoxError;
use crate::operator::{refuse_state, TaskInfo};

pub enum SourcePoll<D: DataModel> {
    /// Some records (possibly none).
    Records(Vec<Record<D>>),
    /// Nothing available right now; poll again later.
    Pending,
    /// The source's own watermark: the records it gives from now on are all later (a table fed
    /// by a DataStream passes on that stream's watermarks).
    Watermark(i64),
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

    /// Writes the source's position for checkpoint `checkpoint`: what it has emitted so far is
    /// before the barrier. Replayable sources write their remaining splits as list state, so a
    /// restore at another parallelism spreads them over the new subtasks.
    fn snapshot_state(&mut self, _checkpoint: CheckpointId, _state: &mut SnapshotWriter<'_, D>) -> Result<(), BoxError> {
        Err(crate::error::message("this source cannot be checkpointed (it cannot replay its input)"))
    }

    /// Takes back this subtask's share of the snapshot's splits, before `open`.
    fn restore_state(&mut self, state: RestoredState<D>) -> Result<(), BoxError> {
        refuse_state(state)
    }
}

/// Creates the source instance of one parallel subtask (it reads its own share of the input).
pub type SourceFactory<D> =
    Box<dyn Fn(&TaskInfo) -> Result<Box<dyn Source<D>>, BoxError> + Send + Sync>;
