//! The two crossings between a DataStream job and a SQL job of one program
//! (`from_data_stream`, `to_data_stream`): a feed that turns the Python rows a DataStream sink
//! receives into Arrow batches for a SQL source, and a DataStream source that asks a Python
//! callable for its next elements (the rows a SQL job collected). Converts and calls only.

use oxflow_core::data::Record;
use oxflow_core::error::BoxError;
use oxflow_core::source::{Source, SourceFactory, SourcePoll};
use oxflow_sql::connector::feed::Feed;
use oxflow_sql::types::Typed;
use pyo3::prelude::*;

use crate::data_model::PyData;

/// The sending end of a `from_data_stream` table.
#[pyclass(module = "oxflow._native")]
pub struct TableFeed {
    columns: Vec<(String, Typed)>,
    feed: Feed,
}

impl TableFeed {
    pub fn new(columns: Vec<(String, Typed)>) -> (Self, Feed) {
        let feed = Feed::default();
        (TableFeed { columns, feed: feed.clone() }, feed)
    }
}

#[pymethods]
impl TableFeed {
    /// Sends rows (tuples, lists or Rows, in column order) as one batch to every SQL job
    /// reading the table.
    fn send(&self, rows: &Bound<'_, PyAny>) -> PyResult<()> {
        let batch = crate::table_values::batch_of_rows(&self.columns, rows)?;
        if batch.num_rows() > 0 {
            self.feed.send(batch);
        }
        Ok(())
    }

    /// The end of the DataStream: the SQL sources finish once they have read what was sent.
    fn close(&self) {
        self.feed.close();
    }
}

/// A DataStream source of one instance calling `poll()`: a list of elements (empty: nothing
/// yet), or `None` at the end.
pub fn python_poll_factory(poll: Py<PyAny>) -> SourceFactory<PyData> {
    let poll = std::sync::Arc::new(poll);
    Box::new(move |_task| Ok(Box::new(PollSource { poll: poll.clone() }) as Box<dyn Source<PyData>>))
}

struct PollSource {
    poll: std::sync::Arc<Py<PyAny>>,
}

impl Source<PyData> for PollSource {
    fn poll(&mut self, _max_records: usize) -> Result<SourcePoll<PyData>, BoxError> {
        Python::attach(|py| {
            let got = self.poll.call0(py).map_err(|e| Box::new(e) as BoxError)?;
            if got.is_none(py) {
                return Ok(SourcePoll::Finished);
            }
            let values: Vec<Py<PyAny>> = got.extract(py).map_err(|e| Box::new(PyErr::from(e)) as BoxError)?;
            if values.is_empty() {
                return Ok(SourcePoll::Pending);
            }
            Ok(SourcePoll::Records(values.into_iter().map(Record::new).collect()))
        })
    }
}
