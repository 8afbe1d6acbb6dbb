//! The streaming plan: what a query computes, in nodes the runtime executes (see [`crate::exec`]).
//! Expressions are DataFusion physical expressions, planned once here and shared by every
//! parallel instance.

pub mod aggregate;
mod correlate;
mod expr;
mod grouping;
pub mod join;
pub mod lookup_join;
pub mod match_pattern;
pub mod match_recognize;
pub mod over_aggregate;
mod query;
pub mod rank;
mod schema;
mod temporal_join;
pub mod window;
mod window_join;
pub mod window_property;

use std::sync::Arc;

use datafusion_physical_expr::PhysicalExpr;

pub use aggregate::AggregateCall;
pub use expr::ExprPlanner;
pub use join::{IntervalBounds, JoinKeys, JoinKind};
pub use lookup_join::{LookupStep, LookupTable};
pub use temporal_join::TemporalTimes;
pub use window_join::WindowJoinSpec;
pub use over_aggregate::{OverFrame, OverSpec};
pub use query::{Planner, PlannerConfig};
pub use rank::{RankFunction, RankSpec, RankStrategy};
pub use schema::{PlanColumn, PlanSchema, TimeAttribute};
pub use window::WindowSpec;

use crate::catalog::InlineTable;
use crate::parse::CreateTable;

pub type PhysExpr = Arc<dyn PhysicalExpr>;

/// A node of the plan with the schema of what it emits.
#[derive(Clone, Debug)]
pub struct Planned {
    pub node: Node,
    pub schema: PlanSchema,
    /// The node emits updates and retractions (-U, +U, -D), not only inserts.
    pub updating: bool,
}

#[derive(Clone, Debug)]
pub enum Node {
    /// A connector table's physical columns.
    Scan { table: Arc<CreateTable> },
    Inline(Arc<InlineTable>),
    /// Columns computed from the input's (kinds kept).
    Project { input: Box<Planned>, exprs: Vec<PhysExpr> },
    Filter { input: Box<Planned>, predicate: PhysExpr },
    /// Watermarks from `expr` (the table's `WATERMARK FOR col AS expr`) on the rowtime column
    /// `rowtime`, rows unchanged.
    Watermark { input: Box<Planned>, expr: PhysExpr, rowtime: usize, on_event: bool, interval_ms: i64 },
    /// A window TVF without aggregation: every row once per window it falls in, with
    /// window_start, window_end and window_time appended.
    WindowAssign { input: Box<Planned>, window: WindowSpec, time_column: usize },
    /// One final row per (key, window) when the watermark passes the window's end: the keys, then
    /// window_start, window_end, window_time, then the aggregates.
    WindowAggregate {
        input: Box<Planned>,
        window: WindowSpec,
        time_column: usize,
        keys: Vec<PhysExpr>,
        aggregates: Vec<AggregateCall>,
        /// A window TVF's aggregation (Flink's slicing operator decides lateness per slice),
        /// not a legacy group window (per window).
        from_tvf: bool,
    },
    /// An unbounded GROUP BY: the keys, then the aggregates, updated per input row.
    GroupAggregate { input: Box<Planned>, keys: Vec<PhysExpr>, aggregates: Vec<AggregateCall> },
    /// Every input row joined with the rows `function` produces for it (`args` of the row);
    /// `outer`: rows it produces nothing for are kept with NULLs.
    Correlate { input: Box<Planned>, function: Arc<dyn crate::functions::TableFunction>, args: Vec<PhysExpr>, outer: bool },
    Union { inputs: Vec<Planned> },
    /// A regular join (Flink's StreamingJoinOperator): the left's columns, then the right's;
    /// `condition` (over that joined row) is what ON says beyond the equi keys.
    Join { left: Box<Planned>, right: Box<Planned>, kind: JoinKind, keys: JoinKeys, condition: Option<PhysExpr>, state_ttl_ms: Option<i64> },
    /// An interval join of two append-only rowtime inputs: rows whose times meet `bounds`, state
    /// cleaned by the watermark.
    IntervalJoin { left: Box<Planned>, right: Box<Planned>, kind: JoinKind, keys: JoinKeys, bounds: IntervalBounds, condition: Option<PhysExpr> },
    /// A window join (Flink's WindowJoin) of two window TVF outputs on equal windows: each
    /// window's rows of both sides joined when the watermark passes its end, late rows dropped.
    WindowJoin { left: Box<Planned>, right: Box<Planned>, kind: JoinKind, keys: JoinKeys, windows: WindowJoinSpec, condition: Option<PhysExpr> },
    /// An event-time temporal join (Flink's TemporalRowTimeJoinOperator): each left row joins the
    /// right version valid at its time, once the watermark passes that time; append-only output.
    TemporalJoin { left: Box<Planned>, right: Box<Planned>, kind: JoinKind, keys: JoinKeys, times: TemporalTimes, condition: Option<PhysExpr> },
    /// A lookup join (Flink's LookupJoin): each left row joined with the rows of the dimension
    /// table `lookup` matching its keys when it arrives (see [`lookup_join`]).
    LookupJoin { left: Box<Planned>, lookup: Arc<LookupTable>, kind: JoinKind, keys: JoinKeys, condition: Option<PhysExpr> },
    /// A ranking window function (Top-N, deduplication, window Top-N; see [`rank`]): the
    /// input's columns, then the rank number.
    Rank { input: Box<Planned>, rank: Box<RankSpec> },
    /// MATCH_RECOGNIZE: one row per match of the pattern in each partition (see
    /// [`match_recognize`]): the partition columns, then the measures.
    MatchRecognize { input: Box<Planned>, spec: Arc<match_recognize::MatchSpec> },
    /// An OVER aggregation (see [`over_aggregate`]): the input's columns, then the aggregates,
    /// one output row per input row.
    OverAggregate { input: Box<Planned>, over: Box<OverSpec> },
    /// The first `fetch` rows after `offset`.
    Limit { input: Box<Planned>, offset: usize, fetch: Option<usize> },
}

impl Planned {
    /// Short names of the nodes, for EXPLAIN.
    pub fn explain(&self) -> String {
        let mut out = String::new();
        self.explain_into(0, &mut out);
        out
    }

    fn explain_into(&self, depth: usize, out: &mut String) {
        let pad = "  ".repeat(depth);
        let cols = self.schema.columns.iter().map(|c| c.name.as_str()).collect::<Vec<_>>().join(", ");
        let (name, inputs): (String, Vec<&Planned>) = match &self.node {
            Node::Scan { table } => (format!("TableSourceScan(table=[[{}]])", table.name.join(".")), vec![]),
            Node::Inline(_) => ("Values".into(), vec![]),
            Node::Project { input, .. } => ("Calc".into(), vec![input]),
            Node::Filter { input, .. } => ("Filter".into(), vec![input]),
            Node::Watermark { input, .. } => ("WatermarkAssigner".into(), vec![input]),
            Node::WindowAssign { input, window, .. } => (format!("WindowTableFunction(window=[{window}])"), vec![input]),
            Node::WindowAggregate { input, window, .. } => (format!("WindowAggregate(window=[{window}])"), vec![input]),
            Node::GroupAggregate { input, .. } => ("GroupAggregate".into(), vec![input]),
            Node::Correlate { input, function, outer, .. } => {
                (format!("Correlate(invocation=[{}], joinType=[{}])", function.name(), if *outer { "LEFT" } else { "INNER" }), vec![input])
            }
            Node::Union { inputs } => ("Union(all=[true])".into(), inputs.iter().collect()),
            Node::Limit { input, .. } => ("Limit".into(), vec![input]),
            Node::Rank { input, rank } => (rank.explain(), vec![input]),
            Node::MatchRecognize { input, spec } => (spec.explain(), vec![input]),
            Node::OverAggregate { input, over } => (over.explain(), vec![input]),
            Node::Join { left, right, kind, .. } => (format!("Join(joinType=[{}])", kind.name()), vec![left, right]),
            Node::WindowJoin { left, right, kind, windows, .. } => (format!("WindowJoin(joinType=[{}], window=[{}])", kind.name(), windows.window), vec![left, right]),
            Node::TemporalJoin { left, right, kind, .. } => (format!("TemporalJoin(joinType=[{}])", kind.name()), vec![left, right]),
            Node::LookupJoin { left, lookup, kind, .. } => {
                (format!("LookupJoin(table=[[{}]], joinType=[{}])", lookup.table.name.join("."), kind.name()), vec![left])
            }
            Node::IntervalJoin { left, right, kind, bounds, .. } => (
                format!("IntervalJoin(joinType=[{}], windowBounds=[leftLowerBound={}, leftUpperBound={}])", kind.name(), bounds.lower, bounds.upper),
                vec![left, right],
            ),
        };
        let kind = if self.updating { ", changelogMode=[I,UB,UA,D]" } else { "" };
        out.push_str(&format!("{pad}{name}, fields=[{cols}]{kind}\n"));
        for i in inputs {
            i.explain_into(depth + 1, out);
        }
    }
}
