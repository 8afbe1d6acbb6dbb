//! Window operators end to end: real jobs through the executor with plain Rust values.
//!
//! A job is: a source of scripted items -> an operator that stamps timestamps and emits the
//! scripted watermarks -> key by -> window (hash exchange) -> main output sink and late side
//! output sink.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use oxflow_core::data::{DataModel, Record, MAIN_OUTPUT};
use oxflow_core::error::BoxError;
use oxflow_core::executor::start;
use oxflow_core::function::{AggregateFn, KeySelectorFn, Lifecycle, ReduceFn, SinkFn, WindowContext, WindowFn};
use oxflow_core::graph::{Edge, JobGraph, Partitioning};
use oxflow_core::operator::{Operator, Output, TaskInfo};
use oxflow_core::operators::{KeyByOperator, SelectOutputOperator, SinkOperator};
use oxflow_core::source::{Source, SourcePoll};
use oxflow_core::state::{BTreeMapEngineFactory, KvEngineFactory, Namespace};
use oxflow_core::time::{ManualClock, MIN_WATERMARK};
use oxflow_core::window::{CountTrigger, WindowAssigner, WindowContents, WindowOperator};

/// Values are `(key, timestamp, value)` going in, and whatever the window emits coming out.
struct M;
type V = (i64, i64, i64);
impl DataModel for M {
    type Value = V;
    type Key = i64;
    fn key_eq(a: &i64, b: &i64) -> bool {
        a == b
    }
    fn duplicate(v: &V) -> V {
        *v
    }
    fn duplicate_key(k: &i64) -> i64 {
        *k
    }
    // Encodings, so the window's contents can also live in a state engine.
    fn encode_value(v: &V, out: &mut Vec<u8>) -> Result<(), BoxError> {
        for x in [v.0, v.1, v.2] {
            out.extend_from_slice(&x.to_le_bytes());
        }
        Ok(())
    }
    fn decode_value(b: &[u8]) -> Result<V, BoxError> {
        let x = |i: usize| i64::from_le_bytes(b[i * 8..i * 8 + 8].try_into().unwrap());
        Ok((x(0), x(1), x(2)))
    }
    fn encode_key(k: &i64, out: &mut Vec<u8>) -> Result<(), BoxError> {
        out.extend_from_slice(&k.to_le_bytes());
        Ok(())
    }
    fn decode_key(b: &[u8]) -> Result<i64, BoxError> {
        Ok(i64::from_le_bytes(b.try_into().map_err(|_| oxflow_core::error::message("not an i64"))?))
    }
    fn hash_key(k: &i64) -> Result<u64, BoxError> {
        Ok(*k as u64)
    }
}

/// What the scripted source produces, in order.
#[derive(Clone, Copy, Debug)]
enum Item {
    /// An element `(key, timestamp, value)`.
    E(i64, i64, i64),
    /// A watermark.
    W(i64),
    /// Set the processing-time clock.
    Clock(i64),
}
use Item::{Clock, E, W};

/// Marks a scripted watermark travelling as a record to the timestamp operator.
const WATERMARK_MARK: i64 = i64::MIN;

/// One item per poll, so processing time (set by the source) moves between records.
struct Script {
    items: std::vec::IntoIter<Item>,
    clock: Option<ManualClock>,
}
impl Source<M> for Script {
    fn poll(&mut self, _: usize) -> Result<SourcePoll<M>, BoxError> {
        Ok(match self.items.next() {
            None => SourcePoll::Finished,
            Some(E(k, t, v)) => SourcePoll::Records(vec![Record::new((k, t, v))]),
            Some(W(w)) => SourcePoll::Records(vec![Record::new((WATERMARK_MARK, w, 0))]),
            Some(Clock(now)) => {
                self.clock.as_ref().expect("a job with a manual clock").set(now);
                SourcePoll::Records(vec![])
            }
        })
    }
}

/// Sets each record's timestamp from its value and turns watermark marks into watermarks.
struct Timestamps {
    watermark: i64,
}
impl Operator<M> for Timestamps {
    fn process(&mut self, _: usize, records: Vec<Record<M>>, out: &mut Output<M>) -> Result<(), BoxError> {
        for mut r in records {
            if r.value.0 == WATERMARK_MARK {
                if r.value.1 > self.watermark {
                    self.watermark = r.value.1;
                    out.emit_watermark(r.value.1);
                }
            } else {
                r.timestamp = Some(r.value.1);
                out.push(r);
            }
        }
        Ok(())
    }
}

struct ByKey;
impl Lifecycle for ByKey {}
impl KeySelectorFn<M> for ByKey {
    fn key(&mut self, v: &V) -> Result<(i64, u64), BoxError> {
        Ok((v.0, v.0 as u64))
    }
}

/// Sums values, keeping the key and the latest timestamp.
struct Sum;
impl Lifecycle for Sum {}
impl ReduceFn<M> for Sum {
    fn reduce(&mut self, a: &V, b: V) -> Result<V, BoxError> {
        Ok((a.0, a.1.max(b.1), a.2 + b.2))
    }
}

/// Counts elements: `(key, 0, count)`.
struct Count;
impl Lifecycle for Count {}
impl AggregateFn<M> for Count {
    fn create_accumulator(&mut self) -> Result<V, BoxError> {
        Ok((0, 0, 0))
    }
    fn add(&mut self, v: V, acc: V) -> Result<V, BoxError> {
        Ok((v.0, 0, acc.2 + 1))
    }
    fn get_result(&mut self, acc: &V) -> Result<V, BoxError> {
        Ok(*acc)
    }
    fn merge(&mut self, a: V, b: V) -> Result<V, BoxError> {
        Ok((a.0, 0, a.2 + b.2))
    }
}

/// Emits `(key, window start, sum of values)`; for the global window the start is the number of
/// elements.
struct StartAndSum;
impl Lifecycle for StartAndSum {}
impl WindowFn<M> for StartAndSum {
    fn process(&mut self, ctx: &mut WindowContext<'_, M>, elements: Vec<V>, emit: &mut dyn FnMut(V)) -> Result<(), BoxError> {
        let start = match ctx.window {
            Namespace::Window { start, .. } => start,
            _ => elements.len() as i64,
        };
        emit((*ctx.key, start, elements.iter().map(|e| e.2).sum()));
        Ok(())
    }
}

/// `(subtask, record timestamp, value)` in arrival order.
type Rows = Arc<Mutex<Vec<(usize, Option<i64>, V)>>>;

struct Collect {
    rows: Rows,
    subtask: usize,
}
impl Lifecycle for Collect {
    fn open(&mut self, t: &TaskInfo) -> Result<(), BoxError> {
        self.subtask = t.subtask_index;
        Ok(())
    }
}
impl SinkFn<M> for Collect {
    fn write(&mut self, records: Vec<Record<M>>) -> Result<(), BoxError> {
        self.rows.lock().unwrap().extend(records.into_iter().map(|r| (self.subtask, r.timestamp, r.value)));
        Ok(())
    }
}

const LATE: u32 = 7;

type MakeWindow = Arc<dyn Fn() -> WindowOperator<M> + Send + Sync>;

struct Job {
    items: Vec<Item>,
    parallelism: usize,
    window: MakeWindow,
    clock: Option<ManualClock>,
}

struct Results {
    /// `(subtask, timestamp, value)` per output, in arrival order.
    main: Vec<(usize, Option<i64>, V)>,
    late: Vec<(usize, Option<i64>, V)>,
}

impl Results {
    /// `(timestamp, value)` sorted: the multiset of what was emitted.
    fn sorted(rows: &[(usize, Option<i64>, V)]) -> Vec<(Option<i64>, V)> {
        let mut v: Vec<_> = rows.iter().map(|r| (r.1, r.2)).collect();
        v.sort();
        v
    }

    fn main(&self) -> Vec<(Option<i64>, V)> {
        Self::sorted(&self.main)
    }

    fn late(&self) -> Vec<(Option<i64>, V)> {
        Self::sorted(&self.late)
    }
}

fn window(make: impl Fn() -> WindowOperator<M> + Send + Sync + 'static) -> MakeWindow {
    Arc::new(make)
}

fn job(items: Vec<Item>, parallelism: usize, window: MakeWindow) -> Job {
    Job { items, parallelism, window, clock: None }
}

/// How often [`Job::run`] runs a job (counters shared by the window closure add up).
const RUNS: u64 = 2;

impl Job {
    /// Runs the job with the window's contents in memory, then in a state engine whose cache
    /// holds two entries (so contents go through write-back constantly): both emit the same.
    fn run(self) -> Results {
        let engine = Arc::new(BTreeMapEngineFactory { cache_entries: 2 });
        let again = Job { items: self.items.clone(), parallelism: self.parallelism, window: self.window.clone(), clock: self.clock.clone() };
        let memory = self.run_with(None);
        let engine = again.run_with(Some(engine));
        assert_eq!(memory.main(), engine.main(), "the state engine changed the window's output");
        assert_eq!(memory.late(), engine.late(), "the state engine changed the late output");
        memory
    }

    fn run_with(self, backend: Option<Arc<dyn KvEngineFactory>>) -> Results {
        let Job { items, parallelism, window, clock } = self;
        let mut g = JobGraph::<M>::new("windows");
        g.config.state_backend = backend;
        if let Some(c) = &clock {
            g.config.clock = Arc::new(c.clone());
        }
        let source_clock = clock.clone();
        let src = g.add_source(
            "Script",
            1,
            Box::new(move |_| Ok(Box::new(Script { items: items.clone().into_iter(), clock: source_clock.clone() }) as Box<dyn Source<M>>)),
        );
        let forward = |from| vec![Edge { from, partitioning: Partitioning::Forward, port: 0 }];
        let ts = g
            .add_operator(
                "Timestamps",
                1,
                Box::new(|_| Ok(Box::new(Timestamps { watermark: MIN_WATERMARK }) as Box<dyn Operator<M>>)),
                forward(src),
            )
            .unwrap();
        let key_by = g
            .add_operator("KeyBy", 1, Box::new(|_| Ok(Box::new(KeyByOperator::new(ByKey)) as Box<dyn Operator<M>>)), forward(ts))
            .unwrap();
        // Processing-time tests chain everything (parallelism 1) so the clock is read in step.
        let partitioning = if clock.is_some() { Partitioning::Forward } else { Partitioning::Hash };
        let win = g
            .add_operator(
                "Window",
                parallelism,
                Box::new(move |task| Ok(Box::new(window().for_task(task)?) as Box<dyn Operator<M>>)),
                vec![Edge { from: key_by, partitioning, port: 0 }],
            )
            .unwrap();
        let mut sink = |tag: u32| -> Rows {
            let rows: Rows = Arc::default();
            let select = g
                .add_operator(
                    format!("Select {tag}"),
                    parallelism,
                    Box::new(move |_| Ok(Box::new(SelectOutputOperator::new(tag)) as Box<dyn Operator<M>>)),
                    forward(win),
                )
                .unwrap();
            let r = rows.clone();
            g.add_operator(
                format!("Sink {tag}"),
                parallelism,
                Box::new(move |_| Ok(Box::new(SinkOperator::new(Collect { rows: r.clone(), subtask: 0 })) as Box<dyn Operator<M>>)),
                forward(select),
            )
            .unwrap();
            rows
        };
        let main = sink(MAIN_OUTPUT);
        let late = sink(LATE);
        start(g).unwrap().wait().unwrap();
        let main = main.lock().unwrap().clone();
        let late = late.lock().unwrap().clone();
        Results { main, late }
    }
}

fn tumbling(size: i64) -> WindowAssigner {
    WindowAssigner::tumbling_event_time(size, 0).unwrap()
}

/// Elements of keys 1..=3 over 0..100 ms, in order, with a watermark after each 5 ms.
fn ordered_events() -> Vec<Item> {
    let mut items = Vec::new();
    for t in 0..100 {
        items.push(E(t % 3 + 1, t, t));
        if t % 5 == 4 {
            items.push(W(t));
        }
    }
    items
}

#[test]
fn tumbling_sum_is_the_same_at_any_parallelism_and_fires_in_time_order() {
    let make = window(|| WindowOperator::with_default_trigger(tumbling(20), WindowContents::Reduce(Box::new(Sum))));
    let one = job(ordered_events(), 1, make.clone()).run();
    let four = job(ordered_events(), 4, make).run();
    let mut expected = Vec::new();
    for start in (0..100).step_by(20) {
        for key in 1..=3 {
            let ts: Vec<i64> = (start..start + 20).filter(|t| t % 3 + 1 == key).collect();
            expected.push((Some(start + 19), (key, *ts.last().unwrap(), ts.iter().sum())));
        }
    }
    expected.sort();
    assert_eq!(one.main(), expected);
    assert_eq!(four.main(), expected);
    assert!(one.late.is_empty() && four.late.is_empty());
    // One instance emits windows in the order of their end.
    let times: Vec<i64> = one.main.iter().map(|r| r.1.unwrap()).collect();
    assert!(times.windows(2).all(|w| w[0] <= w[1]), "{times:?}");
    // Each window fired as soon as its watermark came: a key's windows arrive in order everywhere.
    for key in 1..=3 {
        let starts: Vec<i64> = four.main.iter().filter(|r| r.2 .0 == key).map(|r| r.1.unwrap()).collect();
        assert!(starts.windows(2).all(|w| w[0] < w[1]), "key {key}: {starts:?}");
    }
    let mut owners: Vec<(i64, usize)> = four.main.iter().map(|r| (r.2 .0, r.0)).collect();
    owners.sort();
    owners.dedup();
    assert_eq!(owners.len(), 3, "each key on one instance: {owners:?}");
}

#[test]
fn sliding_windows_with_a_window_function() {
    let items = vec![E(1, 0, 1), E(1, 4, 2), E(2, 6, 10), E(1, 11, 4), W(30), E(1, 31, 8)];
    let make = window(|| {
        WindowOperator::with_default_trigger(WindowAssigner::sliding_event_time(10, 5, 0).unwrap(), WindowContents::Buffer)
            .window_fn(Box::new(StartAndSum))
    });
    let expected = vec![
        (Some(4), (1, -5, 3)),
        (Some(9), (1, 0, 3)),
        (Some(9), (2, 0, 10)),
        (Some(14), (1, 5, 4)),
        (Some(14), (2, 5, 10)),
        (Some(19), (1, 10, 4)),
        (Some(34), (1, 25, 8)),
        (Some(39), (1, 30, 8)),
    ];
    assert_eq!(job(items.clone(), 1, make.clone()).run().main(), expected);
    assert_eq!(job(items, 4, make).run().main(), expected);
}

#[test]
fn sliding_windows_with_an_aggregate() {
    let items = vec![E(1, 0, 1), E(1, 4, 2), E(1, 11, 4)];
    let make = window(|| {
        WindowOperator::with_default_trigger(WindowAssigner::sliding_event_time(10, 5, 0).unwrap(), WindowContents::Aggregate(Box::new(Count)))
    });
    let expected = vec![(Some(4), (1, 0, 2)), (Some(9), (1, 0, 2)), (Some(14), (1, 0, 1)), (Some(19), (1, 0, 1))];
    assert_eq!(job(items, 2, make).run().main(), expected);
}

#[test]
fn sessions_merge_when_a_late_element_bridges_them() {
    let counter = Arc::new(AtomicU64::new(0));
    let c = counter.clone();
    let make = window(move || {
        WindowOperator::with_default_trigger(WindowAssigner::event_time_session(10).unwrap(), WindowContents::Buffer)
            .window_fn(Box::new(StartAndSum))
            .late_dropped_counter(c.clone())
    });
    let items = vec![
        E(1, 0, 1),   // [0, 10)
        E(1, 15, 2),  // [15, 25)
        E(2, 3, 100), // [3, 13)
        W(7),
        E(1, 5, 4), // behind the watermark, but [5, 15) joins both live sessions: [0, 25)
        W(13),      // key 2's session ends
        E(2, 4, 8), // late: [4, 14) is over and merges with nothing
        E(1, 30, 16),
        W(100),
        E(1, 50, 32), // late
    ];
    let results = job(items, 4, make).run();
    assert_eq!(results.main(), vec![(Some(12), (2, 3, 100)), (Some(24), (1, 0, 7)), (Some(39), (1, 30, 16))]);
    assert_eq!(counter.load(Ordering::SeqCst), 2 * RUNS, "two late elements dropped");
    assert!(results.late.is_empty());
}

#[test]
fn dynamic_session_gaps() {
    // The gap is the element's value.
    let make = window(|| {
        WindowOperator::with_default_trigger(WindowAssigner::DynamicEventTimeSession, WindowContents::Reduce(Box::new(Sum)))
            .dynamic_gap(Box::new(|v: &V| Ok(v.2)))
    });
    let items = vec![
        E(1, 0, 10),  // [0, 10)
        E(1, 20, 5),  // [20, 25)
        E(2, 0, 1),   // [0, 1)
        E(2, 1, 1),   // [1, 2): touches [0, 1)
        E(1, 10, 10), // [10, 20): touches both sessions of key 1
        E(1, 40, 1),
    ];
    let expected = vec![(Some(1), (2, 1, 2)), (Some(24), (1, 20, 25)), (Some(40), (1, 40, 1))];
    assert_eq!(job(items.clone(), 1, make.clone()).run().main(), expected);
    assert_eq!(job(items, 4, make).run().main(), expected);
}

#[test]
fn count_windows_tumble_and_slide() {
    let items: Vec<Item> = (1..=8).map(|v| E(v % 2, v, v)).collect();
    // Key 1 gets 1, 3, 5, 7; key 0 gets 2, 4, 6, 8.
    let tumbling = window(|| WindowOperator::count_window(3, WindowContents::Reduce(Box::new(Sum))));
    let r = job(items.clone(), 2, tumbling).run();
    assert_eq!(r.main(), vec![(Some(i64::MAX), (0, 6, 12)), (Some(i64::MAX), (1, 5, 9))], "the fourth elements never fire");
    // PyFlink's count_window(3, 2): windows of elements [0..2], [2..4], ... of each key, fired
    // when complete: key 0 fires [2, 4, 6], key 1 fires [1, 3, 5]; [6, 8] and [5, 7] never fire.
    let sliding = window(|| WindowOperator::sliding_count_window(3, 2, WindowContents::Buffer).window_fn(Box::new(StartAndSum)));
    let r = job(items.clone(), 2, sliding).run();
    let max = Some(i64::MAX);
    assert_eq!(r.main(), vec![(max, (0, 3, 12)), (max, (1, 3, 9))]);
    // Java's countWindow(3, 2) (global windows, CountTrigger(2), CountEvictor(3)) stays available.
    let java = window(|| {
        WindowOperator::new(WindowAssigner::Global, Box::new(CountTrigger::of(2)), WindowContents::Buffer)
            .count_evictor(3)
            .window_fn(Box::new(StartAndSum))
    });
    let r = job(items, 2, java).run();
    assert_eq!(r.main(), vec![(max, (0, 2, 6)), (max, (0, 3, 18)), (max, (1, 2, 4)), (max, (1, 3, 15))]);
}

/// The input of the PyFlink references `tests/data/pyflink_reference/windows/count_*.json`
/// (keys a = 1, b = 2).
fn pyflink_count_input() -> Vec<Item> {
    let input = [(1, 1), (2, 10), (1, 2), (1, 3), (2, 20), (1, 4), (1, 5), (2, 30), (1, 6), (2, 40), (1, 7), (1, 8), (2, 50)];
    input.iter().map(|&(k, v)| E(k, 0, v)).collect()
}

#[test]
fn count_windows_match_the_pyflink_references() {
    let in_order = |r: Results| -> Vec<(i64, i64)> { r.main.iter().map(|row| (row.2 .0, row.2 .2)).collect() };
    // count_sliding.json: (a,6) (a,12) (b,60) (a,18) (b,120).
    let sliding = window(|| WindowOperator::sliding_count_window(3, 2, WindowContents::Reduce(Box::new(Sum))));
    assert_eq!(in_order(job(pyflink_count_input(), 1, sliding).run()), vec![(1, 6), (1, 12), (2, 60), (1, 18), (2, 120)]);
    // count_tumbling.json: (a,6) (b,60) (a,15).
    let tumbling = window(|| WindowOperator::count_window(3, WindowContents::Reduce(Box::new(Sum))));
    assert_eq!(in_order(job(pyflink_count_input(), 1, tumbling).run()), vec![(1, 6), (2, 60), (1, 15)]);
    // The same windows at parallelism 4 (per key order is kept).
    let sliding = window(|| WindowOperator::sliding_count_window(3, 2, WindowContents::Reduce(Box::new(Sum))));
    let mut four = in_order(job(pyflink_count_input(), 4, sliding).run());
    four.sort();
    assert_eq!(four, vec![(1, 6), (1, 12), (1, 18), (2, 60), (2, 120)]);
}

#[test]
fn allowed_lateness_refires_windows_and_later_elements_go_to_the_side_output() {
    let counter = Arc::new(AtomicU64::new(0));
    let c = counter.clone();
    let make = window(move || {
        WindowOperator::with_default_trigger(tumbling(10), WindowContents::Reduce(Box::new(Sum)))
            .allowed_lateness(5)
            .late_output_tag(LATE)
            .late_dropped_counter(c.clone())
    });
    let items = vec![
        E(1, 1, 1),
        E(1, 12, 100),
        W(9),        // [0, 10) fires: 1
        E(1, 2, 2),  // late but allowed: fires again with 3
        W(14),       // [0, 10) is cleaned up
        E(1, 3, 4),  // too late: side output
        E(1, 13, 8), // in time for [10, 20)
    ];
    for p in [1, 3] {
        let r = job(items.clone(), p, make.clone()).run();
        assert_eq!(r.main(), vec![(Some(9), (1, 1, 1)), (Some(9), (1, 2, 3)), (Some(19), (1, 13, 108))]);
        assert_eq!(r.late(), vec![(Some(3), (1, 3, 4))], "a late element keeps its timestamp");
    }
    assert_eq!(counter.load(Ordering::SeqCst), 0, "nothing dropped with a side output");
}

#[test]
fn late_elements_without_a_side_output_are_counted() {
    let counter = Arc::new(AtomicU64::new(0));
    let c = counter.clone();
    let make = window(move || {
        WindowOperator::with_default_trigger(tumbling(10), WindowContents::Reduce(Box::new(Sum))).late_dropped_counter(c.clone())
    });
    let mut items = vec![W(50)];
    items.extend((0..40).map(|t| E(t % 5, t, 1)));
    items.push(E(1, 55, 1));
    let r = job(items, 4, make).run();
    assert_eq!(r.main(), vec![(Some(59), (1, 55, 1))]);
    assert!(r.late.is_empty());
    assert_eq!(counter.load(Ordering::SeqCst), 40 * RUNS, "summed over the parallel instances");
}

#[test]
fn processing_time_windows_fire_by_the_clock() {
    let clock = ManualClock::new(0);
    let make = window(|| {
        WindowOperator::with_default_trigger(WindowAssigner::tumbling_processing_time(100, 0).unwrap(), WindowContents::Buffer)
            .window_fn(Box::new(StartAndSum))
    });
    let items = vec![
        Clock(1_010),
        E(1, 0, 1),
        E(2, 0, 2),
        Clock(1_050),
        E(1, 0, 4),
        Clock(1_098),
        E(1, 0, 8), // still in [1000, 1100)
        Clock(1_100), // fires [1000, 1100)
        E(1, 0, 16),
        Clock(1_250), // fires [1100, 1200)
        E(2, 0, 32),
        Clock(1_260), // [1200, 1300) is still open at the end of the input: never fires
    ];
    let r = Job { items, parallelism: 1, window: make, clock: Some(clock) }.run();
    let rows: Vec<(Option<i64>, V)> = r.main.iter().map(|r| (r.1, r.2)).collect();
    assert_eq!(rows, vec![(Some(1_099), (1, 1_000, 13)), (Some(1_099), (2, 1_000, 2)), (Some(1_199), (1, 1_100, 16))]);
}

#[test]
fn processing_time_sessions_merge_by_the_clock() {
    let clock = ManualClock::new(0);
    let make = window(|| {
        WindowOperator::with_default_trigger(WindowAssigner::processing_time_session(10).unwrap(), WindowContents::Reduce(Box::new(Sum)))
    });
    let items = vec![Clock(100), E(1, 0, 1), Clock(105), E(1, 0, 2), Clock(113), E(1, 0, 4), Clock(200), E(1, 0, 8), Clock(300)];
    let r = Job { items, parallelism: 1, window: make, clock: Some(clock) }.run();
    let rows: Vec<(Option<i64>, V)> = r.main.iter().map(|r| (r.1, r.2)).collect();
    assert_eq!(rows, vec![(Some(122), (1, 0, 7)), (Some(209), (1, 0, 8))]);
}

#[test]
fn sessions_are_the_same_at_any_parallelism() {
    let mut items = Vec::new();
    for t in 0..300 {
        // Keys 0..7 with bursts separated by quiet periods.
        if (t / 20) % 3 != 2 {
            items.push(E(t % 7, t, 1));
        }
        if t % 10 == 9 {
            items.push(W(t - 15));
        }
    }
    let make = window(|| {
        WindowOperator::with_default_trigger(WindowAssigner::event_time_session(8).unwrap(), WindowContents::Buffer)
            .window_fn(Box::new(StartAndSum))
    });
    let one = job(items.clone(), 1, make.clone()).run();
    let four = job(items, 4, make).run();
    assert!(!one.main.is_empty());
    assert_eq!(one.main(), four.main());
    assert_eq!(one.main().iter().map(|r| r.1 .2).sum::<i64>(), 200, "every element in one session");
}
