//! Plans to runtime jobs: every plan node becomes a source or an operator of an oxflow-core job
//! graph; forward-connected ones are chained into one task by the core planner.

use std::sync::Arc;

use crossbeam_channel::Receiver;
use oxflow_core::executor::RunningJob;
use oxflow_core::graph::{Edge, JobGraph, NodeId, Partitioning};
use oxflow_core::operator::{Operator, OperatorFactory};
use oxflow_core::operators::SinkOperator;

use super::calc::{Filter, Limit, Project, Union};
use super::data::{ChangeBatch, TableData};
use super::group_aggregate::GroupAggregate;
use super::keys::KeyEncoder;
use super::watermark::WatermarkAssigner;
use super::window_aggregate::{Lateness, WindowAggregate};
use super::window_assign::WindowAssign;
use crate::catalog::{option, InlineTable};
use crate::connector::sinks::{BlackholeSink, CollectSink, LineWriter, PrintSink};
use crate::connector::{self, ConnectorMetrics};
use crate::error::{Result, SqlError};
use crate::format::FormatOptions;
use crate::parse::CreateTable;
use crate::plan::{Node, Planned};
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
}

pub struct SqlJob {
    pub running: RunningJob,
    /// The collected rows, when the job has a collect sink.
    pub results: Option<Receiver<ChangeBatch>>,
    pub metrics: ConnectorMetrics,
}

struct Builder {
    graph: JobGraph<TableData>,
    metrics: ConnectorMetrics,
    settings: JobSettings,
}

fn op<O: Operator<TableData> + Clone + Sync + 'static>(o: O) -> oxflow_core::operator::OperatorFactory<TableData> {
    Box::new(move |_| Ok(Box::new(o.clone()) as Box<dyn Operator<TableData>>))
}

fn forward(from: NodeId) -> Vec<Edge> {
    vec![Edge { from, partitioning: Partitioning::Forward, port: 0 }]
}

impl Builder {
    fn node(&mut self, p: &Planned) -> Result<NodeId> {
        let arrow = p.schema.arrow();
        let add = |b: &mut Builder, name: &str, factory, input: NodeId| -> Result<NodeId> {
            b.graph.add_operator(name, 1, factory, forward(input)).map_err(|e| SqlError::Execution(e.to_string()))
        };
        Ok(match &p.node {
            Node::Scan { table } => {
                let factory = connector::source_factory(table, &p.schema, self.metrics.clone())?;
                self.graph.add_source(format!("Source: {}", table.name.join(".")), 1, factory)
            }
            Node::Inline(t) => self.inline(t),
            Node::Project { input, exprs } => {
                let i = self.node(input)?;
                add(self, "Calc", op(Project { exprs: exprs.clone(), schema: arrow }), i)?
            }
            Node::Filter { input, predicate } => {
                let i = self.node(input)?;
                add(self, "Filter", op(Filter { predicate: predicate.clone() }), i)?
            }
            Node::Watermark { input, expr, on_event, interval_ms } => {
                let i = self.node(input)?;
                add(self, "WatermarkAssigner", op(WatermarkAssigner::new(expr.clone(), *on_event, *interval_ms)), i)?
            }
            Node::WindowAssign { input, window, time_column } => {
                let i = self.node(input)?;
                let ltz = matches!(input.schema.columns[*time_column].ty.ty, SqlType::TimestampLtz(_));
                add(self, "WindowTableFunction", op(WindowAssign { window: *window, time_column: *time_column, schema: arrow, ltz }), i)?
            }
            Node::WindowAggregate { input, window, time_column, keys, aggregates, from_tvf } => {
                let i = self.node(input)?;
                let (window, time_column) = (*window, *time_column);
                let ltz = matches!(input.schema.columns[time_column].ty.ty, SqlType::TimestampLtz(_));
                let key_types: Vec<_> = p.schema.columns[..keys.len()].iter().map(|c| c.ty.ty.to_arrow()).collect();
                let keys = keys.clone();
                let calls: Arc<[_]> = aggregates.clone().into();
                // Group windows in GROUP BY are Flink's window operator; TVF aggregation its slicing one.
                let lateness = if *from_tvf { Lateness::PerSlice } else { Lateness::PerWindow };
                let late = self.metrics.late_records_dropped.clone();
                add(
                    self,
                    &format!("WindowAggregate({window})"),
                    Box::new(move |_| {
                        let encoder = KeyEncoder::new(keys.clone(), key_types.clone())?;
                        Ok(Box::new(WindowAggregate::new(window, time_column, encoder, calls.clone(), arrow.clone(), lateness, ltz, late.clone()))
                            as Box<dyn Operator<TableData>>)
                    }),
                    i,
                )?
            }
            Node::GroupAggregate { input, keys, aggregates } => {
                let i = self.node(input)?;
                let key_types: Vec<_> = p.schema.columns[..keys.len()].iter().map(|c| c.ty.ty.to_arrow()).collect();
                let keys = keys.clone();
                let calls: Arc<[_]> = aggregates.clone().into();
                add(
                    self,
                    "GroupAggregate",
                    Box::new(move |_| {
                        let encoder = KeyEncoder::new(keys.clone(), key_types.clone())?;
                        Ok(Box::new(GroupAggregate::new(encoder, calls.clone(), arrow.clone())) as Box<dyn Operator<TableData>>)
                    }),
                    i,
                )?
            }
            Node::Union { inputs } => {
                let ids = inputs.iter().map(|i| self.node(i)).collect::<Result<Vec<_>>>()?;
                let edges = ids.into_iter().map(|from| Edge { from, partitioning: Partitioning::Forward, port: 0 }).collect();
                self.graph.add_operator("Union", 1, op(Union), edges).map_err(|e| SqlError::Execution(e.to_string()))?
            }
            Node::Limit { input, offset, fetch } => {
                let i = self.node(input)?;
                add(self, "Limit", op(Limit { offset: *offset, fetch: *fetch, seen: 0 }), i)?
            }
        })
    }

    fn inline(&mut self, t: &Arc<InlineTable>) -> NodeId {
        self.graph.add_source("Source: Values", 1, connector::inline_factory(t.clone()))
    }

    fn sink(&mut self, input: NodeId, target: SinkTarget) -> Result<Option<Receiver<ChangeBatch>>> {
        let edge = forward(input);
        let err = |e: oxflow_core::error::JobError| SqlError::Execution(e.to_string());
        match target {
            SinkTarget::Collect => {
                let (tx, rx) = crossbeam_channel::bounded(16);
                self.graph
                    .add_operator("Sink: Collect", 1, Box::new(move |_| Ok(Box::new(SinkOperator::new(CollectSink { sender: tx.clone() })) as Box<dyn Operator<TableData>>)), edge)
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
                            .add_operator(&name, 1, Box::new(move |_| Ok(Box::new(SinkOperator::new(PrintSink::new(writer.clone(), identifier.clone(), stderr, options.clone()))) as Box<dyn Operator<TableData>>)), edge)
                            .map_err(err)?;
                    }
                    "blackhole" => {
                        self.graph.add_operator(&name, 1, Box::new(|_| Ok(Box::new(SinkOperator::new(BlackholeSink)) as Box<dyn Operator<TableData>>)), edge).map_err(err)?;
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
                        self.graph.add_operator(&name, 1, factory, edge).map_err(err)?;
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
    let mut b = Builder { graph: JobGraph::new(settings.name.clone()), metrics: ConnectorMetrics::default(), settings };
    let mut results = None;
    for (plan, target) in pipelines {
        let node = b.node(&plan)?;
        if let Some(rx) = b.sink(node, target)? {
            results = Some(rx);
        }
    }
    let _ = b.settings.parallelism;
    let metrics = b.metrics.clone();
    let running = oxflow_core::executor::start(b.graph).map_err(|e| SqlError::Execution(e.to_string()))?;
    Ok(SqlJob { running, results, metrics })
}
