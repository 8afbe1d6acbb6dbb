//! Running plans: the SQL operators on oxflow-core's runtime, on Arrow batches.

pub mod accumulators;
pub mod build;
pub mod calc;
pub mod data;
pub mod group_aggregate;
pub mod keys;
pub mod watermark;
pub mod window_aggregate;
pub mod window_assign;
