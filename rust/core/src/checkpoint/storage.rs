//! Where checkpoints live: `<dir>/<job-id>/chk-<n>/` with one state file per task and a
//! `_metadata` file written last (a checkpoint without it is incomplete), as Flink lays them out.
