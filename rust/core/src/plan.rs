//! From the logical graph to tasks: fuse chains of forward-connected nodes and lay out the channels
//! between chains. Pure decisions on the graph's shape, tested on their own.

use crate::error::JobError;
use crate::graph::{NodeId, NodeShape, Partitioning};
use crate::key_group::default_max_parallelism;

/// Operators fused into one task, run back to back on each batch.
#[derive(Debug, Clone)]
pub struct Chain {
    pub nodes: Vec<NodeId>,
    pub parallelism: usize,
    pub name: String,
    pub inputs: Vec<ChainInput>,
    pub outputs: Vec<ChainOutput>,
}

#[derive(Debug, Clone)]
pub struct ChainInput {
    pub from_chain: usize,
    pub partitioning: Partitioning,
    pub port: usize,
    /// This input's first channel index in each subtask's input gate.
    pub channel_offset: usize,
    /// Channels this input contributes to each subtask (1 for forward, else upstream parallelism).
    pub channels: usize,
}

#[derive(Debug, Clone)]
pub struct ChainOutput {
    pub to_chain: usize,
    pub partitioning: Partitioning,
    pub port: usize,
    pub channel_offset: usize,
}

#[derive(Debug, Clone)]
pub struct PhysicalPlan {
    pub chains: Vec<Chain>,
    pub max_parallelism: usize,
}

impl PhysicalPlan {
    /// Number of input channels of each subtask of `chain`.
    pub fn input_channels(&self, chain: usize) -> usize {
        self.chains[chain].inputs.iter().map(|i| i.channels).sum()
    }
}

/// Whether `edge_target` can run in the same task as its only input, `from`.
fn chainable(nodes: &[NodeShape], consumers: &[usize], from: NodeId, target: NodeId, chaining: bool) -> bool {
    let (up, down) = (&nodes[from], &nodes[target]);
    let edge = &down.inputs[0];
    chaining
        && down.inputs.len() == 1
        && consumers[from] == 1
        && up.parallelism == down.parallelism
        // With one instance on each side every partitioning sends everything to the same place.
        && (edge.partitioning == Partitioning::Forward || up.parallelism == 1)
}

pub fn plan(nodes: &[NodeShape], chaining: bool, max_parallelism: Option<usize>) -> Result<PhysicalPlan, JobError> {
    let mut consumers = vec![0usize; nodes.len()];
    for (id, node) in nodes.iter().enumerate() {
        if node.parallelism == 0 {
            return Err(JobError::InvalidGraph(format!("'{}' has parallelism 0", node.name)));
        }
        if node.is_source != node.inputs.is_empty() {
            return Err(JobError::InvalidGraph(format!("'{}' must have inputs unless it is a source", node.name)));
        }
        for edge in &node.inputs {
            if edge.from >= id {
                return Err(JobError::InvalidGraph(format!("'{}' reads from a later node", node.name)));
            }
            let up = &nodes[edge.from];
            if edge.partitioning == Partitioning::Forward && up.parallelism != node.parallelism {
                return Err(JobError::InvalidGraph(format!(
                    "forward partitioning does not allow a change of parallelism: '{}' ({}) -> '{}' ({}); use rebalance or shuffle",
                    up.name, up.parallelism, node.name, node.parallelism
                )));
            }
            consumers[edge.from] += 1;
        }
    }
    let largest = nodes.iter().map(|n| n.parallelism).max().unwrap_or(1);
    let max_parallelism = max_parallelism.unwrap_or_else(|| default_max_parallelism(largest));
    if let Some(n) = nodes.iter().find(|n| n.parallelism > max_parallelism) {
        return Err(JobError::InvalidGraph(format!(
            "'{}' has parallelism {} above the max parallelism {max_parallelism}",
            n.name, n.parallelism
        )));
    }

    // Assign nodes to chains in topological order.
    let mut chain_of = vec![usize::MAX; nodes.len()];
    let mut chains: Vec<Chain> = Vec::new();
    for (id, node) in nodes.iter().enumerate() {
        let joins = !node.is_source && chainable(nodes, &consumers, node.inputs[0].from, id, chaining);
        if joins {
            let c = chain_of[node.inputs[0].from];
            chains[c].nodes.push(id);
            chains[c].name.push_str(" -> ");
            chains[c].name.push_str(&node.name);
            chain_of[id] = c;
        } else {
            chain_of[id] = chains.len();
            chains.push(Chain {
                nodes: vec![id],
                parallelism: node.parallelism,
                name: node.name.clone(),
                inputs: Vec::new(),
                outputs: Vec::new(),
            });
        }
    }

    // Wire the edges that cross chains.
    for (c, chain) in chains.clone().iter().enumerate() {
        let head = &nodes[chain.nodes[0]];
        if chain_of[chain.nodes[0]] != c || (head.inputs.len() == 1 && chain_of[head.inputs[0].from] == c) {
            continue;
        }
        let mut offset = 0;
        for edge in &head.inputs {
            let from_chain = chain_of[edge.from];
            let channels = if edge.partitioning == Partitioning::Forward { 1 } else { nodes[edge.from].parallelism };
            chains[c].inputs.push(ChainInput {
                from_chain,
                partitioning: edge.partitioning,
                port: edge.port,
                channel_offset: offset,
                channels,
            });
            chains[from_chain].outputs.push(ChainOutput {
                to_chain: c,
                partitioning: edge.partitioning,
                port: edge.port,
                channel_offset: offset,
            });
            offset += channels;
        }
    }
    Ok(PhysicalPlan { chains, max_parallelism })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::graph::Edge;

    fn source(name: &str, p: usize) -> NodeShape {
        NodeShape { name: name.into(), parallelism: p, is_source: true, inputs: vec![] }
    }

    fn op(name: &str, p: usize, inputs: &[(usize, Partitioning)]) -> NodeShape {
        NodeShape {
            name: name.into(),
            parallelism: p,
            is_source: false,
            inputs: inputs.iter().map(|&(from, partitioning)| Edge { from, partitioning, port: 0 }).collect(),
        }
    }

    #[test]
    fn forward_edges_of_equal_parallelism_are_chained() {
        use Partitioning::*;
        let nodes = vec![
            source("src", 2),
            op("map", 2, &[(0, Forward)]),
            op("key_by", 2, &[(1, Forward)]),
            op("reduce", 2, &[(2, Hash)]),
            op("print", 2, &[(3, Forward)]),
        ];
        let plan = plan(&nodes, true, None).unwrap();
        assert_eq!(plan.chains.len(), 2);
        assert_eq!(plan.chains[0].nodes, vec![0, 1, 2]);
        assert_eq!(plan.chains[0].name, "src -> map -> key_by");
        assert_eq!(plan.chains[1].nodes, vec![3, 4]);
        assert_eq!(plan.chains[1].inputs.len(), 1);
        assert_eq!(plan.chains[1].inputs[0].channels, 2);
        assert_eq!(plan.chains[0].outputs[0].to_chain, 1);
    }

    #[test]
    fn single_instance_pipelines_fuse_across_exchanges() {
        use Partitioning::*;
        let nodes = vec![source("src", 1), op("key_by", 1, &[(0, Forward)]), op("reduce", 1, &[(1, Hash)])];
        let plan = plan(&nodes, true, None).unwrap();
        assert_eq!(plan.chains.len(), 1);
    }

    #[test]
    fn no_chaining_when_disabled_fan_out_or_parallelism_changes() {
        use Partitioning::*;
        let nodes = vec![source("src", 1), op("a", 1, &[(0, Forward)]), op("b", 1, &[(0, Forward)])];
        assert_eq!(plan(&nodes, true, None).unwrap().chains.len(), 3, "fan-out ends a chain");
        let nodes = vec![source("src", 1), op("a", 1, &[(0, Forward)])];
        assert_eq!(plan(&nodes, false, None).unwrap().chains.len(), 2);
        let nodes = vec![source("src", 1), op("a", 4, &[(0, Rebalance)])];
        let p = plan(&nodes, true, None).unwrap();
        assert_eq!(p.chains.len(), 2);
        assert_eq!(p.input_channels(1), 1);
    }

    #[test]
    fn multi_input_nodes_number_their_channels() {
        use Partitioning::*;
        let nodes = vec![source("a", 3), source("b", 2), op("union", 2, &[(0, Rebalance), (1, Forward)])];
        let p = plan(&nodes, true, None).unwrap();
        let inputs = &p.chains[2].inputs;
        assert_eq!((inputs[0].channel_offset, inputs[0].channels), (0, 3));
        assert_eq!((inputs[1].channel_offset, inputs[1].channels), (3, 1));
        assert_eq!(p.input_channels(2), 4);
    }

    #[test]
    fn forward_with_parallelism_change_is_rejected() {
        let nodes = vec![source("src", 1), op("map", 2, &[(0, Partitioning::Forward)])];
        let err = plan(&nodes, true, None).unwrap_err().to_string();
        assert!(err.contains("forward partitioning"), "{err}");
    }
}
