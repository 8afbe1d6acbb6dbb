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
//! rolls or the input ends ([`SinkFn::finish`]), it is flushed, fsynced and renamed to
//! `<bucket>/<prefix>-<uid>-<subtask>-<counter><suffix>`. `<uid>` is one random id per sink
//! instance (UUID-shaped, as Flink's), `<subtask>` the subtask index, and `<counter>` counts the
//! subtask's parts from 0.
//!
//! **Rolling.** As Flink's `DefaultRollingPolicy`, a part rolls once its size exceeds
//! `max_part_size` (so a part holds at least one record and may exceed the limit by one record).
//! When processing time moves on to a new bucket, the previous bucket's part is committed too:
//! records never go back to an older bucket, so this keeps one open file per subtask (Flink rolls
//! such inactive parts by its inactivity interval instead).
//!
//! **Encoding.** The encoder appends one record's bytes; the sink appends `\n` after each record,
//! as `SimpleStringEncoder` does.
//!
//! **Delivery.** Commit-on-checkpoint (Flink's two-phase commit of pending parts) comes with the
//! checkpointing work. For now parts commit when they roll and at end of input; a failed job
//! leaves its unfinished parts only as hidden in-progress files, which readers (including
//! [`crate::text_file`]) skip.

use std::collections::hash_map::RandomState;
use std::fs::{File, OpenOptions};
use std::hash::{BuildHasher, Hash, Hasher};
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};

use oxflow_core::data::{DataModel, Record};
use oxflow_core::error::{message, BoxError};
use oxflow_core::function::{Lifecycle, SinkFn};
use oxflow_core::operator::{Operator, OperatorFactory, TaskInfo};
use oxflow_core::operators::SinkOperator;

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
    fn commit(self) -> Result<(), BoxError> {
        let file = self
            .writer
            .into_inner()
            .map_err(|e| write_error(&self.in_progress, e.into_error()))?;
        file.sync_all().map_err(|e| write_error(&self.in_progress, e))?;
        drop(file);
        std::fs::rename(&self.in_progress, &self.committed).map_err(|e| {
            message(format!(
                "file sink: cannot commit '{}' as '{}': {e}",
                self.in_progress.display(),
                self.committed.display()
            ))
        })
    }
}

fn write_error(path: &Path, err: std::io::Error) -> BoxError {
    message(format!("file sink: cannot write '{}': {err}", path.display()))
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
}

impl<D: DataModel> FileSink<D> {
    pub fn new(config: FileSinkConfig, encoder: Encoder<D>) -> Self {
        FileSink { config, encoder, uid: random_id(), subtask: 0, counter: 0, current: None, scratch: Vec::new() }
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

    fn write_value(&mut self, value: &D::Value) -> Result<(), BoxError> {
        let bucket = self.bucket_now();
        if self.current.as_ref().is_some_and(|p| p.bucket != bucket) {
            self.current.take().unwrap().commit()?;
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
            self.current.take().unwrap().commit()?;
        }
        Ok(())
    }
}

impl<D: DataModel> Lifecycle for FileSink<D> {
    fn open(&mut self, task: &TaskInfo) -> Result<(), BoxError> {
        self.config.validate()?;
        self.subtask = task.subtask_index;
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

    fn finish(&mut self) -> Result<(), BoxError> {
        match self.current.take() {
            Some(part) => part.commit(),
            None => Ok(()),
        }
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
mod tests {
    use super::*;
    use crate::test_support::{task, Strings};
    use std::fs;

    fn string_encoder() -> Encoder<Strings> {
        Box::new(|v: &String, out: &mut Vec<u8>| {
            out.extend_from_slice(v.as_bytes());
            Ok(())
        })
    }

    fn base_path_config(dir: &Path) -> FileSinkConfig {
        FileSinkConfig { bucket_format: BucketFormat::BasePath, ..FileSinkConfig::new(dir) }
    }

    fn records(values: &[&str]) -> Vec<Record<Strings>> {
        values.iter().map(|v| Record::new(v.to_string())).collect()
    }

    /// File names in `dir`, sorted.
    fn names(dir: &Path) -> Vec<String> {
        let mut v: Vec<String> =
            fs::read_dir(dir).unwrap().map(|e| e.unwrap().file_name().to_string_lossy().into_owned()).collect();
        v.sort();
        v
    }

    fn is_uuid(s: &str) -> bool {
        let parts: Vec<&str> = s.split('-').collect();
        parts.iter().map(|p| p.len()).collect::<Vec<_>>() == [8, 4, 4, 4, 12]
            && parts.iter().all(|p| p.chars().all(|c| c.is_ascii_hexdigit() && !c.is_ascii_uppercase()))
            && parts[2].starts_with('4')
    }

    #[test]
    fn in_progress_is_hidden_until_finish_then_committed() {
        let dir = tempfile::tempdir().unwrap();
        let mut sink = FileSink::<Strings>::new(base_path_config(dir.path()), string_encoder());
        let uid = sink.uid().to_string();
        assert!(is_uuid(&uid), "{uid}");
        sink.open(&task(0, 1)).unwrap();
        sink.write(records(&["a", "héllo"])).unwrap();
        sink.write(records(&["", "c"])).unwrap();

        let before = names(dir.path());
        assert_eq!(before.len(), 1, "{before:?}");
        let prefix = format!(".part-{uid}-0-0.inprogress.");
        assert!(before[0].starts_with(&prefix), "{before:?}");
        assert!(is_uuid(&before[0][prefix.len()..]), "{before:?}");

        sink.finish().unwrap();
        sink.close().unwrap();
        let committed = format!("part-{uid}-0-0");
        assert_eq!(names(dir.path()), vec![committed.clone()]);
        assert_eq!(fs::read_to_string(dir.path().join(committed)).unwrap(), "a\nhéllo\n\nc\n");
    }

    #[test]
    fn parts_roll_once_larger_than_the_limit() {
        let dir = tempfile::tempdir().unwrap();
        let config = FileSinkConfig {
            part_prefix: "out".into(),
            part_suffix: ".txt".into(),
            max_part_size: 5,
            ..base_path_config(dir.path())
        };
        let mut sink = FileSink::<Strings>::new(config, string_encoder());
        let uid = sink.uid().to_string();
        sink.open(&task(2, 3)).unwrap();
        // 4 bytes each: "aaa\n" (4 <= 5), "bbb\n" (8 > 5: roll), "ccc\n" into the next part.
        sink.write(records(&["aaa", "bbb", "ccc"])).unwrap();
        let part0 = format!("out-{uid}-2-0.txt");
        let before = names(dir.path());
        assert_eq!(before.len(), 2, "{before:?}");
        assert!(before[0].starts_with(&format!(".out-{uid}-2-1.txt.inprogress.")), "{before:?}");
        assert_eq!(before[1], part0);
        assert_eq!(fs::read_to_string(dir.path().join(&part0)).unwrap(), "aaa\nbbb\n");

        sink.write(records(&["a-long-record", "d"])).unwrap();
        sink.finish().unwrap();
        let part1 = format!("out-{uid}-2-1.txt");
        let part2 = format!("out-{uid}-2-2.txt");
        assert_eq!(names(dir.path()), vec![part0, part1.clone(), part2.clone()]);
        assert_eq!(fs::read_to_string(dir.path().join(part1)).unwrap(), "ccc\na-long-record\n");
        assert_eq!(fs::read_to_string(dir.path().join(part2)).unwrap(), "d\n");
    }

    #[test]
    fn failed_job_leaves_only_hidden_files() {
        let dir = tempfile::tempdir().unwrap();
        let mut sink = FileSink::<Strings>::new(base_path_config(dir.path()), string_encoder());
        sink.open(&task(0, 1)).unwrap();
        sink.write(records(&["x", "y"])).unwrap();
        sink.close().unwrap(); // no finish
        let left = names(dir.path());
        assert_eq!(left.len(), 1);
        assert!(left[0].starts_with('.') && left[0].contains(".inprogress."), "{left:?}");
        // The data was flushed to the in-progress file; readers skip it.
        assert_eq!(fs::read_to_string(dir.path().join(&left[0])).unwrap(), "x\ny\n");
        assert!(crate::text_file::list_files(&[dir.path().to_path_buf()]).unwrap().is_empty());
    }

    #[test]
    fn no_records_no_files() {
        let dir = tempfile::tempdir().unwrap();
        let base = dir.path().join("out");
        let mut sink = FileSink::<Strings>::new(FileSinkConfig::new(&base), string_encoder());
        sink.open(&task(0, 1)).unwrap();
        sink.finish().unwrap();
        sink.close().unwrap();
        assert!(!base.exists());
    }

    #[test]
    fn date_time_buckets_by_processing_hour() {
        let dir = tempfile::tempdir().unwrap();
        let base = dir.path().join("nested/out");
        let mut sink = FileSink::<Strings>::new(FileSinkConfig::new(&base), string_encoder());
        let uid = sink.uid().to_string();
        sink.open(&task(1, 2)).unwrap();
        let before = date_time_bucket(unix_seconds(SystemTime::now()));
        sink.write(records(&["r1", "r2"])).unwrap();
        sink.finish().unwrap();
        let after = date_time_bucket(unix_seconds(SystemTime::now()));
        let buckets = names(&base);
        if before == after {
            assert_eq!(buckets, vec![before.clone()]);
            assert_eq!(names(&base.join(&before)), vec![format!("part-{uid}-1-0")]);
            assert_eq!(fs::read_to_string(base.join(&before).join(format!("part-{uid}-1-0"))).unwrap(), "r1\nr2\n");
        } else {
            assert!(buckets.iter().all(|b| *b == before || *b == after), "{buckets:?}");
        }
    }

    #[test]
    fn date_time_bucket_format() {
        assert_eq!(date_time_bucket(0), "1970-01-01--00");
        assert_eq!(date_time_bucket(-1), "1969-12-31--23");
        assert_eq!(date_time_bucket(1_700_000_000), "2023-11-14--22");
        assert_eq!(date_time_bucket(1_709_208_000), "2024-02-29--12");
        assert_eq!(date_time_bucket(951_782_400), "2000-02-29--00");
        assert_eq!(date_time_bucket(4_102_444_799), "2099-12-31--23");
    }

    #[test]
    fn civil_from_days_matches_a_day_by_day_calendar() {
        let leap = |y: i64| (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
        let (mut y, mut m, mut d) = (1900i64, 1u32, 1u32);
        let start = -25_567; // 1900-01-01
        for days in start..start + 100_000 {
            assert_eq!(civil_from_days(days), (y, m, d), "day {days}");
            let len = match m {
                2 if leap(y) => 29,
                2 => 28,
                4 | 6 | 9 | 11 => 30,
                _ => 31,
            };
            d += 1;
            if d > len {
                d = 1;
                m += 1;
                if m > 12 {
                    m = 1;
                    y += 1;
                }
            }
        }
    }

    #[test]
    fn ids_are_distinct() {
        let ids: std::collections::HashSet<String> = (0..1000).map(|_| random_id()).collect();
        assert_eq!(ids.len(), 1000);
        assert!(ids.iter().all(|id| is_uuid(id)));
        let a = FileSink::<Strings>::new(FileSinkConfig::new("x"), string_encoder());
        let b = FileSink::<Strings>::new(FileSinkConfig::new("x"), string_encoder());
        assert_ne!(a.uid(), b.uid());
    }

    #[test]
    fn encoder_errors_propagate() {
        let dir = tempfile::tempdir().unwrap();
        let encoder: Encoder<Strings> = Box::new(|v: &String, out: &mut Vec<u8>| {
            if v == "bad" {
                return Err(message("cannot encode 'bad'"));
            }
            out.extend_from_slice(v.as_bytes());
            Ok(())
        });
        let mut sink = FileSink::<Strings>::new(base_path_config(dir.path()), encoder);
        sink.open(&task(0, 1)).unwrap();
        let err = sink.write(records(&["ok", "bad"])).unwrap_err();
        assert_eq!(err.to_string(), "cannot encode 'bad'");
    }

    #[test]
    fn invalid_prefix_is_rejected() {
        let config = FileSinkConfig { part_prefix: "a/b".into(), ..FileSinkConfig::new("x") };
        let err = config.validate().unwrap_err().to_string();
        assert_eq!(err, "file sink: part prefix 'a/b' must not contain a path separator");
    }

    #[test]
    fn factory_makes_sink_operators() {
        let dir = tempfile::tempdir().unwrap();
        let make: MakeEncoder<Strings> = Arc::new(string_encoder);
        let f = factory::<Strings>(base_path_config(dir.path()), make);
        let mut ops: Vec<_> = (0..2).map(|i| f(&task(i, 2)).unwrap()).collect();
        let mut out = oxflow_core::operator::Output::default();
        for (i, op) in ops.iter_mut().enumerate() {
            op.open(&task(i, 2)).unwrap();
            op.process(0, records(&[&format!("from {i}")]), &mut out).unwrap();
            op.finish(&mut out).unwrap();
            op.close().unwrap();
        }
        assert!(out.is_empty());
        let files = names(dir.path());
        assert_eq!(files.len(), 2, "{files:?}");
        let mut contents: Vec<(String, String)> = files
            .iter()
            .map(|f| {
                let subtask = f.rsplit('-').nth(1).unwrap().to_string();
                (subtask, fs::read_to_string(dir.path().join(f)).unwrap())
            })
            .collect();
        contents.sort();
        assert_eq!(contents, vec![("0".into(), "from 0\n".into()), ("1".into(), "from 1\n".into())]);
        assert!(files.iter().all(|f| f.starts_with("part-") && f.ends_with("-0")), "{files:?}");
    }
}
