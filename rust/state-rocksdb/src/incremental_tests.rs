//! Incremental checkpoints of RocksDB stores, at the engine level: what a checkpoint stores,
//! what it frees, and restores at the same and at other parallelisms (also with key hashes
//! that differ between processes, as Python's).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use oxflow_core::checkpoint::engine_files::{collect, delete_shared, store_engine_checkpoints, EngineRestore, SHARED_DIR};
use oxflow_core::checkpoint::incremental::SharedRegistry;
use oxflow_core::checkpoint::storage::{checkpoint_dir, encode_task_file, load_snapshot, random_hex, write_snapshot, LocalStorage, Metadata, SnapshotStorage};
use oxflow_core::data::{DataModel, Keyed};
use oxflow_core::error::{message, BoxError};
use oxflow_core::key_group::{key_group_of, key_group_range};
use oxflow_core::operator::TaskInfo;
use oxflow_core::state::{KeyedStateStore, Namespace, Slot, SlotRef, StateBackend};
use oxflow_core::time::SystemClock;

use super::*;

/// Seeds the hash of [`Seeded`] keys: changing it is what a new Python process does.
static SEED: AtomicU64 = AtomicU64::new(0);

/// i64 keys and values; `STABLE` says whether the hash is the same in every process.
struct Model<const STABLE: bool>;
type Stable = Model<true>;
type Seeded = Model<false>;

impl<const STABLE: bool> DataModel for Model<STABLE> {
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
        Ok(hash::<STABLE>(*k))
    }
    fn stable_key_hash() -> bool {
        STABLE
    }
}

fn hash<const STABLE: bool>(k: i64) -> u64 {
    if STABLE { k as u64 } else { (k as u64) ^ SEED.load(Ordering::Relaxed) }
}

fn keyed<const S: bool>(k: i64) -> Keyed<i64> {
    Keyed { key: k, hash: hash::<S>(k) }
}

const MAX_P: usize = 128;

fn task(backend: &StateBackend, subtask: usize, parallelism: usize) -> TaskInfo {
    TaskInfo {
        task_name: "test".into(),
        operator_name: "op".into(),
        uid: "op".into(),
        subtask_index: subtask,
        parallelism,
        max_parallelism: MAX_P,
        attempt_number: 0,
        clock: Arc::new(SystemClock),
        checkpointing: true,
        state_backend: Some(backend.clone()),
    }
}

fn backend(incremental: bool) -> StateBackend {
    backend_with_write_buffer(incremental, 1 << 20)
}

fn backend_with_write_buffer(incremental: bool, write_buffer_bytes: usize) -> StateBackend {
    let config = RocksDbConfig { cache_entries: 64, block_cache_bytes: 1 << 20, write_buffer_bytes, incremental };
    StateBackend::new(Arc::new(RocksDbFactory::new(config)), None).unwrap()
}

/// A job's checkpoint directory and its shared files, as the coordinator keeps them.
struct Checkpoints {
    base: PathBuf,
    registry: SharedRegistry,
}

impl Checkpoints {
    fn new() -> Self {
        Checkpoints { base: std::env::temp_dir().join(format!("oxflow-incr-test-{}", random_hex(10))), registry: SharedRegistry::default() }
    }

    fn job_dir(&self) -> PathBuf {
        self.base.join("job")
    }

    /// Checkpoint `id` of `stores` (one per subtask); returns its directory.
    fn take<D: DataModel>(&mut self, id: u64, stores: &mut [KeyedStateStore<D>]) -> PathBuf {
        let dir = checkpoint_dir(&self.base, "job", id);
        let mut neutral = 0;
        let mut engines = Vec::new();
        for store in stores.iter_mut() {
            let (done, files) = collect(id, || store.snapshot_into(0, |_, _| Ok(neutral += 1)));
            done.unwrap();
            engines.extend(files);
        }
        assert_eq!(neutral, 0, "an incremental checkpoint writes no neutral entries");
        let refs: Vec<_> = engines.iter().collect();
        let states = store_engine_checkpoints(&LocalStorage, &dir, &mut self.registry, id, &refs).unwrap();
        let mut metadata = Metadata::new("job", id, false, 0, MAX_P);
        metadata.engines = states;
        write_snapshot(&LocalStorage, &dir, metadata, &[encode_task_file(&[]).unwrap()], |_| vec![("op".into(), stores.len())]).unwrap();
        dir
    }

    /// Checkpoint `id` is subsumed: its directory and its files nothing else references go.
    fn discard(&mut self, id: u64) {
        LocalStorage.discard(&checkpoint_dir(&self.base, "job", id)).unwrap();
        delete_shared(&LocalStorage, &self.job_dir(), &self.registry.discard(id));
    }

    fn shared_files(&self) -> Vec<String> {
        let mut names: Vec<String> = std::fs::read_dir(self.job_dir().join(SHARED_DIR)).unwrap().map(|e| e.unwrap().file_name().to_string_lossy().into_owned()).collect();
        names.sort();
        names
    }
}

impl Drop for Checkpoints {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.base);
    }
}

fn dir_bytes(dir: &Path) -> u64 {
    std::fs::read_dir(dir).map_or(0, |d| d.flatten().map(|e| if e.path().is_dir() { dir_bytes(&e.path()) } else { e.metadata().unwrap().len() }).sum())
}

/// Every entry of value state "v" and list state "l" as key -> (value, list).
fn contents<D: DataModel<Key = i64, Value = i64>>(stores: &mut [KeyedStateStore<D>]) -> BTreeMap<i64, (Option<i64>, Vec<i64>)> {
    let mut out: BTreeMap<i64, (Option<i64>, Vec<i64>)> = BTreeMap::new();
    for store in stores {
        let (v, l) = (store.state_id("v"), store.state_id("l"));
        store
            .for_each_entry(|k, _, state, _, slot| {
                let e = out.entry(*k).or_default();
                match slot {
                    SlotRef::Value(x) if Some(state) == v => e.0 = Some(*x),
                    SlotRef::List(x) if Some(state) == l => e.1 = x.to_vec(),
                    _ => panic!("unexpected entry"),
                }
                Ok(())
            })
            .unwrap();
    }
    out
}

/// `parallelism` stores holding keys `0..keys` (each in its subtask): a value state and, for
/// every third key, a list state.
fn filled<const S: bool>(backend: &StateBackend, parallelism: usize, keys: i64) -> Vec<KeyedStateStore<Model<S>>> {
    let mut stores: Vec<KeyedStateStore<Model<S>>> = (0..parallelism).map(|i| KeyedStateStore::for_task(&task(backend, i, parallelism)).unwrap()).collect();
    for store in &mut stores {
        store.register("l", None);
        store.register_value("v");
    }
    for key in 0..keys {
        let k = keyed::<S>(key);
        let owner = (0..parallelism).find(|&i| key_group_range(i, parallelism, MAX_P).contains(&key_group_of(k.hash, MAX_P))).unwrap();
        let store = &mut stores[owner];
        let v = store.register_value("v");
        *store.value_or_insert_with(&k, v, || 0).unwrap().0 = key * 10;
        if key % 3 == 0 {
            let l = store.state_id("l").unwrap();
            store.put(&k, l, Namespace::Void, Slot::List(vec![key, key + 1]), 0).unwrap();
        }
    }
    stores
}

/// The stores of a job restored from `chk` at `parallelism`.
fn restored<D: DataModel>(chk: &Path, parallelism: usize, incremental: bool) -> Vec<KeyedStateStore<D>> {
    let loaded = load_snapshot(&LocalStorage, chk).unwrap();
    let restore = EngineRestore::of(&loaded, Arc::new(LocalStorage)).expect("engine files");
    let backend = backend(incremental).with_restore(restore);
    (0..parallelism).map(|i| KeyedStateStore::for_task(&task(&backend, i, parallelism)).unwrap()).collect()
}

#[test]
fn a_checkpoint_after_few_updates_stores_far_fewer_bytes_and_subsumed_files_go() {
    // One memtable holds every entry, so the first checkpoint flushes them into one file and no
    // background compaction (whose output a checkpoint would rightly store anew) runs between
    // the two checkpoints.
    let backend = backend_with_write_buffer(true, 64 << 20);
    let mut stores = filled::<true>(&backend, 1, 50_000);
    let mut cps = Checkpoints::new();
    let before = dir_bytes(&cps.base);
    cps.take(1, &mut stores);
    let first = dir_bytes(&cps.base) - before;
    let after_first = cps.shared_files();
    assert!(!after_first.is_empty() && first > 400_000, "the first checkpoint stores every entry ({first} bytes)");
    // 1% of the keys change.
    let v = stores[0].register_value("v");
    for key in (0..50_000).step_by(100) {
        *stores[0].value_or_insert_with(&keyed::<true>(key), v, || 0).unwrap().0 = -key;
    }
    let total = dir_bytes(&cps.base);
    cps.take(2, &mut stores);
    let second = dir_bytes(&cps.base) - total;
    assert!(second * 10 < first, "the second checkpoint stores far fewer bytes: {second} vs {first}");
    // Checkpoint 2 still references checkpoint 1's SST files: discarding 1 keeps them.
    cps.discard(1);
    let still = cps.shared_files();
    assert!(after_first.iter().all(|f| still.contains(f)), "{after_first:?} {still:?}");
    let expected = contents(&mut stores);
    assert_eq!(expected[&100].0, Some(-100));
    assert_eq!(contents(&mut restored::<Stable>(&checkpoint_dir(&cps.base, "job", 2), 1, true)), expected);
    // After a compaction, checkpoint 3 no longer needs the old files: subsuming 2 frees them.
    stores.clear();
    let mut stores = restored::<Stable>(&checkpoint_dir(&cps.base, "job", 2), 1, true);
    cps.take(3, &mut stores);
    cps.discard(2);
    let now = cps.shared_files();
    assert!(after_first.iter().all(|f| !now.contains(f)), "restored engines store their files anew: {now:?}");
    assert_eq!(contents(&mut restored::<Stable>(&checkpoint_dir(&cps.base, "job", 3), 1, true)), expected);
}

#[test]
fn restores_at_other_parallelisms_and_with_per_process_hashes_give_the_same_entries() {
    let backend = backend(true);
    let mut stores = filled::<true>(&backend, 2, 3000);
    let expected = contents(&mut stores);
    assert_eq!(expected.len(), 3000);
    let mut cps = Checkpoints::new();
    let chk = cps.take(1, &mut stores);
    for parallelism in [1, 2, 3] {
        let mut back = restored::<Stable>(&chk, parallelism, true);
        assert_eq!(back.iter().map(|s| s.len()).sum::<usize>(), 3000 + 1000);
        assert_eq!(contents(&mut back), expected, "parallelism 2 -> {parallelism}");
        // Every restored key is where this parallelism looks for it.
        let v = back[0].state_id("v").unwrap();
        for key in [0i64, 7, 2999] {
            let k = keyed::<true>(key);
            let owner = (0..parallelism).find(|&i| key_group_range(i, parallelism, MAX_P).contains(&key_group_of(k.hash, MAX_P))).unwrap();
            assert_eq!(back[owner].at(&k, v, Namespace::Void, 0).value().unwrap(), Some(key * 10));
        }
    }
    // Hashes seeded per process: the keys are hashed again on restore, and found.
    SEED.store(0x5eed, Ordering::Relaxed);
    let mut seeded = filled::<false>(&backend, 2, 3000);
    let chk = cps.take(2, &mut seeded);
    SEED.store(0xfeed_beef, Ordering::Relaxed);
    for parallelism in [2, 3] {
        let mut back = restored::<Seeded>(&chk, parallelism, true);
        assert_eq!(contents(&mut back), expected);
        let v = back[0].state_id("v").unwrap();
        let k = keyed::<false>(41);
        let owner = (0..parallelism).find(|&i| key_group_range(i, parallelism, MAX_P).contains(&key_group_of(k.hash, MAX_P))).unwrap();
        assert_eq!(back[owner].at(&k, v, Namespace::Void, 0).value().unwrap(), Some(410));
    }
}

#[test]
fn a_missing_or_truncated_file_is_named_and_non_incremental_backends_write_entries() {
    let backend = backend(true);
    let mut stores = filled::<true>(&backend, 1, 500);
    let mut cps = Checkpoints::new();
    let chk = cps.take(1, &mut stores);
    let loaded = load_snapshot(&LocalStorage, &chk).unwrap();
    let sst = loaded.metadata.engines[0].files.iter().find(|f| f.path.starts_with("../shared/")).unwrap().clone();
    let path = chk.join(&sst.path);
    let bytes = std::fs::read(&path).unwrap();
    std::fs::write(&path, &bytes[..bytes.len() / 2]).unwrap();
    let restore = || {
        let restore = EngineRestore::of(&load_snapshot(&LocalStorage, &chk).unwrap(), Arc::new(LocalStorage)).unwrap();
        let backend = self::backend(true).with_restore(restore);
        KeyedStateStore::<Stable>::for_task(&task(&backend, 0, 1)).err().expect("refused").to_string()
    };
    let err = restore();
    assert!(err.contains(&sst.name) && err.contains("is corrupt") && err.contains("'op'"), "{err}");
    std::fs::remove_file(&path).unwrap();
    let err = restore();
    assert!(err.contains(&sst.name) && err.contains("is missing"), "{err}");
    // With incremental checkpoints off, the entries go into the neutral snapshot.
    let backend = self::backend(false);
    let mut stores = filled::<true>(&backend, 1, 500);
    let mut neutral = 0;
    let (done, files) = collect(9, || stores[0].snapshot_into(0, |_, _| Ok(neutral += 1)));
    done.unwrap();
    assert!(files.is_empty());
    assert_eq!(neutral, 500 + 167);
}
