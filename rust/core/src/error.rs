//! Errors of a job: user-function failures keep their original error and gain the operator's name.

/// Any error a user function, source or sink raises. The Python bridge puts `PyErr`s here and
/// takes them out again to re-raise them with the user's traceback.
pub type BoxError = Box<dyn std::error::Error + Send + Sync + 'static>;

/// Why a job did not finish.
#[derive(Debug, thiserror::Error)]
pub enum JobError {
    #[error("operator '{operator}' (subtask {} of {parallelism}) failed: {source}", subtask + 1)]
    Operator {
        operator: String,
        subtask: usize,
        parallelism: usize,
        #[source]
        source: BoxError,
    },
    #[error("the job was cancelled")]
    Cancelled,
    #[error("invalid job graph: {0}")]
    InvalidGraph(String),
    /// Checkpointing failed beyond what the job tolerates, or a snapshot could not be used.
    #[error("{0}")]
    Checkpoint(String),
    #[error("task '{task}' panicked: {message}")]
    Panic { task: String, message: String },
}

impl JobError {
    /// The user's own error, if the job failed because a user function (or connector) raised one.
    pub fn user_error(&self) -> Option<&BoxError> {
        match self {
            JobError::Operator { source, .. } => Some(source),
            _ => None,
        }
    }
}

/// A plain message error, for checks the runtime itself makes on user data.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct Message(pub String);

pub fn message(text: impl Into<String>) -> BoxError {
    Box::new(Message(text.into()))
}
