//! FROM items joined with a table function of their rows (Flink's correlate):
//! `FROM t, LATERAL TABLE(split(t.s)) AS T(word, len)`, `CROSS JOIN LATERAL TABLE(...)`,
//! `JOIN LATERAL TABLE(...) ON cond` and `LEFT JOIN LATERAL TABLE(...) ON TRUE` (rows for which
//! the function produces nothing are kept, with NULLs).

use std::sync::Arc;

use datafusion_sql::sqlparser::ast::{self, FunctionArg, FunctionArgExpr, FunctionArguments, JoinConstraint, JoinOperator, TableFactor, TableWithJoins};

use super::query::Planner;
use super::{Node, PlanColumn, PlanSchema, Planned};
use crate::error::{Result, SqlError};
use crate::types::Typed;

const JOINS_UNSUPPORTED: &str = "Joins are not supported yet (regular, interval, temporal and lookup joins are planned); joins with LATERAL TABLE(table_function(...)) are";

/// A `LATERAL TABLE(f(args))` FROM item: the call and its alias.
struct LateralCall<'a> {
    call: &'a ast::Function,
    alias: Option<&'a ast::TableAlias>,
}

/// Some FROM item or join of `from` is a `LATERAL TABLE(f(...))`.
pub(super) fn has_lateral_table(from: &[TableWithJoins]) -> bool {
    from.iter().any(|t| lateral_call(&t.relation).is_some() || t.joins.iter().any(|j| lateral_call(&j.relation).is_some()))
}

fn lateral_call(f: &TableFactor) -> Option<LateralCall<'_>> {
    let TableFactor::Function { lateral: true, name, args, alias, .. } = f else { return None };
    if !name.to_string().eq_ignore_ascii_case("TABLE") {
        return None;
    }
    match args.as_slice() {
        [FunctionArg::Unnamed(FunctionArgExpr::Expr(ast::Expr::Function(call)))] => Some(LateralCall { call, alias: alias.as_ref() }),
        _ => None,
    }
}

impl Planner<'_> {
    /// The FROM clause: its first item, then every further item or join, each a table function
    /// of the rows so far.
    pub(super) fn plan_from_items(&self, from: &[TableWithJoins]) -> Result<Planned> {
        let Some((first, rest)) = from.split_first() else {
            return Err(SqlError::Unsupported("SELECT without FROM is not supported yet".into()));
        };
        let mut planned = self.plan_with_joins(first)?;
        for item in rest {
            let lateral = lateral_call(&item.relation).ok_or_else(|| SqlError::Unsupported(JOINS_UNSUPPORTED.into()))?;
            planned = self.correlate(planned, &lateral, false)?;
            planned = self.joins(planned, &item.joins)?;
        }
        Ok(planned)
    }

    fn plan_with_joins(&self, t: &TableWithJoins) -> Result<Planned> {
        let planned = self.plan_factor(&t.relation)?;
        self.joins(planned, &t.joins)
    }

    fn joins(&self, mut planned: Planned, joins: &[ast::Join]) -> Result<Planned> {
        for j in joins {
            let lateral = lateral_call(&j.relation).ok_or_else(|| SqlError::Unsupported(JOINS_UNSUPPORTED.into()))?;
            planned = match &j.join_operator {
                JoinOperator::CrossJoin(JoinConstraint::None) => self.correlate(planned, &lateral, false)?,
                JoinOperator::Join(c) | JoinOperator::Inner(c) => {
                    let correlated = self.correlate(planned, &lateral, false)?;
                    match c {
                        JoinConstraint::On(cond) if !is_true(cond) => self.filter(correlated, cond, "ON")?,
                        JoinConstraint::On(_) | JoinConstraint::None => correlated,
                        other => return Err(SqlError::Unsupported(format!("A join with a table function needs ON, found {other:?}"))),
                    }
                }
                JoinOperator::Left(c) | JoinOperator::LeftOuter(c) => match c {
                    JoinConstraint::On(cond) if is_true(cond) => self.correlate(planned, &lateral, true)?,
                    _ => {
                        return Err(SqlError::Validation(
                            "LEFT JOIN LATERAL TABLE(...) only supports the join condition ON TRUE (as in Flink)".into(),
                        ))
                    }
                },
                other => return Err(SqlError::Unsupported(format!("{other:?} with a table function is not supported; use a comma, CROSS JOIN, JOIN or LEFT JOIN ... ON TRUE"))),
            };
        }
        Ok(planned)
    }

    /// `input` with every row joined to the rows `lateral` produces for it.
    fn correlate(&self, input: Planned, lateral: &LateralCall<'_>, outer: bool) -> Result<Planned> {
        let name = lateral.call.name.to_string();
        let function = self.functions.table_function(&name).ok_or_else(|| {
            let kind = if self.functions.is_aggregate(&name) { "an aggregate function" } else { "not a table function" };
            SqlError::NotFound(format!("No match found for table function '{name}' in LATERAL TABLE ({name} is {kind}; register one made by udtf)"))
        })?;
        let FunctionArguments::List(list) = &lateral.call.args else {
            return Err(SqlError::Validation(format!("LATERAL TABLE({name}) needs an argument list")));
        };
        let mut args = Vec::with_capacity(list.args.len());
        for (i, a) in list.args.iter().enumerate() {
            let FunctionArg::Unnamed(FunctionArgExpr::Expr(e)) = a else {
                return Err(SqlError::Validation(format!("Unsupported argument {a} of table function {name}")));
            };
            args.push(self.exprs().plan(e, &input.schema, &format!("$arg{i}"))?.0);
        }
        let types = function.result_types();
        let names: Vec<String> = match lateral.alias.map(|a| &a.columns) {
            Some(columns) if !columns.is_empty() => {
                if columns.len() != types.len() {
                    return Err(SqlError::Validation(format!(
                        "List of column aliases must have same degree as table; table function {name} returns {} columns, the alias list has {}",
                        types.len(),
                        columns.len()
                    )));
                }
                columns.iter().map(|c| c.name.value.clone()).collect()
            }
            _ => (0..types.len()).map(|i| format!("f{i}")).collect(),
        };
        let qualifier = lateral.alias.map(|a| a.name.value.clone());
        let mut schema = input.schema.clone();
        for (n, t) in names.into_iter().zip(types) {
            let ty = Typed { ty: t.ty.clone(), nullable: t.nullable || outer };
            schema.columns.push(PlanColumn { name: n, qualifier: qualifier.clone(), ty, time: None });
        }
        let updating = input.updating;
        Ok(Planned { node: Node::Correlate { input: Box::new(input), function: Arc::clone(&function), args, outer }, schema: PlanSchema { columns: schema.columns }, updating })
    }
}

fn is_true(e: &ast::Expr) -> bool {
    matches!(e, ast::Expr::Value(v) if matches!(v.value, ast::Value::Boolean(true)))
}
