//! Job keys: `b00000042.r1.main.d0.g0003` (block, round, circuit type, tree depth, group).

use std::cmp::{Ordering, Reverse};
use std::fmt;
use std::str::FromStr;

/// Identifies one job; also the ticket's file name. Its `Ord` is the claim order: later rounds
/// first, then older blocks, then deeper tree levels, then lower groups — so a block in flight
/// finishes before a new one starts.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct JobKey {
    pub block: u64,
    pub round: u8,
    /// Circuit type: `main`, `sig`, `all`, … (lowercase letters, digits, `-`, `_`).
    pub circuit: String,
    pub depth: u32,
    pub group: u32,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("bad job key `{input}`: {reason} (expected b<block>.r<round>.<circuit>.d<depth>.g<group>, e.g. b00000042.r1.main.d0.g0003)")]
pub struct KeyParseError {
    pub input: String,
    pub reason: String,
}

impl JobKey {
    pub fn new(block: u64, round: u8, circuit: &str, depth: u32, group: u32) -> Result<Self, KeyParseError> {
        check_circuit(circuit).map_err(|reason| KeyParseError { input: circuit.to_string(), reason })?;
        Ok(JobKey { block, round, circuit: circuit.to_string(), depth, group })
    }

    fn claim_rank(&self) -> (Reverse<u8>, u64, Reverse<u32>, u32, &str) {
        (Reverse(self.round), self.block, Reverse(self.depth), self.group, &self.circuit)
    }
}

fn check_circuit(c: &str) -> Result<(), String> {
    if c.is_empty() {
        return Err("empty circuit type".into());
    }
    if let Some(bad) =
        c.chars().find(|ch| !(ch.is_ascii_lowercase() || ch.is_ascii_digit() || *ch == '-' || *ch == '_'))
    {
        return Err(format!("circuit type `{c}` has character {bad:?}; allowed: a-z 0-9 - _"));
    }
    Ok(())
}

impl Ord for JobKey {
    fn cmp(&self, other: &Self) -> Ordering {
        self.claim_rank().cmp(&other.claim_rank())
    }
}

impl PartialOrd for JobKey {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl fmt::Display for JobKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "b{:08}.r{}.{}.d{}.g{:04}", self.block, self.round, self.circuit, self.depth, self.group)
    }
}

fn field<T: FromStr>(input: &str, part: &str, prefix: char, what: &str) -> Result<T, KeyParseError> {
    let err = |reason: String| KeyParseError { input: input.to_string(), reason };
    let digits =
        part.strip_prefix(prefix).ok_or_else(|| err(format!("{what} part `{part}` must start with `{prefix}`")))?;
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return Err(err(format!("{what} part `{part}` must be `{prefix}` followed by digits")));
    }
    digits.parse().map_err(|_| err(format!("{what} `{digits}` is out of range")))
}

impl FromStr for JobKey {
    type Err = KeyParseError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let parts: Vec<&str> = s.split('.').collect();
        if parts.len() != 5 {
            return Err(KeyParseError {
                input: s.to_string(),
                reason: format!("{} dot-separated parts, want 5", parts.len()),
            });
        }
        let block = field(s, parts[0], 'b', "block")?;
        let round = field(s, parts[1], 'r', "round")?;
        check_circuit(parts[2]).map_err(|reason| KeyParseError { input: s.to_string(), reason })?;
        let depth = field(s, parts[3], 'd', "depth")?;
        let group = field(s, parts[4], 'g', "group")?;
        Ok(JobKey { block, round, circuit: parts[2].to_string(), depth, group })
    }
}

impl serde::Serialize for JobKey {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> serde::Deserialize<'de> for JobKey {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_and_parses() {
        let k = JobKey::new(42, 1, "main", 0, 3).unwrap();
        assert_eq!(k.to_string(), "b00000042.r1.main.d0.g0003");
        assert_eq!("b00000042.r1.main.d0.g0003".parse::<JobKey>().unwrap(), k);
        let wide = JobKey::new(1_234_567_890, 4, "all", 12, 123_456).unwrap();
        assert_eq!(wide.to_string().parse::<JobKey>().unwrap(), wide);
    }

    #[test]
    fn rejects_bad_keys_with_reason() {
        for (bad, needle) in [
            ("b1.r1.main.d0", "4 dot-separated parts"),
            ("x1.r1.main.d0.g1", "must start with `b`"),
            ("b1.r1x.main.d0.g1", "followed by digits"),
            ("b1.r999.main.d0.g1", "out of range"),
            ("b1.r1.Main.d0.g1", "allowed: a-z"),
            ("b1.r1..d0.g1", "empty circuit"),
        ] {
            let e = bad.parse::<JobKey>().unwrap_err().to_string();
            assert!(e.contains(needle), "{bad}: {e}");
            assert!(e.contains(bad), "{bad}: {e}");
        }
    }

    #[test]
    fn claim_order_is_round_desc_block_asc_depth_desc_group_asc() {
        let k = |b, r, d, g| JobKey::new(b, r, "main", d, g).unwrap();
        let mut keys = vec![k(1, 0, 0, 0), k(2, 1, 0, 0), k(1, 1, 0, 1), k(1, 1, 0, 0), k(1, 2, 0, 5), k(1, 2, 1, 9)];
        keys.sort();
        assert_eq!(
            keys,
            vec![k(1, 2, 1, 9), k(1, 2, 0, 5), k(1, 1, 0, 0), k(1, 1, 0, 1), k(2, 1, 0, 0), k(1, 0, 0, 0)]
        );
    }
}
