//! Where checkpoints live: `<dir>/<job-id>/chk-<n>/` with one state file per task and a
//! `_metadata` file written last (a directory without it is an incomplete checkpoint), as Flink
//! lays them out. Savepoints have the same content in `<target>/savepoint-<job>-<random>/`.
//!
//! The files are oxflow's own backend-neutral format: a task file is a magic number, the
//! postcard encoding of its operators' snapshots and a checksum; `_metadata` is JSON, so a
//! person can read what a checkpoint holds.

use std::collections::HashMap;
use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::snapshot::{decode, encode, OperatorSnapshot};
use super::CheckpointId;
use crate::error::{message, BoxError};

pub const METADATA_FILE: &str = "_metadata";
const TASK_FILE_MAGIC: &[u8; 8] = b"OXFSNAP1";
const FORMAT: &str = "oxflow-snapshot-1";

/// One operator instance's snapshot in a task file.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct InstanceSnapshot {
    pub uid: String,
    pub subtask: usize,
    pub parallelism: usize,
    pub snapshot: OperatorSnapshot,
}

/// What `_metadata` says.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Metadata {
    pub format: String,
    pub job_id: String,
    pub checkpoint_id: CheckpointId,
    /// `checkpoint` or `savepoint`.
    pub kind: String,
    pub timestamp_ms: i64,
    pub max_parallelism: usize,
    /// The task files, relative to the directory.
    pub files: Vec<String>,
    /// Operators with state: uid -> the parallelism they had.
    pub operators: HashMap<String, usize>,
    /// Engine files of incremental checkpoints (RocksDB), per store.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub engines: Vec<super::engine_files::EngineState>,
}

/// A completed snapshot read back for a restore: every operator's instance snapshots by uid,
/// in subtask order.
#[derive(Debug)]
pub struct LoadedSnapshot {
    pub path: PathBuf,
    pub metadata: Metadata,
    pub operators: HashMap<String, Vec<OperatorSnapshot>>,
}

/// The files of snapshots (the edge where checkpoint decisions meet storage).
pub trait SnapshotStorage: Send + Sync {
    /// Writes a file of the snapshot at `dir`, durably and atomically (readers never see a
    /// partial file).
    fn write(&self, dir: &Path, name: &str, bytes: &[u8]) -> Result<(), BoxError>;
    fn read(&self, dir: &Path, name: &str) -> Result<Vec<u8>, BoxError>;
    /// Deletes the snapshot at `dir`.
    fn discard(&self, dir: &Path) -> Result<(), BoxError>;
    /// Writes the file `source` (local) as file `name` at `dir`, durably and atomically.
    fn write_from(&self, dir: &Path, name: &str, source: &Path) -> Result<(), BoxError>;
    /// Deletes file `name` at `dir` (fine if it is gone already).
    fn delete_file(&self, dir: &Path, name: &str) -> Result<(), BoxError>;
    /// Copies the stored file `source` to the local file `target`; `immutable`: neither side
    /// ever changes it (the local filesystem may then link instead of copying).
    fn fetch(&self, source: &Path, target: &Path, immutable: bool) -> Result<(), BoxError>;
}

/// Snapshots on the local filesystem.
pub struct LocalStorage;

fn io_error(what: &str, path: &Path, e: std::io::Error) -> BoxError {
    message(format!("cannot {what} '{}': {e}", path.display()))
}

impl SnapshotStorage for LocalStorage {
    fn write_from(&self, dir: &Path, name: &str, source: &Path) -> Result<(), BoxError> {
        fs::create_dir_all(dir).map_err(|e| io_error("create the checkpoint directory", dir, e))?;
        let target = dir.join(name);
        let temp = dir.join(format!(".{name}.tmp"));
        fs::copy(source, &temp).map_err(|e| io_error(&format!("copy '{}' to", source.display()), &temp, e))?;
        fs::File::open(&temp).and_then(|f| f.sync_all()).map_err(|e| io_error("sync", &temp, e))?;
        fs::rename(&temp, &target).map_err(|e| io_error("rename to", &target, e))?;
        if let Ok(d) = fs::File::open(dir) {
            let _ = d.sync_all();
        }
        Ok(())
    }

    fn delete_file(&self, dir: &Path, name: &str) -> Result<(), BoxError> {
        let path = dir.join(name);
        match fs::remove_file(&path) {
            Ok(()) => Ok(()),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
            Err(e) => Err(io_error("delete", &path, e)),
        }
    }

    fn fetch(&self, source: &Path, target: &Path, immutable: bool) -> Result<(), BoxError> {
        // A hard link costs nothing and is safe for files nobody changes (RocksDB only ever
        // deletes its SST files, which removes the link, not the checkpoint's copy).
        if immutable && fs::hard_link(source, target).is_ok() {
            return Ok(());
        }
        fs::copy(source, target).map(|_| ()).map_err(|e| io_error(&format!("copy '{}' to", source.display()), target, e))
    }

    fn write(&self, dir: &Path, name: &str, bytes: &[u8]) -> Result<(), BoxError> {
        let io = |what: &str, path: &Path, e: std::io::Error| message(format!("cannot {what} '{}': {e}", path.display()));
        fs::create_dir_all(dir).map_err(|e| io("create the checkpoint directory", dir, e))?;
        let target = dir.join(name);
        let temp = dir.join(format!(".{name}.tmp"));
        let mut file = fs::File::create(&temp).map_err(|e| io("create", &temp, e))?;
        file.write_all(bytes).and_then(|_| file.sync_all()).map_err(|e| io("write", &temp, e))?;
        fs::rename(&temp, &target).map_err(|e| io("rename to", &target, e))?;
        // The rename is durable once the directory is synced.
        if let Ok(d) = fs::File::open(dir) {
            let _ = d.sync_all();
        }
        Ok(())
    }

    fn read(&self, dir: &Path, name: &str) -> Result<Vec<u8>, BoxError> {
        let path = dir.join(name);
        fs::read(&path).map_err(|e| message(format!("cannot read checkpoint file '{}': {e}", path.display())))
    }

    fn discard(&self, dir: &Path) -> Result<(), BoxError> {
        match fs::remove_dir_all(dir) {
            Ok(()) => Ok(()),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
            Err(e) => Err(message(format!("cannot delete checkpoint '{}': {e}", dir.display()))),
        }
    }
}

/// The directory of checkpoint `id` of job `job_id` under the checkpoint directory.
pub fn checkpoint_dir(base: &Path, job_id: &str, id: CheckpointId) -> PathBuf {
    base.join(job_id).join(format!("chk-{id}"))
}

/// A new savepoint directory under `target` (Flink's `savepoint-<6 of job id>-<12 random>`).
pub fn savepoint_dir(target: &Path, job_id: &str) -> PathBuf {
    let short: String = job_id.chars().take(6).collect();
    target.join(format!("savepoint-{short}-{}", random_hex(12)))
}

/// `n` random hex digits (from the std hasher's random keys: no extra dependency).
pub fn random_hex(n: usize) -> String {
    use std::hash::{BuildHasher, Hasher};
    let mut out = String::new();
    while out.len() < n {
        let mut h = std::collections::hash_map::RandomState::new().build_hasher();
        h.write_u128(std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_nanos()).unwrap_or(0));
        out.push_str(&format!("{:016x}", h.finish()));
    }
    out.truncate(n);
    out
}

fn checksum(bytes: &[u8]) -> u64 {
    // FNV-1a: enough to tell a damaged or truncated file from a good one.
    bytes.iter().fold(0xcbf2_9ce4_8422_2325u64, |h, b| (h ^ *b as u64).wrapping_mul(0x0100_0000_01b3))
}

/// The bytes of a task file holding `instances`.
pub fn encode_task_file(instances: &[InstanceSnapshot]) -> Result<Vec<u8>, BoxError> {
    let body = encode(&instances)?;
    let mut out = Vec::with_capacity(body.len() + 16);
    out.extend_from_slice(TASK_FILE_MAGIC);
    out.extend_from_slice(&body);
    out.extend_from_slice(&checksum(&body).to_le_bytes());
    Ok(out)
}

/// What [`encode_task_file`] wrote; `path` names the file in errors.
pub fn decode_task_file(bytes: &[u8], path: &Path) -> Result<Vec<InstanceSnapshot>, BoxError> {
    let corrupt = |why: &str| message(format!("checkpoint file '{}' is corrupt: {why}", path.display()));
    if bytes.len() < TASK_FILE_MAGIC.len() + 8 || &bytes[..8] != TASK_FILE_MAGIC {
        return Err(corrupt("it is not an oxflow state file"));
    }
    let body = &bytes[8..bytes.len() - 8];
    let stored = u64::from_le_bytes(bytes[bytes.len() - 8..].try_into().expect("8 bytes"));
    if checksum(body) != stored {
        return Err(corrupt("its checksum does not match (truncated or damaged)"));
    }
    decode(body, "task file").map_err(|e| corrupt(&e.to_string()))
}

/// Writes a completed snapshot: the task files, then `_metadata`.
pub fn write_snapshot(
    storage: &dyn SnapshotStorage,
    dir: &Path,
    metadata_base: Metadata,
    task_files: &[impl AsRef<[u8]>],
    instances: impl Fn(usize) -> Vec<(String, usize)>,
) -> Result<(), BoxError> {
    let mut metadata = metadata_base;
    for (i, bytes) in task_files.iter().enumerate() {
        let name = format!("task-{i}.state");
        storage.write(dir, &name, bytes.as_ref())?;
        metadata.files.push(name);
        for (uid, parallelism) in instances(i) {
            metadata.operators.insert(uid, parallelism);
        }
    }
    let json = serde_json::to_vec_pretty(&metadata).map_err(|e| Box::new(e) as BoxError)?;
    storage.write(dir, METADATA_FILE, &json)
}

impl Metadata {
    pub fn new(job_id: &str, checkpoint_id: CheckpointId, savepoint: bool, timestamp_ms: i64, max_parallelism: usize) -> Self {
        Metadata {
            format: FORMAT.into(),
            job_id: job_id.into(),
            checkpoint_id,
            kind: if savepoint { "savepoint" } else { "checkpoint" }.into(),
            timestamp_ms,
            max_parallelism,
            files: Vec::new(),
            operators: HashMap::new(),
            engines: Vec::new(),
        }
    }
}

/// Reads the completed snapshot at `path` (a `chk-<n>` or savepoint directory, or its
/// `_metadata` file). Every problem is an error naming the file: never a silent fresh start.
pub fn load_snapshot(storage: &dyn SnapshotStorage, path: &Path) -> Result<LoadedSnapshot, BoxError> {
    let dir = if path.file_name().is_some_and(|n| n == METADATA_FILE) { path.parent().unwrap_or(path) } else { path };
    if !dir.is_dir() {
        return Err(message(format!("the checkpoint or savepoint '{}' does not exist", dir.display())));
    }
    let metadata_path = dir.join(METADATA_FILE);
    if !metadata_path.is_file() {
        return Err(message(format!(
            "'{}' is not a completed checkpoint or savepoint: '{}' is missing",
            dir.display(),
            metadata_path.display()
        )));
    }
    let bytes = storage.read(dir, METADATA_FILE)?;
    let metadata: Metadata = serde_json::from_slice(&bytes)
        .map_err(|e| message(format!("checkpoint metadata '{}' is corrupt: {e}", metadata_path.display())))?;
    if metadata.format != FORMAT {
        return Err(message(format!("checkpoint metadata '{}' has unknown format '{}'", metadata_path.display(), metadata.format)));
    }
    let mut instances: HashMap<String, Vec<(usize, OperatorSnapshot)>> = HashMap::new();
    for name in &metadata.files {
        let file = dir.join(name);
        for instance in decode_task_file(&storage.read(dir, name)?, &file)? {
            instances.entry(instance.uid).or_default().push((instance.subtask, instance.snapshot));
        }
    }
    // Operators whose state is all in engine files still count as operators of the snapshot
    // (matched by uid, and their restore called).
    for engine in &metadata.engines {
        instances.entry(engine.uid.clone()).or_default();
    }
    let operators = instances
        .into_iter()
        .map(|(uid, mut list)| {
            list.sort_by_key(|(subtask, _)| *subtask);
            (uid, list.into_iter().map(|(_, s)| s).collect())
        })
        .collect();
    Ok(LoadedSnapshot { path: dir.to_path_buf(), metadata, operators })
}

/// The latest completed checkpoint under `<base>/<job-id>/` for any job id (the highest id with
/// a `_metadata`), for restarting a killed job.
pub fn latest_checkpoint(base: &Path) -> Option<PathBuf> {
    let mut best: Option<(CheckpointId, PathBuf)> = None;
    for job in fs::read_dir(base).ok()?.flatten() {
        for chk in fs::read_dir(job.path()).into_iter().flatten().flatten() {
            let name = chk.file_name().to_string_lossy().to_string();
            let Some(id) = name.strip_prefix("chk-").and_then(|n| n.parse::<CheckpointId>().ok()) else { continue };
            if chk.path().join(METADATA_FILE).is_file() && best.as_ref().is_none_or(|(b, _)| id > *b) {
                best = Some((id, chk.path()));
            }
        }
    }
    best.map(|(_, p)| p)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn instance(uid: &str, subtask: usize) -> InstanceSnapshot {
        let mut snapshot = OperatorSnapshot::default();
        snapshot.list.push(vec![subtask as u8]);
        InstanceSnapshot { uid: uid.into(), subtask, parallelism: 2, snapshot }
    }

    #[test]
    fn a_written_snapshot_loads_back_by_uid_in_subtask_order() {
        let dir = std::env::temp_dir().join(format!("oxflow-storage-test-{}", random_hex(8)));
        let chk = checkpoint_dir(&dir, "job", 3);
        let files = vec![encode_task_file(&[instance("a", 1)]).unwrap(), encode_task_file(&[instance("a", 0), instance("b", 0)]).unwrap()];
        write_snapshot(&LocalStorage, &chk, Metadata::new("job", 3, false, 0, 128), &files, |i| {
            if i == 0 { vec![("a".into(), 2)] } else { vec![("a".into(), 2), ("b".into(), 2)] }
        })
        .unwrap();
        let loaded = load_snapshot(&LocalStorage, &chk).unwrap();
        assert_eq!(loaded.metadata.checkpoint_id, 3);
        assert_eq!(loaded.operators["a"].iter().map(|s| s.list[0][0]).collect::<Vec<_>>(), vec![0, 1]);
        assert_eq!(loaded.operators["b"].len(), 1);
        assert_eq!(latest_checkpoint(&dir), Some(chk.clone()));
        // Damage a task file: the error names it.
        let task = chk.join("task-0.state");
        let mut bytes = fs::read(&task).unwrap();
        let last = bytes.len() - 9;
        bytes[last] ^= 0xff;
        fs::write(&task, bytes).unwrap();
        let err = load_snapshot(&LocalStorage, &chk).unwrap_err().to_string();
        assert!(err.contains("task-0.state") && err.contains("corrupt"), "{err}");
        // Without _metadata it is not a completed checkpoint.
        fs::remove_file(chk.join(METADATA_FILE)).unwrap();
        let err = load_snapshot(&LocalStorage, &chk).unwrap_err().to_string();
        assert!(err.contains("_metadata") && err.contains("is missing"), "{err}");
        assert_eq!(latest_checkpoint(&dir), None);
        let err = load_snapshot(&LocalStorage, &dir.join("nope")).unwrap_err().to_string();
        assert!(err.contains("does not exist"), "{err}");
        fs::remove_dir_all(&dir).unwrap();
    }
}
