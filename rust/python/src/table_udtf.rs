//! Python table functions (`udtf`, `TableFunction.eval` yielding rows) for `LATERAL TABLE`:
//! the correlate operator hands over a whole batch; the bridge takes the GIL once, calls the
//! function for each row and collects what it yields into columns of the declared types.

use std::sync::Arc;

use arrow::array::{ArrayRef, UInt32Array};
use oxflow_core::error::BoxError;
use oxflow_sql::functions::{TableFunction, TableRows};
use oxflow_sql::types::Typed;
use pyo3::exceptions::PyTypeError;
use pyo3::prelude::*;
use pyo3::types::{PyList, PyTuple};

pub struct PythonTableFunction {
    name: String,
    /// The function called per row (a `TableFunction`'s `eval`).
    function: Py<PyAny>,
    types: Vec<Typed>,
}

impl std::fmt::Debug for PythonTableFunction {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "PythonTableFunction({})", self.name)
    }
}

pub fn registered(name: &str, function: Py<PyAny>, types: Vec<Typed>) -> Arc<dyn TableFunction> {
    Arc::new(PythonTableFunction { name: name.to_string(), function, types })
}

impl PythonTableFunction {
    /// The fields of one produced row: a tuple, list or Row of one value per result type; with
    /// one result type the value itself may be yielded.
    fn fields<'py>(&self, row_class: &Bound<'py, PyAny>, item: Bound<'py, PyAny>) -> PyResult<Vec<Bound<'py, PyAny>>> {
        let is_row = item.is_instance_of::<PyTuple>() || item.is_instance(row_class)?;
        if self.types.len() == 1 && !(is_row && item.len()? == 1) {
            return Ok(vec![item]);
        }
        if !(is_row || item.is_instance_of::<PyList>()) {
            return Err(PyTypeError::new_err(format!(
                "table function {} must yield tuples or Rows of {} values, got {}",
                self.name,
                self.types.len(),
                item.repr()?
            )));
        }
        let fields: Vec<Bound<'py, PyAny>> = item.try_iter()?.collect::<PyResult<_>>()?;
        if fields.len() != self.types.len() {
            return Err(PyTypeError::new_err(format!(
                "table function {} yielded {} with {} values; its result_types declare {}",
                self.name,
                item.repr()?,
                fields.len(),
                self.types.len()
            )));
        }
        Ok(fields)
    }
}

impl TableFunction for PythonTableFunction {
    fn name(&self) -> &str {
        &self.name
    }

    fn result_types(&self) -> &[Typed] {
        &self.types
    }

    fn call(&self, args: &[ArrayRef], rows: usize) -> Result<TableRows, BoxError> {
        let produced = Python::attach(|py| -> PyResult<TableRows> {
            let f = self.function.bind(py);
            let row_class = py.import("oxflow.common")?.getattr("Row")?;
            let mut input_rows: Vec<u32> = Vec::new();
            let mut cells: Vec<Vec<Bound<'_, PyAny>>> = vec![Vec::new(); self.types.len()];
            for (row, values) in crate::table_values::columns_to_python(py, args, rows)?.into_iter().enumerate() {
                let result = f.call1(PyTuple::new(py, values)?)?;
                if result.is_none() {
                    continue;
                }
                for item in result.try_iter()? {
                    for (column, value) in cells.iter_mut().zip(self.fields(&row_class, item?)?) {
                        column.push(value);
                    }
                    input_rows.push(row as u32);
                }
            }
            let columns = cells
                .iter()
                .zip(&self.types)
                .map(|(values, ty)| crate::table_values::column_of(&self.name, ty, values))
                .collect::<PyResult<Vec<_>>>()?;
            Ok(TableRows { input_rows: UInt32Array::from(input_rows), columns })
        })?;
        Ok(produced)
    }
}
