//! The aggregation plan of a block: every group of every round and the proofs it waits for.
//!
//! A pure function of the circuit types and their instance counts. Stages use it to know when a group is
//! complete (Era's `waiting_for_proofs`) and which group a finished proof unblocks.
//!
//! Leaves take [`LEAF_ARITY`] consecutive instances (the last leaf fewer). Nodes take [`NODE_ARITY`]
//! consecutive children, level after level, until one proof remains. A lone last child of a level is
//! *carried up* unchanged to the next level rather than wrapped in a node of one: that saves a proof, and
//! the node circuit accepts leaf and node children side by side. So a type with at most `LEAF_ARITY`
//! instances has a leaf on top, any other type a node.

use frispool_core::{AggregationRound, CircuitType};

use crate::error::{AggError, Result};
use crate::leaf::LEAF_ARITY;
use crate::node::NODE_ARITY;

/// One proof of a block's aggregation, named by where it sits.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ProofId {
    Basic { circuit_type: CircuitType, instance: u64 },
    Leaf { circuit_type: CircuitType, group: usize },
    Node { circuit_type: CircuitType, depth: usize, group: usize },
    Tip,
    Scheduler,
}

impl ProofId {
    /// The round that proves it (basic … scheduler).
    pub fn round(&self) -> AggregationRound {
        match self {
            ProofId::Basic { .. } => AggregationRound::Basic,
            ProofId::Leaf { .. } => AggregationRound::Leaf,
            ProofId::Node { .. } => AggregationRound::Node,
            ProofId::Tip => AggregationRound::Tip,
            ProofId::Scheduler => AggregationRound::Scheduler,
        }
    }
}

/// A proof to make and the proofs it takes, in order. It is ready when all `inputs` exist.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Group {
    pub output: ProofId,
    pub inputs: Vec<ProofId>,
}

impl Group {
    pub fn expected_inputs(&self) -> usize {
        self.inputs.len()
    }
}

/// The aggregation of one circuit type.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TypePlan {
    pub circuit_type: CircuitType,
    pub instances: u64,
    pub leaves: Vec<Group>,
    /// `nodes[depth]`: the node groups of that level (depth 0 takes leaves).
    pub nodes: Vec<Vec<Group>>,
    /// The proof the recursion tip takes for this type.
    pub top: ProofId,
}

/// The whole aggregation of a block.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BlockPlan {
    pub types: Vec<TypePlan>,
    pub tip: Group,
    pub scheduler: Group,
}

pub fn plan_type(circuit_type: CircuitType, instances: u64) -> Result<TypePlan> {
    if instances == 0 {
        return Err(AggError::NoInstances(circuit_type));
    }
    let basic: Vec<ProofId> = (0..instances).map(|instance| ProofId::Basic { circuit_type, instance }).collect();
    let leaves: Vec<Group> = basic
        .chunks(LEAF_ARITY)
        .enumerate()
        .map(|(group, inputs)| Group { output: ProofId::Leaf { circuit_type, group }, inputs: inputs.to_vec() })
        .collect();
    let mut level: Vec<ProofId> = leaves.iter().map(|g| g.output).collect();
    let mut nodes = vec![];
    while level.len() > 1 {
        let depth = nodes.len();
        let mut groups = vec![];
        let mut next = vec![];
        for (group, chunk) in level.chunks(NODE_ARITY).enumerate() {
            if chunk.len() == 1 {
                next.push(chunk[0]);
            } else {
                let output = ProofId::Node { circuit_type, depth, group };
                groups.push(Group { output, inputs: chunk.to_vec() });
                next.push(output);
            }
        }
        nodes.push(groups);
        level = next;
    }
    Ok(TypePlan { circuit_type, instances, leaves, nodes, top: level[0] })
}

/// The plan of a block with `instances` per circuit type, types in the order of the tip's slots.
pub fn plan_block(instances: &[(CircuitType, u64)]) -> Result<BlockPlan> {
    for (i, (ty, _)) in instances.iter().enumerate() {
        if instances[..i].iter().any(|(t, _)| t == ty) {
            return Err(AggError::DuplicateType(*ty));
        }
    }
    let types = instances.iter().map(|&(ty, n)| plan_type(ty, n)).collect::<Result<Vec<_>>>()?;
    let tip = Group { output: ProofId::Tip, inputs: types.iter().map(|t| t.top).collect() };
    let scheduler = Group { output: ProofId::Scheduler, inputs: vec![ProofId::Tip] };
    Ok(BlockPlan { types, tip, scheduler })
}

impl BlockPlan {
    /// Every group, in an order where each group comes after the groups that make its inputs.
    pub fn groups(&self) -> impl Iterator<Item = &Group> {
        self.types
            .iter()
            .flat_map(|t| t.leaves.iter().chain(t.nodes.iter().flatten()))
            .chain([&self.tip, &self.scheduler])
    }

    /// The group that takes `proof` as an input: what a finished proof may unblock.
    pub fn consumer_of(&self, proof: &ProofId) -> Option<&Group> {
        self.groups().find(|g| g.inputs.contains(proof))
    }

    pub fn group(&self, output: &ProofId) -> Option<&Group> {
        self.groups().find(|g| g.output == *output)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn depth_of(p: &TypePlan) -> usize {
        p.nodes.len()
    }

    #[test]
    fn small_types_have_a_leaf_on_top() {
        for n in 1..=LEAF_ARITY as u64 {
            let p = plan_type(CircuitType::MAIN, n).unwrap();
            assert_eq!(p.leaves.len(), 1);
            assert_eq!(p.leaves[0].expected_inputs() as u64, n);
            assert!(p.nodes.is_empty());
            assert_eq!(p.top, ProofId::Leaf { circuit_type: CircuitType::MAIN, group: 0 });
        }
    }

    #[test]
    fn every_instance_is_used_once_and_in_order() {
        for n in [1u64, 5, 17, 64, 1000, 4097] {
            let p = plan_type(CircuitType::MAIN, n).unwrap();
            let got: Vec<u64> = p
                .leaves
                .iter()
                .flat_map(|g| g.inputs.iter())
                .map(|i| match i {
                    ProofId::Basic { instance, .. } => *instance,
                    other => panic!("leaf input {other:?}"),
                })
                .collect();
            assert_eq!(got, (0..n).collect::<Vec<_>>());
            assert!(p.leaves.iter().all(|g| (1..=LEAF_ARITY).contains(&g.expected_inputs())));
            assert!(p.nodes.iter().flatten().all(|g| (2..=NODE_ARITY).contains(&g.expected_inputs())));
            // Every leaf and node except the top feeds exactly one node, in order.
            let block = plan_block(&[(CircuitType::MAIN, n)]).unwrap();
            let produced: Vec<ProofId> = block.groups().map(|g| g.output).collect();
            for out in &produced {
                let consumers = block.groups().filter(|g| g.inputs.contains(out)).count();
                assert_eq!(consumers, usize::from(*out != ProofId::Scheduler), "{out:?}");
            }
            if n > LEAF_ARITY as u64 {
                assert!(matches!(p.top, ProofId::Node { .. }), "n={n}: top {:?}", p.top);
            }
        }
    }

    #[test]
    fn depth_grows_logarithmically() {
        let leaves = |n: u64| n.div_ceil(LEAF_ARITY as u64);
        let p = plan_type(CircuitType::MAIN, 4096).unwrap();
        let mut expected = 0;
        let mut l = leaves(4096);
        while l > 1 {
            l = l.div_ceil(NODE_ARITY as u64);
            expected += 1;
        }
        assert_eq!(depth_of(&p), expected);
    }

    #[test]
    fn lone_last_child_is_carried_up() {
        // LEAF_ARITY * NODE_ARITY + 1 instances: NODE_ARITY + 1 leaves, the last one alone at depth 0.
        let n = (LEAF_ARITY * NODE_ARITY + 1) as u64;
        let p = plan_type(CircuitType::MAIN, n).unwrap();
        assert_eq!(p.nodes[0].len(), 1);
        let last_leaf = ProofId::Leaf { circuit_type: CircuitType::MAIN, group: NODE_ARITY };
        assert_eq!(p.nodes[1][0].inputs, vec![p.nodes[0][0].output, last_leaf]);
    }

    #[test]
    fn block_plan_ties_types_to_tip_and_scheduler() {
        let b = plan_block(&[(CircuitType::MAIN, 9), (CircuitType::new(2, "sig"), 2)]).unwrap();
        assert_eq!(b.tip.inputs, vec![b.types[0].top, b.types[1].top]);
        assert_eq!(b.consumer_of(&ProofId::Tip), Some(&b.scheduler));
        assert!(plan_block(&[(CircuitType::MAIN, 1), (CircuitType::MAIN, 2)]).is_err());
        assert!(plan_type(CircuitType::MAIN, 0).is_err());
    }
}
