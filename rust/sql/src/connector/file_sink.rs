//! The filesystem connector's sink: rows encoded as Flink's CSV or JSON formats encode them,
//! written to an in-progress file and made visible as `part-<job>-<subtask>-0` at the end of the
//! input (without checkpointing Flink finalizes part files then too).

use std::io::Write;
use std::path::PathBuf;

use arrow::array::{Array, ArrayRef, AsArray};
use arrow::datatypes::{DataType, Decimal128Type};
use oxflow_core::data::Record;
use oxflow_core::error::{message, BoxError};
use oxflow_core::function::{Lifecycle, SinkFn};
use oxflow_core::operator::TaskInfo;

use super::filesystem::FileFormat;
use crate::exec::data::{RowKind, TableData};

#[derive(Clone, Debug)]
pub struct FileSinkSpec {
    pub dir: PathBuf,
    pub format: FileFormat,
}

pub struct FileSink {
    spec: FileSinkSpec,
    job: String,
    names: Vec<String>,
    file: Option<(std::io::BufWriter<std::fs::File>, PathBuf, PathBuf)>,
}

impl FileSink {
    pub fn new(spec: FileSinkSpec, job: String, names: Vec<String>) -> Self {
        FileSink { spec, job, names, file: None }
    }
}

impl Lifecycle for FileSink {
    fn open(&mut self, task: &TaskInfo) -> Result<(), BoxError> {
        let (f, progress, done) = open_part(&self.spec.dir, &self.job, task.subtask_index)?;
        self.file = Some((std::io::BufWriter::new(f), progress, done));
        Ok(())
    }
}

/// A new in-progress part file of subtask `subtask` in `dir`, with the path it gets when done
/// (`part-<job>-<subtask>-0`, as Flink names parts); the directory is made if missing.
pub(crate) fn open_part(dir: &std::path::Path, job: &str, subtask: usize) -> Result<(std::fs::File, PathBuf, PathBuf), BoxError> {
    std::fs::create_dir_all(dir).map_err(|e| message(format!("Cannot create the sink directory '{}': {e}", dir.display())))?;
    let name = format!("part-{job}-{subtask}-0");
    let done = dir.join(&name);
    let progress = dir.join(format!(".{name}.inprogress"));
    let f = std::fs::File::create(&progress).map_err(|e| message(format!("Cannot create '{}': {e}", progress.display())))?;
    Ok((f, progress, done))
}

/// The error of a filesystem sink given a row that is not an insert.
pub(crate) fn not_insert(kind: RowKind) -> BoxError {
    message(format!(
        "The filesystem sink only accepts inserts, but the query produces {} rows (an updating result needs an upsert sink)",
        kind.short()
    ))
}

impl SinkFn<TableData> for FileSink {
    fn write(&mut self, records: Vec<Record<TableData>>) -> Result<(), BoxError> {
        let (w, _, _) = self.file.as_mut().ok_or_else(|| message("file sink written before open"))?;
        for r in records {
            let b = &r.value;
            for row in 0..b.num_rows() {
                if b.kind(row) != RowKind::Insert {
                    return Err(not_insert(b.kind(row)));
                }
                let line = match self.spec.format {
                    FileFormat::Csv { delimiter, quote, .. } => csv_line(b.batch.columns(), row, delimiter as char, quote as char),
                    FileFormat::Json => json_line(b.batch.columns(), &self.names, row),
                    FileFormat::Parquet => return Err(message("parquet rows are written by the parquet sink")),
                };
                writeln!(w, "{line}")?;
            }
        }
        Ok(())
    }

    fn finish(&mut self) -> Result<(), BoxError> {
        if let Some((mut w, progress, done)) = self.file.take() {
            w.flush()?;
            drop(w);
            std::fs::rename(&progress, &done)?;
        }
        Ok(())
    }
}

/// A value as Flink's CSV and JSON formats write it: timestamps in SQL form without a zero
/// fraction, decimals without trailing zeros.
fn plain(array: &ArrayRef, row: usize) -> Option<(String, bool)> {
    if array.is_null(row) {
        return None;
    }
    Some(match array.data_type() {
        DataType::Decimal128(_, s) => {
            let text = crate::format::decimal_plain(array.as_primitive::<Decimal128Type>().value(row), *s);
            (text, false)
        }
        DataType::Timestamp(..) => {
            let t = arrow::util::display::array_value_to_string(array, row).unwrap_or_default().replace('T', " ");
            let t = match t.split_once('.') {
                Some((head, frac)) if frac.trim_end_matches('0').is_empty() => head.to_string(),
                Some((head, frac)) => format!("{head}.{}", frac.trim_end_matches('0')),
                None => t,
            };
            (t, true)
        }
        DataType::Utf8 | DataType::LargeUtf8 | DataType::Date32 | DataType::Time32(_) | DataType::Time64(_) => {
            (arrow::util::display::array_value_to_string(array, row).unwrap_or_default(), true)
        }
        DataType::Float64 => (crate::format::java_double(array.as_primitive::<arrow::datatypes::Float64Type>().value(row)), false),
        DataType::Float32 => (crate::format::java_float(array.as_primitive::<arrow::datatypes::Float32Type>().value(row)), false),
        _ => (arrow::util::display::array_value_to_string(array, row).unwrap_or_default(), false),
    })
}

fn csv_line(columns: &[ArrayRef], row: usize, delimiter: char, quote: char) -> String {
    columns
        .iter()
        .map(|c| match plain(c, row) {
            None => String::new(),
            // Jackson's CSV writer quotes text holding a character below '-' or the quote.
            Some((text, true)) if text.chars().any(|ch| (ch as u32) < 0x2D || ch == quote || ch == delimiter) => {
                format!("{quote}{}{quote}", text.replace(quote, &format!("{quote}{quote}")))
            }
            Some((text, _)) => text,
        })
        .collect::<Vec<_>>()
        .join(&delimiter.to_string())
}

fn json_line(columns: &[ArrayRef], names: &[String], row: usize) -> String {
    let mut map = serde_json::Map::new();
    for (c, n) in columns.iter().zip(names) {
        let v = match plain(c, row) {
            None => serde_json::Value::Null,
            Some((text, true)) => serde_json::Value::String(text),
            Some((text, false)) => match c.data_type() {
                DataType::Boolean => serde_json::Value::Bool(text == "true"),
                _ => serde_json::from_str(&text).unwrap_or(serde_json::Value::String(text)),
            },
        };
        map.insert(n.clone(), v);
    }
    serde_json::Value::Object(map).to_string()
}
