use crate::data::{DataModel, Keyed, Record};
use crate::error::BoxError;
use crate::function::KeySelectorFn;
use crate::operator::{Operator, Output, TaskInfo};

/// Runs the key selector once per record, upstream of the keyed exchange; the key travels with the
/// record so the keyed operator downstream does not call the selector again.
pub struct KeyByOperator<F> {
    selector: F,
}

impl<F> KeyByOperator<F> {
    pub fn new(selector: F) -> Self {
        KeyByOperator { selector }
    }
}

impl<D: DataModel, F: KeySelectorFn<D>> Operator<D> for KeyByOperator<F> {
    fn open(&mut self, task: &TaskInfo) -> Result<(), BoxError> {
        self.selector.open(task)
    }

    fn process(&mut self, _: usize, mut records: Vec<Record<D>>, out: &mut Output<D>) -> Result<(), BoxError> {
        for record in records.iter_mut() {
            let (key, hash) = self.selector.key(&record.value)?;
            record.key = Some(Keyed { key, hash });
        }
        out.append(&mut records);
        Ok(())
    }

    fn close(&mut self) -> Result<(), BoxError> {
        self.selector.close()
    }
}
