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
    current: Option<(PathBuf, Vec<String>, usize)>,
    skipped: Arc<AtomicU64>,
}

impl FileSource {
    pub fn new(spec: FileSourceSpec, skipped: Arc<AtomicU64>) -> Result<Self, BoxError> {
        let files = list_files(&spec.path)?;
        Ok(FileSource { spec, files: files.into_iter().rev().collect(), current: None, skipped })
    }

    fn parse(&self, lines: &[String]) -> Result<RecordBatch, arrow::error::ArrowError> {
        let mut text = lines.join("\n");
        text.push('\n');
        let batches: Vec<RecordBatch> = match &self.spec.format {
            FileFormat::Csv { delimiter, quote, null_literal, allow_comments } => {
                let null = match null_literal {
                    Some(l) => regex::Regex::new(&format!("^{}$", regex::escape(l))),
                    // Flink reads an empty field as an empty string, not as NULL.
                    None => regex::Regex::new("[^\\s\\S]"),
                }
                .map_err(|e| arrow::error::ArrowError::ParseError(e.to_string()))?;
                let mut builder = arrow::csv::ReaderBuilder::new(self.spec.schema.clone())
                    .with_header(false)
                    .with_delimiter(*delimiter)
                    .with_quote(*quote)
                    .with_null_regex(null)
                    .with_batch_size(lines.len().max(1));
                if *allow_comments {
                    builder = builder.with_comment(b'#');
                }
                builder.build(Cursor::new(text.into_bytes()))?.collect::<Result<_, _>>()?
            }
            FileFormat::Json => arrow::json::ReaderBuilder::new(self.spec.schema.clone())
                .with_batch_size(lines.len().max(1))
                .build(Cursor::new(text.into_bytes()))?
                .collect::<Result<_, _>>()?,
        };
        arrow::compute::concat_batches(&self.spec.schema, &batches)
    }

    /// Rows of `lines` (starting at 1-based line `first`) one by one, skipping or reporting bad ones.
    fn parse_each(&self, file: &Path, lines: &[String], first: usize) -> Result<RecordBatch, BoxError> {
        let mut good = Vec::new();
        for (i, line) in lines.iter().enumerate() {
            if line.trim().is_empty() {
                continue;
            }
            match self.parse(std::slice::from_ref(line)) {
                Ok(b) => good.push(b),
                Err(e) if self.spec.ignore_parse_errors => {
                    let _ = e;
                    self.skipped.fetch_add(1, Ordering::Relaxed);
                }
                Err(e) => {
                    let format = match self.spec.format {
                        FileFormat::Csv { .. } => "csv",
                        FileFormat::Json => "json",
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

fn list_files(path: &Path) -> Result<Vec<PathBuf>, BoxError> {
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
                let text = std::fs::read_to_string(&next).map_err(|e| message(format!("Cannot read file '{}': {e}", next.display())))?;
                let lines: Vec<String> = text.lines().map(str::to_string).collect();
                self.current = Some((next, lines, 0));
            }
            let (file, lines, pos) = self.current.as_mut().expect("set above");
            if *pos >= lines.len() {
                self.current = None;
                continue;
            }
            let start = *pos;
            let end = (start + max_records.clamp(1, CHUNK_LINES)).min(lines.len());
            *pos = end;
            let chunk: Vec<String> = lines[start..end].iter().filter(|l| !l.trim().is_empty()).cloned().collect();
            let file = file.clone();
            let batch = match self.parse(&chunk) {
                Ok(b) if b.num_rows() == chunk.len() => b,
                _ => self.parse_each(&file, &lines_with_blank_kept(&self.current, start, end), start + 1)?,
            };
            if batch.num_rows() == 0 {
                continue;
            }
            return Ok(SourcePoll::Records(vec![Record::new(ChangeBatch::inserts(batch))]));
        }
    }
}

/// The lines `start..end` of the current file, blank lines left out (for line numbers the
/// one-by-one parse counts from `start`).
fn lines_with_blank_kept(current: &Option<(PathBuf, Vec<String>, usize)>, start: usize, end: usize) -> Vec<String> {
    match current {
        Some((_, lines, _)) => lines[start..end].iter().map(|l| if l.trim().is_empty() { String::new() } else { l.clone() }).collect(),
        None => Vec::new(),
    }
}
