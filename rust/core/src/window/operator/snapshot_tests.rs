//! Checkpoints of the window operator: a run interrupted by snapshots and restores (at the same
//! or another parallelism) emits exactly what an uninterrupted run emits.

use std::collections::BTreeSet;

use super::tests::{rec, task, Count, Counting, Describe, Sum};
use super::*;
use crate::checkpoint::snapshot::{encode, tagged, OperatorSnapshot};
use crate::key_group::{key_group_of, operator_index_of};
use crate::test_support::Ints;
use crate::time::{ManualClock, MAX_WATERMARK};
use crate::window::trigger::{ContinuousEventTimeTrigger, CountTrigger};

const MAX_P: usize = 128;

#[derive(Clone, Copy, Debug)]
enum Step {
    /// (key, value, timestamp)
    Element(i64, i64, i64),
    Watermark(i64),
    /// Processing time advances to this.
    Time(i64),
}
use Step::*;

type Row = (i64, i64, Option<i64>, u32);
type Make<'a> = &'a dyn Fn() -> WindowOperator<Ints>;

/// The parallel instances of one window operator, fed as a keyed exchange would: elements to the
/// instance owning their key, watermarks and time to all.
struct Job<'a> {
    make: Make<'a>,
    ops: Vec<WindowOperator<Ints>>,
    clock: ManualClock,
    /// The highest watermark so far: what the upstream re-emits after a restore.
    watermark: i64,
    emitted: Vec<Row>,
}

fn task_of(clock: &ManualClock, index: usize, parallelism: usize) -> TaskInfo {
    TaskInfo { subtask_index: index, parallelism, max_parallelism: MAX_P, ..task(clock) }
}

fn sorted(mut rows: Vec<Row>) -> Vec<Row> {
    rows.sort();
    rows
}

impl<'a> Job<'a> {
    fn start(make: Make<'a>) -> Self {
        let clock = ManualClock::new(0);
        let mut op = make();
        op.open(&task_of(&clock, 0, 1)).unwrap();
        Job { make, ops: vec![op], clock, watermark: MIN_WATERMARK, emitted: Vec::new() }
    }

    fn owner(&self, key: i64) -> usize {
        operator_index_of(key_group_of(key as u64, MAX_P), self.ops.len(), MAX_P)
    }

    fn run(&mut self, steps: &[Step]) {
        for step in steps {
            let mut out = Output::default();
            match *step {
                Element(k, v, ts) => {
                    let i = self.owner(k);
                    self.ops[i].process(0, vec![rec(k, v, Some(ts))], &mut out).unwrap();
                }
                Watermark(w) => {
                    self.watermark = self.watermark.max(w);
                    self.ops.iter_mut().for_each(|op| op.on_watermark(w, &mut out).unwrap());
                }
                Time(t) => {
                    self.clock.set(t);
                    self.ops.iter_mut().for_each(|op| op.on_processing_time(t, &mut out).unwrap());
                }
            }
            let (records, _) = out.into_segments();
            self.emitted.extend(records.into_iter().map(|r| (r.key.unwrap().key, r.value, r.timestamp, r.output)));
        }
    }

    fn snapshot(&mut self) -> Vec<OperatorSnapshot> {
        self.ops.iter_mut().map(snapshot_of).collect()
    }

    /// Snapshots every instance and replaces them with `parallelism` new ones restored from it.
    fn rescale(&mut self, parallelism: usize) {
        let old = self.snapshot();
        let shares: Vec<_> = (0..parallelism).map(|i| RestoredState::<Ints>::share(&old, i, parallelism, MAX_P).unwrap()).collect();
        if parallelism > 1 {
            assert!(shares.iter().filter(|s| !s.is_empty()).count() > 1, "the keys' state is split over the new instances");
        }
        self.ops = shares
            .into_iter()
            .enumerate()
            .map(|(i, share)| {
                let mut op = (self.make)();
                op.restore_state(share).unwrap();
                op.open(&task_of(&self.clock, i, parallelism)).unwrap();
                op
            })
            .collect();
        if parallelism == 1 {
            // Nothing is lost or added: a restored instance snapshots to the same entries.
            let entries = |s: &[OperatorSnapshot]| {
                let mut e: Vec<_> = s.iter().flat_map(|s| s.keyed.iter().map(|e| (e.key.clone(), e.payload.clone()))).collect();
                e.sort();
                e
            };
            assert_eq!(entries(&self.snapshot()), entries(&old));
        }
        if self.watermark > MIN_WATERMARK {
            let w = self.watermark;
            self.run(&[Watermark(w)]);
        }
    }
}

fn snapshot_of(op: &mut WindowOperator<Ints>) -> OperatorSnapshot {
    let mut snapshot = OperatorSnapshot::default();
    op.snapshot_state(1, &mut SnapshotWriter::new(&mut snapshot)).unwrap();
    assert!(snapshot.list.is_empty() && snapshot.broadcast.is_none(), "window state is keyed only");
    snapshot
}

/// Runs `phases` uninterrupted, then again with a snapshot and restore between every two phases
/// (at parallelism 1, 2, 3 and changing), and compares what was emitted.
fn check(make: Make<'_>, phases: &[Vec<Step>]) {
    let all = phases.concat();
    let mut job = Job::start(make);
    job.run(&all);
    let expected = sorted(job.emitted);
    assert!(!expected.is_empty());
    let cuts = phases.len() - 1;
    let plans = [vec![1; cuts], vec![2; cuts], vec![3; cuts], [3, 1, 2].into_iter().cycle().take(cuts).collect()];
    for plan in plans {
        let mut job = Job::start(make);
        job.run(&phases[0]);
        for (phase, &parallelism) in phases[1..].iter().zip(&plan) {
            job.rescale(parallelism);
            job.run(phase);
        }
        assert_eq!(sorted(job.emitted), expected, "restored at parallelisms {plan:?}");
    }
}

const KEYS: std::ops::RangeInclusive<i64> = 1..=5;

/// One step per key.
fn keys(step: impl Fn(i64) -> Step) -> Vec<Step> {
    KEYS.map(step).collect()
}

fn tumbling(size: i64) -> WindowAssigner {
    WindowAssigner::tumbling_event_time(size, 0).unwrap()
}

fn sessions(gap: i64) -> WindowAssigner {
    WindowAssigner::event_time_session(gap).unwrap()
}

#[test]
fn tumbling_windows_with_lateness_survive_a_restore() {
    let make = || {
        WindowOperator::with_default_trigger(tumbling(10), WindowContents::Reduce(Box::new(Sum))).allowed_lateness(5).late_output_tag(3)
    };
    check(
        &make,
        &[
            [keys(|k| Element(k, k, 1)), keys(|k| Element(k, 10 * k, 12)), vec![Watermark(10)]].concat(),
            // Within the lateness: [0, 10) fires again with its restored contents.
            [keys(|k| Element(k, 100, 3)), keys(|k| Element(k, 1, 25)), vec![Watermark(14)]].concat(),
            // [0, 10) was cleaned up: late, to the side output.
            [keys(|k| Element(k, 7, 4)), vec![Watermark(MAX_WATERMARK)]].concat(),
        ],
    );
}

#[test]
fn window_function_state_survives_a_restore() {
    let make = || {
        WindowOperator::with_default_trigger(tumbling(10), WindowContents::Buffer)
            .window_fn(Box::new(Counting { per_window: true }))
            .allowed_lateness(5)
    };
    check(
        &make,
        &[
            [keys(|k| Element(k, k, 1)), vec![Watermark(10)]].concat(),
            // Late firings of [0, 10) count on from the restored per-window state.
            [keys(|k| Element(k, 1, 3)), keys(|k| Element(k, 2, 12)), vec![Watermark(12)]].concat(),
            [keys(|k| Element(k, 3, 4)), vec![Watermark(MAX_WATERMARK)]].concat(),
        ],
    );
}

#[test]
fn sliding_windows_survive_a_restore() {
    let make = || {
        WindowOperator::with_default_trigger(WindowAssigner::sliding_event_time(10, 5, 0).unwrap(), WindowContents::Aggregate(Box::new(Count)))
    };
    check(
        &make,
        &[
            [keys(|k| Element(k, 0, 3)), keys(|k| Element(k, 0, 7)), vec![Watermark(5)]].concat(),
            [keys(|k| Element(k, 0, 12)), keys(|k| Element(k, 0, 5 + k)), vec![Watermark(MAX_WATERMARK)]].concat(),
        ],
    );
}

#[test]
fn sessions_merge_across_a_restore() {
    let make = || {
        WindowOperator::with_default_trigger(sessions(10), WindowContents::Buffer)
            .window_fn(Box::new(Describe::default()))
            .late_output_tag(3)
    };
    check(
        &make,
        &[
            [keys(|k| Element(k, 1, 0)), keys(|k| Element(k, 2, 15)), keys(|k| Element(k, k, 40 + k)), vec![Watermark(6)]].concat(),
            // Late by its timestamp, but it bridges [0, 10) and [15, 25) into a live session.
            [keys(|k| Element(k, 4, 5)), vec![Watermark(24)]].concat(),
            // [0, 25) is gone: a late element that merges with nothing goes to the side output.
            [keys(|k| Element(k, 8, 3)), vec![Watermark(MAX_WATERMARK)]].concat(),
        ],
    );
}

#[test]
fn merged_sessions_keep_their_restored_count_trigger_state() {
    let make = || WindowOperator::new(sessions(10), Box::new(CountTrigger::of(3)), WindowContents::Reduce(Box::new(Sum)));
    check(
        &make,
        &[
            [keys(|k| Element(k, 1, 0)), keys(|k| Element(k, 2 * k, 30))].concat(),
            // [10, 20) joins [0, 10) (count 2); [20, 30) bridges into [0, 40) with count 1 + 2 + 1.
            [keys(|k| Element(k, 4, 10)), keys(|k| Element(k, 8, 20)), vec![Watermark(MAX_WATERMARK)]].concat(),
        ],
    );
}

#[test]
fn count_windows_keep_their_element_counts() {
    // After 3 and after 6 elements of each key: inside windows, with partial counts.
    let phase = |from: i64, to: i64| (from..=to).flat_map(|i| keys(move |k| Element(k, i * k, 0))).collect::<Vec<_>>();
    let sliding = || WindowOperator::sliding_count_window(3, 2, WindowContents::Reduce(Box::new(Sum)));
    check(&sliding, &[phase(1, 3), phase(4, 6), phase(7, 9)]);
    let tumbling = || WindowOperator::count_window(3, WindowContents::Reduce(Box::new(Sum)));
    check(&tumbling, &[phase(1, 2), phase(3, 7), phase(8, 9)]);
}

#[test]
fn trigger_state_survives_a_restore() {
    let continuous =
        || WindowOperator::new(tumbling(100), Box::new(ContinuousEventTimeTrigger::of(30).unwrap()), WindowContents::Reduce(Box::new(Sum)));
    check(
        &continuous,
        &[
            [keys(|k| Element(k, 1, 5)), keys(|k| Element(k, k, 40)), vec![Watermark(35)]].concat(),
            [keys(|k| Element(k, 4, 70)), vec![Watermark(65)]].concat(),
            vec![Watermark(99), Watermark(MAX_WATERMARK)],
        ],
    );
    // Java's countWindow(3, 2): global windows, CountTrigger(2), CountEvictor(3).
    let java = || {
        WindowOperator::new(WindowAssigner::Global, Box::new(CountTrigger::of(2)), WindowContents::Reduce(Box::new(Sum))).count_evictor(3)
    };
    let phase = |from: i64, to: i64| (from..=to).flat_map(|i| keys(move |k| Element(k, i * k, i))).collect::<Vec<_>>();
    check(&java, &[phase(1, 3), phase(4, 5), phase(6, 8)]);
}

#[test]
fn processing_time_timers_survive_a_restore() {
    let make = || WindowOperator::with_default_trigger(WindowAssigner::tumbling_processing_time(10, 0).unwrap(), WindowContents::Reduce(Box::new(Sum)));
    check(
        &make,
        &[
            [vec![Time(3)], keys(|k| Element(k, 1, 0)), vec![Time(8)], keys(|k| Element(k, k, 0))].concat(),
            [vec![Time(12)], keys(|k| Element(k, 8, 0))].concat(),
            vec![Time(25)],
        ],
    );
}

fn restore(make: Make<'_>, snapshot: OperatorSnapshot) -> Result<(), BoxError> {
    let share = RestoredState::share(&[snapshot], 0, 1, MAX_P)?;
    make().restore_state(share)
}

#[test]
fn corrupt_payloads_are_errors() {
    let make = || WindowOperator::new(sessions(10), Box::new(CountTrigger::of(3)), WindowContents::Reduce(Box::new(Sum)));
    let mut job = Job::start(&make);
    job.run(&[Element(1, 1, 0), Element(1, 2, 30), Element(2, 5, 3)]);
    let snapshot = job.snapshot().pop().unwrap();
    restore(&make, snapshot.clone()).unwrap();
    let kinds: BTreeSet<u8> = snapshot.keyed.iter().map(|e| e.payload[0]).collect();
    assert_eq!(kinds, BTreeSet::from([0, 1, 3, 4]), "contents, event timers, trigger state, sessions");
    for i in 0..snapshot.keyed.len() {
        let payload = &snapshot.keyed[i].payload;
        let truncated = payload[..payload.len() - 1].to_vec();
        for bad in [vec![], vec![payload[0]], vec![payload[0], 0xff, 0xff, 0xff], vec![42, 0], truncated] {
            let mut corrupt = snapshot.clone();
            corrupt.keyed[i].payload = bad.clone();
            assert!(restore(&make, corrupt).is_err(), "payload {bad:?} of entry {i}");
        }
    }
    let err = |snapshot: OperatorSnapshot, make: Make<'_>| restore(make, snapshot).unwrap_err().to_string();
    let mut overlapping = snapshot.clone();
    for e in overlapping.keyed.iter_mut().filter(|e| e.payload[0] == 4) {
        e.payload = tagged(4, encode(&vec![(0i64, 10i64), (5, 15)]).unwrap());
    }
    assert!(err(overlapping, &make).contains("overlap"));
    let mut no_sessions = snapshot.clone();
    no_sessions.keyed.retain(|e| e.payload[0] != 4);
    assert!(err(no_sessions, &make).contains("no session"));
    let mut with_list = snapshot.clone();
    with_list.list.push(vec![1]);
    assert!(err(with_list, &make).contains("keyed state only"));
}

#[test]
fn snapshots_of_another_window_are_refused() {
    let reduce_sessions = || WindowOperator::new(sessions(10), Box::new(CountTrigger::of(3)), WindowContents::Reduce(Box::new(Sum)));
    let mut job = Job::start(&reduce_sessions);
    job.run(&[Element(1, 1, 0)]);
    let session_snapshot = job.snapshot().pop().unwrap();
    let buffered = || {
        WindowOperator::with_default_trigger(sessions(10), WindowContents::Buffer).window_fn(Box::new(Describe::default()))
    };
    let err = |make: Make<'_>, snapshot: &OperatorSnapshot| restore(make, snapshot.clone()).unwrap_err().to_string();
    assert!(err(&buffered, &session_snapshot).contains("keeps a list"));
    let tumbling_op = || WindowOperator::with_default_trigger(tumbling(10), WindowContents::Reduce(Box::new(Sum)));
    assert!(err(&tumbling_op, &session_snapshot).contains("does not merge"));
    let count = || WindowOperator::count_window(3, WindowContents::Reduce(Box::new(Sum)));
    let mut job = Job::start(&count);
    job.run(&[Element(1, 1, 0)]);
    let count_snapshot = job.snapshot().pop().unwrap();
    assert!(err(&tumbling_op, &count_snapshot).contains("not a count window"));
}
