//! The keyed state a window function reaches while it is called (Flink's
//! `ProcessWindowFunction.Context.globalState()` / `windowState()` and its runtime context's
//! state): states of the firing key shared by all its windows, and states of the firing window
//! alone. Both live in the window operator's store, so its checkpoints carry them; their names
//! get a prefix of their own, apart from the operator's window contents.

use crate::data::{DataModel, Keyed};
use crate::error::{message, BoxError};
use crate::state::{KeyedStateStore, Namespace, StateAt, StateId, TtlConfig};
use crate::time::Clock;

/// What the names of window functions' states start with in the operator's store.
pub const USER_STATE_PREFIX: &str = "user/";

pub struct WindowFnState<'a, D: DataModel> {
    store: &'a mut KeyedStateStore<D>,
    key: &'a Keyed<D::Key>,
    window: Namespace,
    merging: bool,
    clock: &'a dyn Clock,
}

impl<'a, D: DataModel> WindowFnState<'a, D> {
    pub(crate) fn new(store: &'a mut KeyedStateStore<D>, key: &'a Keyed<D::Key>, window: Namespace, merging: bool, clock: &'a dyn Clock) -> Self {
        WindowFnState { store, key, window, merging, clock }
    }

    /// Declares a state of the window function (the same name gives the same state).
    pub fn register(&mut self, name: &str, ttl: Option<TtlConfig>) -> StateId {
        self.store.register(&format!("{USER_STATE_PREFIX}{name}"), ttl)
    }

    /// A declared state of the current key: shared by all windows, or the firing window's own
    /// (`per_window`), read and written at the clock's time.
    pub fn at(&mut self, state: StateId, per_window: bool) -> Result<StateAt<'_, D>, BoxError> {
        if per_window && self.merging {
            // As Flink: merging windows would have to merge the function's state too.
            return Err(message("Per-window state is not allowed when using merging windows."));
        }
        let namespace = if per_window { self.window } else { Namespace::Void };
        let now = self.clock.now();
        Ok(self.store.at(self.key, state, namespace, now))
    }
}
