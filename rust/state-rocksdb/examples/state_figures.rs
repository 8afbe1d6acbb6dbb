//! Figures of keyed state with 1M keys, for `benchmarks/checkpoints.py`: updates through the
//! rolling reduce operator with a native function, checkpoints of a `KeyedStateStore`:
//!
//!     cargo run --release -p oxflow-state-rocksdb --example state_figures -- updates[-direct] [KEYS] [UPDATES]
//!     cargo run --release -p oxflow-state-rocksdb --example state_figures -- checkpoints [KEYS]
//!
//! `updates`: ValueState updates per second over KEYS keys (random keys), in RocksDB and in
//! memory (`updates-direct`: RocksDB through single store calls, without the read-ahead).
//! `checkpoints`: duration and bytes of a first checkpoint and of one after updating 1% of the keys, and the time to restore from it, for memory, RocksDB incremental and
//! RocksDB full (neutral) checkpoints. Each figure is printed as one JSON line.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Instant;

use oxflow_core::checkpoint::engine_files::{collect, store_engine_checkpoints, EngineRestore};
use oxflow_core::checkpoint::incremental::SharedRegistry;
use oxflow_core::checkpoint::snapshot::{tagged, untag, OperatorSnapshot, RestoredState, SnapshotWriter};
use oxflow_core::checkpoint::storage::{checkpoint_dir, encode_task_file, load_snapshot, random_hex, write_snapshot, InstanceSnapshot, LocalStorage, Metadata};
use oxflow_core::data::{DataModel, Keyed, Record, MAIN_OUTPUT};
use oxflow_core::error::{message, BoxError};
use oxflow_core::function::{Lifecycle, ReduceFn};
use oxflow_core::operator::{Operator, Output, TaskInfo};
use oxflow_core::operators::KeyedReduceOperator;
use oxflow_core::state::{KeyedStateStore, StateBackend, ValueStateId};
use oxflow_core::time::SystemClock;
use oxflow_state_rocksdb::{RocksDbConfig, RocksDbFactory};

/// i64 keys and values, hashed the same in every process (as a native operator's keys).
struct Longs;
impl DataModel for Longs {
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
        Ok(mix(*k as u64))
    }
    fn stable_key_hash() -> bool {
        true
    }
}

fn mix(x: u64) -> u64 {
    let x = (x ^ (x >> 33)).wrapping_mul(0xff51_afd7_ed55_8ccd);
    x ^ (x >> 29)
}

fn keyed(k: i64) -> Keyed<i64> {
    Keyed { key: k, hash: mix(k as u64) }
}

/// A small deterministic random sequence (xorshift).
struct Random(u64);
impl Random {
    fn below(&mut self, n: u64) -> i64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        (self.0 % n) as i64
    }
}

const STATE: u8 = 0;
const MAX_P: usize = 128;

fn task(backend: Option<StateBackend>) -> TaskInfo {
    TaskInfo {
        task_name: "figures".into(),
        operator_name: "reduce".into(),
        uid: "reduce".into(),
        subtask_index: 0,
        parallelism: 1,
        max_parallelism: MAX_P,
        attempt_number: 0,
        clock: Arc::new(SystemClock),
        checkpointing: true,
        state_backend: backend,
    }
}

fn rocksdb(incremental: bool, restore: Option<EngineRestore>) -> StateBackend {
    let factory = RocksDbFactory::new(RocksDbConfig { incremental, ..RocksDbConfig::default() });
    let backend = StateBackend::new(Arc::new(factory), None).expect("a working directory");
    match restore {
        Some(r) => backend.with_restore(r),
        None => backend,
    }
}

/// A store of `backend` (memory if `None`) with value state "sum" holding every key.
fn filled(backend: Option<StateBackend>, keys: i64) -> (KeyedStateStore<Longs>, ValueStateId) {
    let mut store = KeyedStateStore::for_task(&task(backend)).expect("a store");
    let sum = store.register_value("sum");
    for k in 0..keys {
        *store.value_or_insert_with(&keyed(k), sum, || 0).expect("insert").0 = k;
    }
    (store, sum)
}

/// The rolling sum a keyed reduce runs (a native reduce function).
struct Sum;
impl Lifecycle for Sum {}
impl ReduceFn<Longs> for Sum {
    fn reduce(&mut self, accumulated: &i64, value: i64) -> Result<i64, BoxError> {
        Ok(accumulated + value)
    }
}

/// Records per batch, as the runtime hands a keyed operator its input (`JobConfig::batch_size`).
const BATCH: usize = 1024;

/// ValueState updates per second through the rolling reduce operator (`KeyedStream.reduce`
/// with a native function): `count` random keys of `keys`, every key already holding state, in
/// record batches as the runtime delivers them; each update reads the key's value, adds to it
/// and emits the result.
fn updates(keys: i64, count: u64) -> Result<(), BoxError> {
    for (name, backend) in [("rocksdb", Some(rocksdb(true, None))), ("memory", None)] {
        let task = task(backend);
        let mut reduce = KeyedReduceOperator::new(Sum).for_task(&task)?;
        reduce.open(&task)?;
        let started = Instant::now();
        let mut out = Output::with_capacity(BATCH);
        let batch = |ks: &mut dyn Iterator<Item = i64>| -> Vec<Record<Longs>> {
            ks.map(|k| Record { value: 1, timestamp: None, key: Some(keyed(k)), output: MAIN_OUTPUT }).collect()
        };
        let mut k = 0;
        while k < keys {
            let n = (keys - k).min(BATCH as i64);
            reduce.process(0, batch(&mut (k..k + n)), &mut out)?;
            out = Output::with_capacity(BATCH);
            k += n;
        }
        let fill = started.elapsed().as_secs_f64();
        let mut random = Random(0x9e37_79b9_7f4a_7c15);
        let started = Instant::now();
        let mut done = 0u64;
        while done < count {
            let n = (count - done).min(BATCH as u64);
            reduce.process(0, batch(&mut (0..n).map(|_| random.below(keys as u64))), &mut out)?;
            out = Output::with_capacity(BATCH);
            done += n;
        }
        // At most the write-back cache's bound (4096 entries) is not yet written to RocksDB.
        let seconds = started.elapsed().as_secs_f64();
        if reduce.key_count() != keys as usize {
            return Err(message(format!("{name}: {} keys with state, expected {keys}", reduce.key_count())));
        }
        println!(
            "{{\"figure\": \"value_state_updates\", \"backend\": \"{name}\", \"keys\": {keys}, \"updates\": {count}, \"seconds\": {seconds:.3}, \"per_second\": {:.0}, \"fill_seconds\": {fill:.3}}}",
            count as f64 / seconds
        );
    }
    Ok(())
}

/// The same updates as single store calls without read-ahead (`value_or_insert_with` per key).
fn direct_updates(keys: i64, count: u64) {
    let (mut store, sum) = filled(Some(rocksdb(true, None)), keys);
    let mut random = Random(0x9e37_79b9_7f4a_7c15);
    let started = Instant::now();
    for _ in 0..count {
        *store.value_or_insert_with(&keyed(random.below(keys as u64)), sum, || 0).expect("update").0 += 1;
    }
    let seconds = started.elapsed().as_secs_f64();
    println!("{{\"figure\": \"value_state_updates_direct\", \"backend\": \"rocksdb\", \"keys\": {keys}, \"updates\": {count}, \"seconds\": {seconds:.3}, \"per_second\": {:.0}}}", count as f64 / seconds);
}

fn dir_bytes(dir: &Path) -> u64 {
    std::fs::read_dir(dir).map_or(0, |d| d.flatten().map(|e| if e.path().is_dir() { dir_bytes(&e.path()) } else { e.metadata().map_or(0, |m| m.len()) }).sum())
}

/// Checkpoints of one store into `base`, as the task and the coordinator write them.
struct Checkpointer {
    base: PathBuf,
    registry: SharedRegistry,
}

impl Checkpointer {
    /// Writes checkpoint `id` of `store`; returns (seconds, bytes written).
    fn take(&mut self, id: u64, store: &mut KeyedStateStore<Longs>) -> Result<(f64, u64), BoxError> {
        let before = dir_bytes(&self.base);
        let started = Instant::now();
        let dir = checkpoint_dir(&self.base, "job", id);
        // The task: the operator's snapshot (as the rolling reduce writes it) and engine files.
        let mut snapshot = OperatorSnapshot::default();
        let (done, engines) = collect(id, || {
            let mut w = SnapshotWriter::<Longs>::new(&mut snapshot);
            store.snapshot_into(0, |key, body| {
                w.keyed_encoded(key, tagged(STATE, body));
                Ok(())
            })
        });
        done?;
        let file = encode_task_file(&[InstanceSnapshot { uid: "reduce".into(), subtask: 0, parallelism: 1, snapshot }])?;
        // The coordinator, once every task acknowledged.
        let refs: Vec<_> = engines.iter().collect();
        let mut metadata = Metadata::new("job", id, false, 0, MAX_P);
        metadata.engines = store_engine_checkpoints(&LocalStorage, &dir, &mut self.registry, id, &refs)?;
        write_snapshot(&LocalStorage, &dir, metadata, &[file], |_| vec![("reduce".into(), 1)])?;
        drop(engines);
        Ok((started.elapsed().as_secs_f64(), dir_bytes(&self.base) - before))
    }
}

/// Restores the store from `chk` as a job does (engine files when there are, then the
/// operator's keyed entries); returns (seconds, entries).
fn restore(chk: &Path, backend: &str) -> Result<(f64, usize), BoxError> {
    let started = Instant::now();
    let loaded = load_snapshot(&LocalStorage, chk)?;
    let engines = EngineRestore::of(&loaded, Arc::new(LocalStorage));
    let backend = match backend {
        "memory" => None,
        _ => Some(rocksdb(true, engines)),
    };
    let mut store = KeyedStateStore::<Longs>::for_task(&task(backend))?;
    store.register_value("sum");
    let old = loaded.operators.get("reduce").cloned().unwrap_or_default();
    let share = RestoredState::<Longs>::share(&old, 0, 1, MAX_P)?;
    for (key, payload) in &share.keyed {
        let (_, body) = untag(payload)?;
        store.restore_entry(key, body)?;
    }
    store.flush()?;
    Ok((started.elapsed().as_secs_f64(), store.len()))
}

fn checkpoints(keys: i64) -> Result<(), BoxError> {
    let base = std::env::temp_dir().join(format!("oxflow-figures-{}", random_hex(8)));
    for name in ["memory", "rocksdb-incremental", "rocksdb-full"] {
        let backend = match name {
            "memory" => None,
            "rocksdb-incremental" => Some(rocksdb(true, None)),
            _ => Some(rocksdb(false, None)),
        };
        let (mut store, sum) = filled(backend, keys);
        let mut cp = Checkpointer { base: base.join(name), registry: SharedRegistry::default() };
        let (first_s, first_b) = cp.take(1, &mut store)?;
        let mut random = Random(42);
        for _ in 0..keys / 100 {
            *store.value_or_insert_with(&keyed(random.below(keys as u64)), sum, || 0)?.0 += 1;
        }
        let (second_s, second_b) = cp.take(2, &mut store)?;
        drop(store);
        let restored_as = if name == "memory" { "memory" } else { "rocksdb" };
        let (restore_s, entries) = restore(&checkpoint_dir(&cp.base, "job", 2), restored_as)?;
        if entries != keys as usize {
            return Err(message(format!("{name}: restored {entries} entries, expected {keys}")));
        }
        println!(
            "{{\"figure\": \"checkpoint\", \"backend\": \"{name}\", \"keys\": {keys}, \"first_seconds\": {first_s:.3}, \"first_bytes\": {first_b}, \"second_seconds\": {second_s:.3}, \"second_bytes\": {second_b}, \"restore_seconds\": {restore_s:.3}}}"
        );
    }
    let _ = std::fs::remove_dir_all(&base);
    Ok(())
}

fn main() -> Result<(), BoxError> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let number = |i: usize, default: u64| args.get(i).map_or(Ok(default), |a| a.parse::<u64>().map_err(|e| message(format!("bad number '{a}': {e}"))));
    match args.first().map(String::as_str) {
        Some("updates") => updates(number(1, 1_000_000)? as i64, number(2, 2_000_000)?)?,
        Some("updates-direct") => direct_updates(number(1, 1_000_000)? as i64, number(2, 2_000_000)?),
        Some("checkpoints") => checkpoints(number(1, 1_000_000)? as i64)?,
        _ => return Err(message("usage: state_figures updates|updates-direct [KEYS] [UPDATES] | checkpoints [KEYS]")),
    }
    Ok(())
}
