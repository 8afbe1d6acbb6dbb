//! What a keyed user function reaches while it runs: the state store, the timer queues and the
//! current key, shared between the operator (which sets the key) and the function's state
//! handles (which read and write under it).

use std::sync::{Arc, Mutex};

use super::{KeyedStateStore, Namespace, StateAt, StateId, TimerQueue};
use crate::data::{DataModel, Keyed};
use crate::error::{message, BoxError};
use crate::checkpoint::snapshot::{tagged, untag, RestoredState, SnapshotWriter};
use crate::operator::TaskInfo;
use crate::time::{Clock, MIN_WATERMARK};

// Kinds of keyed entries in a keyed context's snapshot.
const STATE_ENTRY: u8 = 0;
const EVENT_TIMER: u8 = 1;
const PROCESSING_TIMER: u8 = 2;

fn no_key() -> BoxError {
    message("keyed state and timers are only available while processing a keyed element or timer")
}

pub struct KeyedContext<D: DataModel> {
    pub store: KeyedStateStore<D>,
    pub event_timers: TimerQueue<D>,
    pub processing_timers: TimerQueue<D>,
    pub current_key: Option<Keyed<D::Key>>,
    pub current_watermark: i64,
    pub clock: Arc<dyn Clock>,
}

pub type SharedKeyedContext<D> = Arc<Mutex<KeyedContext<D>>>;

impl<D: DataModel> KeyedContext<D> {
    /// A context whose state is in memory.
    pub fn shared(clock: Arc<dyn Clock>) -> SharedKeyedContext<D> {
        Self::with_store(KeyedStateStore::default(), clock)
    }

    /// A context whose state follows the task's state backend.
    pub fn for_task(task: &TaskInfo) -> Result<SharedKeyedContext<D>, BoxError> {
        Ok(Self::with_store(KeyedStateStore::for_task(task)?, task.clock.clone()))
    }

    fn with_store(store: KeyedStateStore<D>, clock: Arc<dyn Clock>) -> SharedKeyedContext<D> {
        Arc::new(Mutex::new(KeyedContext {
            store,
            event_timers: TimerQueue::default(),
            processing_timers: TimerQueue::default(),
            current_key: None,
            current_watermark: MIN_WATERMARK,
            clock,
        }))
    }

    /// The key the function is being called for; state and timers need one.
    pub fn key(&self) -> Result<&Keyed<D::Key>, BoxError> {
        self.current_key.as_ref().ok_or_else(no_key)
    }

    /// A state of the current key (plain keyed state, no namespace), at the clock's time.
    pub fn state(&mut self, state: StateId) -> Result<StateAt<'_, D>, BoxError> {
        let key = self.current_key.as_ref().ok_or_else(no_key)?;
        let now = self.clock.now();
        Ok(self.store.at(key, state, Namespace::Void, now))
    }

    /// Sets the key of the element or timer being processed; for an element, the per-record
    /// cleanup of state with time-to-live runs.
    pub fn set_key(&mut self, key: Option<Keyed<D::Key>>, record: bool) {
        if record && key.is_some() {
            let clock = &self.clock;
            self.store.on_record(|| clock.now());
        }
        self.current_key = key;
    }

    /// Writes the keyed state and both timer queues as keyed entries.
    pub fn snapshot(&mut self, state: &mut SnapshotWriter<'_, D>) -> Result<(), BoxError> {
        self.store.snapshot_into(self.clock.now(), |key, body| {
            state.keyed_encoded(key, tagged(STATE_ENTRY, body));
            Ok(())
        })?;
        self.event_timers.snapshot_into(|key, body| state.keyed(key, tagged(EVENT_TIMER, body)))?;
        self.processing_timers.snapshot_into(|key, body| state.keyed(key, tagged(PROCESSING_TIMER, body)))
    }

    /// Puts back what [`KeyedContext::snapshot`] wrote (this subtask's share).
    pub fn restore(&mut self, state: RestoredState<D>) -> Result<(), BoxError> {
        for (key, payload) in &state.keyed {
            let (tag, body) = untag(payload)?;
            match tag {
                STATE_ENTRY => self.store.restore_entry(key, body)?,
                EVENT_TIMER => self.event_timers.restore_entry(key, body)?,
                PROCESSING_TIMER => self.processing_timers.restore_entry(key, body)?,
                other => return Err(message(format!("corrupt snapshot: unknown keyed entry kind {other}"))),
            }
        }
        crate::operator::refuse_state(RestoredState::<D> { keyed: Vec::new(), ..state })
    }

    pub fn register_timer(&mut self, domain: crate::function::TimeDomain, timestamp: i64) -> Result<(), BoxError> {
        let key = self.key()?;
        let key = Keyed { key: D::duplicate_key(&key.key), hash: key.hash };
        match domain {
            crate::function::TimeDomain::EventTime => self.event_timers.register(&key, Namespace::Void, timestamp),
            crate::function::TimeDomain::ProcessingTime => self.processing_timers.register(&key, Namespace::Void, timestamp),
        }
        Ok(())
    }

    pub fn delete_timer(&mut self, domain: crate::function::TimeDomain, timestamp: i64) -> Result<(), BoxError> {
        let key = self.key()?;
        let key = Keyed { key: D::duplicate_key(&key.key), hash: key.hash };
        match domain {
            crate::function::TimeDomain::EventTime => self.event_timers.delete(&key, &Namespace::Void, timestamp),
            crate::function::TimeDomain::ProcessingTime => self.processing_timers.delete(&key, &Namespace::Void, timestamp),
        }
        Ok(())
    }
}
