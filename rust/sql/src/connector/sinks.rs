//! Sinks: the print connector (Flink's `+I[a, b]` lines), blackhole, and the collecting sink
//! behind `TableResult.collect()` and `print()`.

use std::sync::Arc;

use crossbeam_channel::Sender;
use oxflow_core::data::Record;
use oxflow_core::error::{message, BoxError};
use oxflow_core::function::{Lifecycle, SinkFn};
use oxflow_core::operator::TaskInfo;

use crate::exec::data::{ChangeBatch, TableData};
use crate::format::{print_connector_row, FormatOptions};

/// Where printed lines go, each ending in a newline, `true` for standard error (the Python
/// bridge writes them to `sys.stdout` / `sys.stderr`, so they show in notebooks).
pub type LineWriter = Arc<dyn Fn(&str, bool) + Send + Sync>;

pub struct PrintSink {
    pub writer: LineWriter,
    pub identifier: Option<String>,
    pub standard_error: bool,
    prefix: String,
    options: FormatOptions,
}

impl PrintSink {
    pub fn new(writer: LineWriter, identifier: Option<String>, standard_error: bool, options: FormatOptions) -> Self {
        PrintSink { writer, identifier, standard_error, prefix: String::new(), options }
    }
}

impl Lifecycle for PrintSink {
    fn open(&mut self, task: &TaskInfo) -> Result<(), BoxError> {
        // Flink: "id:N> " with an identifier, "N> " in parallel, nothing otherwise.
        self.prefix = match (&self.identifier, task.parallelism > 1) {
            (Some(id), true) => format!("{id}:{}> ", task.subtask_index + 1),
            (Some(id), false) => format!("{id}> "),
            (None, true) => format!("{}> ", task.subtask_index + 1),
            (None, false) => String::new(),
        };
        Ok(())
    }
}

impl SinkFn<TableData> for PrintSink {
    fn write(&mut self, records: Vec<Record<TableData>>) -> Result<(), BoxError> {
        // One call per batch: the Python bridge takes the GIL once for all its lines.
        let mut text = String::new();
        for r in records {
            for row in 0..r.value.num_rows() {
                text.push_str(&self.prefix);
                text.push_str(&print_connector_row(&r.value, row, &self.options)?);
                text.push('\n');
            }
        }
        if !text.is_empty() {
            (self.writer)(&text, self.standard_error);
        }
        Ok(())
    }
}

pub struct BlackholeSink;

impl Lifecycle for BlackholeSink {}

impl SinkFn<TableData> for BlackholeSink {
    fn write(&mut self, _records: Vec<Record<TableData>>) -> Result<(), BoxError> {
        Ok(())
    }
}

/// Hands every batch to the program reading the result.
pub struct CollectSink {
    pub sender: Sender<ChangeBatch>,
}

impl Lifecycle for CollectSink {}

impl SinkFn<TableData> for CollectSink {
    fn write(&mut self, records: Vec<Record<TableData>>) -> Result<(), BoxError> {
        for r in records {
            if r.value.num_rows() > 0 {
                self.sender.send(r.value).map_err(|_| message("the result's reader went away"))?;
            }
        }
        Ok(())
    }
}
