use hashbrown::HashTable;

use crate::data::{DataModel, Record};
use crate::error::{message, BoxError};
use crate::function::ReduceFn;
use crate::operator::{Operator, TaskInfo};

/// Flink's `KeyedStream.reduce`: a rolling reduce that emits the updated value for every input.
///
/// State is one accumulated value per key, in a hash table probed with the key's precomputed hash.
pub struct KeyedReduceOperator<D: DataModel, F> {
    function: F,
    state: HashTable<Entry<D>>,
}

struct Entry<D: DataModel> {
    hash: u64,
    key: D::Key,
    value: D::Value,
}

impl<D: DataModel, F> KeyedReduceOperator<D, F> {
    pub fn new(function: F) -> Self {
        KeyedReduceOperator { function, state: HashTable::new() }
    }

    /// Number of keys with state.
    pub fn key_count(&self) -> usize {
        self.state.len()
    }
}

impl<D: DataModel, F: ReduceFn<D>> Operator<D> for KeyedReduceOperator<D, F> {
    fn open(&mut self, task: &TaskInfo) -> Result<(), BoxError> {
        self.function.open(task)
    }

    fn process(&mut self, _: usize, records: Vec<Record<D>>, out: &mut Vec<Record<D>>) -> Result<(), BoxError> {
        out.reserve(records.len());
        for record in records {
            let Some(keyed) = record.key else {
                return Err(message("reduce needs a keyed stream: the record carries no key"));
            };
            let hash = keyed.hash;
            let found = self.state.find_mut(hash, |e| e.hash == hash && D::key_eq(&e.key, &keyed.key));
            let emitted = match found {
                Some(entry) => {
                    let reduced = self.function.reduce(&entry.value, record.value)?;
                    entry.value = reduced;
                    D::duplicate(&entry.value)
                }
                None => {
                    let emitted = D::duplicate(&record.value);
                    let key = D::duplicate_key(&keyed.key);
                    self.state.insert_unique(hash, Entry { hash, key, value: record.value }, |e| e.hash);
                    emitted
                }
            };
            out.push(Record { value: emitted, timestamp: record.timestamp, key: Some(keyed) });
        }
        Ok(())
    }

    fn close(&mut self) -> Result<(), BoxError> {
        self.function.close()
    }
}
