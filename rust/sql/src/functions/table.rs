//! User-defined table functions (`LATERAL TABLE(split(s))`): a function of a row's values that
//! produces zero or more rows. The engine hands a whole batch to the function at once, so an
//! implementation in another language (the Python bridge) crosses into it once per batch.

use arrow::array::{ArrayRef, UInt32Array};
use oxflow_core::error::BoxError;

use crate::types::Typed;

/// The rows a table function produced for a batch of inputs.
pub struct TableRows {
    /// For every produced row, the input row it was produced for (ascending).
    pub input_rows: UInt32Array,
    /// The produced columns, one per result type.
    pub columns: Vec<ArrayRef>,
}

pub trait TableFunction: Send + Sync + std::fmt::Debug {
    fn name(&self) -> &str;
    /// The types of the produced columns.
    fn result_types(&self) -> &[Typed];
    /// Calls the function for each of the `rows` input rows, whose arguments are `args`.
    fn call(&self, args: &[ArrayRef], rows: usize) -> Result<TableRows, BoxError>;
}
