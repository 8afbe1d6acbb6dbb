//! Table connectors: how a `CREATE TABLE ... WITH ('connector' = ...)` reads and writes.

mod csv_timestamps;
pub mod datagen;
pub mod feed;
pub mod filesystem;
pub mod file_sink;
pub mod parquet;
pub mod sinks;

use std::path::PathBuf;
use std::sync::atomic::AtomicU64;
use std::sync::Arc;

use oxflow_core::checkpoint::snapshot::{RestoredState, SnapshotWriter};
use oxflow_core::checkpoint::CheckpointId;
use oxflow_core::data::Record;
use oxflow_core::error::BoxError;
use oxflow_core::source::{Source, SourceFactory, SourcePoll};

use crate::catalog::{option, physical_columns, InlineTable};
use crate::error::{Result, SqlError};
use crate::exec::data::{ChangeBatch, TableData};
use crate::exec::snapshot::{Decoder, Encoder};
use crate::parse::CreateTable;
use crate::plan::PlanSchema;
use filesystem::{FileFormat, FileSourceSpec};

/// Counters a job's connectors report (Flink's metrics of the same names).
#[derive(Default, Debug, Clone)]
pub struct ConnectorMetrics {
    /// Rows skipped by `ignore-parse-errors`.
    pub skipped_parse_errors: Arc<AtomicU64>,
    /// Rows window operators dropped as late.
    pub late_records_dropped: Arc<AtomicU64>,
}

pub fn source_factory(table: &Arc<CreateTable>, schema: &PlanSchema, metrics: ConnectorMetrics) -> Result<SourceFactory<TableData>> {
    let connector = option(table, "connector").unwrap_or_default().to_string();
    let arrow = schema.arrow();
    let name = table.name.join(".");
    match connector.as_str() {
        "filesystem" => {
            let spec = file_spec(table, &name, crate::exec::calc::relaxed(&arrow))?;
            Ok(Box::new(move |task| {
                if task.subtask_index > 0 {
                    return Ok(Box::new(Empty) as Box<dyn Source<TableData>>);
                }
                if spec.format == FileFormat::Parquet {
                    return Ok(Box::new(parquet::ParquetSource::new(&spec.path, spec.schema.clone())?) as Box<dyn Source<TableData>>);
                }
                let source = filesystem::FileSource::new(spec.clone(), metrics.skipped_parse_errors.clone())?;
                Ok(Box::new(source) as Box<dyn Source<TableData>>)
            }))
        }
        "datagen" => {
            let columns = physical_columns(table);
            let spec = datagen::DatagenSpec::from_options(&columns, &table.options, arrow).map_err(|e| SqlError::Connector(format!("table '{name}': {e}")))?;
            Ok(Box::new(move |task| Ok(Box::new(datagen::DatagenSource::new(spec.clone(), task.subtask_index, task.parallelism)) as Box<dyn Source<TableData>>)))
        }
        "print" | "blackhole" => Err(SqlError::Validation(format!(
            "Connector '{connector}' can only be used as a sink. It cannot be used as a source (table '{name}')."
        ))),
        "" => Err(SqlError::Validation(format!("Table '{name}' has no 'connector' option"))),
        other => Err(SqlError::Unsupported(format!(
            "Could not find any factory for identifier '{other}' that implements 'DynamicTableFactory' in the classpath. Available factory identifiers are: blackhole, datagen, filesystem, print (table '{name}')"
        ))),
    }
}

fn file_spec(table: &CreateTable, name: &str, schema: arrow::datatypes::SchemaRef) -> Result<FileSourceSpec> {
    let path = option(table, "path").ok_or_else(|| SqlError::Validation(format!("filesystem table '{name}' needs a 'path' option")))?;
    let format_name = option(table, "format").ok_or_else(|| SqlError::Validation(format!("filesystem table '{name}' needs a 'format' option")))?;
    let flag = |k: &str| option(table, k).is_some_and(|v| v.eq_ignore_ascii_case("true"));
    let one_byte = |k: &str, default: u8| -> Result<u8> {
        match option(table, k) {
            None => Ok(default),
            Some(v) => {
                let v = if v == "\\t" { "\t" } else { v };
                match v.as_bytes() {
                    [b] => Ok(*b),
                    _ => Err(SqlError::Validation(format!("Option '{k}' must be a single character, got '{v}' (table '{name}')"))),
                }
            }
        }
    };
    let (format, ignore) = match format_name {
        "csv" => (
            FileFormat::Csv {
                delimiter: one_byte("csv.field-delimiter", b',')?,
                quote: one_byte("csv.quote-character", b'"')?,
                null_literal: option(table, "csv.null-literal").map(str::to_string),
                allow_comments: flag("csv.allow-comments"),
            },
            flag("csv.ignore-parse-errors"),
        ),
        "json" => (FileFormat::Json, flag("json.ignore-parse-errors")),
        "parquet" => (FileFormat::Parquet, false),
        other => {
            return Err(SqlError::Unsupported(format!(
                "Could not find any format factory for identifier '{other}' (table '{name}'); available: csv, json, parquet"
            )))
        }
    };
    Ok(FileSourceSpec { path: PathBuf::from(path), format, ignore_parse_errors: ignore, schema })
}

pub fn file_sink_spec(table: &CreateTable) -> Result<file_sink::FileSinkSpec> {
    let name = table.name.join(".");
    let spec = file_spec(table, &name, arrow::datatypes::SchemaRef::new(arrow::datatypes::Schema::empty()))?;
    Ok(file_sink::FileSinkSpec { dir: spec.path, format: spec.format })
}

/// Inline rows (`from_elements`, `from_pandas`) and then its feed's (`from_data_stream`), read
/// by the first subtask.
pub fn inline_factory(table: Arc<InlineTable>) -> SourceFactory<TableData> {
    Box::new(move |task| {
        let (batches, feed) = if task.subtask_index == 0 { (table.batches.clone(), table.feed.as_ref().map(|f| f.subscribe())) } else { (Vec::new(), None) };
        Ok(Box::new(Inline { batches: batches.into_iter().rev().collect(), emitted: 0, feed }) as Box<dyn Source<TableData>>)
    })
}

struct Inline {
    batches: Vec<arrow::array::RecordBatch>,
    /// Batches emitted so far: the source's position in snapshots.
    emitted: u64,
    feed: Option<crossbeam_channel::Receiver<feed::Fed>>,
}

/// How long a fed source waits for a batch before it lets the task look at other work.
const FEED_WAIT: std::time::Duration = std::time::Duration::from_millis(20);

impl Inline {
    fn next(&mut self, _max: usize) -> std::result::Result<SourcePoll<TableData>, BoxError> {
        if let Some(b) = self.batches.pop() {
            self.emitted += 1;
            return Ok(SourcePoll::Records(vec![Record::new(ChangeBatch::inserts(b))]));
        }
        let Some(feed) = &self.feed else { return Ok(SourcePoll::Finished) };
        match feed.recv_timeout(FEED_WAIT) {
            Ok(feed::Fed::Batch(b)) => Ok(SourcePoll::Records(vec![Record::new(ChangeBatch::inserts(b))])),
            Ok(feed::Fed::Watermark(w)) => Ok(SourcePoll::Watermark(w)),
            Err(crossbeam_channel::RecvTimeoutError::Timeout) => Ok(SourcePoll::Pending),
            Err(crossbeam_channel::RecvTimeoutError::Disconnected) => {
                self.feed = None;
                Ok(SourcePoll::Finished)
            }
        }
    }
}

impl Inline {
    const WHAT: &'static str = "VALUES / from_elements source";
}

impl Source<TableData> for Inline {
    fn poll(&mut self, max: usize) -> std::result::Result<SourcePoll<TableData>, BoxError> {
        self.next(max)
    }

    fn snapshot_state(&mut self, _: CheckpointId, state: &mut SnapshotWriter<'_, TableData>) -> std::result::Result<(), BoxError> {
        if self.feed.is_some() {
            // What a DataStream fed has gone by: it cannot be read again from here.
            return Err(oxflow_core::error::message(
                "a table made from a DataStream (from_data_stream / create_temporary_view) cannot be checkpointed: its rows cannot be replayed from the SQL job",
            ));
        }
        state.list(Encoder::new().u64(self.emitted).finish());
        Ok(())
    }

    fn restore_state(&mut self, state: RestoredState<TableData>) -> std::result::Result<(), BoxError> {
        for element in &state.list {
            let mut d = Decoder::new(element, Self::WHAT);
            let emitted = d.u64()?;
            d.end()?;
            for _ in 0..emitted {
                if self.batches.pop().is_none() {
                    return Err(oxflow_core::error::message(format!("the snapshot's {} emitted {emitted} batches, but its table has fewer", Self::WHAT)));
                }
            }
            self.emitted = emitted;
        }
        Ok(())
    }
}

struct Empty;

impl Source<TableData> for Empty {
    fn snapshot_state(&mut self, _: CheckpointId, _: &mut SnapshotWriter<'_, TableData>) -> std::result::Result<(), BoxError> {
        Ok(())
    }

    fn poll(&mut self, _max: usize) -> std::result::Result<SourcePoll<TableData>, BoxError> {
        Ok(SourcePoll::Finished)
    }
}

/// Flink's durations: `100ms`, `5 s`, `1min`, `2 h`, `1 d` (a bare number is milliseconds).
pub fn parse_duration_ms(text: &str) -> std::result::Result<i64, String> {
    let t = text.trim();
    let split = t.find(|c: char| !c.is_ascii_digit()).unwrap_or(t.len());
    let (num, unit) = t.split_at(split);
    let n: i64 = num.parse().map_err(|_| format!("Could not parse duration '{text}'"))?;
    let factor = match unit.trim().to_ascii_lowercase().as_str() {
        "" | "ms" | "milli" | "millis" | "millisecond" | "milliseconds" => 1,
        "s" | "sec" | "secs" | "second" | "seconds" => 1000,
        "m" | "min" | "mins" | "minute" | "minutes" => 60_000,
        "h" | "hour" | "hours" => 3_600_000,
        "d" | "day" | "days" => 86_400_000,
        other => return Err(format!("Could not parse duration '{text}': unknown unit '{other}'")),
    };
    Ok(n * factor)
}
