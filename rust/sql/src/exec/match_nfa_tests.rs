//! The automaton on plain numbers: each variable's condition is a function of the candidate row
//! and the rows taken so far.

use super::match_nfa::{Candidate, Event, Nfa, Skip};
use crate::plan::match_pattern::Element;

type Cond = fn(i64, &[(i64, usize)]) -> bool;

fn el(var: usize, min: u32, max: Option<u32>, greedy: bool) -> Element {
    Element { var, min, max, greedy }
}

/// Every match, as the (value, variable) rows it took, for `values` fed in order.
fn run(pattern: Vec<Element>, skip: Skip, within: Option<i64>, conds: &[Cond], values: &[i64]) -> Vec<Vec<(i64, usize)>> {
    let mut nfa = Nfa::new(pattern, skip, within);
    let mut out = Vec::new();
    for (i, &v) in values.iter().enumerate() {
        let event = Event { seq: i as u64, time: i as i64 * 10, data: v };
        let matches = nfa.process(event, &mut |e, cands: &[Candidate<'_, i64>]| {
            cands
                .iter()
                .map(|c| {
                    let rows: Vec<(i64, usize)> = c.rows.iter().map(|(e, var)| (e.data, *var)).collect();
                    conds[c.var](e.data, &rows)
                })
                .collect()
        });
        out.extend(matches.into_iter().map(|m| m.rows.iter().map(|(e, v)| (e.data, *v)).collect::<Vec<_>>()));
    }
    out
}

fn any(_: i64, _: &[(i64, usize)]) -> bool {
    true
}

#[test]
fn reluctant_matches_complete_as_early_as_possible() {
    // A B*? C with C: more than A + 2.
    let c: Cond = |v, rows| v > rows[0].0 + 2;
    let got = run(vec![el(0, 1, Some(1), false), el(1, 0, None, false), el(2, 1, Some(1), false)], Skip::PastLastRow, None, &[any, any, c], &[1, 2, 2, 5, 4, 9, 1]);
    assert_eq!(got, vec![vec![(1, 0), (2, 1), (2, 1), (5, 2)], vec![(4, 0), (9, 2)]]);
}

#[test]
fn greedy_keeps_rows_its_variable_can_take() {
    // A B+ C, B: <= 12, C: >= 12: a 12 stays with B; the match ends at the first row above 12.
    let b: Cond = |v, _| v <= 12;
    let c: Cond = |v, _| v >= 12;
    let pattern = |greedy| vec![el(0, 1, Some(1), false), el(1, 1, None, greedy), el(2, 1, Some(1), false)];
    let values = [10, 11, 12, 13, 1];
    assert_eq!(run(pattern(true), Skip::PastLastRow, None, &[any, b, c], &values), vec![vec![(10, 0), (11, 1), (12, 1), (13, 2)]]);
    // Reluctant: C takes the 12.
    assert_eq!(run(pattern(false), Skip::PastLastRow, None, &[any, b, c], &values), vec![vec![(10, 0), (11, 1), (12, 2)]]);
}

#[test]
fn skip_strategies() {
    // A B+? C: falling B rows, then C above the last B.
    let b: Cond = |v, rows| v < rows.last().unwrap().0;
    let c: Cond = |v, rows| v > rows.last().unwrap().0;
    let pattern = || vec![el(0, 1, Some(1), false), el(1, 1, None, false), el(2, 1, Some(1), false)];
    let values = [9, 8, 7, 10, 6, 11];
    let starts = |skip| run(pattern(), skip, None, &[any, b, c], &values).iter().map(|m| (m[0].0, m.last().unwrap().0)).collect::<Vec<_>>();
    assert_eq!(starts(Skip::PastLastRow), vec![(9, 10)]);
    // To next row: the match starting at 8 too (its B is 7).
    assert_eq!(starts(Skip::ToNextRow), vec![(9, 10), (8, 10), (10, 11)]);
    // To the last C: the row that ended the match may start the next one.
    assert_eq!(starts(Skip::ToLast(2)), vec![(9, 10), (10, 11)]);
    assert_eq!(starts(Skip::ToFirst(1)), vec![(9, 10), (8, 10), (10, 11)]);
}

#[test]
fn within_drops_partial_matches_too_old() {
    // A B*? C with C = 100; rows are 10 apart: [1, 2, 100] spans 20.
    let c: Cond = |v, _| v == 100;
    let pattern = || vec![el(0, 1, Some(1), false), el(1, 0, None, false), el(2, 1, Some(1), false)];
    let values = [1, 2, 100];
    assert_eq!(run(pattern(), Skip::PastLastRow, Some(20), &[any, any, c], &values), vec![vec![(2, 0), (100, 2)]]);
    assert_eq!(run(pattern(), Skip::PastLastRow, Some(21), &[any, any, c], &values).len(), 1);
    assert_eq!(run(pattern(), Skip::PastLastRow, Some(21), &[any, any, c], &values)[0][0], (1, 0));
}

#[test]
fn counted_quantifiers() {
    // A{2} B, A: < 5, B: >= 5.
    let a: Cond = |v, _| v < 5;
    let b: Cond = |v, _| v >= 5;
    let got = run(vec![el(0, 2, Some(2), false), el(1, 1, Some(1), false)], Skip::PastLastRow, None, &[a, b], &[1, 2, 3, 7, 1, 8]);
    assert_eq!(got, vec![vec![(2, 0), (3, 0), (7, 1)]]);
    // A{1,3}? B with skip to next row: every start that reaches B within three A rows.
    let got = run(vec![el(0, 1, Some(3), false), el(1, 1, Some(1), false)], Skip::ToNextRow, None, &[a, b], &[1, 2, 3, 4, 9]);
    let starts: Vec<i64> = got.iter().map(|m| m[0].0).collect();
    assert_eq!(starts, vec![2, 3, 4]);
}

#[test]
fn a_match_waits_for_an_earlier_partial_match() {
    // A B+? C, C = 0 ends a match; A = 5 starts a long one, which finishes after the short one
    // that started later: with skip to next row, the later one is held until the first one
    // completes, then both come out in start order.
    let a: Cond = |v, _| v == 5 || v == 6;
    let c: Cond = |v, rows| v == 0 && (rows[0].0 != 5 || rows.len() >= 4);
    let pattern = vec![el(0, 1, Some(1), false), el(1, 1, None, false), el(2, 1, Some(1), false)];
    let got = run(pattern, Skip::ToNextRow, None, &[a, any, c], &[5, 6, 1, 0, 0]);
    let starts: Vec<(i64, usize)> = got.iter().map(|m| (m[0].0, m.len())).collect();
    assert_eq!(starts, vec![(5, 5), (6, 3)]);
}
