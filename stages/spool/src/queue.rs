//! The queues of the pipeline and the states a ticket moves through.

use std::fmt;
use std::str::FromStr;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Queue {
    WitnessBasic,
    WitnessLeaf,
    WitnessNode,
    WitnessTip,
    WitnessScheduler,
    Wvg,
    Prove,
    Compress,
    Submit,
}

impl Queue {
    pub const ALL: [Queue; 9] = [
        Queue::WitnessBasic,
        Queue::WitnessLeaf,
        Queue::WitnessNode,
        Queue::WitnessTip,
        Queue::WitnessScheduler,
        Queue::Wvg,
        Queue::Prove,
        Queue::Compress,
        Queue::Submit,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Queue::WitnessBasic => "witness-basic",
            Queue::WitnessLeaf => "witness-leaf",
            Queue::WitnessNode => "witness-node",
            Queue::WitnessTip => "witness-tip",
            Queue::WitnessScheduler => "witness-scheduler",
            Queue::Wvg => "wvg",
            Queue::Prove => "prove",
            Queue::Compress => "compress",
            Queue::Submit => "submit",
        }
    }
}

impl fmt::Display for Queue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

#[derive(Debug, Clone, thiserror::Error)]
#[error("unknown queue `{0}` (queues: witness-basic witness-leaf witness-node witness-tip witness-scheduler wvg prove compress submit)")]
pub struct UnknownQueue(pub String);

impl FromStr for Queue {
    type Err = UnknownQueue;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Queue::ALL.into_iter().find(|q| q.name() == s).ok_or_else(|| UnknownQueue(s.to_string()))
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
