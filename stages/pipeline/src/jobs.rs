//! How the proofs of a block's aggregation plan are named in the spool: job keys
//! (`b00000042.r1.main.d0.g0003`), the queue of each job, and the artifact names.
//!
//! Rounds: 0 basic, 1 leaf, 2 node, 3 tip, 4 scheduler (as in Era), then 5 compression and 6 submission.

use frispool_aggregation::layout::CircuitType;
use frispool_aggregation::plan::{ProofId, Round};
use frispool_spool::{JobKey, Queue};

/// Circuit field of keys that cover every type of a block.
pub const ALL: &str = "all";
pub const ROUND_COMPRESS: u8 = 5;
pub const ROUND_SUBMIT: u8 = 6;

/// The block's input as handed out by the sequencer.
pub const INPUT: &str = "input.block";
/// The block's aggregation plan (instance counts per circuit type).
pub const PLAN: &str = "plan";
/// The final proof.
pub const FINAL: &str = "final.proof";

fn key(block: u64, round: u8, circuit: &str, depth: u32, group: u64) -> JobKey {
    JobKey::new(block, round, circuit, depth, group as u32).expect("job keys built here are well-formed")
}

/// The key of the job that makes `proof` (the prove job; the witness job of a group has the same key).
pub fn proof_key(block: u64, proof: &ProofId) -> JobKey {
    match *proof {
        ProofId::Basic { circuit_type, instance } => key(block, Round::Basic as u8, circuit_type.name(), 0, instance),
        ProofId::Leaf { circuit_type, group } => key(block, Round::Leaf as u8, circuit_type.name(), 0, group as u64),
        ProofId::Node { circuit_type, depth, group } => {
            key(block, Round::Node as u8, circuit_type.name(), depth as u32, group as u64)
        }
        ProofId::Tip => key(block, Round::Tip as u8, ALL, 0, 0),
        ProofId::Scheduler => key(block, Round::Scheduler as u8, ALL, 0, 0),
    }
}

/// The inverse of [`proof_key`].
pub fn proof_id(key: &JobKey) -> Option<ProofId> {
    let ty = || CircuitType::from_name(&key.circuit);
    Some(match key.round {
        0 => ProofId::Basic { circuit_type: ty()?, instance: key.group as u64 },
        1 => ProofId::Leaf { circuit_type: ty()?, group: key.group as usize },
        2 => ProofId::Node { circuit_type: ty()?, depth: key.depth as usize, group: key.group as usize },
        3 if key.circuit == ALL => ProofId::Tip,
        4 if key.circuit == ALL => ProofId::Scheduler,
        _ => return None,
    })
}

/// The witness queue of an aggregation group's output (round 0 witnesses come from `witness-basic`).
pub fn witness_queue(output: &ProofId) -> Queue {
    match output.round() {
        Round::Basic => Queue::WitnessBasic,
        Round::Leaf => Queue::WitnessLeaf,
        Round::Node => Queue::WitnessNode,
        Round::Tip => Queue::WitnessTip,
        Round::Scheduler => Queue::WitnessScheduler,
    }
}

pub fn witness_name(key: &JobKey) -> String {
    format!("{key}.witness")
}

pub fn proof_name(key: &JobKey) -> String {
    format!("{key}.proof")
}

/// The round-0 job of a block.
pub fn basic_key(block: u64) -> JobKey {
    key(block, 0, ALL, 0, 0)
}

pub fn compress_key(block: u64) -> JobKey {
    key(block, ROUND_COMPRESS, ALL, 0, 0)
}

pub fn submit_key(block: u64) -> JobKey {
    key(block, ROUND_SUBMIT, ALL, 0, 0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn proof_keys_round_trip() {
        let ids = [
            ProofId::Basic { circuit_type: CircuitType::Main, instance: 7 },
            ProofId::Leaf { circuit_type: CircuitType::Main, group: 3 },
            ProofId::Node { circuit_type: CircuitType::Main, depth: 2, group: 1 },
            ProofId::Tip,
            ProofId::Scheduler,
        ];
        for id in ids {
            let k = proof_key(42, &id);
            assert_eq!(proof_id(&k), Some(id), "{k}");
            let parsed: JobKey = k.to_string().parse().unwrap();
            assert_eq!(parsed, k);
        }
        assert_eq!(proof_key(42, &ids[1]).to_string(), "b00000042.r1.main.d0.g0003");
    }
}
