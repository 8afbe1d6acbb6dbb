use crate::data::{DataModel, Record};
use crate::error::BoxError;
use crate::operator::{Operator, Output};

/// Passes records through unchanged: the operator of a union, whose work is done by the inputs.
pub struct ForwardOperator;

impl<D: DataModel> Operator<D> for ForwardOperator {
    fn process(&mut self, _: usize, mut records: Vec<Record<D>>, out: &mut Output<D>) -> Result<(), BoxError> {
        out.append(&mut records);
        Ok(())
    }
}
