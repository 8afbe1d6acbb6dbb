//! The interval join's caching, cleanup and padding rules, on byte rows.

use super::*;

const K: &[u8] = b"k";

/// `left.t - right.t` in [-2 s, 4 s].
fn state(kind: JoinKind) -> IntervalState {
    IntervalState::new(kind, &IntervalBounds { left_time: 0, right_time: 0, lower: -2000, upper: 4000 })
}

type Shown = Vec<(Option<String>, Option<String>)>;

fn show(out: Vec<JoinedRow>) -> Shown {
    out.into_iter().map(|(l, r, _)| (l.map(|b| String::from_utf8(b.into()).unwrap()), r.map(|b| String::from_utf8(b.into()).unwrap()))).collect()
}

fn row(st: &mut IntervalState, side: usize, time: i64, r: &str) -> Shown {
    let mut out = Vec::new();
    st.process(side, Some(K), time, r.as_bytes(), &mut |o: &[&[u8]]| Ok(vec![true; o.len()]), &mut out).unwrap();
    show(out)
}

fn watermark(st: &mut IntervalState, wm: i64) -> Shown {
    let mut out = Vec::new();
    st.advance(wm, &mut out);
    show(out)
}

fn s(x: &str) -> Option<String> {
    Some(x.to_string())
}

#[test]
fn rows_within_bounds_join_inclusively() {
    let mut st = state(JoinKind::Inner);
    assert_eq!(row(&mut st, 0, 6000, "c6"), vec![]);
    assert_eq!(row(&mut st, 0, 10_000, "c10"), vec![]);
    // 6000 - 2000 = 4000 ≤ 4000 and 10000 - 6000 > 4000: only c6 joins r2; r8 joins both bounds.
    assert_eq!(row(&mut st, 1, 2000, "r2"), vec![(s("c6"), s("r2"))]);
    let mut both = row(&mut st, 1, 8000, "r8");
    both.sort();
    assert_eq!(both, vec![(s("c10"), s("r8")), (s("c6"), s("r8"))]);
    assert_eq!(row(&mut st, 1, 12_001, "r12"), vec![]);
    assert_eq!(st.late, 0);
    assert_eq!(st.watermark_delay(), 4000);
}

#[test]
fn late_rows_are_dropped_and_counted_and_caches_cleaned() {
    let mut st = state(JoinKind::Inner);
    row(&mut st, 0, 6000, "c6");
    assert_eq!(watermark(&mut st, 20_000), vec![]);
    // The watermark passed c6's cleanup timer (6000 + 2000 + 3000 + 1): its cache is empty.
    assert!(st.caches[0].is_empty() && st.timers.is_empty());
    // A right row whose partners would be at most 15000 + 4000 < 20000: late, dropped.
    assert_eq!(row(&mut st, 1, 15_000, "late"), vec![]);
    assert_eq!(st.late, 1);
    assert!(st.caches[1].is_empty());
}

#[test]
fn outer_rows_without_partner_are_padded_when_their_bound_passes() {
    let mut st = state(JoinKind::Full);
    row(&mut st, 0, 6000, "c6");
    row(&mut st, 1, 30_000, "r30");
    row(&mut st, 0, 30_000, "c30");
    // Timer of c6 at 11001: the cache is cleaned up to 11000 - 2000 - 1, c6 never joined.
    assert_eq!(watermark(&mut st, 11_001), vec![(s("c6"), None)]);
    // A late row on an outer side is emitted padded at once, not dropped.
    assert_eq!(row(&mut st, 1, 1000, "r1"), vec![(None, s("r1"))]);
    assert_eq!(st.late, 0);
    // c30 and r30 joined: the end of input pads nothing.
    assert_eq!(watermark(&mut st, i64::MAX), vec![]);
}

#[test]
fn a_restored_outer_interval_join_keeps_its_cache_and_timers() {
    let mut original = state(JoinKind::Full);
    row(&mut original, 0, 6000, "c6");
    row(&mut original, 1, 2000, "r2");
    row(&mut original, 1, 9000, "r9");
    // No left row is within r11's bounds: its cleanup timer pads it.
    row(&mut original, 1, 11_000, "r11");
    watermark(&mut original, 3000);
    let mut restored = state(JoinKind::Full);
    restored.restore(original.snapshot().iter().map(|e| e.1.as_slice())).unwrap();
    // The watermark is not restored: the first after the restore re-establishes it.
    assert_eq!(watermark(&mut restored, 3000), vec![]);
    let expected = [row(&mut original, 0, 8000, "c8"), watermark(&mut original, 20_000)];
    let got = [row(&mut restored, 0, 8000, "c8"), watermark(&mut restored, 20_000)];
    assert!(!expected[1].is_empty(), "cleanup pads the rows that never joined");
    assert_eq!(got, expected);
}
