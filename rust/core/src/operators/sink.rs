use crate::checkpoint::snapshot::{RestoredState, SnapshotWriter};
use crate::checkpoint::CheckpointId;
use crate::data::{DataModel, Record};
use crate::error::BoxError;
use crate::function::SinkFn;
use crate::operator::{Operator, Output, TaskInfo};

/// The end of a pipeline: hands each batch to a sink function and emits nothing.
pub struct SinkOperator<F> {
    sink: F,
}

impl<F> SinkOperator<F> {
    pub fn new(sink: F) -> Self {
        SinkOperator { sink }
    }
}

impl<D: DataModel, F: SinkFn<D>> Operator<D> for SinkOperator<F> {
    fn open(&mut self, task: &TaskInfo) -> Result<(), BoxError> {
        self.sink.open(task)
    }

    fn process(&mut self, _: usize, records: Vec<Record<D>>, _: &mut Output<D>) -> Result<(), BoxError> {
        if records.is_empty() {
            return Ok(());
        }
        self.sink.write(records)
    }

    fn finish(&mut self, _: &mut Output<D>) -> Result<(), BoxError> {
        self.sink.finish()
    }

    fn close(&mut self) -> Result<(), BoxError> {
        self.sink.close()
    }

    fn snapshot_state(&mut self, checkpoint: CheckpointId, state: &mut SnapshotWriter<'_, D>) -> Result<(), BoxError> {
        self.sink.snapshot_state(checkpoint, state)
    }

    fn restore_state(&mut self, state: RestoredState<D>) -> Result<(), BoxError> {
        self.sink.restore_state(state)
    }

    fn notify_checkpoint_complete(&mut self, checkpoint: CheckpointId) -> Result<(), BoxError> {
        self.sink.notify_checkpoint_complete(checkpoint)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::function::Lifecycle;
    use crate::test_support::Ints;

    struct Discard;
    impl Lifecycle for Discard {}
    impl SinkFn<Ints> for Discard {
        fn write(&mut self, _: Vec<Record<Ints>>) -> Result<(), BoxError> {
            Ok(())
        }
    }

    #[test]
    fn stateless_sinks_snapshot_nothing_and_refuse_state() {
        let mut op = SinkOperator::new(Discard);
        let mut snapshot = crate::checkpoint::snapshot::OperatorSnapshot::default();
        Operator::<Ints>::snapshot_state(&mut op, 1, &mut SnapshotWriter::new(&mut snapshot)).unwrap();
        assert!(snapshot.is_empty());
        Operator::<Ints>::notify_checkpoint_complete(&mut op, 1).unwrap();
        Operator::<Ints>::restore_state(&mut op, RestoredState::default()).unwrap();
        let state = RestoredState::<Ints> { list: vec![vec![1]], ..RestoredState::default() };
        assert!(Operator::<Ints>::restore_state(&mut op, state).is_err());
    }
}
