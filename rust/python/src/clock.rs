//! Processing time from Python: a manual clock a test moves by hand, and the clock a task runs
//! on, handed to Python user functions for `current_processing_time`.

use std::sync::Arc;

use oxflow_core::time::{Clock, ManualClock as CoreManualClock};
use pyo3::prelude::*;

/// A processing-time clock that only moves when told to (an oxflow extension for tests).
/// Give it to `StreamExecutionEnvironment.set_clock`; every task of the jobs the environment runs
/// then reads processing time from it: processing-time windows, triggers and timers, periodic
/// watermarks, and every `current_processing_time()`.
#[pyclass(module = "oxflow._native", name = "ManualClock", frozen)]
pub struct PyManualClock {
    pub(crate) clock: CoreManualClock,
}

#[pymethods]
impl PyManualClock {
    #[new]
    #[pyo3(signature = (start=0))]
    fn new(start: i64) -> Self {
        PyManualClock { clock: CoreManualClock::new(start) }
    }

    /// The current time, in epoch milliseconds.
    fn now(&self) -> i64 {
        self.clock.now()
    }

    /// Moves the clock to `now` (milliseconds).
    fn set(&self, now: i64) {
        self.clock.set(now);
    }

    /// Moves the clock forward by `millis`.
    fn advance(&self, millis: i64) {
        self.clock.advance(millis);
    }

    fn __repr__(&self) -> String {
        format!("ManualClock({})", self.clock.now())
    }
}

impl PyManualClock {
    pub(crate) fn shared(&self) -> Arc<dyn Clock> {
        Arc::new(self.clock.clone())
    }
}

/// The processing-time clock of one task (the wall clock, or a job's `ManualClock`).
#[pyclass(module = "oxflow._native", frozen)]
pub struct TaskClock {
    pub(crate) clock: Arc<dyn Clock>,
}

#[pymethods]
impl TaskClock {
    /// The task's processing time, in epoch milliseconds.
    fn now(&self) -> i64 {
        self.clock.now()
    }
}
