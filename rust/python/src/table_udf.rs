//! Python scalar functions as DataFusion scalar UDFs: SQL operators call them on whole Arrow
//! batches; the bridge takes the GIL once per batch, converts each row's arguments to Python
//! values, calls the function, and converts the results back to a column of the declared type.
//! A pandas UDF is called once per batch instead: its arguments go to Python as `pyarrow`
//! arrays through the Arrow C data interface (no per-value objects), and the array it returns
//! comes back the same way, cast to the declared type.

use std::sync::Arc;

use arrow::array::ArrayRef;
use arrow::datatypes::DataType;
use datafusion_common::{exec_err, DataFusionError, Result};
use datafusion_expr::{ColumnarValue, ScalarFunctionArgs, ScalarUDF, ScalarUDFImpl, Signature, Volatility};
use oxflow_sql::types::Typed;
use pyo3::prelude::*;
use pyo3::types::PyTuple;

use crate::arrow_ffi::{from_pyarrow, pyarrow, pyarrow_type, to_pyarrow};

pub struct PythonScalarFunction {
    name: String,
    function: Py<PyAny>,
    signature: Signature,
    result: Typed,
    /// Called once per batch with `(rows, result pyarrow type, *pyarrow arrays)`.
    pandas: bool,
}

crate::py_function::python_function_identity!(PythonScalarFunction);

impl PythonScalarFunction {
    /// `inputs`: the declared argument types (`None`: any); `deterministic: false` keeps the
    /// planner from folding calls with constant arguments.
    pub fn udf(name: String, function: Py<PyAny>, inputs: Option<Vec<Typed>>, result: Typed, deterministic: bool, pandas: bool) -> ScalarUDF {
        let volatility = if deterministic { Volatility::Immutable } else { Volatility::Volatile };
        let signature = crate::py_function::signature(inputs, volatility);
        ScalarUDF::from(PythonScalarFunction { name, function, signature, result, pandas })
    }
}

impl ScalarUDFImpl for PythonScalarFunction {
    fn name(&self) -> &str {
        &self.name
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn return_type(&self, _arg_types: &[DataType]) -> Result<DataType> {
        Ok(self.result.ty.to_arrow())
    }

    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> Result<ColumnarValue> {
        let rows = args.number_rows;
        let arrays: Vec<ArrayRef> = ColumnarValue::values_to_arrays(&args.args)?;
        if self.pandas {
            return Ok(ColumnarValue::Array(self.invoke_pandas(&arrays, rows)?));
        }
        let column = Python::attach(|py| -> PyResult<ArrayRef> {
            let f = self.function.bind(py);
            let converted = crate::table_values::columns_to_python(py, &arrays, rows)?;
            let mut results = Vec::with_capacity(rows);
            for row_args in converted {
                results.push(f.call1(PyTuple::new(py, row_args)?)?);
            }
            crate::table_values::column_of(&self.name, &self.result, &results)
        })
        .map_err(|e| DataFusionError::External(Box::new(e)))?;
        Ok(ColumnarValue::Array(column))
    }
}

impl PythonScalarFunction {
    fn invoke_pandas(&self, arrays: &[ArrayRef], rows: usize) -> Result<ArrayRef> {
        let target = self.result.ty.to_arrow();
        let column = Python::attach(|py| -> PyResult<ArrayRef> {
            let pa = pyarrow(py, &format!("the pandas UDF {}", self.name))?;
            let mut call_args = vec![rows.into_pyobject(py)?.into_any(), pyarrow_type(&pa, &target)?];
            for a in arrays {
                call_args.push(to_pyarrow(&pa, a)?);
            }
            let returned = self.function.bind(py).call1(PyTuple::new(py, call_args)?)?;
            from_pyarrow(&returned)
        })
        .map_err(|e| DataFusionError::External(Box::new(e)))?;
        if column.len() != rows {
            return exec_err!("the pandas UDF {} returned {} values for {rows} rows", self.name, column.len());
        }
        if column.data_type() == &target {
            return Ok(column);
        }
        arrow::compute::cast(&column, &target).map_err(|e| {
            DataFusionError::Execution(format!("the pandas UDF {} returned {} values, which do not convert to {}: {e}", self.name, column.data_type(), self.result))
        })
    }
}

pub fn registered(name: &str, function: Py<PyAny>, inputs: Option<Vec<Typed>>, result: Typed, deterministic: bool, pandas: bool) -> Arc<ScalarUDF> {
    Arc::new(PythonScalarFunction::udf(name.to_string(), function, inputs, result, deterministic, pandas))
}
