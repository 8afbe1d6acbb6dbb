//! Checkpoints of the window operator. Everything it keeps belongs to one key, so everything is
//! written as keyed entries, tagged by kind, and follows its key to whichever subtask owns the
//! key at the restored parallelism: window contents, event- and processing-time timers (trigger
//! and cleanup timers alike), trigger state, session sets and element counts.
//!
//! The watermark is not written (as Flink): it restarts at the minimum, and restored timers fire
//! when it passes them again.

use serde::{Deserialize, Serialize};

use crate::checkpoint::snapshot::{decode, decode_value, encode, encode_value, tagged, untag, RestoredState, SnapshotWriter};
use crate::data::{DataModel, Keyed};
use crate::error::{message, BoxError};
use crate::state::{Namespace, SlotRef, StateId};

use super::super::merging::MergingWindowSet;
use super::super::trigger::TriggerState;
use super::counts::ElementCount;
use super::sessions::Sessions;
use super::super::USER_STATE_PREFIX;
use super::WindowOperator;

/// Entry tags. Part of the snapshot format: never renumber.
const CONTENTS: u8 = 0;
const EVENT_TIMER: u8 = 1;
const PROCESSING_TIMER: u8 = 2;
const TRIGGER_STATE: u8 = 3;
const SESSIONS: u8 = 4;
const ELEMENT_COUNT: u8 = 5;

/// A [`TriggerState`], with data-model values encoded.
#[derive(Serialize, Deserialize)]
enum TriggerStateSnapshot {
    Long(i64),
    Value(Vec<u8>),
    List(Vec<Vec<u8>>),
}

/// The trigger state of one key in one window, by state name.
#[derive(Serialize, Deserialize)]
struct TriggerSnapshot {
    window: Namespace,
    states: Vec<(String, TriggerStateSnapshot)>,
}

impl<D: DataModel> WindowOperator<D> {
    /// Writes every piece of state as keyed entries.
    pub(super) fn write_snapshot(&mut self, w: &mut SnapshotWriter<'_, D>) -> Result<(), BoxError> {
        // The window function's own states are store entries too (`USER_STATE_PREFIX`).
        self.store.snapshot_into(self.clock.now(), |key, body| {
            w.keyed_encoded(key, tagged(CONTENTS, body));
            Ok(())
        })?;
        // The fast path keeps windows and timers itself; they are written as the general path
        // writes them (a snapshot restores into either path).
        if let Some(fast) = &self.fast {
            let now = self.clock.now();
            for (key, window, contents, touched) in fast.windows() {
                if let Some(body) = self.store.encode_entry(self.contents_state, window, contents, touched, now)? {
                    w.keyed(key, tagged(CONTENTS, body))?;
                }
            }
            for (key, window, time) in fast.timers(self.lateness()) {
                w.keyed(key, tagged(EVENT_TIMER, encode(&(window, time))?))?;
            }
        }
        // Timers come out in firing order and are registered back in it, so timers due at the
        // same time still fire in the order they were registered.
        self.timers.event_time.snapshot_into(|key, body| w.keyed(key, tagged(EVENT_TIMER, body)))?;
        self.timers.processing_time.snapshot_into(|key, body| w.keyed(key, tagged(PROCESSING_TIMER, body)))?;
        for (key, window, values) in self.trigger_states.iter() {
            let mut states = Vec::with_capacity(values.len());
            for (name, value) in values {
                let value = match value {
                    TriggerState::Long(v) => TriggerStateSnapshot::Long(*v),
                    TriggerState::Value(v) => TriggerStateSnapshot::Value(encode_value::<D>(v)?),
                    TriggerState::List(l) => TriggerStateSnapshot::List(l.iter().map(encode_value::<D>).collect::<Result<_, _>>()?),
                };
                states.push((name.clone(), value));
            }
            w.keyed(key, tagged(TRIGGER_STATE, encode(&TriggerSnapshot { window: *window, states })?))?;
        }
        for Sessions { key, set } in self.sessions.iter() {
            if set.is_empty() {
                continue;
            }
            let windows: Vec<(i64, i64)> = set.windows().filter_map(|w| super::super::assigner::bounds(&w)).collect();
            w.keyed(&key.key, tagged(SESSIONS, encode(&windows)?))?;
        }
        for ElementCount { key, count } in self.element_counts.iter() {
            w.keyed(&key.key, tagged(ELEMENT_COUNT, encode(count)?))?;
        }
        Ok(())
    }

    /// Puts back this instance's share of a snapshot (before `open`), then checks it fits this
    /// operator: a snapshot of another window (or a corrupt one) is refused, not half-used.
    pub(super) fn restore_snapshot(&mut self, state: RestoredState<D>) -> Result<(), BoxError> {
        if !state.list.is_empty() || state.broadcast.is_some() {
            return Err(message("corrupt window snapshot: a window operator keeps keyed state only"));
        }
        // (key, window) of restored trigger state, checked against the sessions once all are in.
        let mut trigger_windows = Vec::new();
        for (key, payload) in &state.keyed {
            let (tag, body) = untag(payload)?;
            match tag {
                CONTENTS => self.store.restore_entry(key, body)?,
                EVENT_TIMER => self.timers.event_time.restore_entry(key, body)?,
                PROCESSING_TIMER => self.timers.processing_time.restore_entry(key, body)?,
                TRIGGER_STATE => {
                    let snapshot: TriggerSnapshot = decode(body, "window trigger state")?;
                    for (name, value) in snapshot.states {
                        let value = match value {
                            TriggerStateSnapshot::Long(v) => TriggerState::Long(v),
                            TriggerStateSnapshot::Value(v) => TriggerState::Value(decode_value::<D>(&v)?),
                            TriggerStateSnapshot::List(l) => {
                                TriggerState::List(l.iter().map(|v| decode_value::<D>(v)).collect::<Result<_, _>>()?)
                            }
                        };
                        self.trigger_states.set(key, &snapshot.window, &name, value);
                    }
                    trigger_windows.push((Keyed { key: D::duplicate_key(&key.key), hash: key.hash }, snapshot.window));
                }
                SESSIONS => self.restore_sessions(key, body)?,
                ELEMENT_COUNT => self.restore_element_count(key, body)?,
                other => return Err(message(format!("corrupt window snapshot: unknown entry kind {other}"))),
            }
        }
        self.check_restored(&trigger_windows)
    }

    fn restore_sessions(&mut self, key: &Keyed<D::Key>, body: &[u8]) -> Result<(), BoxError> {
        if !self.assigner.is_merging() {
            return Err(message("the window snapshot holds session windows, but this window does not merge"));
        }
        let windows: Vec<(i64, i64)> = decode(body, "session windows")?;
        let restored = MergingWindowSet::from_windows(windows)
            .ok_or_else(|| message("corrupt window snapshot: session windows that overlap or are empty"))?;
        let set = self.sessions_of(key);
        if !set.is_empty() {
            return Err(message("corrupt window snapshot: two session sets for one key"));
        }
        *set = restored;
        Ok(())
    }

    fn restore_element_count(&mut self, key: &Keyed<D::Key>, body: &[u8]) -> Result<(), BoxError> {
        if !self.assigner.is_count() {
            return Err(message("the window snapshot holds element counts, but this is not a count window"));
        }
        let count: i64 = decode(body, "element count")?;
        if count < 0 {
            return Err(message("corrupt window snapshot: a negative element count"));
        }
        let hash = key.hash;
        if self.element_counts.find(hash, |c| c.key.hash == hash && D::key_eq(&c.key.key, &key.key)).is_some() {
            return Err(message("corrupt window snapshot: two element counts for one key"));
        }
        let key = Keyed { key: D::duplicate_key(&key.key), hash };
        self.element_counts.insert_unique(hash, ElementCount { key, count }, |c| c.key.hash);
        Ok(())
    }

    /// The restored contents must be this operator's kind (a value for reduce/aggregate, a list
    /// when buffering), else adding to them later would fail deep inside; and a session's
    /// contents and trigger state live under the session window itself, so every such window
    /// must be one of its key's sessions.
    fn check_restored(&mut self, trigger_windows: &[(Keyed<D::Key>, Namespace)]) -> Result<(), BoxError> {
        let list = self.uses_list();
        let merging = self.assigner.is_merging();
        let contents_state = self.contents_state;
        // The store is taken out for the scan, which needs the sessions too.
        let mut store = std::mem::take(&mut self.store);
        // The window function's own states are store entries too (`USER_STATE_PREFIX`).
        let user: Vec<bool> = (0..store.state_count()).map(|i| store.state_name(StateId(i as u32)).starts_with(USER_STATE_PREFIX)).collect();
        let mut foreign = None;
        let checked = store.for_each_entry(|key, hash, state, window, slot| {
            if state != contents_state {
                if user[state.0 as usize] {
                    return Ok(());
                }
                foreign = Some(state);
                return Err(message("foreign state"));
            }
            if list != matches!(slot, SlotRef::List(_)) {
                let (has, wants) = if list { ("one value", "a list of elements") } else { ("a list of elements", "one value") };
                return Err(message(format!(
                    "the window snapshot holds window contents as {has}, but this window keeps {wants}"
                )));
            }
            if merging && !self.session_exists(&Keyed { key: D::duplicate_key(key), hash }, window) {
                return Err(message(format!("corrupt window snapshot: contents of {window:?}, which is no session of its key")));
            }
            Ok(())
        });
        if let Some(state) = foreign {
            return Err(message(format!("the window snapshot holds state '{}', which a window operator does not keep", store.state_name(state))));
        }
        self.store = store;
        checked?;
        if merging {
            if let Some((_, window)) = trigger_windows.iter().find(|(key, window)| !self.session_exists(key, window)) {
                return Err(message(format!("corrupt window snapshot: trigger state of {window:?}, which is no session of its key")));
            }
        }
        Ok(())
    }
}
