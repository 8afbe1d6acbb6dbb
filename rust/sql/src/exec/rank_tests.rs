use super::*;

/// Rows are their sort key here (one byte), partitions one byte too.
fn apply(state: &mut TopNState, changes: &[(u8, RowKind)]) -> Vec<(u8, i64, RowKind)> {
    let mut out = Vec::new();
    for &(v, kind) in changes {
        state.apply(&[0], &[v], &[v], kind, &mut out);
    }
    out.into_iter().map(|(r, rank, k)| (r[0], rank, k)).collect()
}

use RowKind::{Delete as D, Insert as I, UpdateAfter as UA, UpdateBefore as UB};

#[test]
fn a_better_row_pushes_the_others_down_with_rank_numbers() {
    // Smaller bytes sort first: 1 is the best row.
    let mut s = TopNState::new(1, 2, true, true);
    assert_eq!(apply(&mut s, &[(3, I), (5, I)]), vec![(3, 1, I), (5, 2, I)]);
    // 1 enters first: 3 moves to rank 2, 5 leaves (its last update is the -U at rank 2).
    assert_eq!(apply(&mut s, &[(1, I)]), vec![(3, 1, UB), (1, 1, UA), (5, 2, UB), (3, 2, UA)]);
    // Worse than the top 2 (state was trimmed to them): nothing.
    assert_eq!(apply(&mut s, &[(9, I)]), vec![]);
}

#[test]
fn without_rank_numbers_only_the_entering_and_leaving_rows_change() {
    let mut s = TopNState::new(1, 2, false, true);
    assert_eq!(apply(&mut s, &[(3, I), (5, I), (1, I)]), vec![(3, 0, I), (5, 0, I), (5, 0, D), (1, 0, I)]);
}

#[test]
fn retractions_move_the_next_row_up() {
    let mut s = TopNState::new(1, 2, true, false);
    assert_eq!(apply(&mut s, &[(1, I), (2, I), (3, I)]), vec![(1, 1, I), (2, 2, I)]);
    assert_eq!(apply(&mut s, &[(1, UB)]), vec![(1, 1, UB), (2, 1, UA), (2, 2, UB), (3, 2, UA)]);
    assert_eq!(apply(&mut s, &[(2, D)]), vec![(2, 1, UB), (3, 1, UA), (3, 2, D)]);
    let mut s = TopNState::new(1, 2, false, false);
    apply(&mut s, &[(1, I), (2, I), (3, I)]);
    assert_eq!(apply(&mut s, &[(1, UB)]), vec![(1, 1, D), (3, 0, I)]);
    // Rows outside the top come and go silently; retracting 2 leaves only 3, nothing moves in.
    assert_eq!(apply(&mut s, &[(4, I), (4, D), (2, D)]), vec![(2, 1, D)]);
}

#[test]
fn an_offset_emits_only_the_ranks_in_range() {
    let mut s = TopNState::new(2, 3, false, true);
    assert_eq!(apply(&mut s, &[(5, I), (3, I)]), vec![(5, 2, I)]);
    assert_eq!(apply(&mut s, &[(1, I)]), vec![(5, 2, UB), (3, 2, UA), (5, 3, I)]);
}

#[test]
fn equal_sort_keys_keep_arrival_order() {
    let mut s = TopNState::new(1, 2, true, true);
    let mut out = Vec::new();
    s.apply(&[0], &[5], b"a", I, &mut out);
    s.apply(&[0], &[5], b"b", I, &mut out);
    s.apply(&[0], &[5], b"c", I, &mut out);
    let rows: Vec<_> = out.iter().map(|(r, rank, k)| (r.to_vec(), *rank, *k)).collect();
    assert_eq!(rows, vec![(b"a".to_vec(), 1, I), (b"b".to_vec(), 2, I)]);
}

#[test]
fn fast_top1_updates_without_update_before() {
    let mut s = Top1State::default();
    let mut out = Vec::new();
    for v in [5u8, 7, 3, 3, 1] {
        s.apply(&[0], &[v], &[v], &mut out);
    }
    let got: Vec<_> = out.iter().map(|(r, _, k)| (r[0], *k)).collect();
    assert_eq!(got, vec![(5, I), (3, UA), (1, UA)]);
}

#[test]
fn top1_of_order_by_limit_1_retracts_the_replaced_row() {
    let mut s = Top1State { best: HashMap::new(), update_before: true };
    let mut out = Vec::new();
    for v in [5u8, 7, 3] {
        s.apply(&[0], &[v], &[v], &mut out);
    }
    let got: Vec<_> = out.iter().map(|(r, _, k)| (r[0], *k)).collect();
    assert_eq!(got, vec![(5, I), (5, UB), (3, UA)]);
}

#[test]
fn a_restored_top_n_ranks_on_from_all_its_rows() {
    for (numbered, append_only) in [(true, false), (false, false), (true, true)] {
        let mut original = State::TopN(TopNState::new(1, 2, numbered, append_only));
        let first = [(3, I), (5, I), (1, I), (7, I)];
        let State::TopN(s) = &mut original else { unreachable!() };
        apply(s, &first);
        let mut restored = State::TopN(TopNState::new(1, 2, numbered, append_only));
        restored.restore(original.snapshot().iter().map(|e| e.1.as_slice())).unwrap();
        let next: &[(u8, RowKind)] = if append_only { &[(0, I), (4, I)] } else { &[(1, D), (3, UB), (2, I)] };
        let (State::TopN(a), State::TopN(b)) = (&mut original, &mut restored) else { unreachable!() };
        let expected = apply(a, next);
        assert!(!expected.is_empty());
        assert_eq!(apply(b, next), expected, "numbered {numbered}, append-only {append_only}");
    }
}
