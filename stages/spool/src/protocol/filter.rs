//! Which jobs a worker may claim: its specialisation (rounds, circuit types) and its memory class. A
//! fleet splits one queue between workers of different shapes (Era's prover groups, Linea's `.large`
//! requests): a prover started with `--rounds 0,1 --types main` claims only those jobs, in the usual
//! claim order, and leaves the rest queued for the workers whose filters take them.
//!
//! The spool knows job keys, not the pipeline's names: rounds are numbers here (a pipeline stage
//! resolves `basic,leaf` before the runner starts) and types are the key's circuit string.

use std::collections::BTreeSet;
use std::fmt;

use crate::key::JobKey;
use crate::ticket::Ticket;

/// What a worker claims. The default claims everything a class-0 worker may.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ClaimFilter {
    /// Only these rounds (None: every round).
    pub rounds: Option<BTreeSet<u8>>,
    /// Only these circuit types (None: every type).
    pub circuits: Option<BTreeSet<String>>,
    /// The worker's memory class: it claims a job only when the ticket's `memory_class` is at most
    /// this (a job that died of memory on a class-n worker asks for more than n).
    pub memory_class: u32,
}

impl ClaimFilter {
    /// Whether the key alone admits the job (checked before the ticket is read: cheap).
    pub fn admits_key(&self, key: &JobKey) -> bool {
        self.rounds.as_ref().is_none_or(|r| r.contains(&key.round))
            && self.circuits.as_ref().is_none_or(|c| c.contains(&key.circuit))
    }

    /// Whether the ticket's content admits it: the memory class it needs.
    pub fn admits_ticket(&self, t: &Ticket) -> bool {
        self.admits_key(&t.key) && t.memory_class <= self.memory_class
    }

    /// True when this filter claims every job a class-0 worker would.
    pub fn is_open(&self) -> bool {
        self.rounds.is_none() && self.circuits.is_none()
    }
}

impl fmt::Display for ClaimFilter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let list = |s: Vec<String>| s.join(",");
        match &self.rounds {
            Some(r) => write!(f, "rounds {}", list(r.iter().map(u8::to_string).collect()))?,
            None => f.write_str("every round")?,
        }
        match &self.circuits {
            Some(c) => write!(f, ", types {}", list(c.iter().cloned().collect()))?,
            None => f.write_str(", every type")?,
        }
        write!(f, ", memory class {}", self.memory_class)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::queue::Queue;

    #[test]
    fn admits_by_round_type_and_memory_class() {
        let k = |s: &str| s.parse::<JobKey>().unwrap();
        let f =
            ClaimFilter { rounds: Some([0, 1].into()), circuits: Some(["main".to_string()].into()), memory_class: 1 };
        assert!(f.admits_key(&k("b00000001.r0.main.d0.g0000")));
        assert!(f.admits_key(&k("b00000001.r1.main.d0.g0000")));
        assert!(!f.admits_key(&k("b00000001.r2.main.d0.g0000")));
        assert!(!f.admits_key(&k("b00000001.r0.sig.d0.g0000")));
        let mut t = Ticket::new(Queue::named("prove"), k("b00000001.r0.main.d0.g0000"), "v1", vec![], 3);
        assert!(f.admits_ticket(&t));
        t.memory_class = 2;
        assert!(!f.admits_ticket(&t), "a job that needs class 2 waits for a class-2 worker");
        assert!(ClaimFilter::default().is_open());
        assert_eq!(f.to_string(), "rounds 0,1, types main, memory class 1");
    }
}
