//! The processes of a whole pipeline on one spool, derived from the routing table: the gateway (pulls
//! blocks into round 0's queue, serves `submit`), one witness generator per round that has one, the
//! compressor, and the provers. Written once here; `frispool stages` prints it for the scripts
//! (`scripts/demo.sh`, `scripts/bench-pipeline.sh`) and the integration tests start it from here.

use frispool_core::AggregationRound;

use crate::routing::{route, witness_rounds};

/// One process: a name for its log, its binary and the flags that make it that stage. Pacing flags common
/// to every stage (`--rescan-secs`, `--once`) are the caller's.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StageProcess {
    pub name: String,
    pub binary: &'static str,
    pub args: Vec<String>,
}

impl StageProcess {
    fn new(name: impl Into<String>, binary: &'static str, args: &[&str]) -> StageProcess {
        StageProcess { name: name.into(), binary, args: args.iter().map(|a| a.to_string()).collect() }
    }

    /// A prover named `name` (`prover-1`, …): proves every round, logs every job.
    pub fn prover(name: &str) -> StageProcess {
        StageProcess::new(name, "frispool-prover", &["--backend", "cpu", "--verbose"])
    }

    /// A prover that serves witness vectors (on any free loopback port, announced in the spool).
    pub fn vector_prover(name: &str) -> StageProcess {
        StageProcess::new(name, "frispool-prover", &["--backend", "cpu", "--verbose", "--serve-vectors", "127.0.0.1:0"])
    }

    /// A witness-vector generator (`wvg-1`, …).
    pub fn wvg(name: &str) -> StageProcess {
        StageProcess::new(name, "frispool-wvg", &["--verbose"])
    }

    /// `name binary args…`, one line (what `frispool stages` prints).
    pub fn line(&self) -> String {
        let mut words = vec![self.name.clone(), self.binary.to_string()];
        words.extend(self.args.iter().cloned());
        words.join(" ")
    }
}

/// Every stage process of a pipeline with `provers` provers, its gateway talking to the sequencer at
/// `sequencer` and polling it every `pull_secs`. With `generators` > 0 the provers serve witness vectors
/// and that many `frispool-wvg` claim the prove jobs (the seed's GPU split).
pub fn stages(sequencer: &str, pull_secs: f64, provers: usize, generators: usize) -> Vec<StageProcess> {
    stages_with_basic_witness(sequencer, pull_secs, provers, generators, 1)
}

/// [`stages`] with `basic` round-0 witness generators (`witness-basic`, `witness-basic-2`, …) instead of one.
/// Re-executing a block is the one serial step per block outside the provers (0.36 s for 1 024 transactions on
/// the 4 × H100 host, BENCHMARKS.md), so a host proving more than about three blocks a second needs several;
/// they claim blocks from the one queue like any other stage's processes.
pub fn stages_with_basic_witness(
    sequencer: &str,
    pull_secs: f64,
    provers: usize,
    generators: usize,
    basic: usize,
) -> Vec<StageProcess> {
    let pull = pull_secs.to_string();
    debug_assert_eq!(route(AggregationRound::Submit).queue.name(), "submit", "the gateway serves submit");
    let mut out =
        vec![StageProcess::new("gateway", "frispool-gateway", &["--sequencer", sequencer, "--pull-secs", &pull])];
    for round in witness_rounds() {
        let copies = if round == AggregationRound::Basic { basic.max(1) } else { 1 };
        for k in 1..=copies {
            let name = if k == 1 { format!("witness-{round}") } else { format!("witness-{round}-{k}") };
            out.push(StageProcess::new(name, "frispool-witness", &["--round", round.name()]));
        }
    }
    out.push(StageProcess::new("compressor", "frispool-compressor", &[]));
    if generators == 0 {
        out.extend((1..=provers).map(|i| StageProcess::prover(&format!("prover-{i}"))));
    } else {
        out.extend((1..=provers).map(|i| StageProcess::vector_prover(&format!("prover-{i}"))));
        out.extend((1..=generators).map(|i| StageProcess::wvg(&format!("wvg-{i}"))));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_round_has_its_stage() {
        let lines: Vec<String> = stages("http://127.0.0.1:1", 0.5, 2, 0).iter().map(StageProcess::line).collect();
        assert_eq!(
            lines,
            [
                "gateway frispool-gateway --sequencer http://127.0.0.1:1 --pull-secs 0.5",
                "witness-basic frispool-witness --round basic",
                "witness-leaf frispool-witness --round leaf",
                "witness-node frispool-witness --round node",
                "witness-tip frispool-witness --round tip",
                "witness-scheduler frispool-witness --round scheduler",
                "compressor frispool-compressor",
                "prover-1 frispool-prover --backend cpu --verbose",
                "prover-2 frispool-prover --backend cpu --verbose",
            ]
        );
        let lines: Vec<String> =
            stages_with_basic_witness("http://127.0.0.1:1", 0.5, 1, 0, 3).iter().map(StageProcess::line).collect();
        assert_eq!(
            lines[1..4],
            [
                "witness-basic frispool-witness --round basic",
                "witness-basic-2 frispool-witness --round basic",
                "witness-basic-3 frispool-witness --round basic",
            ]
        );
        assert_eq!(lines[4], "witness-leaf frispool-witness --round leaf");
        let lines: Vec<String> = stages("http://127.0.0.1:1", 0.5, 1, 2).iter().map(StageProcess::line).collect();
        assert_eq!(
            lines[7..],
            [
                "prover-1 frispool-prover --backend cpu --verbose --serve-vectors 127.0.0.1:0",
                "wvg-1 frispool-wvg --verbose",
                "wvg-2 frispool-wvg --verbose",
            ]
        );
    }
}
