//! Queries to plans: FROM (tables, views, inline data, window TVFs, subqueries), WHERE,
//! projection, UNION ALL and LIMIT. Aggregation is planned in [`super::grouping`].

use std::sync::Arc;

use datafusion_sql::sqlparser::ast::{
    self, FunctionArg, FunctionArgExpr, FunctionArguments, LimitClause, ObjectName, Query, Select, SelectItem, SetExpr,
    SetOperator, SetQuantifier, TableFactor, TableWithJoins,
};

use super::expr::{column, ExprPlanner};
use super::window::{interval_ms, WindowSpec};
use super::{Node, PlanColumn, PlanSchema, Planned, TimeAttribute};
use crate::catalog::{option, physical_columns, Catalog, CatalogTable};
use crate::error::{Result, SqlError};
use crate::functions::FunctionRegistry;
use crate::parse::dialect::TABLE_ARGUMENT;
use crate::parse::{name_parts, ColumnKind, CreateTable};
use crate::types::{SqlType, Typed};

/// Settings that shape plans.
#[derive(Clone, Debug)]
pub struct PlannerConfig {
    /// `pipeline.auto-watermark-interval`: how often periodic watermarks are emitted.
    pub watermark_interval_ms: i64,
    /// `table.exec.state.ttl`: how long stateful operators keep a row unwritten (`None`: forever).
    pub state_ttl_ms: Option<i64>,
}

impl Default for PlannerConfig {
    fn default() -> Self {
        PlannerConfig { watermark_interval_ms: 200, state_ttl_ms: None }
    }
}

pub struct Planner<'a> {
    pub catalog: &'a Catalog,
    pub functions: &'a FunctionRegistry,
    pub config: PlannerConfig,
}

impl<'a> Planner<'a> {
    pub fn new(catalog: &'a Catalog, functions: &'a FunctionRegistry, config: PlannerConfig) -> Self {
        Planner { catalog, functions, config }
    }

    pub(super) fn exprs(&self) -> ExprPlanner<'a> {
        ExprPlanner::new(self.functions)
    }

    /// A whole query: a ranking left without a rank condition is refused here (views and
    /// subqueries may leave one to the WHERE above them).
    pub fn plan_query(&self, q: &Query) -> Result<Planned> {
        let planned = self.plan_subquery(q)?;
        super::rank::check_bounded(&planned)?;
        Ok(planned)
    }

    /// A view's query: a ranking in it may be bounded by the queries that use the view.
    pub fn plan_view(&self, q: &Query) -> Result<Planned> {
        self.plan_subquery(q)
    }

    pub(super) fn plan_subquery(&self, q: &Query) -> Result<Planned> {
        if q.with.is_some() {
            return Err(SqlError::Unsupported("WITH (common table expressions) is not supported yet".into()));
        }
        let mut planned = self.plan_set_expr(&q.body)?;
        let mut limit = None;
        if let Some(l) = &q.limit_clause {
            limit = Some(match l {
                LimitClause::LimitOffset { limit, offset, .. } => (limit.as_ref().map(const_usize).transpose()?, offset.as_ref().map(|o| const_usize(&o.value)).transpose()?.unwrap_or(0)),
                LimitClause::OffsetCommaLimit { offset, limit } => (Some(const_usize(limit)?), const_usize(offset)?),
            });
        }
        if let Some(fetch) = &q.fetch {
            limit = Some((fetch.quantity.as_ref().map(const_usize).transpose()?, 0));
        }
        if let Some(order) = &q.order_by {
            // ORDER BY with LIMIT is a Top-N (Flink's SortLimit).
            if let Some((Some(fetch), offset)) = limit {
                return self.plan_sort_limit(planned, order, offset, fetch);
            }
            return Err(SqlError::Unsupported(format!(
                "Sort on a non-time-attribute field is not supported: {order} (ORDER BY in streaming queries needs a time attribute, or a LIMIT for a Top-N)"
            )));
        }
        if let Some((fetch, offset)) = limit {
            let schema = planned.schema.clone();
            let updating = planned.updating;
            planned = Planned { node: Node::Limit { input: Box::new(planned), offset, fetch }, schema, updating };
        }
        Ok(planned)
    }

    fn plan_set_expr(&self, body: &SetExpr) -> Result<Planned> {
        match body {
            SetExpr::Select(s) => self.plan_select(s),
            SetExpr::Query(q) => self.plan_subquery(q),
            SetExpr::SetOperation { left, op: SetOperator::Union, set_quantifier: SetQuantifier::All, right } => {
                let left = self.plan_set_expr(left)?;
                let right = self.plan_set_expr(right)?;
                self.union(vec![left, right])
            }
            SetExpr::SetOperation { op, set_quantifier, .. } => Err(SqlError::Unsupported(format!(
                "{op} {set_quantifier} is not supported yet; UNION ALL is"
            ))),
            SetExpr::Values(values) => self.plan_values(values),
            other => Err(SqlError::Unsupported(format!("Unsupported query: {other}"))),
        }
    }

    /// UNION ALL: the left side's names, each column's type the common type of both sides.
    pub fn union(&self, inputs: Vec<Planned>) -> Result<Planned> {
        let first = inputs[0].schema.clone();
        for other in &inputs[1..] {
            if other.schema.columns.len() != first.columns.len() {
                return Err(SqlError::Validation(format!(
                    "Type mismatch in UNION ALL: the left side has {} columns, the right side {}",
                    first.columns.len(),
                    other.schema.columns.len()
                )));
            }
        }
        let mut schema = first.clone();
        for (i, col) in schema.columns.iter_mut().enumerate() {
            col.time = None;
            col.qualifier = None;
            for other in &inputs[1..] {
                let o = &other.schema.columns[i];
                col.ty.nullable |= o.ty.nullable;
                if o.ty.ty != col.ty.ty {
                    col.ty.ty = common_type(&col.ty.ty, &o.ty.ty).ok_or_else(|| {
                        SqlError::Validation(format!(
                            "Type mismatch in UNION ALL for column '{}': {} and {}",
                            col.name, col.ty.ty, o.ty.ty
                        ))
                    })?;
                }
            }
        }
        let updating = inputs.iter().any(|i| i.updating);
        let inputs = inputs.into_iter().map(|i| self.cast_to(i, &schema)).collect::<Result<Vec<_>>>()?;
        Ok(Planned { node: Node::Union { inputs }, schema, updating })
    }

    /// `input` with its columns cast to `target`'s types, where they differ.
    fn cast_to(&self, input: Planned, target: &PlanSchema) -> Result<Planned> {
        if input.schema.columns.iter().zip(&target.columns).all(|(a, b)| a.ty.ty == b.ty.ty) {
            return Ok(input);
        }
        let arrow = input.schema.arrow();
        let exprs = target
            .columns
            .iter()
            .enumerate()
            .map(|(i, c)| {
                let col = column(&input.schema, i);
                if input.schema.columns[i].ty.ty == c.ty.ty {
                    Ok(col)
                } else {
                    Ok(datafusion_physical_expr::expressions::cast(col, &arrow, c.ty.ty.to_arrow())?)
                }
            })
            .collect::<Result<Vec<_>>>()?;
        let updating = input.updating;
        Ok(Planned { node: Node::Project { input: Box::new(input), exprs }, schema: target.clone(), updating })
    }

    fn plan_values(&self, values: &ast::Values) -> Result<Planned> {
        Err(SqlError::Unsupported(format!("VALUES in queries is not supported yet: {values}")))
    }

    fn plan_select(&self, s: &Select) -> Result<Planned> {
        let (mut input, selection) = self.plan_from(&s.from, s.selection.as_ref())?;
        if let Some(predicate) = &selection {
            // Conditions on the rank of a ranking subquery make it a Top-N.
            let (bounded, rest) = self.bound_rank(input, predicate, &s.projection)?;
            input = bounded;
            if let Some(rest) = rest {
                input = self.filter(input, &rest, "WHERE")?;
            }
        }
        let group_by = match &s.group_by {
            ast::GroupByExpr::Expressions(exprs, modifiers) if modifiers.is_empty() => exprs.clone(),
            other => return Err(SqlError::Unsupported(format!("{other} is not supported"))),
        };
        let has_aggregates = s.projection.iter().any(|item| self.mentions_aggregate(item));
        let grouped = !group_by.is_empty() || has_aggregates || s.having.is_some();
        // Window functions (OVER): the one dispatch point; rankings are planned in `rank`, OVER
        // aggregations in `over_aggregate`.
        if super::rank::has_window_function(s) {
            if grouped {
                return Err(SqlError::Unsupported(
                    "A window function over a grouped SELECT is not supported yet; group in a subquery and rank its rows".into(),
                ));
            }
            if super::over_aggregate::is_over_aggregation(s) {
                return self.plan_over_select(input, s);
            }
            return self.plan_ranked_select(input, s);
        }
        if grouped {
            return self.plan_grouped(input, s, &group_by);
        }
        let projected = self.project(input, &s.projection)?;
        if s.distinct.is_some() {
            return self.distinct(projected);
        }
        Ok(projected)
    }

    pub(super) fn filter(&self, input: Planned, predicate: &ast::Expr, clause: &str) -> Result<Planned> {
        let (expr, col) = self.exprs().plan(predicate, &input.schema, "$condition")?;
        if col.ty.ty != SqlType::Boolean {
            return Err(SqlError::Validation(format!(
                "{clause} clause must be a condition; '{predicate}' is of type {}",
                col.ty
            )));
        }
        let schema = input.schema.clone();
        let updating = input.updating;
        Ok(Planned { node: Node::Filter { input: Box::new(input), predicate: expr }, schema, updating })
    }

    /// The FROM clause, and the part of WHERE that joins did not take as their conditions.
    fn plan_from(&self, from: &[TableWithJoins], selection: Option<&ast::Expr>) -> Result<(Planned, Option<ast::Expr>)> {
        match from {
            [] => Err(SqlError::Unsupported("SELECT without FROM is not supported yet".into())),
            [one] if one.joins.is_empty() => Ok((self.plan_factor(&one.relation)?, selection.cloned())),
            // Correlated table functions (LATERAL TABLE) are joined by their own planner.
            _ if super::correlate::has_lateral_table(from) => Ok((self.plan_from_items(from)?, selection.cloned())),
            _ => self.plan_from_with_joins(from, selection),
        }
    }

    pub(super) fn plan_factor(&self, f: &TableFactor) -> Result<Planned> {
        match f {
            TableFactor::Table { name, alias, args: None, .. } => {
                let planned = self.plan_table(name)?;
                let qualifier = alias.as_ref().map(|a| a.name.value.clone()).unwrap_or_else(|| name_parts(name).last().cloned().unwrap_or_default());
                Ok(qualify(planned, &qualifier))
            }
            TableFactor::Derived { subquery, alias, .. } => {
                let planned = self.plan_subquery(subquery)?;
                Ok(match alias {
                    Some(a) => rename_columns(qualify(planned, &a.name.value), &a.columns.iter().map(|c| c.name.value.clone()).collect::<Vec<_>>())?,
                    None => planned,
                })
            }
            TableFactor::TableFunction { expr, alias } => {
                let planned = self.plan_window_tvf(expr)?;
                Ok(match alias {
                    Some(a) => qualify(planned, &a.name.value),
                    None => planned,
                })
            }
            TableFactor::NestedJoin { table_with_joins, alias } => {
                let planned = self.plan_joins(table_with_joins, &mut Vec::new())?;
                Ok(match alias {
                    Some(a) => qualify(planned, &a.name.value),
                    None => planned,
                })
            }
            TableFactor::MatchRecognize { .. } => self.plan_match_recognize(f),
            other => Err(SqlError::Unsupported(format!("Unsupported FROM item: {other}"))),
        }
    }

    /// A catalog table: its source with computed columns and watermarks, or a view's plan.
    pub fn plan_table(&self, name: &ObjectName) -> Result<Planned> {
        let parts = name_parts(name);
        let entry = self.catalog.get(&parts)?;
        match &entry.table {
            CatalogTable::Connector(t) => self.plan_connector_table(t),
            CatalogTable::View { query, columns } => {
                let planned = self.plan_subquery(query)?;
                rename_columns(planned, columns)
            }
            CatalogTable::Inline(inline) => {
                let schema = PlanSchema {
                    columns: inline
                        .columns
                        .iter()
                        .enumerate()
                        .map(|(i, (n, t))| PlanColumn {
                            name: n.clone(),
                            qualifier: None,
                            ty: t.clone(),
                            time: (inline.rowtime == Some(i)).then_some(TimeAttribute::Rowtime),
                        })
                        .collect(),
                };
                Ok(Planned { node: Node::Inline(inline.clone()), schema, updating: false })
            }
        }
    }

    fn plan_connector_table(&self, t: &Arc<CreateTable>) -> Result<Planned> {
        let physical = PlanSchema {
            columns: physical_columns(t)
                .into_iter()
                .map(|(name, ty)| PlanColumn { name, qualifier: None, ty, time: None })
                .collect(),
        };
        let mut planned = Planned { node: Node::Scan { table: t.clone() }, schema: physical.clone(), updating: false };
        if t.columns.iter().any(|c| matches!(c.kind, ColumnKind::Computed(_) | ColumnKind::Metadata { is_virtual: true, .. })) {
            let mut exprs = Vec::new();
            let mut columns = Vec::new();
            for c in &t.columns {
                match &c.kind {
                    ColumnKind::Computed(e) => {
                        let (expr, mut col) = self.exprs().plan(e, &physical, &c.name)?;
                        if is_proctime_call(e) {
                            col.time = Some(TimeAttribute::Proctime);
                            col.ty = Typed { ty: SqlType::TimestampLtz(3), nullable: false };
                        }
                        exprs.push(expr);
                        columns.push(col);
                    }
                    ColumnKind::Metadata { is_virtual: true, ty, .. } => {
                        return Err(SqlError::Unsupported(format!("metadata column '{}' ({ty}) is not supported by this connector", c.name)));
                    }
                    _ => {
                        let i = physical.index_of(&c.name).expect("physical column");
                        exprs.push(column(&physical, i));
                        columns.push(physical.columns[i].clone());
                    }
                }
            }
            planned = Planned { node: Node::Project { input: Box::new(planned), exprs }, schema: PlanSchema { columns }, updating: false };
        }
        if let Some(wm) = &t.watermark {
            let i = planned.schema.index_of(&wm.column).expect("validated at CREATE TABLE");
            let ty = &planned.schema.columns[i].ty.ty;
            let precision_ok = matches!(ty, SqlType::Timestamp(p) | SqlType::TimestampLtz(p) if *p <= 3);
            if !precision_ok {
                return Err(SqlError::Validation(format!(
                    "Invalid data type of time field for watermark definition. The field must be of type TIMESTAMP(p) or TIMESTAMP_LTZ(p), the supported precision 'p' is from 0 to 3, but the time field type is {ty}"
                )));
            }
            let (expr, col) = self.exprs().plan(&wm.expr, &planned.schema, "$watermark")?;
            if !col.ty.ty.is_timestamp() {
                return Err(SqlError::Validation(format!(
                    "Watermark strategy {} must be of type TIMESTAMP or TIMESTAMP_LTZ but is of type '{}'.",
                    wm.expr, col.ty
                )));
            }
            planned.schema.columns[i].time = Some(TimeAttribute::Rowtime);
            let on_event = option(t, "scan.watermark.emit.strategy").is_some_and(|s| s.eq_ignore_ascii_case("on-event"));
            let schema = planned.schema.clone();
            planned = Planned {
                node: Node::Watermark { input: Box::new(planned), expr, rowtime: i, on_event, interval_ms: self.config.watermark_interval_ms },
                schema,
                updating: false,
            };
        }
        Ok(planned)
    }

    /// `TUMBLE(TABLE t, DESCRIPTOR(ts), size [, offset])`, HOP (slide, size), CUMULATE (step,
    /// size) and SESSION (gap), positional or with named arguments.
    fn plan_window_tvf(&self, expr: &ast::Expr) -> Result<Planned> {
        let ast::Expr::Function(f) = expr else {
            return Err(SqlError::Unsupported(format!("Unsupported table function: {expr}")));
        };
        let kind = f.name.to_string().to_ascii_uppercase();
        let FunctionArguments::List(list) = &f.args else {
            return Err(SqlError::Validation(format!("{kind} needs arguments")));
        };
        let mut positional: Vec<&ast::Expr> = Vec::new();
        let mut named: Vec<(String, &ast::Expr)> = Vec::new();
        for a in &list.args {
            match a {
                FunctionArg::Unnamed(FunctionArgExpr::Expr(e)) => positional.push(e),
                FunctionArg::Named { name, arg: FunctionArgExpr::Expr(e), .. } => named.push((name.value.to_ascii_uppercase(), e)),
                other => return Err(SqlError::Validation(format!("Unsupported argument {other} of {kind}"))),
            }
        }
        let params: &[&str] = match kind.as_str() {
            "TUMBLE" => &["DATA", "TIMECOL", "SIZE", "OFFSET"],
            "HOP" => &["DATA", "TIMECOL", "SLIDE", "SIZE", "OFFSET"],
            "CUMULATE" => &["DATA", "TIMECOL", "STEP", "SIZE", "OFFSET"],
            "SESSION" => &["DATA", "TIMECOL", "GAP"],
            _ => return Err(SqlError::NotFound(format!("No match found for table function '{kind}'; window TVFs are TUMBLE, HOP, CUMULATE and SESSION"))),
        };
        let arg = |i: usize| -> Option<&ast::Expr> {
            named.iter().find(|(n, _)| n == params[i]).map(|(_, e)| *e).or_else(|| positional.get(i).copied())
        };
        let table = arg(0).ok_or_else(|| SqlError::Validation(format!("{kind} needs a TABLE argument")))?;
        let (input, partition) = self.table_argument(table, &kind)?;
        if !partition.is_empty() && kind != "SESSION" {
            return Err(SqlError::Validation(format!("PARTITION BY is only allowed in SESSION windows, not in {kind}")));
        }
        let time_name = descriptor(arg(1).ok_or_else(|| SqlError::Validation(format!("{kind} needs a DESCRIPTOR(time column) argument")))?)?;
        let time_column = input.schema.index_of(&time_name).ok_or_else(|| {
            SqlError::NotFound(format!("Unknown column '{time_name}' in DESCRIPTOR; available columns are: [{}]", input.schema.names().join(", ")))
        })?;
        let tc = &input.schema.columns[time_column];
        let proctime = tc.time == Some(TimeAttribute::Proctime);
        if tc.time.is_none() {
            return Err(SqlError::Validation(format!(
                "The window function {kind}(TABLE table_name, DESCRIPTOR(timecol), ...) requires the timecol to be a time attribute type, but is {}.",
                tc.ty
            )));
        }
        let interval = |i: usize, what: &str| -> Result<i64> {
            let e = arg(i).ok_or_else(|| SqlError::Validation(format!("{kind} needs a {what} argument")))?;
            interval_ms(&self.exprs().logical(e, &PlanSchema::default())?, &format!("{kind} {what}"))
        };
        let offset = |i: usize| -> Result<i64> {
            match arg(i) {
                None => Ok(0),
                Some(e) => match self.exprs().logical(e, &PlanSchema::default())? {
                    datafusion_expr::Expr::Literal(datafusion_common::ScalarValue::IntervalMonthDayNano(Some(v)), _) => {
                        Ok(v.days as i64 * 86_400_000 + v.nanoseconds / 1_000_000)
                    }
                    other => Err(SqlError::Validation(format!("{kind} offset must be an interval, found {other}"))),
                },
            }
        };
        let window = match kind.as_str() {
            "TUMBLE" => WindowSpec::Tumble { size: interval(2, "size")?, offset: offset(3)? },
            "HOP" => {
                let (slide, size) = (interval(2, "slide")?, interval(3, "size")?);
                if size % slide != 0 {
                    return Err(SqlError::Validation(format!(
                        "HOP table function based aggregate requires size must be an integral multiple of slide, but got size {size} ms and slide {slide} ms."
                    )));
                }
                WindowSpec::Hop { slide, size, offset: offset(4)? }
            }
            "CUMULATE" => {
                let (step, size) = (interval(2, "step")?, interval(3, "size")?);
                if size % step != 0 {
                    return Err(SqlError::Validation(format!(
                        "CUMULATE table function based aggregate requires maxSize must be an integral multiple of step, but got maxSize {size} ms and step {step} ms."
                    )));
                }
                WindowSpec::Cumulate { step, size, offset: offset(4)? }
            }
            _ => WindowSpec::Session { gap: interval(2, "gap")? },
        };
        let mut schema = input.schema.clone();
        let ltz = matches!(schema.columns[time_column].ty.ty, SqlType::TimestampLtz(_));
        schema.columns[time_column].time = None;
        for c in &mut schema.columns {
            c.qualifier = None;
        }
        let bound = Typed { ty: SqlType::Timestamp(3), nullable: false };
        let time_ty = Typed { ty: if ltz { SqlType::TimestampLtz(3) } else { SqlType::Timestamp(3) }, nullable: false };
        schema.columns.push(PlanColumn { name: "window_start".into(), qualifier: None, ty: bound.clone(), time: None });
        schema.columns.push(PlanColumn { name: "window_end".into(), qualifier: None, ty: bound, time: None });
        let attribute = if proctime { TimeAttribute::Proctime } else { TimeAttribute::Rowtime };
        schema.columns.push(PlanColumn { name: "window_time".into(), qualifier: None, ty: time_ty, time: Some(attribute) });
        let updating = input.updating;
        if updating {
            return Err(SqlError::Validation(format!("{kind} window TVF does not support consuming update changes")));
        }
        let _ = partition;
        Ok(Planned { node: Node::WindowAssign { input: Box::new(input), window, time_column }, schema, updating })
    }

    fn table_argument(&self, e: &ast::Expr, kind: &str) -> Result<(Planned, Vec<String>)> {
        if let ast::Expr::Function(f) = e {
            if f.name.to_string() == TABLE_ARGUMENT {
                if let FunctionArguments::List(list) = &f.args {
                    if let Some(FunctionArg::Unnamed(FunctionArgExpr::Expr(ast::Expr::CompoundIdentifier(parts)))) = list.args.first() {
                        let name = ObjectName::from(parts.clone());
                        return Ok((self.plan_table(&name)?, Vec::new()));
                    }
                }
            }
        }
        Err(SqlError::Validation(format!("The first argument of {kind} must be TABLE <table name>, found {e}")))
    }

    /// Projection of `items` over `input`, keeping the input's row kinds.
    pub(super) fn project(&self, input: Planned, items: &[SelectItem]) -> Result<Planned> {
        let mut exprs = Vec::new();
        let mut columns = Vec::new();
        for (i, item) in items.iter().enumerate() {
            match item {
                SelectItem::Wildcard(_) => {
                    for (j, c) in input.schema.columns.iter().enumerate() {
                        exprs.push(column(&input.schema, j));
                        columns.push(PlanColumn { qualifier: None, ..c.clone() });
                    }
                }
                SelectItem::QualifiedWildcard(kind, _) => {
                    let q = kind.to_string();
                    let mut any = false;
                    for (j, c) in input.schema.columns.iter().enumerate() {
                        if c.qualifier.as_deref() == Some(q.as_str()) {
                            exprs.push(column(&input.schema, j));
                            columns.push(PlanColumn { qualifier: None, ..c.clone() });
                            any = true;
                        }
                    }
                    if !any {
                        return Err(SqlError::NotFound(format!("Table '{q}' not found in the FROM clause of '{item}'")));
                    }
                }
                SelectItem::UnnamedExpr(e) => {
                    let (expr, col) = self.exprs().plan(e, &input.schema, &default_name(e, i))?;
                    exprs.push(expr);
                    columns.push(col);
                }
                SelectItem::ExprWithAlias { expr: e, alias } => {
                    let (expr, col) = self.exprs().plan(e, &input.schema, &alias.value)?;
                    exprs.push(expr);
                    columns.push(col);
                }
                other => return Err(SqlError::Unsupported(format!("Unsupported select item: {other}"))),
            }
        }
        dedupe_names(&mut columns);
        let updating = input.updating;
        Ok(Planned { node: Node::Project { input: Box::new(input), exprs }, schema: PlanSchema { columns }, updating })
    }

    fn mentions_aggregate(&self, item: &SelectItem) -> bool {
        let mut found = false;
        let _ = ast::visit_expressions(item, |e: &ast::Expr| {
            if let ast::Expr::Function(f) = e {
                if f.over.is_none() && self.functions.is_aggregate(&f.name.to_string()) {
                    found = true;
                    return std::ops::ControlFlow::Break(());
                }
            }
            std::ops::ControlFlow::Continue(())
        });
        found
    }
}

/// Flink's name for an unnamed select item: the column's own name, else `EXPR$<position>`.
pub(super) fn default_name(e: &ast::Expr, position: usize) -> String {
    match e {
        ast::Expr::Identifier(i) => i.value.clone(),
        ast::Expr::CompoundIdentifier(parts) => parts.last().map(|i| i.value.clone()).unwrap_or_default(),
        _ => format!("EXPR${position}"),
    }
}

/// Flink makes duplicate output names unique by appending a counter (`a`, `a0`).
fn dedupe_names(columns: &mut [PlanColumn]) {
    let mut seen = std::collections::HashSet::new();
    for c in columns.iter_mut() {
        if !seen.insert(c.name.clone()) {
            let mut n = 0;
            while !seen.insert(format!("{}{n}", c.name)) {
                n += 1;
            }
            c.name = format!("{}{n}", c.name);
        }
    }
}

pub(super) fn qualify(mut planned: Planned, qualifier: &str) -> Planned {
    planned.schema = planned.schema.with_qualifier(qualifier);
    planned
}

fn rename_columns(mut planned: Planned, names: &[String]) -> Result<Planned> {
    if names.is_empty() {
        return Ok(planned);
    }
    if names.len() != planned.schema.columns.len() {
        return Err(SqlError::Validation(format!(
            "List of column aliases must have same degree as table; the query has {} columns, the alias list {}",
            planned.schema.columns.len(),
            names.len()
        )));
    }
    for (c, n) in planned.schema.columns.iter_mut().zip(names) {
        c.name = n.clone();
    }
    Ok(planned)
}

fn is_proctime_call(e: &ast::Expr) -> bool {
    matches!(e, ast::Expr::Function(f) if f.name.to_string().eq_ignore_ascii_case("PROCTIME"))
}

fn descriptor(e: &ast::Expr) -> Result<String> {
    if let ast::Expr::Function(f) = e {
        if f.name.to_string().eq_ignore_ascii_case("DESCRIPTOR") {
            if let FunctionArguments::List(list) = &f.args {
                if let Some(FunctionArg::Unnamed(FunctionArgExpr::Expr(ast::Expr::Identifier(i)))) = list.args.first() {
                    return Ok(i.value.clone());
                }
            }
        }
    }
    Err(SqlError::Validation(format!("expected DESCRIPTOR(time column), found {e}")))
}

fn const_usize(e: &ast::Expr) -> Result<usize> {
    match e {
        ast::Expr::Value(v) => match &v.value {
            ast::Value::Number(n, _) => n.parse().map_err(|_| SqlError::Validation(format!("expected a row count, found {n}"))),
            other => Err(SqlError::Validation(format!("expected a row count, found {other}"))),
        },
        other => Err(SqlError::Validation(format!("expected a constant row count, found {other}"))),
    }
}

/// The type both sides of a UNION ALL convert to, where Flink has one.
pub(super) fn common_type(a: &SqlType, b: &SqlType) -> Option<SqlType> {
    use SqlType::*;
    let rank = |t: &SqlType| match t {
        TinyInt => Some(1),
        SmallInt => Some(2),
        Int => Some(3),
        BigInt => Some(4),
        Float => Some(6),
        Double => Some(7),
        _ => None,
    };
    match (a, b) {
        (Varchar(x) | Char(x), Varchar(y) | Char(y)) => Some(Varchar((*x).max(*y))),
        (Decimal(p1, s1), Decimal(p2, s2)) => {
            let s = (*s1).max(*s2);
            let int = (*p1 as i16 - *s1 as i16).max(*p2 as i16 - *s2 as i16);
            Some(Decimal(((int + s as i16).min(38)) as u8, s))
        }
        (Timestamp(p), Timestamp(q)) => Some(Timestamp((*p).max(*q))),
        (Null, t) | (t, Null) => Some(t.clone()),
        _ => match (rank(a), rank(b)) {
            (Some(x), Some(y)) => Some(if x >= y { a.clone() } else { b.clone() }),
            _ if a.is_numeric() && b.is_numeric() => Some(Double),
            _ => None,
        },
    }
}
