//! Flink's `NumberSequenceSource(from, to)`: the numbers `from..=to` (both inclusive).
//!
//! The range is split into `p` contiguous splits of nearly equal size (the first
//! `count % p` splits hold one number more, as Flink's `NumberSequenceIterator.split` does);
//! subtask `i` emits split `i` in ascending order, in batches of at most `max_records`. The whole
//! `i64` range works (the arithmetic is done in `i128`).

use std::collections::VecDeque;
use std::sync::Arc;

use oxflow_core::checkpoint::snapshot::{decode, encode, RestoredState, SnapshotWriter};
use oxflow_core::checkpoint::CheckpointId;
use oxflow_core::data::{DataModel, Record};
use oxflow_core::error::{message, BoxError};
use oxflow_core::operator::TaskInfo;
use oxflow_core::source::{Source, SourceFactory, SourcePoll};

/// Makes a value of the data model from a number.
pub type MakeNumber<D> = Arc<dyn Fn(i64) -> <D as DataModel>::Value + Send + Sync>;

/// Checks that the range is not empty (`from <= to`).
pub fn validate(from: i64, to: i64) -> Result<(), BoxError> {
    if from > to {
        return Err(message(format!(
            "number sequence source: 'from' ({from}) must not be greater than 'to' ({to})"
        )));
    }
    Ok(())
}

/// The inclusive range `(first, last)` of split `index` of `splits`, or `None` if it is empty
/// (more splits than numbers).
pub fn split_range(from: i64, to: i64, index: usize, splits: usize) -> Option<(i64, i64)> {
    let splits = splits.max(1) as i128;
    let index = index as i128;
    let count = to as i128 - from as i128 + 1;
    if count <= 0 || index >= splits {
        return None;
    }
    let base = count / splits;
    let extra = count % splits;
    let start = from as i128 + index * base + index.min(extra);
    let size = base + i128::from(index < extra);
    (size > 0).then(|| (start as i64, (start + size - 1) as i64))
}

/// The rest of a split: `next..end` (end exclusive). A checkpoint stores these, so a restore at
/// another parallelism hands the remaining ranges to the new subtasks.
type Range = (i128, i128);

/// One subtask's splits of a number sequence, read in order.
pub struct NumberSequenceSource<D: DataModel> {
    splits: VecDeque<Range>,
    make: MakeNumber<D>,
}

impl<D: DataModel> NumberSequenceSource<D> {
    /// The numbers `first..=last`.
    pub fn new(first: i64, last: i64, make: MakeNumber<D>) -> Self {
        NumberSequenceSource { splits: VecDeque::from([(first as i128, last as i128 + 1)]), make }
    }

    /// Emits nothing.
    pub fn empty(make: MakeNumber<D>) -> Self {
        NumberSequenceSource { splits: VecDeque::new(), make }
    }
}

impl<D: DataModel> Source<D> for NumberSequenceSource<D> {
    fn poll(&mut self, max_records: usize) -> Result<SourcePoll<D>, BoxError> {
        while let Some(&(next, end)) = self.splits.front() {
            if next >= end {
                self.splits.pop_front();
                continue;
            }
            let n = (end - next).min(max_records.max(1) as i128) as usize;
            let mut out = Vec::with_capacity(n);
            for i in 0..n {
                out.push(Record::new((self.make)((next + i as i128) as i64)));
            }
            self.splits[0].0 = next + n as i128;
            return Ok(SourcePoll::Records(out));
        }
        Ok(SourcePoll::Finished)
    }

    fn snapshot_state(&mut self, _: CheckpointId, state: &mut SnapshotWriter<'_, D>) -> Result<(), BoxError> {
        for split in self.splits.iter().filter(|(next, end)| next < end) {
            state.list(encode(split)?);
        }
        Ok(())
    }

    fn restore_state(&mut self, state: RestoredState<D>) -> Result<(), BoxError> {
        self.splits = state.list.iter().map(|s| decode::<Range>(s, "number sequence split")).collect::<Result<_, _>>()?;
        Ok(())
    }
}

/// Creates each subtask's source over its split of `from..=to`. An invalid range fails the
/// subtask's creation with [`validate`]'s error.
pub fn factory<D: DataModel>(from: i64, to: i64, make: MakeNumber<D>) -> SourceFactory<D> {
    Box::new(move |task: &TaskInfo| {
        validate(from, to)?;
        let source = match split_range(from, to, task.subtask_index, task.parallelism) {
            Some((first, last)) => NumberSequenceSource::<D>::new(first, last, make.clone()),
            None => NumberSequenceSource::<D>::empty(make.clone()),
        };
        Ok(Box::new(source) as Box<dyn Source<D>>)
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_support::{drain, task, Ints, Strings};

    fn ints() -> MakeNumber<Ints> {
        Arc::new(|n| n)
    }

    fn run(from: i64, to: i64, p: usize, max: usize) -> Vec<Vec<Vec<i64>>> {
        let f = factory::<Ints>(from, to, ints());
        (0..p).map(|i| drain(f(&task(i, p)).unwrap().as_mut(), max).unwrap()).collect()
    }

    #[test]
    fn both_ends_inclusive() {
        assert_eq!(run(1, 5, 1, 100), vec![vec![vec![1, 2, 3, 4, 5]]]);
        assert_eq!(run(7, 7, 1, 100), vec![vec![vec![7]]]);
        assert_eq!(run(-2, 1, 1, 100), vec![vec![vec![-2, -1, 0, 1]]]);
    }

    #[test]
    fn contiguous_nearly_equal_splits() {
        // 10 numbers over 3 subtasks: 4, 3, 3.
        let got = run(1, 10, 3, 2);
        assert_eq!(
            got,
            vec![
                vec![vec![1, 2], vec![3, 4]],
                vec![vec![5, 6], vec![7]],
                vec![vec![8, 9], vec![10]],
            ]
        );
        // More subtasks than numbers: the last ones are empty.
        let got = run(0, 1, 4, 10);
        assert_eq!(got, vec![vec![vec![0]], vec![vec![1]], vec![], vec![]]);
    }

    #[test]
    fn splits_cover_the_range_exactly_once() {
        for (from, to) in [(0, 999), (-50, 50), (5, 17)] {
            for p in 1..=9 {
                let all: Vec<i64> = run(from, to, p, 7).into_iter().flatten().flatten().collect();
                assert_eq!(all, (from..=to).collect::<Vec<_>>(), "from {from} to {to} p {p}");
            }
        }
    }

    #[test]
    fn extreme_ranges_do_not_overflow() {
        assert_eq!(split_range(i64::MIN, i64::MAX, 0, 2), Some((i64::MIN, -1)));
        assert_eq!(split_range(i64::MIN, i64::MAX, 1, 2), Some((0, i64::MAX)));
        let got = run(i64::MAX - 2, i64::MAX, 1, 2);
        assert_eq!(got, vec![vec![vec![i64::MAX - 2, i64::MAX - 1], vec![i64::MAX]]]);
    }

    #[test]
    fn make_builds_the_values() {
        let f = factory::<Strings>(3, 5, Arc::new(|n| format!("n={n}")));
        let got = drain(f(&task(0, 1)).unwrap().as_mut(), 10).unwrap();
        assert_eq!(got, vec![vec!["n=3".to_string(), "n=4".into(), "n=5".into()]]);
    }

    #[test]
    fn restores_its_position_at_another_parallelism() {
        use oxflow_core::checkpoint::snapshot::OperatorSnapshot;
        let f = factory::<Ints>(1, 100, ints());
        // Two subtasks read a little, then snapshot.
        let mut seen = Vec::new();
        let mut snapshots = Vec::new();
        for i in 0..2 {
            let mut s = f(&task(i, 2)).unwrap();
            if let SourcePoll::Records(r) = s.poll(7).unwrap() {
                seen.extend(r.into_iter().map(|r| r.value));
            }
            let mut snap = OperatorSnapshot::default();
            s.snapshot_state(1, &mut SnapshotWriter::new(&mut snap)).unwrap();
            snapshots.push(snap);
        }
        // Three new subtasks take the rest over.
        for i in 0..3 {
            let mut s = f(&task(i, 3)).unwrap();
            s.restore_state(RestoredState::share(&snapshots, i, 3, 128).unwrap()).unwrap();
            seen.extend(drain(s.as_mut(), 10).unwrap().concat());
        }
        seen.sort();
        assert_eq!(seen, (1..=100).collect::<Vec<_>>(), "every number exactly once");
    }

    #[test]
    fn invalid_range_names_both_bounds() {
        assert!(validate(3, 3).is_ok());
        let err = validate(5, 3).unwrap_err().to_string();
        assert_eq!(err, "number sequence source: 'from' (5) must not be greater than 'to' (3)");
        let f = factory::<Ints>(5, 3, ints());
        let err = f(&task(0, 1)).err().expect("creation fails").to_string();
        assert!(err.contains("(5)") && err.contains("(3)"), "{err}");
    }
}
