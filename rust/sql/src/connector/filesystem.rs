//! The filesystem connector's source: CSV and newline-delimited JSON files (a file or every
//! visible file of a directory), parsed by arrow's readers. A row that does not parse fails the
//! job with file and line, unless `<format>.ignore-parse-errors` is set: then it is skipped and
//! counted.

use std::io::Cursor;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use arrow::array::RecordBatch;
use arrow::datatypes::SchemaRef;
use oxflow_core::checkpoint::snapshot::{RestoredState, SnapshotWriter};
use oxflow_core::checkpoint::CheckpointId;
use oxflow_core::data::Record;
use oxflow_core::error::{message, BoxError};
use oxflow_core::source::{Source, SourcePoll};

use super::csv_timestamps;
use crate::exec::data::{ChangeBatch, TableData};
use crate::exec::snapshot::{Decoder, Encoder};

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum FileFormat {
    Csv { delimiter: u8, quote: u8, null_literal: Option<String>, allow_comments: bool },
    Json,
    /// Read and written whole by `parquet.rs`, not line by line.
    Parquet,
}

#[derive(Clone, Debug)]
pub struct FileSourceSpec {
    pub path: PathBuf,
    pub format: FileFormat,
    pub ignore_parse_errors: bool,
    pub schema: SchemaRef,
}

/// Lines parsed per arrow reader call.
const CHUNK_LINES: usize = 4096;

pub struct FileSource {
    spec: FileSourceSpec,
    /// What the CSV reader reads (timestamps as text, see `csv_timestamps`), if not `spec.schema`.
    text_schema: Option<SchemaRef>,
    files: Vec<PathBuf>,
    current: Option<OpenFile>,
    skipped: Arc<AtomicU64>,
}

/// A file being read: a window of its bytes (read a block at a time), how far the source got
/// in it, and that position's line number.
struct OpenFile {
    path: PathBuf,
    file: std::fs::File,
    bytes: Vec<u8>,
    /// The offset in the file of `bytes[0]`.
    base: u64,
    pos: usize,
    line: usize,
    eof: bool,
}

/// Bytes read from a file at a time.
const READ_BLOCK: usize = 4 << 20;

impl OpenFile {
    /// `path` from byte `offset`, which starts line `line`.
    fn open(path: PathBuf, offset: u64, line: usize) -> Result<Self, BoxError> {
        use std::io::{Seek, SeekFrom};
        let cannot = |e: std::io::Error| message(format!("Cannot read file '{}': {e}", path.display()));
        let mut file = std::fs::File::open(&path).map_err(cannot)?;
        if offset > 0 {
            let len = file.metadata().map_err(cannot)?.len();
            if len < offset {
                return Err(message(format!("Cannot restore the read position of file '{}': it has {len} bytes, the snapshot read {offset}", path.display())));
            }
            file.seek(SeekFrom::Start(offset)).map_err(cannot)?;
        }
        Ok(OpenFile { path, file, bytes: Vec::new(), base: offset, pos: 0, line, eof: false })
    }

    /// Reads the next block after the unread bytes; `false` at the end of the file.
    fn fill(&mut self) -> Result<bool, BoxError> {
        use std::io::Read;
        // Drops the bytes before `pos` (so positions move back by the old `pos`) in any case.
        self.bytes.drain(..self.pos);
        self.base += self.pos as u64;
        self.pos = 0;
        if self.eof {
            return Ok(false);
        }
        let have = self.bytes.len();
        self.bytes.resize(have + READ_BLOCK, 0);
        let n = loop {
            match self.file.read(&mut self.bytes[have..]) {
                Ok(n) => break n,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(message(format!("Cannot read file '{}': {e}", self.path.display()))),
            }
        };
        self.bytes.truncate(have + n);
        self.eof = n == 0;
        Ok(n > 0)
    }
}

impl FileSource {
    pub fn new(spec: FileSourceSpec, skipped: Arc<AtomicU64>) -> Result<Self, BoxError> {
        let files = list_files(&spec.path)?;
        let text_schema = match spec.format {
            FileFormat::Csv { .. } => csv_timestamps::text_schema(&spec.schema),
            _ => None,
        };
        Ok(FileSource { spec, text_schema, files: files.into_iter().rev().collect(), current: None, skipped })
    }

    fn parse(&self, text: &[u8], rows: usize) -> Result<RecordBatch, arrow::error::ArrowError> {
        if let Some(text_schema) = &self.text_schema {
            // Timestamps read as text and parsed on their own when they all have the plain form.
            let read = self.parse_as(text, rows, text_schema)?;
            if let Some(columns) = csv_timestamps::parse_columns(&self.spec.schema, read.columns().to_vec()) {
                let options = arrow::array::RecordBatchOptions::new().with_row_count(Some(read.num_rows()));
                return RecordBatch::try_new_with_options(self.spec.schema.clone(), columns, &options);
            }
        }
        self.parse_as(text, rows, &self.spec.schema)
    }

    fn parse_as(&self, text: &[u8], rows: usize, schema: &SchemaRef) -> Result<RecordBatch, arrow::error::ArrowError> {
        let batches: Vec<RecordBatch> = match &self.spec.format {
            FileFormat::Csv { delimiter, quote, null_literal, allow_comments } => {
                let mut builder = arrow::csv::ReaderBuilder::new(schema.clone())
                    .with_header(false)
                    .with_delimiter(*delimiter)
                    .with_quote(*quote)
                    .with_batch_size(rows.max(1));
                let has_text = self.spec.schema.fields().iter().any(|f| matches!(f.data_type(), arrow::datatypes::DataType::Utf8));
                match null_literal {
                    Some(l) => {
                        let null = regex::Regex::new(&format!("^{}$", regex::escape(l))).map_err(|e| arrow::error::ArrowError::ParseError(e.to_string()))?;
                        builder = builder.with_null_regex(null);
                    }
                    // Flink reads an empty STRING field as an empty string, not NULL. Matching
                    // costs a regex per field, so only schemas with text columns pay it (an
                    // empty numeric field then reads as NULL, where Flink fails the row).
                    None if has_text => {
                        let never = regex::Regex::new("[^\\s\\S]").map_err(|e| arrow::error::ArrowError::ParseError(e.to_string()))?;
                        builder = builder.with_null_regex(never);
                    }
                    None => {}
                }
                if *allow_comments {
                    builder = builder.with_comment(b'#');
                }
                builder.build(Cursor::new(text))?.collect::<Result<_, _>>()?
            }
            FileFormat::Parquet => return Err(arrow::error::ArrowError::ParseError("parquet files are read by the parquet source".into())),
            FileFormat::Json => arrow::json::ReaderBuilder::new(self.spec.schema.clone())
                .with_batch_size(rows.max(1))
                .build(Cursor::new(text))?
                .collect::<Result<_, _>>()?,
        };
        arrow::compute::concat_batches(schema, &batches)
    }

    /// Rows of `lines` (starting at 1-based line `first`) one by one, skipping or reporting bad ones.
    fn parse_each(&self, file: &Path, text: &[u8], first: usize) -> Result<RecordBatch, BoxError> {
        let mut good = Vec::new();
        for (i, line) in text.split(|&b| b == b'\n').enumerate() {
            let line = String::from_utf8_lossy(line);
            let line = line.trim_end_matches('\r');
            if line.trim().is_empty() {
                continue;
            }
            match self.parse(format!("{line}\n").as_bytes(), 1) {
                Ok(b) => good.push(b),
                Err(e) if self.spec.ignore_parse_errors => {
                    let _ = e;
                    self.skipped.fetch_add(1, Ordering::Relaxed);
                }
                Err(e) => {
                    let format = match self.spec.format {
                        FileFormat::Csv { .. } => "csv",
                        FileFormat::Json => "json",
                        FileFormat::Parquet => "parquet",
                    };
                    return Err(message(format!(
                        "Failed to deserialize {} row '{}' of file '{}' at line {}: {}. Set '{format}.ignore-parse-errors' = 'true' to skip bad rows.",
                        format.to_uppercase(),
                        line,
                        file.display(),
                        first + i,
                        e
                    )));
                }
            }
        }
        Ok(arrow::compute::concat_batches(&self.spec.schema, &good)?)
    }
}

pub(crate) fn list_files(path: &Path) -> Result<Vec<PathBuf>, BoxError> {
    let meta = std::fs::metadata(path).map_err(|e| message(format!("Cannot read the path '{}' of the filesystem table: {e}", path.display())))?;
    if meta.is_file() {
        return Ok(vec![path.to_path_buf()]);
    }
    let mut files = Vec::new();
    for entry in std::fs::read_dir(path)? {
        let entry = entry?;
        let name = entry.file_name().to_string_lossy().to_string();
        let p = entry.path();
        if name.starts_with('.') || name.starts_with('_') {
            continue;
        }
        if p.is_dir() {
            files.extend(list_files(&p)?);
        } else {
            files.push(p);
        }
    }
    files.sort();
    Ok(files)
}

impl Source<TableData> for FileSource {
    /// Its position: the file being read, the byte offset and line number reached in it, and the
    /// files still to read.
    fn snapshot_state(&mut self, _: CheckpointId, state: &mut SnapshotWriter<'_, TableData>) -> Result<(), BoxError> {
        let mut e = Encoder::new();
        match &self.current {
            Some(f) => e.u64(1).bytes(f.path.to_string_lossy().as_bytes()).u64(f.base + f.pos as u64).u64(f.line as u64),
            None => e.u64(0),
        };
        e.u64(self.files.len() as u64);
        for f in &self.files {
            e.bytes(f.to_string_lossy().as_bytes());
        }
        state.list(e.finish());
        Ok(())
    }

    fn restore_state(&mut self, state: RestoredState<TableData>) -> Result<(), BoxError> {
        for element in &state.list {
            let mut d = Decoder::new(element, "filesystem source");
            let path = |b: &[u8]| PathBuf::from(String::from_utf8_lossy(b).into_owned());
            self.current = match d.u64()? {
                0 => None,
                _ => {
                    let file = path(d.bytes()?);
                    let (offset, line) = (d.u64()?, d.u64()? as usize);
                    Some(OpenFile::open(file, offset, line)?)
                }
            };
            let n = d.u64()? as usize;
            self.files = (0..n).map(|_| d.bytes().map(path)).collect::<Result<_, _>>()?;
            d.end()?;
        }
        Ok(())
    }

    fn poll(&mut self, max_records: usize) -> Result<SourcePoll<TableData>, BoxError> {
        loop {
            if self.current.is_none() {
                let Some(next) = self.files.pop() else { return Ok(SourcePoll::Finished) };
                self.current = Some(OpenFile::open(next, 0, 1)?);
            }
            let f = self.current.as_mut().expect("set above");
            // The next chunk of whole lines, parsed in place.
            let want = max_records.clamp(1, CHUNK_LINES);
            let (mut end, mut lines, mut rows) = (f.pos, 0, 0);
            while lines < want {
                if end >= f.bytes.len() {
                    let consumed = f.pos;
                    let more = f.fill()?;
                    end -= consumed;
                    if !more {
                        break;
                    }
                    continue;
                }
                let stop = match memchr::memchr(b'\n', &f.bytes[end..]) {
                    Some(i) => end + i + 1,
                    // A line that goes on in the next block (or the file's last line).
                    None if !f.eof => {
                        let consumed = f.pos;
                        f.fill()?;
                        end -= consumed;
                        continue;
                    }
                    None => f.bytes.len(),
                };
                if f.bytes[end..stop].iter().any(|b| !b.is_ascii_whitespace()) {
                    rows += 1;
                }
                end = stop;
                lines += 1;
            }
            if lines == 0 {
                self.current = None;
                continue;
            }
            let (start, first_line) = (f.pos, f.line);
            f.pos = end;
            f.line += lines;
            let path = f.path.clone();
            let chunk = &self.current.as_ref().expect("open").bytes[start..end];
            let mut owned;
            let chunk = if chunk.last() == Some(&b'\n') {
                chunk
            } else {
                owned = chunk.to_vec();
                owned.push(b'\n');
                &owned[..]
            };
            let batch = match self.parse(chunk, rows) {
                Ok(b) if b.num_rows() == rows => b,
                _ => self.parse_each(&path, chunk, first_line)?,
            };
            if batch.num_rows() == 0 {
                continue;
            }
            return Ok(SourcePoll::Records(vec![Record::new(ChangeBatch::inserts(batch))]));
        }
    }
}

#[cfg(test)]
mod tests {
    use std::io::Write;

    use arrow::array::{AsArray, Int64Array};
    use arrow::datatypes::{DataType, Field, Int64Type, Schema, TimeUnit, TimestampMillisecondType};

    use super::*;

    /// A file several read blocks long, its lines crossing block boundaries, with no newline
    /// after the last line: every row comes back once, in order, timestamps parsed.
    #[test]
    fn a_file_larger_than_a_read_block_is_read_whole() {
        let dir = std::env::temp_dir().join(format!("oxflow-fs-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("big.csv");
        let n: i64 = 400_000; // ~12 MB: three blocks
        let mut f = std::io::BufWriter::new(std::fs::File::create(&path).unwrap());
        for i in 0..n {
            write!(f, "{i},2024-01-01 00:00:{:02}.{:03}", (i / 1000) % 60, i % 1000).unwrap();
            if i + 1 < n {
                writeln!(f).unwrap();
            }
        }
        drop(f);
        let schema = Arc::new(Schema::new(vec![
            Field::new("i", DataType::Int64, true),
            Field::new("ts", DataType::Timestamp(TimeUnit::Millisecond, None), true),
        ]));
        let format = FileFormat::Csv { delimiter: b',', quote: b'"', null_literal: None, allow_comments: false };
        let spec = FileSourceSpec { path: path.clone(), format, ignore_parse_errors: false, schema };
        let mut source = FileSource::new(spec, Arc::default()).unwrap();
        let mut next = 0i64;
        loop {
            match source.poll(4096).unwrap() {
                SourcePoll::Records(records) => {
                    for r in records {
                        let ids: &Int64Array = r.value.batch.column(0).as_primitive::<Int64Type>();
                        let ts = r.value.batch.column(1).as_primitive::<TimestampMillisecondType>();
                        for row in 0..ids.len() {
                            assert_eq!(ids.value(row), next);
                            assert_eq!(ts.value(row) % 60_000, ((next / 1000) % 60) * 1000 + next % 1000);
                            next += 1;
                        }
                    }
                }
                SourcePoll::Pending | SourcePoll::Watermark(_) => {}
                SourcePoll::Finished => break,
            }
        }
        assert_eq!(next, n);
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
