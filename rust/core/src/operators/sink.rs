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
}
