//! What can go wrong between SQL text and a running job, worded for the user who wrote the SQL.

use datafusion_common::DataFusionError;

#[derive(Debug, thiserror::Error)]
pub enum SqlError {
    /// The text does not parse (the message names line and column).
    #[error("SQL parse failed. {0}")]
    Parse(String),
    /// A table, view, column or function that does not exist.
    #[error("{0}")]
    NotFound(String),
    /// A statement that parses but is not valid (types, grouping, time attributes).
    #[error("{0}")]
    Validation(String),
    #[error("{0}")]
    Type(String),
    /// Valid Flink SQL that oxflow does not run yet.
    #[error("{0}")]
    Unsupported(String),
    /// A connector's options or data are wrong.
    #[error("{0}")]
    Connector(String),
    #[error("{0}")]
    Execution(String),
}

impl From<datafusion_sql::sqlparser::parser::ParserError> for SqlError {
    fn from(e: datafusion_sql::sqlparser::parser::ParserError) -> Self {
        let text = match e {
            datafusion_sql::sqlparser::parser::ParserError::ParserError(s)
            | datafusion_sql::sqlparser::parser::ParserError::TokenizerError(s) => s,
            other => other.to_string(),
        };
        SqlError::Parse(text)
    }
}

impl From<DataFusionError> for SqlError {
    fn from(e: DataFusionError) -> Self {
        match e {
            DataFusionError::Plan(s) => SqlError::Validation(s),
            DataFusionError::SchemaError(s, _) => SqlError::NotFound(s.to_string()),
            DataFusionError::NotImplemented(s) => SqlError::Unsupported(s),
            DataFusionError::Context(ctx, inner) => match SqlError::from(*inner) {
                SqlError::Validation(s) => SqlError::Validation(format!("{ctx}: {s}")),
                other => other,
            },
            other => SqlError::Execution(other.to_string()),
        }
    }
}

impl From<arrow::error::ArrowError> for SqlError {
    fn from(e: arrow::error::ArrowError) -> Self {
        SqlError::Execution(e.to_string())
    }
}

pub type Result<T, E = SqlError> = std::result::Result<T, E>;
