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
//! Time-to-live works as in Flink's heap backend: a value expires as a whole, a list per element
//! and a map per map key (see [`StateAt`]); both modes keep the same stamps (the engine mode
//! inside the stored value). Expired entries go when they are read, from checkpoints of states
//! with `cleanup_full_snapshot`, and in memory mode also when the incremental cleanup passes
//! them (a cursor walking the table, or the engine's keys in order, a few entries per state
//! access or per record).
//!
//! Value states ([`KeyedStateStore::register_value`]: one value per key, no namespace, no TTL;
//! the rolling reduce's) have their own compact table in memory mode, `{key hash, key, value}`
//! as the reduce kept before it had a store: wider entries measurably slow the hottest loop. Methods return `Result` because the engine mode encodes, decodes and does I/O;
//! the memory mode never fails.

use hashbrown::HashTable;

use serde::{Deserialize, Serialize};

use super::access::StateAt;
use super::engine::KvEngine;
use super::map::{EncodedEntry, MapSlot};
use super::Namespace;
use crate::checkpoint::snapshot::{decode, decode_value, encode, encode_value};
use crate::data::{DataModel, Keyed};
use crate::error::BoxError;
use crate::operator::TaskInfo;

mod codec;
mod engine_restore;
mod engine_table;
mod values;
#[cfg(test)]
mod tests;

use engine_table::EngineTable;
use values::ValueTable;

/// What a slot holds in a snapshot (values and keys encoded by the data model).
#[derive(Serialize, Deserialize)]
enum SlotSnapshot {
    Value(Vec<u8>),
    List(Vec<Vec<u8>>),
    StampedList(Vec<(Vec<u8>, i64)>),
    Map(Vec<EncodedEntry>),
}

/// One store entry in a snapshot (its key is the keyed entry's key). States are named, not
/// numbered, so a restored job may declare them in another order.
#[derive(Serialize, Deserialize)]
struct EntrySnapshot {
    state: String,
    namespace: Namespace,
    slot: SlotSnapshot,
    touched: i64,
}

/// Whether something written at `touched` goes into a checkpoint taken at `now`: not if it
/// expired in a state with `cleanup_full_snapshot`.
fn live_in_snapshot(ttl: Option<TtlConfig>, now: i64) -> impl Fn(i64) -> bool {
    move |t| !ttl.is_some_and(|ttl| ttl.cleanup_full_snapshot && ttl.expired(t, now))
}

/// The snapshot entry of a slot, or `None` if nothing of it is live (see [`live_in_snapshot`]).
fn snapshot_entry(state: &str, namespace: Namespace, slot: SlotSnapshot, touched: i64, live: impl Fn(i64) -> bool) -> Result<Option<Vec<u8>>, BoxError> {
    let slot = match slot {
        SlotSnapshot::Value(_) | SlotSnapshot::List(_) if !live(touched) => return Ok(None),
        SlotSnapshot::StampedList(mut items) => {
            items.retain(|(_, t)| live(*t));
            if items.is_empty() {
                return Ok(None);
            }
            SlotSnapshot::StampedList(items)
        }
        SlotSnapshot::Map(mut entries) => {
            entries.retain(|(_, _, t)| live(*t));
            if entries.is_empty() {
                return Ok(None);
            }
            SlotSnapshot::Map(entries)
        }
        other => other,
    };
    Ok(Some(encode(&EntrySnapshot { state: state.to_string(), namespace, slot, touched })?))
}

/// A declared state of an operator (its index in the order states were registered).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct StateId(pub u32);

/// What a state holds for one key and namespace.
pub enum Slot<D: DataModel> {
    Value(D::Value),
    List(Vec<D::Value>),
    /// The list of a state with time-to-live: each element with the time it was written.
    StampedList(Vec<(D::Value, i64)>),
    /// A map state's entries, each with its own time.
    Map(Box<MapSlot<D>>),
}

/// Time-to-live of a state's entries (processing time), as Flink's `StateTtlConfig`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TtlConfig {
    pub ttl_ms: i64,
    /// Reads refresh the entry's time too (`OnReadAndWrite`), not only writes.
    pub refresh_on_read: bool,
    /// An expired entry not yet cleaned up is returned by the read that removes it
    /// (`ReturnExpiredIfNotCleanedUp`).
    pub return_expired: bool,
    /// Entries checked for expiry after each access of the state (`cleanup_incrementally`);
    /// 0 disables the incremental cleanup.
    pub incremental_cleanup: usize,
    /// Run the incremental cleanup for every record the operator processes too.
    pub cleanup_every_record: bool,
    /// Leave expired entries out of checkpoints (`cleanup_full_snapshot`).
    pub cleanup_full_snapshot: bool,
}

impl TtlConfig {
    /// Flink's defaults: refresh on write, never return expired values, and the heap backend's
    /// background cleanup (5 entries checked per state access).
    pub fn new(ttl_ms: i64) -> Self {
        TtlConfig {
            ttl_ms,
            refresh_on_read: false,
            return_expired: false,
            incremental_cleanup: 5,
            cleanup_every_record: false,
            cleanup_full_snapshot: false,
        }
    }

    /// Whether something written at `touched` has expired at `now` (as Flink: at `touched + ttl`).
    pub fn expired(&self, touched: i64, now: i64) -> bool {
        touched.saturating_add(self.ttl_ms) <= now
    }
}

/// An entry found for a read or write through [`StateAt`]: its slot and the time of its last
/// write (of a value or a plain list; stamped lists and maps stamp their elements).
pub(super) struct EntryMut<'a, D: DataModel> {
    pub(super) slot: &'a mut Slot<D>,
    pub(super) touched: &'a mut i64,
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
    StampedList(&'a [(D::Value, i64)]),
    Map(&'a MapSlot<D>),
}

impl<D: DataModel> Slot<D> {
    pub fn as_ref(&self) -> SlotRef<'_, D> {
        match self {
            Slot::Value(v) => SlotRef::Value(v),
            Slot::List(l) => SlotRef::List(l),
            Slot::StampedList(l) => SlotRef::StampedList(l),
            Slot::Map(m) => SlotRef::Map(m),
        }
    }

    /// Drops what expired at `now` (`touched`: the time of the last write of a value or plain
    /// list); `true` if nothing is left.
    fn purge(&mut self, touched: i64, ttl: &TtlConfig, now: i64) -> bool {
        match self {
            Slot::Value(_) | Slot::List(_) => ttl.expired(touched, now),
            Slot::StampedList(items) => {
                items.retain(|(_, t)| !ttl.expired(*t, now));
                items.is_empty()
            }
            Slot::Map(map) => {
                map.retain(|_, t| !ttl.expired(*t, now));
                map.is_empty()
            }
        }
    }

    /// The slot as a snapshot holds it.
    fn to_snapshot(&self) -> Result<SlotSnapshot, BoxError> {
        Ok(match self {
            Slot::Value(v) => SlotSnapshot::Value(encode_value::<D>(v)?),
            Slot::List(items) => SlotSnapshot::List(items.iter().map(encode_value::<D>).collect::<Result<_, _>>()?),
            Slot::StampedList(items) => SlotSnapshot::StampedList(items.iter().map(|(v, t)| Ok((encode_value::<D>(v)?, *t))).collect::<Result<_, BoxError>>()?),
            Slot::Map(map) => SlotSnapshot::Map(map.encode(|_| true)?),
        })
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
    /// Entries the incremental cleanup checks per processed record (states with
    /// `cleanup_every_record`).
    per_record_cleanup: usize,
}

// The engine table is boxed so the memory mode pays one enum match and nothing else.
enum Backend<D: DataModel> {
    Memory(MemoryTable<D>),
    Engine(Box<EngineTable<D>>),
}

impl<D: DataModel> Default for KeyedStateStore<D> {
    fn default() -> Self {
        KeyedStateStore::new(Backend::Memory(MemoryTable { table: HashTable::new(), values: Vec::new(), cursor: 0 }))
    }
}

impl<D: DataModel> KeyedStateStore<D> {
    /// A store in engine mode over `engine`, caching at most `cache_entries` decoded entries.
    /// `max_parallelism` places keys in key groups (the prefix of engine keys).
    pub fn with_engine(engine: Box<dyn KvEngine>, max_parallelism: usize, cache_entries: usize) -> Self {
        KeyedStateStore::new(Backend::Engine(Box::new(EngineTable::new(engine, None, max_parallelism, cache_entries))))
    }

    /// A store in the mode of the task's state backend (memory when it has none), restored from
    /// the engine files of the snapshot the job restores from if it has the operator's.
    pub fn for_task(task: &TaskInfo) -> Result<Self, BoxError> {
        let Some(backend) = &task.state_backend else { return Ok(Self::default()) };
        if let Some(restore) = backend.restore() {
            if let Some(old) = restore.by_uid.get(&task.uid) {
                return Self::restore_engine(task, backend, restore, old)
                    .map_err(|e| crate::error::message(format!("cannot restore its state from '{}': {e}", restore.path.display())));
            }
        }
        Ok(Self::of_engine(backend.create_engine(&task.uid, task.subtask_index)?, task, backend))
    }

    fn new(backend: Backend<D>) -> Self {
        KeyedStateStore { states: Vec::new(), backend, per_record_cleanup: 0 }
    }

    /// The store keeps its entries in an engine (not in memory).
    pub fn is_engine(&self) -> bool {
        matches!(self.backend, Backend::Engine(_))
    }

    /// Declares a state; the same name returns the same id (a function may ask twice).
    pub fn register(&mut self, name: &str, ttl: Option<TtlConfig>) -> StateId {
        let id = match self.position(name) {
            Some(i) => {
                debug_assert!(self.states[i].value_table.is_none(), "state '{name}' is a value state");
                self.states[i].ttl = ttl;
                StateId(i as u32)
            }
            None => {
                self.states.push(StateDecl { name: name.to_string(), ttl, value_table: None });
                StateId(self.states.len() as u32 - 1)
            }
        };
        self.per_record_cleanup = self
            .states
            .iter()
            .filter_map(|d| d.ttl.filter(|t| t.cleanup_every_record).map(|t| t.incremental_cleanup))
            .sum();
        id
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

    /// Number of declared states (their ids are `0..state_count()`).
    pub fn state_count(&self) -> usize {
        self.states.len()
    }

    /// The id of a declared state, by name.
    pub fn state_id(&self, name: &str) -> Option<StateId> {
        self.position(name).map(|i| StateId(i as u32))
    }

    pub(super) fn ttl(&self, state: StateId) -> Option<TtlConfig> {
        self.states[state.0 as usize].ttl
    }

    /// Reads and writes of `state` under `key` and `namespace` at processing time `now`, with the
    /// state's time-to-live applied (for user-declared states; see [`StateAt`]).
    pub fn at<'s>(&'s mut self, key: &'s Keyed<D::Key>, state: StateId, namespace: Namespace, now: i64) -> StateAt<'s, D> {
        StateAt::new(self, key, state, namespace, now)
    }

    /// The entry of `key`/`state`/`namespace`, without time-to-live applied (for [`StateAt`]).
    pub(super) fn find_mut(&mut self, key: &Keyed<D::Key>, state: StateId, namespace: &Namespace) -> Result<Option<EntryMut<'_, D>>, BoxError> {
        match &mut self.backend {
            Backend::Memory(t) => {
                let hash = entry_hash(key.hash, state, namespace);
                Ok(t.table.find_mut(hash, eq::<D>(key, state, namespace)).map(|e| EntryMut { slot: &mut e.slot, touched: &mut e.touched }))
            }
            Backend::Engine(t) => t.find_mut(key, state, namespace),
        }
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
                _ => Err(crate::error::message("a value state holds a list or a map")),
            },
        }
    }

    /// Reads ahead the values of `keys` in value state `state`: in engine mode one batched
    /// engine lookup instead of one per key (nothing to do in memory). Operators call it with a
    /// record batch's keys before they access them one by one.
    pub fn prefetch_values<'k>(&mut self, keys: impl IntoIterator<Item = &'k Keyed<D::Key>>, state: ValueStateId) -> Result<(), BoxError>
    where
        D::Key: 'k,
    {
        match &mut self.backend {
            Backend::Memory(_) => Ok(()),
            Backend::Engine(t) => t.prefetch(keys, state.state(), &Namespace::Void),
        }
    }

    /// The slot of `key`/`state`/`namespace`, without time-to-live (operator-internal states
    /// such as window contents; user states go through [`KeyedStateStore::at`]).
    #[inline]
    pub fn get(&mut self, key: &Keyed<D::Key>, state: StateId, namespace: &Namespace) -> Result<Option<&mut Slot<D>>, BoxError> {
        debug_assert!(self.ttl(state).is_none(), "get is for states without TTL");
        Ok(self.find_mut(key, state, namespace)?.map(|e| e.slot))
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

    /// Flink's incremental cleanup (memory mode): checks up to `budget` entries of states with
    /// time-to-live and background cleanup, from where the last run stopped, dropping what
    /// expired. A lazy walk over the buckets: entries added or moved by a resize meanwhile may be
    /// skipped this round (in engine mode: entries only in the cache wait until written back).
    pub(super) fn cleanup_incrementally(&mut self, budget: usize, now: i64) -> Result<(), BoxError> {
        if budget == 0 || self.is_empty() {
            return Ok(());
        }
        let visits = budget.saturating_mul(BUCKETS_PER_CHECK);
        match &mut self.backend {
            Backend::Memory(t) => {
                t.cleanup_incrementally(&self.states, budget, visits, now);
                Ok(())
            }
            Backend::Engine(t) => t.cleanup_incrementally(&self.states, budget, visits, now),
        }
    }

    /// The cleanup Flink runs per processed record for states with `cleanup_every_record`;
    /// operators call this once per record. Best effort: an engine failing here fails the next
    /// state access instead.
    #[inline]
    pub fn on_record(&mut self, now: impl FnOnce() -> i64) {
        if self.per_record_cleanup > 0 {
            let _ = self.cleanup_incrementally(self.per_record_cleanup, now());
        }
    }

    /// Writes the engine mode's cache back to the engine (nothing to do in memory).
    pub fn flush(&mut self) -> Result<(), BoxError> {
        match &mut self.backend {
            Backend::Memory(_) => Ok(()),
            Backend::Engine(t) => t.flush(),
        }
    }

    /// Hands every entry to `emit` as (encoded key, encoded entry), for a checkpoint taken at
    /// processing time `now`: what expired in states with `cleanup_full_snapshot` is left out.
    /// The encoding is the same in both modes, so a snapshot restores into either.
    pub fn snapshot_into(&mut self, now: i64, mut emit: impl FnMut(Vec<u8>, Vec<u8>) -> Result<(), BoxError>) -> Result<(), BoxError> {
        let t = match &mut self.backend {
            Backend::Memory(t) => t,
            Backend::Engine(t) => return t.snapshot_into(&self.states, now, &mut emit),
        };
        for (decl, table) in self.states.iter().filter_map(|d| Some((d, &t.values[d.value_table? as usize]))) {
            let named = |err: BoxError| crate::error::message(format!("state '{}': {err}", decl.name));
            table.try_for_each(|key, _, value| {
                let slot = SlotSnapshot::Value(encode_value::<D>(value).map_err(named)?);
                let mut encoded = Vec::new();
                D::encode_key(key, &mut encoded)?;
                emit(encoded, encode(&EntrySnapshot { state: decl.name.clone(), namespace: Namespace::Void, slot, touched: 0 })?)
            })?;
        }
        for e in t.table.iter() {
            let decl = &self.states[e.state.0 as usize];
            let named = |err: BoxError| crate::error::message(format!("state '{}': {err}", decl.name));
            let live = live_in_snapshot(decl.ttl, now);
            let Some(body) = snapshot_entry(&decl.name, e.namespace, e.slot.to_snapshot().map_err(named)?, e.touched, live)? else { continue };
            let mut key = Vec::new();
            D::encode_key(&e.key, &mut key)?;
            emit(key, body)?;
        }
        Ok(())
    }

    /// Puts back an entry [`KeyedStateStore::snapshot_into`] encoded (its state is declared if
    /// it is not yet, without TTL until the function declares it again).
    pub fn restore_entry(&mut self, key: &Keyed<D::Key>, body: &[u8]) -> Result<(), BoxError> {
        let e: EntrySnapshot = decode(body, "keyed state entry")?;
        let state = match self.state_id(&e.state) {
            Some(id) => id,
            None => self.register(&e.state, None),
        };
        if let Some(table) = self.states[state.0 as usize].value_table {
            let (Namespace::Void, SlotSnapshot::Value(v)) = (e.namespace, &e.slot) else {
                return Err(crate::error::message(format!("corrupt snapshot: value state '{}' holds a list, a map or a namespace", e.state)));
            };
            let value = decode_value::<D>(v)?;
            let mut value = Some(value);
            let (slot, _) = self.value_or_insert_with(key, ValueStateId { state: state.0, table }, || value.take().expect("once"))?;
            if let Some(v) = value {
                *slot = v;
            }
            return Ok(());
        }
        let slot = match e.slot {
            SlotSnapshot::Value(v) => Slot::Value(decode_value::<D>(&v)?),
            SlotSnapshot::List(l) => Slot::List(l.iter().map(|v| decode_value::<D>(v)).collect::<Result<_, _>>()?),
            SlotSnapshot::StampedList(l) => {
                Slot::StampedList(l.iter().map(|(v, t)| Ok((decode_value::<D>(v)?, *t))).collect::<Result<_, BoxError>>()?)
            }
            SlotSnapshot::Map(m) => Slot::Map(Box::new(MapSlot::decode(&m)?)),
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

    /// Takes the entries of `state` out as (key, namespace, slot, time of the last write), in no
    /// particular order (memory mode only: the window operator's fast path moves restored window
    /// contents into its own table with it).
    pub fn take_state(&mut self, state: StateId, mut f: impl FnMut(Keyed<D::Key>, Namespace, Slot<D>, i64)) -> Result<(), BoxError> {
        match &mut self.backend {
            Backend::Memory(t) => {
                for e in t.table.extract_if(|e| e.state == state) {
                    f(Keyed { key: e.key, hash: e.key_hash }, e.namespace, e.slot, e.touched);
                }
                Ok(())
            }
            Backend::Engine(_) => Err(crate::error::message("take_state is for the memory mode")),
        }
    }

    /// The snapshot body of one entry of `state` kept outside the store (as
    /// [`KeyedStateStore::snapshot_into`] writes it, so either restores the other's): `None` if
    /// it expired for the snapshot (see [`live_in_snapshot`]).
    pub fn encode_entry(&self, state: StateId, namespace: Namespace, slot: &Slot<D>, touched: i64, now: i64) -> Result<Option<Vec<u8>>, BoxError> {
        let decl = &self.states[state.0 as usize];
        snapshot_entry(&decl.name, namespace, slot.to_snapshot()?, touched, live_in_snapshot(decl.ttl, now))
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
    /// Where the incremental cleanup goes on (a bucket index of the table).
    cursor: usize,
}

/// At most this many buckets (engine entries in engine mode) are looked at per entry the
/// incremental cleanup checks, so a table holding few entries with time-to-live (or emptied by
/// removals) costs little per access.
const BUCKETS_PER_CHECK: usize = 16;

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
    fn cleanup_incrementally(&mut self, states: &[StateDecl], budget: usize, visits: usize, now: i64) {
        let buckets = self.table.num_buckets();
        if self.table.is_empty() {
            return;
        }
        let mut checked = 0;
        for _ in 0..visits.min(buckets) {
            if checked == budget {
                break;
            }
            let index = self.cursor % buckets;
            self.cursor = index + 1;
            let Some(entry) = self.table.get_bucket_mut(index) else { continue };
            let Some(ttl) = states[entry.state.0 as usize].ttl.filter(|t| t.incremental_cleanup > 0) else { continue };
            checked += 1;
            if entry.slot.purge(entry.touched, &ttl, now) {
                if let Ok(occupied) = self.table.get_bucket_entry(index) {
                    occupied.remove();
                }
            }
        }
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
