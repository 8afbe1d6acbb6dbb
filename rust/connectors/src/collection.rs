//! A bounded source over an in-memory collection (`env.from_collection(...)`).
//!
//! The values are shared by all parallel subtasks; subtask `i` of `p` emits elements `i`, `i + p`,
//! `i + 2p`, ... in order (each as [`DataModel::duplicate`] of the shared value), in batches of at
//! most `max_records`, then finishes. At parallelism 1 the collection's order is kept exactly.

use std::sync::Arc;

use oxflow_core::checkpoint::snapshot::{decode, encode, RestoredState, SnapshotWriter};
use oxflow_core::checkpoint::CheckpointId;
use oxflow_core::data::{DataModel, Record};
use oxflow_core::error::BoxError;
use oxflow_core::operator::TaskInfo;
use oxflow_core::source::{Source, SourceFactory, SourcePoll};

/// The rest of a share: elements `next`, `next + step`, ... A checkpoint stores these positions
/// (the values themselves are part of the job), so a restore replays from them.
type Share = (u64, u64);

/// One subtask's share of a collection.
pub struct CollectionSource<D: DataModel> {
    values: Arc<Vec<D::Value>>,
    next: usize,
    step: usize,
    /// Shares restored from a checkpoint, read after the current one.
    more: Vec<Share>,
}

impl<D: DataModel> CollectionSource<D> {
    /// The share of subtask `subtask_index` of `parallelism`.
    pub fn new(values: Arc<Vec<D::Value>>, subtask_index: usize, parallelism: usize) -> Self {
        CollectionSource { values, next: subtask_index, step: parallelism.max(1), more: Vec::new() }
    }

    /// Creates each subtask's source over the shared `values`.
    pub fn factory(values: Arc<Vec<D::Value>>) -> SourceFactory<D> {
        Box::new(move |task: &TaskInfo| {
            Ok(Box::new(CollectionSource::<D>::new(values.clone(), task.subtask_index, task.parallelism))
                as Box<dyn Source<D>>)
        })
    }
}

impl<D: DataModel> Source<D> for CollectionSource<D> {
    fn poll(&mut self, max_records: usize) -> Result<SourcePoll<D>, BoxError> {
        while self.next >= self.values.len() {
            let Some((next, step)) = self.more.pop() else { return Ok(SourcePoll::Finished) };
            (self.next, self.step) = (next as usize, step.max(1) as usize);
        }
        let max_records = max_records.max(1);
        let mut out = Vec::with_capacity(max_records.min(self.values.len() - self.next));
        while self.next < self.values.len() && out.len() < max_records {
            out.push(Record::new(D::duplicate(&self.values[self.next])));
            self.next += self.step;
        }
        Ok(SourcePoll::Records(out))
    }

    fn snapshot_state(&mut self, _: CheckpointId, state: &mut SnapshotWriter<'_, D>) -> Result<(), BoxError> {
        let len = self.values.len();
        let shares = std::iter::once((self.next as u64, self.step as u64)).chain(self.more.iter().rev().copied());
        for share in shares.filter(|(next, _)| (*next as usize) < len) {
            state.list(encode(&share)?);
        }
        Ok(())
    }

    fn restore_state(&mut self, state: RestoredState<D>) -> Result<(), BoxError> {
        let mut shares: Vec<Share> = state.list.iter().map(|s| decode(s, "collection position")).collect::<Result<_, _>>()?;
        shares.reverse();
        self.next = self.values.len();
        self.more = shares;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_support::{drain, task, Ints, Strings};

    #[test]
    fn parallelism_one_keeps_order_and_batches() {
        let values: Arc<Vec<i64>> = Arc::new((0..7).collect());
        let factory = CollectionSource::<Ints>::factory(values);
        let mut source = factory(&task(0, 1)).unwrap();
        let batches = drain(source.as_mut(), 3).unwrap();
        assert_eq!(batches, vec![vec![0, 1, 2], vec![3, 4, 5], vec![6]]);
    }

    #[test]
    fn subtasks_take_strided_elements() {
        let values: Arc<Vec<String>> = Arc::new((0..10).map(|i| format!("v{i}")).collect());
        let factory = CollectionSource::<Strings>::factory(values.clone());
        let mut all = Vec::new();
        for (i, expected) in [
            vec!["v0", "v3", "v6", "v9"],
            vec!["v1", "v4", "v7"],
            vec!["v2", "v5", "v8"],
        ]
        .into_iter()
        .enumerate()
        {
            let mut source = factory(&task(i, 3)).unwrap();
            let got: Vec<String> = drain(source.as_mut(), 2).unwrap().concat();
            assert_eq!(got, expected);
            all.extend(got);
        }
        all.sort();
        let mut expected: Vec<String> = values.iter().cloned().collect();
        expected.sort();
        assert_eq!(all, expected, "every element exactly once");
        // The shared values are untouched (duplicated, not moved).
        assert_eq!(values.len(), 10);
    }

    #[test]
    fn restores_its_position_and_keeps_order_at_parallelism_one() {
        use oxflow_core::checkpoint::snapshot::OperatorSnapshot;
        let values: Arc<Vec<i64>> = Arc::new((0..10).collect());
        let factory = CollectionSource::<Ints>::factory(values);
        let mut first = factory(&task(0, 1)).unwrap();
        let head = match first.poll(4).unwrap() {
            SourcePoll::Records(r) => r.into_iter().map(|r| r.value).collect::<Vec<_>>(),
            _ => panic!("records"),
        };
        let mut snap = OperatorSnapshot::default();
        first.snapshot_state(1, &mut SnapshotWriter::new(&mut snap)).unwrap();
        let mut restored = factory(&task(0, 1)).unwrap();
        restored.restore_state(RestoredState::share(&[snap], 0, 1, 128).unwrap()).unwrap();
        let tail = drain(restored.as_mut(), 3).unwrap().concat();
        assert_eq!([head, tail].concat(), (0..10).collect::<Vec<_>>());
    }

    #[test]
    fn more_subtasks_than_elements_and_empty_collection() {
        let factory = CollectionSource::<Ints>::factory(Arc::new(vec![1, 2]));
        assert_eq!(drain(factory(&task(1, 4)).unwrap().as_mut(), 10).unwrap(), vec![vec![2]]);
        assert!(drain(factory(&task(3, 4)).unwrap().as_mut(), 10).unwrap().is_empty());

        let empty = CollectionSource::<Ints>::factory(Arc::new(Vec::new()));
        assert!(drain(empty(&task(0, 1)).unwrap().as_mut(), 10).unwrap().is_empty());
    }
}
