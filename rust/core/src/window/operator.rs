//! The window operator (Flink's `WindowOperator` and `EvictingWindowOperator`): assigns each
//! keyed element to windows, keeps their contents, asks the trigger when to emit and purge, and
//! cleans a window up once it can no longer receive elements.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use hashbrown::HashTable;

use crate::checkpoint::snapshot::{RestoredState, SnapshotWriter};
use crate::checkpoint::CheckpointId;
use crate::data::{DataModel, Keyed, Record};
use crate::error::{message, BoxError};
use crate::function::WindowFn;
use crate::operator::{Operator, Output, TaskInfo};
use crate::state::{KeyedStateStore, Namespace, StateId};
use crate::time::{Clock, SystemClock, MIN_WATERMARK};

use super::assigner::WindowAssigner;
use super::context::{TriggerStates, WindowTimers};
use super::trigger::Trigger;

mod contents;
mod counts;
mod fast_path;
#[cfg(test)]
mod fast_path_tests;
mod sessions;
mod snapshot;
#[cfg(test)]
mod snapshot_tests;
#[cfg(test)]
mod tests;
mod timers;

pub use contents::WindowContents;
use counts::ElementCounts;
use sessions::Sessions;

/// Extracts the session gap (ms) of an element, for dynamic session windows.
pub type SessionGapFn<D> = Box<dyn FnMut(&<D as DataModel>::Value) -> Result<i64, BoxError> + Send>;

/// A keyed window operator. Records must carry their key (a key-by runs upstream).
///
/// Windows fire with records timestamped `window end - 1` (`i64::MAX` for global and count windows).
/// With a window function, it gets the window's contents (the one reduced/aggregated value, or all
/// elements) and emits what it wants; without one, the reduced value (or the aggregate's result)
/// is emitted as is.
pub struct WindowOperator<D: DataModel> {
    assigner: WindowAssigner,
    trigger: Box<dyn Trigger<D>>,
    contents: WindowContents<D>,
    window_fn: Option<Box<dyn WindowFn<D>>>,
    allowed_lateness: i64,
    late_output_tag: Option<u32>,
    evictor: Option<usize>,
    dynamic_gap: Option<SessionGapFn<D>>,
    late_dropped: Arc<AtomicU64>,

    store: KeyedStateStore<D>,
    contents_state: StateId,
    timers: WindowTimers<D>,
    trigger_states: TriggerStates<D>,
    sessions: HashTable<Sessions<D>>,
    /// Elements seen per key, for the count assigners.
    element_counts: ElementCounts<D>,
    watermark: i64,
    clock: Arc<dyn Clock>,
    /// The windows of the record being processed (kept to reuse its allocation).
    window_buf: Vec<Namespace>,
    /// Windows and timers when the fast path runs this operator (see `fast_path.rs`); the
    /// store and the timer queues then hold none of them.
    fast: Option<fast_path::FastWindows<D>>,
    fast_path_allowed: bool,
}

impl<D: DataModel> WindowOperator<D> {
    pub fn new(assigner: WindowAssigner, trigger: Box<dyn Trigger<D>>, contents: WindowContents<D>) -> Self {
        let mut store = KeyedStateStore::default();
        let contents_state = store.register("window-contents", None);
        WindowOperator {
            assigner,
            trigger,
            contents,
            window_fn: None,
            allowed_lateness: 0,
            late_output_tag: None,
            evictor: None,
            dynamic_gap: None,
            late_dropped: Arc::default(),
            store,
            contents_state,
            timers: WindowTimers::default(),
            trigger_states: TriggerStates::default(),
            sessions: HashTable::new(),
            element_counts: HashTable::new(),
            watermark: MIN_WATERMARK,
            clock: Arc::new(SystemClock),
            window_buf: Vec::new(),
            fast: None,
            fast_path_allowed: true,
        }
    }

    /// A window with the assigner's default trigger.
    pub fn with_default_trigger(assigner: WindowAssigner, contents: WindowContents<D>) -> Self {
        let trigger = assigner.default_trigger();
        WindowOperator::new(assigner, trigger, contents)
    }

    /// PyFlink's `count_window(size)`: the elements of a key in consecutive windows of `size`
    /// ([`WindowAssigner::CountTumbling`]), each fired (and purged) once it holds `size`
    /// elements. An incomplete window never fires, not even at the end of the input.
    pub fn count_window(size: i64, contents: WindowContents<D>) -> Self {
        WindowOperator::with_default_trigger(WindowAssigner::CountTumbling { size }, contents)
    }

    /// PyFlink's `count_window(size, slide)`: windows of `size` elements starting every `slide`
    /// elements of a key ([`WindowAssigner::CountSliding`]), each fired (and purged) once it holds
    /// `size` elements. (Java's `countWindow(size, slide)`, global windows with
    /// `CountTrigger(slide)` and `CountEvictor(size)`, is `new(Global, CountTrigger, ..)` with
    /// [`Self::count_evictor`].)
    pub fn sliding_count_window(size: i64, slide: i64, contents: WindowContents<D>) -> Self {
        WindowOperator::with_default_trigger(WindowAssigner::CountSliding { size, slide }, contents)
    }

    /// Keeps the window contents in the task's state backend (memory otherwise). Call it in
    /// the operator factory: restored state arrives before `open`.
    pub fn for_task(mut self, task: &TaskInfo) -> Result<Self, BoxError> {
        debug_assert!(self.store.is_empty(), "the store is chosen before any state is kept");
        let mut store = KeyedStateStore::for_task(task)?;
        self.contents_state = store.register("window-contents", None);
        self.store = store;
        Ok(self)
    }

    pub fn window_fn(mut self, function: Box<dyn WindowFn<D>>) -> Self {
        self.window_fn = Some(function);
        self
    }

    /// How long after a window's end late elements still update (and re-fire) it. Only event-time
    /// windows have lateness (as Flink, it is ignored for the others).
    pub fn allowed_lateness(mut self, ms: i64) -> Self {
        self.allowed_lateness = ms;
        self
    }

    /// Emit late elements as records with `output = tag` instead of dropping them.
    pub fn late_output_tag(mut self, tag: u32) -> Self {
        self.late_output_tag = Some(tag);
        self
    }

    /// Keep only the last `max_count` elements of a window when it fires (`CountEvictor`). The
    /// window then buffers every element; a reduce or aggregate runs over what is kept at firing.
    pub fn count_evictor(mut self, max_count: usize) -> Self {
        self.evictor = Some(max_count);
        self
    }

    /// The session gap extractor of dynamic session windows.
    pub fn dynamic_gap(mut self, gap: SessionGapFn<D>) -> Self {
        self.dynamic_gap = Some(gap);
        self
    }

    /// Keeps the operator on the general path even where the fast path applies (tests compare
    /// the two).
    pub fn without_fast_path(mut self) -> Self {
        self.fast_path_allowed = false;
        self
    }

    /// Counts late elements dropped (Flink's `numLateRecordsDropped`) into `counter`, which every
    /// parallel instance may share and the job's caller can read.
    pub fn late_dropped_counter(mut self, counter: Arc<AtomicU64>) -> Self {
        self.late_dropped = counter;
        self
    }

    /// Late elements dropped so far (by every instance sharing the counter).
    pub fn late_records_dropped(&self) -> u64 {
        self.late_dropped.load(Ordering::Relaxed)
    }

    pub fn assigner(&self) -> &WindowAssigner {
        &self.assigner
    }

    /// Windows with contents, over all keys.
    pub fn window_count(&mut self) -> usize {
        let (contents, mut count) = (self.contents_state, self.fast.as_ref().map_or(0, |f| f.window_count()));
        self.store
            .for_each_entry(|_, _, state, _, _| {
                count += usize::from(state == contents);
                Ok(())
            })
            .expect("counting fails not");
        count
    }

    /// Pending timers (event and processing time).
    pub fn timer_count(&self) -> usize {
        self.timers.event_time.len() + self.timers.processing_time.len() + self.fast.as_ref().map_or(0, |f| f.timer_count())
    }

    /// The checks Flink makes when a windowed stream is built.
    pub fn validate(&self) -> Result<(), BoxError> {
        self.assigner.validate()?;
        if self.allowed_lateness < 0 {
            return Err(message("The allowed lateness cannot be negative."));
        }
        if self.assigner.is_merging() && !self.trigger.can_merge() {
            return Err(message(format!(
                "A merging window assigner cannot be used with a trigger that does not support merging ({}).",
                self.trigger.describe()
            )));
        }
        if matches!(self.contents, WindowContents::Buffer) && self.window_fn.is_none() {
            return Err(message("a window that buffers its elements needs a window function"));
        }
        if self.assigner.is_dynamic() && self.dynamic_gap.is_none() {
            return Err(message("dynamic session windows need a session gap extractor"));
        }
        Ok(())
    }

    fn process_record(&mut self, record: Record<D>, now: i64, out: &mut Output<D>) -> Result<(), BoxError> {
        let Some(key) = record.key else {
            return Err(message("a window needs a keyed stream: the record carries no key"));
        };
        let timestamp = record.timestamp;
        let gap = match &mut self.dynamic_gap {
            Some(f) if self.assigner.is_dynamic() => Some(f(&record.value)?),
            _ => None,
        };
        let mut windows = std::mem::take(&mut self.window_buf);
        if self.assigner.is_count() {
            let n = self.next_element_index(&key);
            windows = self.assigner.count_windows(n);
        } else {
            self.assigner.assign_into(timestamp, now, gap, &mut windows)?;
        }
        let mut value = Some(record.value);
        let mut skipped = true;
        let last = windows.len().saturating_sub(1);
        for (i, window) in windows.iter().copied().enumerate() {
            let window = if self.assigner.is_merging() {
                let outcome = self.sessions_of(&key).add_window(window);
                if !outcome.merged.is_empty() {
                    self.merge_windows(&key, &outcome, now)?;
                }
                if self.is_window_late(&outcome.window) {
                    self.retire_session(&key, &outcome.window);
                    continue;
                }
                outcome.window
            } else {
                if self.is_window_late(&window) {
                    continue;
                }
                window
            };
            skipped = false;
            let element = match value.as_ref() {
                Some(v) if i != last => D::duplicate(v),
                _ => value.take().expect("only the last window takes the element"),
            };
            // As Flink: the element joins the contents, then the trigger decides.
            let trigger_view = D::duplicate(&element);
            let created = self.add(&key, window, element, now)?;
            let result = self.with_trigger_on(&key, window, now, &[], created, |t, ctx| t.on_element(&trigger_view, timestamp, &window, ctx))?;
            self.on_result(&key, window, result, now, out)?;
            // The cleanup time depends on the window alone: registering it when the window's
            // contents are created is enough (Flink registers per element and de-duplicates);
            // a merged session is a new window whose contents came from the merge.
            if created || self.assigner.is_merging() {
                self.register_cleanup_timer(&key, window);
            }
        }
        self.window_buf = windows;
        if skipped && self.is_element_late(timestamp) {
            if let Some(value) = value {
                self.drop_late(key, value, timestamp, out);
            }
        }
        Ok(())
    }

    /// A late element: to the late output, or counted and dropped.
    fn drop_late(&mut self, key: Keyed<D::Key>, value: D::Value, timestamp: Option<i64>, out: &mut Output<D>) {
        match self.late_output_tag {
            Some(tag) => out.push(Record { value, timestamp, key: Some(key), output: tag }),
            None => {
                self.late_dropped.fetch_add(1, Ordering::Relaxed);
            }
        }
    }
}

impl<D: DataModel> Operator<D> for WindowOperator<D> {
    fn open(&mut self, task: &TaskInfo) -> Result<(), BoxError> {
        self.validate()?;
        self.clock = task.clock.clone();
        self.trigger.open(task)?;
        match &mut self.contents {
            WindowContents::Reduce(f) => f.open(task)?,
            WindowContents::Aggregate(f) => f.open(task)?,
            WindowContents::Buffer => {}
        }
        if let Some(f) = &mut self.window_fn {
            f.open(task)?;
        }
        self.enter_fast_path()
    }

    fn process(&mut self, _: usize, records: Vec<Record<D>>, out: &mut Output<D>) -> Result<(), BoxError> {
        let now = self.clock.now();
        if self.fast.is_some() {
            for record in records {
                self.store.on_record(|| now);
                self.process_fast(record, now, out)?;
            }
        } else {
            for record in records {
                self.store.on_record(|| now);
                self.process_record(record, now, out)?;
            }
        }
        Ok(())
    }

    fn on_watermark(&mut self, watermark: i64, out: &mut Output<D>) -> Result<(), BoxError> {
        self.watermark = self.watermark.max(watermark);
        let now = self.clock.now();
        if self.fast.is_some() {
            self.fire_fast(now, out)?;
        }
        while let Some(timer) = self.timers.event_time.pop_due(self.watermark) {
            self.on_timer(timer, true, now, out)?;
        }
        out.emit_watermark(watermark);
        Ok(())
    }

    fn on_processing_time(&mut self, now: i64, out: &mut Output<D>) -> Result<(), BoxError> {
        while let Some(timer) = self.timers.processing_time.pop_due(now) {
            self.on_timer(timer, false, now, out)?;
        }
        Ok(())
    }

    fn snapshot_state(&mut self, _: CheckpointId, state: &mut SnapshotWriter<'_, D>) -> Result<(), BoxError> {
        self.write_snapshot(state)
    }

    fn restore_state(&mut self, state: RestoredState<D>) -> Result<(), BoxError> {
        self.restore_snapshot(state)?;
        // Restored before `open` (as the runtime does) it moves to the fast path there; after
        // `open`, it joins the fast path's windows now.
        if self.fast.is_some() {
            self.enter_fast_path()?;
        }
        Ok(())
    }

    fn close(&mut self) -> Result<(), BoxError> {
        let mut first: Result<(), BoxError> = Ok(());
        let mut keep = |r: Result<(), BoxError>| {
            if first.is_ok() {
                first = r;
            }
        };
        keep(self.trigger.close());
        match &mut self.contents {
            WindowContents::Reduce(f) => keep(f.close()),
            WindowContents::Aggregate(f) => keep(f.close()),
            WindowContents::Buffer => {}
        }
        if let Some(f) = &mut self.window_fn {
            keep(f.close());
        }
        first
    }
}
