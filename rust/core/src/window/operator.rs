//! The window operator (Flink's `WindowOperator` and `EvictingWindowOperator`): assigns each
//! keyed element to windows, keeps their contents, asks the trigger when to emit and purge, and
//! cleans a window up once it can no longer receive elements.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use hashbrown::HashTable;

use crate::data::{DataModel, Keyed, Record, MAIN_OUTPUT};
use crate::error::{message, BoxError};
use crate::function::{AggregateFn, ReduceFn, WindowContext, WindowFn};
use crate::operator::{Operator, Output, TaskInfo};
use crate::state::{KeyedStateStore, Namespace, Slot, StateId, Timer};
use crate::time::{Clock, SystemClock, MIN_WATERMARK};

use super::assigner::{max_timestamp, WindowAssigner};
use super::context::{TriggerStates, WindowTimers, WindowTriggerContext};
use super::merging::{MergeOutcome, MergingWindowSet};
use super::trigger::{CountTrigger, PurgingTrigger, Trigger, TriggerResult};

/// What a window keeps of its elements.
pub enum WindowContents<D: DataModel> {
    /// One value, reduced incrementally (`reduce`).
    Reduce(Box<dyn ReduceFn<D>>),
    /// One accumulator (`aggregate`); the window emits `get_result` of it.
    Aggregate(Box<dyn AggregateFn<D>>),
    /// Every element (`process` / `apply`); needs a window function.
    Buffer,
}

/// Extracts the session gap (ms) of an element, for dynamic session windows.
pub type SessionGapFn<D> = Box<dyn FnMut(&<D as DataModel>::Value) -> Result<i64, BoxError> + Send>;

/// A keyed window operator. Records must carry their key (a key-by runs upstream).
///
/// Windows fire with records timestamped `window end - 1` (`i64::MAX` for the global window).
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
    watermark: i64,
    clock: Arc<dyn Clock>,
}

/// The merging windows of one key.
struct Sessions<D: DataModel> {
    key: Keyed<D::Key>,
    set: MergingWindowSet,
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
            watermark: MIN_WATERMARK,
            clock: Arc::new(SystemClock),
        }
    }

    /// A window with the assigner's default trigger.
    pub fn with_default_trigger(assigner: WindowAssigner, contents: WindowContents<D>) -> Self {
        let trigger = assigner.default_trigger();
        WindowOperator::new(assigner, trigger, contents)
    }

    /// Flink's `count_window(size)`: global windows fired and purged every `size` elements.
    pub fn count_window(size: i64, contents: WindowContents<D>) -> Self {
        let trigger = Box::new(PurgingTrigger::of(Box::new(CountTrigger::of(size))));
        WindowOperator::new(WindowAssigner::Global, trigger, contents)
    }

    /// Flink's `count_window(size, slide)`: every `slide` elements, fire over the last `size`.
    pub fn sliding_count_window(size: i64, slide: i64, contents: WindowContents<D>) -> Self {
        WindowOperator::new(WindowAssigner::Global, Box::new(CountTrigger::of(slide)), contents)
            .count_evictor(size.max(0) as usize)
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
    pub fn window_count(&self) -> usize {
        self.store.len()
    }

    /// Pending timers (event and processing time).
    pub fn timer_count(&self) -> usize {
        self.timers.event_time.len() + self.timers.processing_time.len()
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

    fn lateness(&self) -> i64 {
        if self.assigner.is_event_time() {
            self.allowed_lateness
        } else {
            0
        }
    }

    /// When the window's state is dropped: the end of its lateness (event time) or its end.
    fn cleanup_time(&self, window: &Namespace) -> i64 {
        let max = max_timestamp(window);
        if self.assigner.is_event_time() {
            max.checked_add(self.lateness()).unwrap_or(i64::MAX)
        } else {
            max
        }
    }

    fn is_window_late(&self, window: &Namespace) -> bool {
        self.assigner.is_event_time() && self.cleanup_time(window) <= self.watermark
    }

    fn is_element_late(&self, timestamp: Option<i64>) -> bool {
        self.assigner.is_event_time()
            && timestamp.is_some_and(|t| t.saturating_add(self.lateness()) <= self.watermark)
    }

    fn register_cleanup_timer(&mut self, key: &Keyed<D::Key>, window: Namespace) {
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

    fn delete_cleanup_timer(&mut self, key: &Keyed<D::Key>, window: &Namespace) {
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

    fn sessions_of(&mut self, key: &Keyed<D::Key>) -> &mut MergingWindowSet {
        let hash = key.hash;
        let sessions = &mut self.sessions;
        if sessions.find(hash, |s| s.key.hash == hash && D::key_eq(&s.key.key, &key.key)).is_none() {
            let key = Keyed { key: D::duplicate_key(&key.key), hash };
            sessions.insert_unique(hash, Sessions { key, set: MergingWindowSet::new() }, |s| s.key.hash);
        }
        &mut sessions.find_mut(hash, |s| s.key.hash == hash && D::key_eq(&s.key.key, &key.key)).expect("just inserted").set
    }

    fn session_exists(&self, key: &Keyed<D::Key>, window: &Namespace) -> bool {
        let hash = key.hash;
        self.sessions
            .find(hash, |s| s.key.hash == hash && D::key_eq(&s.key.key, &key.key))
            .is_some_and(|s| s.set.contains(window))
    }

    fn retire_session(&mut self, key: &Keyed<D::Key>, window: &Namespace) {
        let hash = key.hash;
        if let Ok(mut entry) = self.sessions.find_entry(hash, |s| s.key.hash == hash && D::key_eq(&s.key.key, &key.key)) {
            entry.get_mut().set.retire_window(window);
            if entry.get().set.is_empty() {
                entry.remove();
            }
        }
    }

    /// Calls the trigger with a context for `key` and `window`.
    fn with_trigger<R>(
        &mut self,
        key: &Keyed<D::Key>,
        window: Namespace,
        processing_time: i64,
        merged: &[Namespace],
        f: impl FnOnce(&mut dyn Trigger<D>, &mut WindowTriggerContext<'_, D>) -> Result<R, BoxError>,
    ) -> Result<R, BoxError> {
        let mut ctx = WindowTriggerContext {
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

    fn uses_list(&self) -> bool {
        self.evictor.is_some() || matches!(self.contents, WindowContents::Buffer)
    }

    /// Adds an element to the window's contents (in place: no key copy per element).
    fn add(&mut self, key: &Keyed<D::Key>, window: Namespace, value: D::Value, now: i64) -> Result<(), BoxError> {
        let state = self.contents_state;
        let list = self.uses_list();
        match self.store.get(key, state, &window, now) {
            Some(Slot::List(elements)) if list => elements.push(value),
            Some(slot @ Slot::Value(_)) if !list => {
                // A placeholder while the user function runs (an empty list allocates nothing).
                let Slot::Value(acc) = std::mem::replace(slot, Slot::List(Vec::new())) else { unreachable!() };
                *slot = Slot::Value(match &mut self.contents {
                    WindowContents::Reduce(f) => f.reduce(&acc, value)?,
                    WindowContents::Aggregate(f) => f.add(value, acc)?,
                    WindowContents::Buffer => unreachable!("buffers use lists"),
                });
            }
            _ => {
                let slot = match &mut self.contents {
                    _ if list => Slot::List(vec![value]),
                    WindowContents::Reduce(_) => Slot::Value(value),
                    WindowContents::Aggregate(f) => {
                        let acc = f.create_accumulator()?;
                        Slot::Value(f.add(value, acc)?)
                    }
                    WindowContents::Buffer => unreachable!("buffers use lists"),
                };
                self.store.put(key, state, window, slot, now);
            }
        }
        Ok(())
    }

    /// Moves the contents of `merged` windows into `target` (in window order).
    fn merge_contents(&mut self, key: &Keyed<D::Key>, target: Namespace, merged: &[Namespace], now: i64) -> Result<(), BoxError> {
        let state = self.contents_state;
        let mut acc = self.store.remove(key, state, &target);
        for window in merged {
            let Some(next) = self.store.remove(key, state, window) else { continue };
            acc = Some(match (acc, next) {
                (None, next) => next,
                (Some(Slot::List(mut a)), Slot::List(b)) => {
                    a.extend(b);
                    Slot::List(a)
                }
                (Some(Slot::Value(a)), Slot::Value(b)) => Slot::Value(match &mut self.contents {
                    WindowContents::Reduce(f) => f.reduce(&a, b)?,
                    WindowContents::Aggregate(f) => f.merge(a, b)?,
                    WindowContents::Buffer => unreachable!("buffers use lists"),
                }),
                _ => return Err(message("window contents of different kinds cannot merge")),
            });
        }
        if let Some(acc) = acc {
            self.store.put(key, state, target, acc, now);
        }
        Ok(())
    }

    /// Merges windows after `outcome` (Flink's `MergingWindowSet.MergeFunction` of the operator).
    fn merge_windows(&mut self, key: &Keyed<D::Key>, outcome: &MergeOutcome, now: i64) -> Result<(), BoxError> {
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

    /// Acts on a trigger's decision for `window`.
    fn on_result(&mut self, key: &Keyed<D::Key>, window: Namespace, result: TriggerResult, now: i64, out: &mut Output<D>) -> Result<(), BoxError> {
        if result.fire {
            self.emit(key, window, result.purge, now, out)
        } else {
            if result.purge {
                self.store.remove(key, self.contents_state, &window);
            }
            Ok(())
        }
    }

    /// Fires `window`: computes what it emits from its contents (purging them if asked).
    fn emit(&mut self, key: &Keyed<D::Key>, window: Namespace, purge: bool, now: i64, out: &mut Output<D>) -> Result<(), BoxError> {
        let state = self.contents_state;
        let values: Vec<D::Value> = if let Some(max_count) = self.evictor {
            let Some(Slot::List(mut list)) = self.store.remove(key, state, &window) else { return Ok(()) };
            if list.len() > max_count {
                list.drain(..list.len() - max_count);
            }
            let values = self.evaluate(&list)?;
            if !purge {
                self.store.put(key, state, window, Slot::List(list), now);
            }
            match values {
                Some(v) => v,
                None => return Ok(()),
            }
        } else if purge {
            match self.store.remove(key, state, &window) {
                None => return Ok(()),
                Some(Slot::List(list)) => list,
                Some(Slot::Value(v)) => match &mut self.contents {
                    WindowContents::Aggregate(f) => vec![f.get_result(&v)?],
                    _ => vec![v],
                },
            }
        } else {
            match self.store.get(key, state, &window, now) {
                None => return Ok(()),
                Some(Slot::List(list)) => list.iter().map(D::duplicate).collect(),
                Some(Slot::Value(v)) => match &mut self.contents {
                    WindowContents::Aggregate(f) => vec![f.get_result(v)?],
                    _ => vec![D::duplicate(v)],
                },
            }
        };
        if values.is_empty() {
            return Ok(());
        }
        let timestamp = Some(max_timestamp(&window));
        let mut push = |value| {
            out.push(Record {
                value,
                timestamp,
                key: Some(Keyed { key: D::duplicate_key(&key.key), hash: key.hash }),
                output: MAIN_OUTPUT,
            })
        };
        match &mut self.window_fn {
            Some(f) => {
                let ctx = WindowContext { key: &key.key, window, current_watermark: self.watermark, current_processing_time: now };
                f.process(&ctx, values, &mut push)?;
            }
            None => values.into_iter().for_each(push),
        }
        Ok(())
    }

    /// With an evictor: the reduce/aggregate over the kept elements, or the elements themselves.
    fn evaluate(&mut self, list: &[D::Value]) -> Result<Option<Vec<D::Value>>, BoxError> {
        if list.is_empty() {
            return Ok(None);
        }
        Ok(Some(match &mut self.contents {
            WindowContents::Reduce(f) => {
                let mut acc = D::duplicate(&list[0]);
                for v in &list[1..] {
                    acc = f.reduce(&acc, D::duplicate(v))?;
                }
                vec![acc]
            }
            WindowContents::Aggregate(f) => {
                let mut acc = f.create_accumulator()?;
                for v in list {
                    acc = f.add(D::duplicate(v), acc)?;
                }
                vec![f.get_result(&acc)?]
            }
            WindowContents::Buffer => list.iter().map(D::duplicate).collect(),
        }))
    }

    /// Drops everything of `window`: contents, trigger state, the window function's state.
    fn clear_all_state(&mut self, key: &Keyed<D::Key>, window: Namespace, now: i64) -> Result<(), BoxError> {
        self.store.remove(key, self.contents_state, &window);
        self.with_trigger(key, window, now, &[], |t, ctx| t.clear(&window, ctx))?;
        self.trigger_states.remove_window(key, &window);
        if let Some(f) = &mut self.window_fn {
            let ctx = WindowContext { key: &key.key, window, current_watermark: self.watermark, current_processing_time: now };
            f.clear(&ctx)?;
        }
        if self.assigner.is_merging() {
            self.retire_session(key, &window);
        }
        Ok(())
    }

    fn on_timer(&mut self, timer: Timer<D>, event_time: bool, now: i64, out: &mut Output<D>) -> Result<(), BoxError> {
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
        self.on_result(&key, window, result, now, out)?;
        if self.assigner.is_event_time() == event_time && timestamp == self.cleanup_time(&window) {
            self.clear_all_state(&key, window, now)?;
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
        let windows = self.assigner.assign(timestamp, now, gap)?;
        let mut value = Some(record.value);
        let mut skipped = true;
        let last = windows.len().saturating_sub(1);
        for (i, window) in windows.into_iter().enumerate() {
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
            let result = self.with_trigger(&key, window, now, &[], |t, ctx| t.on_element(&element, timestamp, &window, ctx))?;
            self.add(&key, window, element, now)?;
            self.on_result(&key, window, result, now, out)?;
            self.register_cleanup_timer(&key, window);
        }
        if skipped && self.is_element_late(timestamp) {
            if let Some(value) = value {
                match self.late_output_tag {
                    Some(tag) => out.push(Record { value, timestamp, key: Some(key), output: tag }),
                    None => {
                        self.late_dropped.fetch_add(1, Ordering::Relaxed);
                    }
                }
            }
        }
        Ok(())
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
        Ok(())
    }

    fn process(&mut self, _: usize, records: Vec<Record<D>>, out: &mut Output<D>) -> Result<(), BoxError> {
        let now = self.clock.now();
        for record in records {
            self.process_record(record, now, out)?;
        }
        Ok(())
    }

    fn on_watermark(&mut self, watermark: i64, out: &mut Output<D>) -> Result<(), BoxError> {
        self.watermark = self.watermark.max(watermark);
        let now = self.clock.now();
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

#[cfg(test)]
mod tests {
    use std::sync::Mutex;

    use super::*;
    use crate::function::Lifecycle;
    use crate::test_support::Ints;
    use crate::time::{ManualClock, MAX_WATERMARK};
    use crate::window::trigger::{ContinuousEventTimeTrigger, EventTimeTrigger, TriggerContext};

    struct Sum;
    impl Lifecycle for Sum {}
    impl ReduceFn<Ints> for Sum {
        fn reduce(&mut self, a: &i64, b: i64) -> Result<i64, BoxError> {
            Ok(a + b)
        }
    }

    /// Counts elements; the result is count * 100.
    struct Count;
    impl Lifecycle for Count {}
    impl AggregateFn<Ints> for Count {
        fn create_accumulator(&mut self) -> Result<i64, BoxError> {
            Ok(0)
        }
        fn add(&mut self, _: i64, acc: i64) -> Result<i64, BoxError> {
            Ok(acc + 1)
        }
        fn get_result(&mut self, acc: &i64) -> Result<i64, BoxError> {
            Ok(acc * 100)
        }
        fn merge(&mut self, a: i64, b: i64) -> Result<i64, BoxError> {
            Ok(a + b)
        }
    }

    /// Emits `start * 1000 + sum of elements` and records which windows were cleared.
    #[derive(Default, Clone)]
    struct Describe {
        cleared: Arc<Mutex<Vec<Namespace>>>,
    }
    impl Lifecycle for Describe {}
    impl WindowFn<Ints> for Describe {
        fn process(&mut self, ctx: &WindowContext<'_, Ints>, elements: Vec<i64>, emit: &mut dyn FnMut(i64)) -> Result<(), BoxError> {
            let start = match ctx.window {
                Namespace::Window { start, .. } => start,
                _ => 0,
            };
            emit(start * 1000 + elements.iter().sum::<i64>());
            Ok(())
        }
        fn clear(&mut self, ctx: &WindowContext<'_, Ints>) -> Result<(), BoxError> {
            self.cleared.lock().unwrap().push(ctx.window);
            Ok(())
        }
    }

    fn task(clock: &ManualClock) -> TaskInfo {
        TaskInfo {
            task_name: "test".into(),
            operator_name: "Window".into(),
            subtask_index: 0,
            parallelism: 1,
            max_parallelism: 128,
            attempt_number: 0,
            clock: Arc::new(clock.clone()),
        }
    }

    fn rec(key: i64, value: i64, ts: Option<i64>) -> Record<Ints> {
        Record { value, timestamp: ts, key: Some(Keyed { key, hash: key as u64 }), output: MAIN_OUTPUT }
    }

    /// (key, value, timestamp, output) of what was emitted, and the watermarks.
    type Emitted = (Vec<(i64, i64, Option<i64>, u32)>, Vec<i64>);

    fn drain(out: Output<Ints>) -> Emitted {
        let (records, watermarks) = out.into_segments();
        (
            records.into_iter().map(|r| (r.key.unwrap().key, r.value, r.timestamp, r.output)).collect(),
            watermarks.into_iter().map(|(_, w)| w).collect(),
        )
    }

    struct Harness {
        op: WindowOperator<Ints>,
        clock: ManualClock,
    }

    impl Harness {
        fn new(op: WindowOperator<Ints>) -> Self {
            let clock = ManualClock::new(0);
            let mut op = op;
            op.open(&task(&clock)).unwrap();
            Harness { op, clock }
        }

        fn send(&mut self, key: i64, value: i64, ts: i64) -> Vec<(i64, i64, Option<i64>, u32)> {
            let mut out = Output::default();
            self.op.process(0, vec![rec(key, value, Some(ts))], &mut out).unwrap();
            drain(out).0
        }

        fn watermark(&mut self, w: i64) -> Emitted {
            let mut out = Output::default();
            self.op.on_watermark(w, &mut out).unwrap();
            drain(out)
        }

        fn tick(&mut self, now: i64) -> Vec<(i64, i64, Option<i64>, u32)> {
            self.clock.set(now);
            let mut out = Output::default();
            self.op.on_processing_time(now, &mut out).unwrap();
            drain(out).0
        }

        fn is_empty(&self) -> bool {
            self.op.window_count() == 0 && self.op.timer_count() == 0 && self.op.trigger_states.is_empty() && self.op.sessions.is_empty()
        }
    }

    fn tumbling(size: i64) -> WindowAssigner {
        WindowAssigner::tumbling_event_time(size, 0).unwrap()
    }

    #[test]
    fn tumbling_windows_fire_by_watermark_then_forward_it() {
        let mut h = Harness::new(WindowOperator::with_default_trigger(tumbling(10), WindowContents::Reduce(Box::new(Sum))));
        assert!(h.send(1, 1, 1).is_empty());
        h.send(1, 2, 9);
        h.send(2, 5, 5);
        h.send(1, 4, 10);
        assert_eq!(h.watermark(8), (vec![], vec![8]));
        assert_eq!(h.watermark(9), (vec![(1, 3, Some(9), 0), (2, 5, Some(9), 0)], vec![9]));
        assert_eq!(h.op.late_records_dropped(), 0);
        assert!(h.send(1, 100, 9).is_empty(), "late: dropped");
        assert_eq!(h.op.late_records_dropped(), 1);
        h.send(2, 1, 25);
        let mut out = Output::default();
        h.op.on_watermark(MAX_WATERMARK, &mut out).unwrap();
        let (records, watermarks) = out.into_segments();
        let fired: Vec<(i64, Option<i64>)> = records.iter().map(|r| (r.value, r.timestamp)).collect();
        assert_eq!(fired, vec![(4, Some(19)), (1, Some(29))], "in time order");
        assert_eq!(watermarks, vec![(2, MAX_WATERMARK)], "the watermark follows what it fired");
        assert!(h.is_empty(), "every window cleaned up");
    }

    #[test]
    fn allowed_lateness_refires_and_late_elements_go_to_the_side_output() {
        let describe = Describe::default();
        let cleared = describe.cleared.clone();
        let op = WindowOperator::with_default_trigger(tumbling(10), WindowContents::Buffer)
            .window_fn(Box::new(describe))
            .allowed_lateness(5)
            .late_output_tag(3);
        let mut h = Harness::new(op);
        h.send(1, 1, 2);
        assert_eq!(h.watermark(10).0, vec![(1, 1, Some(9), 0)]);
        // Within the lateness: the window fires again with everything it holds.
        assert_eq!(h.send(1, 2, 4), vec![(1, 3, Some(9), 0)]);
        assert_eq!(h.watermark(13).0, vec![]);
        assert_eq!(h.send(1, 4, 9), vec![(1, 7, Some(9), 0)]);
        assert!(cleared.lock().unwrap().is_empty());
        // The lateness ends at 9 + 5: state is cleared, later elements go to the side output.
        assert_eq!(h.watermark(14).0, vec![]);
        assert_eq!(*cleared.lock().unwrap(), vec![Namespace::Window { start: 0, end: 10 }]);
        assert_eq!(h.send(1, 8, 3), vec![(1, 8, Some(3), 3)]);
        assert_eq!(h.op.late_records_dropped(), 0);
        // Not late for its own window.
        assert!(h.send(1, 16, 15).is_empty());
        assert_eq!(h.watermark(MAX_WATERMARK).0, vec![(1, 10_016, Some(19), 0)]);
        assert!(h.is_empty());
    }

    #[test]
    fn sliding_windows_fire_each_window_an_element_is_in() {
        let a = WindowAssigner::sliding_event_time(10, 5, 0).unwrap();
        let mut h = Harness::new(WindowOperator::with_default_trigger(a, WindowContents::Aggregate(Box::new(Count))));
        h.send(1, 0, 3);
        h.send(1, 0, 7);
        h.send(1, 0, 12);
        let (fired, _) = h.watermark(MAX_WATERMARK);
        assert_eq!(fired, vec![(1, 100, Some(4), 0), (1, 200, Some(9), 0), (1, 200, Some(14), 0), (1, 100, Some(19), 0)]);
    }

    #[test]
    fn an_element_bridging_two_sessions_merges_them_with_their_state() {
        let describe = Describe::default();
        let cleared = describe.cleared.clone();
        let op = WindowOperator::with_default_trigger(WindowAssigner::event_time_session(10).unwrap(), WindowContents::Reduce(Box::new(Sum)))
            .window_fn(Box::new(describe));
        let mut h = Harness::new(op);
        h.send(1, 1, 0); // [0, 10)
        h.send(1, 2, 15); // [15, 25)
        h.send(2, 100, 5); // another key: [5, 15)
        assert_eq!(h.op.timer_count(), 3);
        h.watermark(6);
        // Late by its timestamp, but its window joins live sessions, so it is not late.
        h.send(1, 4, 5); // [5, 15) bridges [0, 10) and [15, 25)
        assert_eq!(h.op.late_records_dropped(), 0);
        assert_eq!(h.op.timer_count(), 2, "the merged windows' timers were replaced by one");
        assert_eq!(h.watermark(14).0, vec![(2, 5100, Some(14), 0)]);
        assert_eq!(h.watermark(24).0, vec![(1, 7, Some(24), 0)]);
        assert_eq!(cleared.lock().unwrap().len(), 2);
        // A late element whose session does not merge with anything is dropped.
        assert!(h.send(1, 8, 3).is_empty());
        assert_eq!(h.op.late_records_dropped(), 1);
        assert!(h.is_empty());
    }

    #[test]
    fn merged_sessions_keep_their_count_trigger_state() {
        let op = WindowOperator::new(
            WindowAssigner::event_time_session(10).unwrap(),
            Box::new(CountTrigger::of(3)),
            WindowContents::Reduce(Box::new(Sum)),
        );
        let mut h = Harness::new(op);
        assert!(h.send(1, 1, 0).is_empty());
        assert!(h.send(1, 2, 30).is_empty());
        // Bridges both: counts 1 + 1 merge, plus this element makes 3.
        assert_eq!(h.send(1, 4, 10).first().copied(), None, "[10, 20) touches [0, 10) only");
        assert_eq!(h.send(1, 8, 20), vec![(1, 15, Some(39), 0)]);
        // Count windows of event-time sessions are still cleaned up at their end.
        assert_eq!(h.watermark(MAX_WATERMARK).0, vec![]);
        assert!(h.is_empty());
    }

    #[test]
    fn dynamic_session_gaps_come_from_the_element() {
        let op = WindowOperator::with_default_trigger(WindowAssigner::DynamicEventTimeSession, WindowContents::Reduce(Box::new(Sum)))
            .dynamic_gap(Box::new(|v: &i64| Ok(*v)));
        let mut h = Harness::new(op);
        h.send(1, 10, 0); // [0, 10)
        h.send(1, 1, 12); // [12, 13)
        h.send(1, 3, 10); // [10, 13): touches both
        h.send(1, 1, 30); // [30, 31)
        let (fired, _) = h.watermark(MAX_WATERMARK);
        assert_eq!(fired, vec![(1, 14, Some(12), 0), (1, 1, Some(30), 0)]);
        let mut bad = WindowOperator::<Ints>::with_default_trigger(WindowAssigner::DynamicEventTimeSession, WindowContents::Reduce(Box::new(Sum)))
            .dynamic_gap(Box::new(|_: &i64| Ok(0)));
        bad.open(&task(&ManualClock::new(0))).unwrap();
        let err = bad.process(0, vec![rec(1, 1, Some(0))], &mut Output::default()).unwrap_err();
        assert!(err.to_string().contains("0 < gap"), "{err}");
    }

    #[test]
    fn count_windows_tumble_and_slide() {
        let mut h = Harness::new(WindowOperator::count_window(3, WindowContents::Reduce(Box::new(Sum))));
        let mut fired = Vec::new();
        for v in 1..=8 {
            fired.extend(h.send(1, v, v));
        }
        assert_eq!(fired, vec![(1, 6, Some(i64::MAX), 0), (1, 15, Some(i64::MAX), 0)]);
        assert_eq!(h.watermark(MAX_WATERMARK).0, vec![], "an incomplete count window never fires");

        let mut h = Harness::new(WindowOperator::sliding_count_window(3, 2, WindowContents::Reduce(Box::new(Sum))));
        let fired: Vec<i64> = (1..=7).flat_map(|v| h.send(1, v, v)).map(|r| r.1).collect();
        assert_eq!(fired, vec![1 + 2, 2 + 3 + 4, 4 + 5 + 6]);
        let mut h = Harness::new(
            WindowOperator::sliding_count_window(2, 1, WindowContents::Buffer).window_fn(Box::new(Describe::default())),
        );
        let fired: Vec<i64> = (1..=4).flat_map(|v| h.send(1, v, v)).map(|r| r.1).collect();
        assert_eq!(fired, vec![1, 3, 5, 7]);
    }

    #[test]
    fn processing_time_windows_fire_by_the_clock() {
        let a = WindowAssigner::tumbling_processing_time(10, 0).unwrap();
        let mut h = Harness::new(WindowOperator::with_default_trigger(a, WindowContents::Reduce(Box::new(Sum))));
        h.clock.set(3);
        h.send(1, 1, 100);
        h.clock.set(8);
        h.send(1, 2, -100);
        h.send(2, 4, 0);
        assert!(h.tick(8).is_empty());
        h.clock.set(12);
        h.send(1, 8, 0);
        assert_eq!(h.tick(12), vec![(1, 3, Some(9), 0), (2, 4, Some(9), 0)]);
        assert_eq!(h.watermark(MAX_WATERMARK).0, vec![], "the watermark does not fire processing-time windows");
        assert_eq!(h.tick(25), vec![(1, 8, Some(19), 0)]);
        assert!(h.is_empty());
    }

    #[test]
    fn continuous_event_time_trigger_fires_early() {
        let op = WindowOperator::new(tumbling(100), Box::new(ContinuousEventTimeTrigger::of(30).unwrap()), WindowContents::Reduce(Box::new(Sum)));
        let mut h = Harness::new(op);
        h.send(1, 1, 5);
        h.send(1, 2, 40);
        assert_eq!(h.watermark(35).0, vec![(1, 3, Some(99), 0)]);
        h.send(1, 4, 70);
        assert_eq!(h.watermark(65).0, vec![(1, 7, Some(99), 0)]);
        assert_eq!(h.watermark(99).0, vec![(1, 7, Some(99), 0), (1, 7, Some(99), 0)], "at 90 and at the end");
        assert!(h.is_empty());
    }

    #[test]
    fn global_windows_with_the_never_trigger_never_fire() {
        let mut h = Harness::new(
            WindowOperator::with_default_trigger(WindowAssigner::Global, WindowContents::Buffer).window_fn(Box::new(Describe::default())),
        );
        h.send(1, 1, 1);
        assert_eq!(h.watermark(MAX_WATERMARK), (vec![], vec![MAX_WATERMARK]));
        assert_eq!(h.op.window_count(), 1);
        // With an event-time trigger the end of input fires the global window.
        let mut h = Harness::new(
            WindowOperator::new(WindowAssigner::Global, Box::new(EventTimeTrigger), WindowContents::Reduce(Box::new(Sum))),
        );
        h.send(1, 1, 1);
        h.send(1, 2, 1);
        assert_eq!(h.watermark(MAX_WATERMARK).0, vec![(1, 3, Some(i64::MAX), 0)]);
    }

    /// A trigger that fires on every element and cannot merge.
    struct EveryElement;
    impl Lifecycle for EveryElement {}
    impl Trigger<Ints> for EveryElement {
        fn on_element(&mut self, _: &i64, _: Option<i64>, _: &Namespace, ctx: &mut dyn TriggerContext<Ints>) -> Result<TriggerResult, BoxError> {
            let n = ctx.get_long("n").unwrap_or(0) + 1;
            ctx.set_long("n", n);
            Ok(if n % 2 == 0 { TriggerResult::FIRE_AND_PURGE } else { TriggerResult::FIRE })
        }
        fn on_event_time(&mut self, _: i64, _: &Namespace, _: &mut dyn TriggerContext<Ints>) -> Result<TriggerResult, BoxError> {
            Ok(TriggerResult::CONTINUE)
        }
        fn on_processing_time(&mut self, _: i64, _: &Namespace, _: &mut dyn TriggerContext<Ints>) -> Result<TriggerResult, BoxError> {
            Ok(TriggerResult::CONTINUE)
        }
        fn clear(&mut self, _: &Namespace, ctx: &mut dyn TriggerContext<Ints>) -> Result<(), BoxError> {
            ctx.clear_state("n");
            Ok(())
        }
    }

    #[test]
    fn custom_triggers_fire_purge_and_keep_state() {
        let mut h = Harness::new(WindowOperator::new(tumbling(10), Box::new(EveryElement), WindowContents::Reduce(Box::new(Sum))));
        let fired: Vec<i64> = [1, 2, 4, 8].into_iter().flat_map(|v| h.send(1, v, 1)).map(|r| r.1).collect();
        assert_eq!(fired, vec![1, 3, 4, 12]);
        h.watermark(MAX_WATERMARK);
        assert!(h.is_empty(), "the cleanup timer cleared the trigger's state");
    }

    #[test]
    fn invalid_windows_fail_to_open() {
        let clock = ManualClock::new(0);
        let err = |mut op: WindowOperator<Ints>| op.open(&task(&clock)).unwrap_err().to_string();
        assert!(err(WindowOperator::with_default_trigger(tumbling(10), WindowContents::Buffer)).contains("window function"));
        let session = WindowAssigner::EventTimeSession { gap: 10 };
        assert!(err(WindowOperator::new(session.clone(), Box::new(EveryElement), WindowContents::Reduce(Box::new(Sum)))).contains("merging"));
        assert!(err(WindowOperator::with_default_trigger(session, WindowContents::Reduce(Box::new(Sum))).allowed_lateness(-1)).contains("negative"));
        assert!(err(WindowOperator::with_default_trigger(WindowAssigner::DynamicEventTimeSession, WindowContents::Reduce(Box::new(Sum))))
            .contains("gap extractor"));
        assert!(err(WindowOperator::with_default_trigger(WindowAssigner::TumblingEventTime { size: 10, offset: 10 }, WindowContents::Reduce(Box::new(Sum))))
            .contains("abs(offset) < size"));
        let mut op = WindowOperator::with_default_trigger(tumbling(10), WindowContents::Reduce(Box::new(Sum)));
        op.open(&task(&clock)).unwrap();
        let mut out = Output::default();
        let e = op.process(0, vec![rec(1, 1, None)], &mut out).unwrap_err().to_string();
        assert!(e.contains("assign_timestamps_and_watermarks"), "{e}");
        let e = op.process(0, vec![Record::with_timestamp(1, Some(1))], &mut out).unwrap_err().to_string();
        assert!(e.contains("keyed stream"), "{e}");
    }
}
