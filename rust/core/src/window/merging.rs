//! The session windows of one key, kept merged (Flink's `MergingWindowSet` with
//! `TimeWindow.mergeWindows`): windows that overlap or touch become their cover.

use crate::state::Namespace;

/// What adding a window did.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MergeOutcome {
    /// The window the new one ended up in: itself, an existing window containing it, or the merge
    /// of it with every window it overlapped.
    pub window: Namespace,
    /// The existing windows that were merged into `window` and no longer exist (sorted by start).
    /// Their contents, trigger state and timers must move to `window`.
    pub merged: Vec<Namespace>,
}

/// Windows `[start, end)` sorted by start; no two of them intersect.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct MergingWindowSet {
    windows: Vec<(i64, i64)>,
}

/// Flink's `TimeWindow.intersects`: overlapping or touching (`[0, 5)` and `[5, 9)` merge).
pub fn intersects(a: (i64, i64), b: (i64, i64)) -> bool {
    a.0 <= b.1 && a.1 >= b.0
}

fn window((start, end): (i64, i64)) -> Namespace {
    Namespace::Window { start, end }
}

fn bounds(w: &Namespace) -> (i64, i64) {
    match *w {
        Namespace::Window { start, end } => (start, end),
        other => panic!("merging windows are time windows, got {other:?}"),
    }
}

impl MergingWindowSet {
    pub fn new() -> Self {
        MergingWindowSet::default()
    }

    /// Adds `new`, merging it with every window it intersects.
    pub fn add_window(&mut self, new: Namespace) -> MergeOutcome {
        let (s, e) = bounds(&new);
        // Windows are disjoint and sorted, so the ones `new` intersects are contiguous.
        let first = self.windows.partition_point(|&w| w.1 < s);
        let last = first + self.windows[first..].iter().take_while(|&&w| intersects(w, (s, e))).count();
        match &self.windows[first..last] {
            [] => {
                self.windows.insert(first, (s, e));
                MergeOutcome { window: new, merged: Vec::new() }
            }
            // Contained in an existing window: nothing changes.
            [only] if only.0 <= s && only.1 >= e => MergeOutcome { window: window(*only), merged: Vec::new() },
            hit => {
                let cover = (hit[0].0.min(s), hit[hit.len() - 1].1.max(e));
                let merged = hit.iter().copied().map(window).collect();
                self.windows.splice(first..last, [cover]);
                MergeOutcome { window: window(cover), merged }
            }
        }
    }

    /// Rebuilds a set from its windows (as a checkpoint holds them); `None` unless they are
    /// non-empty, sorted and pairwise non-intersecting, as in every set `add_window` builds.
    pub fn from_windows(windows: Vec<(i64, i64)>) -> Option<Self> {
        let valid = !windows.is_empty() && windows.iter().all(|w| w.0 < w.1) && windows.windows(2).all(|p| p[0].1 < p[1].0);
        valid.then_some(MergingWindowSet { windows })
    }

    /// Forgets a window (it fired for the last time, or it was late).
    pub fn retire_window(&mut self, w: &Namespace) -> bool {
        let b = bounds(w);
        match self.windows.binary_search(&b) {
            Ok(i) => {
                self.windows.remove(i);
                true
            }
            Err(_) => false,
        }
    }

    pub fn contains(&self, w: &Namespace) -> bool {
        matches!(*w, Namespace::Window { start, end } if self.windows.binary_search(&(start, end)).is_ok())
    }

    pub fn windows(&self) -> impl Iterator<Item = Namespace> + '_ {
        self.windows.iter().copied().map(window)
    }

    pub fn len(&self) -> usize {
        self.windows.len()
    }

    pub fn is_empty(&self) -> bool {
        self.windows.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn w(start: i64, end: i64) -> Namespace {
        Namespace::Window { start, end }
    }

    fn all(set: &MergingWindowSet) -> Vec<Namespace> {
        set.windows().collect()
    }

    #[test]
    fn separate_windows_stay_separate() {
        let mut set = MergingWindowSet::new();
        assert_eq!(set.add_window(w(10, 20)), MergeOutcome { window: w(10, 20), merged: vec![] });
        assert_eq!(set.add_window(w(0, 5)), MergeOutcome { window: w(0, 5), merged: vec![] });
        assert_eq!(set.add_window(w(30, 40)), MergeOutcome { window: w(30, 40), merged: vec![] });
        assert_eq!(all(&set), vec![w(0, 5), w(10, 20), w(30, 40)]);
    }

    #[test]
    fn overlapping_and_touching_windows_merge() {
        let mut set = MergingWindowSet::new();
        set.add_window(w(0, 10));
        assert_eq!(set.add_window(w(5, 15)), MergeOutcome { window: w(0, 15), merged: vec![w(0, 10)] });
        // Touching counts as intersecting.
        assert_eq!(set.add_window(w(15, 25)), MergeOutcome { window: w(0, 25), merged: vec![w(0, 15)] });
        assert_eq!(set.add_window(w(-10, 0)), MergeOutcome { window: w(-10, 25), merged: vec![w(0, 25)] });
        assert_eq!(all(&set), vec![w(-10, 25)]);
    }

    #[test]
    fn a_window_inside_another_changes_nothing() {
        let mut set = MergingWindowSet::new();
        set.add_window(w(0, 20));
        assert_eq!(set.add_window(w(5, 15)), MergeOutcome { window: w(0, 20), merged: vec![] });
        assert_eq!(set.add_window(w(0, 20)), MergeOutcome { window: w(0, 20), merged: vec![] });
        assert_eq!(all(&set), vec![w(0, 20)]);
    }

    #[test]
    fn a_late_element_bridging_two_sessions_merges_three_windows() {
        let mut set = MergingWindowSet::new();
        set.add_window(w(0, 10));
        set.add_window(w(15, 25));
        set.add_window(w(40, 50));
        let outcome = set.add_window(w(8, 18));
        assert_eq!(outcome, MergeOutcome { window: w(0, 25), merged: vec![w(0, 10), w(15, 25)] });
        assert_eq!(all(&set), vec![w(0, 25), w(40, 50)]);
        // A window spanning everything swallows all of them.
        let outcome = set.add_window(w(-5, 60));
        assert_eq!(outcome, MergeOutcome { window: w(-5, 60), merged: vec![w(0, 25), w(40, 50)] });
        assert_eq!(all(&set), vec![w(-5, 60)]);
    }

    #[test]
    fn retired_windows_are_gone() {
        let mut set = MergingWindowSet::new();
        set.add_window(w(0, 10));
        set.add_window(w(20, 30));
        assert!(set.contains(&w(0, 10)));
        assert!(set.retire_window(&w(0, 10)));
        assert!(!set.retire_window(&w(0, 10)));
        assert!(!set.contains(&w(0, 10)));
        assert_eq!(set.add_window(w(5, 12)), MergeOutcome { window: w(5, 12), merged: vec![] });
        assert_eq!(set.len(), 2);
    }
}
