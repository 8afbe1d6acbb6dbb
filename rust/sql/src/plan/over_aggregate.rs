//! OVER aggregations as Flink plans them in streaming mode: `AGG(x) OVER (PARTITION BY k ORDER BY
//! time ROWS|RANGE BETWEEN ... PRECEDING AND CURRENT ROW)`, also through a named window
//! (`OVER w ... WINDOW w AS (...)`). Every aggregate of one SELECT must use the same window; the
//! ORDER BY is one time attribute, ascending; the frame ends at the current row.
//!
//! The select list is planned over an internal row: the input's columns, then one column per
//! aggregate (`__oxo0`, ...), so an OVER aggregate may be part of an expression
//! (`SUM(x) OVER w + 1`).

use std::ops::ControlFlow;

use arrow::datatypes::DataType;
use datafusion_physical_expr::expressions::Column;
use datafusion_sql::sqlparser::ast::{
    self, Expr, NamedWindowDefinition, NamedWindowExpr, SelectItem, VisitMut, VisitorMut, WindowFrameBound, WindowFrameUnits,
    WindowType,
};

use super::aggregate::{flink_result_type, AggregateCall};
use super::query::{default_name, Planner};
use super::window::interval_ms;
use super::{Node, PhysExpr, PlanColumn, PlanSchema, Planned, TimeAttribute};
use crate::error::{Result, SqlError};

/// The rows of the frame before the current row: `None` is UNBOUNDED PRECEDING.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OverFrame {
    /// `ROWS BETWEEN n PRECEDING AND CURRENT ROW`: the row and the `n` before it (time order,
    /// rows of equal time in arrival order).
    Rows(Option<u64>),
    /// `RANGE BETWEEN INTERVAL ... PRECEDING AND CURRENT ROW`: rows whose time is at most the
    /// interval (ms) before the row's; rows of equal time are peers with one result.
    Range(Option<i64>),
}

impl std::fmt::Display for OverFrame {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            OverFrame::Rows(None) => write!(f, "ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW"),
            OverFrame::Rows(Some(n)) => write!(f, "ROWS BETWEEN {n} PRECEDING AND CURRENT ROW"),
            OverFrame::Range(None) => write!(f, "RANGE BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW"),
            OverFrame::Range(Some(ms)) => write!(f, "RANGE BETWEEN {ms} PRECEDING AND CURRENT ROW"),
        }
    }
}

/// One OVER window and its aggregates over the input's rows: the output is the input's columns,
/// then one column per aggregate.
#[derive(Clone, Debug)]
pub struct OverSpec {
    pub partition: Vec<PhysExpr>,
    pub partition_types: Vec<DataType>,
    /// The input column of the ORDER BY time attribute, and which kind it is.
    pub time_column: usize,
    pub time: TimeAttribute,
    pub frame: OverFrame,
    pub aggregates: Vec<AggregateCall>,
}

impl OverSpec {
    pub fn explain(&self) -> String {
        format!(
            "OverAggregate(orderBy=[{} ASC], window=[{}], select=[{}])",
            if self.time == TimeAttribute::Rowtime { "ROWTIME" } else { "PROCTIME" },
            self.frame,
            self.aggregates.iter().map(|a| a.func.name().to_ascii_uppercase()).collect::<Vec<_>>().join(", ")
        )
    }
}

/// The name of the internal column of the `j`th OVER aggregate.
fn over_column(j: usize) -> String {
    format!("__oxo{j}")
}

/// Function names Flink plans as ranking (see [`super::rank`]), not as aggregates.
fn is_ranking(f: &ast::Function) -> bool {
    let name = f.name.to_string().to_ascii_uppercase();
    matches!(name.as_str(), "ROW_NUMBER" | "RANK" | "DENSE_RANK" | "NTILE" | "PERCENT_RANK" | "CUME_DIST")
}

/// The window calls (`f(...) OVER ...`) in the select list.
fn window_calls(items: &[SelectItem]) -> Vec<ast::Function> {
    let mut calls = Vec::new();
    for item in items {
        let _ = ast::visit_expressions(item, |e: &Expr| {
            if let Expr::Function(f) = e {
                if f.over.is_some() {
                    calls.push(f.clone());
                }
            }
            ControlFlow::<()>::Continue(())
        });
    }
    calls
}

/// The SELECT computes an OVER aggregation (an aggregate function with OVER), rather than only
/// rankings (which [`super::rank`] plans).
pub(super) fn is_over_aggregation(s: &ast::Select) -> bool {
    window_calls(&s.projection).iter().any(|f| !is_ranking(f))
}

fn same_window_error() -> SqlError {
    SqlError::Unsupported(
        "Over Agg: Unsupported use of OVER windows. All aggregates must be computed on the same window. please re-check the over window statement.".into(),
    )
}

/// The window specification an OVER clause names, with named windows (`OVER w`, `OVER (w ...)`)
/// resolved against the WINDOW clause.
fn resolve(over: &WindowType, named: &[NamedWindowDefinition], depth: usize) -> Result<ast::WindowSpec> {
    if depth > named.len() {
        return Err(SqlError::Validation("The WINDOW clause's windows refer to each other in a cycle".into()));
    }
    let lookup = |name: &ast::Ident| -> Result<ast::WindowSpec> {
        let def = named
            .iter()
            .find(|d| d.0.value.eq_ignore_ascii_case(&name.value))
            .ok_or_else(|| SqlError::Validation(format!("Window '{name}' not found (define it in the WINDOW clause)")))?;
        match &def.1 {
            NamedWindowExpr::NamedWindow(other) => resolve(&WindowType::NamedWindow(other.clone()), named, depth + 1),
            NamedWindowExpr::WindowSpec(spec) => resolve(&WindowType::WindowSpec(spec.clone()), named, depth + 1),
        }
    };
    match over {
        WindowType::NamedWindow(name) => lookup(name),
        WindowType::WindowSpec(spec) => {
            let Some(base) = &spec.window_name else { return Ok(spec.clone()) };
            // `OVER (w ORDER BY ...)`: the named window refined by what the clause adds.
            let mut merged = lookup(base)?;
            if !spec.partition_by.is_empty() {
                merged.partition_by = spec.partition_by.clone();
            }
            if !spec.order_by.is_empty() {
                merged.order_by = spec.order_by.clone();
            }
            if spec.window_frame.is_some() {
                merged.window_frame = spec.window_frame.clone();
            }
            Ok(merged)
        }
    }
}

/// Replaces each window call by its internal column, collecting the distinct calls.
struct Rewriter {
    calls: Vec<ast::Function>,
}

impl VisitorMut for Rewriter {
    type Break = ();

    fn pre_visit_expr(&mut self, expr: &mut Expr) -> ControlFlow<()> {
        if let Expr::Function(f) = expr {
            if f.over.is_some() {
                let j = match self.calls.iter().position(|c| c == f) {
                    Some(j) => j,
                    None => {
                        self.calls.push(f.clone());
                        self.calls.len() - 1
                    }
                };
                *expr = Expr::Identifier(ast::Ident::new(over_column(j)));
            }
        }
        ControlFlow::Continue(())
    }
}

/// The window a spec describes, planned over `input` (before its aggregates).
struct Window {
    partition: Vec<PhysExpr>,
    partition_types: Vec<DataType>,
    partition_text: Vec<String>,
    time_column: usize,
    time: TimeAttribute,
    frame: OverFrame,
}

impl Planner<'_> {
    /// A SELECT with OVER aggregates over its FROM/WHERE `input`.
    pub(super) fn plan_over_select(&self, input: Planned, s: &ast::Select) -> Result<Planned> {
        if s.distinct.is_some() {
            return Err(SqlError::Unsupported("SELECT DISTINCT with an OVER aggregation is not supported yet".into()));
        }
        if s.qualify.is_some() {
            return Err(SqlError::Unsupported("QUALIFY with an OVER aggregation is not supported yet; filter in a query over it".into()));
        }
        let mut items = s.projection.clone();
        for (i, item) in items.iter_mut().enumerate() {
            // Unnamed items keep the name the original expression gives them.
            let has_call = !window_calls(std::slice::from_ref(item)).is_empty();
            if let (SelectItem::UnnamedExpr(e), true) = (&*item, has_call) {
                let alias = ast::Ident::new(default_name(e, i));
                *item = SelectItem::ExprWithAlias { expr: e.clone(), alias };
            }
        }
        let mut rewriter = Rewriter { calls: Vec::new() };
        for item in &mut items {
            let _ = item.visit(&mut rewriter);
        }
        if rewriter.calls.iter().any(is_ranking) {
            // Flink gives a ranking its own ROWS window, which differs from the aggregates'.
            return Err(same_window_error());
        }
        let mut window: Option<Window> = None;
        for call in &rewriter.calls {
            let spec = resolve(call.over.as_ref().expect("a window call"), &s.named_window, 0)?;
            let planned = self.over_window(&spec, &input)?;
            match &window {
                None => window = Some(planned),
                Some(w) if w.partition_text == planned.partition_text && w.time_column == planned.time_column && w.frame == planned.frame => {}
                Some(_) => return Err(same_window_error()),
            }
        }
        let w = window.expect("an OVER aggregation has a window call");
        if input.updating {
            return Err(SqlError::Unsupported(
                "OVER aggregations on an updating input (e.g. over a GROUP BY or a regular join) are not supported yet: the input must be append-only".into(),
            ));
        }
        let mut aggregates = Vec::new();
        let mut schema = input.schema.clone();
        for (j, call) in rewriter.calls.iter().enumerate() {
            let mut plain = call.clone();
            plain.over = None;
            if plain.filter.is_some() {
                return Err(SqlError::Unsupported(format!("FILTER in an OVER aggregate is not supported: {call}")));
            }
            let name = over_column(j);
            if !self.functions.is_aggregate(&plain.name.to_string()) {
                return Err(SqlError::Unsupported(format!("{} ... OVER is not supported; OVER takes an aggregate function (COUNT, SUM, MIN, MAX, AVG, ...)", call.name)));
            }
            let mut a = self.aggregate_call(&Expr::Function(plain.clone()), &input.schema, &name)?;
            // Flink types SUM/AVG/MIN/MAX by the argument as written (SUM(INT) is an INT), not by
            // the argument DataFusion coerced (BIGINT).
            if let Some(arg) = first_arg(&plain) {
                let (_, col) = self.exprs().plan(&arg, &input.schema, "$arg")?;
                a.output.ty = flink_result_type(a.func.name(), Some(&col.ty.ty), a.return_field.data_type())?;
            }
            schema.columns.push(PlanColumn { name, qualifier: None, ty: a.output.clone(), time: None });
            aggregates.push(a);
        }
        let spec = OverSpec {
            partition: w.partition,
            partition_types: w.partition_types,
            time_column: w.time_column,
            time: w.time,
            frame: w.frame,
            aggregates,
        };
        let n = input.schema.columns.len();
        let over = Planned { node: Node::OverAggregate { input: Box::new(input), over: Box::new(spec) }, schema, updating: false };
        let items = expand_wildcards(&items, &over.schema.columns[..n]);
        self.project(over, &items)
    }

    /// The PARTITION BY, ORDER BY and frame of `spec`, refused where Flink refuses them.
    fn over_window(&self, spec: &ast::WindowSpec, input: &Planned) -> Result<Window> {
        let schema = &input.schema;
        let mut partition = Vec::new();
        let mut partition_types = Vec::new();
        for p in &spec.partition_by {
            let (expr, col) = self.exprs().plan(p, schema, "$partition")?;
            partition.push(expr);
            partition_types.push(col.ty.ty.to_arrow());
        }
        let partition_text = spec.partition_by.iter().map(|p| p.to_string()).collect();
        let [order] = spec.order_by.as_slice() else {
            return Err(SqlError::Unsupported("The window can only be ordered by a single time column.".into()));
        };
        let (expr, col) = self.exprs().plan(&order.expr, schema, "$order")?;
        let (Some(time), Some(c)) = (col.time, expr.downcast_ref::<Column>()) else {
            return Err(SqlError::Unsupported(
                "OVER windows' ordering in stream mode must be defined on a time attribute.".into(),
            ));
        };
        if order.options.asc == Some(false) {
            return Err(SqlError::Unsupported("The window can only be ordered in ASCENDING mode.".into()));
        }
        let frame = self.over_frame(spec.window_frame.as_ref(), order)?;
        Ok(Window { partition, partition_types, partition_text, time_column: c.index(), time, frame })
    }

    fn over_frame(&self, frame: Option<&ast::WindowFrame>, order: &ast::OrderByExpr) -> Result<OverFrame> {
        // No frame clause: Flink's default, RANGE BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW.
        let Some(frame) = frame else { return Ok(OverFrame::Range(None)) };
        let following = || SqlError::Unsupported("OVER RANGE FOLLOWING windows are not supported yet.".into());
        match &frame.end_bound {
            None | Some(WindowFrameBound::CurrentRow) => {}
            Some(_) => return Err(following()),
        }
        let rows = match frame.units {
            WindowFrameUnits::Rows => true,
            WindowFrameUnits::Range => false,
            WindowFrameUnits::Groups => return Err(SqlError::Unsupported("GROUPS frames are not supported in OVER windows; use ROWS or RANGE".into())),
        };
        let preceding = match &frame.start_bound {
            WindowFrameBound::CurrentRow => return Ok(if rows { OverFrame::Rows(Some(0)) } else { OverFrame::Range(Some(0)) }),
            WindowFrameBound::Preceding(None) => return Ok(if rows { OverFrame::Rows(None) } else { OverFrame::Range(None) }),
            WindowFrameBound::Preceding(Some(e)) => (**e).clone(),
            WindowFrameBound::Following(_) => return Err(following()),
        };
        let count = match &preceding {
            Expr::Value(v) => match &v.value {
                ast::Value::Number(n, _) => Some(n.parse::<i64>().map_err(|_| {
                    SqlError::Validation(format!("The frame bound {preceding} PRECEDING must be a non-negative integer"))
                })?),
                _ => None,
            },
            _ => None,
        };
        let logical = || self.exprs().logical(&preceding, &PlanSchema::default());
        if rows {
            // Flink takes an interval bound of a ROWS frame as its milliseconds, counted as rows.
            let n = match count {
                Some(n) => n,
                None => interval_ms(&logical()?, "ROWS frame bound")?,
            };
            if n < 0 {
                return Err(SqlError::Validation(format!("The frame bound {preceding} PRECEDING must not be negative")));
            }
            return Ok(OverFrame::Rows(Some(n as u64)));
        }
        match count {
            Some(0) => Ok(OverFrame::Range(Some(0))),
            Some(_) => Err(SqlError::Validation(format!(
                "Data Type mismatch between ORDER BY and RANGE clause: the ORDER BY {} is a time attribute, the RANGE bound {preceding} a number (use an interval, e.g. INTERVAL '10' SECOND)",
                order.expr
            ))),
            None => Ok(OverFrame::Range(Some(interval_ms(&logical()?, "RANGE frame bound")?))),
        }
    }
}

/// The first argument of an aggregate call, when it is an expression (not `*`).
fn first_arg(f: &ast::Function) -> Option<Expr> {
    match &f.args {
        ast::FunctionArguments::List(list) => match list.args.first()? {
            ast::FunctionArg::Unnamed(ast::FunctionArgExpr::Expr(e)) => Some(e.clone()),
            _ => None,
        },
        _ => None,
    }
}

/// The select list with `*` replaced by the input's columns (not the internal aggregate columns).
fn expand_wildcards(items: &[SelectItem], columns: &[PlanColumn]) -> Vec<SelectItem> {
    let mut out = Vec::new();
    for item in items {
        match item {
            SelectItem::Wildcard(_) => {
                for c in columns {
                    let mut parts: Vec<ast::Ident> = c.qualifier.iter().map(|q| ast::Ident::new(q.clone())).collect();
                    parts.push(ast::Ident::new(c.name.clone()));
                    let expr = if parts.len() == 1 { Expr::Identifier(parts.remove(0)) } else { Expr::CompoundIdentifier(parts) };
                    out.push(SelectItem::ExprWithAlias { expr, alias: ast::Ident::new(c.name.clone()) });
                }
            }
            other => out.push(other.clone()),
        }
    }
    out
}
