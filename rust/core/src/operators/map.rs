use crate::data::{DataModel, Record, MAIN_OUTPUT};
use crate::error::BoxError;
use crate::function::MapFn;
use crate::operator::{Operator, Output, TaskInfo};

/// One output per input; the record keeps its timestamp.
pub struct MapOperator<F> {
    function: F,
}

impl<F> MapOperator<F> {
    pub fn new(function: F) -> Self {
        MapOperator { function }
    }
}

impl<D: DataModel, F: MapFn<D>> Operator<D> for MapOperator<F> {
    fn open(&mut self, task: &TaskInfo) -> Result<(), BoxError> {
        self.function.open(task)
    }

    fn process(&mut self, _: usize, records: Vec<Record<D>>, out: &mut Output<D>) -> Result<(), BoxError> {
        out.reserve(records.len());
        for record in records {
            let value = self.function.map(record.value)?;
            out.push(Record { value, timestamp: record.timestamp, key: record.key, output: MAIN_OUTPUT });
        }
        Ok(())
    }

    fn close(&mut self) -> Result<(), BoxError> {
        self.function.close()
    }
}
