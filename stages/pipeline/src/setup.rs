//! What every pipeline stage binary does before its runner starts: open the spool, settle the protocol
//! version it serves (the keys' unless `--protocol` names the same one), and for the stages that prove,
//! choose the proving backend and load the keys.

use frispool_circuits::ProtocolKeys;
use frispool_core::{AggregationRound, SharedBackend};
use frispool_spool::{exit, RunnerArgs, Spool, SpoolError};
use thiserror::Error;

use crate::backend::{Backend, BackendError};
use crate::keystore::{self, KeyError};
use crate::routing::QUEUES;

/// The flags of the stages that prove (prover, compressor).
#[derive(clap::Args, Clone, Debug)]
pub struct ProvingArgs {
    /// Where every circuit is proven.
    #[arg(long, value_enum, default_value = "cpu")]
    pub backend: Backend,
    /// The GPU `--backend gpu` proves on (CUDA ordinal).
    #[arg(long, default_value_t = 0)]
    pub device: usize,
    /// Build every circuit instead of loading the prover keys from the spool's keys/ (slow; for keys folders
    /// written before prover keys existed). The built protocol must still equal the keys' manifest.
    #[arg(long)]
    pub rebuild_keys: bool,
}

#[derive(Debug, Error)]
pub enum SetupError {
    #[error(transparent)]
    Spool(#[from] SpoolError),
    #[error(transparent)]
    Keys(#[from] KeyError),
    #[error(transparent)]
    Backend(#[from] BackendError),
}

impl SetupError {
    pub fn exit_code(&self) -> u8 {
        match self {
            SetupError::Spool(e) => e.exit_code(),
            // Missing or mismatched keys, a backend not built in: configuration, retrying will not help.
            SetupError::Keys(_) | SetupError::Backend(_) => exit::USAGE,
        }
    }
}

/// Opens the spool and writes the protocol version the stage serves into `args.protocol`, and `--rounds`
/// as the round numbers the spool's runner filters on.
pub fn serve(args: &mut RunnerArgs) -> Result<Spool, SetupError> {
    args.rounds = round_numbers(&args.rounds)?;
    let spool = Spool::open(&args.spool, &QUEUES)?;
    args.protocol = keystore::serve_protocol(&spool.keys_dir(), &args.protocol)?;
    Ok(spool)
}

/// `--rounds` by name (basic, leaf, …) or number → numbers: the spool knows job keys, not round names.
pub fn round_numbers(rounds: &[String]) -> Result<Vec<String>, SpoolError> {
    let one = |r: &String| {
        let r = r.trim();
        match r.parse::<AggregationRound>() {
            Ok(round) => Ok(round.number().to_string()),
            Err(_) if r.parse::<u8>().is_ok_and(|n| AggregationRound::from_number(n).is_some()) => Ok(r.to_string()),
            Err(_) => {
                let names: Vec<&str> = AggregationRound::ALL.iter().map(|r| r.name()).collect();
                Err(SpoolError::Config(format!("--rounds: unknown round `{r}` (rounds: {})", names.join(","))))
            }
        }
    };
    rounds.iter().map(one).collect()
}

/// [`serve`], then the backend (before the keys: a backend that is not there fails at once), then the
/// keys: loaded from the spool's `keys/`, or built with `--rebuild-keys`, checked against the manifest
/// either way, every circuit set to prove on the backend.
pub fn serve_with_keys(args: &mut RunnerArgs, proving: &ProvingArgs) -> Result<(Spool, ProtocolKeys), SetupError> {
    serve_with_backend(args, proving).map(|(spool, keys, _)| (spool, keys))
}

/// [`serve_with_keys`], and the backend the keys prove on (for a stage that also proves witness vectors).
pub fn serve_with_backend(
    args: &mut RunnerArgs,
    proving: &ProvingArgs,
) -> Result<(Spool, ProtocolKeys, SharedBackend), SetupError> {
    let spool = serve(args)?;
    let backend = proving.backend.select(proving.device, usize::from(args.workers.max(1)))?;
    let mut keys = load(&spool, proving.rebuild_keys)?;
    keys.use_backend(backend.clone());
    Ok((spool, keys, backend))
}

/// The keys from the spool's `keys/` (or built, with `rebuild`), checked against the manifest.
pub fn load(spool: &Spool, rebuild: bool) -> Result<ProtocolKeys, SetupError> {
    let dir = spool.keys_dir();
    Ok(if rebuild { keystore::build_checked(&dir)? } else { keystore::load_keys(&dir)? })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rounds_by_name_or_number_become_numbers() {
        let args = |s: &[&str]| s.iter().map(|r| r.to_string()).collect::<Vec<_>>();
        assert_eq!(round_numbers(&args(&["basic", " leaf", "4"])).unwrap(), args(&["0", "1", "4"]));
        let e = round_numbers(&args(&["wrap"])).unwrap_err().to_string();
        assert!(e.contains("unknown round `wrap`") && e.contains("basic,leaf,node"), "{e}");
        assert!(round_numbers(&args(&["9"])).is_err(), "no round 9");
    }
}
