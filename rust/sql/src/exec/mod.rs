//! Running plans: the SQL operators on oxflow-core's runtime, on Arrow batches.

pub mod accumulators;
pub mod build;
pub mod calc;
pub mod correlate;
pub mod data;
pub mod deduplicate;
pub mod group_aggregate;
pub mod interval_join;
pub mod join;
pub mod join_rows;
pub mod keys;
pub mod lookup_join;
pub mod match_nfa;
#[cfg(test)]
mod match_nfa_tests;
pub mod match_recognize;
pub mod over_aggregate;
pub mod over_frame;
pub mod partition;
pub mod rank;
pub mod rank_rows;
pub mod retracting;
pub mod scope;
pub mod snapshot;
pub mod temporal_join;
pub mod watermark;
pub mod window_aggregate;
pub mod window_assign;
pub mod window_join;
pub mod window_rank;
