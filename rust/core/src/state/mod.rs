//! Keyed state and timers: what keyed operators (process functions, windows, SQL aggregates)
//! keep per key. The store keeps its entries in memory (the default) or in a byte-level
//! [`KvEngine`] (RocksDB, from `oxflow-state-rocksdb`), as the job's [`StateBackend`] says.
//! Timers stay in memory in both cases (as Flink's `HEAP` timer service).

mod engine;
mod access;
mod keyed_context;
mod map;
mod namespace;
mod store;
mod timers;

pub use engine::{BTreeMapEngine, BTreeMapEngineFactory, EngineFile, EngineSpec, KvEngine, KvEngineFactory, StateBackend, DEFAULT_CACHE_ENTRIES};
pub use access::StateAt;
pub use keyed_context::{KeyedContext, SharedKeyedContext};
pub use map::MapSlot;
pub use namespace::Namespace;
pub use store::{KeyedStateStore, Slot, SlotRef, StateId, TtlConfig, ValueStateId};
pub use timers::{Timer, TimerQueue};
