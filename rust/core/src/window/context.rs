//! Where triggers keep their per-key, per-window state, and the [`TriggerContext`] the window
//! operator hands them (timers go to the operator's timer queues).

use hashbrown::HashTable;

use crate::data::{DataModel, Keyed};
use crate::error::BoxError;
use crate::state::{Namespace, TimerQueue};

use super::trigger::{StateMerge, TriggerContext, TriggerState};

struct Entry<D: DataModel> {
    hash: u64,
    key: D::Key,
    window: Namespace,
    values: Vec<(String, TriggerState<D>)>,
}

/// The trigger states of one key and window, by name.
pub type NamedStates<D> = [(String, TriggerState<D>)];

/// Trigger state of every key and window, by state name.
pub struct TriggerStates<D: DataModel> {
    table: HashTable<Entry<D>>,
}

impl<D: DataModel> Default for TriggerStates<D> {
    fn default() -> Self {
        TriggerStates { table: HashTable::new() }
    }
}

fn hash_of(key_hash: u64, window: &Namespace) -> u64 {
    key_hash ^ window.hash().rotate_left(7)
}

impl<D: DataModel> TriggerStates<D> {
    fn entry(&mut self, key: &Keyed<D::Key>, window: &Namespace) -> Option<&mut Entry<D>> {
        let hash = hash_of(key.hash, window);
        self.table.find_mut(hash, |e| e.hash == hash && e.window == *window && D::key_eq(&e.key, &key.key))
    }

    pub fn get(&mut self, key: &Keyed<D::Key>, window: &Namespace, name: &str) -> Option<&mut TriggerState<D>> {
        self.entry(key, window)?.values.iter_mut().find(|(n, _)| n == name).map(|(_, v)| v)
    }

    pub fn set(&mut self, key: &Keyed<D::Key>, window: &Namespace, name: &str, value: TriggerState<D>) {
        let entry = match self.entry(key, window) {
            Some(e) => e,
            None => {
                let hash = hash_of(key.hash, window);
                let e = Entry { hash, key: D::duplicate_key(&key.key), window: *window, values: Vec::new() };
                self.table.insert_unique(hash, e, |e| e.hash).into_mut()
            }
        };
        match entry.values.iter_mut().find(|(n, _)| n == name) {
            Some((_, v)) => *v = value,
            None => entry.values.push((name.to_string(), value)),
        }
    }

    pub fn remove(&mut self, key: &Keyed<D::Key>, window: &Namespace, name: &str) -> Option<TriggerState<D>> {
        let entry = self.entry(key, window)?;
        let i = entry.values.iter().position(|(n, _)| n == name)?;
        let (_, value) = entry.values.swap_remove(i);
        if entry.values.is_empty() {
            self.remove_window(key, window);
        }
        Some(value)
    }

    /// Drops every state of `key` in `window`.
    pub fn remove_window(&mut self, key: &Keyed<D::Key>, window: &Namespace) {
        // Every window that ends comes here; with the built-in time triggers there is no state.
        if self.table.is_empty() {
            return;
        }
        let hash = hash_of(key.hash, window);
        if let Ok(e) = self.table.find_entry(hash, |e| e.hash == hash && e.window == *window && D::key_eq(&e.key, &key.key)) {
            e.remove();
        }
    }

    /// Every (key, window) with state and its named values, for a checkpoint.
    pub fn iter(&self) -> impl Iterator<Item = (&D::Key, &Namespace, &NamedStates<D>)> + '_ {
        self.table.iter().map(|e| (&e.key, &e.window, e.values.as_slice()))
    }

    /// Number of (key, window) pairs with state.
    pub fn len(&self) -> usize {
        self.table.len()
    }

    pub fn is_empty(&self) -> bool {
        self.table.is_empty()
    }
}

/// The operator's timers: event time (fired by watermarks) and processing time (by the clock).
pub struct WindowTimers<D: DataModel> {
    pub event_time: TimerQueue<D>,
    pub processing_time: TimerQueue<D>,
}

impl<D: DataModel> Default for WindowTimers<D> {
    fn default() -> Self {
        WindowTimers { event_time: TimerQueue::default(), processing_time: TimerQueue::default() }
    }
}

/// The context of one trigger call: a key, a window, the current times, and the operator's timers
/// and trigger state.
pub struct WindowTriggerContext<'a, D: DataModel> {
    pub key: &'a Keyed<D::Key>,
    pub window: Namespace,
    pub watermark: i64,
    pub processing_time: i64,
    pub timers: &'a mut WindowTimers<D>,
    pub states: &'a mut TriggerStates<D>,
    /// The windows merged into `window` (only during `on_merge`).
    pub merged: &'a [Namespace],
    /// In `on_element`: the element created the window's contents.
    pub new_window: bool,
}

impl<D: DataModel> TriggerContext<D> for WindowTriggerContext<'_, D> {
    fn is_new_window(&self) -> bool {
        self.new_window
    }

    fn key(&self) -> &D::Key {
        &self.key.key
    }

    fn window(&self) -> Namespace {
        self.window
    }

    fn current_watermark(&self) -> i64 {
        self.watermark
    }

    fn current_processing_time(&self) -> i64 {
        self.processing_time
    }

    fn register_event_time_timer(&mut self, time: i64) {
        self.timers.event_time.register(self.key, self.window, time);
    }

    fn delete_event_time_timer(&mut self, time: i64) {
        self.timers.event_time.delete(self.key, &self.window, time);
    }

    fn register_processing_time_timer(&mut self, time: i64) {
        self.timers.processing_time.register(self.key, self.window, time);
    }

    fn delete_processing_time_timer(&mut self, time: i64) {
        self.timers.processing_time.delete(self.key, &self.window, time);
    }

    fn state(&mut self, name: &str) -> Option<&mut TriggerState<D>> {
        self.states.get(self.key, &self.window, name)
    }

    fn set_state(&mut self, name: &str, value: TriggerState<D>) {
        self.states.set(self.key, &self.window, name, value);
    }

    fn clear_state(&mut self, name: &str) -> Option<TriggerState<D>> {
        self.states.remove(self.key, &self.window, name)
    }

    fn merged_windows(&self) -> &[Namespace] {
        self.merged
    }

    fn merge_state(&mut self, name: &str, merge: &mut StateMerge<'_, D>) -> Result<(), BoxError> {
        let mut merged = self.states.remove(self.key, &self.window, name);
        for window in self.merged {
            if let Some(value) = self.states.remove(self.key, window, name) {
                merged = Some(match merged {
                    None => value,
                    Some(acc) => merge(acc, value)?,
                });
            }
        }
        if let Some(value) = merged {
            self.states.set(self.key, &self.window, name, value);
        }
        Ok(())
    }
}
