//! Checkpoints end to end with plain Rust values: barriers through keyed exchanges, a
//! two-phase sink that commits on completion, a cancelled job restored at another parallelism
//! with exactly-once committed output, savepoints, and snapshot errors.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use oxflow_core::checkpoint::protocol::CoordinatorConfig;
use oxflow_core::checkpoint::runtime::{CheckpointSettings, RestoreSettings};
use oxflow_core::checkpoint::snapshot::{decode, encode, RestoredState, SnapshotWriter};
use oxflow_core::checkpoint::storage::{latest_checkpoint, load_snapshot, random_hex, LocalStorage};
use oxflow_core::checkpoint::CheckpointId;
use oxflow_core::data::Record;
use oxflow_core::error::{message, BoxError, JobError};
use oxflow_core::executor::start;
use oxflow_core::function::{KeySelectorFn, Lifecycle, ReduceFn};
use oxflow_core::graph::{Edge, JobGraph, Partitioning};
use oxflow_core::operator::{Operator, Output, TaskInfo};
use oxflow_core::operators::{KeyByOperator, KeyedReduceOperator};
use oxflow_core::source::{Source, SourcePoll};
use oxflow_core::state::{BTreeMapEngineFactory, KvEngineFactory};

mod common;
use common::Ints;

/// `0..count` split in contiguous ranges, slowly (so checkpoints happen mid-stream), replayable.
struct Slow {
    next: i64,
    end: i64,
    delay: Duration,
    /// Restored splits still to read.
    more: Vec<(i64, i64)>,
}
impl Source<Ints> for Slow {
    fn poll(&mut self, max: usize) -> Result<SourcePoll<Ints>, BoxError> {
        while self.next >= self.end {
            let Some((next, end)) = self.more.pop() else { return Ok(SourcePoll::Finished) };
            (self.next, self.end) = (next, end);
        }
        std::thread::sleep(self.delay);
        let n = (self.end - self.next).min(max.min(20) as i64);
        let out = (self.next..self.next + n).map(Record::new).collect();
        self.next += n;
        Ok(SourcePoll::Records(out))
    }
    fn snapshot_state(&mut self, _: CheckpointId, w: &mut SnapshotWriter<'_, Ints>) -> Result<(), BoxError> {
        for split in std::iter::once((self.next, self.end)).chain(self.more.iter().copied()) {
            w.list(encode(&split)?);
        }
        Ok(())
    }
    fn restore_state(&mut self, state: RestoredState<Ints>) -> Result<(), BoxError> {
        self.more = state.list.iter().map(|s| decode(s, "split")).collect::<Result<_, _>>()?;
        (self.next, self.end) = (0, 0);
        Ok(())
    }
}

struct Key;
impl Lifecycle for Key {}
impl KeySelectorFn<Ints> for Key {
    fn key(&mut self, v: &i64) -> Result<(i64, u64), BoxError> {
        Ok((v % 7, (v % 7) as u64))
    }
}
struct Sum;
impl Lifecycle for Sum {}
impl ReduceFn<Ints> for Sum {
    fn reduce(&mut self, a: &i64, b: i64) -> Result<i64, BoxError> {
        Ok(a + b)
    }
}

/// What the two-phase test sink committed: each pending batch once (commits are idempotent,
/// as a file rename is).
#[derive(Default)]
struct Committed {
    batches: std::collections::HashSet<u64>,
    values: Vec<(i64, i64)>,
}

impl Committed {
    fn commit(&mut self, batch: u64, values: &[(i64, i64)]) {
        if self.batches.insert(batch) {
            self.values.extend(values);
        }
    }
}

type Shared = Arc<Mutex<Committed>>;

/// The committed rolling sums checked against the input `0..count`: per key they must be the
/// prefix sums of some order of the key's inputs, each input exactly once (the order between
/// parallel producers is not deterministic, the multiset of increments is). Returns the
/// increments per key, sorted.
fn committed_values(c: &Shared) -> Vec<(i64, Vec<i64>)> {
    let mut per_key: HashMap<i64, Vec<i64>> = HashMap::new();
    for &(k, v) in &c.lock().unwrap().values {
        per_key.entry(k).or_default().push(v);
    }
    let mut out: Vec<(i64, Vec<i64>)> = per_key
        .into_iter()
        .map(|(k, mut sums)| {
            sums.sort();
            let mut increments: Vec<i64> = sums.iter().scan(0, |prev, s| {
                let d = s - *prev;
                *prev = *s;
                Some(d)
            }).collect();
            increments.sort();
            (k, increments)
        })
        .collect();
    out.sort();
    out
}

/// A two-phase sink: values wait in `pending` per checkpoint and reach `committed` only when
/// their checkpoint completes (or on restore of a snapshot that holds them).
struct TwoPhase {
    committed: Shared,
    current: Vec<(i64, i64)>,
    pending: Vec<(CheckpointId, u64, Vec<(i64, i64)>)>,
}
impl Operator<Ints> for TwoPhase {
    fn process(&mut self, _: usize, records: Vec<Record<Ints>>, _: &mut Output<Ints>) -> Result<(), BoxError> {
        self.current.extend(records.into_iter().map(|r| (r.key.expect("keyed").key, r.value)));
        Ok(())
    }
    fn snapshot_state(&mut self, id: CheckpointId, w: &mut SnapshotWriter<'_, Ints>) -> Result<(), BoxError> {
        let batch = u64::from_str_radix(&random_hex(16), 16).unwrap();
        self.pending.push((id, batch, std::mem::take(&mut self.current)));
        for p in &self.pending {
            w.list(encode(p)?);
        }
        Ok(())
    }
    fn notify_checkpoint_complete(&mut self, id: CheckpointId) -> Result<(), BoxError> {
        let mut committed = self.committed.lock().unwrap();
        self.pending.retain(|(p, batch, values)| {
            if *p <= id {
                committed.commit(*batch, values);
            }
            *p > id
        });
        Ok(())
    }
    fn restore_state(&mut self, state: RestoredState<Ints>) -> Result<(), BoxError> {
        let mut committed = self.committed.lock().unwrap();
        for p in &state.list {
            let (_, batch, values): (CheckpointId, u64, Vec<(i64, i64)>) = decode(p, "pending")?;
            committed.commit(batch, &values);
        }
        Ok(())
    }
}

fn settings(dir: &Path, interval_ms: i64) -> CheckpointSettings {
    CheckpointSettings {
        coordinator: CoordinatorConfig { interval_ms, retained: 2, ..Default::default() },
        dir: dir.to_path_buf(),
        job_id: random_hex(32),
        retain_on_cancellation: true,
        storage: Arc::new(LocalStorage),
    }
}

/// Slow source (p) -> key_by(v % 7) -> rolling sum (p) -> two-phase sink (p).
fn job(p: usize, count: i64, delay: Duration, committed: Shared) -> JobGraph<Ints> {
    let mut g = JobGraph::new("checkpointed sum");
    let src = g.add_source(
        "Source",
        p,
        Box::new(move |t: &TaskInfo| {
            let per = count / t.parallelism as i64;
            let start = per * t.subtask_index as i64;
            let end = if t.subtask_index + 1 == t.parallelism { count } else { start + per };
            Ok(Box::new(Slow { next: start, end, delay, more: Vec::new() }) as Box<dyn Source<Ints>>)
        }),
    );
    g.nodes[src].uid = Some("source".into());
    let key_by = g
        .add_operator("KeyBy", p, Box::new(|_| Ok(Box::new(KeyByOperator::new(Key)) as Box<dyn Operator<Ints>>)), vec![Edge {
            from: src,
            partitioning: Partitioning::Forward,
            port: 0,
        }])
        .unwrap();
    let reduce = g
        .add_operator(
            "Sum",
            p,
            Box::new(|t: &TaskInfo| Ok(Box::new(KeyedReduceOperator::<Ints, _>::new(Sum).for_task(t)?) as Box<dyn Operator<Ints>>)),
            vec![Edge { from: key_by, partitioning: Partitioning::Hash, port: 0 }],
        )
        .unwrap();
    g.nodes[reduce].uid = Some("sum".into());
    let sink = g
        .add_operator(
            "Sink",
            p,
            Box::new(move |_| {
                Ok(Box::new(TwoPhase { committed: committed.clone(), current: Vec::new(), pending: Vec::new() }) as Box<dyn Operator<Ints>>)
            }),
            vec![Edge { from: reduce, partitioning: Partitioning::Forward, port: 0 }],
        )
        .unwrap();
    g.nodes[sink].uid = Some("sink".into());
    g
}

/// What [`committed_values`] gives for a failure-free run: every input once, under its key.
fn expected(count: i64) -> Vec<(i64, Vec<i64>)> {
    (0..7).map(|k| (k, (0..count).filter(|v| v % 7 == k).collect())).collect()
}

/// Runs the job to its successful end and keeps its handle (for its checkpoints and restarts).
fn run_to_end(g: JobGraph<Ints>) -> oxflow_core::executor::RunningJob {
    let mut running = start(g).unwrap();
    loop {
        if let Some(outcome) = running.wait_timeout(Duration::from_millis(50)) {
            outcome.unwrap();
            return running;
        }
    }
}

/// Restores from the completed snapshot at `path`.
fn restore_from(path: &Path) -> Option<RestoreSettings> {
    Some(RestoreSettings { snapshot: Arc::new(load_snapshot(&LocalStorage, path).unwrap()), ignore_unclaimed: false })
}

fn temp_dir() -> PathBuf {
    let d = std::env::temp_dir().join(format!("oxflow-ckpt-{}", random_hex(10)));
    std::fs::create_dir_all(&d).unwrap();
    d
}

#[test]
fn a_finished_job_commits_everything_once_through_its_final_checkpoint() {
    let dir = temp_dir();
    let committed = Shared::default();
    let mut g = job(2, 2000, Duration::from_millis(1), committed.clone());
    g.config.checkpoint = Some(settings(&dir, 10));
    let running = run_to_end(g);
    let checkpoints = running.completed_checkpoints();
    assert!(checkpoints.len() >= 2, "periodic checkpoints and the final one completed: {checkpoints:?}");
    let got = committed_values(&committed);
    assert_eq!(got, expected(2000));
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn a_cancelled_job_restored_at_another_parallelism_commits_exactly_once() {
    // State backends change across restores too: snapshots are backend-neutral.
    let engine = || -> Option<Arc<dyn KvEngineFactory>> { Some(Arc::new(BTreeMapEngineFactory { cache_entries: 3 })) };
    for (before, after, backends) in [(2usize, 1usize, (None, engine())), (2, 2, (engine(), None)), (1, 1, (engine(), engine())), (1, 3, (None, None))] {
        let dir = temp_dir();
        let committed = Shared::default();
        let mut g = job(before, 3000, Duration::from_millis(2), committed.clone());
        g.config.state_backend = backends.0;
        g.config.checkpoint = Some(settings(&dir, 15));
        let running = start(g).unwrap();
        // Let a few checkpoints complete, then kill the job.
        while running.completed_checkpoints().len() < 2 {
            std::thread::sleep(Duration::from_millis(5));
        }
        running.cancel();
        assert!(matches!(running.wait(), Err(JobError::Cancelled)));
        let latest = latest_checkpoint(&dir).expect("a completed checkpoint");
        let mut g = job(after, 3000, Duration::ZERO, committed.clone());
        g.config.state_backend = backends.1;
        g.config.checkpoint = Some(settings(&dir, 15));
        g.config.restore = restore_from(&latest);
        start(g).unwrap().wait().unwrap();
        let got = committed_values(&committed);
        assert_eq!(got, expected(3000), "{before} -> {after}");
        std::fs::remove_dir_all(&dir).unwrap();
    }
}

#[test]
fn savepoints_complete_into_their_target_and_restore() {
    let dir = temp_dir();
    let committed = Shared::default();
    let mut g = job(2, 3000, Duration::from_millis(2), committed.clone());
    g.config.checkpoint = Some(settings(&dir, 0));
    let running = start(g).unwrap();
    std::thread::sleep(Duration::from_millis(30));
    let savepoint = running.trigger_savepoint(dir.join("savepoints")).unwrap().recv().unwrap().unwrap();
    assert!(savepoint.starts_with(dir.join("savepoints")) && savepoint.join("_metadata").is_file(), "{savepoint:?}");
    running.cancel();
    let _ = running.wait();
    let loaded = load_snapshot(&LocalStorage, &savepoint).unwrap();
    assert_eq!(loaded.metadata.kind, "savepoint");
    let mut g = job(2, 3000, Duration::ZERO, committed.clone());
    g.config.checkpoint = Some(settings(&dir, 0));
    g.config.restore = Some(RestoreSettings { snapshot: Arc::new(loaded), ignore_unclaimed: false });
    start(g).unwrap().wait().unwrap();
    let got = committed_values(&committed);
    assert_eq!(got, expected(3000));
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn unclaimed_state_is_refused_unless_ignored() {
    let dir = temp_dir();
    let committed = Shared::default();
    let mut g = job(1, 200, Duration::ZERO, committed.clone());
    g.config.checkpoint = Some(settings(&dir, 0));
    start(g).unwrap().wait().unwrap();
    let latest = latest_checkpoint(&dir).expect("the final checkpoint");
    let snapshot = Arc::new(load_snapshot(&LocalStorage, &latest).unwrap());
    let renamed = |ignore: bool| {
        let mut g = job(1, 200, Duration::ZERO, Arc::default());
        let sum = g.nodes.iter().position(|n| n.uid.as_deref() == Some("sum")).unwrap();
        g.nodes[sum].uid = Some("sum-v2".into());
        g.config.restore = Some(RestoreSettings { snapshot: snapshot.clone(), ignore_unclaimed: ignore });
        start(g).and_then(|j| j.wait())
    };
    let err = renamed(false).unwrap_err().to_string();
    assert!(err.contains("'sum'") && err.contains("ignore-unclaimed-state"), "{err}");
    renamed(true).unwrap();
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn a_state_value_that_cannot_be_encoded_fails_the_job_naming_the_operator() {
    let dir = temp_dir();
    let mut g = JobGraph::<Ints>::new("bad state");
    let src = g.add_source("Source", 1, Box::new(|_| Ok(Box::new(Slow { next: -1, end: 400, delay: Duration::from_millis(1), more: Vec::new() }) as Box<dyn Source<Ints>>)));
    let key_by = g
        .add_operator("KeyBy", 1, Box::new(|_| Ok(Box::new(KeyByOperator::new(Key)) as Box<dyn Operator<Ints>>)), vec![Edge {
            from: src,
            partitioning: Partitioning::Forward,
            port: 0,
        }])
        .unwrap();
    // A reduce keeping the first value (-1) as the key's state.
    struct First;
    impl Lifecycle for First {}
    impl ReduceFn<Ints> for First {
        fn reduce(&mut self, a: &i64, _: i64) -> Result<i64, BoxError> {
            Ok(*a)
        }
    }
    g.add_operator("KeepFirst", 1, Box::new(|_| Ok(Box::new(KeyedReduceOperator::<Ints, _>::new(First)) as Box<dyn Operator<Ints>>)), vec![Edge {
        from: key_by,
        partitioning: Partitioning::Hash,
        port: 0,
    }])
    .unwrap();
    g.config.checkpoint = Some(settings(&dir, 10));
    let err = start(g).unwrap().wait().unwrap_err().to_string();
    assert!(err.contains("KeepFirst") && err.contains("cannot be encoded"), "{err}");
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn restoring_the_final_checkpoint_of_a_finished_job_replays_nothing() {
    let dir = temp_dir();
    let committed = Shared::default();
    let mut g = job(2, 500, Duration::ZERO, committed.clone());
    g.config.checkpoint = Some(settings(&dir, 0));
    start(g).unwrap().wait().unwrap();
    let latest = latest_checkpoint(&dir).expect("the final checkpoint");
    let mut g = job(2, 500, Duration::ZERO, committed.clone());
    g.config.checkpoint = Some(settings(&dir, 0));
    g.config.restore = restore_from(&latest);
    start(g).unwrap().wait().unwrap();
    assert_eq!(committed_values(&committed), expected(500), "the sources had nothing left to read");
    std::fs::remove_dir_all(&dir).unwrap();
}

/// Passes records through; fails once, the first time it has seen `after` records.
struct FailOnce {
    seen: usize,
    after: usize,
    failed: Arc<std::sync::atomic::AtomicBool>,
}
impl Operator<Ints> for FailOnce {
    fn process(&mut self, _: usize, records: Vec<Record<Ints>>, out: &mut Output<Ints>) -> Result<(), BoxError> {
        self.seen += records.len();
        if self.seen >= self.after && !self.failed.swap(true, std::sync::atomic::Ordering::SeqCst) {
            return Err(message("injected failure"));
        }
        out.extend(records);
        Ok(())
    }
}

#[test]
fn a_failed_job_restarts_from_its_latest_checkpoint_and_commits_exactly_once() {
    use oxflow_core::restart::RestartStrategy;
    let dir = temp_dir();
    let committed = Shared::default();
    let mut g = job(2, 3000, Duration::from_millis(2), committed.clone());
    // Insert the failing operator between the sum and the sink.
    let sink = g.nodes.len() - 1;
    let failed = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let f = failed.clone();
    let sum = g.nodes[sink].inputs[0].from;
    let fail = g
        .add_operator("FailOnce", 2, Box::new(move |_| Ok(Box::new(FailOnce { seen: 0, after: 600, failed: f.clone() }) as Box<dyn Operator<Ints>>)), vec![Edge {
            from: sum,
            partitioning: Partitioning::Forward,
            port: 0,
        }])
        .unwrap();
    // Nodes are in topological order: move the sink after the new operator.
    let sink_node = g.nodes.remove(sink);
    g.nodes.push(oxflow_core::graph::Node { inputs: vec![Edge { from: fail - 1, partitioning: Partitioning::Forward, port: 0 }], ..sink_node });
    g.config.checkpoint = Some(settings(&dir, 15));
    g.config.restart = RestartStrategy::FixedDelay { attempts: 2, delay: Duration::from_millis(20) };
    let running = run_to_end(g);
    assert!(failed.load(std::sync::atomic::Ordering::SeqCst), "the failure happened");
    assert_eq!(running.restarts(), 1);
    assert_eq!(committed_values(&committed), expected(3000));
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn without_a_restart_strategy_a_failure_fails_the_job() {
    let dir = temp_dir();
    let mut g = JobGraph::<Ints>::new("fails");
    let src = g.add_source("Source", 1, Box::new(|_| Ok(Box::new(Slow { next: 0, end: 100, delay: Duration::ZERO, more: Vec::new() }) as Box<dyn Source<Ints>>)));
    let failed = Arc::new(std::sync::atomic::AtomicBool::new(false));
    g.add_operator("FailOnce", 1, Box::new(move |_| Ok(Box::new(FailOnce { seen: 0, after: 10, failed: failed.clone() }) as Box<dyn Operator<Ints>>)), vec![Edge {
        from: src,
        partitioning: Partitioning::Forward,
        port: 0,
    }])
    .unwrap();
    g.config.checkpoint = Some(settings(&dir, 10));
    let err = start(g).unwrap().wait().unwrap_err().to_string();
    assert!(err.contains("injected failure"), "{err}");
    std::fs::remove_dir_all(&dir).unwrap();
}
