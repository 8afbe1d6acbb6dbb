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
use oxflow_core::data::Record;
use oxflow_core::error::{message, BoxError};
use oxflow_core::source::{Source, SourcePoll};

use crate::exec::data::{ChangeBatch, TableData};

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
    files: Vec<PathBuf>,
    current: Option<OpenFile>,
    skipped: Arc<AtomicU64>,
}

/// A file being read: its bytes, how far the source got, and that position's line number.
struct OpenFile {
    path: PathBuf,
    bytes: Vec<u8>,
    pos: usize,
    line: usize,
}

impl FileSource {
    pub fn new(spec: FileSourceSpec, skipped: Arc<AtomicU64>) -> Result<Self, BoxError> {
        let files = list_files(&spec.path)?;
        Ok(FileSource { spec, files: files.into_iter().rev().collect(), current: None, skipped })
    }

    fn parse(&self, text: &[u8], rows: usize) -> Result<RecordBatch, arrow::error::ArrowError> {
        let batches: Vec<RecordBatch> = match &self.spec.format {
            FileFormat::Csv { delimiter, quote, null_literal, allow_comments } => {
                let mut builder = arrow::csv::ReaderBuilder::new(self.spec.schema.clone())
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
        arrow::compute::concat_batches(&self.spec.schema, &batches)
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
    fn poll(&mut self, max_records: usize) -> Result<SourcePoll<TableData>, BoxError> {
        loop {
            if self.current.is_none() {
                let Some(next) = self.files.pop() else { return Ok(SourcePoll::Finished) };
                let bytes = std::fs::read(&next).map_err(|e| message(format!("Cannot read file '{}': {e}", next.display())))?;
                self.current = Some(OpenFile { path: next, bytes, pos: 0, line: 1 });
            }
            let f = self.current.as_mut().expect("set above");
            if f.pos >= f.bytes.len() {
                self.current = None;
                continue;
            }
            // The next chunk of whole lines, parsed in place.
            let want = max_records.clamp(1, CHUNK_LINES);
            let (start, first_line) = (f.pos, f.line);
            let (mut end, mut lines, mut rows) = (start, 0, 0);
            while end < f.bytes.len() && lines < want {
                let stop = f.bytes[end..].iter().position(|&b| b == b'\n').map_or(f.bytes.len(), |i| end + i + 1);
                if f.bytes[end..stop].iter().any(|b| !b.is_ascii_whitespace()) {
                    rows += 1;
                }
                end = stop;
                lines += 1;
            }
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
