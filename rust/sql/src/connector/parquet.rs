//! The filesystem connector's Parquet format (`'format' = 'parquet'`): a source reading a file or
//! every visible file of a directory with the `parquet` crate's Arrow reader, and a sink writing
//! one Snappy-compressed part file per subtask.
//!
//! Types follow Flink's Parquet mapping on the Arrow side: columns are matched by name (a column
//! missing from a file reads as NULL, as in Flink), and each is cast to the table's type, so
//! INT96 and INT64 timestamps of any unit, dictionary-encoded and large strings all read. The
//! sink writes Arrow's layout of each type (TINYINT as INT32 INT(8), DATE as INT32 DATE, TIME as
//! INT32 TIME_MILLIS, DECIMAL as a decimal, STRING as BINARY UTF8); timestamps are written as
//! INT64 with their unit (Flink's `parquet.write-int64-timestamp`), not as Flink's default INT96.

use std::fs::File;
use std::path::{Path, PathBuf};

use arrow::array::{new_null_array, ArrayRef, RecordBatch, RecordBatchOptions};
use arrow::datatypes::SchemaRef;
use oxflow_core::data::Record;
use oxflow_core::error::{message, BoxError};
use oxflow_core::function::{Lifecycle, SinkFn};
use oxflow_core::operator::TaskInfo;
use oxflow_core::source::{Source, SourcePoll};
use parquet::arrow::arrow_reader::{ParquetRecordBatchReader, ParquetRecordBatchReaderBuilder};
use parquet::arrow::{ArrowWriter, ProjectionMask};
use parquet::basic::Compression;
use parquet::file::properties::WriterProperties;

use super::file_sink::{not_insert, open_part};
use super::filesystem::list_files;
use crate::exec::data::{ChangeBatch, RowKind, TableData};

/// Casts that fail on a value that does not fit rather than reading it as NULL.
const STRICT: arrow::compute::CastOptions<'static> = arrow::compute::CastOptions { safe: false, format_options: arrow::util::display::FormatOptions::new() };

/// Rows per batch read from a file at most.
const BATCH_ROWS: usize = 8192;

pub struct ParquetSource {
    schema: SchemaRef,
    files: Vec<PathBuf>,
    current: Option<(PathBuf, ParquetRecordBatchReader)>,
}

impl ParquetSource {
    pub fn new(path: &Path, schema: SchemaRef) -> Result<Self, BoxError> {
        let files = list_files(path)?;
        Ok(ParquetSource { schema, files: files.into_iter().rev().collect(), current: None })
    }

    fn open_file(&self, path: &Path, batch_rows: usize) -> Result<ParquetRecordBatchReader, BoxError> {
        let bad = |e: &dyn std::fmt::Display| message(format!("Cannot read the Parquet file '{}': {e}", path.display()));
        let file = File::open(path).map_err(|e| bad(&e))?;
        let builder = ParquetRecordBatchReaderBuilder::try_new(file).map_err(|e| bad(&e))?;
        // Only the table's columns are decoded.
        let wanted: Vec<usize> = builder
            .schema()
            .fields()
            .iter()
            .enumerate()
            .filter(|(_, f)| self.schema.field_with_name(f.name()).is_ok())
            .map(|(i, _)| i)
            .collect();
        let mask = ProjectionMask::roots(builder.parquet_schema(), wanted);
        builder.with_projection(mask).with_batch_size(batch_rows).build().map_err(|e| bad(&e))
    }
}

/// `batch` (columns of a file) as the table's columns: matched by name, cast to the table's types.
fn conform(path: &Path, schema: &SchemaRef, batch: &RecordBatch) -> Result<RecordBatch, BoxError> {
    let columns = schema
        .fields()
        .iter()
        .map(|field| match batch.column_by_name(field.name()) {
            None => Ok(new_null_array(field.data_type(), batch.num_rows())),
            Some(a) => arrow::compute::cast_with_options(a, field.data_type(), &STRICT).map_err(|e| {
                message(format!(
                    "Parquet file '{}': column '{}' holds {} values that cannot be read as {}: {e}",
                    path.display(),
                    field.name(),
                    a.data_type(),
                    field.data_type()
                ))
            }),
        })
        .collect::<Result<Vec<ArrayRef>, BoxError>>()?;
    let options = RecordBatchOptions::new().with_row_count(Some(batch.num_rows()));
    Ok(RecordBatch::try_new_with_options(schema.clone(), columns, &options)?)
}

impl Source<TableData> for ParquetSource {
    fn poll(&mut self, max_records: usize) -> Result<SourcePoll<TableData>, BoxError> {
        loop {
            if self.current.is_none() {
                let Some(next) = self.files.pop() else { return Ok(SourcePoll::Finished) };
                let reader = self.open_file(&next, max_records.clamp(1, BATCH_ROWS))?;
                self.current = Some((next, reader));
            }
            let (path, reader) = self.current.as_mut().expect("opened above");
            match reader.next() {
                None => self.current = None,
                Some(Err(e)) => return Err(message(format!("Cannot read the Parquet file '{}': {e}", path.display()))),
                Some(Ok(b)) if b.num_rows() == 0 => {}
                Some(Ok(b)) => {
                    let batch = conform(path, &self.schema, &b)?;
                    return Ok(SourcePoll::Records(vec![Record::new(ChangeBatch::inserts(batch))]));
                }
            }
        }
    }
}

/// Writes inserts to a Parquet part file, made visible at the end of the input.
pub struct ParquetSink {
    dir: PathBuf,
    job: String,
    schema: SchemaRef,
    file: Option<(ArrowWriter<File>, PathBuf, PathBuf)>,
}

impl ParquetSink {
    /// A sink writing columns `schema` (the sink table's names and the engine's Arrow types).
    pub fn new(dir: PathBuf, job: String, schema: SchemaRef) -> Self {
        ParquetSink { dir, job, schema, file: None }
    }
}

impl Lifecycle for ParquetSink {
    fn open(&mut self, task: &TaskInfo) -> Result<(), BoxError> {
        let (f, progress, done) = open_part(&self.dir, &self.job, task.subtask_index)?;
        // Flink's default codec for Parquet.
        let props = WriterProperties::builder().set_compression(Compression::SNAPPY).build();
        let writer = ArrowWriter::try_new(f, self.schema.clone(), Some(props))
            .map_err(|e| message(format!("Cannot write the Parquet file '{}': {e}", progress.display())))?;
        self.file = Some((writer, progress, done));
        Ok(())
    }
}

impl SinkFn<TableData> for ParquetSink {
    fn write(&mut self, records: Vec<Record<TableData>>) -> Result<(), BoxError> {
        let (w, progress, _) = self.file.as_mut().ok_or_else(|| message("parquet sink written before open"))?;
        for r in records {
            if let Some(k) = r.value.kinds.as_ref().and_then(|k| k.iter().find(|k| **k != RowKind::Insert)) {
                return Err(not_insert(*k));
            }
            // The query's column names may differ from the sink's: the sink's schema names them.
            let columns = r
                .value
                .batch
                .columns()
                .iter()
                .zip(self.schema.fields())
                .map(|(c, f)| if c.data_type() == f.data_type() { Ok(c.clone()) } else { arrow::compute::cast(c, f.data_type()) })
                .collect::<Result<Vec<_>, _>>()?;
            let batch = RecordBatch::try_new_with_options(
                self.schema.clone(),
                columns,
                &RecordBatchOptions::new().with_row_count(Some(r.value.num_rows())),
            )?;
            w.write(&batch).map_err(|e| message(format!("Cannot write the Parquet file '{}': {e}", progress.display())))?;
        }
        Ok(())
    }

    fn finish(&mut self) -> Result<(), BoxError> {
        if let Some((w, progress, done)) = self.file.take() {
            w.close().map_err(|e| message(format!("Cannot finish the Parquet file '{}': {e}", progress.display())))?;
            std::fs::rename(&progress, &done)?;
        }
        Ok(())
    }
}
