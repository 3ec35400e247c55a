//! Queue names and the states a ticket moves through. The spool knows no queue by name: the stages bring
//! theirs (`frispool_pipeline::QUEUES`) when they open a spool, and each is one folder of it.

use std::borrow::Cow;
use std::fmt;
use std::str::FromStr;

/// A queue: a folder of the spool holding `tmp/` and one folder per [`State`]. Its name is lowercase
/// letters, digits and `-`.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Queue(Cow<'static, str>);

impl Queue {
    /// A queue of a stage's own table. Panics (at compile time in a `const`) on a name that is not one.
    pub const fn named(name: &'static str) -> Queue {
        assert!(valid_name(name.as_bytes()), "a queue name is lowercase letters, digits and `-`");
        Queue(Cow::Borrowed(name))
    }

    pub fn name(&self) -> &str {
        &self.0
    }
}

const fn valid_name(b: &[u8]) -> bool {
    if b.is_empty() {
        return false;
    }
    let mut i = 0;
    while i < b.len() {
        if !(b[i].is_ascii_lowercase() || b[i].is_ascii_digit() || b[i] == b'-') {
            return false;
        }
        i += 1;
    }
    true
}

impl fmt::Display for Queue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

#[derive(Debug, Clone, thiserror::Error)]
#[error("`{0}` is not a queue name (lowercase letters, digits and `-`)")]
pub struct BadQueueName(pub String);

impl FromStr for Queue {
    type Err = BadQueueName;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        if valid_name(s.as_bytes()) {
            Ok(Queue(Cow::Owned(s.to_string())))
        } else {
            Err(BadQueueName(s.to_string()))
        }
    }
}

impl serde::Serialize for Queue {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.name())
    }
}

impl<'de> serde::Deserialize<'de> for Queue {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        String::deserialize(d)?.parse().map_err(serde::de::Error::custom)
    }
}

/// Where a ticket is. `tmp/` is not a state: files there are private to their writer.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum State {
    Queued,
    InProgress,
    Done,
    Failed,
}

impl State {
    pub const ALL: [State; 4] = [State::Queued, State::InProgress, State::Done, State::Failed];

    pub fn dir_name(self) -> &'static str {
        match self {
            State::Queued => "queued",
            State::InProgress => "in_progress",
            State::Done => "done",
            State::Failed => "failed",
        }
    }
}

impl fmt::Display for State {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.dir_name())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_parse_and_serialise_as_strings() {
        const PROVE: Queue = Queue::named("prove");
        assert_eq!("prove".parse::<Queue>().unwrap(), PROVE);
        assert_eq!(serde_json::to_string(&PROVE).unwrap(), "\"prove\"");
        assert_eq!(serde_json::from_str::<Queue>("\"witness-leaf\"").unwrap().name(), "witness-leaf");
        for bad in ["", "Prove", "a/b", "..", "q_1"] {
            assert!(bad.parse::<Queue>().is_err(), "{bad}");
        }
    }
}
