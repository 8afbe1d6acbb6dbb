//! Batches handed to a table while its jobs run (`from_data_stream`): every SQL job reading the
//! table gets every batch, also the ones sent before it started (they are kept until the feed
//! closes, so a fed table may be read by several queries of one program). With event time the
//! DataStream's watermarks come along, in order with the batches (`SOURCE_WATERMARK()`).

use std::sync::{Arc, Mutex};

use arrow::array::RecordBatch;
use crossbeam_channel::{Receiver, Sender};

/// What a feed carries.
#[derive(Clone, Debug)]
pub enum Fed {
    Batch(RecordBatch),
    /// The DataStream's watermark: the rows sent after it are later.
    Watermark(i64),
}

#[derive(Debug, Default)]
struct State {
    sent: Vec<Fed>,
    readers: Vec<Sender<Fed>>,
    closed: bool,
}

/// The feed of one table: one sender (the DataStream side), any number of readers.
#[derive(Debug, Default, Clone)]
pub struct Feed {
    state: Arc<Mutex<State>>,
}

impl Feed {
    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    pub fn send(&self, batch: RecordBatch) {
        self.push(Fed::Batch(batch));
    }

    pub fn send_watermark(&self, watermark: i64) {
        self.push(Fed::Watermark(watermark));
    }

    fn push(&self, item: Fed) {
        let mut s = self.lock();
        s.readers.retain(|r| r.send(item.clone()).is_ok());
        s.sent.push(item);
    }

    /// The end: readers finish once they have read what was sent.
    pub fn close(&self) {
        let mut s = self.lock();
        s.closed = true;
        s.readers.clear();
    }

    /// A new reader, given everything sent so far first.
    pub fn subscribe(&self) -> Receiver<Fed> {
        let mut s = self.lock();
        let (tx, rx) = crossbeam_channel::unbounded();
        for b in &s.sent {
            let _ = tx.send(b.clone());
        }
        if !s.closed {
            s.readers.push(tx);
        }
        rx
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use arrow::array::{ArrayRef, Int64Array};

    fn batch(v: i64) -> RecordBatch {
        RecordBatch::try_from_iter(vec![("a", Arc::new(Int64Array::from(vec![v])) as ArrayRef)]).unwrap()
    }

    #[test]
    fn every_reader_gets_every_batch() {
        let feed = Feed::default();
        let early = feed.subscribe();
        feed.send(batch(1));
        let late = feed.subscribe();
        feed.send_watermark(7);
        feed.send(batch(2));
        feed.close();
        let after = feed.subscribe();
        for rx in [early, late, after] {
            let got: Vec<String> = rx
                .iter()
                .map(|f| match f {
                    Fed::Batch(b) => format!("rows {}", b.num_rows()),
                    Fed::Watermark(w) => format!("watermark {w}"),
                })
                .collect();
            assert_eq!(got, vec!["rows 1", "watermark 7", "rows 1"]);
        }
    }
}
