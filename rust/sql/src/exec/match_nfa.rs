//! The pattern automaton of MATCH_RECOGNIZE, with the semantics of Flink's CEP NFA (our code):
//! - strict contiguity: a partial match that cannot take the next row of its partition dies;
//! - a new partial match may start at every row;
//! - a reluctant quantifier explores both taking another row and moving on (so its matches
//!   complete as early as possible); a greedy one does not let the next variable take a row its
//!   own variable can take;
//! - a match completes on the row that reaches the pattern's end (and the partial match goes on
//!   where it still can take rows);
//! - completed matches are emitted in the order of their first rows, and only once no partial
//!   match that started earlier is left; each emitted match prunes the partial and completed
//!   matches its AFTER MATCH SKIP strategy skips;
//! - WITHIN: a partial match whose first row is `within` or more before the current time is
//!   dropped.

use crate::plan::match_pattern::Element;

/// AFTER MATCH SKIP.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Skip {
    PastLastRow,
    ToNextRow,
    ToFirst(usize),
    ToLast(usize),
}

/// A row of a partition as the automaton sees it: its position in the partition's sequence and
/// its time, plus what the caller keeps of it.
#[derive(Clone, Debug)]
pub struct Event<E> {
    pub seq: u64,
    pub time: i64,
    pub data: E,
}

/// A partial or completed match: the rows taken so far with the variable each was taken as.
#[derive(Clone, Debug)]
pub struct Run<E> {
    pub rows: Vec<(Event<E>, usize)>,
    /// The element of the pattern the last row was taken by, and how many rows it took so far.
    element: usize,
    count: u32,
}

impl<E> Run<E> {
    /// The element of the pattern that took the last row and how many rows it took (for
    /// snapshots).
    pub fn position(&self) -> (usize, u32) {
        (self.element, self.count)
    }

    /// A match taken back from a snapshot (see [`Run::position`]).
    pub fn resumed(rows: Vec<(Event<E>, usize)>, element: usize, count: u32) -> Self {
        Run { rows, element, count }
    }

    fn start_seq(&self) -> u64 {
        self.rows[0].0.seq
    }

    fn start_time(&self) -> i64 {
        self.rows[0].0.time
    }
}

/// One question the automaton asks for a row: would variable `var` take the row after `rows`?
pub struct Candidate<'a, E> {
    pub rows: &'a [(Event<E>, usize)],
    pub var: usize,
}

pub struct Nfa<E> {
    pattern: Vec<Element>,
    skip: Skip,
    within: Option<i64>,
    runs: Vec<Run<E>>,
    /// Completed matches waiting for earlier-started partial matches, by first row.
    pending: Vec<Run<E>>,
}

impl<E: Clone> Nfa<E> {
    pub fn new(pattern: Vec<Element>, skip: Skip, within: Option<i64>) -> Self {
        Nfa { pattern, skip, within, runs: Vec::new(), pending: Vec::new() }
    }

    /// The partial matches and the completed ones waiting to be emitted (for snapshots).
    pub fn runs(&self) -> (&[Run<E>], &[Run<E>]) {
        (&self.runs, &self.pending)
    }

    /// Takes back the partial and waiting matches of a snapshot; refuses matches this pattern
    /// cannot have made.
    pub fn resume(&mut self, runs: Vec<Run<E>>, pending: Vec<Run<E>>) -> Result<(), String> {
        for run in runs.iter().chain(&pending) {
            if run.rows.is_empty() || run.element >= self.pattern.len() || run.count == 0 {
                return Err(format!("a match at pattern element {} after {} rows", run.element, run.rows.len()));
            }
        }
        self.runs.extend(runs);
        self.pending.extend(pending);
        Ok(())
    }

    /// Whether the automaton holds nothing (its partition's state can be dropped).
    pub fn is_empty(&self) -> bool {
        self.runs.is_empty() && self.pending.is_empty()
    }

    /// Drops the partial matches `time` is too late for; returns the matches that frees.
    pub fn advance_time(&mut self, time: i64) -> Vec<Run<E>> {
        if let Some(w) = self.within {
            self.runs.retain(|r| time.saturating_sub(r.start_time()) < w);
        }
        self.release()
    }

    /// The elements a run at (`element`, `count`) may give the next row to: its own again, or a
    /// later one (passing over elements that may take no row).
    fn options(&self, at: Option<(usize, u32)>) -> Vec<usize> {
        let mut out = Vec::new();
        let from = match at {
            None => 0,
            Some((i, c)) => {
                let e = &self.pattern[i];
                if e.max.is_none_or(|m| c < m) {
                    out.push(i);
                }
                if c < e.min {
                    return out;
                }
                i + 1
            }
        };
        for j in from..self.pattern.len() {
            out.push(j);
            if self.pattern[j].min > 0 {
                break;
            }
        }
        out
    }

    fn complete(&self, element: usize, count: u32) -> bool {
        count >= self.pattern[element].min && self.pattern[element + 1..].iter().all(|e| e.min == 0)
    }

    fn can_continue(&self, element: usize, count: u32) -> bool {
        self.pattern[element].max.is_none_or(|m| count < m) || element + 1 < self.pattern.len()
    }

    /// Feeds the partition's next row (in time order). `accepts` answers every candidate at
    /// once (the DEFINE conditions, true for variables without one). Returns the matches to emit,
    /// in order.
    pub fn process(&mut self, event: Event<E>, accepts: &mut dyn FnMut(&Event<E>, &[Candidate<'_, E>]) -> Vec<bool>) -> Vec<Run<E>> {
        let mut matches = self.advance_time(event.time);
        let empty: Vec<(Event<E>, usize)> = Vec::new();
        // Every (run, element) the row may go to; the last run index stands for a new start.
        let starts = self.runs.len();
        let mut asked: Vec<(usize, usize)> = Vec::new();
        for r in 0..=starts {
            let at = self.runs.get(r).map(|run| (run.element, run.count));
            for j in self.options(at) {
                asked.push((r, j));
            }
        }
        let candidates: Vec<Candidate<'_, E>> = asked
            .iter()
            .map(|&(r, j)| Candidate { rows: self.runs.get(r).map_or(&empty[..], |run| &run.rows[..]), var: self.pattern[j].var })
            .collect();
        let accepted = accepts(&event, &candidates);
        drop(candidates);
        let mut next = Vec::new();
        let mut completed = Vec::new();
        for (k, &(r, j)) in asked.iter().enumerate() {
            if !accepted[k] {
                continue;
            }
            // Greedy: an earlier element of this run that may take the row (stay in its loop, or
            // not be passed over) keeps it from the later ones.
            let blocked = asked[..k].iter().zip(&accepted[..k]).any(|(&(r2, j2), &ok)| r2 == r && ok && j2 < j && self.pattern[j2].greedy);
            if blocked {
                continue;
            }
            let (mut rows, count) = match self.runs.get(r) {
                Some(run) => (run.rows.clone(), if run.element == j { run.count + 1 } else { 1 }),
                None => (Vec::new(), 1),
            };
            rows.push((event.clone(), self.pattern[j].var));
            let run = Run { rows, element: j, count };
            if self.complete(j, count) {
                if self.can_continue(j, count) {
                    next.push(run.clone());
                }
                completed.push(run);
            } else {
                next.push(run);
            }
        }
        self.runs = next;
        self.pending.extend(completed);
        matches.extend(self.release());
        matches
    }

    /// Emits the completed matches no earlier-started partial match can precede.
    fn release(&mut self) -> Vec<Run<E>> {
        let mut out = Vec::new();
        loop {
            let Some(first) = (0..self.pending.len()).min_by_key(|&i| (self.pending[i].start_seq(), i)) else { break };
            let start = self.pending[first].start_seq();
            if self.runs.iter().any(|r| r.start_seq() < start) {
                break;
            }
            let m = self.pending.remove(first);
            if let Some(prune) = self.prune_bound(&m) {
                // Runs starting before the bound (`inclusive`: at it too) are skipped.
                let keep = |r: &Run<E>| match prune {
                    (bound, true) => r.start_seq() > bound,
                    (bound, false) => r.start_seq() >= bound,
                };
                self.runs.retain(keep);
                self.pending.retain(keep);
            }
            out.push(m);
        }
        out
    }

    /// Where the skip strategy resumes after match `m`: runs starting before this row (or at it,
    /// when inclusive) are dropped.
    fn prune_bound(&self, m: &Run<E>) -> Option<(u64, bool)> {
        let of_var = |v: usize| m.rows.iter().filter(move |(_, var)| *var == v).map(|(e, _)| e.seq);
        match self.skip {
            Skip::PastLastRow => Some((m.rows.last()?.0.seq, true)),
            Skip::ToNextRow => Some((m.rows[0].0.seq, true)),
            Skip::ToFirst(v) => of_var(v).next().map(|s| (s, false)),
            Skip::ToLast(v) => of_var(v).last().map(|s| (s, false)),
        }
    }
}
