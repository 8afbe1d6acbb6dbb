//! Checkpoints and savepoints: aligned barriers (Chandy-Lamport, as Flink), operator snapshots,
//! the coordinator's decisions and where snapshots are stored.
//!
//! - [`protocol`]: the coordinator as pure decision logic (when to trigger, when a checkpoint is
//!   complete, expired or failed, what to discard), tested on its own.
//! - [`alignment`]: a multi-input task's barrier alignment, also pure.
//! - [`snapshot`]: what operators write and get back (keyed entries, list and broadcast state).
//! - [`storage`]: the checkpoint directory layout (`<dir>/<job-id>/chk-<n>/`) and its files,
//!   behind a small trait; the local filesystem now.
//! - [`incremental`]: which engine files a checkpoint stores or references, and which go when
//!   checkpoints are subsumed (pure); [`engine_files`]: storing and fetching them.
//! - [`runtime`]: the coordinator thread of a running job, wiring decisions to tasks and storage.

pub mod alignment;
pub mod engine_files;
pub mod incremental;
pub mod protocol;
pub mod snapshot;
pub mod runtime;
pub mod storage;

/// Checkpoints are numbered from 1 within a job; a restored job continues after the restored id.
pub type CheckpointId = u64;

/// Why a snapshot is taken.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SnapshotKind {
    /// A periodic checkpoint, owned (and discarded) by the job.
    Checkpoint,
    /// A savepoint the user asked for, written to `target` and never discarded by the job.
    Savepoint { target: std::path::PathBuf },
}

/// The barrier that flows in-band from the sources: everything before it belongs to the
/// checkpoint, everything after to the next.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Barrier {
    pub id: CheckpointId,
    pub timestamp_ms: i64,
    /// For a savepoint: operators write every entry in the neutral format (no engine files).
    pub savepoint: bool,
}
