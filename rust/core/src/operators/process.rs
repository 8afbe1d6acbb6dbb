use crate::checkpoint::snapshot::{RestoredState, SnapshotWriter};
use crate::checkpoint::CheckpointId;
use crate::data::{DataModel, Record};
use crate::error::BoxError;
use crate::function::{ProcessContext, ProcessFn};
use crate::operator::{refuse_state, Operator, Output, TaskInfo};

/// Calls a process function per element with its context; outputs keep the input's timestamp.
pub struct ProcessOperator<F> {
    function: F,
    current_watermark: i64,
}

impl<F> ProcessOperator<F> {
    pub fn new(function: F) -> Self {
        ProcessOperator { function, current_watermark: i64::MIN }
    }
}

impl<D: DataModel, F: ProcessFn<D>> Operator<D> for ProcessOperator<F> {
    fn open(&mut self, task: &TaskInfo) -> Result<(), BoxError> {
        self.function.open(task)
    }

    fn process(&mut self, input: usize, records: Vec<Record<D>>, out: &mut Output<D>) -> Result<(), BoxError> {
        for record in records {
            let timestamp = record.timestamp;
            let ctx = ProcessContext {
                input,
                timestamp,
                current_watermark: self.current_watermark,
                key: record.key.as_ref().map(|k| &k.key),
            };
            self.function.process_element(record.value, &ctx, &mut |output, value| {
                let mut record = Record::with_timestamp(value, timestamp);
                record.output = output;
                out.push(record)
            })?;
        }
        Ok(())
    }

    fn on_watermark(&mut self, watermark: i64, out: &mut Output<D>) -> Result<(), BoxError> {
        self.current_watermark = watermark;
        out.emit_watermark(watermark);
        Ok(())
    }

    fn close(&mut self) -> Result<(), BoxError> {
        self.function.close()
    }

    fn snapshot_state(&mut self, _: CheckpointId, state: &mut SnapshotWriter<'_, D>) -> Result<(), BoxError> {
        if let Some(bytes) = self.function.snapshot_function_state()? {
            state.broadcast(bytes);
        }
        Ok(())
    }

    fn restore_state(&mut self, state: RestoredState<D>) -> Result<(), BoxError> {
        let RestoredState { keyed, list, broadcast } = state;
        if let Some(bytes) = broadcast {
            self.function.restore_function_state(bytes)?;
        }
        refuse_state(RestoredState::<D> { keyed, list, broadcast: None })
    }
}
