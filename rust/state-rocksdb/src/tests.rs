//! The keyed state store over RocksDB: the store's semantics, state far larger than its
//! write-back cache, snapshots restored across backends, and a job run end to end.

use std::sync::{Arc, Mutex};

use oxflow_core::data::{DataModel, Keyed, Record};
use oxflow_core::error::BoxError;
use oxflow_core::executor::start;
use oxflow_core::function::{KeySelectorFn, Lifecycle, ReduceFn, SinkFn};
use oxflow_core::graph::{Edge, JobGraph, Partitioning};
use oxflow_core::operator::{Operator, TaskInfo};
use oxflow_core::operators::{KeyByOperator, KeyedReduceOperator, SinkOperator};
use oxflow_core::source::{Source, SourcePoll};
use oxflow_core::state::{KeyedStateStore, Namespace, Slot, SlotRef, StateBackend, StateId, TtlConfig};
use oxflow_core::time::SystemClock;

use super::*;

struct Ints;
impl DataModel for Ints {
    type Value = i64;
    type Key = i64;
    fn key_eq(a: &i64, b: &i64) -> bool {
        a == b
    }
    fn duplicate(v: &i64) -> i64 {
        *v
    }
    fn duplicate_key(k: &i64) -> i64 {
        *k
    }
    fn encode_value(v: &i64, out: &mut Vec<u8>) -> Result<(), BoxError> {
        out.extend_from_slice(&v.to_le_bytes());
        Ok(())
    }
    fn decode_value(b: &[u8]) -> Result<i64, BoxError> {
        Ok(i64::from_le_bytes(b.try_into().map_err(|_| message("not an i64"))?))
    }
    fn encode_key(k: &i64, out: &mut Vec<u8>) -> Result<(), BoxError> {
        Self::encode_value(k, out)
    }
    fn decode_key(b: &[u8]) -> Result<i64, BoxError> {
        Self::decode_value(b)
    }
    fn hash_key(k: &i64) -> Result<u64, BoxError> {
        Ok(*k as u64)
    }
}

fn k(v: i64) -> Keyed<i64> {
    Keyed { key: v, hash: v as u64 }
}

fn task(backend: Option<StateBackend>) -> TaskInfo {
    TaskInfo {
        task_name: "test".into(),
        operator_name: "op".into(),
        uid: "op".into(),
        subtask_index: 0,
        parallelism: 1,
        max_parallelism: 128,
        attempt_number: 0,
        clock: Arc::new(SystemClock),
        checkpointing: false,
        state_backend: backend,
    }
}

fn rocksdb(cache_entries: usize) -> (KeyedStateStore<Ints>, std::path::PathBuf) {
    let config = RocksDbConfig { cache_entries, block_cache_bytes: 1 << 20, write_buffer_bytes: 1 << 20, incremental: true };
    let backend = StateBackend::new(Arc::new(RocksDbFactory::new(config)), None).unwrap();
    let dir = backend.job_dir().to_path_buf();
    let store = KeyedStateStore::for_task(&task(Some(backend))).unwrap();
    assert!(store.is_engine());
    (store, dir)
}

fn value(s: &mut KeyedStateStore<Ints>, key: i64, state: StateId, ns: &Namespace, now: i64) -> Option<i64> {
    s.at(&k(key), state, *ns, now).value().unwrap()
}

#[test]
fn the_store_keeps_values_lists_and_ttl_in_rocksdb() {
    let (mut s, dir) = rocksdb(2);
    let a = s.register("a", None);
    let l = s.register("l", None);
    let t = s.register("t", Some(TtlConfig::new(100)));
    // Without background cleanup, so that only reads expire entries here.
    let quiet = TtlConfig { incremental_cleanup: 0, ..TtlConfig::new(100) };
    let m = s.register("m", Some(quiet));
    let tl = s.register("tl", Some(quiet));
    let w = Namespace::Window { start: -10, end: 0 };
    s.put(&k(1), a, Namespace::Void, Slot::Value(10), 0).unwrap();
    s.put(&k(1), a, w, Slot::Value(11), 0).unwrap();
    s.put(&k(2), l, Namespace::Void, Slot::List(vec![1]), 0).unwrap();
    s.put(&k(3), t, Namespace::Void, Slot::Value(3), 0).unwrap();
    s.flush().unwrap();
    // Map entries and list elements keep their own times in the engine's values.
    s.at(&k(4), m, Namespace::Void, 0).map_put(&1, 10).unwrap();
    s.at(&k(4), tl, Namespace::Void, 0).add(1).unwrap();
    s.flush().unwrap();
    s.at(&k(4), m, Namespace::Void, 50).map_put(&2, 20).unwrap();
    s.at(&k(4), tl, Namespace::Void, 50).add(2).unwrap();
    s.flush().unwrap();
    assert_eq!(s.at(&k(4), m, Namespace::Void, 120).map_entries().unwrap(), vec![(2, 20)]);
    assert_eq!(s.at(&k(4), tl, Namespace::Void, 120).list().unwrap(), vec![2]);
    assert_eq!(s.len(), 6);
    s.at(&k(4), m, Namespace::Void, 0).clear().unwrap();
    s.at(&k(4), tl, Namespace::Void, 0).clear().unwrap();
    if let Some(Slot::List(items)) = s.get(&k(2), l, &Namespace::Void).unwrap() {
        items.push(2);
    }
    s.flush().unwrap();
    assert!(matches!(s.get(&k(2), l, &Namespace::Void).unwrap(), Some(Slot::List(v)) if *v == vec![1, 2]));
    assert_eq!(value(&mut s, 1, a, &Namespace::Void, 0), Some(10));
    assert_eq!(value(&mut s, 1, a, &w, 0), Some(11));
    assert_eq!(value(&mut s, 3, t, &Namespace::Void, 99), Some(3));
    assert_eq!(s.len(), 4);
    assert_eq!(value(&mut s, 3, t, &Namespace::Void, 100), None, "expired");
    assert_eq!(s.remove(&k(1), a, &w).unwrap().map(|s| matches!(s, Slot::Value(11))), Some(true));
    assert_eq!(s.len(), 2);
    assert_eq!(value(&mut s, 1, a, &w, 0), None);
    drop(s);
    assert!(!dir.exists(), "the working directory goes with the store");
}

#[test]
fn state_far_larger_than_the_cache_stays_correct() {
    let (mut s, _dir) = rocksdb(64);
    let sum = s.register("sum", None);
    let n = 20_000;
    for round in 0..3 {
        for key in 0..n {
            let (slot, created) = s.get_or_insert_with(&k(key), sum, Namespace::Void, 0, || Slot::Value(0)).unwrap();
            assert_eq!(created, round == 0);
            if let Slot::Value(v) = slot {
                *v += key;
            }
        }
    }
    assert_eq!(s.len(), n as usize);
    for key in (0..n).step_by(997) {
        assert_eq!(value(&mut s, key, sum, &Namespace::Void, 0), Some(3 * key));
    }
    let mut total = 0;
    let mut count = 0;
    s.for_each_entry(|_, _, _, _, slot| {
        if let SlotRef::Value(v) = slot {
            total += v;
            count += 1;
        }
        Ok(())
    })
    .unwrap();
    assert_eq!((count, total), (n, 3 * n * (n - 1) / 2));
}

type Entries = Vec<(i64, Vec<u8>)>;

fn fill(s: &mut KeyedStateStore<Ints>) {
    let a = s.register("a", None);
    let l = s.register("l", None);
    for key in 0..300 {
        s.put(&k(key), a, Namespace::Void, Slot::Value(key * 7), key).unwrap();
        s.put(&k(key), l, Namespace::Count(key % 4), Slot::List((0..key % 5).collect()), key).unwrap();
    }
}

fn snapshot(s: &mut KeyedStateStore<Ints>) -> Entries {
    let mut out = Vec::new();
    s.snapshot_into(0, |key, body| {
        out.push((Ints::decode_key(&key)?, body));
        Ok(())
    })
    .unwrap();
    out.sort();
    out
}

#[test]
fn snapshots_restore_across_backends() {
    let (mut in_rocks, _d) = rocksdb(16);
    let mut in_memory = KeyedStateStore::<Ints>::default();
    fill(&mut in_rocks);
    fill(&mut in_memory);
    let from_rocks = snapshot(&mut in_rocks);
    assert_eq!(from_rocks, snapshot(&mut in_memory), "the snapshot format does not depend on the backend");
    // RocksDB -> memory and memory -> RocksDB give back the same state.
    let mut to_memory = KeyedStateStore::<Ints>::default();
    let (mut to_rocks, _d2) = rocksdb(16);
    for (key, body) in &from_rocks {
        to_memory.restore_entry(&k(*key), body).unwrap();
        to_rocks.restore_entry(&k(*key), body).unwrap();
    }
    assert_eq!(snapshot(&mut to_memory), from_rocks);
    assert_eq!(snapshot(&mut to_rocks), from_rocks);
    let l = to_rocks.register("l", None);
    assert!(matches!(to_rocks.get(&k(13), l, &Namespace::Count(1)).unwrap(), Some(Slot::List(v)) if *v == vec![0, 1, 2]));
}

// ---- A job end to end ----

struct Numbers(std::ops::Range<i64>);
impl Source<Ints> for Numbers {
    fn poll(&mut self, max: usize) -> Result<SourcePoll<Ints>, BoxError> {
        let batch: Vec<_> = self.0.by_ref().take(max).map(Record::new).collect();
        Ok(if batch.is_empty() { SourcePoll::Finished } else { SourcePoll::Records(batch) })
    }
}

struct Mod(i64);
impl Lifecycle for Mod {}
impl KeySelectorFn<Ints> for Mod {
    fn key(&mut self, v: &i64) -> Result<(i64, u64), BoxError> {
        Ok((v % self.0, (v % self.0) as u64))
    }
}

struct Sum;
impl Lifecycle for Sum {}
impl ReduceFn<Ints> for Sum {
    fn reduce(&mut self, a: &i64, b: i64) -> Result<i64, BoxError> {
        Ok(a + b)
    }
}

struct Collect(Arc<Mutex<Vec<(i64, i64)>>>);
impl Lifecycle for Collect {}
impl SinkFn<Ints> for Collect {
    fn write(&mut self, records: Vec<Record<Ints>>) -> Result<(), BoxError> {
        self.0.lock().unwrap().extend(records.into_iter().map(|r| (r.key.expect("keyed").key, r.value)));
        Ok(())
    }
}

fn rolling_sums(backend: Option<Arc<dyn KvEngineFactory>>) -> Vec<(i64, i64)> {
    let mut g = JobGraph::<Ints>::new("sums");
    g.config.state_backend = backend;
    let src = g.add_source("Numbers", 1, Box::new(|_| Ok(Box::new(Numbers(0..30_000)) as Box<dyn Source<Ints>>)));
    let fwd = |from| vec![Edge { from, partitioning: Partitioning::Forward, port: 0 }];
    let key_by = g.add_operator("KeyBy", 1, Box::new(|_| Ok(Box::new(KeyByOperator::new(Mod(5000))) as Box<dyn Operator<Ints>>)), fwd(src)).unwrap();
    let reduce = g
        .add_operator(
            "Sum",
            2,
            Box::new(|t: &TaskInfo| Ok(Box::new(KeyedReduceOperator::<Ints, _>::new(Sum).for_task(t)?) as Box<dyn Operator<Ints>>)),
            vec![Edge { from: key_by, partitioning: Partitioning::Hash, port: 0 }],
        )
        .unwrap();
    let rows = Arc::new(Mutex::new(Vec::new()));
    let r = rows.clone();
    g.add_operator("Sink", 2, Box::new(move |_| Ok(Box::new(SinkOperator::new(Collect(r.clone()))) as Box<dyn Operator<Ints>>)), fwd(reduce))
        .unwrap();
    start(g).unwrap().wait().unwrap();
    let mut rows = rows.lock().unwrap().clone();
    rows.sort();
    rows
}

#[test]
fn a_job_in_rocksdb_emits_what_it_emits_in_memory() {
    // 5000 keys over two instances, each caching 100 entries: most updates read RocksDB.
    let config = RocksDbConfig { cache_entries: 100, ..RocksDbConfig::default() };
    let in_rocks = rolling_sums(Some(Arc::new(RocksDbFactory::new(config))));
    assert_eq!(in_rocks.len(), 30_000);
    assert_eq!(in_rocks, rolling_sums(None));
}

#[test]
fn a_batched_lookup_answers_each_key_in_order() {
    let dir = std::env::temp_dir().join(format!("oxflow-multiget-{}", std::process::id()));
    let mut engine = RocksDbEngine::open(&dir, &RocksDbFactory::default().options()).unwrap();
    engine.put(b"b", b"2").unwrap();
    engine.put(b"d", b"4").unwrap();
    let keys: Vec<Vec<u8>> = [&b"a"[..], b"b", b"c", b"d"].iter().map(|k| k.to_vec()).collect();
    assert_eq!(engine.multi_get(&keys).unwrap(), vec![None, Some(b"2".to_vec()), None, Some(b"4".to_vec())]);
    // Unsorted input too.
    let keys: Vec<Vec<u8>> = [&b"d"[..], b"a", b"b"].iter().map(|k| k.to_vec()).collect();
    assert_eq!(engine.multi_get(&keys).unwrap(), vec![Some(b"4".to_vec()), None, Some(b"2".to_vec())]);
    drop(engine);
    let _ = std::fs::remove_dir_all(&dir);
}
