//! The changelog rules of regular joins, on byte rows (`k` the key).

use super::*;

const K: &[u8] = b"k";

fn rows(rows: &[&[u8]]) -> Vec<Box<[u8]>> {
    rows.iter().map(|r| Box::from(*r)).collect()
}

/// Applies `row` on `side` with every live row of the other side as a match.
fn apply(s: &mut JoinState, side: usize, row: &[u8], kind: RowKind, now: i64) -> Vec<(Option<String>, Option<String>, &'static str)> {
    let matched = s.candidates(1 - side, K, now);
    let mut out = Vec::new();
    s.apply(side, K, row, kind, &matched, now, &mut out);
    out.into_iter()
        .map(|(l, r, k)| (l.map(|b| String::from_utf8(b.into()).unwrap()), r.map(|b| String::from_utf8(b.into()).unwrap()), k.short()))
        .collect()
}

fn s(x: &str) -> Option<String> {
    Some(x.to_string())
}

#[test]
fn inner_join_passes_kinds_through() {
    let mut st = JoinState::new(JoinKind::Inner, None);
    assert_eq!(apply(&mut st, 0, b"a", RowKind::Insert, 0), vec![]);
    assert_eq!(apply(&mut st, 1, b"x", RowKind::Insert, 0), vec![(s("a"), s("x"), "+I")]);
    assert_eq!(apply(&mut st, 0, b"a", RowKind::UpdateBefore, 0), vec![(s("a"), s("x"), "-U")]);
    assert_eq!(apply(&mut st, 0, b"b", RowKind::UpdateAfter, 0), vec![(s("b"), s("x"), "+U")]);
    assert_eq!(apply(&mut st, 1, b"x", RowKind::Delete, 0), vec![(s("b"), s("x"), "-D")]);
    assert!(st.sides[1].is_empty());
    assert_eq!(st.candidates(0, K, 0), rows(&[b"b"]));
}

#[test]
fn left_join_pads_then_retracts_padding_on_first_match() {
    let mut st = JoinState::new(JoinKind::Left, None);
    assert_eq!(apply(&mut st, 0, b"a", RowKind::Insert, 0), vec![(s("a"), None, "+I")]);
    assert_eq!(apply(&mut st, 1, b"x", RowKind::Insert, 0), vec![(s("a"), None, "-D"), (s("a"), s("x"), "+I")]);
    // A second match: no padding left to retract.
    assert_eq!(apply(&mut st, 1, b"y", RowKind::Insert, 0).len(), 1);
    assert_eq!(apply(&mut st, 1, b"x", RowKind::Delete, 0), vec![(s("a"), s("x"), "-D")]);
    // The last match goes: the padded row comes back.
    assert_eq!(apply(&mut st, 1, b"y", RowKind::UpdateBefore, 0), vec![(s("a"), s("y"), "-U"), (s("a"), None, "+I")]);
    assert_eq!(apply(&mut st, 0, b"a", RowKind::Delete, 0), vec![(s("a"), None, "-D")]);
}

#[test]
fn left_input_joined_when_right_arrived_first() {
    let mut st = JoinState::new(JoinKind::Left, None);
    assert_eq!(apply(&mut st, 1, b"x", RowKind::Insert, 0), vec![]);
    assert_eq!(apply(&mut st, 0, b"a", RowKind::Insert, 0), vec![(s("a"), s("x"), "+I")]);
    // The stored left row counts its association: retracting x brings its padding.
    assert_eq!(apply(&mut st, 1, b"x", RowKind::Delete, 0), vec![(s("a"), s("x"), "-D"), (s("a"), None, "+I")]);
}

#[test]
fn full_join_pads_both_sides_and_duplicates_count() {
    let mut st = JoinState::new(JoinKind::Full, None);
    assert_eq!(apply(&mut st, 1, b"x", RowKind::Insert, 0), vec![(None, s("x"), "+I")]);
    assert_eq!(apply(&mut st, 1, b"x", RowKind::Insert, 0), vec![(None, s("x"), "+I")]);
    assert_eq!(
        apply(&mut st, 0, b"a", RowKind::Insert, 0),
        vec![(None, s("x"), "-D"), (None, s("x"), "-D"), (s("a"), s("x"), "+I"), (s("a"), s("x"), "+I")]
    );
    assert_eq!(
        apply(&mut st, 0, b"a", RowKind::Delete, 0),
        vec![(s("a"), s("x"), "-D"), (s("a"), s("x"), "-D"), (None, s("x"), "+I"), (None, s("x"), "+I")]
    );
}

#[test]
fn ttl_forgets_rows_not_written_for_that_long() {
    let mut st = JoinState::new(JoinKind::Inner, Some(1000));
    apply(&mut st, 0, b"a", RowKind::Insert, 0);
    assert_eq!(apply(&mut st, 1, b"x", RowKind::Insert, 999).len(), 1);
    // a was written at 0: at 1000 it is gone; x (written at 999) is still there.
    assert_eq!(apply(&mut st, 1, b"y", RowKind::Insert, 1000), vec![]);
    assert_eq!(apply(&mut st, 0, b"b", RowKind::Insert, 1500).len(), 2);
    st.expire(2500);
    assert_eq!(st.candidates(0, K, 2000), rows(&[]));
    assert!(st.sides[1].is_empty());
}

#[test]
fn a_restored_outer_join_keeps_its_rows_and_association_counts() {
    let script: [(usize, &[u8], RowKind); 4] = [(0, b"a", RowKind::Insert), (0, b"a", RowKind::Insert), (1, b"x", RowKind::Insert), (0, b"b", RowKind::Insert)];
    let next: [(usize, &[u8], RowKind); 4] = [(1, b"x", RowKind::Delete), (1, b"y", RowKind::Insert), (0, b"a", RowKind::Delete), (1, b"y", RowKind::Delete)];
    let mut original = JoinState::new(JoinKind::Full, None);
    for (side, row, kind) in script {
        apply(&mut original, side, row, kind, 0);
    }
    let mut restored = JoinState::new(JoinKind::Full, None);
    restored.restore(original.snapshot().iter().map(|e| e.2.as_slice())).unwrap();
    assert_eq!(restored.sides, original.sides);
    // A key's rows come out in the order of its row map, which a restored map need not share.
    let sorted = |mut v: Vec<_>| {
        v.sort();
        v
    };
    for (side, row, kind) in next {
        assert_eq!(sorted(apply(&mut restored, side, row, kind, 0)), sorted(apply(&mut original, side, row, kind, 0)));
    }
}
