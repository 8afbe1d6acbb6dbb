//! Aggregate calls (`SUM(amount)`, `COUNT(DISTINCT x) FILTER (WHERE ...)`): DataFusion's
//! accumulators, with results cast to the types Flink gives them (`SUM(INT)` is an INT,
//! `AVG(BIGINT)` a BIGINT, `SUM(DECIMAL(p, s))` a `DECIMAL(38, s)`).

use std::sync::Arc;

use arrow::array::ArrayRef;
use arrow::datatypes::{DataType, Field, FieldRef, SchemaRef};
use datafusion_expr::function::AccumulatorArgs;
use datafusion_expr::{Accumulator, AggregateUDF, Expr, ExprSchemable, GroupsAccumulator};
use datafusion_sql::sqlparser::ast;

use super::query::Planner;
use super::{PhysExpr, PlanSchema};
use crate::error::{Result, SqlError};
use crate::types::{SqlType, Typed};

#[derive(Clone, Debug)]
pub struct AggregateCall {
    pub func: Arc<AggregateUDF>,
    pub args: Vec<PhysExpr>,
    pub arg_fields: Vec<FieldRef>,
    pub distinct: bool,
    pub filter: Option<PhysExpr>,
    /// What DataFusion's accumulator returns.
    pub return_field: FieldRef,
    /// What Flink returns (the accumulator's result is cast to it).
    pub output: Typed,
    pub input_schema: SchemaRef,
    pub name: String,
    /// A user function: its accumulators call user code (see [`crate::exec::scope`]).
    pub user_code: bool,
}

impl AggregateCall {
    fn args(&self) -> AccumulatorArgs<'_> {
        AccumulatorArgs {
            return_field: self.return_field.clone(),
            schema: &self.input_schema,
            ignore_nulls: false,
            order_bys: &[],
            is_reversed: false,
            name: &self.name,
            is_distinct: self.distinct,
            exprs: &self.args,
            expr_fields: &self.arg_fields,
        }
    }

    pub fn accumulator(&self) -> Result<Box<dyn Accumulator>> {
        Ok(self.func.accumulator(self.args())?)
    }

    /// An accumulator for a sliding frame (an OVER window's rows leave it): DataFusion's sliding
    /// variant where the function has one (MIN/MAX keep the frame's values to retract them).
    pub fn sliding_accumulator(&self) -> Result<Box<dyn Accumulator>> {
        Ok(self.func.create_sliding_accumulator(self.args())?)
    }

    /// A vectorized accumulator over many groups, where DataFusion has one for this call.
    pub fn groups_accumulator(&self) -> Result<Option<Box<dyn GroupsAccumulator>>> {
        if self.distinct || !self.func.groups_accumulator_supported(self.args()) {
            return Ok(None);
        }
        Ok(Some(self.func.create_groups_accumulator(self.args())?))
    }

    /// The accumulator's result as Flink types it.
    pub fn finish(&self, values: ArrayRef) -> Result<ArrayRef> {
        let target = self.output.ty.to_arrow();
        if values.data_type() == &target {
            return Ok(values);
        }
        Ok(arrow::compute::cast(&values, &target)?)
    }
}

/// Flink's result type of aggregate `name` over an argument of type `arg` (DataFusion's type
/// `df` where Flink agrees).
pub fn flink_result_type(name: &str, arg: Option<&SqlType>, df: &DataType) -> Result<SqlType> {
    let df_type = SqlType::from_arrow(df)?;
    let name = name.to_ascii_lowercase();
    Ok(match (name.as_str(), arg) {
        ("count", _) => SqlType::BigInt,
        ("sum" | "sum0", Some(SqlType::Decimal(_, s))) => SqlType::Decimal(38, *s),
        ("sum" | "sum0", Some(t @ (SqlType::TinyInt | SqlType::SmallInt | SqlType::Int | SqlType::BigInt | SqlType::Float | SqlType::Double))) => t.clone(),
        ("avg", Some(SqlType::Decimal(_, s))) => SqlType::Decimal(38, (*s).max(6)),
        ("avg", Some(t @ (SqlType::TinyInt | SqlType::SmallInt | SqlType::Int | SqlType::BigInt | SqlType::Float | SqlType::Double))) => t.clone(),
        ("min" | "max" | "first_value" | "last_value", Some(t)) => t.clone(),
        _ => df_type,
    })
}

pub fn field(name: &str, ty: &Typed) -> FieldRef {
    Arc::new(Field::new(name, ty.ty.to_arrow(), ty.nullable))
}

impl Planner<'_> {
    /// The aggregate call `call` (`SUM(x)`, `COUNT(DISTINCT y)`, a user aggregate) over rows of
    /// `input`, its accumulator's column named `name`, typed as Flink types its result.
    pub(super) fn aggregate_call(&self, call: &ast::Expr, input: &PlanSchema, name: &str) -> Result<AggregateCall> {
        let logical = self.exprs().logical(call, input)?;
        let Expr::AggregateFunction(af) = &logical else {
            return Err(SqlError::Validation(format!("'{call}' is not an aggregate call")));
        };
        let df = input.df()?;
        let dt = logical.to_field(&df)?.1.data_type().clone();
        let arg_type = af.params.args.first().map(|a| a.get_type(&df)).transpose()?.map(|t| SqlType::from_arrow(&t)).transpose()?;
        let output_ty = flink_result_type(af.func.name(), arg_type.as_ref(), &dt)?;
        let nullable = !matches!(af.func.name(), "count");
        let output = Typed { ty: output_ty, nullable };
        let args = af.params.args.iter().map(|a| self.exprs().physical(a, input)).collect::<Result<Vec<_>>>()?;
        let arg_fields = af.params.args.iter().map(|a| Ok(Arc::new(a.to_field(&df)?.1.as_ref().clone()))).collect::<Result<Vec<_>>>()?;
        let filter = af.params.filter.as_ref().map(|f| self.exprs().physical(f, input)).transpose()?;
        Ok(AggregateCall {
            func: af.func.clone(),
            args,
            arg_fields,
            distinct: af.params.distinct,
            filter,
            return_field: field(name, &Typed { ty: SqlType::from_arrow(&dt)?, nullable: true }),
            output,
            input_schema: input.arrow(),
            name: name.to_string(),
            user_code: self.functions.is_user(af.func.name()),
        })
    }
}
