//! Plans to runtime jobs: every plan node becomes a source or an operator of an oxflow-core job
//! graph; forward-connected ones are chained into one task by the core planner.

use std::sync::Arc;

use crossbeam_channel::Receiver;
use oxflow_core::checkpoint::storage::LoadedSnapshot;
use oxflow_core::executor::RunningJob;
use oxflow_core::graph::{Edge, JobGraph, NodeId, Partitioning};
use oxflow_core::operator::{Operator, OperatorFactory};
use oxflow_core::operators::SinkOperator;

use super::calc::{Filter, Limit, Project, Union};
use super::correlate::Correlate;
use super::data::{ChangeBatch, TableData};
use super::deduplicate::Deduplicate;
use super::rank::Rank;
use super::window_rank::WindowRank;
use super::calc::relaxed;
use super::group_aggregate::GroupAggregate;
use super::interval_join::IntervalJoin;
use super::join::Join;
use super::keys::KeyEncoder;
use super::match_recognize::MatchRecognize;
use super::over_aggregate::OverAggregate;
use super::partition::KeyPartitioner;
use super::watermark::WatermarkAssigner;
use super::window_aggregate::{Lateness, WindowAggregate, WindowTime};
use super::window_assign::WindowAssign;
use super::lookup_join::LookupJoin;
use super::temporal_join::TemporalJoin;
use super::window_join::WindowJoin;
use crate::catalog::{option, InlineTable};
use crate::connector::sinks::{BlackholeSink, CollectSink, LineWriter, PrintSink};
use crate::connector::{self, ConnectorMetrics};
use crate::error::{Result, SqlError};
use crate::format::FormatOptions;
use crate::parse::CreateTable;
use crate::plan::{JoinKeys, Node, PhysExpr, Planned, RankSpec, RankStrategy, TimeAttribute};
use crate::types::SqlType;

/// Where a job's rows go.
pub enum SinkTarget {
    /// Back to the program (`TableResult.collect()` / `print()`).
    Collect,
    /// A catalog table (`INSERT INTO`).
    Table { table: Arc<CreateTable>, names: Vec<String>, types: Vec<SqlType> },
}

/// Settings of one job.
#[derive(Clone)]
pub struct JobSettings {
    pub name: String,
    pub parallelism: usize,
    /// Where print sinks write their lines.
    pub print: LineWriter,
    /// The runtime settings the job starts with: checkpoints, restore, state backend, restart
    /// strategy (batch size and max parallelism are set by [`start`]).
    pub runtime: oxflow_core::graph::JobConfig,
}

pub struct SqlJob {
    pub running: RunningJob,
    /// The collected rows, when the job has a collect sink.
    pub results: Option<Receiver<ChangeBatch>>,
    pub metrics: ConnectorMetrics,
}

/// Rows per batch from a source.
const SOURCE_BATCH_ROWS: usize = 4096;

struct Builder {
    graph: JobGraph<TableData>,
    metrics: ConnectorMetrics,
    settings: JobSettings,
    max_parallelism: usize,
}

fn op<O: Operator<TableData> + Clone + Sync + 'static>(o: O) -> oxflow_core::operator::OperatorFactory<TableData> {
    Box::new(move |_| Ok(Box::new(o.clone()) as Box<dyn Operator<TableData>>))
}

fn forward(from: NodeId) -> Vec<Edge> {
    vec![Edge { from, partitioning: Partitioning::Forward, port: 0 }]
}

/// A node of the job graph and its parallelism.
#[derive(Clone, Copy)]
struct Built {
    id: NodeId,
    parallelism: usize,
}

impl Builder {
    fn error(e: oxflow_core::error::JobError) -> SqlError {
        SqlError::Execution(e.to_string())
    }

    /// A stateless operator: as parallel as its input, chained to it.
    fn chained(&mut self, name: &str, factory: oxflow_core::operator::OperatorFactory<TableData>, input: Built) -> Result<Built> {
        let id = self.graph.add_operator(name, input.parallelism, factory, forward(input.id)).map_err(Self::error)?;
        Ok(Built { id, parallelism: input.parallelism })
    }

    /// The edge into a keyed operator of the job's parallelism: with more than one subtask, the
    /// input is split by the hash of `keys` (none: everything to one subtask).
    fn keyed_input(&mut self, input: Built, keys: &[PhysExpr]) -> Result<(Vec<Edge>, usize)> {
        let parallelism = self.keyed_parallelism(keys);
        Ok((vec![self.keyed_edge(input, keys, parallelism, 0)?], parallelism))
    }

    /// The edges of a two-input keyed operator (a join): the left input on port 0, the right on
    /// port 1, each split by the hash of its keys (equal keys have equal types on both sides, so
    /// they hash alike and meet in one subtask).
    fn keyed_inputs(&mut self, left: Built, right: Built, left_keys: &[PhysExpr], right_keys: &[PhysExpr]) -> Result<(Vec<Edge>, usize)> {
        let parallelism = self.keyed_parallelism(left_keys);
        Ok((vec![self.keyed_edge(left, left_keys, parallelism, 0)?, self.keyed_edge(right, right_keys, parallelism, 1)?], parallelism))
    }

    fn keyed_parallelism(&self, keys: &[PhysExpr]) -> usize {
        if keys.is_empty() {
            1
        } else {
            self.settings.parallelism.max(1)
        }
    }

    fn keyed_edge(&mut self, input: Built, keys: &[PhysExpr], parallelism: usize, port: usize) -> Result<Edge> {
        if parallelism == 1 {
            let partitioning = if input.parallelism == 1 { Partitioning::Forward } else { Partitioning::Global };
            return Ok(Edge { from: input.id, partitioning, port });
        }
        let partitioner = KeyPartitioner::new(keys.to_vec(), parallelism, self.max_parallelism);
        let split = self.chained(KEY_PARTITION, op(partitioner), input)?;
        Ok(Edge { from: split.id, partitioning: Partitioning::Hash, port })
    }

    /// An operator that sees every row: one subtask.
    fn global_input(input: Built) -> Vec<Edge> {
        let partitioning = if input.parallelism == 1 { Partitioning::Forward } else { Partitioning::Global };
        vec![Edge { from: input.id, partitioning, port: 0 }]
    }

    fn node(&mut self, p: &Planned) -> Result<Built> {
        let arrow = p.schema.arrow();
        Ok(match &p.node {
            Node::Scan { table } => {
                let factory = connector::source_factory(table, &p.schema, self.metrics.clone())?;
                Built { id: self.graph.add_source(format!("Source: {}", table.name.join(".")), 1, factory), parallelism: 1 }
            }
            Node::Inline(t) => self.inline(t),
            Node::Project { input, exprs } => {
                let i = self.node(input)?;
                self.chained("Calc", op(Project { exprs: exprs.clone(), schema: arrow }), i)?
            }
            Node::Filter { input, predicate } => {
                let i = self.node(input)?;
                self.chained("Filter", op(Filter { predicate: predicate.clone() }), i)?
            }
            Node::Watermark { input, expr, rowtime, on_event, interval_ms } => {
                let i = self.node(input)?;
                self.chained("WatermarkAssigner", op(WatermarkAssigner::new(expr.clone(), *rowtime, *on_event, *interval_ms)), i)?
            }
            Node::WindowAssign { input, window, time_column } => {
                let i = self.node(input)?;
                let ltz = matches!(input.schema.columns[*time_column].ty.ty, SqlType::TimestampLtz(_));
                self.chained("WindowTableFunction", op(WindowAssign { window: *window, time_column: *time_column, schema: arrow, ltz }), i)?
            }
            Node::WindowAggregate { input, window, time_column, keys, aggregates, from_tvf } => {
                let i = self.node(input)?;
                let (window, time_column) = (*window, *time_column);
                let ltz = matches!(input.schema.columns[time_column].ty.ty, SqlType::TimestampLtz(_));
                let time = match input.schema.columns[time_column].time {
                    Some(TimeAttribute::Proctime) => WindowTime::Processing,
                    _ => WindowTime::Event { column: time_column },
                };
                let key_types: Vec<_> = p.schema.columns[..keys.len()].iter().map(|c| c.ty.ty.to_arrow()).collect();
                let (edges, parallelism) = self.keyed_input(i, keys)?;
                let keys = keys.clone();
                let calls: Arc<[_]> = aggregates.clone().into();
                // Group windows in GROUP BY are Flink's window operator; TVF aggregation its slicing one.
                let lateness = if *from_tvf { Lateness::PerSlice } else { Lateness::PerWindow };
                let late = self.metrics.late_records_dropped.clone();
                let factory: oxflow_core::operator::OperatorFactory<TableData> = Box::new(move |_| {
                    let encoder = KeyEncoder::new(keys.clone(), key_types.clone())?;
                    Ok(Box::new(WindowAggregate::new(window, time, encoder, calls.clone(), arrow.clone(), lateness, ltz, late.clone()))
                        as Box<dyn Operator<TableData>>)
                });
                let id = self.graph.add_operator(format!("WindowAggregate({window})"), parallelism, factory, edges).map_err(Self::error)?;
                Built { id, parallelism }
            }
            Node::GroupAggregate { input, keys, aggregates } => {
                let i = self.node(input)?;
                let key_types: Vec<_> = p.schema.columns[..keys.len()].iter().map(|c| c.ty.ty.to_arrow()).collect();
                let (edges, parallelism) = self.keyed_input(i, keys)?;
                let keys = keys.clone();
                let calls: Arc<[_]> = aggregates.clone().into();
                let retracting = input.updating;
                if retracting {
                    refuse_unretractable(aggregates)?;
                }
                let factory: oxflow_core::operator::OperatorFactory<TableData> = Box::new(move |_| {
                    let encoder = KeyEncoder::new(keys.clone(), key_types.clone())?;
                    Ok(Box::new(GroupAggregate::new(encoder, calls.clone(), arrow.clone(), retracting)) as Box<dyn Operator<TableData>>)
                });
                let id = self.graph.add_operator("GroupAggregate", parallelism, factory, edges).map_err(Self::error)?;
                Built { id, parallelism }
            }
            Node::Correlate { input, function, args, outer } => {
                let i = self.node(input)?;
                let name = format!("Correlate({})", function.name());
                self.chained(&name, op(Correlate::new(function.clone(), args.clone(), *outer, arrow)), i)?
            }
            Node::Union { inputs } => {
                let built = inputs.iter().map(|i| self.node(i)).collect::<Result<Vec<_>>>()?;
                let parallelism = built.iter().map(|b| b.parallelism).max().unwrap_or(1);
                let edges = built
                    .iter()
                    .map(|b| {
                        let partitioning = if b.parallelism == parallelism { Partitioning::Forward } else { Partitioning::Rebalance };
                        Edge { from: b.id, partitioning, port: 0 }
                    })
                    .collect();
                let id = self.graph.add_operator("Union", parallelism, op(Union), edges).map_err(Self::error)?;
                Built { id, parallelism }
            }
            Node::Join { left, right, kind, keys, condition, state_ttl_ms } => {
                let (kind, condition, ttl) = (*kind, condition.clone(), *state_ttl_ms);
                self.join(left, right, keys, format!("Join({})", kind.name()), move |encoders, inputs| {
                    Ok(Box::new(Join::new(encoders, inputs, arrow.clone(), kind, condition.clone(), ttl)?))
                })?
            }
            Node::IntervalJoin { left, right, kind, keys, bounds, condition } => {
                let (kind, bounds, condition) = (*kind, *bounds, condition.clone());
                let late = self.metrics.late_records_dropped.clone();
                self.join(left, right, keys, format!("IntervalJoin({})", kind.name()), move |encoders, inputs| {
                    Ok(Box::new(IntervalJoin::new(encoders, inputs, arrow.clone(), kind, bounds, condition.clone(), late.clone())?))
                })?
            }
            Node::WindowJoin { left, right, kind, keys, windows, condition } => {
                let (kind, windows, condition) = (*kind, *windows, condition.clone());
                let late = self.metrics.late_records_dropped.clone();
                self.join(left, right, keys, format!("WindowJoin({})", kind.name()), move |encoders, inputs| {
                    Ok(Box::new(WindowJoin::new(encoders, inputs, arrow.clone(), kind, windows, condition.clone(), late.clone())?))
                })?
            }
            Node::TemporalJoin { left, right, kind, keys, times, condition } => {
                let (kind, times, condition) = (*kind, *times, condition.clone());
                self.join(left, right, keys, format!("TemporalJoin({})", kind.name()), move |encoders, inputs| {
                    Ok(Box::new(TemporalJoin::new(encoders, inputs, arrow.clone(), kind, times, condition.clone())?))
                })?
            }
            Node::LookupJoin { left, lookup, kind, keys, condition } => {
                let i = self.node(left)?;
                let source = Arc::new(connector::source_factory(&lookup.table, &lookup.scan, self.metrics.clone())?);
                let name = format!("LookupJoin(table=[[{}]], joinType=[{}])", lookup.table.name.join("."), kind.name());
                let (lookup, kind, condition, keys) = (lookup.clone(), *kind, condition.clone(), keys.clone());
                let left = relaxed(&left.schema.arrow());
                let factory: OperatorFactory<TableData> = Box::new(move |_| {
                    let join = LookupJoin::new(join_encoders(&keys)?, left.clone(), arrow.clone(), kind, condition.clone(), lookup.clone(), source.clone())?;
                    Ok(Box::new(join) as Box<dyn Operator<TableData>>)
                });
                self.chained(&name, factory, i)?
            }
            Node::Rank { input, rank } => {
                let i = self.node(input)?;
                self.rank(i, input, rank, arrow)?
            }
            Node::MatchRecognize { input, spec } => {
                let i = self.node(input)?;
                let (edges, parallelism) = self.keyed_input(i, &spec.partition)?;
                let (spec, late) = (spec.clone(), self.metrics.late_records_dropped.clone());
                let name = spec.explain();
                let factory: OperatorFactory<TableData> =
                    Box::new(move |_| Ok(Box::new(MatchRecognize::new(spec.clone(), &arrow, late.clone())?) as Box<dyn Operator<TableData>>));
                let id = self.graph.add_operator(name, parallelism, factory, edges).map_err(Self::error)?;
                Built { id, parallelism }
            }
            Node::OverAggregate { input, over } => {
                let i = self.node(input)?;
                let (edges, parallelism) = self.keyed_input(i, &over.partition)?;
                let (spec, late) = (Arc::new((**over).clone()), self.metrics.late_records_dropped.clone());
                let factory: OperatorFactory<TableData> =
                    Box::new(move |_| Ok(Box::new(OverAggregate::new(&spec, &arrow, late.clone())?) as Box<dyn Operator<TableData>>));
                let id = self.graph.add_operator(over.explain(), parallelism, factory, edges).map_err(Self::error)?;
                Built { id, parallelism }
            }
            Node::Limit { input, offset, fetch } => {
                let i = self.node(input)?;
                let id = self.graph.add_operator("Limit", 1, op(Limit { offset: *offset, fetch: *fetch, seen: 0 }), Self::global_input(i)).map_err(Self::error)?;
                Built { id, parallelism: 1 }
            }
        })
    }

    /// A join operator of two inputs keyed by `keys`; `make` builds each subtask's operator from
    /// the key encoders and the inputs' schemas.
    fn join(
        &mut self,
        left: &Planned,
        right: &Planned,
        keys: &JoinKeys,
        name: String,
        make: impl Fn([KeyEncoder; 2], [arrow::datatypes::SchemaRef; 2]) -> std::result::Result<Box<dyn Operator<TableData>>, oxflow_core::error::BoxError> + Send + Sync + 'static,
    ) -> Result<Built> {
        let (l, r) = (self.node(left)?, self.node(right)?);
        let (edges, parallelism) = self.keyed_inputs(l, r, &keys.left_exprs, &keys.right_exprs)?;
        let inputs = [relaxed(&left.schema.arrow()), relaxed(&right.schema.arrow())];
        let keys = keys.clone();
        let factory: oxflow_core::operator::OperatorFactory<TableData> = Box::new(move |_| make(join_encoders(&keys)?, inputs.clone()));
        let id = self.graph.add_operator(name, parallelism, factory, edges).map_err(Self::error)?;
        Ok(Built { id, parallelism })
    }

    /// A Top-N, deduplication or window Top-N, keyed by its PARTITION BY keys.
    fn rank(&mut self, input: Built, planned: &Planned, rank: &RankSpec, output: arrow::datatypes::SchemaRef) -> Result<Built> {
        let (edges, parallelism) = self.keyed_input(input, &rank.partition)?;
        let spec = Arc::new(rank.clone());
        let input_schema = planned.schema.arrow();
        let late = self.metrics.late_records_dropped.clone();
        let factory: OperatorFactory<TableData> = Box::new(move |_| {
            let (spec, input, output) = (spec.clone(), &input_schema, &output);
            Ok(match spec.strategy {
                RankStrategy::Deduplicate { .. } => Box::new(Deduplicate::new(spec, input, output, late.clone())?) as Box<dyn Operator<TableData>>,
                RankStrategy::Window { .. } => Box::new(WindowRank::new(spec, input, output, late.clone())?),
                RankStrategy::TopN { .. } | RankStrategy::FastTop1 { .. } => Box::new(Rank::new(spec, input, output)?),
            })
        });
        let id = self.graph.add_operator(rank.explain(), parallelism, factory, edges).map_err(Self::error)?;
        Ok(Built { id, parallelism })
    }

    fn inline(&mut self, t: &Arc<InlineTable>) -> Built {
        Built { id: self.graph.add_source("Source: Values", 1, connector::inline_factory(t.clone())), parallelism: 1 }
    }

    fn sink(&mut self, input: Built, target: SinkTarget) -> Result<Option<Receiver<ChangeBatch>>> {
        let edge = forward(input.id);
        let parallelism = input.parallelism;
        let err = Self::error;
        match target {
            SinkTarget::Collect => {
                let (tx, rx) = crossbeam_channel::bounded(16);
                self.graph
                    .add_operator("Sink: Collect", 1, Box::new(move |_| Ok(Box::new(SinkOperator::new(CollectSink { sender: tx.clone() })) as Box<dyn Operator<TableData>>)), Self::global_input(input))
                    .map_err(err)?;
                Ok(Some(rx))
            }
            SinkTarget::Table { table, names, types } => {
                let name = format!("Sink: {}", table.name.join("."));
                let connector = option(&table, "connector").unwrap_or_default().to_string();
                match connector.as_str() {
                    "print" => {
                        let writer = self.settings.print.clone();
                        let identifier = option(&table, "print-identifier").map(str::to_string);
                        let stderr = option(&table, "standard-error").is_some_and(|v| v == "true");
                        let options = FormatOptions { types };
                        self.graph
                            .add_operator(&name, parallelism, Box::new(move |_| Ok(Box::new(SinkOperator::new(PrintSink::new(writer.clone(), identifier.clone(), stderr, options.clone()))) as Box<dyn Operator<TableData>>)), edge)
                            .map_err(err)?;
                    }
                    "blackhole" => {
                        self.graph.add_operator(&name, parallelism, Box::new(|_| Ok(Box::new(SinkOperator::new(BlackholeSink)) as Box<dyn Operator<TableData>>)), edge).map_err(err)?;
                    }
                    "filesystem" => {
                        let spec = connector::file_sink_spec(&table)?;
                        let job = format!("{:016x}", std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_nanos() as u64).unwrap_or(0));
                        let factory: OperatorFactory<TableData> = if spec.format == connector::filesystem::FileFormat::Parquet {
                            let schema = crate::arrow_bridge::schema_of(&crate::catalog::physical_columns(&table));
                            Box::new(move |_| Ok(Box::new(SinkOperator::new(connector::parquet::ParquetSink::new(spec.dir.clone(), job.clone(), schema.clone()))) as Box<dyn Operator<TableData>>))
                        } else {
                            Box::new(move |_| Ok(Box::new(SinkOperator::new(connector::file_sink::FileSink::new(spec.clone(), job.clone(), names.clone()))) as Box<dyn Operator<TableData>>))
                        };
                        self.graph.add_operator(&name, parallelism, factory, edge).map_err(err)?;
                    }
                    "datagen" => return Err(SqlError::Validation(format!("Connector 'datagen' can only be used as a source. It cannot be used as a sink (table '{}').", table.name.join(".")))),
                    other => return Err(SqlError::Unsupported(format!("Could not find any factory for identifier '{other}' that implements a sink. Available: blackhole, filesystem, print"))),
                }
                Ok(None)
            }
        }
    }
}

/// Starts one job writing each plan to its sink (several for a statement set).
pub fn start(pipelines: Vec<(Planned, SinkTarget)>, settings: JobSettings) -> Result<SqlJob> {
    let mut runtime = settings.runtime.clone();
    // A restored job keeps the snapshot's key groups (its keyed state is split by them).
    let max_parallelism = match &runtime.restore {
        Some(r) => r.snapshot.metadata.max_parallelism,
        None => oxflow_core::key_group::default_max_parallelism(settings.parallelism.max(1)),
    };
    if let Some(r) = &mut runtime.restore {
        r.snapshot = Arc::new(without_partitioners(&r.snapshot));
    }
    let mut graph = JobGraph::new(settings.name.clone());
    graph.config = runtime;
    graph.config.max_parallelism = Some(max_parallelism);
    // Bigger batches than the runtime's default: a SQL operator's cost is mostly per batch.
    graph.config.batch_size = SOURCE_BATCH_ROWS;
    let mut b = Builder { graph, metrics: ConnectorMetrics::default(), settings, max_parallelism };
    let mut results = None;
    for (plan, target) in pipelines {
        let node = b.node(&plan)?;
        if let Some(rx) = b.sink(node, target)? {
            results = Some(rx);
        }
    }
    let metrics = b.metrics.clone();
    assign_uids(&mut b.graph);
    let running = oxflow_core::executor::start(b.graph).map_err(|e| SqlError::Execution(e.to_string()))?;
    Ok(SqlJob { running, results, metrics })
}

/// The name of the stateless operators that split a keyed operator's input; there are none at
/// parallelism 1, so they take no part in the uids of the others.
const KEY_PARTITION: &str = "KeyPartition";

/// Uids from the plan alone, as Flink derives them from the plan's structure: the same SQL gets
/// the same uids at any parallelism (node ids differ, as only parallel jobs split their inputs).
fn assign_uids(graph: &mut JobGraph<TableData>) {
    let mut n = 0;
    for node in &mut graph.nodes {
        if node.name == KEY_PARTITION {
            node.uid = Some(format!("{n}-{KEY_PARTITION}-{}", node.inputs.first().map_or(0, |e| e.from)));
        } else {
            node.uid = Some(format!("{n}-{}", node.name));
            n += 1;
        }
    }
}

/// `snapshot` without the (empty) state of key partitioners, so a job of another parallelism,
/// which has other partitioners or none, does not find it unclaimed.
fn without_partitioners(snapshot: &LoadedSnapshot) -> LoadedSnapshot {
    let partitioner = |uid: &str| uid.split('-').nth(1) == Some(KEY_PARTITION);
    let operators = snapshot
        .operators
        .iter()
        .filter(|(uid, state)| !(partitioner(uid) && state.iter().all(|s| s.is_empty())))
        .map(|(uid, state)| (uid.clone(), state.clone()))
        .collect();
    LoadedSnapshot { path: snapshot.path.clone(), metadata: snapshot.metadata.clone(), operators }
}

/// The key encoders of a join's two inputs (both sides' keys cast to one type).
fn join_encoders(keys: &JoinKeys) -> std::result::Result<[KeyEncoder; 2], oxflow_core::error::BoxError> {
    Ok([KeyEncoder::new(keys.left_exprs.clone(), keys.types.clone())?, KeyEncoder::new(keys.right_exprs.clone(), keys.types.clone())?])
}

/// A GROUP BY over an updating input retracts rows from its accumulators: one whose function
/// cannot take a row back (`SUM(DISTINCT)` of a non-BIGINT, ...) is refused before the job
/// starts, not at its first retraction.
fn refuse_unretractable(calls: &[crate::plan::AggregateCall]) -> Result<()> {
    // User aggregates are asked at their first retraction (their accumulators are user code).
    for call in calls.iter().filter(|c| !c.user_code) {
        let why = match super::retracting::retracting_accumulator(call) {
            Ok(acc) if acc.supports_retract_batch() => continue,
            Ok(_) => "the aggregate cannot retract rows".to_string(),
            Err(e) => e.to_string(),
        };
        let function = format!("{}({})", call.func.name().to_ascii_uppercase(), if call.distinct { "DISTINCT .." } else { ".." });
        return Err(SqlError::Unsupported(format!(
            "{function} (column {}) over an updating input (its update and delete rows must be retracted): {why}",
            call.name
        )));
    }
    Ok(())
}
