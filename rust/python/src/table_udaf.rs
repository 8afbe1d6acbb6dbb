//! Python aggregate functions as DataFusion aggregate UDFs, so SQL's GROUP BY and window
//! aggregation run them like built-in aggregates.
//!
//! - General (`AggregateFunction`): the accumulator is the function's Python accumulator object;
//!   `update_batch`/`retract_batch` call `accumulate`/`retract` for each row of the batch inside
//!   one GIL acquisition; `state()` is the pickled accumulator, which `merge_batch` unpickles
//!   and hands to the function's `merge`.
//! - Pandas: the accumulator keeps the rows' Arrow arrays; `evaluate` passes them to the
//!   function as one `pandas.Series` per argument (through the Arrow C data interface) and takes
//!   the scalar it returns. Its state is the kept values (a list per argument).

use std::sync::Arc;

use arrow::array::{Array, ArrayRef, AsArray, ListArray};
use arrow::buffer::OffsetBuffer;
use arrow::datatypes::{DataType, Field, FieldRef};
use datafusion_common::{DataFusionError, Result, ScalarValue};
use datafusion_expr::function::{AccumulatorArgs, StateFieldsArgs};
use datafusion_expr::{Accumulator, AggregateUDF, AggregateUDFImpl, Signature, Volatility};
use oxflow_sql::types::Typed;
use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyList, PyTuple};

use crate::arrow_ffi::{pyarrow, to_pyarrow};

fn external(e: PyErr) -> DataFusionError {
    DataFusionError::External(Box::new(e))
}

pub struct PythonAggregateFunction {
    name: String,
    /// General: the `AggregateFunction` object; pandas: the callable taking one
    /// `pyarrow.Array` per argument and returning the aggregate's value.
    function: Py<PyAny>,
    signature: Signature,
    result: Typed,
    pandas: bool,
    retracts: bool,
}

crate::py_function::python_function_identity!(PythonAggregateFunction);

/// A registrable aggregate: `inputs` the declared argument types (`None`: any); `retracts`:
/// the function implements `retract` (without it, it cannot consume updating input).
pub fn registered(name: &str, function: Py<PyAny>, inputs: Option<Vec<Typed>>, result: Typed, pandas: bool, retracts: bool) -> Arc<AggregateUDF> {
    let signature = crate::py_function::signature(inputs, Volatility::Immutable);
    let f = PythonAggregateFunction { name: name.to_string(), function, signature, result, pandas, retracts: retracts && !pandas };
    Arc::new(AggregateUDF::from(f))
}

impl AggregateUDFImpl for PythonAggregateFunction {
    fn name(&self) -> &str {
        &self.name
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn return_type(&self, _arg_types: &[DataType]) -> Result<DataType> {
        Ok(self.result.ty.to_arrow())
    }

    fn accumulator(&self, args: AccumulatorArgs) -> Result<Box<dyn Accumulator>> {
        let function = Python::attach(|py| self.function.clone_ref(py));
        if self.pandas {
            let types = args.expr_fields.iter().map(|f| f.data_type().clone()).collect::<Vec<_>>();
            return Ok(Box::new(PandasAccumulator { name: self.name.clone(), function, result: self.result.clone(), values: vec![Vec::new(); types.len()], types }));
        }
        let acc = Python::attach(|py| function.bind(py).call_method0("create_accumulator").map(Bound::unbind)).map_err(external)?;
        Ok(Box::new(GeneralAccumulator { name: self.name.clone(), function, acc, result: self.result.clone(), retracts: self.retracts }))
    }

    fn state_fields(&self, args: StateFieldsArgs) -> Result<Vec<FieldRef>> {
        if self.pandas {
            return Ok(args
                .input_fields
                .iter()
                .enumerate()
                .map(|(i, f)| Arc::new(Field::new_list(format!("{}_values{i}", args.name), Field::new_list_field(f.data_type().clone(), true), true)))
                .collect());
        }
        Ok(vec![Arc::new(Field::new(format!("{}_accumulator", args.name), DataType::Binary, true))])
    }
}

/// The aggregate's Python value as a scalar of its declared type.
fn scalar_of(name: &str, result: &Typed, value: &Bound<'_, PyAny>) -> Result<ScalarValue> {
    let column = crate::table_values::column_of(name, result, std::slice::from_ref(value)).map_err(external)?;
    ScalarValue::try_from_array(&column, 0)
}

#[derive(Debug)]
struct GeneralAccumulator {
    name: String,
    function: Py<PyAny>,
    acc: Py<PyAny>,
    result: Typed,
    retracts: bool,
}

impl GeneralAccumulator {
    /// Calls `method(acc, *row)` for every row of `values`.
    fn each_row(&self, method: &str, values: &[ArrayRef]) -> Result<()> {
        let rows = values.first().map_or(0, |v| v.len());
        Python::attach(|py| -> PyResult<()> {
            let f = self.function.bind(py).getattr(method)?;
            let acc = self.acc.bind(py);
            for row in crate::table_values::columns_to_python(py, values, rows)? {
                let mut args = Vec::with_capacity(row.len() + 1);
                args.push(acc.clone());
                args.extend(row);
                f.call1(PyTuple::new(py, args)?)?;
            }
            Ok(())
        })
        .map_err(external)
    }
}

impl Accumulator for GeneralAccumulator {
    fn update_batch(&mut self, values: &[ArrayRef]) -> Result<()> {
        self.each_row("accumulate", values)
    }

    fn retract_batch(&mut self, values: &[ArrayRef]) -> Result<()> {
        self.each_row("retract", values)
    }

    fn supports_retract_batch(&self) -> bool {
        self.retracts
    }

    fn evaluate(&mut self) -> Result<ScalarValue> {
        Python::attach(|py| {
            let value = self.function.bind(py).call_method1("get_value", (self.acc.bind(py),)).map_err(external)?;
            scalar_of(&self.name, &self.result, &value)
        })
    }

    fn size(&self) -> usize {
        std::mem::size_of_val(self)
    }

    fn state(&mut self) -> Result<Vec<ScalarValue>> {
        Python::attach(|py| -> PyResult<Vec<ScalarValue>> {
            let bytes = py.import("pickle")?.call_method1("dumps", (self.acc.bind(py),))?;
            Ok(vec![ScalarValue::Binary(Some(bytes.cast::<PyBytes>()?.as_bytes().to_vec()))])
        })
        .map_err(external)
    }

    fn merge_batch(&mut self, states: &[ArrayRef]) -> Result<()> {
        let Some(states) = states.first() else { return Ok(()) };
        let states = states.as_binary::<i32>();
        Python::attach(|py| -> PyResult<()> {
            let f = self.function.bind(py);
            let loads = py.import("pickle")?.getattr("loads")?;
            let others = PyList::empty(py);
            for state in states.iter().flatten() {
                others.append(loads.call1((PyBytes::new(py, state),))?)?;
            }
            f.call_method1("merge", (self.acc.bind(py), others))?;
            Ok(())
        })
        .map_err(external)
    }
}

#[derive(Debug)]
struct PandasAccumulator {
    name: String,
    function: Py<PyAny>,
    result: Typed,
    types: Vec<DataType>,
    /// The accumulated rows' arrays, per argument.
    values: Vec<Vec<ArrayRef>>,
}

impl PandasAccumulator {
    /// Each argument's accumulated values as one array.
    fn columns(&self) -> Result<Vec<ArrayRef>> {
        self.values
            .iter()
            .zip(&self.types)
            .map(|(parts, ty)| {
                if parts.is_empty() {
                    return Ok(arrow::array::new_empty_array(ty));
                }
                let refs: Vec<&dyn Array> = parts.iter().map(|a| a.as_ref()).collect();
                Ok(arrow::compute::concat(&refs)?)
            })
            .collect()
    }
}

impl Accumulator for PandasAccumulator {
    fn update_batch(&mut self, values: &[ArrayRef]) -> Result<()> {
        for (kept, v) in self.values.iter_mut().zip(values) {
            if !v.is_empty() {
                kept.push(v.clone());
            }
        }
        Ok(())
    }

    fn evaluate(&mut self) -> Result<ScalarValue> {
        let columns = self.columns()?;
        Python::attach(|py| {
            let value = (|| -> PyResult<Bound<'_, PyAny>> {
                let pa = pyarrow(py, &format!("the pandas aggregate function {}", self.name))?;
                let arrays = columns.iter().map(|c| to_pyarrow(&pa, c)).collect::<PyResult<Vec<_>>>()?;
                self.function.bind(py).call1(PyTuple::new(py, arrays)?)
            })()
            .map_err(external)?;
            scalar_of(&self.name, &self.result, &value)
        })
    }

    fn size(&self) -> usize {
        self.values.iter().flatten().map(|a| a.get_array_memory_size()).sum::<usize>() + std::mem::size_of_val(self)
    }

    fn state(&mut self) -> Result<Vec<ScalarValue>> {
        self.columns()?
            .into_iter()
            .map(|values| {
                let field = Arc::new(Field::new_list_field(values.data_type().clone(), true));
                let list = ListArray::try_new(field, OffsetBuffer::from_lengths([values.len()]), values, None)?;
                Ok(ScalarValue::List(Arc::new(list)))
            })
            .collect()
    }

    fn merge_batch(&mut self, states: &[ArrayRef]) -> Result<()> {
        for (kept, state) in self.values.iter_mut().zip(states) {
            let lists = state.as_list::<i32>();
            for row in 0..lists.len() {
                if lists.is_valid(row) {
                    kept.push(lists.value(row));
                }
            }
        }
        Ok(())
    }
}
