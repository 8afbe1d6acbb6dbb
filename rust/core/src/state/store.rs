//! The keyed state store: (key, state, namespace) -> slot, in one of two modes.
//!
//! - Memory (the default, Flink's `hashmap` backend): one hash table of decoded entries.
//! - Engine (Flink's `rocksdb` backend when the engine is RocksDB): entries serialized in a
//!   [`KvEngine`](super::KvEngine), behind a bounded write-back cache (see `engine_table`).
//!
//! Both modes behave the same through every method here (the tests run each assertion against
//! both), except for key equality: encoded-bytes equality in engine mode, `DataModel::key_eq`
//! in memory.
//!
//! Value states ([`KeyedStateStore::register_value`]: one value per key, no namespace, no TTL;
//! the rolling reduce's) have their own compact table in memory mode, `{key hash, key, value}`
//! as the reduce kept before it had a store: wider entries measurably slow the hottest loop. Methods return `Result` because the engine mode encodes, decodes and does I/O;
//! the memory mode never fails.

use hashbrown::HashTable;

use serde::{Deserialize, Serialize};

use super::engine::KvEngine;
use super::Namespace;
use crate::checkpoint::snapshot::{decode, decode_value, encode, encode_value};
use crate::data::{DataModel, Keyed};
use crate::error::BoxError;
use crate::operator::TaskInfo;

mod codec;
mod engine_table;
mod values;
#[cfg(test)]
mod tests;

use engine_table::EngineTable;
use values::ValueTable;

/// One store entry in a snapshot (its key is the keyed entry's key). States are named, not
/// numbered, so a restored job may declare them in another order.
#[derive(Serialize, Deserialize)]
struct EntrySnapshot {
    state: String,
    namespace: Namespace,
    /// `None` for a single value, else the list's elements.
    value: Option<Vec<u8>>,
    list: Vec<Vec<u8>>,
    touched: i64,
}

/// A declared state of an operator (its index in the order states were registered).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct StateId(pub u32);

/// What a state holds for one key and namespace.
pub enum Slot<D: DataModel> {
    Value(D::Value),
    List(Vec<D::Value>),
}

/// Time-to-live of a state's entries (processing time), as Flink's `StateTtlConfig`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TtlConfig {
    pub ttl_ms: i64,
    /// Reads refresh the entry's time too (`OnReadAndWrite`), not only writes.
    pub refresh_on_read: bool,
    /// Expired entries not yet cleaned up are still returned (`ReturnExpiredIfNotCleanedUp`).
    pub return_expired: bool,
}

/// A value state: one value per key, without namespace or TTL (see [`KeyedStateStore::register_value`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct ValueStateId {
    state: u32,
    /// Its compact table in memory mode.
    table: u32,
}

impl ValueStateId {
    pub fn state(self) -> StateId {
        StateId(self.state)
    }
}

/// A slot, borrowed (lists as slices), as iteration hands it out.
pub enum SlotRef<'a, D: DataModel> {
    Value(&'a D::Value),
    List(&'a [D::Value]),
}

impl<D: DataModel> Slot<D> {
    pub fn as_ref(&self) -> SlotRef<'_, D> {
        match self {
            Slot::Value(v) => SlotRef::Value(v),
            Slot::List(l) => SlotRef::List(l),
        }
    }
}

/// A declared state.
pub(super) struct StateDecl {
    pub(super) name: String,
    ttl: Option<TtlConfig>,
    /// `Some` for value states: its compact table (memory mode).
    value_table: Option<u32>,
}

pub struct KeyedStateStore<D: DataModel> {
    states: Vec<StateDecl>,
    backend: Backend<D>,
}

// The engine table is boxed so the memory mode pays one enum match and nothing else.
enum Backend<D: DataModel> {
    Memory(MemoryTable<D>),
    Engine(Box<EngineTable<D>>),
}

impl<D: DataModel> Default for KeyedStateStore<D> {
    fn default() -> Self {
        KeyedStateStore { states: Vec::new(), backend: Backend::Memory(MemoryTable { table: HashTable::new(), values: Vec::new() }) }
    }
}

impl<D: DataModel> KeyedStateStore<D> {
    /// A store in engine mode over `engine`, caching at most `cache_entries` decoded entries.
    /// `max_parallelism` places keys in key groups (the prefix of engine keys).
    pub fn with_engine(engine: Box<dyn KvEngine>, max_parallelism: usize, cache_entries: usize) -> Self {
        let table = EngineTable::new(engine, None, max_parallelism, cache_entries);
        KeyedStateStore { states: Vec::new(), backend: Backend::Engine(Box::new(table)) }
    }

    /// A store in the mode of the task's state backend (memory when it has none).
    pub fn for_task(task: &TaskInfo) -> Result<Self, BoxError> {
        let Some(backend) = &task.state_backend else { return Ok(Self::default()) };
        let owned = backend.create_engine(&task.uid, task.subtask_index)?;
        let table = EngineTable::new(owned.engine, Some(owned.dirs), task.max_parallelism, owned.cache_entries);
        Ok(KeyedStateStore { states: Vec::new(), backend: Backend::Engine(Box::new(table)) })
    }

    /// The store keeps its entries in an engine (not in memory).
    pub fn is_engine(&self) -> bool {
        matches!(self.backend, Backend::Engine(_))
    }

    /// Declares a state; the same name returns the same id (a function may ask twice).
    pub fn register(&mut self, name: &str, ttl: Option<TtlConfig>) -> StateId {
        if let Some(i) = self.position(name) {
            debug_assert!(self.states[i].value_table.is_none(), "state '{name}' is a value state");
            self.states[i].ttl = ttl;
            return StateId(i as u32);
        }
        self.states.push(StateDecl { name: name.to_string(), ttl, value_table: None });
        StateId(self.states.len() as u32 - 1)
    }

    /// Declares a value state: one value per key, no namespace, no TTL, reached only through
    /// [`KeyedStateStore::value_or_insert_with`] (and iteration, snapshots, `drain`).
    pub fn register_value(&mut self, name: &str) -> ValueStateId {
        if let Some(i) = self.position(name) {
            if let Some(table) = self.states[i].value_table {
                return ValueStateId { state: i as u32, table };
            }
        }
        debug_assert!(self.position(name).is_none(), "state '{name}' is not a value state");
        let table = match &mut self.backend {
            Backend::Memory(t) => {
                t.values.push(ValueTable::default());
                t.values.len() as u32 - 1
            }
            Backend::Engine(_) => 0,
        };
        self.states.push(StateDecl { name: name.to_string(), ttl: None, value_table: Some(table) });
        ValueStateId { state: self.states.len() as u32 - 1, table }
    }

    fn position(&self, name: &str) -> Option<usize> {
        self.states.iter().position(|d| d.name == name)
    }

    pub fn state_name(&self, state: StateId) -> &str {
        &self.states[state.0 as usize].name
    }

    /// The value of `key` in value state `state`, created by `make` if it has none; `true` with
    /// it if it was created.
    #[inline]
    pub fn value_or_insert_with(
        &mut self,
        key: &Keyed<D::Key>,
        state: ValueStateId,
        make: impl FnOnce() -> D::Value,
    ) -> Result<(&mut D::Value, bool), BoxError> {
        match &mut self.backend {
            Backend::Memory(t) => Ok(t.values[state.table as usize].get_or_insert_with(key, make)),
            Backend::Engine(t) => match t.get_or_insert_with(key, state.state(), &Namespace::Void, 0, || Slot::Value(make()))? {
                (Slot::Value(v), created) => Ok((v, created)),
                (Slot::List(_), _) => Err(crate::error::message("a value state holds a list")),
            },
        }
    }

    /// The slot of `key`/`state`/`namespace`; `now` is the processing time for TTL.
    #[inline]
    pub fn get(&mut self, key: &Keyed<D::Key>, state: StateId, namespace: &Namespace, now: i64) -> Result<Option<&mut Slot<D>>, BoxError> {
        let ttl = self.states[state.0 as usize].ttl;
        match &mut self.backend {
            Backend::Memory(t) => Ok(t.get(key, state, namespace, ttl, now)),
            Backend::Engine(t) => t.get(key, state, namespace, ttl, now),
        }
    }

    /// Sets the slot (a write: refreshes the entry's time).
    #[inline]
    pub fn put(&mut self, key: &Keyed<D::Key>, state: StateId, namespace: Namespace, slot: Slot<D>, now: i64) -> Result<(), BoxError> {
        match &mut self.backend {
            Backend::Memory(t) => {
                t.put(key, state, namespace, slot, now);
                Ok(())
            }
            Backend::Engine(t) => t.put(key, state, &namespace, slot, now),
        }
    }

    /// The slot of `key`/`state`/`namespace`, created by `make` if there is none (one lookup
    /// instead of a `get` and a `put`); `true` with the slot if it was created. For states without
    /// time-to-live (window contents, rolling reduce).
    #[inline]
    pub fn get_or_insert_with(
        &mut self,
        key: &Keyed<D::Key>,
        state: StateId,
        namespace: Namespace,
        now: i64,
        make: impl FnOnce() -> Slot<D>,
    ) -> Result<(&mut Slot<D>, bool), BoxError> {
        debug_assert!(self.states[state.0 as usize].ttl.is_none(), "get_or_insert_with is for states without TTL");
        match &mut self.backend {
            Backend::Memory(t) => Ok(t.get_or_insert_with(key, state, namespace, now, make)),
            Backend::Engine(t) => t.get_or_insert_with(key, state, &namespace, now, make),
        }
    }

    /// Marks an entry as written now (after it was changed in place through `get`).
    pub fn touch(&mut self, key: &Keyed<D::Key>, state: StateId, namespace: &Namespace, now: i64) -> Result<(), BoxError> {
        match &mut self.backend {
            Backend::Memory(t) => {
                let hash = entry_hash(key.hash, state, namespace);
                if let Some(e) = t.table.find_mut(hash, eq::<D>(key, state, namespace)) {
                    e.touched = now;
                }
                Ok(())
            }
            Backend::Engine(t) => t.touch(key, state, namespace, now),
        }
    }

    #[inline]
    pub fn remove(&mut self, key: &Keyed<D::Key>, state: StateId, namespace: &Namespace) -> Result<Option<Slot<D>>, BoxError> {
        match &mut self.backend {
            Backend::Memory(t) => {
                let hash = entry_hash(key.hash, state, namespace);
                let found = t.table.find_entry(hash, eq::<D>(key, state, namespace));
                Ok(found.ok().map(|entry| entry.remove().0.slot))
            }
            Backend::Engine(t) => t.remove(key, state, namespace),
        }
    }

    /// Number of entries (all keys, states and namespaces).
    pub fn len(&self) -> usize {
        match &self.backend {
            Backend::Memory(t) => t.table.len() + t.values.iter().map(ValueTable::len).sum::<usize>(),
            Backend::Engine(t) => t.len(),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Writes the engine mode's cache back to the engine (nothing to do in memory).
    pub fn flush(&mut self) -> Result<(), BoxError> {
        match &mut self.backend {
            Backend::Memory(_) => Ok(()),
            Backend::Engine(t) => t.flush(),
        }
    }

    /// Hands every entry to `emit` as (encoded key, encoded entry), for a checkpoint. The
    /// encoding is the same in both modes, so a snapshot restores into either.
    pub fn snapshot_into(&mut self, mut emit: impl FnMut(Vec<u8>, Vec<u8>) -> Result<(), BoxError>) -> Result<(), BoxError> {
        let t = match &mut self.backend {
            Backend::Memory(t) => t,
            Backend::Engine(t) => return t.snapshot_into(&self.states, &mut emit),
        };
        for (decl, table) in self.states.iter().filter_map(|d| Some((d, &t.values[d.value_table? as usize]))) {
            let named = |err: BoxError| crate::error::message(format!("state '{}': {err}", decl.name));
            table.try_for_each(|key, _, value| {
                let value = Some(encode_value::<D>(value).map_err(named)?);
                let mut encoded = Vec::new();
                D::encode_key(key, &mut encoded)?;
                emit(encoded, encode(&EntrySnapshot { state: decl.name.clone(), namespace: Namespace::Void, value, list: Vec::new(), touched: 0 })?)
            })?;
        }
        for e in t.table.iter() {
            let state = self.states[e.state.0 as usize].name.clone();
            let named = |err: BoxError| crate::error::message(format!("state '{state}': {err}"));
            let (value, list) = match &e.slot {
                Slot::Value(v) => (Some(encode_value::<D>(v).map_err(named)?), Vec::new()),
                Slot::List(items) => (None, items.iter().map(encode_value::<D>).collect::<Result<_, _>>().map_err(named)?),
            };
            let mut key = Vec::new();
            D::encode_key(&e.key, &mut key)?;
            emit(key, encode(&EntrySnapshot { state, namespace: e.namespace, value, list, touched: e.touched })?)?;
        }
        Ok(())
    }

    /// Puts back an entry [`KeyedStateStore::snapshot_into`] encoded (its state is declared if
    /// it is not yet, without TTL until the function declares it again).
    pub fn restore_entry(&mut self, key: &Keyed<D::Key>, body: &[u8]) -> Result<(), BoxError> {
        let e: EntrySnapshot = decode(body, "keyed state entry")?;
        let state = match self.position(&e.state) {
            Some(i) => StateId(i as u32),
            None => self.register(&e.state, None),
        };
        if let Some(table) = self.states[state.0 as usize].value_table {
            let (Namespace::Void, Some(v)) = (e.namespace, &e.value) else {
                return Err(crate::error::message(format!("corrupt snapshot: value state '{}' holds a list or a namespace", e.state)));
            };
            let value = decode_value::<D>(v)?;
            let mut value = Some(value);
            let (slot, _) = self.value_or_insert_with(key, ValueStateId { state: state.0, table }, || value.take().expect("once"))?;
            if let Some(v) = value {
                *slot = v;
            }
            return Ok(());
        }
        let slot = match e.value {
            Some(v) => Slot::Value(decode_value::<D>(&v)?),
            None => Slot::List(e.list.iter().map(|v| decode_value::<D>(v)).collect::<Result<_, _>>()?),
        };
        self.put(key, state, e.namespace, slot, e.touched)
    }

    /// Calls `f` with every entry as (key, key hash, state, namespace, slot), in no particular
    /// order; `f` may stop by returning an error.
    pub fn for_each_entry(
        &mut self,
        mut f: impl FnMut(&D::Key, u64, StateId, &Namespace, SlotRef<'_, D>) -> Result<(), BoxError>,
    ) -> Result<(), BoxError> {
        match &mut self.backend {
            Backend::Memory(t) => {
                for (i, decl) in self.states.iter().enumerate() {
                    if let Some(table) = decl.value_table {
                        let state = StateId(i as u32);
                        t.values[table as usize].try_for_each(|key, hash, v| f(key, hash, state, &Namespace::Void, SlotRef::Value(v)))?;
                    }
                }
                t.table.iter().try_for_each(|e| f(&e.key, e.key_hash, e.state, &e.namespace, e.slot.as_ref()))
            }
            Backend::Engine(t) => t.for_each(&mut |key, hash, state, ns, slot| f(key, hash, state, ns, slot.as_ref())),
        }
    }

    /// Takes every entry out (the store is empty afterwards), in no particular order.
    pub fn drain(&mut self, mut f: impl FnMut(Keyed<D::Key>, StateId, Namespace, Slot<D>)) -> Result<(), BoxError> {
        match &mut self.backend {
            Backend::Memory(t) => {
                for (i, decl) in self.states.iter().enumerate() {
                    if let Some(table) = decl.value_table {
                        t.values[table as usize].drain(|key, v| f(key, StateId(i as u32), Namespace::Void, Slot::Value(v)));
                    }
                }
                for e in t.table.drain() {
                    f(Keyed { key: e.key, hash: e.key_hash }, e.state, e.namespace, e.slot);
                }
                Ok(())
            }
            Backend::Engine(t) => t.drain(&mut f),
        }
    }
}

// ---- The memory mode ----

// No cached entry hash: the key hash rejects other keys as fast, the entry hash is recomputed
// only when the table grows, and smaller entries keep more of a hot table in the CPU caches.
struct Entry<D: DataModel> {
    key: D::Key,
    key_hash: u64,
    state: StateId,
    namespace: Namespace,
    slot: Slot<D>,
    /// Processing time of the last write (or read, with `refresh_on_read`).
    touched: i64,
}

struct MemoryTable<D: DataModel> {
    table: HashTable<Entry<D>>,
    /// The tables of value states.
    values: Vec<ValueTable<D>>,
}

fn entry_hash(key_hash: u64, state: StateId, namespace: &Namespace) -> u64 {
    key_hash ^ (state.0 as u64).wrapping_mul(0x2545_f491_4f6c_dd1d) ^ namespace.hash()
}

/// The lookup predicate of (`key`, `state`, `namespace`).
fn eq<'a, D: DataModel>(key: &'a Keyed<D::Key>, state: StateId, namespace: &'a Namespace) -> impl Fn(&Entry<D>) -> bool + 'a {
    move |e| e.key_hash == key.hash && e.state == state && e.namespace == *namespace && D::key_eq(&e.key, &key.key)
}

fn rehash<D: DataModel>(e: &Entry<D>) -> u64 {
    entry_hash(e.key_hash, e.state, &e.namespace)
}

impl<D: DataModel> MemoryTable<D> {
    #[inline]
    fn get(&mut self, key: &Keyed<D::Key>, state: StateId, namespace: &Namespace, ttl: Option<TtlConfig>, now: i64) -> Option<&mut Slot<D>> {
        let hash = entry_hash(key.hash, state, namespace);
        let eq = eq::<D>(key, state, namespace);
        if let Some(ttl) = ttl {
            let expired = self.table.find(hash, &eq).map(|e| now - e.touched >= ttl.ttl_ms)?;
            if expired && !ttl.return_expired {
                if let Ok(entry) = self.table.find_entry(hash, &eq) {
                    entry.remove();
                }
                return None;
            }
            let entry = self.table.find_mut(hash, &eq)?;
            if ttl.refresh_on_read {
                entry.touched = now;
            }
            return Some(&mut entry.slot);
        }
        self.table.find_mut(hash, eq).map(|e| &mut e.slot)
    }

    #[inline]
    fn put(&mut self, key: &Keyed<D::Key>, state: StateId, namespace: Namespace, slot: Slot<D>, now: i64) {
        let hash = entry_hash(key.hash, state, &namespace);
        if let Some(entry) = self.table.find_mut(hash, eq::<D>(key, state, &namespace)) {
            entry.slot = slot;
            entry.touched = now;
            return;
        }
        let entry = Entry { key: D::duplicate_key(&key.key), key_hash: key.hash, state, namespace, slot, touched: now };
        self.table.insert_unique(hash, entry, rehash);
    }

    #[inline]
    fn get_or_insert_with(
        &mut self,
        key: &Keyed<D::Key>,
        state: StateId,
        namespace: Namespace,
        now: i64,
        make: impl FnOnce() -> Slot<D>,
    ) -> (&mut Slot<D>, bool) {
        let hash = entry_hash(key.hash, state, &namespace);
        match self.table.entry(hash, eq::<D>(key, state, &namespace), rehash) {
            hashbrown::hash_table::Entry::Occupied(o) => (&mut o.into_mut().slot, false),
            hashbrown::hash_table::Entry::Vacant(v) => {
                let entry = Entry { key: D::duplicate_key(&key.key), key_hash: key.hash, state, namespace, slot: make(), touched: now };
                (&mut v.insert(entry).into_mut().slot, true)
            }
        }
    }
}
