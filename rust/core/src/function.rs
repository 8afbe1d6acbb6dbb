//! The user-function interfaces operators call. The Python bridge implements them by calling
//! Python; a function never sees the runtime, only values.

use crate::data::DataModel;
use crate::error::BoxError;

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
    pub timestamp: Option<i64>,
    pub current_watermark: i64,
    pub key: Option<&'a D::Key>,
}

/// A low-level function that sees each element with its context and emits any number of values.
pub trait ProcessFn<D: DataModel>: Lifecycle {
    fn process_element(
        &mut self,
        value: D::Value,
        ctx: &ProcessContext<'_, D>,
        emit: &mut dyn FnMut(D::Value),
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
}

/// Where a sink writes. `write` gets each batch; `finish` runs once at the end of the input.
pub trait SinkFn<D: DataModel>: Lifecycle {
    fn write(&mut self, records: Vec<crate::data::Record<D>>) -> Result<(), BoxError>;
    fn finish(&mut self) -> Result<(), BoxError> {
        Ok(())
    }
}
