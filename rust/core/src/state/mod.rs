//! Keyed state and timers: what keyed operators (process functions, windows, SQL aggregates)
//! keep per key. One in-memory backend now; the store's interface is what other backends implement.

mod access;
mod keyed_context;
mod map;
mod namespace;
mod store;
mod timers;

pub use access::StateAt;
pub use keyed_context::{KeyedContext, SharedKeyedContext};
pub use map::MapSlot;
pub use namespace::Namespace;
pub use store::{KeyedStateStore, Slot, StateId, TtlConfig};
pub use timers::{Timer, TimerQueue};
