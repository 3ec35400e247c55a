//! How a block's jobs and artifacts are named in the spool: job keys (`b00000042.r1.main.d0.g0003`: block,
//! round, circuit type, tree depth, group) and artifact names. Which queue a job waits in is the routing
//! table's business ([`crate::ROUTES`]).

use frispool_aggregation::ProofId;
use frispool_circuits::Registry;
use frispool_core::AggregationRound::{self, Basic, Leaf, Node, Scheduler, Tip};
use frispool_spool::JobKey;

/// Circuit field of keys that cover every type of a block.
pub const ALL: &str = "all";

/// The block's input as handed out by the sequencer.
pub const INPUT: &str = "input.block";
/// The block's aggregation plan (instance counts per circuit type).
pub const PLAN: &str = "plan";
/// The final proof.
pub const FINAL: &str = "final.proof";
/// The BN254 SNARK of the final proof (when the wrapper keys exist).
pub const SNARK: &str = "final.snark";

fn key(block: u64, round: AggregationRound, circuit: &str, depth: u32, group: u64) -> JobKey {
    JobKey::new(block, round.number(), circuit, depth, group as u32).expect("job keys built here are well-formed")
}

/// The key of the job that makes `proof` (the prove job; the witness job of a group has the same key).
pub fn proof_key(block: u64, proof: &ProofId) -> JobKey {
    match *proof {
        ProofId::Basic { circuit_type, instance } => key(block, Basic, circuit_type.name(), 0, instance),
        ProofId::Leaf { circuit_type, group } => key(block, Leaf, circuit_type.name(), 0, group as u64),
        ProofId::Node { circuit_type, depth, group } => {
            key(block, Node, circuit_type.name(), depth as u32, group as u64)
        }
        ProofId::Tip => key(block, Tip, ALL, 0, 0),
        ProofId::Scheduler => key(block, Scheduler, ALL, 0, 0),
    }
}

/// The inverse of [`proof_key`], the key's circuit type resolved in `registry`.
pub fn proof_id(key: &JobKey, registry: &Registry) -> Option<ProofId> {
    let ty = || registry.type_named(&key.circuit);
    Some(match AggregationRound::from_number(key.round)? {
        Basic => ProofId::Basic { circuit_type: ty()?, instance: key.group as u64 },
        Leaf => ProofId::Leaf { circuit_type: ty()?, group: key.group as usize },
        Node => ProofId::Node { circuit_type: ty()?, depth: key.depth as usize, group: key.group as usize },
        Tip if key.circuit == ALL => ProofId::Tip,
        Scheduler if key.circuit == ALL => ProofId::Scheduler,
        _ => return None,
    })
}

/// The block's one job of `round` (round 0's witness job, compression, submission).
pub fn block_key(block: u64, round: AggregationRound) -> JobKey {
    key(block, round, ALL, 0, 0)
}

pub fn witness_name(key: &JobKey) -> String {
    format!("{key}.witness")
}

pub fn proof_name(key: &JobKey) -> String {
    format!("{key}.proof")
}

#[cfg(test)]
mod tests {
    use super::*;
    use frispool_core::CircuitType;

    #[test]
    fn proof_keys_round_trip() {
        let registry = Registry::default();
        let ids = [
            ProofId::Basic { circuit_type: CircuitType::MAIN, instance: 7 },
            ProofId::Leaf { circuit_type: CircuitType::MAIN, group: 3 },
            ProofId::Node { circuit_type: CircuitType::MAIN, depth: 2, group: 1 },
            ProofId::Tip,
            ProofId::Scheduler,
        ];
        for id in ids {
            let k = proof_key(42, &id);
            assert_eq!(proof_id(&k, &registry), Some(id), "{k}");
            let parsed: JobKey = k.to_string().parse().unwrap();
            assert_eq!(parsed, k);
        }
        assert_eq!(proof_key(42, &ids[1]).to_string(), "b00000042.r1.main.d0.g0003");
        // A type this registry does not hold names no proof of it.
        let other = proof_key(42, &ProofId::Leaf { circuit_type: CircuitType::new(9, "other"), group: 0 });
        assert_eq!(proof_id(&other, &registry), None);
    }
}
