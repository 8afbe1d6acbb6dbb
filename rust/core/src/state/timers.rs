//! Timers per key and namespace, fired in timestamp order (event time by watermark, processing
//! time by the clock). Registering the same timer twice keeps one.

use std::collections::BTreeMap;

use hashbrown::HashTable;

use super::Namespace;
use crate::data::{DataModel, Keyed};

pub struct Timer<D: DataModel> {
    pub timestamp: i64,
    pub key: Keyed<D::Key>,
    pub namespace: Namespace,
}

struct Indexed {
    hash: u64,
    timestamp: i64,
    seq: u64,
}

pub struct TimerQueue<D: DataModel> {
    /// Ordered by (timestamp, registration order).
    by_time: BTreeMap<(i64, u64), Timer<D>>,
    index: HashTable<Indexed>,
    next_seq: u64,
}

impl<D: DataModel> Default for TimerQueue<D> {
    fn default() -> Self {
        TimerQueue { by_time: BTreeMap::new(), index: HashTable::new(), next_seq: 0 }
    }
}

fn timer_hash(key_hash: u64, namespace: &Namespace, timestamp: i64) -> u64 {
    key_hash ^ namespace.hash() ^ (timestamp as u64).wrapping_mul(0x9e37_79b9_7f4a_7c15)
}

impl<D: DataModel> TimerQueue<D> {
    fn position(&self, key: &Keyed<D::Key>, namespace: &Namespace, timestamp: i64) -> Option<u64> {
        let hash = timer_hash(key.hash, namespace, timestamp);
        let by_time = &self.by_time;
        self.index
            .find(hash, |ix| {
                ix.hash == hash
                    && ix.timestamp == timestamp
                    && by_time
                        .get(&(ix.timestamp, ix.seq))
                        .is_some_and(|t| t.namespace == *namespace && D::key_eq(&t.key.key, &key.key))
            })
            .map(|ix| ix.seq)
    }

    pub fn register(&mut self, key: &Keyed<D::Key>, namespace: Namespace, timestamp: i64) {
        if self.position(key, &namespace, timestamp).is_some() {
            return;
        }
        let seq = self.next_seq;
        self.next_seq += 1;
        let hash = timer_hash(key.hash, &namespace, timestamp);
        let key = Keyed { key: D::duplicate_key(&key.key), hash: key.hash };
        self.by_time.insert((timestamp, seq), Timer { timestamp, key, namespace });
        self.index.insert_unique(hash, Indexed { hash, timestamp, seq }, |ix| ix.hash);
    }

    pub fn delete(&mut self, key: &Keyed<D::Key>, namespace: &Namespace, timestamp: i64) {
        if let Some(seq) = self.position(key, namespace, timestamp) {
            self.by_time.remove(&(timestamp, seq));
            let hash = timer_hash(key.hash, namespace, timestamp);
            if let Ok(entry) = self.index.find_entry(hash, |ix| ix.seq == seq) {
                entry.remove();
            }
        }
    }

    /// Removes and returns the earliest timer due at `time` (timestamp <= time).
    pub fn pop_due(&mut self, time: i64) -> Option<Timer<D>> {
        let (&(timestamp, seq), _) = self.by_time.first_key_value()?;
        if timestamp > time {
            return None;
        }
        let timer = self.by_time.remove(&(timestamp, seq))?;
        let hash = timer_hash(timer.key.hash, &timer.namespace, timestamp);
        if let Ok(entry) = self.index.find_entry(hash, |ix| ix.seq == seq) {
            entry.remove();
        }
        Some(timer)
    }

    pub fn next_timestamp(&self) -> Option<i64> {
        self.by_time.first_key_value().map(|(&(t, _), _)| t)
    }

    pub fn len(&self) -> usize {
        self.by_time.len()
    }

    pub fn is_empty(&self) -> bool {
        self.by_time.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_support::Ints;

    fn k(v: i64) -> Keyed<i64> {
        Keyed { key: v, hash: v as u64 }
    }

    #[test]
    fn timers_fire_in_time_order_once_and_can_be_deleted() {
        let mut q = TimerQueue::<Ints>::default();
        q.register(&k(1), Namespace::Void, 30);
        q.register(&k(2), Namespace::Void, 10);
        q.register(&k(1), Namespace::Void, 30); // duplicate
        q.register(&k(1), Namespace::Window { start: 0, end: 30 }, 29);
        q.register(&k(3), Namespace::Void, 20);
        q.delete(&k(3), &Namespace::Void, 20);
        assert_eq!(q.len(), 3);
        assert_eq!(q.next_timestamp(), Some(10));
        assert!(q.pop_due(9).is_none());
        let fired: Vec<(i64, i64)> = std::iter::from_fn(|| q.pop_due(100)).map(|t| (t.timestamp, t.key.key)).collect();
        assert_eq!(fired, vec![(10, 2), (29, 1), (30, 1)]);
        assert!(q.is_empty());
    }
}
