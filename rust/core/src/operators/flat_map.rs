use crate::data::{DataModel, Record};
use crate::error::BoxError;
use crate::function::FlatMapFn;
use crate::operator::{Operator, Output, TaskInfo};

/// Any number of outputs per input, each carrying the input's timestamp.
pub struct FlatMapOperator<F> {
    function: F,
}

impl<F> FlatMapOperator<F> {
    pub fn new(function: F) -> Self {
        FlatMapOperator { function }
    }
}

impl<D: DataModel, F: FlatMapFn<D>> Operator<D> for FlatMapOperator<F> {
    fn open(&mut self, task: &TaskInfo) -> Result<(), BoxError> {
        self.function.open(task)
    }

    fn process(&mut self, _: usize, records: Vec<Record<D>>, out: &mut Output<D>) -> Result<(), BoxError> {
        for record in records {
            let timestamp = record.timestamp;
            self.function
                .flat_map(record.value, &mut |value| out.push(Record::with_timestamp(value, timestamp)))?;
        }
        Ok(())
    }

    fn close(&mut self) -> Result<(), BoxError> {
        self.function.close()
    }
}
