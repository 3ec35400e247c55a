//! Where a block goes: the pipeline's queues and the one routing table from a round to the queue its jobs
//! wait in and what a finished job of it leads to. Every stage enqueues through this table; the spool
//! knows none of these names.
//!
//! ```text
//! round      queue              then                      next
//! basic      witness-basic      each witness → prove      the plan's leaf of its instances
//! leaf       witness-leaf       witness → prove           the plan's node or the tip
//! node       witness-node       witness → prove           the plan's node or the tip
//! tip        witness-tip        witness → prove           the scheduler
//! scheduler  witness-scheduler  witness → prove           compress
//! compress   compress                                     submit
//! submit     submit                                       (the sequencer has the proof)
//! ```
//!
//! The prove queue serves every round that proves (basic … scheduler): a prover takes later rounds first
//! (the job key's claim order), so a block in flight finishes before the next starts. `wvg` is reserved
//! for the GPU prover's witness-vector generator.

use frispool_core::AggregationRound::{self, Basic, Compress, Leaf, Node, Scheduler, Submit, Tip};
use frispool_spool::Queue;
use thiserror::Error;

pub const WITNESS_BASIC: Queue = Queue::named("witness-basic");
pub const WITNESS_LEAF: Queue = Queue::named("witness-leaf");
pub const WITNESS_NODE: Queue = Queue::named("witness-node");
pub const WITNESS_TIP: Queue = Queue::named("witness-tip");
pub const WITNESS_SCHEDULER: Queue = Queue::named("witness-scheduler");
pub const WVG: Queue = Queue::named("wvg");
pub const PROVE: Queue = Queue::named("prove");
pub const COMPRESS: Queue = Queue::named("compress");
pub const SUBMIT: Queue = Queue::named("submit");

/// Every queue of the pipeline, in the order `frispool status` lists them: what a spool is created and
/// opened with.
pub static QUEUES: [Queue; 9] =
    [WITNESS_BASIC, WITNESS_LEAF, WITNESS_NODE, WITNESS_TIP, WITNESS_SCHEDULER, WVG, PROVE, COMPRESS, SUBMIT];

/// What a finished job of a round leads to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Next {
    /// The aggregation group of the block's plan that takes the proof, once all its inputs exist.
    Plan,
    /// That round's job of the block.
    Round(AggregationRound),
    /// Nothing: the block is proven and submitted.
    Done,
}

/// One row of the routing table.
#[derive(Clone, Debug)]
pub struct Route {
    pub round: AggregationRound,
    /// The queue the round's jobs wait in (for rounds that prove: their witness jobs).
    pub queue: Queue,
    /// Whether the round's witnesses are then proven, in [`PROVE`].
    pub proves: bool,
    pub next: Next,
}

/// The routing table, one row per round, in round order.
pub static ROUTES: [Route; 7] = [
    Route { round: Basic, queue: WITNESS_BASIC, proves: true, next: Next::Plan },
    Route { round: Leaf, queue: WITNESS_LEAF, proves: true, next: Next::Plan },
    Route { round: Node, queue: WITNESS_NODE, proves: true, next: Next::Plan },
    Route { round: Tip, queue: WITNESS_TIP, proves: true, next: Next::Plan },
    Route { round: Scheduler, queue: WITNESS_SCHEDULER, proves: true, next: Next::Round(Compress) },
    Route { round: Compress, queue: COMPRESS, proves: false, next: Next::Round(Submit) },
    Route { round: Submit, queue: SUBMIT, proves: false, next: Next::Done },
];

/// The row of `round`.
pub fn route(round: AggregationRound) -> &'static Route {
    &ROUTES[round.number() as usize]
}

/// The rounds a witness generator serves (`frispool-witness --round`): those whose witnesses are proven.
pub fn witness_rounds() -> impl Iterator<Item = AggregationRound> {
    ROUTES.iter().filter(|r| r.proves).map(|r| r.round)
}

/// `--round` of `frispool-witness`: a round that has a witness generator.
pub fn parse_witness_round(s: &str) -> Result<AggregationRound, String> {
    witness_rounds().find(|r| r.name() == s).ok_or_else(|| {
        let names: Vec<&str> = witness_rounds().map(AggregationRound::name).collect();
        let (last, rest) = names.split_last().expect("rounds with witnesses exist");
        format!("unknown round {s:?}: want {} or {last}", rest.join(", "))
    })
}

#[derive(Debug, Clone, Error)]
#[error("unknown queue `{0}` (queues: {list})", list = QUEUES.iter().map(Queue::name).collect::<Vec<_>>().join(" "))]
pub struct UnknownQueue(pub String);

/// A pipeline queue by name (the command line's `--queue`).
pub fn queue_named(name: &str) -> Result<Queue, UnknownQueue> {
    QUEUES.iter().find(|q| q.name() == name).cloned().ok_or_else(|| UnknownQueue(name.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_row_per_round_in_order_and_every_queue_once() {
        for (i, r) in ROUTES.iter().enumerate() {
            assert_eq!(r.round.number() as usize, i, "{:?}", r.round);
            assert!(QUEUES.contains(&r.queue), "{}", r.queue);
        }
        let mut names: Vec<&str> = QUEUES.iter().map(Queue::name).collect();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), QUEUES.len());
        assert_eq!(parse_witness_round("tip"), Ok(Tip));
        assert_eq!(
            parse_witness_round("wrap").unwrap_err(),
            "unknown round \"wrap\": want basic, leaf, node, tip or scheduler"
        );
        assert!(parse_witness_round("compress").is_err());
        assert_eq!(queue_named("prove").unwrap(), PROVE);
        let e = queue_named("nope").unwrap_err().to_string();
        assert!(e.contains("witness-basic witness-leaf") && e.contains("submit"), "{e}");
    }
}
