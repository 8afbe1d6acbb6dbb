//! The logical job graph: nodes (sources and operators) with their parallelism, and the edges
//! between them saying how records are partitioned.

use crate::error::JobError;
use crate::operator::OperatorFactory;
use crate::source::SourceFactory;

pub type NodeId = usize;

/// How records cross an edge from the upstream instances to the downstream ones.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Partitioning {
    /// Instance i to instance i; needs equal parallelism. Forward edges are chained.
    Forward,
    /// Round robin over all downstream instances.
    Rebalance,
    /// Round robin over a subset of downstream instances (here: the same as rebalance).
    Rescale,
    /// Uniformly random.
    Shuffle,
    /// By the record's key group.
    Hash,
    /// Every record to every downstream instance.
    Broadcast,
    /// Everything to instance 0.
    Global,
}

impl Partitioning {
    /// The name Flink's execution plans show.
    pub fn ship_strategy(self) -> &'static str {
        match self {
            Partitioning::Forward => "FORWARD",
            Partitioning::Rebalance => "REBALANCE",
            Partitioning::Rescale => "RESCALE",
            Partitioning::Shuffle => "SHUFFLE",
            Partitioning::Hash => "HASH",
            Partitioning::Broadcast => "BROADCAST",
            Partitioning::Global => "GLOBAL",
        }
    }
}

#[derive(Clone, Debug)]
pub struct Edge {
    pub from: NodeId,
    pub partitioning: Partitioning,
    /// The downstream node's logical input (0 unless it has several, like a connect).
    pub port: usize,
}

pub enum NodeKind<D> {
    Source(SourceFactory<D>),
    Operator(OperatorFactory<D>),
}

pub struct Node<D> {
    pub name: String,
    /// Matches the node's state in snapshots; `None` derives one from its position and name.
    pub uid: Option<String>,
    pub parallelism: usize,
    pub kind: NodeKind<D>,
    pub inputs: Vec<Edge>,
}

/// Runtime settings of a job.
#[derive(Clone)]
pub struct JobConfig {
    /// Key groups of the job; `None` derives Flink's default from the largest parallelism.
    pub max_parallelism: Option<usize>,
    /// Fuse forward-connected operators into one task.
    pub chaining: bool,
    /// Records per batch a source emits.
    pub batch_size: usize,
    /// Batches a channel buffers before its producer blocks (backpressure).
    pub channel_capacity: usize,
    /// Processing time for every task (replaceable in tests).
    pub clock: std::sync::Arc<dyn crate::time::Clock>,
    /// Take checkpoints (see [`crate::checkpoint`]).
    pub checkpoint: Option<crate::checkpoint::runtime::CheckpointSettings>,
    /// Start from this snapshot.
    pub restore: Option<crate::checkpoint::runtime::RestoreSettings>,
    /// Keep keyed state in engines this factory creates (one per keyed operator instance);
    /// `None` keeps it in memory (Flink's `hashmap`). Snapshots are the same either way.
    pub state_backend: Option<std::sync::Arc<dyn crate::state::KvEngineFactory>>,
    /// Where the job's state engines keep their files (Flink's `state.backend.rocksdb.localdir`);
    /// `None` is the system's temporary directory.
    pub state_dir: Option<std::path::PathBuf>,
    /// What happens after a failure.
    pub restart: crate::restart::RestartStrategy,
}

impl Default for JobConfig {
    fn default() -> Self {
        JobConfig {
            max_parallelism: None,
            chaining: true,
            batch_size: 1024,
            channel_capacity: 8,
            clock: std::sync::Arc::new(crate::time::SystemClock),
            checkpoint: None,
            restore: None,
            state_backend: None,
            state_dir: None,
            restart: crate::restart::RestartStrategy::None,
        }
    }
}

pub struct JobGraph<D> {
    pub name: String,
    pub nodes: Vec<Node<D>>,
    pub config: JobConfig,
}

impl<D> JobGraph<D> {
    pub fn new(name: impl Into<String>) -> Self {
        JobGraph { name: name.into(), nodes: Vec::new(), config: JobConfig::default() }
    }

    pub fn add_source(&mut self, name: impl Into<String>, parallelism: usize, factory: SourceFactory<D>) -> NodeId {
        self.push(Node { name: name.into(), uid: None, parallelism, kind: NodeKind::Source(factory), inputs: Vec::new() })
    }

    /// Adds an operator reading from earlier nodes (the graph is built in topological order).
    pub fn add_operator(
        &mut self,
        name: impl Into<String>,
        parallelism: usize,
        factory: OperatorFactory<D>,
        inputs: Vec<Edge>,
    ) -> Result<NodeId, JobError> {
        let name = name.into();
        let id = self.nodes.len();
        if inputs.is_empty() {
            return Err(JobError::InvalidGraph(format!("operator '{name}' has no input")));
        }
        if let Some(bad) = inputs.iter().find(|e| e.from >= id) {
            return Err(JobError::InvalidGraph(format!("operator '{name}' reads from unknown node {}", bad.from)));
        }
        Ok(self.push(Node { name, uid: None, parallelism, kind: NodeKind::Operator(factory), inputs }))
    }

    /// The uid of node `id` as snapshots know it.
    pub fn uid(&self, id: NodeId) -> String {
        let node = &self.nodes[id];
        node.uid.clone().unwrap_or_else(|| format!("{id}-{}", node.name))
    }

    fn push(&mut self, node: Node<D>) -> NodeId {
        self.nodes.push(node);
        self.nodes.len() - 1
    }

    /// The shape of the graph without its factories, which is all planning needs.
    pub fn shape(&self) -> Vec<NodeShape> {
        self.nodes
            .iter()
            .map(|n| NodeShape {
                name: n.name.clone(),
                parallelism: n.parallelism,
                is_source: matches!(n.kind, NodeKind::Source(_)),
                inputs: n.inputs.clone(),
            })
            .collect()
    }
}

/// A node as planning sees it.
#[derive(Clone, Debug)]
pub struct NodeShape {
    pub name: String,
    pub parallelism: usize,
    pub is_source: bool,
    pub inputs: Vec<Edge>,
}
