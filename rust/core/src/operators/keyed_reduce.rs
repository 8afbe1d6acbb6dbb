use hashbrown::HashTable;

use crate::checkpoint::snapshot::{decode_value, encode_value, RestoredState, SnapshotWriter};
use crate::checkpoint::CheckpointId;
use crate::data::{DataModel, Keyed, Record, MAIN_OUTPUT};
use crate::error::{message, BoxError};
use crate::function::ReduceFn;
use crate::operator::{refuse_state, Operator, Output, TaskInfo};

/// Flink's `KeyedStream.reduce`: a rolling reduce that emits the updated value for every input.
///
/// State is one accumulated value per key, in a hash table probed with the key's precomputed hash.
/// In batch execution only the final value of each key is emitted, at the end of the input.
pub struct KeyedReduceOperator<D: DataModel, F> {
    function: F,
    state: HashTable<Entry<D>>,
    final_only: bool,
}

struct Entry<D: DataModel> {
    hash: u64,
    key: D::Key,
    value: D::Value,
}

impl<D: DataModel, F> KeyedReduceOperator<D, F> {
    pub fn new(function: F) -> Self {
        KeyedReduceOperator { function, state: HashTable::new(), final_only: false }
    }

    /// Emit each key's result once at the end of the input instead of on every update.
    pub fn final_only(mut self, final_only: bool) -> Self {
        self.final_only = final_only;
        self
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

    fn process(&mut self, _: usize, records: Vec<Record<D>>, out: &mut Output<D>) -> Result<(), BoxError> {
        out.reserve(records.len());
        for record in records {
            let Some(keyed) = record.key else {
                return Err(message("reduce needs a keyed stream: the record carries no key"));
            };
            let hash = keyed.hash;
            let found = self.state.find_mut(hash, |e| e.hash == hash && D::key_eq(&e.key, &keyed.key));
            match found {
                Some(entry) => {
                    entry.value = self.function.reduce(&entry.value, record.value)?;
                    if !self.final_only {
                        out.push(Record { value: D::duplicate(&entry.value), timestamp: record.timestamp, key: Some(keyed), output: MAIN_OUTPUT });
                    }
                }
                None => {
                    if !self.final_only {
                        let key = Some(Keyed { key: D::duplicate_key(&keyed.key), hash });
                        out.push(Record { value: D::duplicate(&record.value), timestamp: record.timestamp, key, output: MAIN_OUTPUT });
                    }
                    self.state.insert_unique(hash, Entry { hash, key: keyed.key, value: record.value }, |e| e.hash);
                }
            }
        }
        Ok(())
    }

    fn finish(&mut self, out: &mut Output<D>) -> Result<(), BoxError> {
        if self.final_only {
            for entry in self.state.drain() {
                out.push(Record { value: entry.value, timestamp: None, key: Some(Keyed { key: entry.key, hash: entry.hash }), output: MAIN_OUTPUT });
            }
        }
        Ok(())
    }

    fn close(&mut self) -> Result<(), BoxError> {
        self.function.close()
    }

    fn snapshot_state(&mut self, _: CheckpointId, state: &mut SnapshotWriter<'_, D>) -> Result<(), BoxError> {
        for entry in self.state.iter() {
            state.keyed(&entry.key, encode_value::<D>(&entry.value)?)?;
        }
        Ok(())
    }

    fn restore_state(&mut self, state: RestoredState<D>) -> Result<(), BoxError> {
        let RestoredState { keyed, list, broadcast } = state;
        for (keyed, payload) in keyed {
            let value = decode_value::<D>(&payload)?;
            let hash = keyed.hash;
            self.state.insert_unique(hash, Entry { hash, key: keyed.key, value }, |e| e.hash);
        }
        refuse_state(RestoredState::<D> { keyed: Vec::new(), list, broadcast })
    }
}
