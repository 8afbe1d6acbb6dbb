//! Timers per key and namespace, fired in timestamp order (event time by watermark, processing
//! time by the clock). Registering the same timer twice keeps one.

use std::cmp::Reverse;
use std::collections::BinaryHeap;

use hashbrown::HashTable;

use super::Namespace;
use crate::data::{DataModel, Keyed};

pub struct Timer<D: DataModel> {
    pub timestamp: i64,
    pub key: Keyed<D::Key>,
    pub namespace: Namespace,
}

struct Entry<D: DataModel> {
    hash: u64,
    seq: u64,
    timer: Timer<D>,
}

/// Registered timers: a hash table finds a timer by (key, namespace, time) for de-duplication
/// and deletion; a min-heap of (time, registration order) gives the firing order. Deleted timers
/// leave their heap entry behind, skipped when it comes up.
pub struct TimerQueue<D: DataModel> {
    timers: HashTable<Entry<D>>,
    /// `(timestamp, seq, hash)` of every registered timer, earliest first.
    order: BinaryHeap<Reverse<(i64, u64, u64)>>,
    next_seq: u64,
}

impl<D: DataModel> Default for TimerQueue<D> {
    fn default() -> Self {
        TimerQueue { timers: HashTable::new(), order: BinaryHeap::new(), next_seq: 0 }
    }
}

fn timer_hash(key_hash: u64, namespace: &Namespace, timestamp: i64) -> u64 {
    key_hash ^ namespace.hash() ^ (timestamp as u64).wrapping_mul(0x9e37_79b9_7f4a_7c15)
}

impl<D: DataModel> TimerQueue<D> {
    pub fn register(&mut self, key: &Keyed<D::Key>, namespace: Namespace, timestamp: i64) {
        let hash = timer_hash(key.hash, &namespace, timestamp);
        let same = |e: &Entry<D>| {
            e.hash == hash && e.timer.timestamp == timestamp && e.timer.namespace == namespace && D::key_eq(&e.timer.key.key, &key.key)
        };
        if self.timers.find(hash, same).is_some() {
            return;
        }
        let seq = self.next_seq;
        self.next_seq += 1;
        let key = Keyed { key: D::duplicate_key(&key.key), hash: key.hash };
        self.timers.insert_unique(hash, Entry { hash, seq, timer: Timer { timestamp, key, namespace } }, |e| e.hash);
        self.order.push(Reverse((timestamp, seq, hash)));
    }

    pub fn delete(&mut self, key: &Keyed<D::Key>, namespace: &Namespace, timestamp: i64) {
        let hash = timer_hash(key.hash, namespace, timestamp);
        let found = self.timers.find_entry(hash, |e| {
            e.hash == hash && e.timer.timestamp == timestamp && e.timer.namespace == *namespace && D::key_eq(&e.timer.key.key, &key.key)
        });
        if let Ok(entry) = found {
            entry.remove();
        }
    }

    /// Removes and returns the earliest timer due at `time` (timestamp <= time).
    pub fn pop_due(&mut self, time: i64) -> Option<Timer<D>> {
        while let Some(&Reverse((timestamp, seq, hash))) = self.order.peek() {
            if timestamp > time {
                return None;
            }
            self.order.pop();
            if let Ok(entry) = self.timers.find_entry(hash, |e| e.seq == seq) {
                return Some(entry.remove().0.timer);
            }
        }
        None
    }

    pub fn next_timestamp(&mut self) -> Option<i64> {
        // Drop heap entries of deleted timers first.
        while let Some(&Reverse((timestamp, seq, hash))) = self.order.peek() {
            if self.timers.find(hash, |e| e.seq == seq).is_some() {
                return Some(timestamp);
            }
            self.order.pop();
        }
        None
    }

    pub fn len(&self) -> usize {
        self.timers.len()
    }

    /// Hands every timer to `emit` as (key, encoded namespace and time), in firing order.
    pub fn snapshot_into(&self, mut emit: impl FnMut(&D::Key, Vec<u8>) -> Result<(), crate::error::BoxError>) -> Result<(), crate::error::BoxError> {
        let mut timers: Vec<&Entry<D>> = self.timers.iter().collect();
        timers.sort_by_key(|e| (e.timer.timestamp, e.seq));
        for e in timers {
            emit(&e.timer.key.key, crate::checkpoint::snapshot::encode(&(e.timer.namespace, e.timer.timestamp))?)?;
        }
        Ok(())
    }

    /// Registers a timer [`TimerQueue::snapshot_into`] encoded.
    pub fn restore_entry(&mut self, key: &Keyed<D::Key>, body: &[u8]) -> Result<(), crate::error::BoxError> {
        let (namespace, timestamp): (Namespace, i64) = crate::checkpoint::snapshot::decode(body, "timer")?;
        self.register(key, namespace, timestamp);
        Ok(())
    }

    pub fn is_empty(&self) -> bool {
        self.timers.is_empty()
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
