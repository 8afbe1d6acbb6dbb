//! Reads and writes of one user-declared state under one key and namespace, with Flink's
//! time-to-live semantics:
//! - a value (value, reducing and aggregating state) expires as a whole;
//! - a list expires per element: `add` stamps the new element only, `update` every element;
//! - a map expires per map key;
//! - `OnReadAndWrite` refreshes what a read returns (not what it finds expired);
//! - an expired value, element or map entry is removed by the read that finds it, which returns
//!   it that once with `ReturnExpiredIfNotCleanedUp` and never with `NeverReturnExpired`.
//!
//! Every access may fail in the engine mode of the store (encoding, I/O).
//!
//! After every access the state's incremental cleanup runs (Flink's heap backend does it before
//! the access; after keeps `ReturnExpiredIfNotCleanedUp` reads of the accessed entry decided by
//! the read itself, not by the cleanup that happens to pass it first).

use super::map::MapSlot;
use super::store::{EntryMut, KeyedStateStore, Slot, StateId, TtlConfig};
use super::Namespace;
use crate::data::{DataModel, Keyed};
use crate::error::BoxError;

pub struct StateAt<'s, D: DataModel> {
    store: &'s mut KeyedStateStore<D>,
    key: &'s Keyed<D::Key>,
    state: StateId,
    namespace: Namespace,
    now: i64,
    ttl: Option<TtlConfig>,
}

/// A list slot in the shape the state's TTL wants: stamped elements with TTL, plain without
/// (a state restored before it was declared again may have the other shape).
fn fit_list<D: DataModel>(slot: &mut Slot<D>, ttl: Option<TtlConfig>, touched: i64) {
    let fitted = match (std::mem::replace(slot, Slot::List(Vec::new())), ttl) {
        (Slot::List(items), Some(_)) => Slot::StampedList(items.into_iter().map(|v| (v, touched)).collect()),
        (Slot::StampedList(items), None) => Slot::List(items.into_iter().map(|(v, _)| v).collect()),
        (other, _) => other,
    };
    *slot = fitted;
}

impl<'s, D: DataModel> StateAt<'s, D> {
    pub(super) fn new(store: &'s mut KeyedStateStore<D>, key: &'s Keyed<D::Key>, state: StateId, namespace: Namespace, now: i64) -> Self {
        let ttl = store.ttl(state);
        StateAt { store, key, state, namespace, now, ttl }
    }

    /// Ends the access (Flink's TTL access callback: the incremental cleanup) and returns `result`.
    fn done<R>(self, result: R) -> Result<R, BoxError> {
        if let Some(ttl) = self.ttl {
            self.store.cleanup_incrementally(ttl.incremental_cleanup, self.now)?;
        }
        Ok(result)
    }

    fn refreshes(&self) -> bool {
        self.ttl.is_some_and(|t| t.refresh_on_read)
    }

    /// Whether a read returns what it found expired.
    fn returns_expired(&self) -> bool {
        self.ttl.is_some_and(|t| t.return_expired)
    }

    fn remove_entry(&mut self) -> Result<(), BoxError> {
        self.store.remove(self.key, self.state, &self.namespace).map(drop)
    }

    fn write(&mut self, slot: Slot<D>) -> Result<(), BoxError> {
        self.store.put(self.key, self.state, self.namespace, slot, self.now)
    }

    /// The value of a value (or reducing/aggregating) state, or `None`.
    pub fn value(mut self) -> Result<Option<D::Value>, BoxError> {
        let (ttl, now, refreshes) = (self.ttl, self.now, self.refreshes());
        let mut expired = false;
        let found = self.store.find_mut(self.key, self.state, &self.namespace)?.and_then(|entry| match &entry.slot {
            Slot::Value(v) => {
                expired = ttl.is_some_and(|t| t.expired(*entry.touched, now));
                if !expired && refreshes {
                    *entry.touched = now;
                }
                Some(D::duplicate(v))
            }
            _ => None,
        });
        let result = if expired {
            self.remove_entry()?;
            found.filter(|_| self.returns_expired())
        } else {
            found
        };
        self.done(result)
    }

    pub fn update(mut self, value: D::Value) -> Result<(), BoxError> {
        self.write(Slot::Value(value))?;
        self.done(())
    }

    /// Drops the state's entry (whatever it holds).
    pub fn clear(mut self) -> Result<(), BoxError> {
        self.remove_entry()?;
        self.done(())
    }

    /// The elements of a list state.
    pub fn list(mut self) -> Result<Vec<D::Value>, BoxError> {
        let (ttl, now, refreshes, returns_expired) = (self.ttl, self.now, self.refreshes(), self.returns_expired());
        let mut emptied = false;
        let items = match self.store.find_mut(self.key, self.state, &self.namespace)? {
            None => Vec::new(),
            Some(entry) => {
                fit_list(entry.slot, ttl, *entry.touched);
                match (entry.slot, ttl) {
                    (Slot::List(items), _) => items.iter().map(D::duplicate).collect(),
                    (Slot::StampedList(items), Some(ttl)) => {
                        let mut out = Vec::with_capacity(items.len());
                        items.retain_mut(|(v, stamp)| {
                            let expired = ttl.expired(*stamp, now);
                            if !expired || returns_expired {
                                out.push(D::duplicate(v));
                            }
                            if !expired && refreshes {
                                *stamp = now;
                            }
                            !expired
                        });
                        emptied = items.is_empty();
                        out
                    }
                    _ => Vec::new(),
                }
            }
        };
        if emptied {
            self.remove_entry()?;
        }
        self.done(items)
    }

    /// Appends to a list state (only the new element's time is set).
    pub fn add(mut self, value: D::Value) -> Result<(), BoxError> {
        let (ttl, now) = (self.ttl, self.now);
        let mut value = Some(value);
        if let Some(entry) = self.store.find_mut(self.key, self.state, &self.namespace)? {
            fit_list(entry.slot, ttl, *entry.touched);
            match entry.slot {
                Slot::List(items) => items.push(value.take().expect("once")),
                Slot::StampedList(items) => items.push((value.take().expect("once"), now)),
                _ => {}
            }
            *entry.touched = now;
        }
        if let Some(value) = value {
            // No list yet (or a slot of another kind, replaced).
            self.write(if ttl.is_some() { Slot::StampedList(vec![(value, now)]) } else { Slot::List(vec![value]) })?;
        }
        self.done(())
    }

    /// Replaces a list state's elements (all written now); an empty list clears it.
    pub fn update_list(mut self, values: Vec<D::Value>) -> Result<(), BoxError> {
        if values.is_empty() {
            self.remove_entry()?;
        } else {
            let now = self.now;
            let slot = if self.ttl.is_some() { Slot::StampedList(values.into_iter().map(|v| (v, now)).collect()) } else { Slot::List(values) };
            self.write(slot)?;
        }
        self.done(())
    }

    /// The map of a map state, if it has one.
    fn map(&mut self) -> Result<Option<&mut MapSlot<D>>, BoxError> {
        Ok(match self.store.find_mut(self.key, self.state, &self.namespace)? {
            Some(EntryMut { slot: Slot::Map(map), .. }) => Some(map),
            _ => None,
        })
    }

    /// Looks `key` up in a map state: `read` gets the value if the lookup returns it. An expired
    /// entry is removed (and passed to `read` with `ReturnExpiredIfNotCleanedUp`).
    fn map_lookup<R>(mut self, key: &D::Key, read: impl FnOnce(&D::Value) -> R) -> Result<Option<R>, BoxError> {
        let hash = D::hash_key(key)?;
        let (ttl, now, refreshes, returns_expired) = (self.ttl, self.now, self.refreshes(), self.returns_expired());
        let mut emptied = false;
        let mut result = None;
        if let Some(map) = self.map()? {
            let mut expired = false;
            if let Some((value, touched)) = map.get_mut(key, hash) {
                expired = ttl.is_some_and(|t| t.expired(*touched, now));
                if !expired && refreshes {
                    *touched = now;
                }
                if !expired || returns_expired {
                    result = Some(read(value));
                }
            }
            if expired {
                map.remove(key, hash);
                emptied = map.is_empty();
            }
        }
        if emptied {
            self.remove_entry()?;
        }
        self.done(result)
    }

    pub fn map_get(self, key: &D::Key) -> Result<Option<D::Value>, BoxError> {
        self.map_lookup(key, D::duplicate)
    }

    pub fn map_contains(self, key: &D::Key) -> Result<bool, BoxError> {
        Ok(self.map_lookup(key, |_| ())?.is_some())
    }

    pub fn map_put(mut self, key: &D::Key, value: D::Value) -> Result<(), BoxError> {
        let hash = D::hash_key(key)?;
        let now = self.now;
        match self.store.find_mut(self.key, self.state, &self.namespace)? {
            Some(EntryMut { slot: Slot::Map(map), touched }) => {
                map.insert(key, hash, value, now);
                *touched = now;
            }
            _ => {
                let mut map = MapSlot::default();
                map.insert(key, hash, value, now);
                self.write(Slot::Map(Box::new(map)))?;
            }
        }
        self.done(())
    }

    pub fn map_remove(mut self, key: &D::Key) -> Result<(), BoxError> {
        let hash = D::hash_key(key)?;
        let emptied = match self.map()? {
            Some(map) => {
                map.remove(key, hash);
                map.is_empty()
            }
            None => false,
        };
        if emptied {
            self.remove_entry()?;
        }
        self.done(())
    }

    /// Every entry of a map state, in insertion order (expired ones removed, and returned this
    /// once with `ReturnExpiredIfNotCleanedUp`).
    pub fn map_entries(mut self) -> Result<Vec<(D::Key, D::Value)>, BoxError> {
        let (ttl, now, refreshes, returns_expired) = (self.ttl, self.now, self.refreshes(), self.returns_expired());
        let mut out = Vec::new();
        let mut emptied = false;
        if let Some(map) = self.map()? {
            let mut any_expired = false;
            for (key, value, touched) in map.ordered_mut() {
                let expired = ttl.is_some_and(|t| t.expired(*touched, now));
                if !expired || returns_expired {
                    out.push((D::duplicate_key(key), D::duplicate(value)));
                }
                if !expired && refreshes {
                    *touched = now;
                }
                any_expired |= expired;
            }
            if let (true, Some(ttl)) = (any_expired, ttl) {
                map.retain(|_, touched| !ttl.expired(*touched, now));
                emptied = map.is_empty();
            }
        }
        if emptied {
            self.remove_entry()?;
        }
        self.done(out)
    }

    /// Whether a map state has no entries a read would return (expired entries are removed when
    /// they are invisible anyway; with `ReturnExpiredIfNotCleanedUp` they still count).
    pub fn map_is_empty(mut self) -> Result<bool, BoxError> {
        let (ttl, now) = (self.ttl.filter(|t| !t.return_expired), self.now);
        let empty = match self.map()? {
            Some(map) => {
                if let Some(ttl) = ttl {
                    map.retain(|_, touched| !ttl.expired(*touched, now));
                }
                map.is_empty()
            }
            None => true,
        };
        if empty {
            self.remove_entry()?;
        }
        self.done(empty)
    }
}
