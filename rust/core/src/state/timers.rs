//! Timers per key and namespace, fired in timestamp order (event time by watermark, processing
//! time by the clock). Registering the same timer twice keeps one.
//!
//! Timers of the same timestamp fire in the order Flink's heap timer service
//! (`HeapPriorityQueueSet`) gives them: a binary min-heap compared on the timestamp alone, so
//! ties come out in an order fixed by the sequence of registrations, deletions and polls, not
//! first-in first-out. The heap below repeats Flink's sift-up/sift-down step for step, so programs
//! print their same-timestamp results in the order PyFlink prints them.

use hashbrown::HashTable;

use super::Namespace;
use crate::data::{DataModel, Keyed};

pub struct Timer<D: DataModel> {
    pub timestamp: i64,
    pub key: Keyed<D::Key>,
    pub namespace: Namespace,
}

struct Slot<D: DataModel> {
    hash: u64,
    timer: Timer<D>,
}

/// Registered timers: `slots` holds them, a hash table finds a slot by (key, namespace, time)
/// for de-duplication and deletion, and `heap` orders the slots for firing.
///
/// Sifting touches only `heap` and `positions`, both compact (16 and 4 bytes per timer): a
/// firing window's timer moves ~log2(n) entries, and while the wider slots were updated in
/// place every move was a likely cache miss (the stream's records evict them between firings).
pub struct TimerQueue<D: DataModel> {
    slots: Vec<Option<Slot<D>>>,
    /// Where each slot's timer is in `heap` (meaningless for free slots).
    positions: Vec<u32>,
    free: Vec<usize>,
    index: HashTable<usize>,
    /// Slot numbers in heap order; `heap[0]` is the earliest timer.
    /// `(timestamp, slot)`: comparisons read the timestamp without following the slot.
    heap: Vec<(i64, usize)>,
}

impl<D: DataModel> Default for TimerQueue<D> {
    fn default() -> Self {
        TimerQueue { slots: Vec::new(), positions: Vec::new(), free: Vec::new(), index: HashTable::new(), heap: Vec::new() }
    }
}

fn timer_hash(key_hash: u64, namespace: &Namespace, timestamp: i64) -> u64 {
    key_hash ^ namespace.hash() ^ (timestamp as u64).wrapping_mul(0x9e37_79b9_7f4a_7c15)
}

/// A hint to the CPU to load `value`'s cache line (nothing where there is no such hint).
#[inline(always)]
fn prefetch<T>(value: &T) {
    #[cfg(target_arch = "x86_64")]
    // SAFETY: a prefetch only hints; the pointer comes from a reference.
    unsafe {
        std::arch::x86_64::_mm_prefetch::<{ std::arch::x86_64::_MM_HINT_T0 }>(value as *const T as *const i8)
    }
    #[cfg(not(target_arch = "x86_64"))]
    let _ = value;
}

impl<D: DataModel> TimerQueue<D> {
    fn slot(&self, slot: usize) -> &Slot<D> {
        self.slots[slot].as_ref().expect("a live timer slot")
    }

    fn timestamp_at(&self, position: usize) -> i64 {
        self.heap[position].0
    }

    fn find(&self, key: &Keyed<D::Key>, namespace: &Namespace, timestamp: i64) -> Option<usize> {
        let hash = timer_hash(key.hash, namespace, timestamp);
        let slots = &self.slots;
        self.index
            .find(hash, |&s| {
                let e = slots[s].as_ref().expect("indexed slots are live");
                e.hash == hash && e.timer.timestamp == timestamp && e.timer.namespace == *namespace && D::key_eq(&e.timer.key.key, &key.key)
            })
            .copied()
    }

    pub fn register(&mut self, key: &Keyed<D::Key>, namespace: Namespace, timestamp: i64) {
        if self.find(key, &namespace, timestamp).is_some() {
            return;
        }
        let hash = timer_hash(key.hash, &namespace, timestamp);
        let key = Keyed { key: D::duplicate_key(&key.key), hash: key.hash };
        let position = self.heap.len();
        let entry = Slot { hash, timer: Timer { timestamp, key, namespace } };
        let slot = match self.free.pop() {
            Some(s) => {
                self.slots[s] = Some(entry);
                s
            }
            None => {
                self.slots.push(Some(entry));
                self.positions.push(0);
                self.slots.len() - 1
            }
        };
        self.positions[slot] = position as u32;
        let slots = &self.slots;
        self.index.insert_unique(hash, slot, |&s| slots[s].as_ref().expect("indexed slots are live").hash);
        self.heap.push((timestamp, slot));
        self.sift_up(position);
    }

    pub fn delete(&mut self, key: &Keyed<D::Key>, namespace: &Namespace, timestamp: i64) {
        if let Some(slot) = self.find(key, namespace, timestamp) {
            let position = self.positions[slot] as usize;
            self.remove_at(position);
        }
    }

    /// Removes and returns the earliest timer due at `time` (timestamp <= time).
    pub fn pop_due(&mut self, time: i64) -> Option<Timer<D>> {
        match self.next_timestamp() {
            Some(t) if t <= time => {
                let timer = self.remove_at(0);
                // Due timers are popped in bursts (a watermark passing a window's end fires it for
                // every key): start loading the next one's slot while this one fires.
                if let Some(&(t, slot)) = self.heap.first() {
                    if t <= time {
                        prefetch(&self.slots[slot]);
                    }
                }
                Some(timer)
            }
            _ => None,
        }
    }

    pub fn next_timestamp(&self) -> Option<i64> {
        (!self.heap.is_empty()).then(|| self.timestamp_at(0))
    }

    pub fn len(&self) -> usize {
        self.heap.len()
    }

    pub fn is_empty(&self) -> bool {
        self.heap.is_empty()
    }

    fn remove_at(&mut self, position: usize) -> Timer<D> {
        let slot = self.heap[position].1;
        let last = self.heap.pop().expect("a timer at the position");
        if position < self.heap.len() {
            // As Flink: the last element fills the hole, then moves down or up.
            self.place(last, position);
            self.sift_down(position);
            if self.heap[position] == last {
                self.sift_up(position);
            }
        }
        let entry = self.slots[slot].take().expect("a live timer slot");
        self.free.push(slot);
        let hash = entry.hash;
        if let Ok(found) = self.index.find_entry(hash, |&s| s == slot) {
            found.remove();
        }
        entry.timer
    }

    fn place(&mut self, entry: (i64, usize), position: usize) {
        self.heap[position] = entry;
        self.positions[entry.1] = position as u32;
    }

    /// Flink's `siftUp`: moves past parents with a strictly later timestamp.
    fn sift_up(&mut self, mut position: usize) {
        let slot = self.heap[position];
        let timestamp = slot.0;
        while position > 0 {
            let parent = (position - 1) / 2;
            if timestamp >= self.timestamp_at(parent) {
                break;
            }
            self.place(self.heap[parent], position);
            position = parent;
        }
        self.place(slot, position);
    }

    /// Flink's `siftDown`: follows the earlier child (the left one on ties) while it is strictly
    /// earlier.
    fn sift_down(&mut self, mut position: usize) {
        let slot = self.heap[position];
        let timestamp = slot.0;
        let len = self.heap.len();
        loop {
            let mut child = 2 * position + 1;
            if child >= len {
                break;
            }
            if child + 1 < len && self.timestamp_at(child + 1) < self.timestamp_at(child) {
                child += 1;
            }
            if self.timestamp_at(child) >= timestamp {
                break;
            }
            self.place(self.heap[child], position);
            position = child;
        }
        self.place(slot, position);
    }

    /// Hands every timer to `emit` as (key, encoded namespace and time), in heap order:
    /// registering them again in that order rebuilds the same heap.
    pub fn snapshot_into(&self, mut emit: impl FnMut(&D::Key, Vec<u8>) -> Result<(), crate::error::BoxError>) -> Result<(), crate::error::BoxError> {
        for timer in self.in_heap_order() {
            emit(&timer.key.key, crate::checkpoint::snapshot::encode(&(timer.namespace, timer.timestamp))?)?;
        }
        Ok(())
    }

    /// Every timer, in heap order (pushing them in this order onto an empty heap rebuilds it).
    pub fn in_heap_order(&self) -> impl Iterator<Item = &Timer<D>> + '_ {
        self.heap.iter().map(|&(_, slot)| &self.slot(slot).timer)
    }

    /// Registers a timer [`TimerQueue::snapshot_into`] encoded.
    pub fn restore_entry(&mut self, key: &Keyed<D::Key>, body: &[u8]) -> Result<(), crate::error::BoxError> {
        let (namespace, timestamp): (Namespace, i64) = crate::checkpoint::snapshot::decode(body, "timer")?;
        self.register(key, namespace, timestamp);
        Ok(())
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

    #[test]
    fn ties_fire_in_the_order_of_flinks_heap() {
        // tumbling_reduce's registrations (key, window max timestamp), as PyFlink makes them; it
        // prints a's [1000, 2000) before b's, although b registered first.
        let mut q = TimerQueue::<Ints>::default();
        for (key, t) in [(1, 999), (2, 999), (2, 1999), (1, 1999), (2, 2999), (1, 3999), (2, 3999), (1, 2999)] {
            q.register(&k(key), Namespace::Void, t);
        }
        let fired: Vec<(i64, i64)> = std::iter::from_fn(|| q.pop_due(i64::MAX)).map(|t| (t.key.key, t.timestamp)).collect();
        assert_eq!(fired, vec![(1, 999), (2, 999), (1, 1999), (2, 1999), (2, 2999), (1, 2999), (1, 3999), (2, 3999)]);
    }

    #[test]
    fn a_snapshot_in_heap_order_restores_the_same_order() {
        let mut q = TimerQueue::<Ints>::default();
        for (key, t) in [(1, 5), (2, 5), (3, 1), (4, 5), (5, 3), (6, 5)] {
            q.register(&k(key), Namespace::Void, t);
        }
        q.delete(&k(5), &Namespace::Void, 3);
        let mut copy = TimerQueue::<Ints>::default();
        q.snapshot_into(|key, body| copy.restore_entry(&k(*key), &body)).unwrap();
        let drain = |q: &mut TimerQueue<Ints>| std::iter::from_fn(|| q.pop_due(i64::MAX)).map(|t| t.key.key).collect::<Vec<_>>();
        assert_eq!(drain(&mut copy), drain(&mut q));
    }
}
