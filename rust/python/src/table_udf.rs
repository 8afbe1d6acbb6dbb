//! Python scalar functions as DataFusion scalar UDFs: SQL operators call them on whole Arrow
//! batches; the bridge takes the GIL once per batch, converts each row's arguments to Python
//! values, calls the function, and converts the results back to a column of the declared type.

use std::hash::{Hash, Hasher};
use std::sync::Arc;

use arrow::array::ArrayRef;
use arrow::datatypes::DataType;
use datafusion_common::{DataFusionError, Result};
use datafusion_expr::{ColumnarValue, ScalarFunctionArgs, ScalarUDF, ScalarUDFImpl, Signature, Volatility};
use oxflow_sql::types::Typed;
use pyo3::prelude::*;
use pyo3::types::PyTuple;

pub struct PythonScalarFunction {
    name: String,
    function: Py<PyAny>,
    signature: Signature,
    result: Typed,
}

impl std::fmt::Debug for PythonScalarFunction {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "PythonScalarFunction({})", self.name)
    }
}

impl PartialEq for PythonScalarFunction {
    fn eq(&self, other: &Self) -> bool {
        self.name == other.name && self.function.as_ptr() == other.function.as_ptr()
    }
}

impl Eq for PythonScalarFunction {}

impl Hash for PythonScalarFunction {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.name.hash(state);
        (self.function.as_ptr() as usize).hash(state);
    }
}

impl PythonScalarFunction {
    /// `inputs`: the declared argument types (`None`: any); `deterministic: false` keeps the
    /// planner from folding calls with constant arguments.
    pub fn udf(name: String, function: Py<PyAny>, inputs: Option<Vec<Typed>>, result: Typed, deterministic: bool) -> ScalarUDF {
        let volatility = if deterministic { Volatility::Immutable } else { Volatility::Volatile };
        let signature = match inputs {
            Some(types) => Signature::exact(types.iter().map(|t| t.ty.to_arrow()).collect(), volatility),
            None => Signature::variadic_any(volatility),
        };
        ScalarUDF::from(PythonScalarFunction { name, function, signature, result })
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

pub fn registered(name: &str, function: Py<PyAny>, inputs: Option<Vec<Typed>>, result: Typed, deterministic: bool) -> Arc<ScalarUDF> {
    Arc::new(PythonScalarFunction::udf(name.to_string(), function, inputs, result, deterministic))
}
