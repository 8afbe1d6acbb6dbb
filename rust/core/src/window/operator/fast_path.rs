//! The window operator's fast path, for the common case: event-time tumbling or sliding windows
//! with the built-in [`EventTimeTrigger`](super::super::EventTimeTrigger), no evictor, contents
//! in memory (with or without allowed lateness, late side output or window function).
//!
//! Why: on the general path every element and every firing goes through several separate
//! tables (window contents keyed by (key, window) in the state store, the timer slots, the
//! timer index and the trigger call), each a likely cache miss, and a window is touched only a
//! couple of times before it fires. Here one entry per key holds the key's live windows in
//! start order, so an element costs one hash lookup on its key (a table of keys, not of
//! (key, window) pairs, and the key compared with one long-lived key object), and the timer
//! heap's entries name the key's entry, so firing goes from the heap straight to the window's
//! contents.
//!
//! What it does is exactly what the general path does with that trigger (see `on_timer`,
//! `register_cleanup_timer` and `EventTimeTrigger`): the same timers (one at the window's max
//! timestamp, one more at the end of its lateness if that differs), pushed and popped in the
//! same sequence on a heap sifted as `state::TimerQueue` sifts (Flink's order for equal
//! timestamps). No timer is ever deleted before it is due on this path (the trigger's `clear`
//! deletes a timer that already fired), so the heap needs no position index. Snapshots are
//! written in the general path's format, and restored state goes through the general
//! structures first and moves here at `open` (see `snapshot.rs` and [`WindowOperator::fast_path_on`]).

use std::collections::VecDeque;

use hashbrown::HashTable;

use crate::data::{DataModel, Keyed, Record, MAIN_OUTPUT};
use crate::error::{message, BoxError};
use crate::function::WindowContext;
use crate::operator::Output;
use crate::state::{Namespace, Slot};

use super::super::assigner::WindowAssigner;
use super::super::WindowFnState;
use super::{WindowContents, WindowOperator};

/// A window of one key: its start (the size is the assigner's), contents, and the processing
/// time they were created at (what the store would keep, for snapshots).
pub(super) struct FastWindow<D: DataModel> {
    start: i64,
    touched: i64,
    contents: Slot<D>,
}

/// A key and its live windows, by start. Watermarks come every so often (periodically, by
/// default every 200 ms of processing time), so a key may hold hundreds of windows between two;
/// elements mostly go to the latest ones and windows fire oldest first, so lookups for elements
/// search from the back and firings from the front, each usually one step.
struct KeyWindows<D: DataModel> {
    key: Keyed<D::Key>,
    windows: VecDeque<FastWindow<D>>,
}

/// Where a window is or would go in a key's windows.
enum Place {
    At(usize),
    Insert(usize),
}

impl<D: DataModel> KeyWindows<D> {
    fn place(&self, start: i64) -> Place {
        for (i, w) in self.windows.iter().enumerate().rev() {
            if w.start == start {
                return Place::At(i);
            }
            if w.start < start {
                return Place::Insert(i + 1);
            }
        }
        Place::Insert(0)
    }

    fn find_mut(&mut self, start: i64) -> Option<&mut FastWindow<D>> {
        match self.place(start) {
            Place::At(i) => Some(&mut self.windows[i]),
            Place::Insert(_) => None,
        }
    }

    /// Removes the window starting at `start`, looking from the oldest.
    fn remove(&mut self, start: i64) -> Option<FastWindow<D>> {
        if self.windows.front().is_some_and(|w| w.start == start) {
            return self.windows.pop_front();
        }
        let i = self.windows.iter().position(|w| w.start == start)?;
        self.windows.remove(i)
    }

    fn is_empty(&self) -> bool {
        self.windows.is_empty()
    }
}

/// A timer due `at` for a window of the key in `keys[slot]`: the window's trigger timer (at its
/// max timestamp, which is also its cleanup time without lateness), or with `cleanup_only` the
/// cleanup timer at the end of its allowed lateness. 16 bytes: the heap is sifted a lot.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Due {
    at: i64,
    slot: u32,
    cleanup_only: bool,
}

/// Fewer keys without windows than this are never swept (see [`FastWindows::sweep`]).
const SWEEP_MIN: usize = 4096;

pub(super) struct FastWindows<D: DataModel> {
    /// The windows' size (both assigners' windows are `[start, start + size)`).
    size: i64,
    /// Keys with windows, and keys whose windows all fired (kept for their next window).
    keys: Vec<KeyWindows<D>>,
    /// Finds a key's slot in `keys`.
    index: HashTable<u32>,
    /// Slots in `keys` without windows.
    empty: usize,
    /// Flink's binary min-heap on `at` (see `state::TimerQueue`).
    heap: Vec<Due>,
}

/// A hint to the CPU to load the cache line at `address` (nothing where there is no such hint).
/// Any address will do: a prefetch never faults and is never read from.
#[inline(always)]
fn prefetch<T>(address: *const T) {
    #[cfg(target_arch = "x86_64")]
    // SAFETY: a prefetch only hints; it dereferences nothing.
    unsafe {
        std::arch::x86_64::_mm_prefetch::<{ std::arch::x86_64::_MM_HINT_T0 }>(address as *const i8)
    }
    #[cfg(not(target_arch = "x86_64"))]
    let _ = address;
}

impl<D: DataModel> FastWindows<D> {
    fn new(size: i64) -> Self {
        FastWindows { size, keys: Vec::new(), index: HashTable::new(), empty: 0, heap: Vec::new() }
    }

    /// The slot of `key`, created if it has none.
    fn slot_of(&mut self, key: Keyed<D::Key>) -> u32 {
        let keys = &self.keys;
        let hash = key.hash;
        let found = self.index.find(hash, |&s| {
            let k = &keys[s as usize].key;
            k.hash == hash && D::key_eq(&k.key, &key.key)
        });
        if let Some(&slot) = found {
            return slot;
        }
        let slot = self.keys.len() as u32;
        self.keys.push(KeyWindows { key, windows: VecDeque::new() });
        // A new slot counts as empty until its first window goes in.
        self.empty += 1;
        let keys = &self.keys;
        self.index.insert_unique(hash, slot, |&s| keys[s as usize].key.hash);
        slot
    }

    /// Adds a window the key does not have, at `index` (see [`KeyWindows::place`]).
    fn insert(&mut self, slot: u32, index: usize, window: FastWindow<D>) {
        let entry = &mut self.keys[slot as usize];
        if entry.is_empty() {
            self.empty -= 1;
        }
        entry.windows.insert(index, window);
    }

    fn remove(&mut self, slot: u32, start: i64) -> Option<FastWindow<D>> {
        let entry = &mut self.keys[slot as usize];
        let window = entry.remove(start)?;
        if entry.is_empty() {
            self.empty += 1;
        }
        Some(window)
    }

    fn key(&self, slot: u32) -> Keyed<D::Key> {
        let k = &self.keys[slot as usize].key;
        Keyed { key: D::duplicate_key(&k.key), hash: k.hash }
    }

    /// Flink's `siftUp` after an add (`TimerQueue::register`).
    fn push(&mut self, due: Due) {
        let mut position = self.heap.len();
        self.heap.push(due);
        while position > 0 {
            let parent = (position - 1) / 2;
            if due.at >= self.heap[parent].at {
                break;
            }
            self.heap[position] = self.heap[parent];
            position = parent;
        }
        self.heap[position] = due;
    }

    /// Removes the earliest timer if it is due at `time` (`TimerQueue::pop_due`: the last entry
    /// fills the root and goes down by Flink's `siftDown`).
    fn pop_due(&mut self, time: i64) -> Option<Due> {
        let top = *self.heap.first().filter(|d| d.at <= time)?;
        let last = self.heap.pop().expect("a timer at the root");
        let len = self.heap.len();
        if len > 0 {
            let mut position = 0;
            loop {
                let mut child = 2 * position + 1;
                if child >= len {
                    break;
                }
                if child + 1 < len && self.heap[child + 1].at < self.heap[child].at {
                    child += 1;
                }
                if self.heap[child].at >= last.at {
                    break;
                }
                self.heap[position] = self.heap[child];
                position = child;
            }
            self.heap[position] = last;
            // Firings come in bursts (a watermark passing a window's end fires it for every
            // key): start loading the next one's window while this one fires. A key's oldest
            // window fires first, so that is its front one; the key entries themselves are few
            // and hot, the windows many and cold.
            let next = self.heap[0];
            if next.at <= time {
                if let Some(w) = self.keys[next.slot as usize].windows.front() {
                    prefetch(w as *const FastWindow<D>);
                }
            }
        }
        Some(top)
    }

    /// Drops keys without windows once they are many (at least [`SWEEP_MIN`] and half the
    /// slots), so a stream of ever new keys does not grow the table without bound, while a
    /// steady set of keys keeps its entries between windows (no removal and re-insertion per
    /// window). The survivors are renumbered and the heap follows.
    fn sweep(&mut self) {
        if self.empty < SWEEP_MIN || self.empty * 2 < self.keys.len() {
            return;
        }
        let mut renumbered = Vec::with_capacity(self.keys.len());
        let mut kept = 0u32;
        self.keys.retain(|k| {
            let keep = !k.is_empty();
            renumbered.push(if keep { kept } else { u32::MAX });
            kept += u32::from(keep);
            keep
        });
        for due in &mut self.heap {
            due.slot = renumbered[due.slot as usize];
            debug_assert!(due.slot != u32::MAX, "timers belong to keys with windows");
        }
        self.index.clear();
        let keys = &self.keys;
        for (slot, k) in keys.iter().enumerate() {
            self.index.insert_unique(k.key.hash, slot as u32, |&s| keys[s as usize].key.hash);
        }
        self.empty = 0;
    }

    pub(super) fn window_count(&self) -> usize {
        self.keys.iter().map(|k| k.windows.len()).sum()
    }

    #[cfg(test)]
    pub(super) fn key_slots(&self) -> usize {
        self.keys.len()
    }

    pub(super) fn timer_count(&self) -> usize {
        self.heap.len()
    }

    /// Every window as (key, window, contents, creation time), for a snapshot.
    pub(super) fn windows(&self) -> impl Iterator<Item = (&D::Key, Namespace, &Slot<D>, i64)> + '_ {
        let size = self.size;
        self.keys.iter().flat_map(move |k| {
            k.windows.iter().map(move |w| (&k.key.key, Namespace::Window { start: w.start, end: w.start + size }, &w.contents, w.touched))
        })
    }

    /// The start of `due`'s window.
    fn start_of(&self, due: &Due, lateness: i64) -> i64 {
        let max = if due.cleanup_only { due.at - lateness } else { due.at };
        max + 1 - self.size
    }

    /// Every timer as (key, window, time), in heap order (as `TimerQueue::in_heap_order`).
    pub(super) fn timers(&self, lateness: i64) -> impl Iterator<Item = (&D::Key, Namespace, i64)> + '_ {
        self.heap.iter().map(move |d| {
            let start = self.start_of(d, lateness);
            (&self.keys[d.slot as usize].key.key, Namespace::Window { start, end: start + self.size }, d.at)
        })
    }
}

/// What a firing window emits: its reduced value or aggregate result, or its elements.
enum Fired<D: DataModel> {
    One(D::Value),
    Many(Vec<D::Value>),
}

fn fired<D: DataModel>(contents: &mut WindowContents<D>, slot: Slot<D>) -> Result<Fired<D>, BoxError> {
    Ok(match (slot, contents) {
        (Slot::Value(v), WindowContents::Aggregate(f)) => Fired::One(f.get_result(&v)?),
        (Slot::Value(v), _) => Fired::One(v),
        (Slot::List(l), _) => Fired::Many(l),
        _ => return Err(message("window contents are a value or a list")),
    })
}

fn fired_copy<D: DataModel>(contents: &mut WindowContents<D>, slot: &Slot<D>) -> Result<Fired<D>, BoxError> {
    Ok(match (slot, contents) {
        (Slot::Value(v), WindowContents::Aggregate(f)) => Fired::One(f.get_result(v)?),
        (Slot::Value(v), _) => Fired::One(D::duplicate(v)),
        (Slot::List(l), _) => Fired::Many(l.iter().map(D::duplicate).collect()),
        _ => return Err(message("window contents are a value or a list")),
    })
}

/// New contents holding `value` (as `WindowOperator::add` makes them).
fn new_contents<D: DataModel>(contents: &mut WindowContents<D>, value: D::Value) -> Result<Slot<D>, BoxError> {
    Ok(match contents {
        WindowContents::Reduce(_) => Slot::Value(value),
        WindowContents::Aggregate(f) => {
            let acc = f.create_accumulator()?;
            Slot::Value(f.add(value, acc)?)
        }
        WindowContents::Buffer => Slot::List(vec![value]),
    })
}

fn add_to<D: DataModel>(contents: &mut WindowContents<D>, slot: &mut Slot<D>, value: D::Value) -> Result<(), BoxError> {
    match (contents, slot) {
        (WindowContents::Reduce(f), Slot::Value(acc)) => *acc = f.reduce(acc, value)?,
        (WindowContents::Aggregate(f), slot @ Slot::Value(_)) => {
            // `add` takes the accumulator by value; an empty list holds the place meanwhile.
            let Slot::Value(acc) = std::mem::replace(slot, Slot::List(Vec::new())) else { unreachable!() };
            *slot = Slot::Value(f.add(value, acc)?);
        }
        (WindowContents::Buffer, Slot::List(l)) => l.push(value),
        _ => return Err(message("window contents of another kind than the window keeps")),
    }
    Ok(())
}

impl<D: DataModel> WindowOperator<D> {
    /// The window size if the fast path can run this operator's configuration.
    fn fast_path_size(&self) -> Option<i64> {
        if !self.fast_path_allowed || self.evictor.is_some() || self.store.is_engine() || !self.trigger.is_plain_event_time() {
            return None;
        }
        match self.assigner {
            WindowAssigner::TumblingEventTime { size, .. } | WindowAssigner::SlidingEventTime { size, .. } => Some(size),
            _ => None,
        }
    }

    /// Whether the fast path runs this operator (decided in `open`).
    pub fn fast_path_on(&self) -> bool {
        self.fast.is_some()
    }

    /// Moves to the fast path if it applies (in `open`, after any restore): the restored windows
    /// and timers leave the general structures for it. State the fast path cannot hold (which
    /// this trigger and assigner never make: a timer at another time, a timer without contents,
    /// trigger state) keeps the operator on the general path.
    pub(super) fn enter_fast_path(&mut self) -> Result<(), BoxError> {
        let Some(size) = self.fast_path_size() else { return Ok(()) };
        if !self.fits_fast_path(size)? {
            return Ok(());
        }
        let mut fast = self.fast.take().unwrap_or_else(|| FastWindows::new(size));
        let mut moved = Vec::new();
        self.store.take_state(self.contents_state, |key, window, contents, touched| moved.push((key, window, contents, touched)))?;
        for (key, window, contents, touched) in moved {
            let Namespace::Window { start, .. } = window else { unreachable!("checked by fits_fast_path") };
            let slot = fast.slot_of(key);
            match fast.keys[slot as usize].place(start) {
                Place::Insert(i) => fast.insert(slot, i, FastWindow { start, touched, contents }),
                Place::At(_) => return Err(message("restored window contents the window has already")),
            }
        }
        // Pushed in heap order, the timers rebuild the same heap (as a restore registers them).
        let timers = std::mem::take(&mut self.timers.event_time);
        for timer in timers.in_heap_order() {
            let slot = fast.slot_of(Keyed { key: D::duplicate_key(&timer.key.key), hash: timer.key.hash });
            let cleanup_only = timer.timestamp != super::super::assigner::max_timestamp(&timer.namespace);
            fast.push(Due { at: timer.timestamp, slot, cleanup_only });
        }
        self.fast = Some(fast);
        Ok(())
    }

    fn fits_fast_path(&mut self, size: i64) -> Result<bool, BoxError> {
        if !self.timers.processing_time.is_empty() || !self.trigger_states.is_empty() {
            return Ok(false);
        }
        let sized = |w: &Namespace| matches!(*w, Namespace::Window { start, end } if end.checked_sub(start) == Some(size));
        let (state, list) = (self.contents_state, self.uses_list());
        let mut fits = true;
        self.store.for_each_entry(|_, _, s, window, slot| {
            if s == state {
                fits &= sized(window) && list == matches!(slot, crate::state::SlotRef::List(_));
            }
            Ok(())
        })?;
        for timer in self.timers.event_time.in_heap_order() {
            let w = &timer.namespace;
            let max = super::super::assigner::max_timestamp(w);
            fits = fits
                && sized(w)
                && (timer.timestamp == max || timer.timestamp == self.cleanup_time(w))
                && self.store.get(&timer.key, state, w)?.is_some();
        }
        Ok(fits)
    }

    /// `process_record` on the fast path.
    pub(super) fn process_fast(&mut self, record: Record<D>, now: i64, out: &mut Output<D>) -> Result<(), BoxError> {
        let Some(key) = record.key else {
            return Err(message("a window needs a keyed stream: the record carries no key"));
        };
        let timestamp = record.timestamp;
        let mut windows = std::mem::take(&mut self.window_buf);
        self.assigner.assign_into(timestamp, now, None, &mut windows)?;
        let (lateness, watermark) = (self.lateness(), self.watermark);
        let mut key = Some(key);
        let mut slot = None;
        let mut value = Some(record.value);
        let last = windows.len().saturating_sub(1);
        for (i, &window) in windows.iter().enumerate() {
            let Namespace::Window { start, end } = window else { unreachable!("time windows") };
            let max = end - 1;
            let cleanup = max.checked_add(lateness).unwrap_or(i64::MAX);
            if cleanup <= watermark {
                continue; // a late window
            }
            let element = match value.as_ref() {
                Some(v) if i != last => D::duplicate(v),
                _ => value.take().expect("only the last window takes the element"),
            };
            let fast = self.fast.as_mut().expect("on the fast path");
            let slot = *slot.get_or_insert_with(|| fast.slot_of(key.take().expect("one lookup per record")));
            let entry = &mut fast.keys[slot as usize];
            let created = match entry.place(start) {
                Place::At(i) => {
                    add_to(&mut self.contents, &mut entry.windows[i].contents, element)?;
                    false
                }
                Place::Insert(i) => {
                    let contents = new_contents(&mut self.contents, element)?;
                    fast.insert(slot, i, FastWindow { start, touched: now, contents });
                    true
                }
            };
            // EventTimeTrigger.on_element, then the cleanup timer (the same as the trigger's
            // without lateness: the general path's queue keeps one of the two).
            if created {
                if max > watermark {
                    fast.push(Due { at: max, slot, cleanup_only: false });
                }
                if cleanup != i64::MAX && cleanup != max {
                    fast.push(Due { at: cleanup, slot, cleanup_only: true });
                }
            }
            if max <= watermark {
                // Within the allowed lateness: the trigger fires the window at once.
                let w = fast.keys[slot as usize].find_mut(start).expect("just added to");
                let values = fired_copy(&mut self.contents, &w.contents)?;
                let key = fast.key(slot);
                self.emit_fast(&key, window, values, now, out)?;
            }
        }
        self.window_buf = windows;
        // Every window was late (the key was never looked up).
        if let Some(key) = key {
            if self.is_element_late(timestamp) {
                self.drop_late(key, value.expect("no window took it"), timestamp, out);
            }
        }
        Ok(())
    }

    /// Fires the fast path's timers due at the watermark (`on_timer` with `EventTimeTrigger`).
    pub(super) fn fire_fast(&mut self, now: i64, out: &mut Output<D>) -> Result<(), BoxError> {
        let lateness = self.lateness();
        loop {
            let fast = self.fast.as_mut().expect("on the fast path");
            let Some(due) = fast.pop_due(self.watermark) else { break };
            let start = fast.start_of(&due, lateness);
            let window = Namespace::Window { start, end: start + fast.size };
            let fire = !due.cleanup_only;
            let cleanup = due.cleanup_only || lateness == 0;
            let key = fast.key(due.slot);
            if cleanup {
                let w = fast.remove(due.slot, start).expect("a timer's window lives until its cleanup");
                if fire {
                    let values = fired(&mut self.contents, w.contents)?;
                    self.emit_fast(&key, window, values, now, out)?;
                }
                // clear_all_state: the trigger's timer fired already and it keeps no state.
                if let Some(f) = &mut self.window_fn {
                    let state = WindowFnState::new(&mut self.store, &key, window, false, self.clock.as_ref());
                    let mut ctx = WindowContext { key: &key.key, window, current_watermark: self.watermark, current_processing_time: now, state };
                    f.clear(&mut ctx)?;
                }
            } else if fire {
                let w = fast.keys[due.slot as usize].find_mut(start).expect("a timer's window lives until its cleanup");
                let values = fired_copy(&mut self.contents, &w.contents)?;
                self.emit_fast(&key, window, values, now, out)?;
            }
        }
        self.fast.as_mut().expect("on the fast path").sweep();
        Ok(())
    }

    /// The end of `emit` on the fast path.
    fn emit_fast(&mut self, key: &Keyed<D::Key>, window: Namespace, values: Fired<D>, now: i64, out: &mut Output<D>) -> Result<(), BoxError> {
        let timestamp = Some(window_max(window));
        let mut push = |value| {
            out.push(Record { value, timestamp, key: Some(Keyed { key: D::duplicate_key(&key.key), hash: key.hash }), output: MAIN_OUTPUT })
        };
        match (values, &mut self.window_fn) {
            (Fired::Many(v), _) if v.is_empty() => {}
            (Fired::One(v), None) => push(v),
            (Fired::Many(v), None) => v.into_iter().for_each(push),
            (values, Some(f)) => {
                let values = match values {
                    Fired::One(v) => vec![v],
                    Fired::Many(v) => v,
                };
                let state = WindowFnState::new(&mut self.store, key, window, false, self.clock.as_ref());
                let mut ctx = WindowContext { key: &key.key, window, current_watermark: self.watermark, current_processing_time: now, state };
                f.process(&mut ctx, values, &mut push)?;
            }
        }
        Ok(())
    }
}

fn window_max(window: Namespace) -> i64 {
    super::super::assigner::max_timestamp(&window)
}
