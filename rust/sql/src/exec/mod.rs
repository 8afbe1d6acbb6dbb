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
pub mod match_nfa;
#[cfg(test)]
mod match_nfa_tests;
pub mod match_recognize;
pub mod over_aggregate;
pub mod over_frame;
pub mod partition;
pub mod rank;
pub mod rank_rows;
pub mod scope;
pub mod snapshot;
pub mod temporal_join;
pub mod watermark;
pub mod window_aggregate;
pub mod window_assign;
pub mod window_join;
pub mod window_rank;

/// What a stateful SQL operator answers a checkpoint until its state can be snapshotted: a
/// refusal (the job's checkpoint fails) rather than a snapshot that silently lacks the state.
pub(crate) fn refuse_checkpoint(what: &str) -> oxflow_core::error::BoxError {
    oxflow_core::error::message(format!("{what} cannot be checkpointed yet"))
}

/// The `snapshot_state` of an operator (named `$what` in the error) that refuses checkpoints.
macro_rules! refuse_checkpoints {
    ($what:expr) => {
        fn snapshot_state(
            &mut self,
            _: oxflow_core::checkpoint::CheckpointId,
            _: &mut oxflow_core::checkpoint::snapshot::SnapshotWriter<'_, $crate::exec::data::TableData>,
        ) -> Result<(), oxflow_core::error::BoxError> {
            Err($crate::exec::refuse_checkpoint($what))
        }
    };
}
pub(crate) use refuse_checkpoints;
