//! `frispool-sequencer`: the operator. Keeps the rollup state on disk, produces blocks, serves the HTTP API
//! provers talk to, and verifies submitted proofs the way an L1 contract would: under a final verifier key
//! it derived from its own circuits (cached in its store), never one read from the spool.

mod cli;

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Duration;

use anyhow::{Context, Result};
use clap::{Parser, Subcommand};
use frispool_pipeline::{check_submission, sequencer_trust, snark_trust, SnarkTrust};
use frispool_rollup::{BlockGenerator, SignedTx};
use frispool_sequencer::{serve, BlockEncoder, ProofCheck, ServerConfig, Store, BLOCK_INPUT};
use frispool_spool::{encode_artifact, exit};

#[derive(Parser)]
#[command(name = "frispool-sequencer", about = "The operator: rollup state, blocks, and the HTTP API provers talk to")]
struct Cli {
    /// The sequencer's own store (state, blocks, status records).
    #[arg(long, env = "FRISPOOL_SEQUENCER_STORE", default_value = "./sequencer")]
    store: PathBuf,
    #[command(subcommand)]
    cmd: Cmd,
}

#[derive(clap::Args)]
struct Produce {
    /// Blocks to produce from the seeded generator (transfers and withdrawals signed with each generated
    /// account's key, derived from a public seed).
    #[arg(long, default_value_t = 0)]
    blocks: u32,
    /// Transactions per generated block.
    #[arg(long, default_value_t = 64)]
    txs: usize,
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Produce one block from this JSON file of transactions (an array of signed transactions: each transfer and
    /// withdrawal with its sender's Schnorr signature; a block that breaks a rule is refused, naming it).
    #[arg(long, value_name = "FILE")]
    transactions: Option<PathBuf>,
}

/// The HTTP server's limits against slow or hostile clients.
#[derive(clap::Args)]
struct HttpLimits {
    /// Open connections served at once; one more is answered 503 and closed.
    #[arg(long, default_value_t = ServerConfig::DEFAULT_MAX_CONNECTIONS)]
    max_connections: usize,
    /// Request bodies received or checked at once (each up to --max-body in memory); one more gets 503.
    #[arg(long, default_value_t = ServerConfig::DEFAULT_MAX_UPLOADS)]
    max_uploads: usize,
    /// A request head (request line and headers) must arrive within this many seconds; this also closes
    /// an idle kept-alive connection.
    #[arg(long, default_value_t = ServerConfig::DEFAULT_HEADER_TIMEOUT.as_secs(), value_parser = clap::value_parser!(u64).range(1..))]
    header_timeout_secs: u64,
    /// A request body must arrive within this many seconds of its head, or the answer is 408.
    #[arg(long, default_value_t = ServerConfig::DEFAULT_BODY_TIMEOUT.as_secs(), value_parser = clap::value_parser!(u64).range(1..))]
    body_timeout_secs: u64,
    /// A connection with no request in hand and no byte moving for this many seconds is closed.
    #[arg(long, default_value_t = ServerConfig::DEFAULT_IDLE_TIMEOUT.as_secs(), value_parser = clap::value_parser!(u64).range(1..))]
    idle_timeout_secs: u64,
}

#[derive(Subcommand)]
enum Cmd {
    /// Produce blocks into the store, then exit.
    Produce(Produce),
    /// Serve the HTTP API (after producing any blocks asked for).
    Serve {
        #[arg(long, default_value = "127.0.0.1:3320")]
        listen: SocketAddr,
        /// A keys folder to check against this sequencer's own trust root: if its final.vk is not
        /// byte-identical to the key the sequencer derived, the sequencer refuses to start. No key is ever
        /// taken from it (the trust root is derived from this build's circuits and cached in the store).
        #[arg(long, value_name = "DIR")]
        keys: Option<PathBuf>,
        /// Pin the final verifier key: the blake3 of its serialised verifier data (as `frispool keygen`
        /// prints it) must equal this, or the sequencer refuses to start.
        #[arg(long, value_name = "HEX")]
        final_vk_digest: Option<String>,
        /// The wrapper's Groth16 verifying key (keys/wrapper.vk as `frispool keygen --wrapper` wrote it, or a
        /// ceremony's imported through it): SNARKs (final.snark) are accepted under it, and only if its blake3
        /// is --snark-vk-digest. Without both, SNARKs are refused; final proofs are checked as always.
        #[arg(long, value_name = "FILE", requires = "snark_vk_digest")]
        snark_vk: Option<PathBuf>,
        /// Pin the wrapper's verifying key: the blake3 that `frispool keygen --wrapper` prints.
        #[arg(long, value_name = "HEX", requires = "snark_vk")]
        snark_vk_digest: Option<String>,
        /// A handed-out block still unproven after this many seconds is handed out again.
        #[arg(long, default_value_t = 600)]
        handout_timeout_secs: u64,
        /// Largest request body accepted, in bytes.
        #[arg(long, default_value_t = 16 << 20)]
        max_body: usize,
        /// Proof checks run at once (on the server's blocking pool).
        #[arg(long, default_value_t = 4)]
        threads: usize,
        #[command(flatten)]
        http: HttpLimits,
        #[command(flatten)]
        produce: Produce,
    },
    /// Print every block's status record.
    Status,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    // Whatever stops the sequencer before it serves is its configuration (store, trust root, address).
    cli::main("frispool-sequencer", exit::USAGE, || run(cli).map(|()| exit::OK))
}

fn produce(store: &mut Store, p: &Produce) -> Result<()> {
    if let Some(file) = &p.transactions {
        let text = std::fs::read(file).with_context(|| format!("reading {}", file.display()))?;
        let txs: Vec<SignedTx> = serde_json::from_slice(&text)
            .with_context(|| format!("{} is not a JSON array of transactions", file.display()))?;
        let b = store.produce(txs).with_context(|| format!("block from {}", file.display()))?;
        println!("produced block {} with {} transactions from {}", b.header.number, b.header.tx_count, file.display());
    }
    for _ in 0..p.blocks {
        let number = store.state().next_block_number();
        let txs =
            BlockGenerator::new(p.seed.wrapping_mul(0x9e37_79b9).wrapping_add(number)).next_block(store.state(), p.txs);
        let b = store.produce(txs)?;
        println!("produced block {} with {} transactions", b.header.number, b.header.tx_count);
    }
    Ok(())
}

/// The final verifier of the sequencer's own trust root (see `frispool_pipeline::sequencer_trust`), checked against a
/// presented keys folder when one is given.
fn proof_check(store: &Path, keys: Option<&Path>, pin: Option<&str>, snark: Option<SnarkTrust>) -> Result<ProofCheck> {
    let trusted = sequencer_trust(store, pin, &|what| println!("frispool-sequencer: {what}"))?;
    println!(
        "frispool-sequencer: final verifier key blake3 {} ({}), protocol {}",
        trusted.digest, trusted.origin, trusted.verifier.protocol
    );
    if let Some(dir) = keys {
        trusted.check_presented(dir).context("the presented keys folder is refused")?;
        println!("frispool-sequencer: {} holds the same final verifier key", dir.display());
    }
    match &snark {
        Some(s) => println!(
            "frispool-sequencer: SNARKs accepted under the wrapper verifying key {} (blake3 {}, pinned)",
            s.file.display(),
            s.digest
        ),
        None => {
            println!("frispool-sequencer: no wrapper key pinned (--snark-vk, --snark-vk-digest): SNARKs are refused")
        }
    }
    let verifier = trusted.verifier;
    Ok(Box::new(move |header, body| check_submission(&verifier, snark.as_ref(), header, body)))
}

fn run(cli: Cli) -> Result<()> {
    let mut store = Store::open(&cli.store)?;
    match cli.cmd {
        Cmd::Produce(p) => produce(&mut store, &p),
        Cmd::Status => {
            for n in store.block_numbers()? {
                println!("{}", serde_json::to_string(&store.record(n)?)?);
            }
            Ok(())
        }
        Cmd::Serve {
            listen,
            keys,
            final_vk_digest,
            snark_vk,
            snark_vk_digest,
            handout_timeout_secs,
            max_body,
            threads,
            http,
            produce: p,
        } => {
            produce(&mut store, &p)?;
            let snark = snark_trust(snark_vk.as_deref(), snark_vk_digest.as_deref())?;
            let check = proof_check(&cli.store, keys.as_deref(), final_vk_digest.as_deref(), snark)?;
            let encode: BlockEncoder = Box::new(|block| {
                encode_artifact(Path::new("proof_generation_data"), BLOCK_INPUT, block).map_err(|e| e.to_string())
            });
            let config = ServerConfig {
                addr: listen,
                handout_timeout_ms: handout_timeout_secs * 1000,
                max_body,
                threads,
                max_connections: http.max_connections,
                max_uploads: http.max_uploads,
                header_timeout: Duration::from_secs(http.header_timeout_secs),
                body_timeout: Duration::from_secs(http.body_timeout_secs),
                idle_timeout: Duration::from_secs(http.idle_timeout_secs),
            };
            let handle = serve(store, check, encode, config).with_context(|| format!("listening on {listen}"))?;
            println!("frispool-sequencer: listening on http://{}", handle.addr());
            handle.join();
            Ok(())
        }
    }
}
