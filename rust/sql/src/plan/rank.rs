//! Ranking window functions as Flink plans them: `ROW_NUMBER() OVER (PARTITION BY k ORDER BY x)`
//! bounded by a rank condition (`WHERE rn <= N` over a subquery, or `QUALIFY`) is a Top-N, a
//! deduplication (ordered by a time attribute, top 1, no rank number in the output), or a window
//! Top-N (partitioned by a window TVF's window_start and window_end).
//!
//! A SELECT with a window function plans to a [`Node::Rank`] without a range (a pending ranking);
//! the WHERE or QUALIFY that bounds it sets the range and chooses the strategy. A ranking still
//! pending when the whole query is planned is what Flink calls an OverAggregate: refused.

use arrow::compute::SortOptions;
use datafusion_physical_expr::expressions::Column;
use datafusion_sql::sqlparser::ast::{self, BinaryOperator, Expr, SelectItem, WindowType};

use super::query::Planner;
use super::window_property::{window_bound, WindowBound};
use super::{Node, PhysExpr, PlanColumn, Planned, TimeAttribute};
use crate::error::{Result, SqlError};
use crate::types::{SqlType, Typed};

/// The ranking function of the OVER clause.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RankFunction {
    RowNumber,
    Rank,
    DenseRank,
}

impl RankFunction {
    pub fn name(self) -> &'static str {
        match self {
            RankFunction::RowNumber => "ROW_NUMBER",
            RankFunction::Rank => "RANK",
            RankFunction::DenseRank => "DENSE_RANK",
        }
    }
}

/// How a bounded ranking runs (Flink's operator for it).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RankStrategy {
    /// Flink's AppendOnlyTopNFunction / RetractableTopNFunction: an updating Top-N.
    TopN { append_only: bool },
    /// Flink's FastTop1Function: top 1 of an append-only input without the rank number: +I,
    /// then +U (and -U before it with `update_before`, as a streaming ORDER BY .. LIMIT 1 emits).
    FastTop1 { update_before: bool },
    /// Keep the first or last row per key by a time attribute.
    Deduplicate { keep_last: bool, rowtime: bool },
    /// Window Top-N: final rows per window when the watermark passes its end (append-only);
    /// `window_end` is the input column holding the window's end.
    Window { window_end: usize },
}

/// A ranking over the input's rows: the input's columns, then the rank number.
#[derive(Clone, Debug)]
pub struct RankSpec {
    pub function: RankFunction,
    pub partition: Vec<PhysExpr>,
    pub partition_types: Vec<arrow::datatypes::DataType>,
    pub order: Vec<PhysExpr>,
    pub order_types: Vec<arrow::datatypes::DataType>,
    pub order_options: Vec<SortOptions>,
    /// `[start, end]` ranks emitted (`None`: not bounded yet).
    pub range: Option<(u64, u64)>,
    /// The rank number is in the query's output (else Flink's no-ranking-number mode).
    pub output_rank: bool,
    /// The name the rank column has in the SELECT above the ranking (`rn`).
    pub rank_name: Option<String>,
    pub strategy: RankStrategy,
    /// The ORDER BY is one time attribute (and which kind).
    order_time: Option<TimeAttribute>,
    /// Input columns of window_start and window_end among the partition keys.
    window_bounds: (Option<usize>, Option<usize>),
}

impl RankSpec {
    pub fn explain(&self) -> String {
        let range = self.range.map_or("unbounded".to_string(), |(s, e)| format!("rankStart={s}, rankEnd={e}"));
        match self.strategy {
            RankStrategy::Deduplicate { keep_last, rowtime } => format!(
                "Deduplicate(keep=[{}], order=[{}])",
                if keep_last { "LastRow" } else { "FirstRow" },
                if rowtime { "ROWTIME" } else { "PROCTIME" }
            ),
            RankStrategy::Window { .. } => format!("WindowRank(rankType=[{}], rankRange=[{range}])", self.function.name()),
            RankStrategy::FastTop1 { .. } => format!("Rank(strategy=[FastTop1], rankType=[{}], rankRange=[{range}])", self.function.name()),
            RankStrategy::TopN { append_only } => format!(
                "Rank(strategy=[{}], rankType=[{}], rankRange=[{range}])",
                if append_only { "AppendFastStrategy" } else { "RetractStrategy" },
                self.function.name()
            ),
        }
    }
}

/// The rank column's name inside the ranking's own schema (the SELECT above names it).
const RANK_COLUMN: &str = "$rank";

/// Whether `item` holds a window function call (`f(...) OVER (...)`) anywhere.
fn mentions_window_function(node: &impl ast::Visit) -> bool {
    let mut found = false;
    let _ = ast::visit_expressions(node, |e: &Expr| {
        if matches!(e, Expr::Function(f) if f.over.is_some()) {
            found = true;
            return std::ops::ControlFlow::Break(());
        }
        std::ops::ControlFlow::Continue(())
    });
    found
}

/// The SELECT computes a window function (in its select list or its QUALIFY).
pub(super) fn has_window_function(s: &ast::Select) -> bool {
    s.projection.iter().any(mentions_window_function) || s.qualify.as_ref().is_some_and(mentions_window_function)
}

/// The item's window call and the name its column gets, if it is one.
fn window_item(item: &SelectItem, position: usize) -> Option<(&ast::Function, String)> {
    match item {
        SelectItem::UnnamedExpr(Expr::Function(f)) if f.over.is_some() => Some((f, format!("EXPR${position}"))),
        SelectItem::ExprWithAlias { expr: Expr::Function(f), alias } if f.over.is_some() => Some((f, alias.value.clone())),
        _ => None,
    }
}

fn split_conjuncts(e: &Expr, out: &mut Vec<Expr>) {
    match e {
        Expr::BinaryOp { left, op: BinaryOperator::And, right } => {
            split_conjuncts(left, out);
            split_conjuncts(right, out);
        }
        Expr::Nested(inner) => split_conjuncts(inner, out),
        other => out.push(other.clone()),
    }
}

fn conjunction(parts: Vec<Expr>) -> Option<Expr> {
    parts.into_iter().reduce(|a, b| Expr::BinaryOp { left: Box::new(a), op: BinaryOperator::And, right: Box::new(b) })
}

fn constant(e: &Expr) -> Option<i64> {
    match e {
        Expr::Value(v) => match &v.value {
            ast::Value::Number(n, _) => n.parse().ok(),
            _ => None,
        },
        Expr::Nested(inner) => constant(inner),
        _ => None,
    }
}

/// Bounds a rank condition puts on the rank: `(lower, upper)`, inclusive.
type Bounds = (Option<i64>, Option<i64>);

/// `conjunct` as bounds on the rank, when it compares the rank (`is_rank`) with a constant.
fn rank_bounds(conjunct: &Expr, is_rank: &dyn Fn(&Expr) -> bool) -> Option<Bounds> {
    match conjunct {
        Expr::Between { expr, negated: false, low, high } if is_rank(expr) => Some((Some(constant(low)?), Some(constant(high)?))),
        Expr::BinaryOp { left, op, right } => {
            let (op, value) = if is_rank(left) {
                (op.clone(), constant(right)?)
            } else if is_rank(right) {
                // `N >= rn` is `rn <= N`.
                let flipped = match op {
                    BinaryOperator::Lt => BinaryOperator::Gt,
                    BinaryOperator::LtEq => BinaryOperator::GtEq,
                    BinaryOperator::Gt => BinaryOperator::Lt,
                    BinaryOperator::GtEq => BinaryOperator::LtEq,
                    other => other.clone(),
                };
                (flipped, constant(left)?)
            } else {
                return None;
            };
            match op {
                BinaryOperator::LtEq => Some((None, Some(value))),
                BinaryOperator::Lt => Some((None, Some(value - 1))),
                BinaryOperator::Eq => Some((Some(value), Some(value))),
                BinaryOperator::GtEq => Some((Some(value), None)),
                BinaryOperator::Gt => Some((Some(value + 1), None)),
                _ => None,
            }
        }
        _ => None,
    }
}

fn is_identifier(e: &Expr, name: &str) -> bool {
    match e {
        Expr::Identifier(i) => i.value == name,
        Expr::CompoundIdentifier(parts) => parts.last().is_some_and(|i| i.value == name),
        Expr::Nested(inner) => is_identifier(inner, name),
        _ => false,
    }
}

fn same_call(e: &Expr, call: &ast::Function) -> bool {
    match e {
        Expr::Function(f) => f == call,
        Expr::Nested(inner) => same_call(inner, call),
        _ => false,
    }
}

fn mentions_identifier(items: &[SelectItem], name: &str) -> bool {
    items.iter().any(|item| match item {
        SelectItem::Wildcard(_) | SelectItem::QualifiedWildcard(..) => true,
        other => {
            let mut found = false;
            let _ = ast::visit_expressions(other, |e: &Expr| {
                if is_identifier(e, name) {
                    found = true;
                    return std::ops::ControlFlow::Break(());
                }
                std::ops::ControlFlow::Continue(())
            });
            found
        }
    })
}

/// The error for a ranking no rank condition bounds: Flink plans it as an OVER aggregation.
fn unbounded_error(spec: &RankSpec) -> SqlError {
    if spec.order_time.is_none() {
        let descending = spec.order_options.first().is_some_and(|o| o.descending);
        return SqlError::Unsupported(if descending {
            "The window can only be ordered in ASCENDING mode. (A ranking without a rank condition such as WHERE rn <= N is an OVER aggregation, which must be ordered by a time attribute; add the condition for a Top-N.)".into()
        } else {
            "OVER windows' ordering in stream mode must be defined on a time attribute. (A ranking without a rank condition such as WHERE rn <= N is an OVER aggregation; add the condition for a Top-N.)".into()
        });
    }
    SqlError::Unsupported(format!(
        "{}() OVER (... ORDER BY a time attribute) without a rank condition is an OVER aggregation, which is not supported yet; bound it with WHERE or QUALIFY (e.g. rn <= N) for a Top-N or a deduplication",
        spec.function.name()
    ))
}

/// A ranking still without bounds anywhere in the plan: refused (see [`unbounded_error`]).
pub(super) fn check_bounded(p: &Planned) -> Result<()> {
    let inputs: Vec<&Planned> = match &p.node {
        Node::Scan { .. } | Node::Inline(_) => vec![],
        Node::Rank { input, rank } => {
            if rank.range.is_none() {
                return Err(unbounded_error(rank));
            }
            vec![input]
        }
        Node::Project { input, .. }
        | Node::Filter { input, .. }
        | Node::Watermark { input, .. }
        | Node::WindowAssign { input, .. }
        | Node::WindowAggregate { input, .. }
        | Node::GroupAggregate { input, .. }
        | Node::Correlate { input, .. }
        | Node::MatchRecognize { input, .. }
        | Node::OverAggregate { input, .. }
        | Node::Limit { input, .. } => vec![input],
        Node::LookupJoin { left, .. } => vec![left],
        Node::Union { inputs } => inputs.iter().collect(),
        Node::Join { left, right, .. } | Node::IntervalJoin { left, right, .. } | Node::WindowJoin { left, right, .. } | Node::TemporalJoin { left, right, .. } => vec![left, right],
    };
    inputs.into_iter().try_for_each(check_bounded)
}

/// Sets the range of the pending ranking at the top of `p` (below projections and filters),
/// chooses its strategy, and updates the changelog flags of the nodes above it.
fn bind(p: &mut Planned, range: (u64, u64), output_rank: bool) -> Result<()> {
    match &mut p.node {
        Node::Project { input, .. } | Node::Filter { input, .. } => {
            bind(input, range, output_rank)?;
            p.updating = input.updating;
            Ok(())
        }
        Node::Rank { input, rank } => {
            rank.range = Some(range);
            rank.output_rank = output_rank;
            rank.strategy = strategy(rank, input)?;
            p.updating = !matches!(
                rank.strategy,
                RankStrategy::Window { .. } | RankStrategy::Deduplicate { keep_last: false, .. }
            );
            Ok(())
        }
        _ => unreachable!("bind follows pending_rank"),
    }
}

/// The pending ranking at the top of `p` (below projections and filters), if there is one.
fn pending_rank(p: &Planned) -> Option<&RankSpec> {
    match &p.node {
        Node::Project { input, .. } | Node::Filter { input, .. } => pending_rank(input),
        Node::Rank { rank, .. } if rank.range.is_none() => Some(rank),
        _ => None,
    }
}

fn strategy(rank: &RankSpec, input: &Planned) -> Result<RankStrategy> {
    let (start, end) = rank.range.expect("bound");
    if let (Some(_), Some(window_end)) = rank.window_bounds {
        if input.updating {
            return Err(SqlError::Unsupported("Window Top-N does not support consuming update changes".into()));
        }
        return Ok(RankStrategy::Window { window_end });
    }
    if rank.function != RankFunction::RowNumber {
        return Err(SqlError::Unsupported(format!("{}() on streaming table is not supported currently", rank.function.name())));
    }
    if rank.order.is_empty() {
        return Err(SqlError::Unsupported("ROW_NUMBER() in a streaming Top-N needs ORDER BY in its OVER clause (which rows are the top ones?)".into()));
    }
    let top1 = start == 1 && end == 1 && !rank.output_rank;
    if let (true, false, Some(time)) = (top1, input.updating, rank.order_time) {
        return Ok(RankStrategy::Deduplicate { keep_last: rank.order_options[0].descending, rowtime: time == TimeAttribute::Rowtime });
    }
    if top1 && !input.updating {
        return Ok(RankStrategy::FastTop1 { update_before: false });
    }
    Ok(RankStrategy::TopN { append_only: !input.updating })
}

/// The range of rank conditions, Flink's errors for the ones it refuses.
fn range_of(bounds: &[Bounds]) -> Result<(u64, u64)> {
    let start = bounds.iter().filter_map(|b| b.0).max().unwrap_or(1).max(1);
    let Some(end) = bounds.iter().filter_map(|b| b.1).min() else {
        return Err(SqlError::Unsupported(
            "Rank end is not specified. Currently rank only support TopN, which means the rank end must be specified.".into(),
        ));
    };
    if end < start {
        return Err(SqlError::Unsupported(format!("The rank range [{start}, {end}] is empty: no row can have a rank in it")));
    }
    Ok((start as u64, end as u64))
}

impl Planner<'_> {
    /// A SELECT whose select list or QUALIFY has a window function, over its FROM/WHERE `input`.
    pub(super) fn plan_ranked_select(&self, input: Planned, s: &ast::Select) -> Result<Planned> {
        if s.distinct.is_some() {
            return Err(SqlError::Unsupported("SELECT DISTINCT with a window function is not supported yet".into()));
        }
        let mut call: Option<(ast::Function, Option<String>)> = None;
        for (i, item) in s.projection.iter().enumerate() {
            match window_item(item, i) {
                Some((f, name)) => {
                    if call.is_some() {
                        return Err(SqlError::Unsupported("Only one window function per SELECT is supported yet".into()));
                    }
                    call = Some((f.clone(), Some(name)));
                }
                None if mentions_window_function(item) => {
                    return Err(SqlError::Unsupported(format!(
                        "A window function must be a select item of its own (e.g. ROW_NUMBER() OVER (...) AS rn), not part of an expression: {item}"
                    )))
                }
                None => {}
            }
        }
        let mut qualify_rank = Vec::new();
        let mut qualify_rest = Vec::new();
        if let Some(q) = &s.qualify {
            let mut conjuncts = Vec::new();
            split_conjuncts(q, &mut conjuncts);
            for c in conjuncts {
                let mut in_qualify = None;
                let _ = ast::visit_expressions(&c, |e: &Expr| {
                    if let Expr::Function(f) = e {
                        if f.over.is_some() {
                            in_qualify = Some(f.clone());
                            return std::ops::ControlFlow::Break(());
                        }
                    }
                    std::ops::ControlFlow::Continue(())
                });
                if let Some(f) = in_qualify {
                    match &call {
                        Some((existing, _)) if *existing != f => {
                            return Err(SqlError::Unsupported("Only one window function per SELECT is supported yet (QUALIFY names another one)".into()))
                        }
                        Some(_) => {}
                        None => call = Some((f, None)),
                    }
                }
                let (f, name) = call.as_ref().expect("a window function is in the select list or QUALIFY");
                let is_rank = |e: &Expr| same_call(e, f) || name.as_ref().is_some_and(|n| is_identifier(e, n));
                match rank_bounds(&c, &is_rank) {
                    Some(b) => qualify_rank.push(b),
                    None => qualify_rest.push(c),
                }
            }
        }
        let (call, rank_name) = call.expect("has_window_function");
        let spec = self.rank_call(&call, &input, rank_name.clone())?;
        let mut schema = input.schema.clone();
        schema.columns.push(PlanColumn {
            name: RANK_COLUMN.into(),
            qualifier: None,
            ty: Typed { ty: SqlType::BigInt, nullable: false },
            time: None,
        });
        let updating = input.updating;
        let ranked = Planned { node: Node::Rank { input: Box::new(input), rank: Box::new(spec) }, schema, updating };
        let mut planned = self.project_ranked(ranked, &s.projection)?;
        if s.qualify.is_some() {
            if qualify_rank.is_empty() {
                let spec = pending_rank(&planned).expect("planned above");
                return Err(unbounded_error(spec));
            }
            bind(&mut planned, range_of(&qualify_rank)?, rank_name.is_some())?;
            if let Some(rest) = conjunction(qualify_rest) {
                planned = self.filter(planned, &rest, "QUALIFY")?;
            }
        }
        Ok(planned)
    }

    /// The select list over a ranking: its window call is the rank column, `*` the input's columns.
    fn project_ranked(&self, ranked: Planned, items: &[SelectItem]) -> Result<Planned> {
        let n = ranked.schema.columns.len() - 1;
        let rank_ident = Expr::Identifier(ast::Ident::new(RANK_COLUMN));
        let mut rewritten = Vec::new();
        for (i, item) in items.iter().enumerate() {
            match (window_item(item, i), item) {
                (Some((_, name)), _) => rewritten.push(SelectItem::ExprWithAlias { expr: rank_ident.clone(), alias: ast::Ident::new(name) }),
                (None, SelectItem::Wildcard(_)) => {
                    for c in &ranked.schema.columns[..n] {
                        let mut parts: Vec<ast::Ident> = c.qualifier.iter().map(|q| ast::Ident::new(q.clone())).collect();
                        parts.push(ast::Ident::new(c.name.clone()));
                        let expr = if parts.len() == 1 { Expr::Identifier(parts.remove(0)) } else { Expr::CompoundIdentifier(parts) };
                        rewritten.push(SelectItem::ExprWithAlias { expr, alias: ast::Ident::new(c.name.clone()) });
                    }
                }
                (None, other) => rewritten.push(other.clone()),
            }
        }
        self.project(ranked, &rewritten)
    }

    /// The function, PARTITION BY and ORDER BY of a window call over `input`.
    fn rank_call(&self, f: &ast::Function, input: &Planned, rank_name: Option<String>) -> Result<RankSpec> {
        let name = f.name.to_string().to_ascii_uppercase();
        let function = match name.as_str() {
            "ROW_NUMBER" => RankFunction::RowNumber,
            "RANK" => RankFunction::Rank,
            "DENSE_RANK" => RankFunction::DenseRank,
            "NTILE" => return Err(SqlError::Unsupported("NTILE Function is not supported in stream mode.".into())),
            "LAG" | "LEAD" | "FIRST_VALUE" | "LAST_VALUE" | "PERCENT_RANK" | "CUME_DIST" | "NTH_VALUE" => {
                return Err(SqlError::Unsupported(format!("{name} ... OVER is not supported yet; ranking (ROW_NUMBER, RANK, DENSE_RANK) with a rank condition is")))
            }
            _ => unreachable!("OVER aggregations are planned in over_aggregate"),
        };
        let spec = match &f.over {
            Some(WindowType::WindowSpec(spec)) => spec,
            Some(WindowType::NamedWindow(w)) => return Err(SqlError::Unsupported(format!("Named windows (OVER {w}) are not supported yet"))),
            None => unreachable!("a window call"),
        };
        if spec.window_frame.is_some() {
            return Err(SqlError::Unsupported(format!("{name}() does not take a window frame (ROWS/RANGE): {f}")));
        }
        let schema = &input.schema;
        let mut partition = Vec::new();
        let mut partition_types = Vec::new();
        let mut window_bounds = (None, None);
        for p in &spec.partition_by {
            let (expr, col) = self.exprs().plan(p, schema, "$partition")?;
            if let Some(c) = expr.downcast_ref::<Column>() {
                match window_bound(input, c.index()) {
                    Some((WindowBound::Start, _)) => window_bounds.0 = Some(c.index()),
                    Some((WindowBound::End, _)) => window_bounds.1 = Some(c.index()),
                    None => {}
                }
            }
            partition.push(expr);
            partition_types.push(col.ty.ty.to_arrow());
        }
        let window = window_bounds.0.is_some() && window_bounds.1.is_some();
        let (order, order_types, order_options, times) = self.order_keys(&spec.order_by, schema)?;
        if window && order.is_empty() {
            return Err(SqlError::Unsupported("Window Top-N needs ORDER BY in its OVER clause".into()));
        }
        let order_time = if times.len() == 1 { times[0] } else { None };
        Ok(RankSpec {
            function,
            partition,
            partition_types,
            order,
            order_types,
            order_options,
            range: None,
            output_rank: rank_name.is_some(),
            rank_name,
            strategy: RankStrategy::TopN { append_only: !input.updating },
            order_time,
            window_bounds,
        })
    }

    /// ORDER BY keys over `schema`: evaluators, types, directions (Flink's default null order:
    /// NULLs are the smallest values) and time attributes.
    #[allow(clippy::type_complexity)]
    fn order_keys(
        &self,
        keys: &[ast::OrderByExpr],
        schema: &super::PlanSchema,
    ) -> Result<(Vec<PhysExpr>, Vec<arrow::datatypes::DataType>, Vec<SortOptions>, Vec<Option<TimeAttribute>>)> {
        let (mut order, mut types, mut options, mut times) = (Vec::new(), Vec::new(), Vec::new(), Vec::new());
        for o in keys {
            let (expr, col) = self.exprs().plan(&o.expr, schema, "$order")?;
            let descending = o.options.asc == Some(false);
            let nulls_first = o.options.nulls_first.unwrap_or(!descending);
            times.push(col.time);
            order.push(expr);
            types.push(col.ty.ty.to_arrow());
            options.push(SortOptions { descending, nulls_first });
        }
        Ok((order, types, options, times))
    }

    /// A streaming `ORDER BY .. LIMIT n [OFFSET m]`: Flink's SortLimit, a Top-N without partition
    /// and without the rank number (LIMIT 1 emits -U/+U).
    pub(super) fn plan_sort_limit(&self, input: Planned, order: &ast::OrderBy, offset: usize, fetch: usize) -> Result<Planned> {
        let ast::OrderByKind::Expressions(keys) = &order.kind else {
            return Err(SqlError::Unsupported(format!("ORDER BY ALL is not supported: {order}")));
        };
        if fetch == 0 {
            return Err(SqlError::Unsupported("LIMIT 0 in a streaming query is not supported yet".into()));
        }
        let (order, order_types, order_options, _) = self.order_keys(keys, &input.schema)?;
        let range = ((offset + 1) as u64, (offset + fetch) as u64);
        let strategy = if range == (1, 1) && !input.updating {
            RankStrategy::FastTop1 { update_before: true }
        } else {
            RankStrategy::TopN { append_only: !input.updating }
        };
        let spec = RankSpec {
            function: RankFunction::RowNumber,
            partition: Vec::new(),
            partition_types: Vec::new(),
            order,
            order_types,
            order_options,
            range: Some(range),
            output_rank: false,
            rank_name: None,
            strategy,
            order_time: None,
            window_bounds: (None, None),
        };
        let out_schema = input.schema.clone();
        let mut schema = input.schema.clone();
        schema.columns.push(PlanColumn { name: RANK_COLUMN.into(), qualifier: None, ty: Typed { ty: SqlType::BigInt, nullable: false }, time: None });
        let exprs = (0..out_schema.columns.len()).map(|i| super::expr::column(&schema, i)).collect();
        let ranked = Planned { node: Node::Rank { input: Box::new(input), rank: Box::new(spec) }, schema, updating: true };
        Ok(Planned { node: Node::Project { input: Box::new(ranked), exprs }, schema: out_schema, updating: true })
    }

    /// WHERE `predicate` over `input`: when `input` ends in a pending ranking, the conjuncts on
    /// its rank bound it (the rank is in the output if `projection` uses it); the other
    /// conjuncts are returned to filter with.
    pub(super) fn bound_rank(&self, mut input: Planned, predicate: &Expr, projection: &[SelectItem]) -> Result<(Planned, Option<Expr>)> {
        let Some(name) = pending_rank(&input).and_then(|r| r.rank_name.clone()) else {
            return Ok((input, Some(predicate.clone())));
        };
        let mut conjuncts = Vec::new();
        split_conjuncts(predicate, &mut conjuncts);
        let is_rank = |e: &Expr| is_identifier(e, &name);
        let mut bounds = Vec::new();
        let mut rest = Vec::new();
        for c in conjuncts {
            match rank_bounds(&c, &is_rank) {
                Some(b) => bounds.push(b),
                None => rest.push(c),
            }
        }
        if bounds.is_empty() {
            return Ok((input, Some(predicate.clone())));
        }
        bind(&mut input, range_of(&bounds)?, mentions_identifier(projection, &name))?;
        Ok((input, conjunction(rest)))
    }
}
