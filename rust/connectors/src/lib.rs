//! oxflow's built-in connectors: the bounded sources and the file sink PyFlink jobs use most.
//!
//! - [`collection`]: `env.from_collection(...)`, the elements split round-robin over subtasks.
//! - [`number_sequence`]: Flink's `NumberSequenceSource(from, to)` (both inclusive).
//! - [`text_file`]: Flink's `FileSource.for_record_stream_format(StreamFormat.text_line_format(),
//!   *paths)` in bounded mode: one record per line.
//! - [`file_sink`]: Flink's row-format `FileSink` with a `SimpleStringEncoder`-like encoder,
//!   hidden in-progress part files that are committed (renamed) when they roll or at end of input,
//!   or, with checkpointing, exactly-once when the checkpoint covering them completes.
//!
//! Everything is generic over the runtime's [`DataModel`](oxflow_core::data::DataModel). Values
//! are made and encoded by closures the caller passes, because the Python bridge's values need the
//! interpreter; the runtime calls sources and sinks inside `D::scoped`, so the closures may use it.

pub mod collection;
pub mod file_sink;
pub mod number_sequence;
pub mod text_file;

#[cfg(test)]
pub(crate) mod test_support {
    //! A tiny data model and helpers shared by the unit tests.

    use oxflow_core::data::DataModel;
    use oxflow_core::operator::TaskInfo;
    use oxflow_core::source::{Source, SourcePoll};

    /// Values are plain strings.
    pub struct Strings;

    impl DataModel for Strings {
        type Value = String;
        type Key = String;
        fn key_eq(a: &String, b: &String) -> bool {
            a == b
        }
        fn duplicate(v: &String) -> String {
            v.clone()
        }
        fn duplicate_key(k: &String) -> String {
            k.clone()
        }
    }

    /// Values are plain integers.
    pub struct Ints;

    impl DataModel for Ints {
        type Value = i64;
        type Key = i64;
        fn key_eq(a: &i64, b: &i64) -> bool {
            a == b
        }
        fn duplicate(v: &i64) -> i64 {
            *v
        }
        fn duplicate_key(k: &i64) -> i64 {
            *k
        }
    }

    pub fn task(subtask_index: usize, parallelism: usize) -> TaskInfo {
        TaskInfo {
            task_name: "test".into(),
            operator_name: "test".into(),
            uid: String::new(),
            subtask_index,
            parallelism,
            max_parallelism: 128,
            attempt_number: 0,
            checkpointing: false,
            state_backend: None,
            clock: std::sync::Arc::new(oxflow_core::time::SystemClock),
        }
    }

    /// Polls `source` to the end; returns the batches' values.
    pub fn drain<D: DataModel>(
        source: &mut dyn Source<D>,
        max_records: usize,
    ) -> Result<Vec<Vec<D::Value>>, oxflow_core::error::BoxError> {
        let mut batches = Vec::new();
        for _ in 0..1_000_000 {
            match source.poll(max_records)? {
                SourcePoll::Records(records) => {
                    assert!(records.len() <= max_records, "batch larger than max_records");
                    batches.push(records.into_iter().map(|r| r.value).collect());
                }
                SourcePoll::Pending | SourcePoll::Watermark(_) => {}
                SourcePoll::Finished => {
                    // Finished stays finished.
                    assert!(matches!(source.poll(max_records)?, SourcePoll::Finished));
                    return Ok(batches);
                }
            }
        }
        panic!("source did not finish");
    }
}
