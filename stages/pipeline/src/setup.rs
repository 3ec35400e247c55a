//! What every pipeline stage binary does before its runner starts: open the spool, settle the protocol
//! version it serves (the keys' unless `--protocol` names the same one), and for the stages that prove, load
//! the keys.

use frispool_circuits::ProtocolKeys;
use frispool_spool::runner::RunnerArgs;
use frispool_spool::{exit, Spool, SpoolError};
use thiserror::Error;

use crate::keystore::{self, KeyError};

/// The key flags of the stages that prove (prover, compressor).
#[derive(clap::Args, Clone, Debug)]
pub struct KeyArgs {
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
}

impl SetupError {
    pub fn exit_code(&self) -> u8 {
        match self {
            SetupError::Spool(e) => e.exit_code(),
            // Missing or mismatched keys: a configuration problem, retrying will not help.
            SetupError::Keys(_) => exit::USAGE,
        }
    }
}

/// Opens the spool and writes the protocol version the stage serves into `args.protocol`.
pub fn serve(args: &mut RunnerArgs) -> Result<Spool, SetupError> {
    let spool = Spool::open(&args.spool)?;
    args.protocol = keystore::serve_protocol(&spool.keys_dir(), &args.protocol)?;
    Ok(spool)
}

/// [`serve`], then the keys: loaded from the spool's `keys/`, or built with `--rebuild-keys`, checked
/// against the manifest either way.
pub fn serve_with_keys(args: &mut RunnerArgs, keys: &KeyArgs) -> Result<(Spool, ProtocolKeys), SetupError> {
    let spool = serve(args)?;
    let dir = spool.keys_dir();
    let keys = if keys.rebuild_keys { keystore::build_checked(&dir)? } else { keystore::load(&dir)? };
    Ok((spool, keys))
}
