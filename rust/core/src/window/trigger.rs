//! Triggers: when a window's contents are emitted (fired) and when they are discarded (purged).
//! The built-ins follow Flink's `EventTimeTrigger`, `ProcessingTimeTrigger`, `CountTrigger`,
//! `PurgingTrigger`, `ContinuousEventTimeTrigger`, `ContinuousProcessingTimeTrigger` and
//! `NeverTrigger`.

use crate::data::DataModel;
use crate::error::{message, BoxError};
use crate::function::{Lifecycle, TimeDomain};
use crate::state::Namespace;

use super::assigner::max_timestamp;

/// What a trigger decides: emit the window's contents (`fire`) and/or discard them (`purge`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct TriggerResult {
    pub fire: bool,
    pub purge: bool,
}

impl TriggerResult {
    pub const CONTINUE: TriggerResult = TriggerResult { fire: false, purge: false };
    pub const FIRE: TriggerResult = TriggerResult { fire: true, purge: false };
    pub const PURGE: TriggerResult = TriggerResult { fire: false, purge: true };
    pub const FIRE_AND_PURGE: TriggerResult = TriggerResult { fire: true, purge: true };
}

/// A piece of per-key, per-window trigger state. The built-in triggers keep `Long`s; a trigger
/// written in the data model's language (the Python bridge) keeps its own values.
pub enum TriggerState<D: DataModel> {
    Long(i64),
    Value(D::Value),
    List(Vec<D::Value>),
}

impl<D: DataModel> std::fmt::Debug for TriggerState<D> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            TriggerState::Long(v) => write!(f, "Long({v})"),
            TriggerState::Value(_) => write!(f, "Value(..)"),
            TriggerState::List(l) => write!(f, "List({} values)", l.len()),
        }
    }
}

/// Combines two states of the same name when windows merge (`accumulated`, `next`).
pub type StateMerge<'a, D> = dyn FnMut(TriggerState<D>, TriggerState<D>) -> Result<TriggerState<D>, BoxError> + 'a;

/// What a trigger may see and do: time, timers and its state, all scoped to the current key and
/// window (Flink's `Trigger.TriggerContext` / `OnMergeContext`).
pub trait TriggerContext<D: DataModel> {
    fn key(&self) -> &D::Key;
    /// The window the trigger is called for.
    fn window(&self) -> Namespace;
    fn current_watermark(&self) -> i64;
    fn current_processing_time(&self) -> i64;
    fn register_event_time_timer(&mut self, time: i64);
    fn delete_event_time_timer(&mut self, time: i64);
    fn register_processing_time_timer(&mut self, time: i64);
    fn delete_processing_time_timer(&mut self, time: i64);

    /// The state `name` of the current key and window.
    fn state(&mut self, name: &str) -> Option<&mut TriggerState<D>>;
    fn set_state(&mut self, name: &str, value: TriggerState<D>);
    /// Removes the state `name`, returning what it held.
    fn clear_state(&mut self, name: &str) -> Option<TriggerState<D>>;

    /// In `on_merge`: the windows that were merged into the current one (empty otherwise).
    fn merged_windows(&self) -> &[Namespace];
    /// In `on_merge`: moves the state `name` of every merged window into the current window,
    /// combining values with `merge` (Flink's `mergePartitionedState`).
    fn merge_state(&mut self, name: &str, merge: &mut StateMerge<'_, D>) -> Result<(), BoxError>;

    /// In `on_element`: whether the window's contents were just created by this element (its
    /// timers cannot exist yet). Built-in triggers skip re-registering known timers with it.
    fn is_new_window(&self) -> bool {
        true
    }

    /// The state `name` as a number (`None` if unset or not a number).
    fn get_long(&mut self, name: &str) -> Option<i64> {
        match self.state(name) {
            Some(TriggerState::Long(v)) => Some(*v),
            _ => None,
        }
    }

    fn set_long(&mut self, name: &str, value: i64) {
        self.set_state(name, TriggerState::Long(value));
    }

    /// Merges the numeric state `name` of the merged windows with `f` (sum, min, ...).
    fn merge_long(&mut self, name: &str, f: fn(i64, i64) -> i64) -> Result<(), BoxError> {
        self.merge_state(name, &mut |a, b| match (a, b) {
            (TriggerState::Long(a), TriggerState::Long(b)) => Ok(TriggerState::Long(f(a, b))),
            _ => Err(message(format!("trigger state '{name}' is not a number"))),
        })
    }
}

/// Decides when a window fires and purges. Object safe: operators hold `Box<dyn Trigger<D>>`, and
/// triggers implemented outside this crate (a Python user's) plug in the same way.
///
/// `timestamp` is the element's event timestamp, `None` if it has none.
pub trait Trigger<D: DataModel>: Lifecycle {
    fn on_element(
        &mut self,
        element: &D::Value,
        timestamp: Option<i64>,
        window: &Namespace,
        ctx: &mut dyn TriggerContext<D>,
    ) -> Result<TriggerResult, BoxError>;

    /// An event-time timer this trigger registered (or the operator's cleanup timer) is due.
    fn on_event_time(&mut self, time: i64, window: &Namespace, ctx: &mut dyn TriggerContext<D>) -> Result<TriggerResult, BoxError>;

    fn on_processing_time(&mut self, time: i64, window: &Namespace, ctx: &mut dyn TriggerContext<D>) -> Result<TriggerResult, BoxError>;

    /// Whether the trigger supports merging windows (sessions).
    fn can_merge(&self) -> bool {
        false
    }

    /// Windows were merged into `window`: merge their state and re-register timers.
    fn on_merge(&mut self, _window: &Namespace, _ctx: &mut dyn TriggerContext<D>) -> Result<(), BoxError> {
        Err(message("This trigger does not support merging."))
    }

    /// The window is being discarded: delete timers and state the trigger keeps for it.
    fn clear(&mut self, window: &Namespace, ctx: &mut dyn TriggerContext<D>) -> Result<(), BoxError>;

    /// A name for plans and errors.
    fn describe(&self) -> String {
        "Trigger".to_string()
    }

    /// Whether this is [`EventTimeTrigger`] itself: no state, one event-time timer at the
    /// window's end, fire there (or at once for a window the watermark passed). The window
    /// operator then keeps its windows on a fast path that does what the trigger would without
    /// calling it.
    fn is_plain_event_time(&self) -> bool {
        false
    }
}

/// Fires once the watermark passes the end of the window; elements arriving for a window the
/// watermark already passed (allowed lateness) fire it again at once.
#[derive(Clone, Copy, Debug, Default)]
pub struct EventTimeTrigger;

impl Lifecycle for EventTimeTrigger {}

impl<D: DataModel> Trigger<D> for EventTimeTrigger {
    fn on_element(&mut self, _: &D::Value, _: Option<i64>, window: &Namespace, ctx: &mut dyn TriggerContext<D>) -> Result<TriggerResult, BoxError> {
        let max = max_timestamp(window);
        if max <= ctx.current_watermark() {
            Ok(TriggerResult::FIRE)
        } else {
            // The timer of an existing window is registered already (Flink re-registers and
            // de-duplicates; skipping saves a lookup per element).
            if ctx.is_new_window() {
                ctx.register_event_time_timer(max);
            }
            Ok(TriggerResult::CONTINUE)
        }
    }

    fn on_event_time(&mut self, time: i64, window: &Namespace, _: &mut dyn TriggerContext<D>) -> Result<TriggerResult, BoxError> {
        Ok(if time == max_timestamp(window) { TriggerResult::FIRE } else { TriggerResult::CONTINUE })
    }

    fn on_processing_time(&mut self, _: i64, _: &Namespace, _: &mut dyn TriggerContext<D>) -> Result<TriggerResult, BoxError> {
        Ok(TriggerResult::CONTINUE)
    }

    fn can_merge(&self) -> bool {
        true
    }

    fn on_merge(&mut self, window: &Namespace, ctx: &mut dyn TriggerContext<D>) -> Result<(), BoxError> {
        let max = max_timestamp(window);
        if max > ctx.current_watermark() {
            ctx.register_event_time_timer(max);
        }
        Ok(())
    }

    fn clear(&mut self, window: &Namespace, ctx: &mut dyn TriggerContext<D>) -> Result<(), BoxError> {
        ctx.delete_event_time_timer(max_timestamp(window));
        Ok(())
    }

    fn describe(&self) -> String {
        "EventTimeTrigger()".into()
    }

    fn is_plain_event_time(&self) -> bool {
        true
    }
}

/// Fires when processing time reaches the end of the window.
#[derive(Clone, Copy, Debug, Default)]
pub struct ProcessingTimeTrigger;

impl Lifecycle for ProcessingTimeTrigger {}

impl<D: DataModel> Trigger<D> for ProcessingTimeTrigger {
    fn on_element(&mut self, _: &D::Value, _: Option<i64>, window: &Namespace, ctx: &mut dyn TriggerContext<D>) -> Result<TriggerResult, BoxError> {
        ctx.register_processing_time_timer(max_timestamp(window));
        Ok(TriggerResult::CONTINUE)
    }

    fn on_event_time(&mut self, _: i64, _: &Namespace, _: &mut dyn TriggerContext<D>) -> Result<TriggerResult, BoxError> {
        Ok(TriggerResult::CONTINUE)
    }

    fn on_processing_time(&mut self, _: i64, _: &Namespace, _: &mut dyn TriggerContext<D>) -> Result<TriggerResult, BoxError> {
        Ok(TriggerResult::FIRE)
    }

    fn can_merge(&self) -> bool {
        true
    }

    fn on_merge(&mut self, window: &Namespace, ctx: &mut dyn TriggerContext<D>) -> Result<(), BoxError> {
        let max = max_timestamp(window);
        if max > ctx.current_processing_time() {
            ctx.register_processing_time_timer(max);
        }
        Ok(())
    }

    fn clear(&mut self, window: &Namespace, ctx: &mut dyn TriggerContext<D>) -> Result<(), BoxError> {
        ctx.delete_processing_time_timer(max_timestamp(window));
        Ok(())
    }

    fn describe(&self) -> String {
        "ProcessingTimeTrigger()".into()
    }
}

/// Fires every `max_count` elements of a window (the count is reset when it fires).
#[derive(Clone, Copy, Debug)]
pub struct CountTrigger {
    pub max_count: i64,
}

impl CountTrigger {
    pub const STATE: &'static str = "count";

    pub fn of(max_count: i64) -> Self {
        CountTrigger { max_count }
    }
}

impl Lifecycle for CountTrigger {}

impl<D: DataModel> Trigger<D> for CountTrigger {
    fn on_element(&mut self, _: &D::Value, _: Option<i64>, _: &Namespace, ctx: &mut dyn TriggerContext<D>) -> Result<TriggerResult, BoxError> {
        let count = ctx.get_long(Self::STATE).unwrap_or(0) + 1;
        if count >= self.max_count {
            ctx.clear_state(Self::STATE);
            Ok(TriggerResult::FIRE)
        } else {
            ctx.set_long(Self::STATE, count);
            Ok(TriggerResult::CONTINUE)
        }
    }

    fn on_event_time(&mut self, _: i64, _: &Namespace, _: &mut dyn TriggerContext<D>) -> Result<TriggerResult, BoxError> {
        Ok(TriggerResult::CONTINUE)
    }

    fn on_processing_time(&mut self, _: i64, _: &Namespace, _: &mut dyn TriggerContext<D>) -> Result<TriggerResult, BoxError> {
        Ok(TriggerResult::CONTINUE)
    }

    fn can_merge(&self) -> bool {
        true
    }

    fn on_merge(&mut self, _: &Namespace, ctx: &mut dyn TriggerContext<D>) -> Result<(), BoxError> {
        ctx.merge_long(Self::STATE, |a, b| a + b)
    }

    fn clear(&mut self, _: &Namespace, ctx: &mut dyn TriggerContext<D>) -> Result<(), BoxError> {
        ctx.clear_state(Self::STATE);
        Ok(())
    }

    fn describe(&self) -> String {
        format!("CountTrigger({})", self.max_count)
    }
}

/// Turns every FIRE of the wrapped trigger into FIRE_AND_PURGE.
pub struct PurgingTrigger<D: DataModel> {
    inner: Box<dyn Trigger<D>>,
}

impl<D: DataModel> PurgingTrigger<D> {
    pub fn of(inner: Box<dyn Trigger<D>>) -> Self {
        PurgingTrigger { inner }
    }

    fn purging(result: TriggerResult) -> TriggerResult {
        if result.fire {
            TriggerResult::FIRE_AND_PURGE
        } else {
            result
        }
    }
}

impl<D: DataModel> Lifecycle for PurgingTrigger<D> {
    fn open(&mut self, task: &crate::operator::TaskInfo) -> Result<(), BoxError> {
        self.inner.open(task)
    }
    fn close(&mut self) -> Result<(), BoxError> {
        self.inner.close()
    }
}

impl<D: DataModel> Trigger<D> for PurgingTrigger<D> {
    fn on_element(&mut self, element: &D::Value, timestamp: Option<i64>, window: &Namespace, ctx: &mut dyn TriggerContext<D>) -> Result<TriggerResult, BoxError> {
        self.inner.on_element(element, timestamp, window, ctx).map(Self::purging)
    }

    fn on_event_time(&mut self, time: i64, window: &Namespace, ctx: &mut dyn TriggerContext<D>) -> Result<TriggerResult, BoxError> {
        self.inner.on_event_time(time, window, ctx).map(Self::purging)
    }

    fn on_processing_time(&mut self, time: i64, window: &Namespace, ctx: &mut dyn TriggerContext<D>) -> Result<TriggerResult, BoxError> {
        self.inner.on_processing_time(time, window, ctx).map(Self::purging)
    }

    fn can_merge(&self) -> bool {
        self.inner.can_merge()
    }

    fn on_merge(&mut self, window: &Namespace, ctx: &mut dyn TriggerContext<D>) -> Result<(), BoxError> {
        self.inner.on_merge(window, ctx)
    }

    fn clear(&mut self, window: &Namespace, ctx: &mut dyn TriggerContext<D>) -> Result<(), BoxError> {
        self.inner.clear(window, ctx)
    }

    fn describe(&self) -> String {
        format!("PurgingTrigger({})", self.inner.describe())
    }
}

/// The state both continuous triggers keep: the next early firing time.
const FIRE_TIME: &str = "fire-time";

fn check_interval(interval: i64) -> Result<(), BoxError> {
    if interval <= 0 {
        return Err(message("the interval of a continuous trigger must be positive"));
    }
    Ok(())
}

/// The next firing time of a continuous trigger: `interval` after `time`, at most the window's end.
fn register_next<D: DataModel>(interval: i64, domain: TimeDomain, time: i64, window: &Namespace, ctx: &mut dyn TriggerContext<D>) {
    let next = time.saturating_add(interval).min(max_timestamp(window));
    let next = ctx.get_long(FIRE_TIME).map_or(next, |current| current.min(next));
    ctx.set_long(FIRE_TIME, next);
    match domain {
        TimeDomain::EventTime => ctx.register_event_time_timer(next),
        TimeDomain::ProcessingTime => ctx.register_processing_time_timer(next),
    }
}

/// Merged windows keep the earliest pending firing time.
fn merge_fire_time<D: DataModel>(domain: TimeDomain, ctx: &mut dyn TriggerContext<D>) -> Result<(), BoxError> {
    ctx.merge_long(FIRE_TIME, i64::min)?;
    if let Some(next) = ctx.get_long(FIRE_TIME) {
        match domain {
            TimeDomain::EventTime => ctx.register_event_time_timer(next),
            TimeDomain::ProcessingTime => ctx.register_processing_time_timer(next),
        }
    }
    Ok(())
}

fn clear_fire_time<D: DataModel>(domain: TimeDomain, ctx: &mut dyn TriggerContext<D>) {
    if let Some(TriggerState::Long(t)) = ctx.clear_state(FIRE_TIME) {
        match domain {
            TimeDomain::EventTime => ctx.delete_event_time_timer(t),
            TimeDomain::ProcessingTime => ctx.delete_processing_time_timer(t),
        }
    }
}

/// Fires at the end of the window (by watermark) and every `interval` ms of event time before.
#[derive(Clone, Copy, Debug)]
pub struct ContinuousEventTimeTrigger {
    pub interval: i64,
}

impl ContinuousEventTimeTrigger {
    pub fn of(interval: i64) -> Result<Self, BoxError> {
        check_interval(interval)?;
        Ok(ContinuousEventTimeTrigger { interval })
    }

    fn register_next<D: DataModel>(&self, time: i64, window: &Namespace, ctx: &mut dyn TriggerContext<D>) {
        register_next(self.interval, TimeDomain::EventTime, time, window, ctx);
    }
}

impl Lifecycle for ContinuousEventTimeTrigger {}

impl<D: DataModel> Trigger<D> for ContinuousEventTimeTrigger {
    fn on_element(&mut self, _: &D::Value, timestamp: Option<i64>, window: &Namespace, ctx: &mut dyn TriggerContext<D>) -> Result<TriggerResult, BoxError> {
        let max = max_timestamp(window);
        if max <= ctx.current_watermark() {
            // The watermark is already past the window: fire at once.
            return Ok(TriggerResult::FIRE);
        }
        ctx.register_event_time_timer(max);
        if ctx.get_long(FIRE_TIME).is_none() {
            if let Some(t) = timestamp {
                self.register_next(t - t % self.interval, window, ctx);
            }
        }
        Ok(TriggerResult::CONTINUE)
    }

    fn on_event_time(&mut self, time: i64, window: &Namespace, ctx: &mut dyn TriggerContext<D>) -> Result<TriggerResult, BoxError> {
        if time == max_timestamp(window) {
            return Ok(TriggerResult::FIRE);
        }
        if ctx.get_long(FIRE_TIME) == Some(time) {
            ctx.clear_state(FIRE_TIME);
            self.register_next(time, window, ctx);
            return Ok(TriggerResult::FIRE);
        }
        Ok(TriggerResult::CONTINUE)
    }

    fn on_processing_time(&mut self, _: i64, _: &Namespace, _: &mut dyn TriggerContext<D>) -> Result<TriggerResult, BoxError> {
        Ok(TriggerResult::CONTINUE)
    }

    fn can_merge(&self) -> bool {
        true
    }

    fn on_merge(&mut self, _: &Namespace, ctx: &mut dyn TriggerContext<D>) -> Result<(), BoxError> {
        merge_fire_time(TimeDomain::EventTime, ctx)
    }

    fn clear(&mut self, _: &Namespace, ctx: &mut dyn TriggerContext<D>) -> Result<(), BoxError> {
        clear_fire_time(TimeDomain::EventTime, ctx);
        Ok(())
    }

    fn describe(&self) -> String {
        format!("ContinuousEventTimeTrigger({})", self.interval)
    }
}

/// Fires every `interval` ms of processing time while the window is open.
#[derive(Clone, Copy, Debug)]
pub struct ContinuousProcessingTimeTrigger {
    pub interval: i64,
}

impl ContinuousProcessingTimeTrigger {
    pub fn of(interval: i64) -> Result<Self, BoxError> {
        check_interval(interval)?;
        Ok(ContinuousProcessingTimeTrigger { interval })
    }

    fn register_next<D: DataModel>(&self, time: i64, window: &Namespace, ctx: &mut dyn TriggerContext<D>) {
        register_next(self.interval, TimeDomain::ProcessingTime, time, window, ctx);
    }
}

impl Lifecycle for ContinuousProcessingTimeTrigger {}

impl<D: DataModel> Trigger<D> for ContinuousProcessingTimeTrigger {
    fn on_element(&mut self, _: &D::Value, _: Option<i64>, window: &Namespace, ctx: &mut dyn TriggerContext<D>) -> Result<TriggerResult, BoxError> {
        let now = ctx.current_processing_time();
        if ctx.get_long(FIRE_TIME).is_none() {
            self.register_next(now - now % self.interval, window, ctx);
        }
        Ok(TriggerResult::CONTINUE)
    }

    fn on_event_time(&mut self, _: i64, _: &Namespace, _: &mut dyn TriggerContext<D>) -> Result<TriggerResult, BoxError> {
        Ok(TriggerResult::CONTINUE)
    }

    fn on_processing_time(&mut self, time: i64, window: &Namespace, ctx: &mut dyn TriggerContext<D>) -> Result<TriggerResult, BoxError> {
        if ctx.get_long(FIRE_TIME) == Some(time) {
            ctx.clear_state(FIRE_TIME);
            self.register_next(time, window, ctx);
            return Ok(TriggerResult::FIRE);
        }
        Ok(TriggerResult::CONTINUE)
    }

    fn can_merge(&self) -> bool {
        true
    }

    fn on_merge(&mut self, _: &Namespace, ctx: &mut dyn TriggerContext<D>) -> Result<(), BoxError> {
        merge_fire_time(TimeDomain::ProcessingTime, ctx)
    }

    fn clear(&mut self, _: &Namespace, ctx: &mut dyn TriggerContext<D>) -> Result<(), BoxError> {
        clear_fire_time(TimeDomain::ProcessingTime, ctx);
        Ok(())
    }

    fn describe(&self) -> String {
        format!("ContinuousProcessingTimeTrigger({})", self.interval)
    }
}

/// Never fires: the default trigger of `GlobalWindows`.
#[derive(Clone, Copy, Debug, Default)]
pub struct NeverTrigger;

impl Lifecycle for NeverTrigger {}

impl<D: DataModel> Trigger<D> for NeverTrigger {
    fn on_element(&mut self, _: &D::Value, _: Option<i64>, _: &Namespace, _: &mut dyn TriggerContext<D>) -> Result<TriggerResult, BoxError> {
        Ok(TriggerResult::CONTINUE)
    }

    fn on_event_time(&mut self, _: i64, _: &Namespace, _: &mut dyn TriggerContext<D>) -> Result<TriggerResult, BoxError> {
        Ok(TriggerResult::CONTINUE)
    }

    fn on_processing_time(&mut self, _: i64, _: &Namespace, _: &mut dyn TriggerContext<D>) -> Result<TriggerResult, BoxError> {
        Ok(TriggerResult::CONTINUE)
    }

    fn can_merge(&self) -> bool {
        true
    }

    fn on_merge(&mut self, _: &Namespace, _: &mut dyn TriggerContext<D>) -> Result<(), BoxError> {
        Ok(())
    }

    fn clear(&mut self, _: &Namespace, _: &mut dyn TriggerContext<D>) -> Result<(), BoxError> {
        Ok(())
    }

    fn describe(&self) -> String {
        "NeverTrigger()".into()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::Keyed;
    use crate::test_support::Ints;
    use crate::window::context::{TriggerStates, WindowTimers, WindowTriggerContext};

    fn w(start: i64, end: i64) -> Namespace {
        Namespace::Window { start, end }
    }

    const KEY: Keyed<i64> = Keyed { key: 7, hash: 7 };

    /// The operator's timer queues and trigger state, with times the test sets.
    #[derive(Default)]
    struct Harness {
        timers: WindowTimers<Ints>,
        states: TriggerStates<Ints>,
        watermark: i64,
        now: i64,
    }

    impl Harness {
        fn new() -> Self {
            Harness { watermark: i64::MIN, ..Default::default() }
        }

        fn ctx<'a>(&'a mut self, window: Namespace, merged: &'a [Namespace]) -> WindowTriggerContext<'a, Ints> {
            WindowTriggerContext {
                new_window: true,
                key: &KEY,
                window,
                watermark: self.watermark,
                processing_time: self.now,
                timers: &mut self.timers,
                states: &mut self.states,
                merged,
            }
        }

        fn element(&mut self, t: &mut dyn Trigger<Ints>, ts: i64, window: Namespace) -> TriggerResult {
            t.on_element(&1, Some(ts), &window, &mut self.ctx(window, &[])).unwrap()
        }

        fn event(&mut self, t: &mut dyn Trigger<Ints>, time: i64, window: Namespace) -> TriggerResult {
            t.on_event_time(time, &window, &mut self.ctx(window, &[])).unwrap()
        }

        fn processing(&mut self, t: &mut dyn Trigger<Ints>, time: i64, window: Namespace) -> TriggerResult {
            t.on_processing_time(time, &window, &mut self.ctx(window, &[])).unwrap()
        }

        fn clear(&mut self, t: &mut dyn Trigger<Ints>, window: Namespace) {
            t.clear(&window, &mut self.ctx(window, &[])).unwrap()
        }

        fn merge(&mut self, t: &mut dyn Trigger<Ints>, window: Namespace, merged: &[Namespace]) {
            t.on_merge(&window, &mut self.ctx(window, merged)).unwrap()
        }

        fn long(&mut self, window: Namespace, name: &str) -> Option<i64> {
            self.ctx(window, &[]).get_long(name)
        }

        /// Every pending (timestamp, window), removing them.
        fn drain_event_timers(&mut self) -> Vec<(i64, Namespace)> {
            std::iter::from_fn(|| self.timers.event_time.pop_due(i64::MAX)).map(|t| (t.timestamp, t.namespace)).collect()
        }

        fn drain_processing_timers(&mut self) -> Vec<(i64, Namespace)> {
            std::iter::from_fn(|| self.timers.processing_time.pop_due(i64::MAX)).map(|t| (t.timestamp, t.namespace)).collect()
        }
    }

    use TriggerResult as R;

    #[test]
    fn event_time_trigger_fires_at_the_window_end() {
        let mut h = Harness::new();
        let t: &mut dyn Trigger<Ints> = &mut EventTimeTrigger;
        assert_eq!(h.element(t, 3, w(0, 10)), R::CONTINUE);
        assert_eq!(h.element(t, 4, w(0, 10)), R::CONTINUE);
        assert_eq!(h.event(t, 5, w(0, 10)), R::CONTINUE);
        assert_eq!(h.event(t, 9, w(0, 10)), R::FIRE);
        assert_eq!(h.processing(t, 9, w(0, 10)), R::CONTINUE);
        assert_eq!(h.drain_event_timers(), vec![(9, w(0, 10))], "one timer at the window's max timestamp");
        h.element(t, 3, w(0, 10));
        h.clear(t, w(0, 10));
        assert!(h.timers.event_time.is_empty(), "clear deletes the timer");
        // A late element (within the allowed lateness) fires at once.
        h.watermark = 9;
        assert_eq!(h.element(t, 3, w(0, 10)), R::FIRE);
        assert!(h.timers.event_time.is_empty());
        // Merging registers the merged window's timer unless the watermark passed it.
        assert!(Trigger::<Ints>::can_merge(&EventTimeTrigger));
        h.merge(t, w(0, 30), &[w(0, 10), w(5, 30)]);
        h.merge(t, w(0, 5), &[]);
        assert_eq!(h.drain_event_timers(), vec![(29, w(0, 30))]);
    }

    #[test]
    fn processing_time_trigger_fires_at_the_window_end() {
        let mut h = Harness::new();
        h.now = 3;
        let t: &mut dyn Trigger<Ints> = &mut ProcessingTimeTrigger;
        assert_eq!(h.element(t, 0, w(0, 10)), R::CONTINUE);
        assert_eq!(h.event(t, 9, w(0, 10)), R::CONTINUE);
        assert_eq!(h.processing(t, 9, w(0, 10)), R::FIRE);
        assert!(h.timers.event_time.is_empty());
        assert_eq!(h.drain_processing_timers(), vec![(9, w(0, 10))]);
        h.element(t, 0, w(0, 10));
        h.clear(t, w(0, 10));
        assert!(h.timers.processing_time.is_empty());
        h.now = 15;
        h.merge(t, w(0, 20), &[w(0, 10)]);
        h.merge(t, w(0, 12), &[w(0, 10)]);
        assert_eq!(h.drain_processing_timers(), vec![(19, w(0, 20))]);
    }

    #[test]
    fn count_trigger_fires_every_n_and_sums_counts_on_merge() {
        let mut h = Harness::new();
        let t: &mut dyn Trigger<Ints> = &mut CountTrigger::of(3);
        let g = Namespace::Global;
        assert_eq!(h.element(t, 0, g), R::CONTINUE);
        assert_eq!(h.element(t, 0, g), R::CONTINUE);
        assert_eq!(h.long(g, CountTrigger::STATE), Some(2));
        assert_eq!(h.element(t, 0, g), R::FIRE);
        assert_eq!(h.long(g, CountTrigger::STATE), None, "reset after firing");
        assert_eq!(h.element(t, 0, g), R::CONTINUE);
        assert_eq!(h.event(t, i64::MAX, g), R::CONTINUE);
        h.clear(t, g);
        assert!(h.states.is_empty());
        // Two sessions with one element each merge; the third element fires.
        h.element(t, 0, w(0, 10));
        h.element(t, 20, w(20, 30));
        h.merge(t, w(0, 30), &[w(0, 10), w(20, 30)]);
        assert_eq!(h.long(w(0, 30), CountTrigger::STATE), Some(2));
        assert_eq!(h.long(w(0, 10), CountTrigger::STATE), None);
        assert_eq!(h.long(w(20, 30), CountTrigger::STATE), None);
        assert_eq!(h.element(t, 5, w(0, 30)), R::FIRE);
    }

    #[test]
    fn purging_trigger_purges_whenever_the_inner_one_fires() {
        let mut h = Harness::new();
        let mut t = PurgingTrigger::<Ints>::of(Box::new(CountTrigger::of(2)));
        let g = Namespace::Global;
        assert_eq!(h.element(&mut t, 0, g), R::CONTINUE);
        assert_eq!(h.element(&mut t, 0, g), R::FIRE_AND_PURGE);
        let mut t = PurgingTrigger::<Ints>::of(Box::new(EventTimeTrigger));
        assert_eq!(h.event(&mut t, 9, w(0, 10)), R::FIRE_AND_PURGE);
        assert_eq!(h.event(&mut t, 8, w(0, 10)), R::CONTINUE);
        assert!(t.can_merge());
        assert_eq!(t.describe(), "PurgingTrigger(EventTimeTrigger())");
        let mut t = PurgingTrigger::<Ints>::of(Box::new(ProcessingTimeTrigger));
        assert_eq!(h.processing(&mut t, 9, w(0, 10)), R::FIRE_AND_PURGE);
    }

    #[test]
    fn continuous_event_time_trigger_fires_every_interval_and_at_the_end() {
        let mut h = Harness::new();
        let t: &mut dyn Trigger<Ints> = &mut ContinuousEventTimeTrigger::of(5).unwrap();
        let win = w(0, 18);
        assert_eq!(h.element(t, 3, win), R::CONTINUE);
        assert_eq!(h.element(t, 7, win), R::CONTINUE);
        assert_eq!(h.long(win, FIRE_TIME), Some(5), "aligned to the interval");
        assert_eq!(h.event(t, 5, win), R::FIRE);
        assert_eq!(h.long(win, FIRE_TIME), Some(10));
        assert_eq!(h.event(t, 7, win), R::CONTINUE);
        assert_eq!(h.event(t, 10, win), R::FIRE);
        assert_eq!(h.event(t, 15, win), R::FIRE);
        assert_eq!(h.long(win, FIRE_TIME), Some(17), "the last early firing is the window end");
        assert_eq!(h.event(t, 17, win), R::FIRE);
        let mut timers = h.drain_event_timers();
        timers.dedup();
        assert_eq!(timers, vec![(5, win), (10, win), (15, win), (17, win)]);
        h.clear(t, win);
        assert!(h.states.is_empty());
        // Watermark already past the window: fire at once.
        h.watermark = 20;
        assert_eq!(h.element(t, 3, win), R::FIRE);
        // Merging keeps the earliest next firing.
        h.watermark = i64::MIN;
        h.element(t, 3, w(0, 30));
        h.element(t, 12, w(12, 40));
        h.drain_event_timers();
        h.merge(t, w(0, 40), &[w(0, 30), w(12, 40)]);
        assert_eq!(h.long(w(0, 40), FIRE_TIME), Some(5));
        assert_eq!(h.drain_event_timers(), vec![(5, w(0, 40))]);
        assert!(ContinuousEventTimeTrigger::of(0).is_err());
    }

    #[test]
    fn continuous_processing_time_trigger_fires_every_interval() {
        let mut h = Harness::new();
        let t: &mut dyn Trigger<Ints> = &mut ContinuousProcessingTimeTrigger::of(10).unwrap();
        let win = w(0, 100);
        h.now = 23;
        assert_eq!(h.element(t, 0, win), R::CONTINUE);
        h.now = 27;
        assert_eq!(h.element(t, 0, win), R::CONTINUE);
        assert_eq!(h.long(win, FIRE_TIME), Some(30));
        assert_eq!(h.processing(t, 29, win), R::CONTINUE);
        assert_eq!(h.processing(t, 30, win), R::FIRE);
        assert_eq!(h.long(win, FIRE_TIME), Some(40));
        assert_eq!(h.event(t, 40, win), R::CONTINUE);
        assert_eq!(h.drain_processing_timers(), vec![(30, win), (40, win)]);
        h.processing(t, 40, win);
        h.clear(t, win);
        assert!(h.states.is_empty());
        assert!(h.timers.processing_time.is_empty(), "clear deletes the pending firing");
    }

    #[test]
    fn never_trigger_never_fires() {
        let mut h = Harness::new();
        let t: &mut dyn Trigger<Ints> = &mut NeverTrigger;
        let g = Namespace::Global;
        assert_eq!(h.element(t, 0, g), R::CONTINUE);
        assert_eq!(h.event(t, i64::MAX, g), R::CONTINUE);
        assert_eq!(h.processing(t, i64::MAX, g), R::CONTINUE);
        h.merge(t, g, &[]);
        assert!(h.timers.event_time.is_empty() && h.timers.processing_time.is_empty() && h.states.is_empty());
    }
}
