//! The fast path against the general path: the same streams must emit the same records in the
//! same order (equal-timestamp firings included), and snapshots of either restore into either.

use super::tests::{rec, task, Count, Counting, Describe, Sum};
use super::*;
use crate::checkpoint::snapshot::OperatorSnapshot;
use crate::data::Record;
use crate::test_support::Ints;
use crate::time::{ManualClock, MAX_WATERMARK};
use crate::window::trigger::EventTimeTrigger;

type Row = (i64, i64, Option<i64>, u32);

#[derive(Clone, Copy, Debug)]
enum Step {
    Element(i64, i64, i64),
    Watermark(i64),
}

/// A stream of `n` elements over `keys` keys, timestamps rising by 0..3 with a disorder of up to
/// `disorder`, and watermarks trailing the largest timestamp by `delay` every `every` elements
/// (some elements arrive late).
fn stream(seed: u64, n: usize, keys: u64, disorder: i64, delay: i64, every: usize) -> Vec<Step> {
    let mut state = seed.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
    let mut next = |m: u64| {
        state = state.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
        (state >> 33) % m
    };
    let (mut t, mut max, mut steps) = (0i64, i64::MIN, Vec::new());
    for i in 0..n {
        t += next(3) as i64;
        let ts = t + next(2 * disorder as u64 + 1) as i64 - disorder;
        max = max.max(ts);
        steps.push(Step::Element(next(keys) as i64, next(100) as i64, ts));
        if i % every == every - 1 {
            steps.push(Step::Watermark(max - delay));
        }
    }
    steps.push(Step::Watermark(MAX_WATERMARK));
    steps
}

fn opened(mut op: WindowOperator<Ints>, clock: &ManualClock) -> WindowOperator<Ints> {
    op.open(&task(clock)).unwrap();
    op
}

fn run(op: &mut WindowOperator<Ints>, steps: &[Step], rows: &mut Vec<Row>) {
    for step in steps {
        let mut out = Output::default();
        match *step {
            Step::Element(k, v, ts) => op.process(0, vec![rec(k, v, Some(ts))], &mut out).unwrap(),
            Step::Watermark(w) => op.on_watermark(w, &mut out).unwrap(),
        }
        let (records, _) = out.into_segments();
        rows.extend(records.into_iter().map(|r: Record<Ints>| (r.key.unwrap().key, r.value, r.timestamp, r.output)));
    }
}

fn snapshot_of(op: &mut WindowOperator<Ints>) -> OperatorSnapshot {
    let mut snapshot = OperatorSnapshot::default();
    op.snapshot_state(1, &mut SnapshotWriter::new(&mut snapshot)).unwrap();
    snapshot
}

fn restored(op: WindowOperator<Ints>, snapshot: &OperatorSnapshot, clock: &ManualClock) -> WindowOperator<Ints> {
    let mut op = op;
    op.restore_state(RestoredState::share(std::slice::from_ref(snapshot), 0, 1, 128).unwrap()).unwrap();
    opened(op, clock)
}

/// Runs `steps` on the general path, on the fast path, and on the fast path with a snapshot
/// every `cut` steps restored alternately into a fast and a general operator: all emit the same.
fn check(make: &dyn Fn() -> WindowOperator<Ints>, steps: &[Step], cut: usize) {
    let clock = ManualClock::new(0);
    let mut general = opened(make().without_fast_path(), &clock);
    let mut fast = opened(make(), &clock);
    assert!(!general.fast_path_on() && fast.fast_path_on());
    let (mut expected, mut got) = (Vec::new(), Vec::new());
    run(&mut general, steps, &mut expected);
    run(&mut fast, steps, &mut got);
    assert!(expected.len() > 20, "the stream fires windows");
    assert_eq!(got, expected, "the fast path emits what the general path emits, in its order");
    assert!(fast.window_count() == 0 && fast.timer_count() == 0);

    let mut op = opened(make(), &clock);
    let mut rows = Vec::new();
    for (i, chunk) in steps.chunks(cut).enumerate() {
        run(&mut op, chunk, &mut rows);
        let snapshot = snapshot_of(&mut op);
        // A snapshot of the fast path is the general path's, entry for entry (in another order).
        let into_general = i % 2 == 0;
        op = restored(if into_general { make().without_fast_path() } else { make() }, &snapshot, &clock);
        assert_eq!(op.fast_path_on(), !into_general);
        let mut again: Vec<_> = snapshot_of(&mut op).keyed.into_iter().map(|e| (e.key, e.payload)).collect();
        let mut before: Vec<_> = snapshot.keyed.into_iter().map(|e| (e.key, e.payload)).collect();
        again.sort();
        before.sort();
        assert_eq!(again, before, "a restored operator snapshots what it restored");
        // The watermark is not in snapshots: the upstream sends it again.
        let watermark = chunk.iter().chain(&steps[..i * cut]).filter_map(|s| match s {
            Step::Watermark(w) => Some(*w),
            _ => None,
        });
        if let Some(w) = watermark.max() {
            run(&mut op, &[Step::Watermark(w)], &mut rows);
        }
    }
    assert_eq!(rows, expected, "snapshots and restores between the paths change nothing");
}

#[test]
fn tumbling_reduce_matches_the_general_path() {
    let steps = stream(1, 3000, 40, 15, 10, 4);
    let make = || WindowOperator::with_default_trigger(WindowAssigner::tumbling_event_time(10, 0).unwrap(), WindowContents::Reduce(Box::new(Sum)));
    check(&make, &steps, 700);
    // Rare watermarks (as periodic ones on a fast stream): many windows per key, created out of
    // order and firing in bursts.
    check(&make, &stream(5, 6000, 20, 25, 10, 700), 2000);
}

#[test]
fn an_explicit_event_time_trigger_takes_the_fast_path_too() {
    let steps = stream(2, 2000, 7, 30, 5, 4);
    check(
        &|| WindowOperator::new(WindowAssigner::tumbling_event_time(20, 3).unwrap(), Box::new(EventTimeTrigger), WindowContents::Reduce(Box::new(Sum))),
        &steps,
        333,
    );
}

#[test]
fn allowed_lateness_and_late_output_match_the_general_path() {
    let steps = stream(3, 3000, 25, 40, 0, 4);
    let make = || {
        WindowOperator::with_default_trigger(WindowAssigner::tumbling_event_time(10, 0).unwrap(), WindowContents::Aggregate(Box::new(Count)))
            .allowed_lateness(15)
            .late_output_tag(7)
    };
    check(&make, &steps, 500);
    // Lateness a multiple of the size: one window's cleanup is due with another's firing.
    check(&|| make().allowed_lateness(20), &steps, 900);
}

#[test]
fn sliding_windows_with_a_window_function_match_the_general_path() {
    let steps = stream(4, 2500, 30, 20, 5, 4);
    check(
        &|| {
            WindowOperator::with_default_trigger(WindowAssigner::sliding_event_time(10, 5, 0).unwrap(), WindowContents::Buffer)
                .window_fn(Box::new(Describe::default()))
                .allowed_lateness(5)
        },
        &steps,
        600,
    );
    // More windows per key than the inline two, and state per key and per window.
    check(
        &|| {
            WindowOperator::with_default_trigger(WindowAssigner::sliding_event_time(30, 5, 0).unwrap(), WindowContents::Reduce(Box::new(Sum)))
                .window_fn(Box::new(Counting { per_window: true }))
        },
        &steps,
        800,
    );
}

#[test]
fn many_short_lived_keys_are_swept() {
    // Every key has one element: key entries pile up without windows until swept.
    let steps: Vec<Step> = (0..20_000i64)
        .flat_map(|i| [Step::Element(i, 1, i), Step::Watermark(i - 5)])
        .chain([Step::Watermark(MAX_WATERMARK)])
        .collect();
    let make = || WindowOperator::with_default_trigger(WindowAssigner::tumbling_event_time(10, 0).unwrap(), WindowContents::Reduce(Box::new(Sum)));
    check(&make, &steps, 15_000);
    let clock = ManualClock::new(0);
    let mut op = opened(make(), &clock);
    run(&mut op, &steps[..30_000], &mut Vec::new());
    let slots = op.fast.as_ref().unwrap().key_slots();
    assert!(slots <= 2 * 4096 + 16, "{slots} key entries for 15,000 keys seen");
}
