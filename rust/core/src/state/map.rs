//! The slot of a map state: its entries by map key, each with its own time-to-live stamp, and
//! iterated in insertion order (as a Python dict, which PyFlink users iterate).

use hashbrown::HashTable;

use crate::checkpoint::snapshot::{decode_value, encode_value};
use crate::data::DataModel;
use crate::error::BoxError;

/// A map entry in a snapshot: encoded key and value, and its time.
pub(super) type EncodedEntry = (Vec<u8>, Vec<u8>, i64);

struct MapEntry<D: DataModel> {
    hash: u64,
    /// Insertion order: a key keeps its place when its value is replaced.
    seq: u64,
    key: D::Key,
    value: D::Value,
    /// Processing time of the last write (or read, with `refresh_on_read`).
    touched: i64,
}

pub struct MapSlot<D: DataModel> {
    table: HashTable<MapEntry<D>>,
    next_seq: u64,
}

impl<D: DataModel> Default for MapSlot<D> {
    fn default() -> Self {
        MapSlot { table: HashTable::new(), next_seq: 0 }
    }
}

impl<D: DataModel> MapSlot<D> {
    pub fn len(&self) -> usize {
        self.table.len()
    }

    pub fn is_empty(&self) -> bool {
        self.table.is_empty()
    }

    /// The value of `key` (hashed by the data model) and its time, to read or refresh.
    pub(super) fn get_mut(&mut self, key: &D::Key, hash: u64) -> Option<(&mut D::Value, &mut i64)> {
        self.table.find_mut(hash, |e| e.hash == hash && D::key_eq(&e.key, key)).map(|e| (&mut e.value, &mut e.touched))
    }

    pub(super) fn insert(&mut self, key: &D::Key, hash: u64, value: D::Value, now: i64) {
        if let Some((v, t)) = self.get_mut(key, hash) {
            *v = value;
            *t = now;
            return;
        }
        let seq = self.next_seq;
        self.next_seq += 1;
        self.table.insert_unique(hash, MapEntry { hash, seq, key: D::duplicate_key(key), value, touched: now }, |e| e.hash);
    }

    pub(super) fn remove(&mut self, key: &D::Key, hash: u64) -> Option<(D::Value, i64)> {
        let found = self.table.find_entry(hash, |e| e.hash == hash && D::key_eq(&e.key, key)).ok()?;
        let (entry, _) = found.remove();
        Some((entry.value, entry.touched))
    }

    /// Keeps the entries for which `keep(value, touched)` holds (it may refresh `touched`).
    pub(super) fn retain(&mut self, mut keep: impl FnMut(&D::Value, &mut i64) -> bool) {
        self.table.retain(|e| keep(&e.value, &mut e.touched));
    }

    /// Every entry as (key, value, time), in insertion order.
    pub(super) fn ordered_mut(&mut self) -> Vec<(&D::Key, &D::Value, &mut i64)> {
        let mut entries: Vec<&mut MapEntry<D>> = self.table.iter_mut().collect();
        entries.sort_unstable_by_key(|e| e.seq);
        entries.into_iter().map(|e| (&e.key, &e.value, &mut e.touched)).collect()
    }

    /// The entries whose time passes `live`, encoded for a snapshot, in insertion order.
    pub(super) fn encode(&self, live: impl Fn(i64) -> bool) -> Result<Vec<EncodedEntry>, BoxError> {
        let mut entries: Vec<&MapEntry<D>> = self.table.iter().filter(|e| live(e.touched)).collect();
        entries.sort_unstable_by_key(|e| e.seq);
        entries
            .into_iter()
            .map(|e| {
                let mut key = Vec::new();
                D::encode_key(&e.key, &mut key)?;
                Ok((key, encode_value::<D>(&e.value)?, e.touched))
            })
            .collect()
    }

    /// The map [`MapSlot::encode`] wrote; keys are hashed again in this process.
    pub(super) fn decode(entries: &[EncodedEntry]) -> Result<Self, BoxError> {
        let mut map = MapSlot::default();
        for (key, value, touched) in entries {
            let key = D::decode_key(key)?;
            let hash = D::hash_key(&key)?;
            map.insert(&key, hash, decode_value::<D>(value)?, *touched);
        }
        Ok(map)
    }
}
