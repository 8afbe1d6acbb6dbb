//! oxflow's dataflow runtime.
//!
//! A job is a graph of nodes ([`graph::JobGraph`]); [`plan`] fuses forward-connected nodes into
//! chains; [`executor`] runs every chain instance as a task on its own thread, connected by bounded
//! channels ([`exchange`]) so a slow consumer slows its producers. What flows is batches of
//! [`data::Record`]s with control events in-band ([`exchange::Event`]).
//!
//! The runtime is generic over a [`data::DataModel`]: the Python bridge plugs in Python objects,
//! tests plug in plain Rust values. Engine logic (partitioning, key groups, keyed state, rolling
//! reduce) lives here and is testable without Python.

pub mod checkpoint;
pub mod data;
pub mod error;
pub mod exchange;
pub mod executor;
pub mod function;
pub mod graph;
pub mod key_group;
pub mod operator;
pub mod operators;
pub mod plan;
pub mod restart;
pub mod source;
pub mod state;
pub mod time;
pub mod window;
mod task;


#[cfg(test)]
mod test_support;
