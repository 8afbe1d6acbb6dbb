//! The two crossings between a DataStream job and a SQL job of one program
//! (`from_data_stream`, `to_data_stream`): a feed that turns the Python rows a DataStream sink
//! receives into Arrow batches for a SQL source, and a DataStream source that asks a Python
//! callable for its next elements (the rows a SQL job collected). Converts and calls only.

use arrow::array::RecordBatch;
use oxflow_core::data::Record;
use oxflow_core::error::BoxError;
use oxflow_core::operator::{Operator, OperatorFactory, Output};
use oxflow_core::source::{Source, SourceFactory, SourcePoll};
use oxflow_sql::connector::feed::Feed;
use oxflow_sql::types::Typed;
use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use pyo3::types::PyList;

use crate::data_model::PyData;

/// The sending end of a `from_data_stream` table.
#[pyclass(module = "oxflow._native")]
pub struct TableFeed {
    /// The columns the elements give.
    physical: Vec<(String, Typed)>,
    /// The column of the elements' timestamps, last (`column_by_metadata("rowtime", ...)`).
    rowtime: Option<(String, Typed)>,
    feed: Feed,
}

impl TableFeed {
    pub fn new(physical: Vec<(String, Typed)>, rowtime: Option<(String, Typed)>) -> (Self, Feed) {
        let feed = Feed::default();
        (TableFeed { physical, rowtime, feed: feed.clone() }, feed)
    }

    /// The rows as one batch, with their timestamps as the rowtime column if the table has one.
    fn batch(&self, rows: &Bound<'_, PyAny>, timestamps: &[Option<i64>]) -> PyResult<RecordBatch> {
        let batch = crate::table_values::batch_of_rows(&self.physical, rows)?;
        let Some((name, ty)) = &self.rowtime else { return Ok(batch) };
        let error = |e: arrow::error::ArrowError| PyValueError::new_err(format!("the rowtime column '{name}': {e}"));
        let millis = arrow::array::TimestampMillisecondArray::from(timestamps.to_vec());
        let column = arrow::compute::cast(&millis, &ty.ty.to_arrow()).map_err(error)?;
        let mut fields: Vec<_> = batch.schema().fields().iter().cloned().collect();
        fields.push(std::sync::Arc::new(arrow::datatypes::Field::new(name, ty.ty.to_arrow(), true)));
        let mut columns = batch.columns().to_vec();
        columns.push(column);
        RecordBatch::try_new(std::sync::Arc::new(arrow::datatypes::Schema::new(fields)), columns).map_err(error)
    }
}

#[pymethods]
impl TableFeed {
    /// Sends rows (tuples, lists or Rows, in column order) as one batch to every SQL job
    /// reading the table.
    fn send(&self, rows: &Bound<'_, PyAny>) -> PyResult<()> {
        let batch = self.batch(rows, &[])?;
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

/// The sink ending a fed DataStream: each batch of elements (made rows by `to_row`, with the
/// elements' timestamps) goes to the feed, and so does each watermark; the end closes it.
pub fn feed_factory(feed: Py<TableFeed>, to_row: Py<PyAny>) -> OperatorFactory<PyData> {
    let (feed, to_row) = (std::sync::Arc::new(feed), std::sync::Arc::new(to_row));
    Box::new(move |_task| Ok(Box::new(FeedSink { feed: feed.clone(), to_row: to_row.clone() }) as Box<dyn Operator<PyData>>))
}

struct FeedSink {
    feed: std::sync::Arc<Py<TableFeed>>,
    to_row: std::sync::Arc<Py<PyAny>>,
}

impl Operator<PyData> for FeedSink {
    fn process(&mut self, _: usize, records: Vec<Record<PyData>>, _: &mut Output<PyData>) -> Result<(), BoxError> {
        let py = unsafe { Python::assume_attached() };
        let feed = self.feed.bind(py).borrow();
        let to_row = self.to_row.bind(py);
        let rows = records.iter().map(|r| to_row.call1((r.value.bind(py),))).collect::<PyResult<Vec<_>>>().map_err(|e| Box::new(e) as BoxError)?;
        let timestamps: Vec<Option<i64>> = records.iter().map(|r| r.timestamp).collect();
        let batch = feed.batch(PyList::new(py, rows).map_err(|e| Box::new(e) as BoxError)?.as_any(), &timestamps).map_err(|e| Box::new(e) as BoxError)?;
        if batch.num_rows() > 0 {
            feed.feed.send(batch);
        }
        Ok(())
    }

    fn on_watermark(&mut self, watermark: i64, _: &mut Output<PyData>) -> Result<(), BoxError> {
        let py = unsafe { Python::assume_attached() };
        self.feed.bind(py).borrow().feed.send_watermark(watermark);
        Ok(())
    }

    fn finish(&mut self, _: &mut Output<PyData>) -> Result<(), BoxError> {
        let py = unsafe { Python::assume_attached() };
        self.feed.bind(py).borrow().feed.close();
        Ok(())
    }
}

/// A DataStream source of one instance calling `poll()`: a list of elements (empty: nothing
/// yet), or a pair (elements, their timestamps), or `None` at the end.
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
            // A list of elements, or (elements, their timestamps).
            let (values, timestamps): (Vec<Py<PyAny>>, Option<Vec<Option<i64>>>) = if got.bind(py).is_instance_of::<pyo3::types::PyTuple>() {
                let (values, timestamps) = got.extract(py).map_err(|e| Box::new(PyErr::from(e)) as BoxError)?;
                (values, Some(timestamps))
            } else {
                (got.extract(py).map_err(|e| Box::new(PyErr::from(e)) as BoxError)?, None)
            };
            if values.is_empty() {
                return Ok(SourcePoll::Pending);
            }
            let records = match timestamps {
                None => values.into_iter().map(Record::new).collect(),
                Some(times) => values.into_iter().zip(times).map(|(v, t)| Record { timestamp: t, ..Record::new(v) }).collect(),
            };
            Ok(SourcePoll::Records(records))
        })
    }
}
