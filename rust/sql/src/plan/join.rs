//! FROM with joins: explicit `JOIN ... ON`, comma joins whose conditions sit in WHERE, and nested
//! joins, planned as Flink plans them. Each ON condition splits into equi-key pairs (the state
//! key, and what a later key partitioning hashes), time bounds between the rowtime attributes
//! of both sides (which make it an interval join), and a remaining predicate over the joined row.
//! A regular join's output loses its time attributes (Flink materializes them); an interval
//! join's keeps them.

use arrow::datatypes::DataType;
use datafusion_physical_expr::expressions::Column;
use datafusion_sql::sqlparser::ast::{self, BinaryOperator, JoinConstraint, JoinOperator, TableWithJoins};

use super::expr::column;
use super::query::{common_type, Planner};
use super::window::interval_ms;
use super::temporal_join::as_of;
use super::window_join::window_join_spec;
use super::{Node, PhysExpr, PlanColumn, PlanSchema, Planned, TimeAttribute};
use crate::error::{Result, SqlError};
use crate::types::SqlType;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum JoinKind {
    Inner,
    Left,
    Right,
    Full,
}

impl JoinKind {
    pub fn left_outer(self) -> bool {
        matches!(self, JoinKind::Left | JoinKind::Full)
    }

    pub fn right_outer(self) -> bool {
        matches!(self, JoinKind::Right | JoinKind::Full)
    }

    /// Flink's name in plans: `InnerJoin`, `LeftOuterJoin`, ...
    pub fn name(self) -> &'static str {
        match self {
            JoinKind::Inner => "InnerJoin",
            JoinKind::Left => "LeftOuterJoin",
            JoinKind::Right => "RightOuterJoin",
            JoinKind::Full => "FullOuterJoin",
        }
    }
}

/// The equi-join keys: column indices of each input (for key partitioning) and the evaluators
/// that give both sides' keys one type, so equal values encode to equal bytes.
#[derive(Clone, Debug, Default)]
pub struct JoinKeys {
    pub left: Vec<usize>,
    pub right: Vec<usize>,
    pub left_exprs: Vec<PhysExpr>,
    pub right_exprs: Vec<PhysExpr>,
    pub types: Vec<DataType>,
}

/// An interval join's time bounds: `left.time - right.time` lies in `[lower, upper]` (ms).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct IntervalBounds {
    pub left_time: usize,
    pub right_time: usize,
    pub lower: i64,
    pub upper: i64,
}

/// One side of a time comparison: a time attribute column of the joined row plus a constant.
struct TimeOperand {
    column: usize,
    offset: i64,
}

#[derive(Default)]
struct Bound {
    lower: Option<i64>,
    upper: Option<i64>,
    conjuncts: Vec<usize>,
}

impl Planner<'_> {
    /// The FROM clause's plan, and what is left of `selection` after the conditions of inner
    /// (and comma) joins were taken from it.
    pub(super) fn plan_from_with_joins(&self, from: &[TableWithJoins], selection: Option<&ast::Expr>) -> Result<(Planned, Option<ast::Expr>)> {
        let mut pending: Vec<Option<ast::Expr>> = Vec::new();
        if let Some(s) = selection {
            split_conjuncts(s, &mut pending);
        }
        let mut current: Option<Planned> = None;
        for item in from {
            let next = self.plan_joins(item, &mut pending)?;
            current = Some(match current {
                None => next,
                Some(left) => self.join(left, next, JoinKind::Inner, Vec::new(), &mut pending, "comma join")?,
            });
        }
        let current = current.ok_or_else(|| SqlError::Unsupported("SELECT without FROM is not supported yet".into()))?;
        let rest = pending.into_iter().flatten().reduce(|a, b| ast::Expr::BinaryOp { left: Box::new(a), op: BinaryOperator::And, right: Box::new(b) });
        Ok((current, rest))
    }

    /// One FROM item with its JOIN clauses, left to right.
    pub(super) fn plan_joins(&self, item: &TableWithJoins, pending: &mut Vec<Option<ast::Expr>>) -> Result<Planned> {
        let mut current = self.plan_factor(&item.relation)?;
        for j in &item.joins {
            let (kind, constraint) = match &j.join_operator {
                JoinOperator::Join(c) | JoinOperator::Inner(c) => (JoinKind::Inner, Some(c)),
                JoinOperator::Left(c) | JoinOperator::LeftOuter(c) => (JoinKind::Left, Some(c)),
                JoinOperator::Right(c) | JoinOperator::RightOuter(c) => (JoinKind::Right, Some(c)),
                JoinOperator::FullOuter(c) => (JoinKind::Full, Some(c)),
                JoinOperator::CrossJoin(c) => (JoinKind::Inner, Some(c)),
                other => {
                    return Err(SqlError::Unsupported(format!(
                        "Unsupported join '{}' with {}: regular (INNER, LEFT, RIGHT, FULL OUTER, CROSS) and interval joins are supported",
                        join_operator_name(other),
                        j.relation
                    )))
                }
            };
            let temporal = as_of(&j.relation).is_some();
            let right = if temporal { None } else { Some(self.plan_factor(&j.relation)?) };
            let right_schema = || -> Result<PlanSchema> {
                match &right {
                    Some(r) => Ok(r.schema.clone()),
                    None => Ok(self.plan_factor(&j.relation)?.schema),
                }
            };
            let mut conjuncts = Vec::new();
            match constraint {
                Some(JoinConstraint::On(e)) => split_conjuncts(e, &mut conjuncts),
                Some(JoinConstraint::None) | None => {}
                Some(JoinConstraint::Using(names)) => {
                    for n in names {
                        let name = n.to_string();
                        conjuncts.push(Some(ast::Expr::BinaryOp {
                            left: Box::new(qualified(&current.schema, &name, "left", &j.relation)?),
                            op: BinaryOperator::Eq,
                            right: Box::new(qualified(&right_schema()?, &name, "right", &j.relation)?),
                        }));
                    }
                }
                Some(JoinConstraint::Natural) => {
                    return Err(SqlError::Unsupported(format!("NATURAL joins are not supported yet (join with {}); write the condition with ON or USING", j.relation)))
                }
            }
            let what = format!("join with {}", j.relation);
            let Some(right) = right else {
                current = self.temporal_join(current, &j.relation, kind, conjuncts.into_iter().flatten().collect(), &what)?;
                continue;
            };
            // Only an inner join may take WHERE conditions: for an outer one they filter its result.
            let mut none = Vec::new();
            let pending = if kind == JoinKind::Inner { &mut *pending } else { &mut none };
            current = self.join(current, right, kind, conjuncts.into_iter().flatten().collect(), pending, &what)?;
        }
        Ok(current)
    }

    /// `left` joined with `right` on the conjuncts of ON (and those of `pending` that refer to
    /// both sides, taken out of it).
    fn join(&self, left: Planned, right: Planned, kind: JoinKind, mut on: Vec<ast::Expr>, pending: &mut [Option<ast::Expr>], what: &str) -> Result<Planned> {
        let nl = left.schema.columns.len();
        let mut probe = PlanSchema { columns: left.schema.columns.iter().chain(&right.schema.columns).cloned().collect() };
        for slot in pending.iter_mut() {
            if let Some(e) = slot {
                if let Ok(logical) = self.exprs().logical(e, &probe) {
                    let sides = logical.column_refs().iter().filter_map(|c| probe_index(&probe, c)).fold((false, false), |(l, r), i| (l || i < nl, r || i >= nl));
                    if sides == (true, true) {
                        on.push(slot.take().expect("some"));
                    }
                }
            }
        }
        let mut keys = JoinKeys::default();
        let mut rest: Vec<usize> = Vec::new();
        let mut bounds: Vec<((usize, usize), Bound)> = Vec::new();
        for (n, c) in on.iter().enumerate() {
            if let Some((l, r)) = self.equi_pair(c, &probe, nl)? {
                self.push_key(&mut keys, &left, &right, &probe, l, r, what, c)?;
                continue;
            }
            let mut found = false;
            for (pair, lower, upper) in self.time_bounds(c, &probe, nl)? {
                let entry = match bounds.iter().position(|(p, _)| *p == pair) {
                    Some(i) => &mut bounds[i].1,
                    None => {
                        bounds.push((pair, Bound::default()));
                        &mut bounds.last_mut().expect("pushed").1
                    }
                };
                if let Some(l) = lower {
                    entry.lower = Some(entry.lower.map_or(l, |x: i64| x.max(l)));
                }
                if let Some(u) = upper {
                    entry.upper = Some(entry.upper.map_or(u, |x: i64| x.min(u)));
                }
                entry.conjuncts.push(n);
                found = true;
            }
            if !found {
                rest.push(n);
            }
        }
        if let Some(windows) = window_join_spec(&left, &right, &keys, what)? {
            // Every other conjunct, time comparisons too, is the condition over the joined row.
            for (_, b) in &bounds {
                rest.extend(&b.conjuncts);
            }
            rest.sort_unstable();
            let condition = self.condition(&on, &rest, &probe)?;
            let schema = joined_schema(&left, &right, kind, true);
            return Ok(Planned { node: Node::WindowJoin { left: Box::new(left), right: Box::new(right), kind, keys, windows, condition }, schema, updating: false });
        }
        let interval = bounds.iter().find(|(_, b)| b.lower.is_some() && b.upper.is_some());
        if let Some(((lt, rt), b)) = interval {
            let (lt, rt) = (*lt, *rt);
            let (lk, rk) = (probe.columns[lt].time, probe.columns[rt].time);
            if lk != rk {
                return Err(SqlError::Validation(format!(
                    "Interval join ({what}) needs both time attributes of one kind, but '{}' is a {} and '{}' a {} attribute",
                    probe.columns[lt].name,
                    time_name(lk),
                    probe.columns[rt].name,
                    time_name(rk)
                )));
            }
            if lk == Some(TimeAttribute::Proctime) {
                return Err(SqlError::Unsupported(format!("Processing-time interval joins are not supported yet ({what}); rowtime ones are")));
            }
            if left.updating || right.updating {
                return Err(SqlError::Validation(format!(
                    "Interval join ({what}) doesn't support consuming update and delete changes; its inputs must be append-only"
                )));
            }
            for (_, other) in bounds.iter().filter(|(p, _)| *p != (lt, rt)) {
                rest.extend(&other.conjuncts);
            }
            let bounds = IntervalBounds { left_time: lt, right_time: rt - nl, lower: b.lower.expect("some"), upper: b.upper.expect("some") };
            let condition = self.condition(&on, &rest, &probe)?;
            let schema = joined_schema(&left, &right, kind, true);
            return Ok(Planned {
                node: Node::IntervalJoin { left: Box::new(left), right: Box::new(right), kind, keys, bounds, condition },
                schema,
                updating: false,
            });
        }
        for (_, b) in &bounds {
            rest.extend(&b.conjuncts);
        }
        rest.sort_unstable();
        // The regular join's condition sees materialized times, as its output does.
        for c in &mut probe.columns {
            c.time = None;
        }
        let condition = self.condition(&on, &rest, &probe)?;
        let schema = joined_schema(&left, &right, kind, false);
        let updating = left.updating || right.updating || kind != JoinKind::Inner;
        Ok(Planned { node: Node::Join { left: Box::new(left), right: Box::new(right), kind, keys, condition, state_ttl_ms: self.config.state_ttl_ms }, schema, updating })
    }

    /// The equi-join pair (left column `l`, joined column `r` of the right) as keys of one type.
    #[allow(clippy::too_many_arguments)]
    pub(super) fn push_key(&self, keys: &mut JoinKeys, left: &Planned, right: &Planned, probe: &PlanSchema, l: usize, r: usize, what: &str, c: &ast::Expr) -> Result<()> {
        let nl = left.schema.columns.len();
        let (lt, rt) = (&probe.columns[l].ty.ty, &probe.columns[r].ty.ty);
        let ty = if lt == rt { Some(lt.clone()) } else { common_type(lt, rt) };
        let Some(ty) = ty else {
            return Err(SqlError::Unsupported(format!("implicit type conversion between {lt} and {rt} is not supported on join's condition now ({what}: {c})")));
        };
        let dt = ty.to_arrow();
        keys.left_exprs.push(cast_column(&left.schema, l, &dt)?);
        keys.right_exprs.push(cast_column(&right.schema, r - nl, &dt)?);
        keys.left.push(l);
        keys.right.push(r - nl);
        keys.types.push(dt);
        Ok(())
    }

    /// The equi keys among the conjuncts `on` of a join of `left` and `right`, the indices of
    /// the other conjuncts, and the joined row they are planned over.
    pub(super) fn equi_keys(&self, left: &Planned, right: &Planned, on: &[ast::Expr], what: &str) -> Result<(JoinKeys, Vec<usize>, PlanSchema)> {
        let nl = left.schema.columns.len();
        let probe = PlanSchema { columns: left.schema.columns.iter().chain(&right.schema.columns).cloned().collect() };
        let mut keys = JoinKeys::default();
        let mut rest = Vec::new();
        for (n, c) in on.iter().enumerate() {
            match self.equi_pair(c, &probe, nl)? {
                Some((l, r)) => self.push_key(&mut keys, left, right, &probe, l, r, what, c)?,
                None => rest.push(n),
            }
        }
        Ok((keys, rest, probe))
    }

    /// `a = b` with `a` a column of one side and `b` of the other: (left index, joined index of right).
    pub(super) fn equi_pair(&self, c: &ast::Expr, probe: &PlanSchema, nl: usize) -> Result<Option<(usize, usize)>> {
        let ast::Expr::BinaryOp { left, op: BinaryOperator::Eq, right } = unnest(c) else {
            return Ok(None);
        };
        let (Some(a), Some(b)) = (self.column_of(left, probe)?, self.column_of(right, probe)?) else {
            return Ok(None);
        };
        Ok(match (a < nl, b < nl) {
            (true, false) => Some((a, b)),
            (false, true) => Some((b, a)),
            _ => None,
        })
    }

    /// The joined-row index of a bare column reference.
    pub(super) fn column_of(&self, e: &ast::Expr, probe: &PlanSchema) -> Result<Option<usize>> {
        let e = unnest(e);
        if !matches!(e, ast::Expr::Identifier(_) | ast::Expr::CompoundIdentifier(_)) {
            return Ok(None);
        }
        let (expr, _) = self.exprs().plan(e, probe, "$key")?;
        Ok(expr.downcast_ref::<Column>().map(|c| c.index()))
    }

    /// The bounds a comparison of two time attributes of different sides puts on
    /// `left.time - right.time`: `((left index, joined right index), lower, upper)`.
    #[allow(clippy::type_complexity)]
    fn time_bounds(&self, c: &ast::Expr, probe: &PlanSchema, nl: usize) -> Result<Vec<((usize, usize), Option<i64>, Option<i64>)>> {
        let comparisons: Vec<(&ast::Expr, BinaryOperator, &ast::Expr)> = match unnest(c) {
            ast::Expr::Between { expr, negated: false, low, high } => vec![(expr, BinaryOperator::GtEq, low), (expr, BinaryOperator::LtEq, high)],
            ast::Expr::BinaryOp { left, op, right } if matches!(op, BinaryOperator::Gt | BinaryOperator::GtEq | BinaryOperator::Lt | BinaryOperator::LtEq) => {
                vec![(left, op.clone(), right)]
            }
            _ => return Ok(Vec::new()),
        };
        let mut out = Vec::new();
        for (a, op, b) in comparisons {
            let (Some(x), Some(y)) = (self.time_operand(a, probe)?, self.time_operand(b, probe)?) else {
                return Ok(Vec::new());
            };
            // x.col + x.off OP y.col + y.off  <=>  x.col - y.col OP y.off - x.off
            let k = y.offset - x.offset;
            let (pair, op, k) = match (x.column < nl, y.column < nl) {
                (true, false) => ((x.column, y.column), op, k),
                (false, true) => ((y.column, x.column), flip(&op), -k),
                _ => return Ok(Vec::new()),
            };
            let (lower, upper) = match op {
                BinaryOperator::GtEq => (Some(k), None),
                BinaryOperator::Gt => (Some(k + 1), None),
                BinaryOperator::LtEq => (None, Some(k)),
                _ => (None, Some(k - 1)),
            };
            out.push((pair, lower, upper));
        }
        Ok(out)
    }

    /// `t`, `t + INTERVAL ...` or `t - INTERVAL ...` with `t` a time attribute.
    fn time_operand(&self, e: &ast::Expr, probe: &PlanSchema) -> Result<Option<TimeOperand>> {
        let e = unnest(e);
        let (base, offset) = match e {
            ast::Expr::BinaryOp { left, op: op @ (BinaryOperator::Plus | BinaryOperator::Minus), right } => {
                let Ok(logical) = self.exprs().logical(right, &PlanSchema::default()) else {
                    return Ok(None);
                };
                let Ok(ms) = interval_ms(&logical, "a join's time bound") else {
                    return Ok(None);
                };
                (unnest(left), if *op == BinaryOperator::Plus { ms } else { -ms })
            }
            other => (other, 0),
        };
        let Some(column) = self.column_of(base, probe)? else {
            return Ok(None);
        };
        Ok(probe.columns[column].time.map(|_| TimeOperand { column, offset }))
    }

    /// The conjuncts at `which` as one predicate over the joined row.
    pub(super) fn condition(&self, on: &[ast::Expr], which: &[usize], probe: &PlanSchema) -> Result<Option<PhysExpr>> {
        let Some(predicate) = which.iter().map(|&i| on[i].clone()).reduce(|a, b| ast::Expr::BinaryOp { left: Box::new(a), op: BinaryOperator::And, right: Box::new(b) }) else {
            return Ok(None);
        };
        let (expr, col) = self.exprs().plan(&predicate, probe, "$condition")?;
        if col.ty.ty != SqlType::Boolean {
            return Err(SqlError::Validation(format!("ON clause must be a condition; '{predicate}' is of type {}", col.ty)));
        }
        Ok(Some(expr))
    }
}

/// The columns of both sides; the outer side's partner becomes nullable.
pub(super) fn joined_schema(left: &Planned, right: &Planned, kind: JoinKind, keep_time: bool) -> PlanSchema {
    let side = |p: &Planned, nullable: bool| -> Vec<PlanColumn> {
        p.schema
            .columns
            .iter()
            .map(|c| {
                let mut c = c.clone();
                c.ty.nullable |= nullable;
                if !keep_time {
                    c.time = None;
                }
                c
            })
            .collect()
    };
    let mut columns = side(left, kind.right_outer());
    columns.extend(side(right, kind.left_outer()));
    PlanSchema { columns }
}

/// `q.name` for the column `name` of one side of a USING join.
fn qualified(schema: &PlanSchema, name: &str, side: &str, relation: &ast::TableFactor) -> Result<ast::Expr> {
    let c = schema.columns.iter().find(|c| c.name == name).ok_or_else(|| {
        SqlError::NotFound(format!("Column '{name}' in USING clause not found in the {side} side of the join with {relation}"))
    })?;
    let column = ast::Ident::new(name);
    Ok(match &c.qualifier {
        Some(q) => ast::Expr::CompoundIdentifier(vec![ast::Ident::new(q), column]),
        None => ast::Expr::Identifier(column),
    })
}

fn cast_column(schema: &PlanSchema, i: usize, dt: &DataType) -> Result<PhysExpr> {
    let col = column(schema, i);
    if &schema.columns[i].ty.ty.to_arrow() == dt {
        return Ok(col);
    }
    Ok(datafusion_physical_expr::expressions::cast(col, &schema.arrow(), dt.clone())?)
}

fn probe_index(probe: &PlanSchema, c: &datafusion_common::Column) -> Option<usize> {
    probe.columns.iter().position(|p| p.name == c.name && c.relation.as_ref().is_none_or(|r| p.qualifier.as_deref() == Some(r.table())))
}

fn split_conjuncts(e: &ast::Expr, out: &mut Vec<Option<ast::Expr>>) {
    match e {
        ast::Expr::BinaryOp { left, op: BinaryOperator::And, right } => {
            split_conjuncts(left, out);
            split_conjuncts(right, out);
        }
        ast::Expr::Nested(inner) if matches!(**inner, ast::Expr::BinaryOp { op: BinaryOperator::And, .. }) => split_conjuncts(inner, out),
        other => out.push(Some(other.clone())),
    }
}

fn unnest(e: &ast::Expr) -> &ast::Expr {
    match e {
        ast::Expr::Nested(inner) => unnest(inner),
        other => other,
    }
}

fn flip(op: &BinaryOperator) -> BinaryOperator {
    match op {
        BinaryOperator::Gt => BinaryOperator::Lt,
        BinaryOperator::GtEq => BinaryOperator::LtEq,
        BinaryOperator::Lt => BinaryOperator::Gt,
        _ => BinaryOperator::GtEq,
    }
}

fn time_name(t: Option<TimeAttribute>) -> &'static str {
    match t {
        Some(TimeAttribute::Rowtime) => "rowtime",
        Some(TimeAttribute::Proctime) => "proctime",
        None => "plain",
    }
}

fn join_operator_name(op: &JoinOperator) -> &'static str {
    match op {
        JoinOperator::Semi(_) | JoinOperator::LeftSemi(_) | JoinOperator::RightSemi(_) => "SEMI JOIN",
        JoinOperator::Anti(_) | JoinOperator::LeftAnti(_) | JoinOperator::RightAnti(_) => "ANTI JOIN",
        JoinOperator::CrossApply | JoinOperator::OuterApply => "APPLY",
        JoinOperator::AsOf { .. } => "ASOF JOIN",
        _ => "join",
    }
}
