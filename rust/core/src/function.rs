//! The user-function interfaces operators call. The Python bridge implements them by calling
//! Python; a function never sees the runtime, only values.

use crate::checkpoint::snapshot::{RestoredState, SnapshotWriter};
use crate::checkpoint::CheckpointId;
use crate::data::DataModel;
use crate::error::BoxError;
use crate::operator::refuse_state;

pub trait MapFn<D: DataModel>: Lifecycle {
    fn map(&mut self, value: D::Value) -> Result<D::Value, BoxError>;
}

pub trait FlatMapFn<D: DataModel>: Lifecycle {
    /// Calls `emit` once per output value.
    fn flat_map(
        &mut self,
        value: D::Value,
        emit: &mut dyn FnMut(D::Value),
    ) -> Result<(), BoxError>;
}

pub trait FilterFn<D: DataModel>: Lifecycle {
    fn filter(&mut self, value: &D::Value) -> Result<bool, BoxError>;
}

/// Extracts a key and its hash (the hash decides the key group).
pub trait KeySelectorFn<D: DataModel>: Lifecycle {
    fn key(&mut self, value: &D::Value) -> Result<(D::Key, u64), BoxError>;
}

pub trait ReduceFn<D: DataModel>: Lifecycle {
    fn reduce(&mut self, accumulated: &D::Value, value: D::Value) -> Result<D::Value, BoxError>;
}

/// What a process function may know about the element it is given.
pub struct ProcessContext<'a, D: DataModel> {
    /// The logical input the element came from (0, or 1 for the second input of a connect).
    pub input: usize,
    pub timestamp: Option<i64>,
    pub current_watermark: i64,
    pub key: Option<&'a D::Key>,
}

/// A low-level function that sees each element with its context and emits any number of values;
/// `emit(output, value)` goes to the main output (0) or a side output.
pub trait ProcessFn<D: DataModel>: Lifecycle {
    fn process_element(
        &mut self,
        value: D::Value,
        ctx: &ProcessContext<'_, D>,
        emit: &mut dyn FnMut(u32, D::Value),
    ) -> Result<(), BoxError>;
}

/// Lifecycle hooks a function may have (`open`/`close` of PyFlink's `Function`).
pub trait Lifecycle: Send {
    fn open(&mut self, _task: &crate::operator::TaskInfo) -> Result<(), BoxError> {
        Ok(())
    }
    fn close(&mut self) -> Result<(), BoxError> {
        Ok(())
    }

    /// Non-keyed state the function keeps itself (Flink's broadcast state), encoded for a
    /// checkpoint; `None` if it keeps none. Identical on every parallel instance.
    fn snapshot_function_state(&mut self) -> Result<Option<Vec<u8>>, BoxError> {
        Ok(None)
    }

    /// Takes back what [`Lifecycle::snapshot_function_state`] wrote (before `open`).
    fn restore_function_state(&mut self, _state: Vec<u8>) -> Result<(), BoxError> {
        Err(crate::error::message("the snapshot holds broadcast state for this function, but it keeps none"))
    }
}

/// Where a sink writes. `write` gets each batch; `finish` runs once at the end of the input.
///
/// The checkpoint hooks mirror [`crate::operator::Operator`]'s, so a two-phase sink can keep its
/// uncommitted output in the snapshot and commit it once the checkpoint completes. The defaults
/// suit stateless sinks.
pub trait SinkFn<D: DataModel>: Lifecycle {
    fn write(&mut self, records: Vec<crate::data::Record<D>>) -> Result<(), BoxError>;
    fn finish(&mut self) -> Result<(), BoxError> {
        Ok(())
    }

    /// Writes the sink's state for checkpoint `checkpoint` (every record before the barrier has
    /// been written). Stateless sinks write nothing.
    fn snapshot_state(&mut self, _checkpoint: CheckpointId, _state: &mut SnapshotWriter<'_, D>) -> Result<(), BoxError> {
        Ok(())
    }

    /// Takes back this instance's share of a snapshot, before `open`. The default refuses
    /// non-empty state rather than silently dropping it.
    fn restore_state(&mut self, state: RestoredState<D>) -> Result<(), BoxError> {
        refuse_state(state)
    }

    /// Checkpoint `checkpoint` completed on every task: commit what it covers.
    fn notify_checkpoint_complete(&mut self, _checkpoint: CheckpointId) -> Result<(), BoxError> {
        Ok(())
    }
}

/// Flink's `AggregateFunction`: an accumulator per key (and window) that values are added to.
pub trait AggregateFn<D: DataModel>: Lifecycle {
    fn create_accumulator(&mut self) -> Result<D::Value, BoxError>;
    fn add(&mut self, value: D::Value, accumulator: D::Value) -> Result<D::Value, BoxError>;
    fn get_result(&mut self, accumulator: &D::Value) -> Result<D::Value, BoxError>;
    fn merge(&mut self, a: D::Value, b: D::Value) -> Result<D::Value, BoxError>;
}

/// What a window function is told about the window that fired, and its keyed state.
pub struct WindowContext<'a, D: DataModel> {
    pub key: &'a D::Key,
    pub window: crate::state::Namespace,
    pub current_watermark: i64,
    pub current_processing_time: i64,
    pub state: crate::window::WindowFnState<'a, D>,
}

/// Flink's `ProcessWindowFunction` / `WindowFunction`: called when a window fires, with the
/// window's contents (the one pre-aggregated value of a reduce/aggregate, or every element).
pub trait WindowFn<D: DataModel>: Lifecycle {
    fn process(
        &mut self,
        ctx: &mut WindowContext<'_, D>,
        elements: Vec<D::Value>,
        emit: &mut dyn FnMut(D::Value),
    ) -> Result<(), BoxError>;

    /// The window's state is being purged (`ProcessWindowFunction.clear`).
    fn clear(&mut self, _ctx: &mut WindowContext<'_, D>) -> Result<(), BoxError> {
        Ok(())
    }
}

/// Flink's `TimestampAssigner`: the event time of a value (epoch ms).
pub trait TimestampAssignerFn<D: DataModel>: Lifecycle {
    fn extract_timestamp(&mut self, value: &D::Value, record_timestamp: Option<i64>) -> Result<i64, BoxError>;
}

/// Which clock a timer was registered against.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TimeDomain {
    EventTime,
    ProcessingTime,
}

/// A keyed process function. It reaches keyed state and timers through the
/// [`crate::state::SharedKeyedContext`] it was built with; the operator sets the current key there
/// before every call. `emit(output, value)` emits to the main output (0) or a side output.
pub trait KeyedProcessFn<D: DataModel>: Lifecycle {
    /// `input` is the logical input the element came from (0, or 1 for a connected stream).
    fn process_element(
        &mut self,
        input: usize,
        value: D::Value,
        timestamp: Option<i64>,
        emit: &mut dyn FnMut(u32, D::Value),
    ) -> Result<(), BoxError>;

    fn on_timer(
        &mut self,
        timestamp: i64,
        domain: TimeDomain,
        emit: &mut dyn FnMut(u32, D::Value),
    ) -> Result<(), BoxError>;
}
