//! Time in the window operator: lateness, cleanup timers, firing timers and dropping a window's
//! state once it is over.

use crate::data::{DataModel, Keyed};
use crate::error::BoxError;
use crate::function::WindowContext;
use crate::operator::Output;
use crate::state::{Namespace, Timer};

use super::super::assigner::max_timestamp;
use super::super::context::WindowTriggerContext;
use super::super::trigger::{Trigger, TriggerResult};
use super::super::WindowFnState;
use super::WindowOperator;

impl<D: DataModel> WindowOperator<D> {
    pub(super) fn lateness(&self) -> i64 {
        if self.assigner.is_event_time() {
            self.allowed_lateness
        } else {
            0
        }
    }

    /// When the window's state is dropped: the end of its lateness (event time) or its end.
    pub(super) fn cleanup_time(&self, window: &Namespace) -> i64 {
        let max = max_timestamp(window);
        if self.assigner.is_event_time() {
            max.checked_add(self.lateness()).unwrap_or(i64::MAX)
        } else {
            max
        }
    }

    pub(super) fn is_window_late(&self, window: &Namespace) -> bool {
        self.assigner.is_event_time() && self.cleanup_time(window) <= self.watermark
    }

    pub(super) fn is_element_late(&self, timestamp: Option<i64>) -> bool {
        self.assigner.is_event_time()
            && timestamp.is_some_and(|t| t.saturating_add(self.lateness()) <= self.watermark)
    }

    pub(super) fn register_cleanup_timer(&mut self, key: &Keyed<D::Key>, window: Namespace) {
        let time = self.cleanup_time(&window);
        if time == i64::MAX {
            return;
        }
        if self.assigner.is_event_time() {
            self.timers.event_time.register(key, window, time);
        } else {
            self.timers.processing_time.register(key, window, time);
        }
    }

    pub(super) fn delete_cleanup_timer(&mut self, key: &Keyed<D::Key>, window: &Namespace) {
        let time = self.cleanup_time(window);
        if time == i64::MAX {
            return;
        }
        if self.assigner.is_event_time() {
            self.timers.event_time.delete(key, window, time);
        } else {
            self.timers.processing_time.delete(key, window, time);
        }
    }

    /// Calls the trigger with a context for `key` and `window`.
    pub(super) fn with_trigger<R>(
        &mut self,
        key: &Keyed<D::Key>,
        window: Namespace,
        processing_time: i64,
        merged: &[Namespace],
        f: impl FnOnce(&mut dyn Trigger<D>, &mut WindowTriggerContext<'_, D>) -> Result<R, BoxError>,
    ) -> Result<R, BoxError> {
        self.with_trigger_on(key, window, processing_time, merged, true, f)
    }

    /// `with_trigger`, telling the trigger whether the window's contents are new.
    pub(super) fn with_trigger_on<R>(
        &mut self,
        key: &Keyed<D::Key>,
        window: Namespace,
        processing_time: i64,
        merged: &[Namespace],
        new_window: bool,
        f: impl FnOnce(&mut dyn Trigger<D>, &mut WindowTriggerContext<'_, D>) -> Result<R, BoxError>,
    ) -> Result<R, BoxError> {
        let mut ctx = WindowTriggerContext {
            new_window,
            key,
            window,
            watermark: self.watermark,
            processing_time,
            timers: &mut self.timers,
            states: &mut self.trigger_states,
            merged,
        };
        f(self.trigger.as_mut(), &mut ctx)
    }

    /// Drops everything of `window`: contents (unless `contents_gone`: a purge took them),
    /// trigger state, the window function's state.
    pub(super) fn clear_all_state(&mut self, key: &Keyed<D::Key>, window: Namespace, now: i64, contents_gone: bool) -> Result<(), BoxError> {
        if !contents_gone {
            self.store.remove(key, self.contents_state, &window)?;
        }
        self.with_trigger(key, window, now, &[], |t, ctx| t.clear(&window, ctx))?;
        self.trigger_states.remove_window(key, &window);
        if let Some(f) = &mut self.window_fn {
            // The function clears its per-window state here (Flink does not do it for it).
            let state = WindowFnState::new(&mut self.store, key, window, self.assigner.is_merging(), self.clock.as_ref());
            let mut ctx = WindowContext { key: &key.key, window, current_watermark: self.watermark, current_processing_time: now, state };
            f.clear(&mut ctx)?;
        }
        if self.assigner.is_merging() {
            self.retire_session(key, &window);
        }
        Ok(())
    }

    pub(super) fn on_timer(&mut self, timer: Timer<D>, event_time: bool, now: i64, out: &mut Output<D>) -> Result<(), BoxError> {
        let Timer { timestamp, key, namespace: window } = timer;
        if self.assigner.is_merging() && !self.session_exists(&key, &window) {
            // A timer of a window that was merged away and whose trigger left it behind.
            return Ok(());
        }
        let result = self.with_trigger(&key, window, now, &[], |t, ctx| {
            if event_time {
                t.on_event_time(timestamp, &window, ctx)
            } else {
                t.on_processing_time(timestamp, &window, ctx)
            }
        })?;
        let cleanup = self.assigner.is_event_time() == event_time && timestamp == self.cleanup_time(&window);
        // The contents go right after firing (Flink's clearAllState), so firing may take them
        // instead of copying them out and looking them up again to remove them.
        let result = TriggerResult { fire: result.fire, purge: result.purge || (cleanup && result.fire) };
        self.on_result(&key, window, result, now, out)?;
        if cleanup {
            self.clear_all_state(&key, window, now, result.purge)?;
        }
        Ok(())
    }
}
