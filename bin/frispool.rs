//! `frispool`: the operator's tool for a spool (init, status, inspect, requeue, recover).

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Duration;

use anyhow::{Context, Result};
use clap::{Parser, Subcommand};
use frispool_spool::artifact::{self, MappedArtifact};
use frispool_spool::protocol::Holder;
use frispool_spool::status::{status, write_atomic};
use frispool_spool::synthetic::{SyntheticPayload, SyntheticSweep};
use frispool_spool::{exit, recover, ArtifactKind, JobKey, Queue, RecoverOptions, Spool, SpoolError, Ticket, UnblockSweep};

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
    },
    /// Show any ticket or artifact, with the artifact header checked.
    Inspect { file: PathBuf },
    /// Put a failed (or done) job back in queued/ with its attempts reset.
    Requeue {
        key: JobKey,
        /// The queue, when the key is in several.
        #[arg(long)]
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
}

/// The unblock sweeps of every stage; stages add theirs here.
fn stage_sweeps() -> Vec<Box<dyn UnblockSweep>> {
    Queue::ALL.into_iter().map(|queue| Box::new(SyntheticSweep { queue }) as Box<dyn UnblockSweep>).collect()
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(cli) {
        Ok(code) => ExitCode::from(code),
        Err(e) => {
            eprintln!("frispool: error: {e:#}");
            let code = e.chain().find_map(|c| c.downcast_ref::<SpoolError>()).map(SpoolError::exit_code).unwrap_or(exit::TEMPFAIL);
            ExitCode::from(code)
        }
    }
}

fn run(cli: Cli) -> Result<u8> {
    match cli.cmd {
        Cmd::Init => {
            Spool::init(&cli.spool)?;
            println!("initialised spool {}", cli.spool.display());
            Ok(exit::OK)
        }
        Cmd::Status { json, prometheus } => {
            let spool = Spool::open(&cli.spool)?;
            let report = status(&spool)?;
            if json {
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
            let spool = Spool::open(&cli.spool)?;
            let (q, from) = spool.requeue(&key, queue)?;
            println!("requeued {key} in {q} (was {from})");
            Ok(exit::OK)
        }
        Cmd::Recover { lease_secs, tmp_age_secs, no_pid_check } => {
            let spool = Spool::open(&cli.spool)?;
            let opts = RecoverOptions {
                lease: Duration::from_secs(lease_secs),
                tmp_age: Duration::from_secs(tmp_age_secs),
                check_local_pids: !no_pid_check,
            };
            let sweeps = stage_sweeps();
            let refs: Vec<&dyn UnblockSweep> = sweeps.iter().map(|s| s.as_ref()).collect();
            let r = recover::recover(&spool, &opts, &refs)?;
            println!("{}", serde_json::to_string(&r)?);
            Ok(exit::OK)
        }
    }
}

fn inspect(file: &Path) -> Result<u8> {
    let bytes = std::fs::read(file).with_context(|| format!("reading {}", file.display()))?;
    let name = file.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    if name.ends_with(".err") {
        print!("{}", String::from_utf8_lossy(&bytes));
        return Ok(exit::OK);
    }
    if bytes.first() == Some(&b'{') {
        let t = Ticket::parse(file, &bytes)?;
        let state = file.parent().and_then(|p| p.file_name()).map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
        println!("ticket {} in queue {} ({state})", t.key, t.queue);
        if let Some(h) = Holder::parse(&name) {
            println!("held by {} pid {}, attempt {}", h.host, h.pid, h.attempt);
        }
        println!("{}", String::from_utf8_lossy(&t.to_bytes()).trim_end());
        return Ok(exit::OK);
    }
    let a = MappedArtifact::open(file)?;
    let h = &a.header;
    println!("artifact {}", file.display());
    println!("  format   {}", h.format);
    println!("  kind     {} ({})", h.kind, h.kind as u16);
    println!("  payload  {} bytes, blake3 {} (verified)", h.payload_len, artifact::hex(&h.blake3));
    if h.kind == ArtifactKind::Synthetic {
        let p: SyntheticPayload = a.decode(ArtifactKind::Synthetic)?;
        println!("  synthetic key {} round {} digest {} filler {} bytes", p.key, p.round, artifact::hex(&p.digest), p.filler.len());
    } else {
        let head = &a.payload()[..a.payload().len().min(32)];
        println!("  first bytes {}", artifact::hex(head));
    }
    Ok(exit::OK)
}
