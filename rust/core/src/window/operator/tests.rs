//! Unit tests of the window operator, driven directly (no executor).

use std::sync::Mutex;

use super::*;
use crate::data::{Keyed, MAIN_OUTPUT};
use crate::function::{AggregateFn, Lifecycle, ReduceFn, WindowContext};
use crate::state::Namespace;
use crate::test_support::Ints;
use crate::time::{ManualClock, MAX_WATERMARK};
use crate::window::trigger::{ContinuousEventTimeTrigger, CountTrigger, EventTimeTrigger, TriggerContext, TriggerResult};

pub(super) struct Sum;
impl Lifecycle for Sum {}
impl ReduceFn<Ints> for Sum {
    fn reduce(&mut self, a: &i64, b: i64) -> Result<i64, BoxError> {
        Ok(a + b)
    }
}

/// Counts elements; the result is count * 100.
pub(super) struct Count;
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
pub(super) struct Describe {
    cleared: Arc<Mutex<Vec<Namespace>>>,
}
impl Lifecycle for Describe {}
impl WindowFn<Ints> for Describe {
    fn process(&mut self, ctx: &mut WindowContext<'_, Ints>, elements: Vec<i64>, emit: &mut dyn FnMut(i64)) -> Result<(), BoxError> {
        let start = match ctx.window {
            Namespace::Window { start, .. } => start,
            _ => 0,
        };
        emit(start * 1000 + elements.iter().sum::<i64>());
        Ok(())
    }
    fn clear(&mut self, ctx: &mut WindowContext<'_, Ints>) -> Result<(), BoxError> {
        self.cleared.lock().unwrap().push(ctx.window);
        Ok(())
    }
}

/// Counts its firings per key (state shared by the key's windows) and per window (the window's
/// own state, removed in `clear`); emits `per key * 10_000 + per window * 1000 + sum`.
pub(super) struct Counting {
    /// Use per-window state (refused with merging windows).
    pub(super) per_window: bool,
}
impl Lifecycle for Counting {}

fn bump(ctx: &mut WindowContext<'_, Ints>, per_window: bool) -> Result<i64, BoxError> {
    let fires = ctx.state.register("fires", None);
    let n = ctx.state.at(fires, per_window)?.value()?.unwrap_or(0) + 1;
    ctx.state.at(fires, per_window)?.update(n)?;
    Ok(n)
}

impl WindowFn<Ints> for Counting {
    fn process(&mut self, ctx: &mut WindowContext<'_, Ints>, elements: Vec<i64>, emit: &mut dyn FnMut(i64)) -> Result<(), BoxError> {
        let per_key = bump(ctx, false)?;
        let per_window = if self.per_window { bump(ctx, true)? } else { 0 };
        emit(per_key * 10_000 + per_window * 1000 + elements.iter().sum::<i64>());
        Ok(())
    }
    fn clear(&mut self, ctx: &mut WindowContext<'_, Ints>) -> Result<(), BoxError> {
        if self.per_window {
            let fires = ctx.state.register("fires", None);
            ctx.state.at(fires, true)?.clear()?;
        }
        Ok(())
    }
}

pub(super) fn task(clock: &ManualClock) -> TaskInfo {
    crate::test_support::task_info("Window", clock)
}

pub(super) fn rec(key: i64, value: i64, ts: Option<i64>) -> Record<Ints> {
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

    fn is_empty(&mut self) -> bool {
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

    // PyFlink's sliding count windows: [0..2], [2..4], [4..6], ... each fired when complete.
    let mut h = Harness::new(WindowOperator::sliding_count_window(3, 2, WindowContents::Reduce(Box::new(Sum))));
    let fired: Vec<i64> = (1..=8).flat_map(|v| h.send(1, v, v)).map(|r| r.1).collect();
    assert_eq!(fired, vec![1 + 2 + 3, 3 + 4 + 5, 5 + 6 + 7]);
    assert_eq!(h.watermark(MAX_WATERMARK).0, vec![], "the incomplete window [6..8] never fires");
    assert_eq!(h.op.window_count(), 1, "only the incomplete window keeps contents");
    assert!(h.op.trigger_states.len() == 1 && h.op.timer_count() == 0);
    let mut h = Harness::new(
        WindowOperator::sliding_count_window(2, 1, WindowContents::Buffer).window_fn(Box::new(Describe::default())),
    );
    let fired: Vec<i64> = (1..=4).flat_map(|v| h.send(1, v, v)).map(|r| r.1).collect();
    assert_eq!(fired, vec![3, 5, 7]);
}

#[test]
fn count_windows_count_per_key() {
    // The count_sliding / count_tumbling PyFlink references: a = 1..8 and b = 10..50 interleaved.
    let input = [(1, 1), (2, 10), (1, 2), (1, 3), (2, 20), (1, 4), (1, 5), (2, 30), (1, 6), (2, 40), (1, 7), (1, 8), (2, 50)];
    let mut h = Harness::new(WindowOperator::sliding_count_window(3, 2, WindowContents::Reduce(Box::new(Sum))));
    let fired: Vec<(i64, i64)> = input.iter().flat_map(|&(k, v)| h.send(k, v, 0)).map(|r| (r.0, r.1)).collect();
    assert_eq!(fired, vec![(1, 6), (1, 12), (2, 60), (1, 18), (2, 120)]);
    let mut h = Harness::new(WindowOperator::count_window(3, WindowContents::Reduce(Box::new(Sum))));
    let fired: Vec<(i64, i64)> = input.iter().flat_map(|&(k, v)| h.send(k, v, 0)).map(|r| (r.0, r.1)).collect();
    assert_eq!(fired, vec![(1, 6), (2, 60), (1, 15)]);
}

#[test]
fn java_count_windows_are_global_windows_with_a_count_trigger_and_evictor() {
    // Java's countWindow(3, 2): every 2 elements, fire over the last 3.
    let java = |size: usize, slide: i64, contents| {
        WindowOperator::new(WindowAssigner::Global, Box::new(CountTrigger::of(slide)), contents).count_evictor(size)
    };
    let mut h = Harness::new(java(3, 2, WindowContents::Reduce(Box::new(Sum))));
    let fired: Vec<i64> = (1..=7).flat_map(|v| h.send(1, v, v)).map(|r| r.1).collect();
    assert_eq!(fired, vec![1 + 2, 2 + 3 + 4, 4 + 5 + 6]);
    let mut h = Harness::new(java(2, 1, WindowContents::Buffer).window_fn(Box::new(Describe::default())));
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

#[test]
fn window_functions_keep_state_per_key_and_per_window() {
    let op = WindowOperator::with_default_trigger(tumbling(10), WindowContents::Buffer)
        .window_fn(Box::new(Counting { per_window: true }))
        .allowed_lateness(5);
    let mut h = Harness::new(op);
    h.send(1, 1, 2);
    h.send(2, 5, 2);
    assert_eq!(h.watermark(10).0, vec![(1, 11_001, Some(9), 0), (2, 11_005, Some(9), 0)]);
    // A late firing of the same window sees its window state again.
    assert_eq!(h.send(1, 2, 4), vec![(1, 22_003, Some(9), 0)]);
    // Cleanup calls clear, which drops the window state; the per-key state stays.
    h.watermark(14);
    assert_eq!(h.op.store.len(), 2, "one per-key entry per key");
    assert!(h.is_empty());
    h.send(1, 7, 12);
    assert_eq!(h.watermark(20).0, vec![(1, 31_007, Some(19), 0)]);
}

#[test]
fn merging_windows_refuse_per_window_state() {
    let sessions = WindowAssigner::event_time_session(10).unwrap();
    let op = WindowOperator::with_default_trigger(sessions.clone(), WindowContents::Buffer).window_fn(Box::new(Counting { per_window: false }));
    let mut h = Harness::new(op);
    h.send(1, 1, 0);
    h.send(1, 2, 5);
    assert_eq!(h.watermark(100).0, vec![(1, 10_003, Some(14), 0)], "per-key state works");
    let op = WindowOperator::with_default_trigger(sessions, WindowContents::Buffer).window_fn(Box::new(Counting { per_window: true }));
    let mut h = Harness::new(op);
    h.send(1, 1, 0);
    let err = h.op.on_watermark(100, &mut Output::default()).unwrap_err().to_string();
    assert_eq!(err, "Per-window state is not allowed when using merging windows.");
}
