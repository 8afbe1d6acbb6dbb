//! SQL and the Table API on oxflow's runtime: statements parsed with sqlparser in Flink's
//! dialect, scalar expressions, functions and aggregate accumulators from the DataFusion crates
//! on Arrow batches, and a streaming plan of oxflow's own (sources with watermarks, group windows
//! and window TVFs, updating aggregates with a changelog, sinks) run by oxflow-core.

pub mod arrow_bridge;
pub mod catalog;
pub mod connector;
pub mod error;
pub mod exec;
pub mod format;
pub mod functions;
pub mod parse;
pub mod plan;
pub mod session;
pub mod types;

pub use datafusion_sql::sqlparser;
pub use error::SqlError;
