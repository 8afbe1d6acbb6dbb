//! The in-memory keyed state store: one hash table of (key, state, namespace) -> slot.
//!
//! Time-to-live works as in Flink's heap backend: a value expires as a whole, a list per element
//! and a map per map key (see [`StateAt`]). Expired entries go when they are read, when the
//! incremental cleanup passes them (a cursor walking the table a few entries per state access,
//! or per record), and from checkpoints of states with `cleanup_full_snapshot`.

use hashbrown::HashTable;

use serde::{Deserialize, Serialize};

use super::map::{EncodedEntry, MapSlot};
use super::Namespace;
use crate::checkpoint::snapshot::{decode, decode_value, encode, encode_value};
use crate::data::{DataModel, Keyed};
use crate::error::BoxError;

use super::access::StateAt;

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

pub(super) struct Entry<D: DataModel> {
    pub(super) hash: u64,
    pub(super) key: D::Key,
    pub(super) key_hash: u64,
    pub(super) state: StateId,
    pub(super) namespace: Namespace,
    pub(super) slot: Slot<D>,
    /// Processing time of the last write (or read, with `refresh_on_read`) of a value.
    pub(super) touched: i64,
}

impl<D: DataModel> Entry<D> {
    /// Drops what expired; `true` if nothing is left.
    fn purge(&mut self, ttl: &TtlConfig, now: i64) -> bool {
        match &mut self.slot {
            Slot::Value(_) | Slot::List(_) => ttl.expired(self.touched, now),
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
}

pub struct KeyedStateStore<D: DataModel> {
    pub(super) table: HashTable<Entry<D>>,
    pub(super) states: Vec<(String, Option<TtlConfig>)>,
    /// Where the incremental cleanup goes on (a bucket index of the table).
    cursor: usize,
    /// Entries the incremental cleanup checks per processed record (states with
    /// `cleanup_every_record`).
    per_record_cleanup: usize,
}

impl<D: DataModel> Default for KeyedStateStore<D> {
    fn default() -> Self {
        KeyedStateStore { table: HashTable::new(), states: Vec::new(), cursor: 0, per_record_cleanup: 0 }
    }
}

pub(super) fn entry_hash(key_hash: u64, state: StateId, namespace: &Namespace) -> u64 {
    key_hash ^ (state.0 as u64).wrapping_mul(0x2545_f491_4f6c_dd1d) ^ namespace.hash()
}

/// At most this many buckets are looked at per entry the incremental cleanup checks, so a table
/// holding few entries with time-to-live (or emptied by removals) costs little per access.
const BUCKETS_PER_CHECK: usize = 16;

impl<D: DataModel> KeyedStateStore<D> {
    /// Declares a state; the same name returns the same id (a function may ask twice).
    pub fn register(&mut self, name: &str, ttl: Option<TtlConfig>) -> StateId {
        let id = match self.states.iter().position(|(n, _)| n == name) {
            Some(i) => {
                self.states[i].1 = ttl;
                StateId(i as u32)
            }
            None => {
                self.states.push((name.to_string(), ttl));
                StateId(self.states.len() as u32 - 1)
            }
        };
        self.per_record_cleanup = self
            .states
            .iter()
            .filter_map(|(_, ttl)| ttl.filter(|t| t.cleanup_every_record).map(|t| t.incremental_cleanup))
            .sum();
        id
    }

    pub fn state_name(&self, state: StateId) -> &str {
        &self.states[state.0 as usize].0
    }

    /// The id of a declared state, by name.
    pub fn state_id(&self, name: &str) -> Option<StateId> {
        self.states.iter().position(|(n, _)| n == name).map(|i| StateId(i as u32))
    }

    pub(super) fn ttl(&self, state: StateId) -> Option<TtlConfig> {
        self.states[state.0 as usize].1
    }

    /// Reads and writes of `state` under `key` and `namespace` at processing time `now`, with the
    /// state's time-to-live applied (for user-declared states; see [`StateAt`]).
    pub fn at<'s>(&'s mut self, key: &'s Keyed<D::Key>, state: StateId, namespace: Namespace, now: i64) -> StateAt<'s, D> {
        StateAt::new(self, key, state, namespace, now)
    }

    pub(super) fn find_mut(&mut self, key: &Keyed<D::Key>, state: StateId, namespace: &Namespace) -> Option<&mut Entry<D>> {
        let hash = entry_hash(key.hash, state, namespace);
        self.table.find_mut(hash, |e| e.hash == hash && e.state == state && e.namespace == *namespace && D::key_eq(&e.key, &key.key))
    }

    /// The slot of `key`/`state`/`namespace`, without time-to-live (operator-internal states
    /// such as window contents; user states go through [`KeyedStateStore::at`]).
    pub fn get(&mut self, key: &Keyed<D::Key>, state: StateId, namespace: &Namespace) -> Option<&mut Slot<D>> {
        debug_assert!(self.ttl(state).is_none(), "get is for states without TTL");
        self.find_mut(key, state, namespace).map(|e| &mut e.slot)
    }

    /// Sets the slot (a write: refreshes the entry's time).
    pub fn put(&mut self, key: &Keyed<D::Key>, state: StateId, namespace: Namespace, slot: Slot<D>, now: i64) {
        if let Some(entry) = self.find_mut(key, state, &namespace) {
            entry.slot = slot;
            entry.touched = now;
            return;
        }
        let hash = entry_hash(key.hash, state, &namespace);
        let entry = Entry { hash, key: D::duplicate_key(&key.key), key_hash: key.hash, state, namespace, slot, touched: now };
        self.table.insert_unique(hash, entry, |e| e.hash);
    }

    /// The slot of `key`/`state`/`namespace`, created by `make` if there is none (one lookup
    /// instead of a `get` and a `put`); `true` with the slot if it was created. For states without
    /// time-to-live (window contents).
    pub fn get_or_insert_with(
        &mut self,
        key: &Keyed<D::Key>,
        state: StateId,
        namespace: Namespace,
        now: i64,
        make: impl FnOnce() -> Slot<D>,
    ) -> (&mut Slot<D>, bool) {
        debug_assert!(self.ttl(state).is_none(), "get_or_insert_with is for states without TTL");
        let hash = entry_hash(key.hash, state, &namespace);
        let entry = self.table.entry(
            hash,
            |e| e.hash == hash && e.state == state && e.namespace == namespace && D::key_eq(&e.key, &key.key),
            |e| e.hash,
        );
        match entry {
            hashbrown::hash_table::Entry::Occupied(o) => (&mut o.into_mut().slot, false),
            hashbrown::hash_table::Entry::Vacant(v) => {
                let entry = Entry { hash, key: D::duplicate_key(&key.key), key_hash: key.hash, state, namespace, slot: make(), touched: now };
                (&mut v.insert(entry).into_mut().slot, true)
            }
        }
    }

    pub fn remove(&mut self, key: &Keyed<D::Key>, state: StateId, namespace: &Namespace) -> Option<Slot<D>> {
        let hash = entry_hash(key.hash, state, namespace);
        let found = self
            .table
            .find_entry(hash, |e| e.hash == hash && e.state == state && e.namespace == *namespace && D::key_eq(&e.key, &key.key));
        found.ok().map(|entry| entry.remove().0.slot)
    }

    /// Number of entries (all keys, states and namespaces).
    pub fn len(&self) -> usize {
        self.table.len()
    }

    pub fn is_empty(&self) -> bool {
        self.table.is_empty()
    }

    /// Flink's incremental cleanup: checks up to `budget` entries of states with time-to-live and
    /// background cleanup, from where the last run stopped, dropping what expired. A lazy walk
    /// over the buckets: entries added or moved by a resize meanwhile may be skipped this round.
    pub(super) fn cleanup_incrementally(&mut self, budget: usize, now: i64) {
        let buckets = self.table.num_buckets();
        if budget == 0 || self.table.is_empty() {
            return;
        }
        let mut checked = 0;
        for _ in 0..budget.saturating_mul(BUCKETS_PER_CHECK).min(buckets) {
            if checked == budget {
                break;
            }
            let index = self.cursor % buckets;
            self.cursor = index + 1;
            let Some(entry) = self.table.get_bucket_mut(index) else { continue };
            let Some(ttl) = self.states[entry.state.0 as usize].1.filter(|t| t.incremental_cleanup > 0) else { continue };
            checked += 1;
            if entry.purge(&ttl, now) {
                if let Ok(occupied) = self.table.get_bucket_entry(index) {
                    occupied.remove();
                }
            }
        }
    }

    /// The cleanup Flink runs per processed record for states with `cleanup_every_record`;
    /// operators call this once per record.
    pub fn on_record(&mut self, now: impl FnOnce() -> i64) {
        if self.per_record_cleanup > 0 {
            self.cleanup_incrementally(self.per_record_cleanup, now());
        }
    }

    /// Hands every entry to `emit` as (key, encoded entry), for a checkpoint taken at processing
    /// time `now`: what expired in states with `cleanup_full_snapshot` is left out.
    pub fn snapshot_into(&self, now: i64, mut emit: impl FnMut(&D::Key, Vec<u8>) -> Result<(), BoxError>) -> Result<(), BoxError> {
        for e in self.table.iter() {
            let (state, ttl) = &self.states[e.state.0 as usize];
            let live = |t: i64| !ttl.is_some_and(|ttl| ttl.cleanup_full_snapshot && ttl.expired(t, now));
            let named = |err: BoxError| crate::error::message(format!("state '{state}': {err}"));
            let slot = match &e.slot {
                Slot::Value(_) | Slot::List(_) if !live(e.touched) => continue,
                Slot::Value(v) => SlotSnapshot::Value(encode_value::<D>(v).map_err(named)?),
                Slot::List(items) => SlotSnapshot::List(items.iter().map(encode_value::<D>).collect::<Result<_, _>>().map_err(named)?),
                Slot::StampedList(items) => SlotSnapshot::StampedList(
                    items
                        .iter()
                        .filter(|(_, t)| live(*t))
                        .map(|(v, t)| Ok((encode_value::<D>(v)?, *t)))
                        .collect::<Result<_, BoxError>>()
                        .map_err(named)?,
                ),
                Slot::Map(map) => SlotSnapshot::Map(map.encode(live).map_err(named)?),
            };
            if matches!(&slot, SlotSnapshot::StampedList(l) if l.is_empty()) || matches!(&slot, SlotSnapshot::Map(m) if m.is_empty()) {
                continue;
            }
            emit(&e.key, encode(&EntrySnapshot { state: state.clone(), namespace: e.namespace, slot, touched: e.touched })?)?;
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
        let slot = match e.slot {
            SlotSnapshot::Value(v) => Slot::Value(decode_value::<D>(&v)?),
            SlotSnapshot::List(l) => Slot::List(l.iter().map(|v| decode_value::<D>(v)).collect::<Result<_, _>>()?),
            SlotSnapshot::StampedList(l) => {
                Slot::StampedList(l.iter().map(|(v, t)| Ok((decode_value::<D>(v)?, *t))).collect::<Result<_, BoxError>>()?)
            }
            SlotSnapshot::Map(m) => Slot::Map(Box::new(MapSlot::decode(&m)?)),
        };
        self.put(key, state, e.namespace, slot, e.touched);
        Ok(())
    }

    /// Every entry as (key, key hash, state, namespace, slot), for checks after a restore.
    pub fn entries(&self) -> impl Iterator<Item = (&D::Key, u64, StateId, &Namespace, &Slot<D>)> + '_ {
        self.table.iter().map(|e| (&e.key, e.key_hash, e.state, &e.namespace, &e.slot))
    }

    /// The key hashes of every entry, for tests and snapshots.
    pub fn key_hashes(&self) -> impl Iterator<Item = u64> + '_ {
        self.table.iter().map(|e| e.key_hash)
    }
}

#[cfg(test)]
#[path = "store_tests.rs"]
mod tests;
