//! The identity of a circuit type of round 0: a number (what its circuit exposes as public input 0) and a
//! name (what job keys, key files and wire types carry). Which types a protocol has is not decided here but
//! by the registry of `frispool-circuits`; this is only the value every crate passes around.

use std::fmt;

/// A circuit type of round 0. Two types are the same when id and name are; a registry refuses two types
/// that share either.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct CircuitType {
    id: u64,
    name: &'static str,
}

impl CircuitType {
    /// Transactions in order: balances, nonces, Merkle updates. The anchor type: the scheduler's block
    /// commitment is over its chained state, and every other type is checked against it.
    pub const MAIN: CircuitType = CircuitType::new(1, "main");

    /// `name` becomes a job-key field (`b00000042.r0.main.d0.g0003`) and part of key file names, so it
    /// should be short, lowercase and free of dots; the registry checks that.
    pub const fn new(id: u64, name: &'static str) -> Self {
        CircuitType { id, name }
    }

    pub fn id(self) -> u64 {
        self.id
    }

    pub fn name(self) -> &'static str {
        self.name
    }
}

impl fmt::Display for CircuitType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name)
    }
}
