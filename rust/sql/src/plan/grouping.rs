//! GROUP BY, aggregates and HAVING: group windows (`GROUP BY TUMBLE(ts, ...)`), window TVF
//! aggregation (`GROUP BY window_start, window_end`) and unbounded updating aggregation.
//!
//! The aggregation emits an internal row (keys, window bounds, aggregates); the select list and
//! HAVING are then planned over that row, after every grouped expression, window property and
//! aggregate call in them is replaced by a reference to its internal column.

use std::ops::ControlFlow;

use datafusion_sql::sqlparser::ast::{self, FunctionArg, FunctionArgExpr, FunctionArguments, Ident, Select, SelectItem, VisitMut, VisitorMut};

use super::query::{default_name, Planner};
use super::window::{interval_ms, WindowSpec};
use super::{Node, PhysExpr, PlanColumn, PlanSchema, Planned, TimeAttribute};
use crate::error::{Result, SqlError};
use crate::types::{SqlType, Typed};

const KEY: &str = "__oxk";
const AGG: &str = "__oxa";
const W_START: &str = "__ox_wstart";
const W_END: &str = "__ox_wend";
const W_TIME: &str = "__ox_wtime";

/// The window a GROUP BY groups by.
struct Grouping {
    window: WindowSpec,
    time_column: usize,
    /// Legacy group window call (`TUMBLE(ts, INTERVAL ...)`), matched against TUMBLE_START etc.
    group_call: Option<(String, Vec<String>)>,
    /// The window aggregates the rows of this plan (a TVF's input), not the FROM's plan itself.
    input: Option<Planned>,
}

impl Planner<'_> {
    pub(super) fn plan_grouped(&self, input: Planned, s: &Select, group_by: &[ast::Expr]) -> Result<Planned> {
        let mut keys_ast: Vec<ast::Expr> = Vec::new();
        let mut grouping: Option<Grouping> = None;
        let tvf_window = match &input.node {
            Node::WindowAssign { input: inner, window, time_column } => Some(((**inner).clone(), *window, *time_column)),
            _ => None,
        };
        let mut tvf_bounds = Vec::new();
        for g in group_by {
            if let Some(w) = self.group_window(g, &input)? {
                if grouping.is_some() {
                    return Err(SqlError::Validation("Only a single window group is allowed per GROUP BY".into()));
                }
                grouping = Some(w);
                continue;
            }
            if tvf_window.is_some() {
                if let ast::Expr::Identifier(i) = g {
                    if matches!(i.value.as_str(), "window_start" | "window_end" | "window_time") {
                        tvf_bounds.push(i.value.clone());
                        continue;
                    }
                }
            }
            keys_ast.push(g.clone());
        }
        if let Some((inner, window, time_column)) = tvf_window {
            let has_start = tvf_bounds.iter().any(|b| b == "window_start");
            let has_end = tvf_bounds.iter().any(|b| b == "window_end");
            if has_start && has_end {
                grouping = Some(Grouping { window, time_column, group_call: None, input: Some(inner) });
            } else if !tvf_bounds.is_empty() {
                return Err(SqlError::Validation(
                    "GROUP BY on a window TVF must contain both window_start and window_end; the window columns cannot be grouped alone".into(),
                ));
            }
        }

        // Keys, planned over the FROM's schema.
        let mut internal = Vec::new();
        let mut key_exprs: Vec<PhysExpr> = Vec::new();
        for (i, k) in keys_ast.iter().enumerate() {
            let (expr, mut col) = self.exprs().plan(k, &input.schema, &format!("{KEY}{i}"))?;
            col.time = None;
            key_exprs.push(expr);
            internal.push(col);
        }
        // A TVF's input holds the time attribute (the TVF's own output no longer marks it).
        let proctime = grouping.as_ref().is_some_and(|g| {
            let source = g.input.as_ref().map_or(&input.schema, |i| &i.schema);
            source.columns[g.time_column].time == Some(TimeAttribute::Proctime)
        });
        if let Some(g) = &grouping {
            let ltz = matches!(input.schema.columns[g.time_column].ty.ty, SqlType::TimestampLtz(_));
            let bound = Typed { ty: SqlType::Timestamp(3), nullable: false };
            let time_ty = Typed { ty: if ltz { SqlType::TimestampLtz(3) } else { SqlType::Timestamp(3) }, nullable: false };
            let attribute = if proctime { TimeAttribute::Proctime } else { TimeAttribute::Rowtime };
            internal.push(PlanColumn { name: W_START.into(), qualifier: None, ty: bound.clone(), time: None });
            internal.push(PlanColumn { name: W_END.into(), qualifier: None, ty: bound, time: None });
            internal.push(PlanColumn { name: W_TIME.into(), qualifier: None, ty: time_ty, time: Some(attribute) });
        }

        // Rewrite the select list and HAVING over the internal row, collecting aggregate calls.
        let mut rewriter = Rewriter {
            keys: keys_ast.iter().map(|k| k.to_string()).collect(),
            key_idents: keys_ast.iter().map(last_ident).collect(),
            window_call: grouping.as_ref().and_then(|g| g.group_call.clone()),
            tvf: grouping.as_ref().is_some_and(|g| g.group_call.is_none()),
            proctime,
            planner: self,
            aggregates: Vec::new(),
            error: None,
        };
        let mut items = s.projection.clone();
        for (i, item) in items.iter_mut().enumerate() {
            // Unnamed items keep the name the original expression gives them.
            if let SelectItem::UnnamedExpr(e) = item {
                let alias = Ident::new(default_name(e, i));
                *item = SelectItem::ExprWithAlias { expr: e.clone(), alias };
            }
            let _ = item.visit(&mut rewriter);
        }
        let mut having = s.having.clone();
        if let Some(h) = &mut having {
            let _ = h.visit(&mut rewriter);
        }
        if let Some(e) = rewriter.error.take() {
            return Err(e);
        }
        let mut aggregates = Vec::new();
        for (j, call) in rewriter.aggregates.iter().enumerate() {
            let name = format!("{AGG}{j}");
            let a = self.aggregate_call(call, &input.schema, &name)?;
            internal.push(PlanColumn { name, qualifier: None, ty: a.output.clone(), time: None });
            aggregates.push(a);
        }
        let internal = PlanSchema { columns: internal };

        let aggregated = match grouping {
            Some(g) => {
                let from_tvf = g.group_call.is_none();
                let source = g.input.unwrap_or(input);
                if source.updating {
                    return Err(SqlError::Validation(
                        "Window aggregate does not support consuming update and delete changes".into(),
                    ));
                }
                Planned {
                    node: Node::WindowAggregate { input: Box::new(source), window: g.window, time_column: g.time_column, keys: key_exprs, aggregates, from_tvf },
                    schema: internal,
                    updating: false,
                }
            }
            None => {
                if let Some(a) = aggregates.iter().find(|a| self.functions.is_window_only(a.func.name())) {
                    return Err(SqlError::Unsupported(format!(
                        "the pandas aggregate function {} is supported in group window and window TVF aggregation, not in an unbounded GROUP BY (as in PyFlink's streaming mode)",
                        a.func.name()
                    )));
                }
                Planned { node: Node::GroupAggregate { input: Box::new(input), keys: key_exprs, aggregates }, schema: internal, updating: true }
            }
        };
        let filtered = match &having {
            Some(h) => self.filter(aggregated, h, "HAVING").map_err(|e| not_grouped(e, s))?,
            None => aggregated,
        };
        let projected = self.project(filtered, &items).map_err(|e| not_grouped(e, s))?;
        if s.distinct.is_some() {
            return self.distinct(projected);
        }
        Ok(projected)
    }

    /// `SELECT DISTINCT`: a GROUP BY of every column without aggregates.
    pub(super) fn distinct(&self, input: Planned) -> Result<Planned> {
        let keys = (0..input.schema.columns.len()).map(|i| super::expr::column(&input.schema, i)).collect();
        let mut schema = input.schema.clone();
        for c in &mut schema.columns {
            c.time = None;
        }
        Ok(Planned { node: Node::GroupAggregate { input: Box::new(input), keys, aggregates: Vec::new() }, schema, updating: true })
    }

    /// A legacy group window in GROUP BY: `TUMBLE(ts, size)`, `HOP(ts, slide, size)`, `SESSION(ts, gap)`.
    fn group_window(&self, g: &ast::Expr, input: &Planned) -> Result<Option<Grouping>> {
        let ast::Expr::Function(f) = g else { return Ok(None) };
        let kind = f.name.to_string().to_ascii_uppercase();
        if !matches!(kind.as_str(), "TUMBLE" | "HOP" | "SESSION") {
            return Ok(None);
        }
        let args = plain_args(f)?;
        let expected = if kind == "HOP" { 3 } else { 2 };
        if args.len() != expected && !(kind != "SESSION" && args.len() == expected + 1) {
            return Err(SqlError::Validation(format!("{kind} group window takes {expected} arguments, found {}", args.len())));
        }
        let (_, time_col) = self.exprs().plan(&args[0], &input.schema, "$time")?;
        let time_column = match (&args[0], time_col.time) {
            (_, Some(TimeAttribute::Rowtime)) => input.schema.index_of(&time_col.name).or_else(|| {
                last_ident(&args[0]).and_then(|n| input.schema.index_of(&n))
            }),
            // PROCTIME() columns are computed: their name is the column's.
            (_, Some(TimeAttribute::Proctime)) => input.schema.index_of(&time_col.name).or_else(|| last_ident(&args[0]).and_then(|n| input.schema.index_of(&n))),
            _ => None,
        }
        .ok_or_else(|| {
            SqlError::Validation(format!(
                "Window aggregate can only be defined over a time attribute column, but {} encountered.",
                time_col.ty
            ))
        })?;
        let iv = |i: usize, what: &str| -> Result<i64> {
            interval_ms(&self.exprs().logical(&args[i], &PlanSchema::default())?, &format!("{kind} {what}"))
        };
        let window = match kind.as_str() {
            "TUMBLE" => WindowSpec::Tumble { size: iv(1, "size")?, offset: if args.len() > 2 { iv(2, "offset")? } else { 0 } },
            "HOP" => WindowSpec::Hop { slide: iv(1, "slide")?, size: iv(2, "size")?, offset: if args.len() > 3 { iv(3, "offset")? } else { 0 } },
            _ => WindowSpec::Session { gap: iv(1, "gap")? },
        };
        Ok(Some(Grouping { window, time_column, group_call: Some((kind, args.iter().map(|a| a.to_string()).collect())), input: None }))
    }
}

/// Replaces grouped expressions, window properties and aggregate calls by internal columns.
struct Rewriter<'p, 'a> {
    keys: Vec<String>,
    key_idents: Vec<Option<String>>,
    window_call: Option<(String, Vec<String>)>,
    tvf: bool,
    /// The window is of processing time (it has no `_ROWTIME`).
    proctime: bool,
    planner: &'p Planner<'a>,
    aggregates: Vec<ast::Expr>,
    error: Option<SqlError>,
}

impl VisitorMut for Rewriter<'_, '_> {
    type Break = ();

    fn pre_visit_expr(&mut self, expr: &mut ast::Expr) -> ControlFlow<()> {
        let text = expr.to_string();
        if let Some(i) = self.keys.iter().position(|k| *k == text) {
            *expr = ident(&format!("{KEY}{i}"));
            return ControlFlow::Continue(());
        }
        if let Some(name) = last_ident(expr) {
            if matches!(expr, ast::Expr::Identifier(_) | ast::Expr::CompoundIdentifier(_)) {
                if self.tvf {
                    let internal = match name.as_str() {
                        "window_start" => Some(W_START),
                        "window_end" => Some(W_END),
                        "window_time" => Some(W_TIME),
                        _ => None,
                    };
                    if let Some(internal) = internal {
                        *expr = ident(internal);
                        return ControlFlow::Continue(());
                    }
                }
                if let Some(i) = self.key_idents.iter().position(|k| k.as_deref() == Some(name.as_str())) {
                    *expr = ident(&format!("{KEY}{i}"));
                    return ControlFlow::Continue(());
                }
            }
        }
        if let ast::Expr::Function(f) = expr {
            let name = f.name.to_string().to_ascii_uppercase();
            if let Some((prefix, property)) = name.rsplit_once('_') {
                if matches!(prefix, "TUMBLE" | "HOP" | "SESSION") && matches!(property, "START" | "END" | "ROWTIME" | "PROCTIME") {
                    let args: Vec<String> = match plain_args(f) {
                        Ok(a) => a.iter().map(|a| a.to_string()).collect(),
                        Err(e) => {
                            self.error = Some(e);
                            return ControlFlow::Break(());
                        }
                    };
                    match &self.window_call {
                        Some((kind, wargs)) if kind == prefix && *wargs == args && self.proctime && property == "ROWTIME" => {
                            self.error = Some(SqlError::Validation(format!(
                                "{name} is the rowtime of an event-time window, but {kind}({}) is a processing-time window: use {kind}_PROCTIME",
                                wargs.join(", ")
                            )));
                            return ControlFlow::Break(());
                        }
                        Some((kind, wargs)) if kind == prefix && *wargs == args => {
                            *expr = ident(match property {
                                "START" => W_START,
                                "END" => W_END,
                                _ => W_TIME,
                            });
                        }
                        _ => {
                            self.error = Some(SqlError::Validation(format!(
                                "Group window auxiliary function {f} must match a group window of the GROUP BY clause (same function and arguments)"
                            )));
                            return ControlFlow::Break(());
                        }
                    }
                    return ControlFlow::Continue(());
                }
            }
            if f.over.is_none() && self.planner.functions.is_aggregate(&name) {
                let j = match self.aggregates.iter().position(|a| a.to_string() == text) {
                    Some(j) => j,
                    None => {
                        self.aggregates.push(expr.clone());
                        self.aggregates.len() - 1
                    }
                };
                *expr = ident(&format!("{AGG}{j}"));
            }
        }
        ControlFlow::Continue(())
    }
}

fn ident(name: &str) -> ast::Expr {
    ast::Expr::Identifier(Ident::new(name))
}

fn last_ident(e: &ast::Expr) -> Option<String> {
    match e {
        ast::Expr::Identifier(i) => Some(i.value.clone()),
        ast::Expr::CompoundIdentifier(parts) => parts.last().map(|i| i.value.clone()),
        _ => None,
    }
}

fn plain_args(f: &ast::Function) -> Result<Vec<ast::Expr>> {
    match &f.args {
        FunctionArguments::List(list) => list
            .args
            .iter()
            .map(|a| match a {
                FunctionArg::Unnamed(FunctionArgExpr::Expr(e)) => Ok(e.clone()),
                other => Err(SqlError::Validation(format!("unsupported argument {other} in {f}"))),
            })
            .collect(),
        _ => Ok(Vec::new()),
    }
}

/// A column the select list uses that is neither grouped nor aggregated, worded as Flink does.
fn not_grouped(e: SqlError, s: &Select) -> SqlError {
    if let SqlError::NotFound(msg) = &e {
        if let Some(name) = msg.strip_prefix("Column '").and_then(|m| m.split('\'').next()) {
            if !name.starts_with("__ox") {
                return SqlError::Validation(format!(
                    "Expression '{name}' is not being grouped (in SELECT {})",
                    s.projection.iter().map(|i: &SelectItem| i.to_string()).collect::<Vec<_>>().join(", ")
                ));
            }
        }
    }
    e
}
