//! Watermarks across tasks: the watermark of an operator with several input channels is the
//! minimum over them, idle channels (`with_idleness`) are left out, a channel active again joins
//! the minimum again, and the end of input still fires everything.
//!
//! Two controlled sources, each chained with a timestamp/watermark assigner (watermark = largest
//! timestamp - 1, emitted on every record), feed a probe that logs what reaches it, then a keyed
//! tumbling event-time window and a sink. Processing time is a `ManualClock` the test moves.

use std::sync::mpsc;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use oxflow_core::data::{DataModel, Record};
use oxflow_core::error::BoxError;
use oxflow_core::executor::start;
use oxflow_core::function::{KeySelectorFn, Lifecycle, ReduceFn, SinkFn, TimestampAssignerFn};
use oxflow_core::graph::{Edge, JobGraph, Partitioning};
use oxflow_core::operator::{Marker, Operator, Output, TaskInfo};
use oxflow_core::operators::{KeyByOperator, SinkOperator, TimestampsAndWatermarksOperator, WatermarkEmission};
use oxflow_core::source::{Source, SourcePoll};
use oxflow_core::time::{ManualClock, WatermarkGenerator, WatermarkStrategy, MAX_WATERMARK};
use oxflow_core::window::{WindowAssigner, WindowContents, WindowOperator};

/// Values are `(key, timestamp, value)`.
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
}

/// What a controlled source does next.
enum Cmd {
    /// Emit `(0, timestamp, value)`.
    Emit(i64, i64),
    Finish,
}

/// Emits what the test sends it; pending (so the task keeps ticking) while there is nothing.
struct Controlled {
    commands: mpsc::Receiver<Cmd>,
}
impl Source<M> for Controlled {
    fn poll(&mut self, _: usize) -> Result<SourcePoll<M>, BoxError> {
        Ok(match self.commands.try_recv() {
            Ok(Cmd::Emit(t, v)) => SourcePoll::Records(vec![Record::new((0, t, v))]),
            Ok(Cmd::Finish) | Err(mpsc::TryRecvError::Disconnected) => SourcePoll::Finished,
            Err(mpsc::TryRecvError::Empty) => SourcePoll::Pending,
        })
    }
}

struct ByTimestamp;
impl Lifecycle for ByTimestamp {}
impl TimestampAssignerFn<M> for ByTimestamp {
    fn extract_timestamp(&mut self, v: &V, _: Option<i64>) -> Result<i64, BoxError> {
        Ok(v.1)
    }
}

fn assigner(idle_timeout_ms: Option<i64>) -> TimestampsAndWatermarksOperator<ByTimestamp> {
    let generator = WatermarkGenerator::new(WatermarkStrategy::BoundedOutOfOrderness { max_out_of_orderness_ms: 0 });
    TimestampsAndWatermarksOperator::new(Some(ByTimestamp), generator, WatermarkEmission::OnEvent).with_idle_timeout(idle_timeout_ms)
}

/// What reached the probe, in order.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Seen {
    Record(i64),
    Watermark(i64),
    Idle(bool),
}

type Log = Arc<Mutex<Vec<Seen>>>;

/// Logs records, watermarks and status changes, and forwards them.
struct Probe {
    log: Log,
}
impl Operator<M> for Probe {
    fn process(&mut self, _: usize, records: Vec<Record<M>>, out: &mut Output<M>) -> Result<(), BoxError> {
        let mut log = self.log.lock().unwrap();
        for r in records {
            log.push(Seen::Record(r.value.1));
            out.push(r);
        }
        Ok(())
    }
    fn on_watermark(&mut self, watermark: i64, out: &mut Output<M>) -> Result<(), BoxError> {
        self.log.lock().unwrap().push(Seen::Watermark(watermark));
        out.emit_watermark(watermark);
        Ok(())
    }
    fn on_idle(&mut self, idle: bool, out: &mut Output<M>) -> Result<(), BoxError> {
        self.log.lock().unwrap().push(Seen::Idle(idle));
        out.emit_idle(idle);
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

struct Sum;
impl Lifecycle for Sum {}
impl ReduceFn<M> for Sum {
    fn reduce(&mut self, a: &V, b: V) -> Result<V, BoxError> {
        Ok((a.0, a.1.max(b.1), a.2 + b.2))
    }
}

/// `(record timestamp, value sum)` of the fired windows.
type Fired = Arc<Mutex<Vec<(Option<i64>, i64)>>>;

struct Collect {
    fired: Fired,
}
impl Lifecycle for Collect {}
impl SinkFn<M> for Collect {
    fn write(&mut self, records: Vec<Record<M>>) -> Result<(), BoxError> {
        self.fired.lock().unwrap().extend(records.into_iter().map(|r| (r.timestamp, r.value.2)));
        Ok(())
    }
}

/// A running job with its two sources' controls.
struct Running {
    a: mpsc::Sender<Cmd>,
    b: mpsc::Sender<Cmd>,
    log: Log,
    fired: Fired,
    clock: ManualClock,
    job: oxflow_core::executor::RunningJob,
}

fn run(idle_a: Option<i64>, idle_b: Option<i64>) -> Running {
    let clock = ManualClock::new(0);
    let mut g = JobGraph::<M>::new("watermarks");
    g.config.clock = Arc::new(clock.clone());
    let (a, a_rx) = mpsc::channel();
    let (b, b_rx) = mpsc::channel();
    let forward = |from| vec![Edge { from, partitioning: Partitioning::Forward, port: 0 }];
    let mut source = |name: &str, commands: mpsc::Receiver<Cmd>, idle: Option<i64>| {
        let commands = Mutex::new(Some(commands));
        let src = g.add_source(
            name,
            1,
            Box::new(move |_| {
                let commands = commands.lock().unwrap().take().expect("one source instance");
                Ok(Box::new(Controlled { commands }) as Box<dyn Source<M>>)
            }),
        );
        g.add_operator(format!("{name} timestamps"), 1, Box::new(move |_| Ok(Box::new(assigner(idle)) as Box<dyn Operator<M>>)), forward(src))
            .unwrap()
    };
    let ts_a = source("A", a_rx, idle_a);
    let ts_b = source("B", b_rx, idle_b);
    let log: Log = Arc::default();
    let l = log.clone();
    let probe = g
        .add_operator(
            "Probe",
            1,
            Box::new(move |_| Ok(Box::new(Probe { log: l.clone() }) as Box<dyn Operator<M>>)),
            vec![
                Edge { from: ts_a, partitioning: Partitioning::Rebalance, port: 0 },
                Edge { from: ts_b, partitioning: Partitioning::Rebalance, port: 0 },
            ],
        )
        .unwrap();
    let key_by = g
        .add_operator("KeyBy", 1, Box::new(|_| Ok(Box::new(KeyByOperator::new(ByKey)) as Box<dyn Operator<M>>)), forward(probe))
        .unwrap();
    let win = g
        .add_operator(
            "Window",
            1,
            Box::new(|_| {
                let assigner = WindowAssigner::tumbling_event_time(50, 0).unwrap();
                Ok(Box::new(WindowOperator::with_default_trigger(assigner, WindowContents::Reduce(Box::new(Sum)))) as Box<dyn Operator<M>>)
            }),
            vec![Edge { from: key_by, partitioning: Partitioning::Hash, port: 0 }],
        )
        .unwrap();
    let fired: Fired = Arc::default();
    let f = fired.clone();
    g.add_operator(
        "Sink",
        1,
        Box::new(move |_| Ok(Box::new(SinkOperator::new(Collect { fired: f.clone() })) as Box<dyn Operator<M>>)),
        forward(win),
    )
    .unwrap();
    let job = start(g).unwrap();
    Running { a, b, log, fired, clock, job }
}

impl Running {
    /// Waits until the probe saw `seen`.
    fn wait_for(&self, seen: Seen) {
        let deadline = Instant::now() + Duration::from_secs(20);
        while !self.log.lock().unwrap().contains(&seen) {
            assert!(Instant::now() < deadline, "{seen:?} never reached the probe; it saw {:?}", self.log.lock().unwrap());
            std::thread::sleep(Duration::from_millis(1));
        }
    }

    fn watermarks(&self) -> Vec<i64> {
        self.log.lock().unwrap().iter().filter_map(|s| if let Seen::Watermark(w) = s { Some(*w) } else { None }).collect()
    }

    fn statuses(&self) -> Vec<bool> {
        self.log.lock().unwrap().iter().filter_map(|s| if let Seen::Idle(i) = s { Some(*i) } else { None }).collect()
    }

    /// Emits from `source` and waits until the record reached the probe.
    fn emit(&self, source: &mpsc::Sender<Cmd>, timestamp: i64, value: i64) {
        source.send(Cmd::Emit(timestamp, value)).unwrap();
        self.wait_for(Seen::Record(timestamp));
    }

    fn finish(self) -> (Vec<Seen>, Vec<(Option<i64>, i64)>) {
        self.a.send(Cmd::Finish).unwrap();
        self.b.send(Cmd::Finish).unwrap();
        self.job.wait().unwrap();
        let log = self.log.lock().unwrap().clone();
        let fired = self.fired.lock().unwrap().clone();
        (log, fired)
    }
}

#[test]
fn idle_inputs_are_left_out_of_the_watermark_until_they_are_active_again() {
    let r = run(Some(100), Some(100));
    // The minimum over both inputs: B holds A back.
    r.emit(&r.a, 10, 1);
    r.emit(&r.b, 20, 2);
    r.wait_for(Seen::Watermark(9));
    r.emit(&r.a, 30, 4);
    r.wait_for(Seen::Watermark(19));
    r.clock.set(50);
    r.emit(&r.a, 40, 8);
    assert_eq!(r.watermarks(), vec![9, 19], "B (at 19) holds the watermark back");

    // B has had no record for 100 ms (A only for 70): B is idle, the watermark follows A alone.
    r.clock.set(120);
    r.wait_for(Seen::Watermark(39));
    r.emit(&r.a, 60, 16);
    r.wait_for(Seen::Watermark(59));
    assert!(r.statuses().is_empty(), "A is active: the probe's input is not idle");

    // B is active again with its records; its watermark (70) joins the minimum again.
    r.emit(&r.b, 70, 32);
    r.emit(&r.b, 71, 64);
    assert_eq!(r.watermarks(), vec![9, 19, 39, 59]);
    r.emit(&r.a, 100, 128);
    r.wait_for(Seen::Watermark(70));
    assert_eq!(r.watermarks(), vec![9, 19, 39, 59, 70], "B holds A (at 99) back again");

    // B idle again (no record since 120), A not (a record at 180): the watermark follows A.
    r.clock.set(180);
    r.emit(&r.a, 110, 256);
    r.clock.set(250);
    r.wait_for(Seen::Watermark(109));

    // Both idle: the probe's input is idle and its watermark stays.
    r.clock.set(400);
    r.wait_for(Seen::Idle(true));
    std::thread::sleep(Duration::from_millis(50));
    assert_eq!(r.watermarks(), vec![9, 19, 39, 59, 70, 109]);
    assert_eq!(r.statuses(), vec![true]);

    // The end of input: the final watermark fires every window.
    let (log, fired) = r.finish();
    let mut watermarks: Vec<i64> = log.iter().filter_map(|s| if let Seen::Watermark(w) = s { Some(*w) } else { None }).collect();
    // (The input's minimum reaches the end of time, then the task's own end of input says it again.)
    watermarks.dedup();
    assert_eq!(watermarks, vec![9, 19, 39, 59, 70, 109, MAX_WATERMARK]);
    assert!(log.contains(&Seen::Idle(false)), "the final watermark makes the input active: {log:?}");
    assert_eq!(fired, vec![(Some(49), 1 + 2 + 4 + 8), (Some(99), 16 + 32 + 64), (Some(149), 128 + 256)]);
}

#[test]
fn without_idleness_a_silent_input_holds_the_watermark_back() {
    let r = run(Some(100), None);
    r.emit(&r.a, 10, 1);
    r.emit(&r.b, 20, 2);
    r.wait_for(Seen::Watermark(9));
    r.clock.set(1_000);
    r.emit(&r.a, 60, 4);
    r.wait_for(Seen::Watermark(19));
    // A idles now, B never declares itself idle: nothing moves.
    r.clock.set(5_000);
    std::thread::sleep(Duration::from_millis(100));
    assert_eq!(r.watermarks(), vec![9, 19]);
    assert!(r.statuses().is_empty());
    let (_, fired) = r.finish();
    assert_eq!(fired, vec![(Some(49), 1 + 2), (Some(99), 4)]);
}

fn task(clock: &ManualClock) -> TaskInfo {
    TaskInfo {
        task_name: "test".into(),
        operator_name: "Timestamps".into(),
        uid: String::new(),
        subtask_index: 0,
        parallelism: 1,
        max_parallelism: 128,
        attempt_number: 0,
        checkpointing: false,
        state_backend: None,
        clock: Arc::new(clock.clone()),
    }
}

/// `(timestamps of the records, markers)` of one call.
fn parts(out: Output<M>) -> (Vec<i64>, Vec<(usize, Marker)>) {
    let (records, markers) = out.into_parts();
    (records.iter().map(|r| r.value.1).collect(), markers)
}

#[test]
fn the_assigner_goes_idle_without_records_and_is_active_with_the_next() {
    let clock = ManualClock::new(1_000);
    let mut op = assigner(Some(50));
    Operator::<M>::open(&mut op, &task(&clock)).unwrap();
    let mut out = Output::default();
    op.process(0, vec![Record::new((0, 7, 0))], &mut out).unwrap();
    assert_eq!(parts(out), (vec![7], vec![(1, Marker::Watermark(6))]));

    let tick = |op: &mut TimestampsAndWatermarksOperator<ByTimestamp>, now: i64| {
        clock.set(now);
        let mut out = Output::<M>::default();
        op.on_processing_time(now, &mut out).unwrap();
        parts(out).1
    };
    assert_eq!(tick(&mut op, 1_049), vec![]);
    assert_eq!(tick(&mut op, 1_050), vec![(0, Marker::Idle(true))]);
    assert_eq!(tick(&mut op, 2_000), vec![], "said once");
    assert!(op.is_idle());

    // Upstream statuses are ignored: the assigner decides its own.
    let mut out = Output::default();
    op.on_idle(false, &mut out).unwrap();
    assert!(out.is_empty());

    // The next record makes it active before the record.
    let mut out = Output::default();
    op.process(0, vec![Record::new((0, 9, 0))], &mut out).unwrap();
    assert_eq!(parts(out), (vec![9], vec![(0, Marker::Idle(false)), (1, Marker::Watermark(8))]));
    assert_eq!(tick(&mut op, 2_049), vec![]);
    assert_eq!(tick(&mut op, 2_050), vec![(0, Marker::Idle(true))]);

    // The final watermark too.
    let mut out = Output::default();
    op.on_watermark(MAX_WATERMARK, &mut out).unwrap();
    assert_eq!(parts(out).1, vec![(0, Marker::Idle(false)), (0, Marker::Watermark(MAX_WATERMARK))]);
    assert_eq!(tick(&mut op, 9_000), vec![], "no idleness after the end");

    // Into segments leaves the status out, as before.
    let mut out = Output::<M>::default();
    out.emit_idle(true);
    out.push(Record::new((0, 1, 0)));
    out.emit_watermark(3);
    let (records, watermarks) = out.into_segments();
    assert_eq!((records.len(), watermarks), (1, vec![(1, 3)]));

    let mut bad = assigner(Some(0));
    let err = Operator::<M>::open(&mut bad, &task(&clock)).unwrap_err().to_string();
    assert!(err.contains("greater than zero"), "{err}");
}
