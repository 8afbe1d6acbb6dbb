//! A store in engine mode restored from engine files (an incremental RocksDB checkpoint).
//!
//! Engine keys start with the key group (see `codec`), so an instance's files hold exactly its
//! key groups. Two ways back:
//! - same parallelism, and key hashes the same in every process (`DataModel::stable_key_hash`):
//!   the old instance's files become the new engine's files as they are (hard links), and the
//!   states are declared in the old order (engine keys hold state ids);
//! - otherwise (another parallelism, or hashes seeded per process, as Python's): each old
//!   instance whose files may hold keys of this instance is opened aside, and its entries are
//!   copied over, keeping those of this instance's key groups, with state ids mapped by name
//!   and, for per-process hashes, every key hashed again (placing it in its group).
//!
//! One store per operator instance: its files are matched by the operator's uid and subtask.

use super::codec::parse_key;
use super::engine_table::{EngineIdentity, EngineTable};
use super::{Backend, KeyedStateStore, StateDecl, StateId};
use crate::checkpoint::engine_files::{DeclaredState, EngineRestore, EngineState};
use crate::data::DataModel;
use crate::error::{message, BoxError};
use crate::key_group::{key_group_of, key_group_range};
use crate::operator::TaskInfo;
use crate::state::engine::OwnedEngine;
use crate::state::StateBackend;

/// Entries copied per engine write when restoring by copying.
const COPY_BATCH: usize = 4096;

impl<D: DataModel> KeyedStateStore<D> {
    /// A store in engine mode over `owned`, checkpointed as the task's instance.
    pub(super) fn of_engine(owned: OwnedEngine, task: &TaskInfo, backend: &StateBackend) -> Self {
        let identity = EngineIdentity {
            uid: task.uid.clone(),
            subtask: task.subtask_index,
            parallelism: task.parallelism,
            engine_id: owned.engine_id.clone(),
            backend: backend.clone(),
        };
        let table = EngineTable::new(owned.engine, Some(owned.dirs), task.max_parallelism, owned.cache_entries).with_identity(identity);
        KeyedStateStore::new(Backend::Engine(Box::new(table)))
    }

    /// The task's store restored from `old` (the engine states of the operator's old instances,
    /// in subtask order).
    pub(super) fn restore_engine(task: &TaskInfo, backend: &StateBackend, restore: &EngineRestore, old: &[EngineState]) -> Result<Self, BoxError> {
        let (index, parallelism, max_p) = (task.subtask_index, task.parallelism, task.max_parallelism);
        let same = old.len() == parallelism && old.iter().enumerate().all(|(i, e)| e.subtask == i && e.parallelism == parallelism);
        if same && D::stable_key_hash() {
            let mine = &old[index];
            let owned = backend.create_engine_with(&task.uid, index, |dir| restore.materialize(mine, dir))?;
            let mut store = Self::of_engine(owned, task, backend);
            for declared in &mine.states {
                store.declare(declared);
            }
            store.engine_table()?.recount()?;
            return Ok(store);
        }
        let mut store = Self::of_engine(backend.create_engine(&task.uid, index)?, task, backend);
        let groups = key_group_range(index, parallelism, max_p);
        for state in old {
            let theirs = key_group_range(state.subtask, state.parallelism, max_p);
            if D::stable_key_hash() && (theirs.end <= groups.start || groups.end <= theirs.start) {
                continue;
            }
            let dir = backend.scratch_dir("restore")?;
            let source = backend.open_scratch(dir, &task.uid, index, |d| restore.materialize(state, d))?;
            let ids: Vec<StateId> = state.states.iter().map(|d| store.declare(d)).collect();
            let table = store.engine_table()?;
            let mut batch = Vec::with_capacity(COPY_BATCH);
            let mut copy = |k: &[u8], v: &[u8]| -> Result<(), BoxError> {
                let (key, old_state, _) = parse_key(k)?;
                let new_state = ids.get(old_state.0 as usize).ok_or_else(|| message("restored state files hold an undeclared state"))?;
                let (group, value) = if D::stable_key_hash() {
                    (u16::from_be_bytes([k[0], k[1]]) as usize, v.to_vec())
                } else {
                    // The key's hash in this process places it (and is kept in the value).
                    let hash = D::hash_key(&D::decode_key(key)?)?;
                    let mut value = v.to_vec();
                    value.get_mut(..8).ok_or_else(|| message("corrupt restored state entry: short value"))?.copy_from_slice(&hash.to_le_bytes());
                    (key_group_of(hash, max_p), value)
                };
                if !groups.contains(&group) {
                    return Ok(());
                }
                // group | key length | key | state id | namespace: new group and state id.
                let at = 6 + key.len();
                let mut new_key = Vec::with_capacity(k.len());
                new_key.extend_from_slice(&(group as u16).to_be_bytes());
                new_key.extend_from_slice(&k[2..at]);
                new_key.extend_from_slice(&new_state.0.to_be_bytes());
                new_key.extend_from_slice(&k[at + 4..]);
                batch.push((new_key, value));
                if batch.len() == COPY_BATCH {
                    table.put_raw(&batch)?;
                    batch.clear();
                }
                Ok(())
            };
            source.engine.scan_prefix(&[], &mut |k, v| copy(k, v))?;
            table.put_raw(&batch)?;
        }
        Ok(store)
    }

    /// Declares a restored state as it was declared (a value state or not), if it is not yet.
    fn declare(&mut self, declared: &DeclaredState) -> StateId {
        if let Some(i) = self.position(&declared.name) {
            return StateId(i as u32);
        }
        // Value states in engine mode have no table of their own (see `register_value`).
        self.states.push(StateDecl { name: declared.name.clone(), ttl: None, value_table: declared.value.then_some(0) });
        StateId(self.states.len() as u32 - 1)
    }

    fn engine_table(&mut self) -> Result<&mut EngineTable<D>, BoxError> {
        match &mut self.backend {
            Backend::Engine(t) => Ok(t),
            Backend::Memory(_) => Err(message("restoring engine files needs a store in engine mode")),
        }
    }
}
