//! Flink's row-format `FileSink` (`FileSink.for_row_format(base_path,
//! Encoder.simple_string_encoder())`): records are encoded one per line into part files.
//!
//! **Buckets.** Each record goes to a bucket directory under `base_path`. The default
//! ([`BucketFormat::DateTimeHour`]) is Flink's `DateTimeBucketAssigner` with its default format
//! `yyyy-MM-dd--HH`, evaluated on the processing time (UTC) when the record is written;
//! [`BucketFormat::BasePath`] writes into `base_path` itself (Flink's `BasePathBucketAssigner`).
//!
//! **Part files.** While a part is being written it is a hidden file
//! `<bucket>/.<prefix>-<uid>-<subtask>-<counter><suffix>.inprogress.<random id>`. When the part
//! is committed it is renamed to `<bucket>/<prefix>-<uid>-<subtask>-<counter><suffix>`. `<uid>` is
//! one random id per sink instance (UUID-shaped, as Flink's), so names stay unique across
//! restarts; `<subtask>` is the subtask index, and `<counter>` counts the instance's parts from 0.
//!
//! **Rolling.** As Flink's `DefaultRollingPolicy`, a part rolls once its size exceeds
//! `max_part_size` (so a part holds at least one record and may exceed the limit by one record).
//! When processing time moves on to a new bucket, the previous bucket's part rolls too: records
//! never go back to an older bucket, so this keeps one open file per subtask (Flink rolls such
//! inactive parts by its inactivity interval instead). With checkpointing, every checkpoint also
//! rolls the open part (as Flink's `OnCheckpointRollingPolicy`), so a checkpoint never records a
//! half-written file (Flink's default policy instead records it and resumes it after a restore).
//!
//! **Encoding.** The encoder appends one record's bytes; the sink appends `\n` after each record,
//! as `SimpleStringEncoder` does.
//!
//! **Delivery.** Without checkpointing ([`TaskInfo::checkpointing`] false) a part is flushed,
//! fsynced and committed as soon as it rolls, and the open part at end of input; a failed job
//! leaves its unfinished parts as hidden in-progress files, which readers (including
//! [`crate::text_file`]) skip. Snapshots then record nothing, so there is no guarantee across a
//! restore.
//!
//! With checkpointing the sink is exactly-once, by Flink's two-phase commit. A part that rolls,
//! or is open at a checkpoint, becomes *pending*: flushed, fsynced and closed, still under its
//! hidden name. [`SinkFn::snapshot_state`] records every pending part not yet committed (list
//! state, one element per part: the checkpoint it belongs to, its in-progress and final paths
//! and its size); [`SinkFn::notify_checkpoint_complete`] of checkpoint `n` renames the parts of
//! checkpoints `<= n` and fsyncs their directories. [`SinkFn::finish`] only makes the open part
//! pending: the job's final checkpoint commits it. [`SinkFn::restore_state`] commits the
//! restored parts (their checkpoint completed, or it would not be restored from) unless they
//! were committed already; a restored part that is neither in progress nor committed is an
//! error. Parts the failed attempt wrote after the restored checkpoint stay hidden forever
//! (their records are replayed into new parts); they are not deleted, since another subtask or
//! job writing to the same directory may still own hidden files there.

use std::collections::hash_map::RandomState;
use std::fs::{File, OpenOptions};
use std::hash::{BuildHasher, Hash, Hasher};
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};

use oxflow_core::checkpoint::snapshot::{self, RestoredState, SnapshotWriter};
use oxflow_core::checkpoint::CheckpointId;
use oxflow_core::data::{DataModel, Record};
use oxflow_core::error::{message, BoxError};
use oxflow_core::function::{Lifecycle, SinkFn};
use oxflow_core::operator::{Operator, OperatorFactory, TaskInfo};
use oxflow_core::operators::SinkOperator;
use serde::{Deserialize, Serialize};

/// Appends the encoded bytes of one record (without a line terminator) to the buffer.
pub type Encoder<D> =
    Box<dyn FnMut(&<D as DataModel>::Value, &mut Vec<u8>) -> Result<(), BoxError> + Send>;

/// Makes one encoder per parallel sink instance.
pub type MakeEncoder<D> = Arc<dyn Fn() -> Encoder<D> + Send + Sync>;

/// Which sub-directory of the base path a record goes to.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub enum BucketFormat {
    /// Flink's default `DateTimeBucketAssigner`: `yyyy-MM-dd--HH` of the processing time, in UTC.
    #[default]
    DateTimeHour,
    /// No sub-directory: every part goes to the base path.
    BasePath,
}

/// Where and how the sink writes.
#[derive(Clone, Debug)]
pub struct FileSinkConfig {
    pub base_path: PathBuf,
    /// Flink's `OutputFileConfig` part prefix.
    pub part_prefix: String,
    /// Flink's `OutputFileConfig` part suffix.
    pub part_suffix: String,
    /// A part rolls once it is larger than this many bytes.
    pub max_part_size: u64,
    pub bucket_format: BucketFormat,
}

/// Flink's `DefaultRollingPolicy` part size: 128 MiB.
pub const DEFAULT_MAX_PART_SIZE: u64 = 128 * 1024 * 1024;

impl FileSinkConfig {
    /// Flink's defaults: prefix `part`, no suffix, 128 MiB parts, hourly date-time buckets.
    pub fn new(base_path: impl Into<PathBuf>) -> Self {
        FileSinkConfig {
            base_path: base_path.into(),
            part_prefix: "part".into(),
            part_suffix: String::new(),
            max_part_size: DEFAULT_MAX_PART_SIZE,
            bucket_format: BucketFormat::default(),
        }
    }

    /// Rejects a prefix or suffix that would put parts outside their bucket.
    pub fn validate(&self) -> Result<(), BoxError> {
        for (what, value) in [("prefix", &self.part_prefix), ("suffix", &self.part_suffix)] {
            if value.contains('/') || value.contains('\\') {
                return Err(message(format!("file sink: part {what} '{value}' must not contain a path separator")));
            }
        }
        Ok(())
    }
}

/// The civil (proleptic Gregorian) date of a day count since 1970-01-01: `(year, month, day)`.
/// Howard Hinnant's `civil_from_days`.
pub fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097); // [0, 146096]
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365; // [0, 399]
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100); // [0, 365]
    let mp = (5 * doy + 2) / 153; // [0, 11], March-based
    let day = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let month = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let year = yoe + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

/// The `yyyy-MM-dd--HH` bucket of a Unix time in seconds, in UTC.
pub fn date_time_bucket(unix_seconds: i64) -> String {
    let (year, month, day) = civil_from_days(unix_seconds.div_euclid(86_400));
    let hour = unix_seconds.rem_euclid(86_400) / 3600;
    format!("{year:04}-{month:02}-{day:02}--{hour:02}")
}

fn unix_seconds(now: SystemTime) -> i64 {
    match now.duration_since(UNIX_EPOCH) {
        Ok(d) => d.as_secs() as i64,
        Err(e) => -(e.duration().as_secs_f64().ceil() as i64),
    }
}

/// 64 random bits: the process's randomly keyed SipHash over time, pid, thread and a counter.
fn random_u64() -> u64 {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let mut h = RandomState::new().build_hasher();
    SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_nanos()).unwrap_or(0).hash(&mut h);
    std::process::id().hash(&mut h);
    std::thread::current().id().hash(&mut h);
    COUNTER.fetch_add(1, Ordering::Relaxed).hash(&mut h);
    h.finish()
}

/// A random id shaped like a version-4 UUID (`xxxxxxxx-xxxx-4xxx-yxxx-xxxxxxxxxxxx`), as Flink
/// names its part files.
pub fn random_id() -> String {
    let hi = random_u64();
    let lo = random_u64();
    let hi = (hi & !0xf000) | 0x4000; // version 4
    let lo = (lo & !(0b11 << 62)) | (0b10 << 62); // RFC 4122 variant
    format!(
        "{:08x}-{:04x}-{:04x}-{:04x}-{:012x}",
        hi >> 32,
        (hi >> 16) & 0xffff,
        hi & 0xffff,
        lo >> 48,
        lo & 0xffff_ffff_ffff
    )
}

/// The part being written.
struct Part {
    /// The bucket's hour (`None` for [`BucketFormat::BasePath`]).
    bucket: Option<i64>,
    in_progress: PathBuf,
    committed: PathBuf,
    writer: BufWriter<File>,
    size: u64,
}

impl Part {
    /// Flushes, fsyncs and closes the part: its bytes are durable, its name still hidden.
    fn close(self) -> Result<PendingPart, BoxError> {
        let file = self
            .writer
            .into_inner()
            .map_err(|e| write_error(&self.in_progress, e.into_error()))?;
        file.sync_all().map_err(|e| write_error(&self.in_progress, e))?;
        drop(file);
        Ok(PendingPart { in_progress: self.in_progress, committed: self.committed, size: self.size })
    }
}

/// A closed part waiting to be committed.
struct PendingPart {
    in_progress: PathBuf,
    committed: PathBuf,
    /// Bytes written; checked on restore so a truncated file is never committed.
    size: u64,
}

impl PendingPart {
    /// The rename is atomic, so a part is either still hidden or entirely visible.
    fn commit(&self) -> Result<(), BoxError> {
        commit_file(&self.in_progress, &self.committed)
    }
}

fn commit_file(in_progress: &Path, committed: &Path) -> Result<(), BoxError> {
    std::fs::rename(in_progress, committed).map_err(|e| {
        message(format!(
            "file sink: cannot commit '{}' as '{}': {e}",
            in_progress.display(),
            committed.display()
        ))
    })
}

fn write_error(path: &Path, err: std::io::Error) -> BoxError {
    message(format!("file sink: cannot write '{}': {err}", path.display()))
}

/// Fsyncs each distinct parent directory of `files` once, so created and renamed entries
/// survive a machine crash (a file's own fsync does not cover its directory entry).
fn sync_parent_dirs<'a>(files: impl IntoIterator<Item = &'a Path>) -> Result<(), BoxError> {
    let mut dirs: Vec<&Path> = files
        .into_iter()
        .map(|f| match f.parent() {
            Some(d) if !d.as_os_str().is_empty() => d,
            _ => Path::new("."),
        })
        .collect();
    dirs.sort();
    dirs.dedup();
    for dir in dirs {
        sync_dir(dir)?;
    }
    Ok(())
}

#[cfg(unix)]
fn sync_dir(dir: &Path) -> Result<(), BoxError> {
    File::open(dir)
        .and_then(|d| d.sync_all())
        .map_err(|e| message(format!("file sink: cannot fsync directory '{}': {e}", dir.display())))
}

/// Directories cannot be opened (or need no fsync) elsewhere.
#[cfg(not(unix))]
fn sync_dir(_dir: &Path) -> Result<(), BoxError> {
    Ok(())
}

/// The metadata of `path`, `None` if it does not exist (other errors are not taken as absence:
/// a permission problem must not make a pending part look committed or lost).
fn metadata_if_exists(path: &Path) -> Result<Option<std::fs::Metadata>, BoxError> {
    match std::fs::metadata(path) {
        Ok(m) => Ok(Some(m)),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(message(format!("file sink: cannot inspect '{}': {e}", path.display()))),
    }
}

/// The format version of a [`PendingFile`] list element (its first byte).
const PENDING_FILE_V1: u8 = 1;

/// One list element of the sink's snapshot: a pending part of `checkpoint`. Paths are absolute
/// (the base path is made absolute when checkpointing), so a restore does not depend on the
/// working directory.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
struct PendingFile {
    checkpoint: CheckpointId,
    in_progress: String,
    committed: String,
    size: u64,
}

impl PendingFile {
    fn encode(&self) -> Result<Vec<u8>, BoxError> {
        Ok(snapshot::tagged(PENDING_FILE_V1, snapshot::encode(self)?))
    }

    fn decode(bytes: &[u8]) -> Result<Self, BoxError> {
        match snapshot::untag(bytes)? {
            (PENDING_FILE_V1, body) => snapshot::decode(body, "file sink pending part"),
            (version, _) => Err(message(format!("file sink: unknown pending part format {version} in the snapshot"))),
        }
    }
}

fn path_string(path: &Path) -> Result<String, BoxError> {
    path.to_str()
        .map(str::to_owned)
        .ok_or_else(|| message(format!("file sink: path '{}' is not valid UTF-8", path.display())))
}

/// One parallel instance of the row-format file sink.
pub struct FileSink<D: DataModel> {
    config: FileSinkConfig,
    encoder: Encoder<D>,
    uid: String,
    subtask: usize,
    counter: u64,
    current: Option<Part>,
    scratch: Vec<u8>,
    /// Two-phase commit: rolled parts wait for their checkpoint instead of committing at once.
    checkpointing: bool,
    /// Parts closed since the last snapshot (they belong to the next checkpoint).
    unassigned: Vec<PendingPart>,
    /// Parts recorded by a snapshot, waiting for that checkpoint (or a later one) to complete;
    /// in snapshot order.
    awaiting: Vec<(CheckpointId, PendingPart)>,
}

impl<D: DataModel> FileSink<D> {
    pub fn new(config: FileSinkConfig, encoder: Encoder<D>) -> Self {
        FileSink {
            config,
            encoder,
            uid: random_id(),
            subtask: 0,
            counter: 0,
            current: None,
            scratch: Vec::new(),
            checkpointing: false,
            unassigned: Vec::new(),
            awaiting: Vec::new(),
        }
    }

    /// This instance's random id, part of every part file name.
    pub fn uid(&self) -> &str {
        &self.uid
    }

    fn bucket_now(&self) -> Option<i64> {
        match self.config.bucket_format {
            BucketFormat::BasePath => None,
            BucketFormat::DateTimeHour => Some(unix_seconds(SystemTime::now()).div_euclid(3600)),
        }
    }

    fn open_part(&mut self, bucket: Option<i64>) -> Result<Part, BoxError> {
        let dir = match bucket {
            None => self.config.base_path.clone(),
            Some(hour) => self.config.base_path.join(date_time_bucket(hour * 3600)),
        };
        std::fs::create_dir_all(&dir)
            .map_err(|e| message(format!("file sink: cannot create directory '{}': {e}", dir.display())))?;
        let name = format!(
            "{}-{}-{}-{}{}",
            self.config.part_prefix, self.uid, self.subtask, self.counter, self.config.part_suffix
        );
        self.counter += 1;
        let in_progress = dir.join(format!(".{name}.inprogress.{}", random_id()));
        let file = OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&in_progress)
            .map_err(|e| message(format!("file sink: cannot create '{}': {e}", in_progress.display())))?;
        Ok(Part { bucket, in_progress, committed: dir.join(name), writer: BufWriter::with_capacity(64 * 1024, file), size: 0 })
    }

    /// Closes the open part (if any): committed at once without checkpointing, else pending.
    fn roll(&mut self) -> Result<(), BoxError> {
        let Some(part) = self.current.take() else { return Ok(()) };
        let pending = part.close()?;
        if self.checkpointing {
            self.unassigned.push(pending);
            Ok(())
        } else {
            pending.commit()
        }
    }

    fn write_value(&mut self, value: &D::Value) -> Result<(), BoxError> {
        let bucket = self.bucket_now();
        if self.current.as_ref().is_some_and(|p| p.bucket != bucket) {
            self.roll()?;
        }
        if self.current.is_none() {
            self.current = Some(self.open_part(bucket)?);
        }
        self.scratch.clear();
        (self.encoder)(value, &mut self.scratch)?;
        self.scratch.push(b'\n');
        let part = self.current.as_mut().unwrap();
        part.writer.write_all(&self.scratch).map_err(|e| write_error(&part.in_progress, e))?;
        part.size += self.scratch.len() as u64;
        if part.size > self.config.max_part_size {
            self.roll()?;
        }
        Ok(())
    }
}

impl<D: DataModel> Lifecycle for FileSink<D> {
    fn open(&mut self, task: &TaskInfo) -> Result<(), BoxError> {
        self.config.validate()?;
        self.subtask = task.subtask_index;
        self.checkpointing = task.checkpointing;
        if self.checkpointing {
            // Snapshots record paths; absolute ones restore from any working directory.
            self.config.base_path = std::path::absolute(&self.config.base_path).map_err(|e| {
                message(format!("file sink: cannot resolve '{}': {e}", self.config.base_path.display()))
            })?;
            path_string(&self.config.base_path)?;
        }
        Ok(())
    }

    /// Without `finish` (a failed or cancelled job) the open part stays an in-progress file.
    fn close(&mut self) -> Result<(), BoxError> {
        if let Some(mut part) = self.current.take() {
            part.writer.flush().map_err(|e| write_error(&part.in_progress, e))?;
        }
        Ok(())
    }
}

impl<D: DataModel> SinkFn<D> for FileSink<D> {
    fn write(&mut self, records: Vec<Record<D>>) -> Result<(), BoxError> {
        for record in &records {
            self.write_value(&record.value)?;
        }
        Ok(())
    }

    /// With checkpointing the last part only becomes pending: the final checkpoint commits it.
    fn finish(&mut self) -> Result<(), BoxError> {
        self.roll()
    }

    fn snapshot_state(&mut self, checkpoint: CheckpointId, state: &mut SnapshotWriter<'_, D>) -> Result<(), BoxError> {
        if !self.checkpointing {
            return Ok(());
        }
        self.roll()?;
        // The checkpoint will name these files, so their directory entries must be durable.
        sync_parent_dirs(self.unassigned.iter().map(|p| p.in_progress.as_path()))?;
        self.awaiting.extend(self.unassigned.drain(..).map(|p| (checkpoint, p)));
        // Parts of earlier checkpoints not yet committed stay in every snapshot until they are:
        // their notification may have been lost, and a restore must still commit them.
        for (id, part) in &self.awaiting {
            let element = PendingFile {
                checkpoint: *id,
                in_progress: path_string(&part.in_progress)?,
                committed: path_string(&part.committed)?,
                size: part.size,
            };
            state.list(element.encode()?);
        }
        Ok(())
    }

    fn restore_state(&mut self, state: RestoredState<D>) -> Result<(), BoxError> {
        if !state.keyed.is_empty() || state.broadcast.is_some() {
            return Err(message("file sink: the snapshot holds keyed or broadcast state, but the sink keeps only pending parts"));
        }
        let mut to_commit = Vec::new();
        // Check every part before renaming any, so a failed restore changes nothing.
        for bytes in &state.list {
            let part = PendingFile::decode(bytes)?;
            let in_progress = PathBuf::from(&part.in_progress);
            let committed = PathBuf::from(&part.committed);
            if let Some(meta) = metadata_if_exists(&in_progress)? {
                if meta.len() != part.size {
                    return Err(message(format!(
                        "file sink: pending part '{}' of checkpoint {} has {} bytes, the checkpoint recorded {}",
                        in_progress.display(),
                        part.checkpoint,
                        meta.len(),
                        part.size
                    )));
                }
                to_commit.push((in_progress, committed));
            } else if metadata_if_exists(&committed)?.is_none() {
                return Err(message(format!(
                    "file sink: pending part '{}' of checkpoint {} is missing (and was not committed as '{}')",
                    in_progress.display(),
                    part.checkpoint,
                    committed.display()
                )));
            }
            // Else only the final file exists: an earlier attempt committed it already.
        }
        for (in_progress, committed) in &to_commit {
            commit_file(in_progress, committed)?;
        }
        sync_parent_dirs(to_commit.iter().map(|(_, c)| c.as_path()))
    }

    fn notify_checkpoint_complete(&mut self, checkpoint: CheckpointId) -> Result<(), BoxError> {
        // A completed checkpoint also covers earlier ones whose notification never came.
        let (due, later): (Vec<_>, Vec<_>) = std::mem::take(&mut self.awaiting).into_iter().partition(|(id, _)| *id <= checkpoint);
        self.awaiting = later;
        let mut committed = Vec::with_capacity(due.len());
        let mut due = due.into_iter();
        while let Some((id, part)) = due.next() {
            if let Err(e) = part.commit() {
                // Keep what is not committed, so it is neither lost nor committed twice.
                let mut rest: Vec<_> = std::iter::once((id, part)).chain(due).collect();
                rest.append(&mut self.awaiting);
                self.awaiting = rest;
                return Err(e);
            }
            committed.push(part.committed);
        }
        sync_parent_dirs(committed.iter().map(PathBuf::as_path))
    }
}

/// Creates each subtask's sink operator (a [`FileSink`] with its own encoder and uid).
pub fn factory<D: DataModel>(config: FileSinkConfig, make_encoder: MakeEncoder<D>) -> OperatorFactory<D> {
    Box::new(move |_task: &TaskInfo| {
        config.validate()?;
        Ok(Box::new(SinkOperator::new(FileSink::<D>::new(config.clone(), make_encoder()))) as Box<dyn Operator<D>>)
    })
}

#[cfg(test)]
mod tests;
