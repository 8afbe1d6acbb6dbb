//! The byte-level storage engine under a keyed state store in engine mode (RocksDB in
//! `oxflow-state-rocksdb`, a `BTreeMap` here for tests), and how a job picks one.
//!
//! The store owns all the meaning (keys, states, namespaces, TTL); an engine only keeps sorted
//! byte keys and byte values, so a new engine needs nothing of the data model.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use crate::error::BoxError;

/// A sorted map of byte keys to byte values, private to one operator instance (never shared
/// between threads, hence `Send` but not `Sync`).
pub trait KvEngine: Send {
    fn get(&self, key: &[u8]) -> Result<Option<Vec<u8>>, BoxError>;
    fn put(&mut self, key: &[u8], value: &[u8]) -> Result<(), BoxError>;
    fn delete(&mut self, key: &[u8]) -> Result<(), BoxError>;

    /// The values of many keys at once, in the order of `keys` (a record batch's keys, read
    /// ahead by [`crate::state::KeyedStateStore::prefetch_values`]); engines with a batched
    /// lookup override this to pay its fixed costs once per batch.
    fn multi_get(&self, keys: &[Vec<u8>]) -> Result<Vec<Option<Vec<u8>>>, BoxError> {
        keys.iter().map(|k| self.get(k)).collect()
    }

    /// Writes many entries at once (the store's cache write-back); engines with atomic batches
    /// override this to pay the write path once.
    fn put_all(&mut self, entries: &[(Vec<u8>, Vec<u8>)]) -> Result<(), BoxError> {
        entries.iter().try_for_each(|(k, v)| self.put(k, v))
    }

    /// Calls `visit` with the entries from key `start` on, in key order, while it returns `true`.
    fn scan_from(&self, start: &[u8], visit: &mut dyn FnMut(&[u8], &[u8]) -> Result<bool, BoxError>) -> Result<(), BoxError>;

    /// Calls `visit` with every entry whose key starts with `prefix`, in key order (an empty
    /// prefix visits everything). `visit` may stop the scan by returning an error.
    fn scan_prefix(&self, prefix: &[u8], visit: &mut dyn FnMut(&[u8], &[u8]) -> Result<(), BoxError>) -> Result<(), BoxError> {
        self.scan_from(prefix, &mut |k, v| {
            if !k.starts_with(prefix) {
                return Ok(false);
            }
            visit(k, v)?;
            Ok(true)
        })
    }

    /// Writes a consistent copy of everything written so far as files into `dir` (a directory
    /// that does not exist yet, on the engine's filesystem), for an incremental checkpoint, and
    /// lists them. `None`: this engine keeps no files (its entries go into the neutral snapshot).
    /// Opening a directory holding these files (by the same factory) gives the same entries.
    fn checkpoint_to(&mut self, _dir: &Path) -> Result<Option<Vec<EngineFile>>, BoxError> {
        Ok(None)
    }
}

/// A file of an engine's checkpoint (see [`KvEngine::checkpoint_to`]).
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct EngineFile {
    /// Its name in the engine's directory.
    pub name: String,
    pub size: u64,
    /// Never changes once written (RocksDB's SST files): stored once and referenced by every
    /// later checkpoint that still needs it. Other files are stored with each checkpoint.
    pub shared: bool,
}

/// Where and for whom an engine is created.
pub struct EngineSpec<'a> {
    /// The operator's uid (as snapshots know it).
    pub operator_uid: &'a str,
    pub subtask_index: usize,
    /// An empty directory the engine may fill; removed after the engine is dropped.
    pub working_dir: &'a Path,
}

/// Creates the engine of each keyed operator instance of a job.
pub trait KvEngineFactory: Send + Sync {
    /// The backend's name in messages (`rocksdb`, ...).
    fn name(&self) -> &str;

    fn create(&self, spec: &EngineSpec<'_>) -> Result<Box<dyn KvEngine>, BoxError>;

    /// Decoded entries a store keeps in its write-back cache before it writes them back to the
    /// engine. Larger saves decoding (for Python: unpickling) on hot keys, smaller bounds memory.
    fn cache_entries(&self) -> usize {
        DEFAULT_CACHE_ENTRIES
    }

    /// Checkpoints store the engines' files incrementally (see [`KvEngine::checkpoint_to`])
    /// instead of every entry in the neutral format.
    fn incremental(&self) -> bool {
        false
    }
}

/// The default bound of a store's write-back cache.
pub const DEFAULT_CACHE_ENTRIES: usize = 4096;

/// An in-memory [`KvEngine`] (a `BTreeMap`): the engine mode's reference, for tests.
#[derive(Default)]
pub struct BTreeMapEngine {
    map: BTreeMap<Vec<u8>, Vec<u8>>,
}

impl KvEngine for BTreeMapEngine {
    fn get(&self, key: &[u8]) -> Result<Option<Vec<u8>>, BoxError> {
        Ok(self.map.get(key).cloned())
    }

    fn put(&mut self, key: &[u8], value: &[u8]) -> Result<(), BoxError> {
        self.map.insert(key.to_vec(), value.to_vec());
        Ok(())
    }

    fn delete(&mut self, key: &[u8]) -> Result<(), BoxError> {
        self.map.remove(key);
        Ok(())
    }

    fn scan_from(&self, start: &[u8], visit: &mut dyn FnMut(&[u8], &[u8]) -> Result<bool, BoxError>) -> Result<(), BoxError> {
        for (k, v) in self.map.range(start.to_vec()..) {
            if !visit(k, v)? {
                break;
            }
        }
        Ok(())
    }
}

/// Creates [`BTreeMapEngine`]s (with a configurable cache bound, to test write-back).
pub struct BTreeMapEngineFactory {
    pub cache_entries: usize,
}

impl Default for BTreeMapEngineFactory {
    fn default() -> Self {
        BTreeMapEngineFactory { cache_entries: DEFAULT_CACHE_ENTRIES }
    }
}

impl KvEngineFactory for BTreeMapEngineFactory {
    fn name(&self) -> &str {
        "btreemap"
    }

    fn create(&self, _: &EngineSpec<'_>) -> Result<Box<dyn KvEngine>, BoxError> {
        Ok(Box::new(BTreeMapEngine::default()))
    }

    fn cache_entries(&self) -> usize {
        self.cache_entries
    }
}

/// A directory removed (with its contents) when dropped.
pub(crate) struct DirGuard(pub(crate) PathBuf);

impl DirGuard {
    pub(crate) fn path(&self) -> &Path {
        &self.0
    }
}

impl Drop for DirGuard {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// A job's state backend as its tasks see it: the engine factory and the job's working
/// directory, which goes away once the job and every store in it are dropped.
#[derive(Clone)]
pub struct StateBackend {
    factory: Arc<dyn KvEngineFactory>,
    job_dir: Arc<DirGuard>,
    next_instance: Arc<AtomicU64>,
    /// The engines' files of the snapshot the job restores from (incremental checkpoints).
    restore: Option<Arc<crate::checkpoint::engine_files::EngineRestore>>,
}

/// Tells apart the working directories of jobs in one process.
static NEXT_JOB_DIR: AtomicU64 = AtomicU64::new(0);

impl StateBackend {
    /// Creates the job's working directory under `base` (the system's temporary directory when
    /// `None`; Flink's `state.backend.rocksdb.localdir`).
    pub fn new(factory: Arc<dyn KvEngineFactory>, base: Option<&Path>) -> Result<Self, BoxError> {
        let base = base.map(Path::to_path_buf).unwrap_or_else(std::env::temp_dir);
        let n = NEXT_JOB_DIR.fetch_add(1, Ordering::Relaxed);
        let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_nanos());
        let dir = base.join(format!("oxflow-state-{}-{nanos}-{n}", std::process::id()));
        std::fs::create_dir_all(&dir).map_err(|e| crate::error::message(format!("cannot create the state directory {}: {e}", dir.display())))?;
        Ok(StateBackend { factory, job_dir: Arc::new(DirGuard(dir)), next_instance: Arc::default(), restore: None })
    }

    /// The backend of a job restoring from a snapshot with engine files.
    pub fn with_restore(mut self, restore: crate::checkpoint::engine_files::EngineRestore) -> Self {
        self.restore = Some(Arc::new(restore));
        self
    }

    pub(crate) fn restore(&self) -> Option<&crate::checkpoint::engine_files::EngineRestore> {
        self.restore.as_deref()
    }

    /// Checkpoints store engine files incrementally (the factory's setting).
    pub fn incremental(&self) -> bool {
        self.factory.incremental()
    }

    /// A new, not yet existing directory in the job's working directory (engine checkpoints,
    /// engines opened to read restored files); its parent exists.
    pub(crate) fn scratch_dir(&self, what: &str) -> Result<PathBuf, BoxError> {
        let parent = self.job_dir.path().join("scratch");
        std::fs::create_dir_all(&parent).map_err(|e| crate::error::message(format!("cannot create the state directory {}: {e}", parent.display())))?;
        let n = self.next_instance.fetch_add(1, Ordering::Relaxed);
        Ok(parent.join(format!("{what}-{n}")))
    }

    /// Opens an engine over the files `prepare` puts into the new directory `dir` (restored
    /// files to read); the directory goes with the engine.
    pub(crate) fn open_scratch(
        &self,
        dir: PathBuf,
        operator_uid: &str,
        subtask_index: usize,
        prepare: impl FnOnce(&Path) -> Result<(), BoxError>,
    ) -> Result<ScratchEngine, BoxError> {
        let guard = DirGuard(dir);
        prepare(guard.path())?;
        let spec = EngineSpec { operator_uid, subtask_index, working_dir: guard.path() };
        let engine = self.factory.create(&spec).map_err(|e| crate::error::message(format!("the {} state backend failed to open restored files: {e}", self.name())))?;
        Ok(ScratchEngine { engine, _dir: guard })
    }

    pub fn name(&self) -> &str {
        self.factory.name()
    }

    pub fn job_dir(&self) -> &Path {
        self.job_dir.path()
    }

    /// An engine for one store of an operator instance, in a directory of its own.
    pub(crate) fn create_engine(&self, operator_uid: &str, subtask_index: usize) -> Result<OwnedEngine, BoxError> {
        self.create_engine_with(operator_uid, subtask_index, |_| Ok(()))
    }

    /// [`StateBackend::create_engine`], with `prepare` filling the engine's directory first
    /// (restored files the engine then opens).
    pub(crate) fn create_engine_with(
        &self,
        operator_uid: &str,
        subtask_index: usize,
        prepare: impl FnOnce(&Path) -> Result<(), BoxError>,
    ) -> Result<OwnedEngine, BoxError> {
        let n = self.next_instance.fetch_add(1, Ordering::Relaxed);
        // The uid is the user's: keep only what is safe in a file name.
        let safe: String = operator_uid.chars().map(|c| if c.is_ascii_alphanumeric() || c == '-' { c } else { '_' }).take(64).collect();
        let dir = self.job_dir.path().join(format!("{safe}_{subtask_index}_{n}"));
        std::fs::create_dir_all(&dir).map_err(|e| crate::error::message(format!("cannot create the state directory {}: {e}", dir.display())))?;
        let dir = DirGuard(dir);
        prepare(dir.path())?;
        let spec = EngineSpec { operator_uid, subtask_index, working_dir: dir.path() };
        let engine = self.factory.create(&spec).map_err(|e| crate::error::message(format!("the {} state backend failed to open: {e}", self.name())))?;
        let dirs = EngineDirs { _own: dir, _job: self.job_dir.clone() };
        let engine_id = format!("{safe}-{subtask_index}-{}", crate::checkpoint::storage::random_hex(12));
        Ok(OwnedEngine { engine, dirs, cache_entries: self.factory.cache_entries().max(1), engine_id })
    }
}

/// An engine opened aside (see [`StateBackend::open_scratch`]).
pub(crate) struct ScratchEngine {
    // Declared first: the engine closes before its directory is removed.
    pub(crate) engine: Box<dyn KvEngine>,
    _dir: DirGuard,
}

/// The directories an engine lives in (its own, and the job's, kept while it is open).
pub(crate) struct EngineDirs {
    _own: DirGuard,
    _job: Arc<DirGuard>,
}

/// An engine as [`StateBackend`] created it. Whoever keeps it must drop the engine before the
/// directories.
pub(crate) struct OwnedEngine {
    pub(crate) engine: Box<dyn KvEngine>,
    pub(crate) dirs: EngineDirs,
    pub(crate) cache_entries: usize,
    /// Names this engine's files in checkpoints (unique: file names repeat across engines).
    pub(crate) engine_id: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prefix_scans_visit_matching_keys_in_order() {
        let mut e = BTreeMapEngine::default();
        for k in [&b"b2"[..], b"a", b"b1", b"c", b"b"] {
            e.put(k, k).unwrap();
        }
        e.delete(b"c").unwrap();
        let mut seen = Vec::new();
        e.scan_prefix(b"b", &mut |k, _| {
            seen.push(k.to_vec());
            Ok(())
        })
        .unwrap();
        assert_eq!(seen, vec![b"b".to_vec(), b"b1".to_vec(), b"b2".to_vec()]);
        assert_eq!(e.get(b"a").unwrap(), Some(b"a".to_vec()));
        assert_eq!(e.get(b"c").unwrap(), None);
    }

    #[test]
    fn working_directories_go_away_with_the_last_engine() {
        let backend = StateBackend::new(Arc::new(BTreeMapEngineFactory::default()), None).unwrap();
        let job_dir = backend.job_dir().to_path_buf();
        let engine = backend.create_engine("op/1 ü", 0).unwrap();
        let own = engine.dirs._own.path().to_path_buf();
        assert!(own.starts_with(&job_dir) && own.is_dir());
        assert!(own.file_name().unwrap().to_str().unwrap().starts_with("op_1___0_"));
        drop(backend);
        assert!(job_dir.is_dir(), "an open engine keeps the job directory");
        let OwnedEngine { engine: kv, dirs, .. } = engine;
        drop(kv);
        drop(dirs);
        assert!(!job_dir.exists());
    }
}
