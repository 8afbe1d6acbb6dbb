use crate::data::{DataModel, Record, MAIN_OUTPUT};
use crate::error::BoxError;
use crate::operator::{Operator, Output};

/// Keeps the records of one output of the upstream operator (its main output, or a side output
/// by tag) and makes them main-output records, as `get_side_output` does.
pub struct SelectOutputOperator {
    output: u32,
}

impl SelectOutputOperator {
    pub fn new(output: u32) -> Self {
        SelectOutputOperator { output }
    }
}

impl<D: DataModel> Operator<D> for SelectOutputOperator {
    fn process(&mut self, _: usize, records: Vec<Record<D>>, out: &mut Output<D>) -> Result<(), BoxError> {
        out.extend(records.into_iter().filter(|r| r.output == self.output).map(|mut r| {
            r.output = MAIN_OUTPUT;
            r
        }));
        Ok(())
    }
}
