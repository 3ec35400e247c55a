//! The rounds a block goes through, as zksync-era names them (`AggregationRound`).

use std::fmt;
use std::str::FromStr;

/// Where a proof or a job sits in a block's trip: round 0 proves the basic circuits, rounds 1–4 aggregate
/// them (leaf, node tree, recursion tip, scheduler), round 5 compresses the scheduler proof into the final
/// proof and round 6 submits it. The number is the `r` of job keys (`b00000042.r1.main.d0.g0003`) and the
/// name is what `--round` takes. Which queue each round's jobs wait in, and what a finished one unblocks,
/// is the pipeline's routing table (`frispool_pipeline::ROUTES`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum AggregationRound {
    Basic = 0,
    Leaf = 1,
    Node = 2,
    Tip = 3,
    Scheduler = 4,
    Compress = 5,
    Submit = 6,
}

impl AggregationRound {
    /// Every round, in order.
    pub const ALL: [AggregationRound; 7] = [
        AggregationRound::Basic,
        AggregationRound::Leaf,
        AggregationRound::Node,
        AggregationRound::Tip,
        AggregationRound::Scheduler,
        AggregationRound::Compress,
        AggregationRound::Submit,
    ];

    /// The round's number in job keys.
    pub fn number(self) -> u8 {
        self as u8
    }

    pub fn from_number(n: u8) -> Option<Self> {
        Self::ALL.into_iter().find(|r| r.number() == n)
    }

    /// The round's name on the command line.
    pub fn name(self) -> &'static str {
        match self {
            AggregationRound::Basic => "basic",
            AggregationRound::Leaf => "leaf",
            AggregationRound::Node => "node",
            AggregationRound::Tip => "tip",
            AggregationRound::Scheduler => "scheduler",
            AggregationRound::Compress => "compress",
            AggregationRound::Submit => "submit",
        }
    }
}

impl fmt::Display for AggregationRound {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown round {0:?}")]
pub struct UnknownRound(pub String);

impl FromStr for AggregationRound {
    type Err = UnknownRound;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::ALL.into_iter().find(|r| r.name() == s).ok_or_else(|| UnknownRound(s.to_string()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_and_names_round_trip() {
        for (i, r) in AggregationRound::ALL.into_iter().enumerate() {
            assert_eq!(r.number() as usize, i);
            assert_eq!(AggregationRound::from_number(r.number()), Some(r));
            assert_eq!(r.name().parse::<AggregationRound>(), Ok(r));
        }
        assert_eq!(AggregationRound::from_number(7), None);
        assert!("wrap".parse::<AggregationRound>().is_err());
    }
}
