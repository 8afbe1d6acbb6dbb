//! The runtime end to end with plain Rust values: chaining, exchanges, keyed reduce, backpressure,
//! failures and cancellation.

use std::collections::HashMap;
use std::sync::atomic::{AtomicI64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use oxflow_core::data::Record;
use oxflow_core::error::{message, BoxError, JobError};
use oxflow_core::executor::start;
use oxflow_core::function::{KeySelectorFn, Lifecycle, MapFn, ReduceFn, SinkFn};
use oxflow_core::graph::{Edge, JobGraph, Partitioning};
use oxflow_core::operator::{Operator, TaskInfo};
use oxflow_core::operators::{KeyByOperator, KeyedReduceOperator, MapOperator, SinkOperator};
use oxflow_core::source::{Source, SourcePoll};
use oxflow_core::state::{BTreeMapEngineFactory, KvEngineFactory};

mod common;
use common::Ints;

/// Emits `0..count` split over the source's parallel instances, counting what it produced.
struct Range {
    next: i64,
    end: i64,
    step: i64,
    produced: Arc<AtomicI64>,
}
impl Source<Ints> for Range {
    fn poll(&mut self, max: usize) -> Result<SourcePoll<Ints>, BoxError> {
        if self.next >= self.end {
            return Ok(SourcePoll::Finished);
        }
        let mut out = Vec::new();
        while self.next < self.end && out.len() < max {
            out.push(Record::new(self.next));
            self.next += self.step;
        }
        self.produced.fetch_add(out.len() as i64, Ordering::SeqCst);
        Ok(SourcePoll::Records(out))
    }
}

fn range_source(
    g: &mut JobGraph<Ints>,
    parallelism: usize,
    count: i64,
    produced: Arc<AtomicI64>,
) -> usize {
    g.add_source(
        "Range",
        parallelism,
        Box::new(move |t: &TaskInfo| {
            Ok(Box::new(Range { next: t.subtask_index as i64, end: count, step: t.parallelism as i64, produced: produced.clone() })
                as Box<dyn Source<Ints>>)
        }),
    )
}

struct Fn1<F>(F);
impl<F: Send> Lifecycle for Fn1<F> {}
impl<F: FnMut(i64) -> Result<i64, BoxError> + Send> MapFn<Ints> for Fn1<F> {
    fn map(&mut self, v: i64) -> Result<i64, BoxError> {
        (self.0)(v)
    }
}
impl<F: FnMut(i64) -> Result<i64, BoxError> + Send> KeySelectorFn<Ints> for Fn1<F> {
    fn key(&mut self, v: &i64) -> Result<(i64, u64), BoxError> {
        let k = (self.0)(*v)?;
        Ok((k, k as u64))
    }
}
struct Sum;
impl Lifecycle for Sum {}
impl ReduceFn<Ints> for Sum {
    fn reduce(&mut self, a: &i64, b: i64) -> Result<i64, BoxError> {
        Ok(a + b)
    }
}

/// Collects (subtask, key, value) and optionally sleeps per batch to be slow.
struct Collect {
    out: Arc<Mutex<Vec<(usize, Option<i64>, i64)>>>,
    subtask: usize,
    delay: Duration,
    consumed: Arc<AtomicI64>,
}
impl Lifecycle for Collect {
    fn open(&mut self, t: &TaskInfo) -> Result<(), BoxError> {
        self.subtask = t.subtask_index;
        Ok(())
    }
}
impl SinkFn<Ints> for Collect {
    fn write(&mut self, records: Vec<Record<Ints>>) -> Result<(), BoxError> {
        std::thread::sleep(self.delay);
        self.consumed.fetch_add(records.len() as i64, Ordering::SeqCst);
        let mut out = self.out.lock().unwrap();
        out.extend(records.into_iter().map(|r| (self.subtask, r.key.map(|k| k.key), r.value)));
        Ok(())
    }
}

type Collected = Arc<Mutex<Vec<(usize, Option<i64>, i64)>>>;

fn sink(g: &mut JobGraph<Ints>, p: usize, from: usize, part: Partitioning, delay: Duration, consumed: Arc<AtomicI64>) -> Collected {
    let out: Collected = Arc::default();
    let o = out.clone();
    g.add_operator(
        "Sink",
        p,
        Box::new(move |_| {
            Ok(Box::new(SinkOperator::new(Collect { out: o.clone(), subtask: 0, delay, consumed: consumed.clone() }))
                as Box<dyn Operator<Ints>>)
        }),
        vec![Edge { from, partitioning: part, port: 0 }],
    )
    .unwrap();
    out
}

fn map<F>(g: &mut JobGraph<Ints>, name: &str, p: usize, from: usize, part: Partitioning, f: F) -> usize
where
    F: Fn(i64) -> Result<i64, BoxError> + Clone + Send + Sync + 'static,
{
    g.add_operator(
        name,
        p,
        Box::new(move |_| Ok(Box::new(MapOperator::new(Fn1(f.clone()))) as Box<dyn Operator<Ints>>)),
        vec![Edge { from, partitioning: part, port: 0 }],
    )
    .unwrap()
}

/// Source -> key_by(v % 10) -> rolling sum -> sink, at the given parallelism.
fn keyed_sum(parallelism: usize) -> Vec<(usize, Option<i64>, i64)> {
    keyed_sum_in(parallelism, None)
}

fn keyed_sum_in(parallelism: usize, backend: Option<Arc<dyn KvEngineFactory>>) -> Vec<(usize, Option<i64>, i64)> {
    let mut g = JobGraph::new("keyed sum");
    g.config.state_backend = backend;
    let src = range_source(&mut g, parallelism, 1000, Arc::default());
    let key_by = g
        .add_operator(
            "KeyBy",
            parallelism,
            Box::new(|_| Ok(Box::new(KeyByOperator::new(Fn1(|v: i64| Ok(v % 10)))) as Box<dyn Operator<Ints>>)),
            vec![Edge { from: src, partitioning: Partitioning::Forward, port: 0 }],
        )
        .unwrap();
    let reduce = g
        .add_operator(
            "Reduce",
            parallelism,
            Box::new(|t: &TaskInfo| Ok(Box::new(KeyedReduceOperator::<Ints, _>::new(Sum).for_task(t)?) as Box<dyn Operator<Ints>>)),
            vec![Edge { from: key_by, partitioning: Partitioning::Hash, port: 0 }],
        )
        .unwrap();
    let out = sink(&mut g, parallelism, reduce, Partitioning::Forward, Duration::ZERO, Arc::default());
    start(g).unwrap().wait().unwrap();
    let v = out.lock().unwrap().clone();
    v
}

#[test]
fn keyed_rolling_sum_is_the_same_at_any_parallelism() {
    let one = keyed_sum(1);
    let four = keyed_sum(4);
    assert_eq!(one.len(), 1000, "one update per input");
    let finals = |rows: &[(usize, Option<i64>, i64)]| {
        let mut m: HashMap<i64, i64> = HashMap::new();
        for &(_, k, v) in rows {
            let e = m.entry(k.unwrap()).or_default();
            *e = (*e).max(v);
        }
        m
    };
    let expected: HashMap<i64, i64> = (0..10).map(|k| (k, (0..1000).filter(|v| v % 10 == k).sum())).collect();
    assert_eq!(finals(&one), expected);
    assert_eq!(finals(&four), expected);
    // Every key is owned by exactly one parallel instance.
    let mut owner: HashMap<i64, usize> = HashMap::new();
    for &(subtask, k, _) in &four {
        assert_eq!(*owner.entry(k.unwrap()).or_insert(subtask), subtask, "key {k:?} seen on two subtasks");
    }
    assert!(owner.values().collect::<std::collections::HashSet<_>>().len() > 1, "keys spread over instances");
}

#[test]
fn a_rolling_sum_in_a_state_engine_emits_what_memory_does() {
    // A cache of one entry: every other record goes through the engine.
    let engine = || -> Option<Arc<dyn KvEngineFactory>> { Some(Arc::new(BTreeMapEngineFactory { cache_entries: 1 })) };
    let memory = keyed_sum_in(1, None);
    let in_engine = keyed_sum_in(1, engine());
    assert!(memory == in_engine, "one source: the same updates in the same order");
    // Three sources interleave differently from run to run: compare each key's final sum.
    let finals = |rows: &[(usize, Option<i64>, i64)]| {
        let mut m: HashMap<i64, (i64, usize)> = HashMap::new();
        for &(_, k, v) in rows {
            let e = m.entry(k.unwrap()).or_default();
            *e = (e.0.max(v), e.1 + 1);
        }
        m
    };
    assert_eq!(finals(&keyed_sum_in(3, engine())), finals(&memory));
}

#[test]
fn rebalance_spreads_and_broadcast_copies() {
    for (part, expected_total) in [(Partitioning::Rebalance, 1000), (Partitioning::Broadcast, 3000)] {
        let mut g = JobGraph::new("spread");
        let src = range_source(&mut g, 1, 1000, Arc::default());
        let out = sink(&mut g, 3, src, part, Duration::ZERO, Arc::default());
        start(g).unwrap().wait().unwrap();
        let rows = out.lock().unwrap();
        assert_eq!(rows.len(), expected_total, "{part:?}");
        for s in 0..3 {
            let n = rows.iter().filter(|r| r.0 == s).count();
            assert!(n >= 300, "{part:?}: subtask {s} got {n}");
        }
    }
}

#[test]
fn chained_operators_run_on_one_thread() {
    let threads: Arc<Mutex<Vec<String>>> = Arc::default();
    let mut g = JobGraph::new("chain");
    let src = range_source(&mut g, 1, 10, Arc::default());
    let t = threads.clone();
    let m = map(&mut g, "Map", 1, src, Partitioning::Forward, move |v| {
        t.lock().unwrap().push(std::thread::current().name().unwrap_or("").to_string());
        Ok(v)
    });
    let out = sink(&mut g, 1, m, Partitioning::Forward, Duration::ZERO, Arc::default());
    let job = start(g).unwrap();
    assert_eq!(job.plan().chains.len(), 1);
    job.wait().unwrap();
    assert_eq!(out.lock().unwrap().len(), 10);
    let names = threads.lock().unwrap();
    assert!(names.iter().all(|n| n == "Range -> Map -> Sink (1/1)"), "{names:?}");
}

#[test]
fn a_slow_sink_bounds_what_is_in_flight() {
    let produced = Arc::new(AtomicI64::new(0));
    let consumed = Arc::new(AtomicI64::new(0));
    let mut g = JobGraph::new("backpressure");
    g.config.batch_size = 10;
    g.config.channel_capacity = 4;
    let src = range_source(&mut g, 1, 20_000, produced.clone());
    let _out = sink(&mut g, 2, src, Partitioning::Rebalance, Duration::from_millis(1), consumed.clone());
    let mut job = start(g).unwrap();
    let mut max_in_flight = 0;
    while job.wait_timeout(Duration::from_millis(2)).is_none() {
        let in_flight = produced.load(Ordering::SeqCst) - consumed.load(Ordering::SeqCst);
        max_in_flight = max_in_flight.max(in_flight);
    }
    // Per sink: a full channel plus the batch it is writing; plus the source's current batch.
    let bound = 2 * (4 + 1) * 10 + 10;
    assert!(max_in_flight <= bound, "in flight {max_in_flight} > {bound}");
    assert!(max_in_flight > 0);
    assert_eq!(consumed.load(Ordering::SeqCst), 20_000);
}

#[test]
fn a_failing_function_fails_the_job_and_names_the_operator() {
    let mut g = JobGraph::new("fail");
    let src = range_source(&mut g, 2, 1_000_000, Arc::default());
    let m = map(&mut g, "Explode", 2, src, Partitioning::Forward, |v| {
        if v == 501 {
            Err(message("boom at 501"))
        } else {
            Ok(v)
        }
    });
    let _ = sink(&mut g, 3, m, Partitioning::Rebalance, Duration::ZERO, Arc::default());
    let err = start(g).unwrap().wait().unwrap_err();
    match &err {
        JobError::Operator { operator, subtask, parallelism, source } => {
            assert_eq!(operator, "Explode");
            assert_eq!((*subtask, *parallelism), (1, 2));
            assert_eq!(source.to_string(), "boom at 501");
        }
        other => panic!("unexpected {other:?}"),
    }
    assert!(err.to_string().contains("operator 'Explode' (subtask 2 of 2)"), "{err}");
}

#[test]
fn cancel_stops_an_endless_job() {
    let mut g = JobGraph::new("endless");
    let src = range_source(&mut g, 1, i64::MAX, Arc::default());
    let _ = sink(&mut g, 2, src, Partitioning::Rebalance, Duration::from_millis(1), Arc::default());
    let mut job = start(g).unwrap();
    assert!(job.wait_timeout(Duration::from_millis(100)).is_none());
    job.cancel();
    let result = job.wait_timeout(Duration::from_secs(5)).expect("cancelled job ends");
    assert!(matches!(result, Err(JobError::Cancelled)));
}

#[test]
fn a_union_reads_all_inputs_until_each_ends() {
    let mut g = JobGraph::new("union");
    let a = range_source(&mut g, 3, 300, Arc::default());
    let b = range_source(&mut g, 2, 200, Arc::default());
    let calls = Arc::new(AtomicUsize::new(0));
    let c = calls.clone();
    let u = g
        .add_operator(
            "Union",
            2,
            Box::new(move |_| {
                c.fetch_add(1, Ordering::SeqCst);
                Ok(Box::new(MapOperator::new(Fn1(|v| Ok(v)))) as Box<dyn Operator<Ints>>)
            }),
            vec![
                Edge { from: a, partitioning: Partitioning::Rebalance, port: 0 },
                Edge { from: b, partitioning: Partitioning::Forward, port: 0 },
            ],
        )
        .unwrap();
    let out = sink(&mut g, 2, u, Partitioning::Forward, Duration::ZERO, Arc::default());
    start(g).unwrap().wait().unwrap();
    assert_eq!(calls.load(Ordering::SeqCst), 2, "one operator instance per subtask");
    let mut values: Vec<i64> = out.lock().unwrap().iter().map(|r| r.2).collect();
    values.sort();
    let mut expected: Vec<i64> = (0..300).chain(0..200).collect();
    expected.sort();
    assert_eq!(values, expected);
}
