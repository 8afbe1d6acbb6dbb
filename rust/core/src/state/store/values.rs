//! The memory mode's table of one value state: `{key hash, key, value}`, nothing else, so a
//! hot keyed table (the rolling reduce's) stays as small as it can be.

use hashbrown::HashTable;

use crate::data::{DataModel, Keyed};
use crate::error::BoxError;

struct ValueEntry<D: DataModel> {
    key_hash: u64,
    key: D::Key,
    value: D::Value,
}

pub(super) struct ValueTable<D: DataModel> {
    table: HashTable<ValueEntry<D>>,
}

impl<D: DataModel> Default for ValueTable<D> {
    fn default() -> Self {
        ValueTable { table: HashTable::new() }
    }
}

impl<D: DataModel> ValueTable<D> {
    #[inline]
    pub(super) fn get_or_insert_with(&mut self, key: &Keyed<D::Key>, make: impl FnOnce() -> D::Value) -> (&mut D::Value, bool) {
        let hash = key.hash;
        match self.table.find_entry(hash, |e| e.key_hash == hash && D::key_eq(&e.key, &key.key)) {
            Ok(found) => (&mut found.into_mut().value, false),
            Err(absent) => {
                let entry = ValueEntry { key_hash: hash, key: D::duplicate_key(&key.key), value: make() };
                (&mut absent.into_table().insert_unique(hash, entry, |e| e.key_hash).into_mut().value, true)
            }
        }
    }

    pub(super) fn len(&self) -> usize {
        self.table.len()
    }

    pub(super) fn try_for_each(&self, mut f: impl FnMut(&D::Key, u64, &D::Value) -> Result<(), BoxError>) -> Result<(), BoxError> {
        self.table.iter().try_for_each(|e| f(&e.key, e.key_hash, &e.value))
    }

    pub(super) fn drain(&mut self, mut f: impl FnMut(Keyed<D::Key>, D::Value)) {
        for e in self.table.drain() {
            f(Keyed { key: e.key, hash: e.key_hash }, e.value);
        }
    }
}
