//! `frispool`: the operator's tool for a spool (init, status, inspect, requeue, recover, keygen, verify,
//! timings, stages).

mod cli;

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Duration;

use anyhow::{Context, Result};
use clap::{Parser, Subcommand};
use frispool_circuits::{KeyManifest, ProtocolKeys, Registry, FINAL_CIRCUIT};
use frispool_pipeline::fleet::{scale, timeline};
use frispool_pipeline::{
    describe_artifact, key_digest, keys_protocol, kinds::KINDS, queue_named, stages_with_basic_witness, timings,
    verify_file, write_keys, PlanSweep, UnknownQueue, VerifyTrust, MANIFEST, QUEUES,
};
use frispool_pipeline::{import_wrapper_keys, wrapper_setup, write_wrapper_keys, WRAPPER_PK, WRAPPER_VK};
use frispool_spool::{
    error_chain, exit, job_stats, recover, rfc3339, status, to_hex, write_atomic, ArtifactKind, Holder, JobKey,
    MappedArtifact, Queue, RecoverOptions, SpaceLevel, Spool, State, SyntheticPayload, SyntheticSweep, Ticket,
    UnblockSweep, CLOCK_PROBE, SYNTHETIC,
};

#[derive(Parser)]
#[command(name = "frispool", about = "Operate a frispool spool: the folders every stage hands work through")]
struct Cli {
    /// Spool directory.
    #[arg(long, global = true, env = "FRISPOOL_SPOOL", default_value = "./spool")]
    spool: PathBuf,
    #[command(subcommand)]
    cmd: Cmd,
}

#[derive(Subcommand)]
enum Cmd {
    /// Create the spool layout (idempotent).
    Init,
    /// Counts and oldest age per queue and state, and recent failures.
    Status {
        #[arg(long)]
        json: bool,
        /// Also write node_exporter textfile metrics here (atomically).
        #[arg(long, value_name = "FILE")]
        prometheus: Option<PathBuf>,
        /// One line: running/queued per busy queue (what the demo shows as progress).
        #[arg(long)]
        brief: bool,
    },
    /// Show any ticket or artifact, with the artifact header checked.
    Inspect { file: PathBuf },
    /// Put a failed (or done) job back in queued/ with its attempts reset.
    Requeue {
        key: JobKey,
        /// The queue, when the key is in several.
        #[arg(long, value_parser = parse_queue)]
        queue: Option<Queue>,
    },
    /// Return stale leases, remove stale tmp files, redo missed unblocks (run at start and from cron).
    Recover {
        #[arg(long, default_value_t = 60)]
        lease_secs: u64,
        #[arg(long, default_value_t = 3600)]
        tmp_age_secs: u64,
        /// Do not treat leases of vanished local pids as dead at once (wait for the lease).
        #[arg(long)]
        no_pid_check: bool,
    },
    /// Build every circuit and write the protocol version, verifier and prover keys and the manifest to keys/.
    ///
    /// The circuit types are `main`, then `sig` with FRISPOOL_SIG_PER_INSTANCE=K signatures per instance (1-80,
    /// default 10; 0 leaves `sig` out, and the proofs then say nothing about who signed). FRISPOOL_MAIN_DEGREE_BITS=B (13-18, default 13) makes every `main` instance 2^B rows: 54
    /// transactions at 13, 434 at 16; fewer, larger proofs and less aggregation. Both variables are
    /// the keygen profile, which every process of the pipeline must share.
    ///
    /// With --wrapper, also the BN254 wrapper's Groth16 keys (keys/wrapper.pk, keys/wrapper.vk): the
    /// compressor then writes a SNARK (final.snark) beside every final proof. The setup runs HERE, from this
    /// machine's randomness: a key FOR TESTING ONLY, since its toxic waste passed through this machine and
    /// whoever controlled it can forge SNARKs. Minutes and gigabytes (about 4 M constraints). For production,
    /// run a ceremony (a phase-2 MPC over this circuit), convert its keys to arkworks' encodings and give
    /// them with --wrapper-import PK VK (same files, no setup here); verifiers pin the printed blake3 of the
    /// verifying key (frispool-sequencer serve --snark-vk-digest, with --snark-vk FILE).
    Keygen {
        /// Also run the wrapper's local Groth16 setup (a test key; see above).
        #[arg(long)]
        wrapper: bool,
        /// Take the wrapper's keys from a ceremony instead: the proving key (arkworks, uncompressed) and the
        /// verifying key (arkworks, compressed).
        #[arg(long, num_args = 2, value_names = ["PK", "VK"], conflicts_with = "wrapper")]
        wrapper_import: Option<Vec<PathBuf>>,
    },
    /// Check a proof or final-proof artifact with its verifier key in keys/, after checking that key: its
    /// bytes must be identical to what this build's circuits derive (every circuit is built, seconds), or
    /// have the blake3 digest given with --vk-digest. Says which key the proof was checked against.
    /// A SNARK (final.snark) is checked under keys/wrapper.vk only with --vk-digest (a Groth16 key comes out
    /// of a setup and cannot be derived), for the block and commitment it is labelled with.
    Verify {
        proof: PathBuf,
        /// Trust the key on disk only if its blake3 (as `frispool keygen` prints it) is this; skips deriving.
        #[arg(long, value_name = "HEX")]
        vk_digest: Option<String>,
    },
    /// Per-queue and per-round timings of finished jobs (from done tickets).
    Timings {
        /// Only these blocks (default: all).
        blocks: Vec<u64>,
        /// JSON (one object per queue and round, then the totals; milliseconds) instead of a table.
        #[arg(long)]
        json: bool,
    },
    /// How many workers of each kind would drain what is queued within --target-secs, from the queue
    /// depths and the mean job times of done tickets (per queue, round and circuit type).
    Scale {
        /// Drain the backlog within this many seconds.
        #[arg(long, default_value_t = 3600.0)]
        target_secs: f64,
        /// Job time assumed for a round with no done job yet (default: one worker measures it).
        #[arg(long, value_name = "SECS")]
        default_secs: Option<f64>,
        /// Print `sbatch --array` lines for scripts/slurm instead of the table.
        #[arg(long)]
        slurm: bool,
        /// JSON instead of the table.
        #[arg(long)]
        json: bool,
    },
    /// A timeline of every finished job of some blocks (one lane per worker, one bar per job from claim to
    /// done, coloured by round, outlined when it took several attempts) as SVG, and a text summary.
    Report {
        /// The blocks (default: the --last N blocks that have a finished job).
        blocks: Vec<u64>,
        #[arg(long, default_value_t = 1, value_name = "N")]
        last: usize,
        /// Where to write the SVG.
        #[arg(long, default_value = "frispool-timeline.svg", value_name = "FILE")]
        out: PathBuf,
    },
    /// The processes of a whole pipeline on this spool, one per line: `NAME BINARY ARGS…` (what the demo
    /// and the pipeline benchmark start; add `--rescan-secs` and the like to each).
    Stages {
        /// Base URL of the sequencer the gateway talks to.
        #[arg(long, default_value = "http://127.0.0.1:3320")]
        sequencer: String,
        /// Seconds between the gateway's polls of the sequencer.
        #[arg(long, default_value_t = 2.0)]
        pull_secs: f64,
        #[arg(long, default_value_t = 1)]
        provers: usize,
        /// Witness-vector generators: with N > 0 the provers serve witness vectors and N frispool-wvg
        /// claim the prove jobs.
        #[arg(long, default_value_t = 0, value_name = "N")]
        wvg: usize,
        /// Round-0 witness generators (block re-execution, one block at a time each): more than one where the
        /// provers finish more than about three 1 024-transaction blocks a second.
        #[arg(long, default_value_t = 1, value_name = "N")]
        basic_witness: usize,
    },
}

fn parse_queue(s: &str) -> Result<Queue, UnknownQueue> {
    queue_named(s)
}

/// Every kind `frispool inspect` names: the pipeline's, the sequencer store's, the synthetic stage's.
fn known_kinds() -> Vec<ArtifactKind> {
    let mut all: Vec<ArtifactKind> =
        KINDS.into_iter().chain(frispool_sequencer::STORE_KINDS).chain([SYNTHETIC]).collect();
    all.sort_by_key(|k| k.number());
    all.dedup();
    all
}

/// The unblock sweeps of every stage; stages add theirs here.
fn stage_sweeps(spool: &Spool) -> Vec<Box<dyn UnblockSweep>> {
    let mut sweeps: Vec<Box<dyn UnblockSweep>> =
        QUEUES.iter().map(|queue| Box::new(SyntheticSweep { queue: queue.clone() }) as Box<dyn UnblockSweep>).collect();
    // The pipeline's sweep needs the protocol version; a spool without keys has no pipeline jobs.
    if let Ok(protocol) = keys_protocol(&spool.keys_dir()) {
        sweeps.push(Box::new(PlanSweep { protocol, max_attempts: 3, registry: Registry::default() }));
    }
    sweeps
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    cli::main("frispool", exit::TEMPFAIL, || run(cli))
}

fn run(cli: Cli) -> Result<u8> {
    match cli.cmd {
        Cmd::Init => {
            Spool::init(&cli.spool, &QUEUES)?;
            println!("initialised spool {}", cli.spool.display());
            Ok(exit::OK)
        }
        Cmd::Status { json, prometheus, brief } => {
            let spool = Spool::open(&cli.spool, &QUEUES)?;
            let mut report = status(&spool)?;
            // The progress line stays a folder listing; the rest reads every ticket (times, attempts, memory).
            if !brief || prometheus.is_some() {
                report.add_job_stats(&spool)?;
            }
            if brief {
                let busy: Vec<String> = report
                    .queues
                    .iter()
                    .filter(|q| q.queued.count + q.in_progress.count + q.failed.count > 0)
                    .map(|q| {
                        let failed =
                            if q.failed.count > 0 { format!(" {} failed", q.failed.count) } else { String::new() };
                        format!("{} {}/{}{failed}", q.queue, q.in_progress.count, q.queued.count)
                    })
                    .collect();
                let line = if busy.is_empty() { "idle".to_string() } else { busy.join("  ") };
                // A full spool stalls every worker (they hand jobs back and wait): say so on the progress line.
                let full = if report.space == Some(SpaceLevel::Full) { "FULL disk  " } else { "" };
                println!("{full}{line}");
            } else if json {
                println!("{}", serde_json::to_string_pretty(&report)?);
            } else {
                print!("{}", report.render());
            }
            if let Some(p) = prometheus {
                write_atomic(&p, &report.prometheus())?;
            }
            Ok(exit::OK)
        }
        Cmd::Inspect { file } => inspect(&file),
        Cmd::Requeue { key, queue } => {
            let spool = Spool::open(&cli.spool, &QUEUES)?;
            let (q, from) = spool.requeue(&key, queue.as_ref())?;
            println!("requeued {key} in {q} (was {from})");
            Ok(exit::OK)
        }
        Cmd::Recover { lease_secs, tmp_age_secs, no_pid_check } => {
            let spool = Spool::open(&cli.spool, &QUEUES)?;
            let opts = RecoverOptions {
                lease: Duration::from_secs(lease_secs),
                tmp_age: Duration::from_secs(tmp_age_secs),
                check_local_pids: !no_pid_check,
            };
            let sweeps = stage_sweeps(&spool);
            let refs: Vec<&dyn UnblockSweep> = sweeps.iter().map(|s| s.as_ref()).collect();
            let r = recover(&spool, &opts, &refs)?;
            println!("{}", serde_json::to_string(&r)?);
            Ok(exit::OK)
        }
        Cmd::Keygen { wrapper, wrapper_import } => {
            let spool = Spool::open(&cli.spool, &QUEUES)?;
            let started = std::time::Instant::now();
            let keys = ProtocolKeys::build(&Registry::default())?;
            let manifest = write_keys(&spool.keys_dir(), &keys)?;
            println!(
                "protocol {} (keys built in {:.1?}) in {}",
                manifest.protocol,
                started.elapsed(),
                spool.keys_dir().display()
            );
            for c in &manifest.circuits {
                let prover = std::fs::metadata(spool.keys_dir().join(format!("{}.prover", c.name)))
                    .map(|m| m.len())
                    .unwrap_or(0);
                println!(
                    "  {:<12} 2^{:<2} rows  {:>3} public inputs  prover key {:>6.1} MB  digest {}",
                    c.name,
                    c.degree_bits,
                    c.public_inputs,
                    prover as f64 / 1e6,
                    c.digest
                );
                println!("  {:<12} security {}", "", c.security);
            }
            for (ty, capacity) in keys.registry().capacities() {
                println!("  circuit type {ty} (id {}): {capacity} per instance", ty.id());
            }
            let level = manifest.circuits.iter().map(|c| c.security_bits).min().unwrap_or(0);
            println!("protocol security level: {level} bits (the least over every circuit and every argument; CIRCUITS.md has the arithmetic)");
            let final_vk = key_digest(&keys.verifier_bytes(FINAL_CIRCUIT)?);
            println!("final verifier key blake3 {final_vk}");
            println!("  (pin it: frispool-sequencer serve --final-vk-digest {final_vk}; frispool verify --vk-digest)");
            if wrapper || wrapper_import.is_some() {
                wrapper_keygen(&spool.keys_dir(), &keys, wrapper_import.as_deref())?;
            }
            Ok(exit::OK)
        }
        Cmd::Timings { blocks, json } => {
            let spool = Spool::open(&cli.spool, &QUEUES)?;
            let report = timings(&spool, &blocks)?;
            if json {
                println!("{}", report.json());
            } else {
                print!("{}", report.render());
            }
            Ok(exit::OK)
        }
        Cmd::Scale { target_secs, default_secs, slurm, json } => {
            let spool = Spool::open(&cli.spool, &QUEUES)?;
            let now = spool.fs_now().unwrap_or_else(|_| std::time::SystemTime::now());
            let advice = scale(&job_stats(&spool, now)?, target_secs, default_secs);
            if slurm {
                print!("{}", advice.slurm());
            } else if json {
                println!("{}", serde_json::to_string_pretty(&advice)?);
            } else {
                print!("{}", advice.render());
            }
            Ok(exit::OK)
        }
        Cmd::Report { blocks, last, out } => {
            let spool = Spool::open(&cli.spool, &QUEUES)?;
            let t = timeline(&spool, &blocks, last)?;
            print!("{}", t.summary());
            t.draw_svg(&out)?;
            println!("timeline: {}", out.display());
            Ok(exit::OK)
        }
        Cmd::Stages { sequencer, pull_secs, provers, wvg, basic_witness } => {
            for stage in stages_with_basic_witness(&sequencer, pull_secs, provers, wvg, basic_witness) {
                println!("{}", stage.line());
            }
            Ok(exit::OK)
        }
        Cmd::Verify { proof, vk_digest } => {
            let spool = Spool::open(&cli.spool, &QUEUES)?;
            let how = match &vk_digest {
                Some(d) => VerifyTrust::Digest(d),
                None => VerifyTrust::Derive,
            };
            match verify_file(&spool.keys_dir(), &proof, &how) {
                Ok(line) => {
                    println!("{line}");
                    Ok(exit::OK)
                }
                Err(e) => {
                    eprintln!("frispool: {}", error_chain(&e));
                    Ok(exit::JOB_FAILED)
                }
            }
        }
    }
}

/// `keygen --wrapper` / `--wrapper-import PK VK`: the wrapper's Groth16 keys into `dir`.
fn wrapper_keygen(dir: &Path, keys: &ProtocolKeys, import: Option<&[PathBuf]>) -> Result<()> {
    let started = std::time::Instant::now();
    let (groth16, origin) = match import {
        Some([pk, vk]) => {
            let imported = import_wrapper_keys(pk, vk)?;
            (imported, format!("imported from {} and {}", pk.display(), vk.display()))
        }
        Some(_) => anyhow::bail!("--wrapper-import takes two files: PK VK"),
        None => {
            let (generated, counts) = wrapper_setup(keys, &|step| println!("wrapper: {step}"))?;
            println!(
                "wrapper: {} constraints (allocation {}, transcript {}, vanishing {}, FRI {})",
                counts.total, counts.allocation, counts.transcript, counts.vanishing, counts.fri
            );
            let origin = "local setup: a TEST key (its toxic waste passed through the machine that ran it)";
            (generated, origin.to_string())
        }
    };
    let digest = write_wrapper_keys(dir, keys, &groth16, &origin)?;
    let size = |f: &str| std::fs::metadata(dir.join(f)).map(|m| m.len() as f64 / 1e6).unwrap_or(0.0);
    println!(
        "wrapper keys ({origin}) in {:.1?}: {} {:.1} MB, {} {:.1} KB",
        started.elapsed(),
        WRAPPER_PK,
        size(WRAPPER_PK),
        WRAPPER_VK,
        size(WRAPPER_VK) * 1e3
    );
    println!("wrapper verifying key blake3 {digest}");
    println!(
        "  (pin it: frispool-sequencer serve --snark-vk {} --snark-vk-digest {digest})",
        dir.join(WRAPPER_VK).display()
    );
    Ok(())
}

fn inspect(file: &Path) -> Result<u8> {
    let bytes = std::fs::read(file).with_context(|| format!("reading {}", file.display()))?;
    let name = file.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    if name.ends_with(".err") {
        print!("{}", String::from_utf8_lossy(&bytes));
        return Ok(exit::OK);
    }
    if name == CLOCK_PROBE {
        // Not an artifact: an empty file whose mtime is the filesystem's own clock (leases are judged by it).
        let mtime = std::fs::metadata(file)
            .and_then(|m| m.modified())
            .with_context(|| format!("reading {}", file.display()))?;
        let ms = mtime.duration_since(std::time::UNIX_EPOCH).map(|d| d.as_millis() as u64).unwrap_or(0);
        println!(
            "clock probe {}: last touched {} (filesystem clock, read by recover and status)",
            file.display(),
            rfc3339(ms)
        );
        return Ok(exit::OK);
    }
    if name == MANIFEST {
        let m: KeyManifest =
            serde_json::from_slice(&bytes).with_context(|| format!("{} is not a key manifest", file.display()))?;
        println!("key manifest {}: protocol {}", file.display(), m.protocol);
        for c in &m.circuits {
            println!(
                "  {:<12} 2^{} rows, {} public inputs, digest {}, security {}",
                c.name, c.degree_bits, c.public_inputs, c.digest, c.security
            );
        }
        return Ok(exit::OK);
    }
    let state = file.parent().and_then(|p| p.file_name()).map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    let in_queue = State::ALL.iter().any(|s| s.dir_name() == state);
    if bytes.first() == Some(&b'{') && !in_queue {
        // Not a ticket: a status record or other JSON (the sequencer's block records, say).
        let v: serde_json::Value =
            serde_json::from_slice(&bytes).with_context(|| format!("{} is not JSON", file.display()))?;
        println!("JSON {}\n{}", file.display(), serde_json::to_string_pretty(&v)?);
        return Ok(exit::OK);
    }
    if bytes.first() == Some(&b'{') {
        let t = Ticket::parse(file, &bytes)?;
        println!("ticket {} in queue {} ({state})", t.key, t.queue);
        if let Some(h) = Holder::parse(&name) {
            println!("held by {} pid {}, attempt {}", h.host, h.pid, h.attempt);
        }
        println!("{}", String::from_utf8_lossy(&t.to_bytes()).trim_end());
        return Ok(exit::OK);
    }
    let a = MappedArtifact::open(file)?;
    let kind = a.kind_in(&known_kinds())?;
    let h = &a.header;
    println!("artifact {}", file.display());
    println!("  format   {}", h.format);
    println!("  kind     {kind} ({})", kind.number());
    println!("  payload  {} bytes, blake3 {} (verified)", h.payload_len, to_hex(&h.blake3));
    if let Some(text) = describe_artifact(&a, &Registry::default())? {
        for line in text.lines() {
            println!("  {line}");
        }
    } else if kind == SYNTHETIC {
        let p: SyntheticPayload = a.decode(SYNTHETIC)?;
        println!(
            "  synthetic key {} round {} digest {} filler {} bytes",
            p.key,
            p.round,
            to_hex(&p.digest),
            p.filler.len()
        );
    } else {
        let head = &a.payload()[..a.payload().len().min(32)];
        println!("  first bytes {}", to_hex(head));
    }
    Ok(exit::OK)
}
