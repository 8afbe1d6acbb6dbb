//! `FROM t MATCH_RECOGNIZE (...)` to a [`Node::MatchRecognize`]: the pattern (see
//! [`super::match_pattern`]), and DEFINE conditions and MEASURES as DataFusion expressions over
//! "slots": the values the navigation in them reads from a (partial) match — a variable's row
//! (`A.price`, `LAST(A.price, 1)`, `FIRST(A.price)`), an aggregate over a variable's rows
//! (`AVG(A.price)`) or `MATCH_ROWTIME()`. The operator fills the slots from each match and
//! evaluates the expressions on them (see [`crate::exec::match_recognize`]).

use std::ops::ControlFlow;
use std::sync::Arc;

use arrow::compute::SortOptions;
use arrow::datatypes::{DataType, SchemaRef};
use datafusion_expr::{Expr, ExprSchemable};
use datafusion_sql::sqlparser::ast::{
    self, AfterMatchSkip, FunctionArg, FunctionArgExpr, FunctionArguments, Ident, RowsPerMatch, TableFactor, VisitMut, VisitorMut,
};

use super::aggregate::{field, flink_result_type};
use super::expr::column;
use super::match_pattern::{compile, Element};
use super::window::interval_ms;
use super::{AggregateCall, Node, PhysExpr, PlanColumn, PlanSchema, Planned, Planner, TimeAttribute};
use crate::error::{Result, SqlError};
use crate::exec::match_nfa::Skip;
use crate::parse::match_within::WITHIN_SYMBOL;
use crate::types::{SqlType, Typed};

/// What a slot of an expression reads from a match.
#[derive(Clone, Debug)]
pub enum Slot {
    /// Column `column` (of the stored row) of the `offset`-th row from the end (`last`) or the
    /// start of the rows of `var` (any variable: `None`).
    Row { var: Option<usize>, last: bool, offset: usize, column: usize },
    /// An aggregate over column `column` of the rows of `var`.
    Aggregate { var: Option<usize>, call: AggregateCall, column: usize },
    /// The time of the match's last row.
    MatchRowtime,
}

/// A DEFINE condition or a measure: `expr` over a batch whose columns are the slots' values.
#[derive(Clone, Debug)]
pub struct NavExpr {
    pub slots: Vec<Slot>,
    pub schema: SchemaRef,
    pub expr: PhysExpr,
}

#[derive(Clone, Debug)]
pub struct MatchSpec {
    pub partition: Vec<PhysExpr>,
    pub partition_types: Vec<DataType>,
    pub time_column: usize,
    pub time: PhysExpr,
    pub proctime: bool,
    /// The ORDER BY columns after the time attribute (order of rows with equal times).
    pub secondary: Vec<(PhysExpr, DataType, SortOptions)>,
    pub pattern: Vec<Element>,
    pub variables: Vec<String>,
    /// The columns kept of every row: the input's, then the arguments of aggregates.
    pub stored: Vec<PhysExpr>,
    pub stored_schema: SchemaRef,
    /// Per variable (none: any row).
    pub defines: Vec<Option<NavExpr>>,
    pub measures: Vec<NavExpr>,
    pub skip: Skip,
    pub within_ms: Option<i64>,
    pub ltz: bool,
}

impl MatchSpec {
    pub fn explain(&self) -> String {
        let pattern: Vec<String> = self
            .pattern
            .iter()
            .map(|e| {
                let q = match (e.min, e.max) {
                    (1, Some(1)) => String::new(),
                    (n, Some(m)) if n == m => format!("{{{n}}}"),
                    (n, Some(m)) => format!("{{{n},{m}}}"),
                    (n, None) => format!("{{{n},}}"),
                };
                let reluctant = if !e.greedy && e.max != Some(e.min) { "?" } else { "" };
                format!("{}{q}{reluctant}", self.variables[e.var])
            })
            .collect();
        format!("Match(pattern=[{}], after=[{:?}])", pattern.join(" "), self.skip)
    }
}

fn unsupported(msg: &str) -> SqlError {
    SqlError::Unsupported(msg.to_string())
}

impl Planner<'_> {
    pub(super) fn plan_match_recognize(&self, f: &TableFactor) -> Result<Planned> {
        let TableFactor::MatchRecognize { table, partition_by, order_by, measures, rows_per_match, after_match_skip, pattern, symbols, alias } = f else {
            unreachable!("a MATCH_RECOGNIZE")
        };
        let input = self.plan_factor(table)?;
        if input.updating {
            return Err(unsupported("Match Recognize doesn't support consuming update and delete changes"));
        }
        if matches!(rows_per_match, Some(RowsPerMatch::AllRows(_))) {
            return Err(unsupported("All rows per match mode is not supported yet."));
        }
        let schema = &input.schema;
        // ORDER BY: a time attribute ascending first.
        let first = order_by.first().ok_or_else(|| unsupported("You must specify either rowtime or proctime for order by."))?;
        let time_column = match &first.expr {
            ast::Expr::Identifier(i) => schema.index_of(&i.value),
            ast::Expr::CompoundIdentifier(p) => p.last().and_then(|i| schema.index_of(&i.value)),
            _ => None,
        }
        .filter(|&i| schema.columns[i].time.is_some())
        .ok_or_else(|| unsupported("You must specify either rowtime or proctime for order by as the first one."))?;
        if first.options.asc == Some(false) {
            return Err(unsupported("Primary sort order of a streaming table must be ascending on time."));
        }
        let proctime = schema.columns[time_column].time == Some(TimeAttribute::Proctime);
        let secondary = order_by[1..]
            .iter()
            .map(|o| {
                let (e, col) = self.exprs().plan(&o.expr, schema, "$order")?;
                let options = SortOptions { descending: o.options.asc == Some(false), nulls_first: o.options.nulls_first.unwrap_or(o.options.asc != Some(false)) };
                Ok((e, col.ty.ty.to_arrow(), options))
            })
            .collect::<Result<Vec<_>>>()?;
        let mut out_columns = Vec::new();
        let mut partition = Vec::new();
        for p in partition_by {
            let (e, mut col) = self.exprs().plan(p, schema, &super::query::default_name(p, out_columns.len()))?;
            col.time = None;
            col.qualifier = None;
            partition.push(e);
            out_columns.push(col);
        }
        let partition_types = out_columns.iter().map(|c| c.ty.ty.to_arrow()).collect();

        let (elements, variables) = compile(pattern)?;
        let var_of = |name: &Ident| variables.iter().position(|v| v == &name.value);
        let skip = match after_match_skip {
            None | Some(AfterMatchSkip::PastLastRow) => Skip::PastLastRow,
            Some(AfterMatchSkip::ToNextRow) => Skip::ToNextRow,
            Some(AfterMatchSkip::ToFirst(v)) => Skip::ToFirst(var_of(v).ok_or_else(|| unknown_pattern(v))?),
            Some(AfterMatchSkip::ToLast(v)) => Skip::ToLast(var_of(v).ok_or_else(|| unknown_pattern(v))?),
        };

        let mut ctx = Slots {
            planner: self,
            input: schema,
            variables: &variables,
            stored: (0..schema.columns.len()).map(|i| column(schema, i)).collect(),
            stored_types: schema.columns.iter().map(|c| Typed { ty: c.ty.ty.clone(), nullable: true }).collect(),
        };
        let mut within_ms = None;
        let mut defines: Vec<Option<NavExpr>> = vec![None; variables.len()];
        for s in symbols {
            if s.symbol.value == WITHIN_SYMBOL {
                let logical = self.exprs().logical(&s.definition, &PlanSchema::default())?;
                let refuse = || unsupported("Only constant intervals with millisecond resolution are supported as time constraints of patterns.");
                let ms = match &logical {
                    Expr::Literal(datafusion_common::ScalarValue::IntervalMonthDayNano(Some(v)), _) if v.months != 0 => return Err(refuse()),
                    _ => interval_ms(&logical, "WITHIN").map_err(|_| refuse())?,
                };
                within_ms = Some(ms);
                continue;
            }
            // Flink accepts (and ignores) definitions of variables the pattern does not use.
            let Some(v) = var_of(&s.symbol) else { continue };
            let nav = ctx.plan(&s.definition, &format!("{}", s.symbol))?;
            defines[v] = Some(nav);
        }
        for (v, d) in defines.iter().enumerate() {
            if let Some(d) = d {
                let ty = d.expr.data_type(&d.schema)?;
                if ty != DataType::Boolean {
                    return Err(SqlError::Validation(format!("DEFINE of {} must be a condition, but is of type {ty}", variables[v])));
                }
            }
        }
        let mut measure_exprs = Vec::new();
        for m in measures {
            let nav = ctx.plan(&m.expr, &m.alias.value)?;
            let f = nav.expr.return_field(&nav.schema)?;
            let is_rowtime = matches!(&m.expr, ast::Expr::Function(f) if f.name.to_string().eq_ignore_ascii_case("MATCH_ROWTIME"));
            out_columns.push(PlanColumn {
                name: m.alias.value.clone(),
                qualifier: None,
                ty: Typed { ty: SqlType::from_arrow(f.data_type())?, nullable: f.is_nullable() },
                time: is_rowtime.then_some(TimeAttribute::Rowtime),
            });
            measure_exprs.push(nav);
        }
        let stored_schema = PlanSchema {
            columns: ctx.stored_types.iter().enumerate().map(|(i, t)| PlanColumn { name: format!("s{i}"), qualifier: None, ty: t.clone(), time: None }).collect(),
        }
        .arrow();
        let stored = std::mem::take(&mut ctx.stored);
        let ltz = matches!(schema.columns[time_column].ty.ty, SqlType::TimestampLtz(_));
        let spec = MatchSpec {
            partition,
            partition_types,
            time_column,
            time: column(schema, time_column),
            proctime,
            secondary,
            pattern: elements,
            variables,
            stored,
            stored_schema,
            defines,
            measures: measure_exprs,
            skip,
            within_ms,
            ltz,
        };
        let mut out = PlanSchema { columns: out_columns };
        if let Some(a) = alias {
            out = out.with_qualifier(&a.name.value);
        }
        Ok(Planned { node: Node::MatchRecognize { input: Box::new(input), spec: Arc::new(spec) }, schema: out, updating: false })
    }
}

fn unknown_pattern(v: &Ident) -> SqlError {
    SqlError::Validation(format!("Unknown pattern '{}'", v.value))
}

/// Plans expressions of MATCH_RECOGNIZE over slots; keeps the stored columns they need.
struct Slots<'a, 'p> {
    planner: &'a Planner<'p>,
    input: &'a PlanSchema,
    variables: &'a [String],
    stored: Vec<PhysExpr>,
    stored_types: Vec<Typed>,
}

impl Slots<'_, '_> {
    fn plan(&mut self, e: &ast::Expr, name: &str) -> Result<NavExpr> {
        let mut rewriter = Rewriter { owner: self, slots: Vec::new(), columns: Vec::new(), error: None };
        let mut e = e.clone();
        let _ = e.visit(&mut rewriter);
        if let Some(err) = rewriter.error {
            return Err(err);
        }
        let (slots, columns) = (rewriter.slots, rewriter.columns);
        let schema = PlanSchema { columns };
        let (expr, _) = self.planner.exprs().plan(&e, &schema, name)?;
        Ok(NavExpr { slots, schema: schema.arrow(), expr })
    }

    fn var(&self, q: &Ident) -> Result<usize> {
        self.variables.iter().position(|v| v == &q.value).ok_or_else(|| SqlError::NotFound(format!("Table '{}' not found", q.value)))
    }

    fn input_column(&self, c: &Ident) -> Result<usize> {
        self.input.index_of(&c.value).ok_or_else(|| {
            SqlError::NotFound(format!("Column '{}' not found in any table; available columns are: [{}]", c.value, self.input.names().join(", ")))
        })
    }

    /// `A.price` or `price` (any variable) as a variable and a column.
    fn reference(&self, e: &ast::Expr) -> Result<(Option<usize>, usize)> {
        match e {
            ast::Expr::Identifier(c) => Ok((None, self.input_column(c)?)),
            ast::Expr::CompoundIdentifier(p) if p.len() == 2 => Ok((Some(self.var(&p[0])?), self.input_column(&p[1])?)),
            other => Err(SqlError::Validation(format!("expected a pattern variable's column such as A.price, found {other}"))),
        }
    }

    /// An aggregate over one variable's rows: its argument becomes a stored column.
    fn aggregate(&mut self, f: &ast::Function, whole: &ast::Expr) -> Result<Slot> {
        let args = function_args(f);
        let mut vars = Vec::new();
        let mut arg = match args.as_slice() {
            [] => ast::Expr::Value(ast::Value::Number("1".into(), false).into()),
            [a] => (*a).clone(),
            _ => return Err(unsupported(&format!("Aggregates over pattern variables take one argument: {whole}"))),
        };
        let _ = ast::visit_expressions_mut(&mut arg, |x: &mut ast::Expr| {
            if let ast::Expr::CompoundIdentifier(p) = x {
                if p.len() == 2 && self.variables.contains(&p[0].value) {
                    if !vars.contains(&p[0].value) {
                        vars.push(p[0].value.clone());
                    }
                    *x = ast::Expr::Identifier(p[1].clone());
                }
            }
            ControlFlow::<()>::Continue(())
        });
        if vars.len() > 1 {
            return Err(SqlError::Validation(format!("Multiple pattern variables in '{whole}'")));
        }
        let var = vars.first().map(|v| self.variables.iter().position(|x| x == v).expect("a variable"));
        let (arg_expr, arg_col) = self.planner.exprs().plan(&arg, self.input, "$arg")?;
        let column = self.stored.len();
        self.stored.push(arg_expr);
        self.stored_types.push(Typed { ty: arg_col.ty.ty.clone(), nullable: true });
        // The call over its argument alone (a one-column schema): the accumulator is fed the
        // argument's values directly.
        let arg_schema = PlanSchema { columns: vec![PlanColumn { name: "__arg".into(), qualifier: None, ty: Typed { ty: arg_col.ty.ty.clone(), nullable: true }, time: None }] };
        let mut call = f.clone();
        if let FunctionArguments::List(l) = &mut call.args {
            l.args = vec![FunctionArg::Unnamed(FunctionArgExpr::Expr(ast::Expr::Identifier(Ident::new("__arg"))))];
        }
        let logical = self.planner.exprs().logical(&ast::Expr::Function(call), &arg_schema)?;
        let Expr::AggregateFunction(af) = &logical else {
            return Err(SqlError::Validation(format!("'{whole}' is not an aggregate call")));
        };
        if af.params.distinct || af.params.filter.is_some() {
            return Err(unsupported(&format!("DISTINCT and FILTER are not supported in aggregates over pattern variables: {whole}")));
        }
        let df = arg_schema.df()?;
        let dt = logical.to_field(&df)?.1.data_type().clone();
        let name = af.func.name().to_string();
        let output = Typed { ty: flink_result_type(&name, Some(&arg_col.ty.ty), &dt)?, nullable: name != "count" };
        let arg_fields = af.params.args.iter().map(|a| Ok(Arc::new(a.to_field(&df)?.1.as_ref().clone()))).collect::<Result<Vec<_>>>()?;
        let call = AggregateCall {
            func: af.func.clone(),
            args: af.params.args.iter().map(|a| self.planner.exprs().physical(a, &arg_schema)).collect::<Result<Vec<_>>>()?,
            arg_fields,
            distinct: false,
            filter: None,
            return_field: field(&name, &Typed { ty: SqlType::from_arrow(&dt)?, nullable: true }),
            output,
            input_schema: arg_schema.arrow(),
            name,
            user_code: self.planner.functions.is_user(af.func.name()),
        };
        Ok(Slot::Aggregate { var, call, column })
    }
}

fn function_args(f: &ast::Function) -> Vec<&ast::Expr> {
    match &f.args {
        FunctionArguments::List(l) => l
            .args
            .iter()
            .filter_map(|a| match a {
                FunctionArg::Unnamed(FunctionArgExpr::Expr(e)) => Some(e),
                _ => None,
            })
            .collect(),
        _ => Vec::new(),
    }
}

fn offset_arg(e: Option<&&ast::Expr>) -> Result<usize> {
    match e {
        None => Ok(0),
        Some(ast::Expr::Value(v)) => match &v.value {
            ast::Value::Number(n, _) => n.parse().map_err(|_| SqlError::Validation(format!("expected a row offset, found {n}"))),
            other => Err(SqlError::Validation(format!("expected a row offset, found {other}"))),
        },
        Some(other) => Err(SqlError::Validation(format!("expected a constant row offset, found {other}"))),
    }
}

/// Replaces navigation (and plain column references) by slot columns `__s<i>`.
struct Rewriter<'s, 'a, 'p> {
    owner: &'s mut Slots<'a, 'p>,
    slots: Vec<Slot>,
    columns: Vec<PlanColumn>,
    error: Option<SqlError>,
}

impl Rewriter<'_, '_, '_> {
    fn slot(&mut self, slot: Slot) -> Result<ast::Expr> {
        let (ty, time) = match &slot {
            Slot::Row { column, .. } => (self.owner.stored_types[*column].clone(), None),
            Slot::Aggregate { call, .. } => (call.output.clone(), None),
            Slot::MatchRowtime => (
                Typed { ty: if matches!(self.owner.input.columns.iter().find(|c| c.time.is_some()).map(|c| &c.ty.ty), Some(SqlType::TimestampLtz(_))) { SqlType::TimestampLtz(3) } else { SqlType::Timestamp(3) }, nullable: false },
                Some(TimeAttribute::Rowtime),
            ),
        };
        let name = format!("__s{}", self.slots.len());
        self.slots.push(slot);
        self.columns.push(PlanColumn { name: name.clone(), qualifier: None, ty, time });
        Ok(ast::Expr::Identifier(Ident::new(name)))
    }

    fn rewrite(&mut self, e: &ast::Expr) -> Result<Option<ast::Expr>> {
        Ok(Some(match e {
            ast::Expr::Identifier(i) if i.value.starts_with("__s") => return Ok(None),
            ast::Expr::Identifier(_) | ast::Expr::CompoundIdentifier(_) => {
                let (var, column) = self.owner.reference(e)?;
                self.slot(Slot::Row { var, last: true, offset: 0, column })?
            }
            ast::Expr::Function(f) => {
                let name = f.name.to_string().to_ascii_uppercase();
                let args = function_args(f);
                match name.as_str() {
                    "FIRST" | "LAST" => {
                        let (var, column) = self.owner.reference(args.first().ok_or_else(|| SqlError::Validation(format!("{name} needs a column argument")))?)?;
                        let offset = offset_arg(args.get(1))?;
                        self.slot(Slot::Row { var, last: name == "LAST", offset, column })?
                    }
                    "PREV" | "NEXT" => {
                        let offset = if args.len() > 1 { offset_arg(args.get(1))? } else { 1 };
                        if offset != 0 {
                            return Err(unsupported("Flink does not support physical offsets within partition."));
                        }
                        let (var, column) = self.owner.reference(args[0])?;
                        self.slot(Slot::Row { var, last: true, offset: 0, column })?
                    }
                    "MATCH_ROWTIME" => self.slot(Slot::MatchRowtime)?,
                    "CLASSIFIER" | "MATCH_NUMBER" | "MATCH_PROCTIME" | "RUNNING" | "FINAL" => {
                        return Err(unsupported(&format!("Unsupported call: {name}()")));
                    }
                    _ if self.owner.planner.functions.is_aggregate(&name) => {
                        let slot = self.owner.aggregate(f, e)?;
                        self.slot(slot)?
                    }
                    _ => return Ok(None),
                }
            }
            _ => return Ok(None),
        }))
    }
}

impl VisitorMut for Rewriter<'_, '_, '_> {
    type Break = ();

    fn pre_visit_expr(&mut self, e: &mut ast::Expr) -> ControlFlow<()> {
        match self.rewrite(e) {
            Ok(Some(replaced)) => {
                *e = replaced;
                ControlFlow::Continue(())
            }
            Ok(None) => ControlFlow::Continue(()),
            Err(err) => {
                self.error = Some(err);
                ControlFlow::Break(())
            }
        }
    }
}
