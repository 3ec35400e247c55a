//! The circuit types of round 0.

/// Circuit types of round 0. The number is what the circuit exposes as public input 0.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum CircuitType {
    /// Transactions in order: balances, nonces, Merkle updates.
    Main = 1,
    /// Signatures of a chunk (its own issue; the number is reserved).
    Sig = 2,
}

impl CircuitType {
    pub fn id(self) -> u64 {
        self as u64
    }

    /// The short name used in job keys (`b00000042.r0.main.d0.g0003`).
    pub fn name(self) -> &'static str {
        match self {
            CircuitType::Main => "main",
            CircuitType::Sig => "sig",
        }
    }

    pub fn from_name(name: &str) -> Option<Self> {
        match name {
            "main" => Some(CircuitType::Main),
            "sig" => Some(CircuitType::Sig),
            _ => None,
        }
    }

    pub fn from_id(id: u64) -> Option<Self> {
        match id {
            1 => Some(CircuitType::Main),
            2 => Some(CircuitType::Sig),
            _ => None,
        }
    }
}
