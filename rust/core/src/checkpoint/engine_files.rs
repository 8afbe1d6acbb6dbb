//! Engine files in checkpoints (incremental RocksDB checkpoints), the I/O side of
//! [`super::incremental`]:
//!
//! - a task snapshots its chain inside [`collect`]; a store in engine mode then writes its
//!   engine's files to a local directory ([`KvEngine::checkpoint_to`](crate::state::KvEngine))
//!   instead of its entries, and hands them over as a [`LocalEngineCheckpoint`];
//! - when the checkpoint completes, the coordinator stores them ([`store_engine_checkpoints`]):
//!   new shared files into `<dir>/<job-id>/shared/`, the others into `chk-<n>/`, and lists
//!   them in `_metadata` ([`EngineState`]);
//! - a job restoring from such a checkpoint fetches them back into engine directories
//!   ([`EngineRestore::materialize`]).
//!
//! Savepoints and a task's final snapshot (at the end of its input) never collect engine files:
//! they hold every entry in the neutral format.

use std::cell::RefCell;
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use serde::{Deserialize, Serialize};

use super::incremental::{Placement, SharedRegistry};
use super::storage::{LoadedSnapshot, SnapshotStorage};
use super::CheckpointId;
use crate::error::{message, BoxError};
use crate::state::{EngineFile, StateBackend};

/// A state a store declared, in the order of its ids (engine keys hold ids, not names).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeclaredState {
    pub name: String,
    /// A value state (one value per key, see `KeyedStateStore::register_value`).
    pub value: bool,
}

/// What one store wrote for a checkpoint, in a local directory removed when this is dropped
/// (after the checkpoint completed and stored the files, or aborted).
pub struct LocalEngineCheckpoint {
    pub uid: String,
    pub subtask: usize,
    pub parallelism: usize,
    pub engine_id: String,
    pub states: Vec<DeclaredState>,
    pub files: Vec<EngineFile>,
    pub dir: PathBuf,
    /// Keeps the job's working directory (where `dir` is) until the files are stored.
    pub backend: StateBackend,
}

impl Drop for LocalEngineCheckpoint {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

impl std::fmt::Debug for LocalEngineCheckpoint {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "engine checkpoint of '{}' subtask {} at {}", self.uid, self.subtask, self.dir.display())
    }
}

/// A stored file of an engine checkpoint.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct StoredFile {
    /// Its name in the engine's directory.
    pub name: String,
    /// Where it is, relative to the `chk-<n>` directory (`../shared/...` for shared files).
    pub path: String,
    pub size: u64,
}

/// One store's engine files in a completed checkpoint, as `_metadata` lists them.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct EngineState {
    pub uid: String,
    pub subtask: usize,
    pub parallelism: usize,
    pub engine_id: String,
    pub states: Vec<DeclaredState>,
    pub files: Vec<StoredFile>,
}

/// The shared directory of the checkpoints of a job, next to its `chk-<n>` directories.
pub const SHARED_DIR: &str = "shared";

thread_local! {
    /// The checkpoint the current thread's task is snapshotting for, and what its stores wrote.
    static SCOPE: RefCell<Option<(CheckpointId, Vec<LocalEngineCheckpoint>)>> = const { RefCell::new(None) };
}

/// Runs `f` (a task's snapshot of its chain for checkpoint `id`) letting stores contribute
/// engine files; returns `f`'s result and those files.
pub fn collect<R>(id: CheckpointId, f: impl FnOnce() -> R) -> (R, Vec<LocalEngineCheckpoint>) {
    let outer = SCOPE.with(|s| s.replace(Some((id, Vec::new()))));
    let result = f();
    let collected = SCOPE.with(|s| s.replace(outer)).map(|(_, c)| c).unwrap_or_default();
    (result, collected)
}

/// The checkpoint engine files may be contributed to now (inside [`collect`]).
pub fn active_checkpoint() -> Option<CheckpointId> {
    SCOPE.with(|s| s.borrow().as_ref().map(|(id, _)| *id))
}

/// Contributes a store's engine files to the checkpoint of [`active_checkpoint`].
pub(crate) fn contribute(checkpoint: LocalEngineCheckpoint) {
    SCOPE.with(|s| {
        if let Some((_, list)) = s.borrow_mut().as_mut() {
            list.push(checkpoint);
        }
    });
}

/// Stores the engine files of completed checkpoint `id` (directory `chk_dir`): shared files
/// not stored yet go to `shared/`, the others to `chk_dir/<engine id>/`. Registers what the
/// checkpoint references in `registry` and returns the metadata entries.
pub fn store_engine_checkpoints(
    storage: &dyn SnapshotStorage,
    chk_dir: &Path,
    registry: &mut SharedRegistry,
    id: CheckpointId,
    engines: &[&LocalEngineCheckpoint],
) -> Result<Vec<EngineState>, BoxError> {
    let shared_dir = chk_dir.parent().map(|p| p.join(SHARED_DIR)).ok_or_else(|| message("a checkpoint directory has no parent"))?;
    let mut states = Vec::new();
    let mut references = Vec::new();
    for engine in engines {
        let mut files = Vec::new();
        for file in &engine.files {
            let source = engine.dir.join(&file.name);
            let path = match registry.place(&engine.engine_id, file) {
                Placement::Reuse(name) => {
                    references.push(((engine.engine_id.clone(), file.name.clone()), name.clone()));
                    format!("../{SHARED_DIR}/{name}")
                }
                Placement::Upload(name) => {
                    storage.write_from(&shared_dir, &name, &source)?;
                    references.push(((engine.engine_id.clone(), file.name.clone()), name.clone()));
                    format!("../{SHARED_DIR}/{name}")
                }
                Placement::Private => {
                    storage.write_from(&chk_dir.join(&engine.engine_id), &file.name, &source)?;
                    format!("{}/{}", engine.engine_id, file.name)
                }
            };
            files.push(StoredFile { name: file.name.clone(), path, size: file.size });
        }
        states.push(EngineState {
            uid: engine.uid.clone(),
            subtask: engine.subtask,
            parallelism: engine.parallelism,
            engine_id: engine.engine_id.clone(),
            states: engine.states.clone(),
            files,
        });
    }
    registry.completed(id, references);
    Ok(states)
}

/// Deletes the shared files `names` (no retained checkpoint references them any more).
pub fn delete_shared(storage: &dyn SnapshotStorage, job_dir: &Path, names: &[String]) {
    let dir = job_dir.join(SHARED_DIR);
    for name in names {
        let _ = storage.delete_file(&dir, name);
    }
}

/// The engine files of the snapshot a job restores from, by operator uid.
pub struct EngineRestore {
    pub storage: Arc<dyn SnapshotStorage>,
    /// The `chk-<n>` directory.
    pub path: PathBuf,
    /// uid -> the engine states of its old instances, in subtask order.
    pub by_uid: HashMap<String, Vec<EngineState>>,
}

impl EngineRestore {
    /// The engine files of `snapshot`, if it has any.
    pub fn of(snapshot: &LoadedSnapshot, storage: Arc<dyn SnapshotStorage>) -> Option<Self> {
        if snapshot.metadata.engines.is_empty() {
            return None;
        }
        let mut by_uid: HashMap<String, Vec<EngineState>> = HashMap::new();
        for e in &snapshot.metadata.engines {
            by_uid.entry(e.uid.clone()).or_default().push(e.clone());
        }
        for list in by_uid.values_mut() {
            list.sort_by_key(|e| e.subtask);
        }
        Some(EngineRestore { storage, path: snapshot.path.clone(), by_uid })
    }

    /// Fetches the files of `state` into `target` (created) under their engine names. A missing
    /// or truncated file is an error naming it.
    pub fn materialize(&self, state: &EngineState, target: &Path) -> Result<(), BoxError> {
        std::fs::create_dir_all(target).map_err(|e| message(format!("cannot create the state directory {}: {e}", target.display())))?;
        for file in &state.files {
            let source = self.path.join(&file.path);
            let problem = |why: String| {
                message(format!(
                    "the state file '{}' of operator '{}' (subtask {}) in checkpoint '{}' {why}",
                    source.display(),
                    state.uid,
                    state.subtask + 1,
                    self.path.display()
                ))
            };
            let size = match std::fs::metadata(&source) {
                Ok(m) => m.len(),
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Err(problem("is missing".into())),
                Err(e) => return Err(problem(format!("cannot be read: {e}"))),
            };
            if size != file.size {
                return Err(problem(format!("is corrupt: it has {size} bytes, the checkpoint recorded {}", file.size)));
            }
            self.storage.fetch(&source, &target.join(&file.name), file.path.starts_with("../")).map_err(|e| problem(format!("cannot be fetched: {e}")))?;
        }
        Ok(())
    }
}
