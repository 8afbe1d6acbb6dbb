//! What an operator or source writes into a checkpoint and gets back on restore.
//!
//! State comes in three shapes, as in Flink, because each redistributes differently when a job
//! restores at another parallelism:
//! - keyed entries (`key`, operator-defined payload): each goes to the subtask that owns the key's
//!   group, recomputed from the key on restore (key hashes need not be stable across processes);
//! - list elements (source splits, pending sink files): spread round-robin over the new subtasks;
//! - broadcast state: identical on every subtask, restored from the first old subtask's copy.
//!
//! The encoding is the same whatever backend kept the state, so a snapshot restores into any
//! backend (memory or RocksDB).

use serde::{Deserialize, Serialize};

use crate::data::{DataModel, Keyed};
use crate::error::BoxError;
use crate::key_group::{key_group_of, key_group_range};

/// One keyed entry: the encoded key and what the operator keeps for it.
#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq, Eq)]
pub struct KeyedEntry {
    pub key: Vec<u8>,
    pub payload: Vec<u8>,
}

/// The state of one operator (or source) instance in one checkpoint.
#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq, Eq)]
pub struct OperatorSnapshot {
    pub keyed: Vec<KeyedEntry>,
    pub list: Vec<Vec<u8>>,
    pub broadcast: Option<Vec<u8>>,
}

impl OperatorSnapshot {
    pub fn is_empty(&self) -> bool {
        self.keyed.is_empty() && self.list.is_empty() && self.broadcast.is_none()
    }
}

/// Collects an operator instance's state during a checkpoint.
pub struct SnapshotWriter<'a, D: DataModel> {
    snapshot: &'a mut OperatorSnapshot,
    _model: std::marker::PhantomData<D>,
}

impl<'a, D: DataModel> SnapshotWriter<'a, D> {
    pub fn new(snapshot: &'a mut OperatorSnapshot) -> Self {
        SnapshotWriter { snapshot, _model: std::marker::PhantomData }
    }

    /// Adds a keyed entry (several entries per key are fine: restore hands back all of them).
    pub fn keyed(&mut self, key: &D::Key, payload: Vec<u8>) -> Result<(), BoxError> {
        let mut encoded = Vec::new();
        D::encode_key(key, &mut encoded)?;
        self.snapshot.keyed.push(KeyedEntry { key: encoded, payload });
        Ok(())
    }

    /// Adds a keyed entry whose key is already encoded (`DataModel::encode_key`).
    pub fn keyed_encoded(&mut self, key: Vec<u8>, payload: Vec<u8>) {
        self.snapshot.keyed.push(KeyedEntry { key, payload });
    }

    /// Adds an element of the operator's list state.
    pub fn list(&mut self, element: Vec<u8>) {
        self.snapshot.list.push(element);
    }

    /// Sets the operator's broadcast state.
    pub fn broadcast(&mut self, state: Vec<u8>) {
        self.snapshot.broadcast = Some(state);
    }
}

/// What one operator instance gets back on restore: its share of the state of every old
/// instance of the same operator (matched by uid).
pub struct RestoredState<D: DataModel> {
    pub keyed: Vec<(Keyed<D::Key>, Vec<u8>)>,
    pub list: Vec<Vec<u8>>,
    pub broadcast: Option<Vec<u8>>,
}

impl<D: DataModel> Default for RestoredState<D> {
    fn default() -> Self {
        RestoredState { keyed: Vec::new(), list: Vec::new(), broadcast: None }
    }
}

impl<D: DataModel> RestoredState<D> {
    /// The share of subtask `index` of `parallelism` in `old` (the old instances' snapshots, in
    /// subtask order): keyed entries by key group, list elements round-robin. Call inside the
    /// data model's scope (keys are decoded and hashed).
    pub fn share(old: &[OperatorSnapshot], index: usize, parallelism: usize, max_parallelism: usize) -> Result<Self, BoxError> {
        let groups = key_group_range(index, parallelism, max_parallelism);
        let mut restored = RestoredState::default();
        let mut position = 0usize;
        for snapshot in old {
            for entry in &snapshot.keyed {
                let key = D::decode_key(&entry.key)?;
                let hash = D::hash_key(&key)?;
                if groups.contains(&key_group_of(hash, max_parallelism)) {
                    restored.keyed.push((Keyed { key, hash }, entry.payload.clone()));
                }
            }
            for element in &snapshot.list {
                if position % parallelism == index {
                    restored.list.push(element.clone());
                }
                position += 1;
            }
        }
        restored.broadcast = old.iter().find_map(|s| s.broadcast.clone());
        Ok(restored)
    }

    pub fn is_empty(&self) -> bool {
        self.keyed.is_empty() && self.list.is_empty() && self.broadcast.is_none()
    }
}

/// Encodes a serde value as the snapshot's binary format.
pub fn encode<T: Serialize>(value: &T) -> Result<Vec<u8>, BoxError> {
    postcard::to_allocvec(value).map_err(|e| Box::new(e) as BoxError)
}

/// Decodes what [`encode`] wrote; `what` names it in the error.
pub fn decode<'a, T: Deserialize<'a>>(bytes: &'a [u8], what: &str) -> Result<T, BoxError> {
    postcard::from_bytes(bytes).map_err(|e| crate::error::message(format!("corrupt {what} in the snapshot: {e}")))
}

/// Prefixes a keyed payload with `tag`, for operators that keep several kinds of keyed state
/// (state entries, timers, ...).
pub fn tagged(tag: u8, body: Vec<u8>) -> Vec<u8> {
    let mut out = Vec::with_capacity(body.len() + 1);
    out.push(tag);
    out.extend_from_slice(&body);
    out
}

/// The tag and body of a [`tagged`] payload.
pub fn untag(payload: &[u8]) -> Result<(u8, &[u8]), BoxError> {
    payload.split_first().map(|(t, b)| (*t, b)).ok_or_else(|| crate::error::message("corrupt snapshot: an empty keyed entry"))
}

/// A value of the data model, encoded (for use inside serde payloads).
pub fn encode_value<D: DataModel>(value: &D::Value) -> Result<Vec<u8>, BoxError> {
    let mut out = Vec::new();
    D::encode_value(value, &mut out)?;
    Ok(out)
}

/// A value [`encode_value`] encoded.
pub fn decode_value<D: DataModel>(bytes: &[u8]) -> Result<D::Value, BoxError> {
    D::decode_value(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_support::Ints;

    #[test]
    fn keyed_entries_follow_their_key_group_and_lists_spread_round_robin() {
        let mut old = vec![OperatorSnapshot::default(), OperatorSnapshot::default()];
        for (i, snapshot) in old.iter_mut().enumerate() {
            let mut w = SnapshotWriter::<Ints>::new(snapshot);
            for k in 0..50i64 {
                if k as usize % 2 == i {
                    w.keyed(&k, vec![k as u8]).unwrap();
                }
            }
            w.list(vec![i as u8]);
            w.list(vec![10 + i as u8]);
        }
        for parallelism in [1usize, 3, 4] {
            let shares: Vec<RestoredState<Ints>> =
                (0..parallelism).map(|i| RestoredState::share(&old, i, parallelism, 128).unwrap()).collect();
            let mut keys: Vec<i64> = shares.iter().flat_map(|s| s.keyed.iter().map(|(k, _)| k.key)).collect();
            keys.sort();
            assert_eq!(keys, (0..50).collect::<Vec<_>>(), "every key restored exactly once at parallelism {parallelism}");
            for (i, share) in shares.iter().enumerate() {
                for (k, payload) in &share.keyed {
                    assert_eq!(payload, &vec![k.key as u8]);
                    let group = key_group_of(k.hash, 128);
                    assert!(key_group_range(i, parallelism, 128).contains(&group));
                }
            }
            let lists: usize = shares.iter().map(|s| s.list.len()).sum();
            assert_eq!(lists, 4);
        }
    }
}
