//! The loop every stage shares: claim → handle → complete or fail, with leases, `--once`, watch
//! mode and clean shutdown. A stage plugs in a small `Handler`.
//!
//! Infrastructure faults (a full disk, EIO, a lost file server: `fault::InfraFault`) are not the
//! job's doing, so they never spend an attempt: the ticket goes back to `queued/` unchanged (the
//! release of protocol step 8), the worker records the fault where `frispool status` shows it,
//! backs off (exponential, capped) and tries again — or, under `--once`, stops with exit 75.

use std::error::Error as StdError;
use std::fmt;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use serde::de::DeserializeOwned;
use serde::Serialize;

use crate::artifact::{ArtifactError, ArtifactKind, MappedArtifact, OutputBatch};
use crate::error::{chain, exit, Result, SpoolError};
use crate::fault::{Backoff, FaultRecord, InfraFault};
use crate::key::JobKey;
use crate::layout::Spool;
use crate::protocol::{Claimed, Claimer, FailOutcome, Heartbeat};
use crate::queue::{Queue, State};
use crate::recover::{recover, RecoverOptions, UnblockSweep};
use crate::ticket::{OutputRef, Ticket};
use crate::watch::Waker;

/// Flags every stage takes (DESIGN.md §5). Flatten into the stage's own clap struct.
#[derive(clap::Args, Clone, Debug)]
pub struct RunnerArgs {
    /// Spool directory.
    #[arg(long, env = "FRISPOOL_SPOOL", default_value = "./spool")]
    pub spool: PathBuf,
    /// Drain what is queued, then exit (cron, make). Default: keep watching.
    #[arg(long)]
    pub once: bool,
    /// Do not use filesystem events, only the periodic rescan (NFS: events miss other clients).
    #[arg(long)]
    pub poll: bool,
    /// Seconds after the last heartbeat when a claimed job counts as abandoned. Heartbeat: lease/3.
    #[arg(long, default_value_t = 60)]
    pub lease_secs: u64,
    /// Attempts of each job this stage enqueues before it lands in failed/.
    #[arg(long, default_value_t = 3)]
    pub max_attempts: u32,
    /// Size of the thread pool a job may use (0: one per core).
    #[arg(long, default_value_t = 0)]
    pub threads: usize,
    /// Protocol version served: other versions' tickets are left alone. Pipeline stages serve the
    /// version of the spool's keys/ when this is left at `dev` (the synthetic stage's version).
    #[arg(long, env = "FRISPOOL_PROTOCOL", default_value = crate::DEFAULT_PROTOCOL)]
    pub protocol: String,
    /// Seconds between full rescans of the queue (the truth; events only wake us sooner).
    #[arg(long, default_value_t = 2.0)]
    pub rescan_secs: f64,
    /// Exit after this many jobs.
    #[arg(long)]
    pub max_jobs: Option<u64>,
    /// Skip the recover pass at start.
    #[arg(long)]
    pub no_recover: bool,
    /// Log every job, not only failures.
    #[arg(short, long)]
    pub verbose: bool,
    /// Seconds to wait after an infrastructure fault (full disk, EIO, lost file server) before
    /// trying again; doubles on each fault in a row up to --fault-backoff-max-secs. The job goes
    /// back to queued/ without spending an attempt.
    #[arg(long, default_value_t = 1.0)]
    pub fault_backoff_secs: f64,
    #[arg(long, default_value_t = 60.0)]
    pub fault_backoff_max_secs: f64,
}

impl RunnerArgs {
    /// Defaults, for library users that build the args in code (tests, benches).
    pub fn for_spool(spool: impl Into<PathBuf>) -> RunnerArgs {
        RunnerArgs {
            spool: spool.into(),
            once: true,
            poll: false,
            lease_secs: 60,
            max_attempts: 3,
            threads: 0,
            protocol: crate::DEFAULT_PROTOCOL.to_string(),
            rescan_secs: 2.0,
            max_jobs: None,
            no_recover: false,
            verbose: false,
            fault_backoff_secs: 1.0,
            fault_backoff_max_secs: 60.0,
        }
    }

    pub fn fault_backoff(&self) -> Backoff {
        let secs = |s: f64| Duration::from_secs_f64(s.clamp(0.01, 86_400.0));
        Backoff::new(secs(self.fault_backoff_secs), secs(self.fault_backoff_max_secs))
    }

    pub fn lease(&self) -> Duration {
        Duration::from_secs(self.lease_secs.max(1))
    }

    pub fn recover_options(&self) -> RecoverOptions {
        RecoverOptions { lease: self.lease(), ..RecoverOptions::default() }
    }
}

/// Why a job failed. `permanent` errors (bad input, wrong kind) go to failed/ at once; others are
/// retried while attempts are left; infrastructure faults spend no attempt at all. Display names
/// the job; the source chain says the rest.
#[derive(Debug)]
pub struct JobError {
    pub key: String,
    pub what: String,
    pub permanent: bool,
    pub interrupted: bool,
    /// Set by `because` from the errno in the source chain (or by `infrastructure`); wins over
    /// `permanent`: a write that failed on a full disk says nothing about the job.
    pub infra: Option<InfraFault>,
    pub source: Option<Box<dyn StdError + Send + Sync>>,
}

impl fmt::Display for JobError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "job {}: {}", self.key, self.what)
    }
}

impl StdError for JobError {
    fn source(&self) -> Option<&(dyn StdError + 'static)> {
        self.source.as_deref().map(|e| e as &(dyn StdError + 'static))
    }
}

impl JobError {
    pub fn retryable(key: &JobKey, what: impl Into<String>) -> JobError {
        JobError { key: key.to_string(), what: what.into(), permanent: false, interrupted: false, infra: None, source: None }
    }

    pub fn permanent(key: &JobKey, what: impl Into<String>) -> JobError {
        JobError { permanent: true, ..JobError::retryable(key, what) }
    }

    /// Attaches the cause; an infrastructure fault anywhere in its chain marks the error as one.
    pub fn because(mut self, source: impl StdError + Send + Sync + 'static) -> JobError {
        self.infra = self.infra.or_else(|| InfraFault::in_chain(&source));
        self.source = Some(Box::new(source));
        self
    }

    /// A fault of the filesystem or network, not of the job: handed back without spending an attempt.
    pub fn infrastructure(key: &JobKey, what: impl Into<String>, fault: InfraFault) -> JobError {
        JobError { infra: Some(fault), ..JobError::retryable(key, what) }
    }

    /// An artifact problem: permanent unless it was an I/O error (an infrastructure fault if
    /// its errno says so).
    pub fn artifact(key: &JobKey, what: impl Into<String>, e: ArtifactError) -> JobError {
        let permanent = e.is_permanent();
        JobError { permanent, ..JobError::retryable(key, what) }.because(e)
    }

    pub fn interrupted(key: &JobKey) -> JobError {
        JobError { interrupted: true, ..JobError::retryable(key, "interrupted by shutdown") }
    }
}

/// A stage's job handler. Keep it small: read inputs through the context, write outputs through
/// it, and ask it for follow-up jobs; the runner does every spool step.
pub trait Handler: Send + Sync {
    /// The queue this stage serves.
    fn queue(&self) -> Queue;
    fn handle(&self, job: &mut JobContext<'_>) -> Result<(), JobError>;
    /// Hooks that redo missed unblocks; run by recover at start and by `frispool recover`.
    fn sweeps(&self) -> Vec<Box<dyn UnblockSweep>> {
        Vec::new()
    }
}

/// What a handler sees of its job.
pub struct JobContext<'a> {
    spool: &'a Spool,
    claimed: &'a Claimed,
    pool: &'a rayon::ThreadPool,
    stop: &'a AtomicBool,
    args: &'a RunnerArgs,
    outputs: OutputBatch<'a>,
    follow_ups: Vec<Ticket>,
}

impl<'a> JobContext<'a> {
    pub fn key(&self) -> &JobKey {
        self.claimed.key()
    }
    pub fn ticket(&self) -> &Ticket {
        &self.claimed.ticket
    }
    pub fn attempt(&self) -> u32 {
        self.claimed.attempt
    }
    pub fn spool(&self) -> &Spool {
        self.spool
    }
    /// The `--threads` pool: run parallel work with `pool().install(..)`.
    pub fn pool(&self) -> &rayon::ThreadPool {
        self.pool
    }
    /// True once SIGTERM/SIGINT arrived: long handlers should return `JobError::interrupted`.
    pub fn stop_requested(&self) -> bool {
        self.stop.load(Ordering::SeqCst)
    }
    pub fn param(&self, name: &str) -> Option<&str> {
        self.ticket().params.get(name).map(String::as_str)
    }

    /// Maps input `i` of the ticket with its header and checksum checked.
    pub fn input(&self, i: usize) -> Result<MappedArtifact, JobError> {
        let rel = self.ticket().inputs.get(i).ok_or_else(|| {
            JobError::permanent(self.key(), format!("ticket lists {} inputs, the stage wants input #{i}", self.ticket().inputs.len()))
        })?;
        let path = self.spool.resolve(rel).map_err(|e| JobError::permanent(self.key(), format!("input #{i}")).because(e))?;
        MappedArtifact::open(&path).map_err(|e| JobError::artifact(self.key(), format!("input #{i} {rel} refused"), e))
    }

    pub fn read_input<T: DeserializeOwned>(&self, i: usize, kind: ArtifactKind) -> Result<T, JobError> {
        let a = self.input(i)?;
        a.decode(kind).map_err(|e| JobError::artifact(self.key(), format!("input #{i} {} refused", self.ticket().inputs[i]), e))
    }

    /// `artifacts/b<block>/<name>`, relative to the spool.
    pub fn artifact_path(&self, name: &str) -> String {
        Spool::block_dir_rel(self.key().block).join(name).to_string_lossy().into_owned()
    }

    /// Publishes an output write-once and records it for the done ticket. When this returns the
    /// artifact is visible with its content durable, and every earlier output of this job is
    /// durable; the fsync of its folder is left to the runner, which does it (with the tickets'
    /// fsyncs) before it enqueues a follow-up or marks the job done (`OutputBatch`,
    /// `Spool::complete_batch`), so no ticket of this job points at it before it is durable.
    pub fn write_output<T: Serialize>(&mut self, name: &str, kind: ArtifactKind, value: &T) -> Result<OutputRef, JobError> {
        let rel = self.artifact_path(name);
        let key = self.claimed.key();
        self.outputs.write(&rel, kind, value).map_err(|e| JobError::artifact(key, format!("output {rel}"), e))
    }

    /// Asks for a follow-up job, enqueued after the outputs are durable and before this job is
    /// marked done (a crash in between re-runs this job; enqueue is idempotent).
    pub fn follow_up(&mut self, queue: Queue, key: JobKey, inputs: Vec<String>) -> &mut Ticket {
        self.follow_ups.push(Ticket::new(queue, key, &self.args.protocol, inputs, self.args.max_attempts));
        self.follow_ups.last_mut().expect("just pushed")
    }
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct RunSummary {
    pub done: u64,
    pub failed: u64,
    pub retried: u64,
    pub lost_leases: u64,
    pub quarantined: u64,
    pub interrupted: bool,
    /// Infrastructure faults met (each handed its job back unspent, then backed off).
    pub infra_faults: u64,
    /// `--once` stopped on this fault with work left: exit 75, retry later.
    pub deferred: Option<InfraFault>,
}

impl RunSummary {
    pub fn exit_code(&self) -> u8 {
        if self.deferred.is_some() && !self.interrupted {
            return exit::TEMPFAIL;
        }
        if self.failed + self.retried + self.quarantined > 0 && !self.interrupted {
            exit::JOB_FAILED
        } else {
            exit::OK
        }
    }
}

/// Runs a stage until its queue is drained (`--once`), `--max-jobs` is reached, or a signal.
pub fn run(args: &RunnerArgs, handler: &dyn Handler) -> Result<RunSummary> {
    let spool = Spool::open(&args.spool)?;
    let stop = Arc::new(AtomicBool::new(false));
    for sig in [signal_hook::consts::SIGTERM, signal_hook::consts::SIGINT] {
        // A second signal while we are finishing up ends the process at once.
        signal_hook::flag::register_conditional_shutdown(sig, 130, stop.clone()).map_err(|e| SpoolError::Config(format!("signal handler: {e}")))?;
        signal_hook::flag::register(sig, stop.clone()).map_err(|e| SpoolError::Config(format!("signal handler: {e}")))?;
    }
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(args.threads)
        .thread_name(|i| format!("job-{i}"))
        .build()
        .map_err(|e| SpoolError::Config(format!("thread pool: {e}")))?;
    let queue = handler.queue();
    let sweeps = handler.sweeps();
    let _ = spool.prepare_fault_record();
    if !args.no_recover {
        let refs: Vec<&dyn UnblockSweep> = sweeps.iter().map(|s| s.as_ref()).collect();
        match recover(&spool, &args.recover_options(), &refs) {
            Ok(r) if r != Default::default() => eprintln!("frispool: recover at start: {r:?}"),
            Ok(_) => {}
            // A watching worker outlives the fault; cron's `recover` or the next start redoes this.
            Err(e) if !args.once && fault_of(&spool, &e).is_some() => eprintln!("frispool: recover at start skipped: {}", chain(&e)),
            Err(e) => return Err(e),
        }
    }
    let waker = (!args.once).then(|| {
        Waker::new(&[spool.state_dir(queue, State::Queued)], args.poll, Duration::from_secs_f64(args.rescan_secs.max(0.05)))
    });
    let mut claimer = Claimer::new(queue, &args.protocol);
    claimer.relist_every = Duration::from_secs_f64(args.rescan_secs.clamp(0.05, 1.0));
    let mut sum = RunSummary::default();
    // A fault left open by an earlier run is cleared by this run's first finished job.
    let open = spool.read_fault_record().ok().flatten().filter(|r| r.cleared_unix_ms.is_none());
    let mut faults = Faults { backoff: args.fault_backoff(), open };
    loop {
        if stop.load(Ordering::SeqCst) {
            sum.interrupted = true;
            break;
        }
        if args.max_jobs.is_some_and(|m| sum.done + sum.failed + sum.retried >= m) {
            break;
        }
        let next = match claimer.next(&spool) {
            Ok(next) => next,
            Err(e) => match fault_of(&spool, &e) {
                Some(f) => {
                    if faults.met(&spool, args, &stop, &mut sum, FaultRecord::new(f, &e, Some(queue.to_string()), None)) {
                        break;
                    }
                    claimer.invalidate();
                    continue;
                }
                None => return Err(e),
            },
        };
        let Some(claimed) = next else {
            match &waker {
                None => break,
                Some(w) => {
                    w.wait(&stop);
                    claimer.invalidate();
                    continue;
                }
            }
        };
        match run_one(&spool, args, handler, &pool, &stop, claimed, &mut claimer, &mut sum)? {
            Step::Finished => faults.cleared(&spool),
            Step::Released => {}
            Step::Fault(record) => {
                if faults.met(&spool, args, &stop, &mut sum, record) {
                    break;
                }
                claimer.invalidate();
            }
        }
    }
    sum.quarantined = claimer.quarantined;
    Ok(sum)
}

/// The infrastructure fault behind a spool error: its errno, or the spool's folders gone from
/// under us (an unmounted filesystem turns every path into ENOENT, which alone means nothing).
fn fault_of(spool: &Spool, e: &SpoolError) -> Option<InfraFault> {
    e.infra().or_else(|| vanished(spool))
}

fn vanished(spool: &Spool) -> Option<InfraFault> {
    Spool::open(spool.root()).is_err().then_some(InfraFault::Vanished)
}

/// How one claimed job ended for the loop.
enum Step {
    /// Done, failed or retried (an ordinary outcome was recorded), or its lease was lost.
    Finished,
    /// Handed back on shutdown.
    Released,
    /// Handed back unspent after an infrastructure fault.
    Fault(FaultRecord),
}

/// The worker's side of infrastructure faults: back-off and the record `frispool status` reads.
struct Faults {
    backoff: Backoff,
    /// The last fault recorded and not yet cleared by a finished job.
    open: Option<FaultRecord>,
}

impl Faults {
    /// Logs and records a fault, then waits out the back-off. True when the loop should stop
    /// (`--once`, or a signal during the wait).
    fn met(&mut self, spool: &Spool, args: &RunnerArgs, stop: &AtomicBool, sum: &mut RunSummary, record: FaultRecord) -> bool {
        sum.infra_faults += 1;
        let job = record.job.as_ref().map(|k| format!(" (job {k} back in queued/, no attempt spent)")).unwrap_or_default();
        eprintln!("frispool: infrastructure fault: {}{job}: {}", record.fault, record.error.replace('\n', " / "));
        // In place, so it usually works on a full disk too; if not, statvfs in `status` still shows it.
        if let Err(e) = spool.write_fault_record(&record) {
            eprintln!("frispool: could not record the fault in {}: {e}", spool.root().join(crate::fault::FAULT_RECORD).display());
        }
        let fault = record.fault;
        self.open = Some(record);
        if args.once {
            sum.deferred = Some(fault);
            return true;
        }
        let wait = self.backoff.step();
        eprintln!("frispool: retrying in {:.1}s", wait.as_secs_f64());
        let until = std::time::Instant::now() + wait;
        while std::time::Instant::now() < until && !stop.load(Ordering::SeqCst) {
            std::thread::sleep(Duration::from_millis(50).min(until.saturating_duration_since(std::time::Instant::now())));
        }
        stop.load(Ordering::SeqCst)
    }

    /// A job finished: the spool works again; say so in the record. The record on disk is the
    /// one cleared (another worker may have written a later fault over ours).
    fn cleared(&mut self, spool: &Spool) {
        self.backoff.reset();
        if let Some(ours) = self.open.take() {
            let mut r = spool.read_fault_record().ok().flatten().unwrap_or(ours);
            if r.cleared_unix_ms.is_none() {
                r.cleared_unix_ms = Some(crate::clock::now_unix_ms());
                eprintln!("frispool: infrastructure fault cleared ({})", r.fault);
                let _ = spool.write_fault_record(&r);
            }
        }
    }
}

/// Gives a held ticket back unchanged after an infrastructure fault (the release of protocol
/// step 8: a rename, which needs no free space). If even that fails, the lease runs out and
/// `recover` requeues it.
fn hand_back(spool: &Spool, claimed: &Claimed) {
    if !claimed.path.exists() {
        return; // recorded after all (only a last fsync failed), or taken by a recover
    }
    if let Err(e) = spool.release(claimed) {
        eprintln!("frispool: job {}: could not hand the ticket back ({}); recover will once its lease runs out", claimed.key(), chain(&e));
    }
}

#[allow(clippy::too_many_arguments)]
fn run_one(
    spool: &Spool,
    args: &RunnerArgs,
    handler: &dyn Handler,
    pool: &rayon::ThreadPool,
    stop: &AtomicBool,
    claimed: Claimed,
    claimer: &mut Claimer,
    sum: &mut RunSummary,
) -> Result<Step> {
    let heartbeat = Heartbeat::start(claimed.path.clone(), args.lease() / 3);
    let mut ctx = JobContext { spool, claimed: &claimed, pool, stop, args, outputs: OutputBatch::new(spool), follow_ups: Vec::new() };
    let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| handler.handle(&mut ctx)))
        .unwrap_or_else(|p| {
            let msg = p.downcast_ref::<String>().cloned().or_else(|| p.downcast_ref::<&str>().map(|s| s.to_string())).unwrap_or_default();
            Err(JobError::retryable(claimed.key(), format!("handler panicked: {msg}")))
        });
    let JobContext { outputs, follow_ups, .. } = ctx;
    drop(heartbeat);
    let key = claimed.key().to_string();
    if stop.load(Ordering::SeqCst) || matches!(&result, Err(e) if e.interrupted) {
        // Finish nothing more: the job goes back untouched, the attempt is not spent.
        spool.release(&claimed)?;
        eprintln!("frispool: shutdown: returned {key} to queued/");
        sum.interrupted = true;
        stop.store(true, Ordering::SeqCst);
        return Ok(Step::Released);
    }
    if let Err(e) = &result {
        if let Some(f) = e.infra.or_else(|| vanished(spool)) {
            hand_back(spool, &claimed);
            return Ok(Step::Fault(FaultRecord::new(f, e, Some(claimed.queue.to_string()), Some(key))));
        }
    }
    let step = match result {
        Ok(()) => {
            let own: Vec<JobKey> = follow_ups.iter().filter(|t| t.queue == claimed.queue).map(|t| t.key.clone()).collect();
            spool.complete_batch(&claimed, outputs, &follow_ups).map(|_| {
                own.into_iter().for_each(|k| claimer.hint(k));
                sum.done += 1;
                if args.verbose {
                    eprintln!("frispool: done {key} (attempt {})", claimed.attempt);
                }
            })
        }
        Err(e) => {
            let text = chain(&e);
            spool.fail(&claimed, &text, e.permanent).map(|o| match o {
                FailOutcome::Requeued(n) => {
                    eprintln!("frispool: attempt {n} failed, requeued: {text}");
                    sum.retried += 1;
                }
                FailOutcome::Failed => {
                    eprintln!("frispool: failed: {text}");
                    sum.failed += 1;
                }
            })
        }
    };
    match step {
        Ok(()) => Ok(Step::Finished),
        Err(SpoolError::LeaseLost { key, path }) => {
            eprintln!("frispool: job {key}: lease lost ({} was recovered as stale); not recording this run", path.display());
            sum.lost_leases += 1;
            Ok(Step::Finished)
        }
        // The outcome could not be recorded (a full disk while writing the done ticket, say):
        // nothing half-done is visible (tmp files are removed), so the job goes back unspent and
        // its re-run republishes identical outputs.
        Err(e) => match fault_of(spool, &e) {
            Some(f) => {
                hand_back(spool, &claimed);
                Ok(Step::Fault(FaultRecord::new(f, &e, Some(claimed.queue.to_string()), Some(key))))
            }
            None => Err(e),
        },
    }
}

/// Maps a run's outcome to the process exit code, printing the error chain.
pub fn exit_code(result: &Result<RunSummary>) -> u8 {
    match result {
        Ok(s) => {
            let faults = if s.infra_faults > 0 { format!(", {} infrastructure faults (no attempt spent)", s.infra_faults) } else { String::new() };
            let deferred = s.deferred.map(|f| format!(", stopped: {f}; retry later")).unwrap_or_default();
            eprintln!(
                "frispool: {} done, {} failed, {} retried, {} malformed{faults}{deferred}{}",
                s.done,
                s.failed,
                s.retried,
                s.quarantined,
                if s.interrupted { ", stopped by signal" } else { "" }
            );
            s.exit_code()
        }
        Err(e) => {
            eprintln!("frispool: error: {}", chain(e));
            e.exit_code()
        }
    }
}
