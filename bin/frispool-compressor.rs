//! `frispool-compressor`: scheduler proof → compression layers → final proof (→ BN254 SNARK, when
//! `keys/wrapper.pk` exists) → submit job.

mod cli;

use std::process::ExitCode;

use clap::Parser;
use frispool_pipeline::{has_wrapper_keys, load_snark_prover, serve_with_keys, CompressorStage, ProvingArgs};
use frispool_spool::{exit, run_stage, RunnerArgs};

#[derive(Parser)]
#[command(
    name = "frispool-compressor",
    about = "Compressor: turns scheduler proofs into final proofs (and, when keys/wrapper.pk exists, their BN254 Groth16 SNARKs: final.snark) and enqueues their submission"
)]
struct Cli {
    #[command(flatten)]
    proving: ProvingArgs,
    #[command(flatten)]
    runner: RunnerArgs,
}

fn main() -> ExitCode {
    let mut cli = Cli::parse();
    cli::main("frispool-compressor", exit::TEMPFAIL, || {
        let (spool, keys) = serve_with_keys(&mut cli.runner, &cli.proving)?;
        // The wrapper keys are optional: with them every final proof also gets its BN254 SNARK.
        let keys_dir = spool.keys_dir();
        let snark = if has_wrapper_keys(&keys_dir) {
            eprintln!("frispool-compressor: wrapper keys in {}: building the wrap-ready layer", keys_dir.display());
            let prover = load_snark_prover(&keys_dir, &keys)?;
            eprintln!("frispool-compressor: writing SNARKs (wrapper verifying key blake3 {})", prover.vk_digest);
            Some(prover)
        } else {
            None
        };
        let summary = run_stage(&spool, &cli.runner, &CompressorStage { keys, snark })?;
        summary.log();
        Ok(summary.exit_code())
    })
}
