use crate::checkpoint::snapshot::{untag, RestoredState, SnapshotWriter};
use crate::checkpoint::CheckpointId;
use crate::data::{DataModel, Record, MAIN_OUTPUT};
use crate::error::{message, BoxError};
use crate::function::ReduceFn;
use crate::operator::{refuse_state, Operator, Output, TaskInfo};
use crate::state::{KeyedStateStore, Slot, SlotRef, ValueStateId};

/// Keyed entries of the snapshot are tagged as the keyed context's state entries, so the
/// format says what it holds.
const STATE_ENTRY: u8 = 0;

/// Flink's `KeyedStream.reduce`: a rolling reduce that emits the updated value for every input.
///
/// State is one accumulated value per key (a value state, `reduce`), in a keyed state store,
/// so it follows the job's state backend. In batch execution only the final value of each key is
/// emitted, at the end of the input.
pub struct KeyedReduceOperator<D: DataModel, F> {
    function: F,
    store: KeyedStateStore<D>,
    state: ValueStateId,
    final_only: bool,
}

impl<D: DataModel, F> KeyedReduceOperator<D, F> {
    pub fn new(function: F) -> Self {
        let mut store = KeyedStateStore::default();
        let state = store.register_value("reduce");
        KeyedReduceOperator { function, store, state, final_only: false }
    }

    /// Keeps the state in the task's state backend (memory otherwise). Call it in the operator
    /// factory: restored state arrives before `open`.
    pub fn for_task(mut self, task: &TaskInfo) -> Result<Self, BoxError> {
        let mut store = KeyedStateStore::for_task(task)?;
        self.state = store.register_value("reduce");
        self.store = store;
        Ok(self)
    }

    /// Emit each key's result once at the end of the input instead of on every update.
    pub fn final_only(mut self, final_only: bool) -> Self {
        self.final_only = final_only;
        self
    }

    /// Number of keys with state.
    pub fn key_count(&self) -> usize {
        self.store.len()
    }
}

impl<D: DataModel, F: ReduceFn<D>> Operator<D> for KeyedReduceOperator<D, F> {
    fn open(&mut self, task: &TaskInfo) -> Result<(), BoxError> {
        self.function.open(task)
    }

    fn process(&mut self, _: usize, records: Vec<Record<D>>, out: &mut Output<D>) -> Result<(), BoxError> {
        out.reserve(records.len());
        // With an engine (RocksDB), one batched lookup for the batch's keys.
        self.store.prefetch_values(records.iter().filter_map(|r| r.key.as_ref()), self.state)?;
        for record in records {
            let Some(keyed) = record.key else {
                return Err(message("reduce needs a keyed stream: the record carries no key"));
            };
            // The first value of a key becomes its state as is; later ones are reduced into it.
            let mut value = Some(record.value);
            let (acc, created) = self.store.value_or_insert_with(&keyed, self.state, || value.take().expect("taken once"))?;
            if let Some(value) = value {
                debug_assert!(!created);
                *acc = self.function.reduce(acc, value)?;
            }
            if !self.final_only {
                out.push(Record { value: D::duplicate(acc), timestamp: record.timestamp, key: Some(keyed), output: MAIN_OUTPUT });
            }
        }
        Ok(())
    }

    fn finish(&mut self, out: &mut Output<D>) -> Result<(), BoxError> {
        if self.final_only {
            self.store.drain(|key, _, _, slot| {
                if let Slot::Value(value) = slot {
                    out.push(Record { value, timestamp: None, key: Some(key), output: MAIN_OUTPUT });
                }
            })?;
        }
        Ok(())
    }

    fn close(&mut self) -> Result<(), BoxError> {
        self.function.close()
    }

    fn snapshot_state(&mut self, _: CheckpointId, state: &mut SnapshotWriter<'_, D>) -> Result<(), BoxError> {
        // Value states have no time-to-live: the time does not matter.
        self.store.snapshot_into(0, |key, body| {
            state.keyed_encoded(key, crate::checkpoint::snapshot::tagged(STATE_ENTRY, body));
            Ok(())
        })
    }

    fn restore_state(&mut self, state: RestoredState<D>) -> Result<(), BoxError> {
        let RestoredState { keyed, list, broadcast } = state;
        // Entries restored from engine files (incremental checkpoints) are in the store already.
        let before = self.store.len();
        for (key, payload) in &keyed {
            match untag(payload)? {
                (STATE_ENTRY, body) => self.store.restore_entry(key, body)?,
                (other, _) => return Err(message(format!("corrupt snapshot: unknown keyed entry kind {other}"))),
            }
        }
        if self.store.len() != before + keyed.len() {
            return Err(message("corrupt reduce snapshot: a key's state appears twice"));
        }
        let mut foreign = None;
        self.store.for_each_entry(|_, _, state, _, slot| {
            if foreign.is_none() && (state != self.state.state() || !matches!(slot, SlotRef::Value(_))) {
                foreign = Some(state);
            }
            Ok(())
        })?;
        if let Some(state) = foreign {
            return Err(message(format!("the snapshot holds state '{}', which a reduce does not keep", self.store.state_name(state))));
        }
        refuse_state(RestoredState::<D> { keyed: Vec::new(), list, broadcast })
    }
}
