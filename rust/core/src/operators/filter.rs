use crate::data::{DataModel, Record};
use crate::error::BoxError;
use crate::function::FilterFn;
use crate::operator::{Operator, Output, TaskInfo};

/// Keeps the records for which the predicate holds.
pub struct FilterOperator<F> {
    function: F,
}

impl<F> FilterOperator<F> {
    pub fn new(function: F) -> Self {
        FilterOperator { function }
    }
}

impl<D: DataModel, F: FilterFn<D>> Operator<D> for FilterOperator<F> {
    fn open(&mut self, task: &TaskInfo) -> Result<(), BoxError> {
        self.function.open(task)
    }

    fn process(&mut self, _: usize, records: Vec<Record<D>>, out: &mut Output<D>) -> Result<(), BoxError> {
        for record in records {
            if self.function.filter(&record.value)? {
                out.push(record);
            }
        }
        Ok(())
    }

    fn close(&mut self) -> Result<(), BoxError> {
        self.function.close()
    }
}
