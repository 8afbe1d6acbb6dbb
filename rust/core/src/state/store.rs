//! The in-memory keyed state store: one hash table of (key, state, namespace) -> slot.

use hashbrown::HashTable;

use serde::{Deserialize, Serialize};

use super::Namespace;
use crate::checkpoint::snapshot::{decode, decode_value, encode, encode_value};
use crate::data::{DataModel, Keyed};
use crate::error::BoxError;

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

struct Entry<D: DataModel> {
    hash: u64,
    key: D::Key,
    key_hash: u64,
    state: StateId,
    namespace: Namespace,
    slot: Slot<D>,
    /// Processing time of the last write (or read, with `refresh_on_read`).
    touched: i64,
}

pub struct KeyedStateStore<D: DataModel> {
    table: HashTable<Entry<D>>,
    states: Vec<(String, Option<TtlConfig>)>,
}

impl<D: DataModel> Default for KeyedStateStore<D> {
    fn default() -> Self {
        KeyedStateStore { table: HashTable::new(), states: Vec::new() }
    }
}

fn entry_hash(key_hash: u64, state: StateId, namespace: &Namespace) -> u64 {
    key_hash ^ (state.0 as u64).wrapping_mul(0x2545_f491_4f6c_dd1d) ^ namespace.hash()
}

impl<D: DataModel> KeyedStateStore<D> {
    /// Declares a state; the same name returns the same id (a function may ask twice).
    pub fn register(&mut self, name: &str, ttl: Option<TtlConfig>) -> StateId {
        if let Some(i) = self.states.iter().position(|(n, _)| n == name) {
            self.states[i].1 = ttl;
            return StateId(i as u32);
        }
        self.states.push((name.to_string(), ttl));
        StateId(self.states.len() as u32 - 1)
    }

    pub fn state_name(&self, state: StateId) -> &str {
        &self.states[state.0 as usize].0
    }

    fn find_index(&self, key: &Keyed<D::Key>, state: StateId, namespace: &Namespace) -> Option<u64> {
        let hash = entry_hash(key.hash, state, namespace);
        self.table
            .find(hash, |e| e.hash == hash && e.state == state && e.namespace == *namespace && D::key_eq(&e.key, &key.key))
            .map(|_| hash)
    }

    /// The slot of `key`/`state`/`namespace`; `now` is the processing time for TTL.
    pub fn get(&mut self, key: &Keyed<D::Key>, state: StateId, namespace: &Namespace, now: i64) -> Option<&mut Slot<D>> {
        let ttl = self.states[state.0 as usize].1;
        let hash = entry_hash(key.hash, state, namespace);
        let eq = |e: &Entry<D>| e.hash == hash && e.state == state && e.namespace == *namespace && D::key_eq(&e.key, &key.key);
        if let Some(ttl) = ttl {
            let expired = self.table.find(hash, eq).map(|e| now - e.touched >= ttl.ttl_ms)?;
            if expired && !ttl.return_expired {
                if let Ok(entry) = self.table.find_entry(hash, eq) {
                    entry.remove();
                }
                return None;
            }
            let entry = self.table.find_mut(hash, eq)?;
            if ttl.refresh_on_read {
                entry.touched = now;
            }
            return Some(&mut entry.slot);
        }
        self.table.find_mut(hash, eq).map(|e| &mut e.slot)
    }

    /// Sets the slot (a write: refreshes the entry's time).
    pub fn put(&mut self, key: &Keyed<D::Key>, state: StateId, namespace: Namespace, slot: Slot<D>, now: i64) {
        let hash = entry_hash(key.hash, state, &namespace);
        let eq = |e: &Entry<D>| e.hash == hash && e.state == state && e.namespace == namespace && D::key_eq(&e.key, &key.key);
        if let Some(entry) = self.table.find_mut(hash, eq) {
            entry.slot = slot;
            entry.touched = now;
            return;
        }
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
        debug_assert!(self.states[state.0 as usize].1.is_none(), "get_or_insert_with is for states without TTL");
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

    /// Marks an entry as written now (after it was changed in place through `get`).
    pub fn touch(&mut self, key: &Keyed<D::Key>, state: StateId, namespace: &Namespace, now: i64) {
        if self.find_index(key, state, namespace).is_some() {
            let hash = entry_hash(key.hash, state, namespace);
            if let Some(e) = self.table.find_mut(hash, |e| e.hash == hash && e.state == state && e.namespace == *namespace && D::key_eq(&e.key, &key.key)) {
                e.touched = now;
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

    /// Hands every entry to `emit` as (key, encoded entry), for a checkpoint.
    pub fn snapshot_into(&self, mut emit: impl FnMut(&D::Key, Vec<u8>) -> Result<(), BoxError>) -> Result<(), BoxError> {
        for e in self.table.iter() {
            let state = self.states[e.state.0 as usize].0.clone();
            let named = |err: BoxError| crate::error::message(format!("state '{state}': {err}"));
            let (value, list) = match &e.slot {
                Slot::Value(v) => (Some(encode_value::<D>(v).map_err(named)?), Vec::new()),
                Slot::List(items) => (None, items.iter().map(encode_value::<D>).collect::<Result<_, _>>().map_err(named)?),
            };
            emit(&e.key, encode(&EntrySnapshot { state, namespace: e.namespace, value, list, touched: e.touched })?)?;
        }
        Ok(())
    }

    /// Puts back an entry [`KeyedStateStore::snapshot_into`] encoded (its state is declared if
    /// it is not yet, without TTL until the function declares it again).
    pub fn restore_entry(&mut self, key: &Keyed<D::Key>, body: &[u8]) -> Result<(), BoxError> {
        let e: EntrySnapshot = decode(body, "keyed state entry")?;
        let state = match self.states.iter().position(|(n, _)| *n == e.state) {
            Some(i) => StateId(i as u32),
            None => self.register(&e.state, None),
        };
        let slot = match e.value {
            Some(v) => Slot::Value(decode_value::<D>(&v)?),
            None => Slot::List(e.list.iter().map(|v| decode_value::<D>(v)).collect::<Result<_, _>>()?),
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
mod tests {
    use super::*;
    use crate::test_support::Ints;

    fn k(v: i64) -> Keyed<i64> {
        Keyed { key: v, hash: v as u64 }
    }

    fn value(slot: Option<&mut Slot<Ints>>) -> Option<i64> {
        match slot {
            Some(Slot::Value(v)) => Some(*v),
            Some(Slot::List(_)) => panic!("list"),
            None => None,
        }
    }

    #[test]
    fn values_are_kept_per_key_state_and_namespace() {
        let mut s = KeyedStateStore::<Ints>::default();
        let a = s.register("a", None);
        let b = s.register("b", None);
        assert_eq!(s.register("a", None), a);
        let w = Namespace::Window { start: 0, end: 10 };
        s.put(&k(1), a, Namespace::Void, Slot::Value(10), 0);
        s.put(&k(1), b, Namespace::Void, Slot::Value(20), 0);
        s.put(&k(2), a, Namespace::Void, Slot::Value(30), 0);
        s.put(&k(1), a, w, Slot::Value(40), 0);
        assert_eq!(value(s.get(&k(1), a, &Namespace::Void, 0)), Some(10));
        assert_eq!(value(s.get(&k(1), b, &Namespace::Void, 0)), Some(20));
        assert_eq!(value(s.get(&k(2), a, &Namespace::Void, 0)), Some(30));
        assert_eq!(value(s.get(&k(1), a, &w, 0)), Some(40));
        assert_eq!(value(s.get(&k(3), a, &Namespace::Void, 0)), None);
        s.put(&k(1), a, Namespace::Void, Slot::Value(11), 0);
        assert_eq!(value(s.get(&k(1), a, &Namespace::Void, 0)), Some(11));
        assert_eq!(s.len(), 4);
        assert!(s.remove(&k(1), a, &w).is_some());
        assert_eq!(value(s.get(&k(1), a, &w, 0)), None);
        assert_eq!(s.len(), 3);
    }

    #[test]
    fn entries_survive_a_snapshot_and_restore() {
        let mut s = KeyedStateStore::<Ints>::default();
        let a = s.register("a", None);
        let l = s.register("l", None);
        s.put(&k(1), a, Namespace::Void, Slot::Value(10), 5);
        s.put(&k(2), l, Namespace::Window { start: 0, end: 10 }, Slot::List(vec![1, 2, 3]), 6);
        let mut entries = Vec::new();
        s.snapshot_into(|key, body| {
            entries.push((*key, body));
            Ok(())
        })
        .unwrap();
        let mut r = KeyedStateStore::<Ints>::default();
        let l2 = r.register("l", None); // declared in another order
        for (key, body) in &entries {
            r.restore_entry(&k(*key), body).unwrap();
        }
        let a2 = r.register("a", None);
        assert_eq!(value(r.get(&k(1), a2, &Namespace::Void, 0)), Some(10));
        match r.get(&k(2), l2, &Namespace::Window { start: 0, end: 10 }, 0) {
            Some(Slot::List(items)) => assert_eq!(items, &vec![1, 2, 3]),
            _ => panic!("list restored"),
        }
        assert!(r.restore_entry(&k(1), &[0xff, 0xff]).is_err(), "corrupt entries are refused");
    }

    #[test]
    fn ttl_expires_entries_unless_refreshed() {
        let mut s = KeyedStateStore::<Ints>::default();
        let on_write = s.register("w", Some(TtlConfig { ttl_ms: 100, refresh_on_read: false, return_expired: false }));
        let on_read = s.register("r", Some(TtlConfig { ttl_ms: 100, refresh_on_read: true, return_expired: false }));
        let lax = s.register("x", Some(TtlConfig { ttl_ms: 100, refresh_on_read: false, return_expired: true }));
        for st in [on_write, on_read, lax] {
            s.put(&k(1), st, Namespace::Void, Slot::Value(1), 0);
        }
        assert_eq!(value(s.get(&k(1), on_read, &Namespace::Void, 90)), Some(1));
        assert_eq!(value(s.get(&k(1), on_write, &Namespace::Void, 99)), Some(1));
        assert_eq!(value(s.get(&k(1), on_write, &Namespace::Void, 100)), None, "expired after 100 ms");
        assert_eq!(value(s.get(&k(1), on_read, &Namespace::Void, 150)), Some(1), "the read at 90 refreshed it");
        assert_eq!(value(s.get(&k(1), lax, &Namespace::Void, 500)), Some(1), "returned while not cleaned up");
    }
}
