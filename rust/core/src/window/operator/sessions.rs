//! Merging (session) windows: the per-key sets of live sessions and the merge of windows with
//! their trigger state, timers and contents.

use crate::data::{DataModel, Keyed};
use crate::error::{message, BoxError};
use crate::state::Namespace;

use super::super::assigner::max_timestamp;
use super::super::merging::{MergeOutcome, MergingWindowSet};
use super::WindowOperator;

/// The merging windows of one key.
pub(super) struct Sessions<D: DataModel> {
    pub(super) key: Keyed<D::Key>,
    pub(super) set: MergingWindowSet,
}

impl<D: DataModel> WindowOperator<D> {
    pub(super) fn sessions_of(&mut self, key: &Keyed<D::Key>) -> &mut MergingWindowSet {
        let hash = key.hash;
        let sessions = &mut self.sessions;
        if sessions.find(hash, |s| s.key.hash == hash && D::key_eq(&s.key.key, &key.key)).is_none() {
            let key = Keyed { key: D::duplicate_key(&key.key), hash };
            sessions.insert_unique(hash, Sessions { key, set: MergingWindowSet::new() }, |s| s.key.hash);
        }
        &mut sessions.find_mut(hash, |s| s.key.hash == hash && D::key_eq(&s.key.key, &key.key)).expect("just inserted").set
    }

    pub(super) fn session_exists(&self, key: &Keyed<D::Key>, window: &Namespace) -> bool {
        let hash = key.hash;
        self.sessions
            .find(hash, |s| s.key.hash == hash && D::key_eq(&s.key.key, &key.key))
            .is_some_and(|s| s.set.contains(window))
    }

    pub(super) fn retire_session(&mut self, key: &Keyed<D::Key>, window: &Namespace) {
        let hash = key.hash;
        if let Ok(mut entry) = self.sessions.find_entry(hash, |s| s.key.hash == hash && D::key_eq(&s.key.key, &key.key)) {
            entry.get_mut().set.retire_window(window);
            if entry.get().set.is_empty() {
                entry.remove();
            }
        }
    }

    /// Merges windows after `outcome` (Flink's `MergingWindowSet.MergeFunction` of the operator).
    pub(super) fn merge_windows(&mut self, key: &Keyed<D::Key>, outcome: &MergeOutcome, now: i64) -> Result<(), BoxError> {
        let result = outcome.window;
        if self.assigner.is_event_time() && self.cleanup_time(&result) <= self.watermark {
            return Err(message(format!(
                "The end timestamp of an event-time window cannot become earlier than the current watermark by merging. \
                 Current watermark: {} window: {result:?}",
                self.watermark
            )));
        }
        if !self.assigner.is_event_time() && max_timestamp(&result) <= now {
            return Err(message(format!(
                "The end timestamp of a processing-time window cannot become earlier than the current processing time \
                 by merging. Current processing time: {now} window: {result:?}"
            )));
        }
        self.with_trigger(key, result, now, &outcome.merged, |t, ctx| t.on_merge(&result, ctx))?;
        for window in &outcome.merged {
            self.with_trigger(key, *window, now, &[], |t, ctx| t.clear(window, ctx))?;
            self.trigger_states.remove_window(key, window);
            self.delete_cleanup_timer(key, window);
        }
        self.merge_contents(key, result, &outcome.merged, now)
    }

}
