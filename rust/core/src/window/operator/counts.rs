//! The per-key element count of count windows (PyFlink's `tumble-count-assigner` /
//! `slide-count-assigner` value state): which element of its key a record is.

use hashbrown::HashTable;

use crate::data::{DataModel, Keyed};

use super::WindowOperator;

/// How many elements one key has had.
pub(super) struct ElementCount<D: DataModel> {
    pub(super) key: Keyed<D::Key>,
    pub(super) count: i64,
}

/// The element counts of every key.
pub(super) type ElementCounts<D> = HashTable<ElementCount<D>>;

impl<D: DataModel> WindowOperator<D> {
    /// The 0-based index of the next element of `key`, counting it.
    pub(super) fn next_element_index(&mut self, key: &Keyed<D::Key>) -> i64 {
        let hash = key.hash;
        let eq = |c: &ElementCount<D>| c.key.hash == hash && D::key_eq(&c.key.key, &key.key);
        if let Some(c) = self.element_counts.find_mut(hash, eq) {
            let n = c.count;
            c.count += 1;
            return n;
        }
        let key = Keyed { key: D::duplicate_key(&key.key), hash };
        self.element_counts.insert_unique(hash, ElementCount { key, count: 1 }, |c| c.key.hash);
        0
    }
}
