//! The loop every stage shares: claim → handle → complete or fail, with leases, `--once`, watch
//! mode and clean shutdown. A stage plugs in a small [`Handler`](crate::Handler).
//!
//! Infrastructure faults (a full disk, EIO, a lost file server: `fault::InfraFault`) are not the
//! job's doing, so they never spend an attempt: the ticket goes back to `queued/` unchanged (the
//! release of protocol step 8), the worker records the fault where `frispool status` shows it,
//! backs off (exponential, capped) and tries again — or, under `--once`, stops with exit 75.

use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use crate::artifact::OutputBatch;
use crate::error::{error_chain, exit, Result, SpoolError};
use crate::fault::{Backoff, FaultRecord, InfraFault};
use crate::job::{Disposition, Handler, JobContext, JobError};
use crate::key::JobKey;
use crate::layout::Spool;
use crate::memory::Evidence;
use crate::protocol::{ClaimFilter, Claimed, Claimer, FailOutcome, Heartbeat};
use crate::queue::State;
use crate::recover::{recover, RecoverOptions, UnblockSweep};
use crate::watch::Waker;
use crate::workers::{run_workers, JobBudget};

/// Flags every stage takes (README.md lists them). Flatten into the stage's own clap struct.
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
    /// Size of the thread pool a job may use (0: one per core); with --workers, each worker's.
    #[arg(long, default_value_t = 0)]
    pub threads: usize,
    /// Job loops in this process, each claiming and running its own job with its own --threads pool. They
    /// share what the stage loaded once (a prover's keys, its GPU context): N workers in one process
    /// instead of N processes load the keys once.
    #[arg(long, default_value_t = 1, value_name = "N", value_parser = clap::value_parser!(u16).range(1..=1024))]
    pub workers: u16,
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
    /// Claim only jobs of these rounds (comma-separated round numbers; the pipeline's stages also take
    /// names: basic,leaf,node,tip,scheduler). Later rounds are still claimed first. Default: every round.
    #[arg(long, value_delimiter = ',', value_name = "ROUNDS")]
    pub rounds: Vec<String>,
    /// Claim only jobs of these circuit types (comma-separated, e.g. main). Default: every type.
    #[arg(long, value_delimiter = ',', value_name = "TYPES")]
    pub types: Vec<String>,
    /// This worker's memory class: `small` (0), `large` (1) or a number. A job whose worker died of
    /// memory is claimed from then on only by workers of a larger class than that worker's.
    #[arg(long, default_value = "small", value_parser = parse_memory_class, value_name = "CLASS")]
    pub memory_class: u32,
}

/// `--memory-class`: `small` (0), `large` (1), or a number (bigger: more memory).
pub fn parse_memory_class(s: &str) -> std::result::Result<u32, String> {
    match s {
        "small" => Ok(0),
        "large" => Ok(1),
        n => n.parse().map_err(|_| format!("memory class `{n}`: want small, large or a number")),
    }
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
            workers: 1,
            protocol: crate::DEFAULT_PROTOCOL.to_string(),
            rescan_secs: 2.0,
            max_jobs: None,
            no_recover: false,
            verbose: false,
            fault_backoff_secs: 1.0,
            fault_backoff_max_secs: 60.0,
            rounds: Vec::new(),
            types: Vec::new(),
            memory_class: 0,
        }
    }

    /// The jobs this worker claims, from `--rounds`, `--types` and `--memory-class`. Rounds must be
    /// numbers here: the spool knows no round names (pipeline stages resolve them before the runner).
    pub fn claim_filter(&self) -> Result<ClaimFilter> {
        let rounds = if self.rounds.is_empty() {
            None
        } else {
            let parse = |r: &String| {
                r.trim().parse::<u8>().map_err(|_| {
                    SpoolError::Config(format!("--rounds: `{r}` is not a round number (this stage names no rounds)"))
                })
            };
            Some(self.rounds.iter().map(parse).collect::<Result<_>>()?)
        };
        let circuits = if self.types.is_empty() {
            None
        } else {
            let check = |t: &String| {
                JobKey::new(0, 0, t.trim(), 0, 0)
                    .map(|k| k.circuit)
                    .map_err(|e| SpoolError::Config(format!("--types: {e}")))
            };
            Some(self.types.iter().map(check).collect::<Result<_>>()?)
        };
        Ok(ClaimFilter { rounds, circuits, memory_class: self.memory_class })
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
    /// The line a worker ends with.
    pub fn log(&self) {
        let faults = if self.infra_faults > 0 {
            format!(", {} infrastructure faults (no attempt spent)", self.infra_faults)
        } else {
            String::new()
        };
        let deferred = self.deferred.map(|f| format!(", stopped: {f}; retry later")).unwrap_or_default();
        eprintln!(
            "frispool: {} done, {} failed, {} retried, {} malformed{faults}{deferred}{}",
            self.done,
            self.failed,
            self.retried,
            self.quarantined,
            if self.interrupted { ", stopped by signal" } else { "" }
        );
    }

    /// README's exit code for this run: 75 when `--once` stopped on an infrastructure fault, 1 when a job
    /// failed, else 0.
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

/// Runs a stage on `spool` (opened from `args.spool` by the caller, with its stages' queues) until its
/// queue is drained (`--once`), `--max-jobs` is reached, or a signal.
pub fn run_stage(spool: &Spool, args: &RunnerArgs, handler: &dyn Handler) -> Result<RunSummary> {
    // A bad --rounds/--types is a usage error: say so before touching the spool.
    let filter = args.claim_filter()?;
    let stop = Arc::new(AtomicBool::new(false));
    for sig in [signal_hook::consts::SIGTERM, signal_hook::consts::SIGINT] {
        // A second signal while we are finishing up ends the process at once.
        signal_hook::flag::register_conditional_shutdown(sig, 130, stop.clone())
            .map_err(|e| SpoolError::Config(format!("signal handler: {e}")))?;
        signal_hook::flag::register(sig, stop.clone())
            .map_err(|e| SpoolError::Config(format!("signal handler: {e}")))?;
    }
    let sweeps = handler.sweeps();
    let _ = spool.prepare_fault_record();
    if !args.no_recover {
        let refs: Vec<&dyn UnblockSweep> = sweeps.iter().map(|s| s.as_ref()).collect();
        match recover(spool, &args.recover_options(), &refs) {
            Ok(r) if r != Default::default() => eprintln!("frispool: recover at start: {r:?}"),
            Ok(_) => {}
            // A watching worker outlives the fault; cron's `recover` or the next start redoes this.
            Err(e) if !args.once && fault_of(spool, &e).is_some() => {
                eprintln!("frispool: recover at start skipped: {}", error_chain(&e))
            }
            Err(e) => return Err(e),
        }
    }
    if args.verbose && filter != ClaimFilter::default() {
        eprintln!("frispool: claiming {filter} of {}", handler.queue());
    }
    let shared = Shared { spool, args, handler, stop: &stop, filter, budget: JobBudget::new(args.max_jobs) };
    run_workers(args.workers, |worker| worker_loop(&shared, worker))
}

/// What every job loop of one process shares.
struct Shared<'a> {
    spool: &'a Spool,
    args: &'a RunnerArgs,
    handler: &'a dyn Handler,
    /// Set by a signal: every loop hands its job back and ends.
    stop: &'a AtomicBool,
    filter: ClaimFilter,
    budget: JobBudget,
}

/// One job loop (of `--workers`): its own claimer, thread pool, waker and fault back-off.
fn worker_loop(shared: &Shared<'_>, worker: usize) -> Result<RunSummary> {
    let Shared { spool, args, handler, stop, .. } = *shared;
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(args.threads)
        .thread_name(move |i| if worker == 0 { format!("job-{i}") } else { format!("w{worker}-job-{i}") })
        .build()
        .map_err(|e| SpoolError::Config(format!("thread pool: {e}")))?;
    let queue = handler.queue();
    let waker = (!args.once).then(|| {
        Waker::new(
            &[spool.state_dir(&queue, State::Queued)],
            args.poll,
            Duration::from_secs_f64(args.rescan_secs.max(0.05)),
        )
    });
    let mut claimer = Claimer::new(queue.clone(), &args.protocol);
    claimer.filter = shared.filter.clone();
    claimer.prefer = handler.claim_preference();
    claimer.relist_every = Duration::from_secs_f64(args.rescan_secs.clamp(0.05, 1.0));
    let mut sum = RunSummary::default();
    // A fault left open by an earlier run is cleared by this run's first finished job.
    let open = spool.read_fault_record().ok().flatten().filter(|r| r.cleared_unix_ms.is_none());
    let mut faults = Faults { backoff: args.fault_backoff(), open, seen: spool.fault_record_stamp() };
    loop {
        if stop.load(Ordering::SeqCst) {
            sum.interrupted = true;
            break;
        }
        // Another loop of this process ended (an error, or `--once` stopped on a fault): so does this one.
        if shared.budget.halted() {
            break;
        }
        // A slot of --max-jobs is taken before the claim, so that several loops never run more jobs than it.
        if !shared.budget.take() {
            break;
        }
        let counted = |s: &RunSummary| s.done + s.failed + s.retried;
        let before = counted(&sum);
        let next = match claimer.next(spool) {
            Ok(next) => next,
            Err(e) => {
                shared.budget.give_back();
                match fault_of(spool, &e) {
                    Some(f) => {
                        let record = FaultRecord::new(f, &e, Some(queue.to_string()), None);
                        if faults.met(spool, args, stop, &mut sum, record) {
                            break;
                        }
                        claimer.invalidate();
                        continue;
                    }
                    None => {
                        shared.budget.halt();
                        return Err(e);
                    }
                }
            }
        };
        let Some(claimed) = next else {
            shared.budget.give_back();
            match &waker {
                None => break,
                Some(w) => {
                    w.wait(stop);
                    claimer.invalidate();
                    continue;
                }
            }
        };
        let step = run_one(spool, args, handler, &pool, stop, claimed, &mut claimer, &mut sum);
        if counted(&sum) == before {
            shared.budget.give_back();
        }
        match step {
            Ok(Step::Finished) => faults.cleared(spool),
            Ok(Step::Released) => {}
            Ok(Step::Fault(record)) => {
                if faults.met(spool, args, stop, &mut sum, record) {
                    break;
                }
                claimer.invalidate();
            }
            Err(e) => {
                shared.budget.halt();
                return Err(e);
            }
        }
    }
    sum.quarantined = claimer.quarantined;
    // `--once` stopped on a fault: the other loops stop too (the spool is not usable now).
    if sum.deferred.is_some() {
        shared.budget.halt();
    }
    Ok(sum)
}

/// The infrastructure fault behind a spool error: its errno, or the spool's folders gone from
/// under us (an unmounted filesystem turns every path into ENOENT, which alone means nothing).
fn fault_of(spool: &Spool, e: &SpoolError) -> Option<InfraFault> {
    e.infra().or_else(|| vanished(spool))
}

fn vanished(spool: &Spool) -> Option<InfraFault> {
    Spool::open(spool.root(), spool.queues()).is_err().then_some(InfraFault::Vanished)
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
    /// The fault record's write time when this worker last read or wrote it.
    seen: Option<std::time::SystemTime>,
}

impl Faults {
    /// Logs and records a fault, then waits out the back-off. True when the loop should stop
    /// (`--once`, or a signal during the wait).
    fn met(
        &mut self,
        spool: &Spool,
        args: &RunnerArgs,
        stop: &AtomicBool,
        sum: &mut RunSummary,
        record: FaultRecord,
    ) -> bool {
        sum.infra_faults += 1;
        let job =
            record.job.as_ref().map(|k| format!(" (job {k} back in queued/, no attempt spent)")).unwrap_or_default();
        eprintln!("frispool: infrastructure fault: {}{job}: {}", record.fault, record.error.replace('\n', " / "));
        // In place, so it usually works on a full disk too; if not, statvfs in `status` still shows it.
        if let Err(e) = spool.write_fault_record(&record) {
            eprintln!(
                "frispool: could not record the fault in {}: {e}",
                spool.root().join(crate::fault::FAULT_RECORD).display()
            );
        }
        let fault = record.fault;
        self.open = Some(record);
        self.seen = spool.fault_record_stamp();
        if args.once {
            sum.deferred = Some(fault);
            return true;
        }
        let wait = self.backoff.step();
        eprintln!("frispool: retrying in {:.1}s", wait.as_secs_f64());
        let until = std::time::Instant::now() + wait;
        while std::time::Instant::now() < until && !stop.load(Ordering::SeqCst) {
            std::thread::sleep(
                Duration::from_millis(50).min(until.saturating_duration_since(std::time::Instant::now())),
            );
        }
        stop.load(Ordering::SeqCst)
    }

    /// A job finished: the spool works again; say so in the record. The record on disk is the
    /// one cleared (another worker may have written a later fault over ours), and so is a fault
    /// another worker met: its jobs may all have gone to others since, and it would never clear it.
    fn cleared(&mut self, spool: &Spool) {
        self.backoff.reset();
        let stamp = spool.fault_record_stamp();
        if self.open.is_none() && stamp == self.seen {
            return;
        }
        self.seen = stamp;
        let ours = self.open.take();
        let Some(mut r) = spool.read_fault_record().ok().flatten().or(ours) else { return };
        if r.cleared_unix_ms.is_none() {
            r.cleared_unix_ms = Some(crate::clock::now_unix_ms());
            eprintln!("frispool: infrastructure fault cleared ({})", r.fault);
            let _ = spool.write_fault_record(&r);
            self.seen = spool.fault_record_stamp();
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
        eprintln!(
            "frispool: job {}: could not hand the ticket back ({}); recover will once its lease runs out",
            claimed.key(),
            error_chain(&e)
        );
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
    // Removed when this function returns: only a worker that dies holding the job leaves it behind.
    let _evidence = Evidence::start(&spool.tmp_dir(&claimed.queue), &claimed.path, args.memory_class);
    let heartbeat = Heartbeat::start(claimed.path.clone(), args.lease() / 3);
    let mut ctx = JobContext {
        spool,
        claimed: &claimed,
        pool,
        stop,
        args,
        outputs: OutputBatch::new(spool),
        follow_ups: Vec::new(),
    };
    let result =
        std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| handler.handle(&mut ctx))).unwrap_or_else(|p| {
            let msg = p
                .downcast_ref::<String>()
                .cloned()
                .or_else(|| p.downcast_ref::<&str>().map(|s| s.to_string()))
                .unwrap_or_default();
            Err(JobError::retryable(claimed.key(), format!("handler panicked: {msg}")))
        });
    let JobContext { outputs, follow_ups, .. } = ctx;
    drop(heartbeat);
    let key = claimed.key().to_string();
    if stop.load(Ordering::SeqCst) || matches!(&result, Err(e) if e.disposition == Disposition::Interrupted) {
        // Finish nothing more: the job goes back untouched, the attempt is not spent.
        spool.release(&claimed)?;
        eprintln!("frispool: shutdown: returned {key} to queued/");
        sum.interrupted = true;
        stop.store(true, Ordering::SeqCst);
        return Ok(Step::Released);
    }
    if let Err(e) = &result {
        let fault = match e.disposition {
            Disposition::Infrastructure(f) => Some(f),
            _ => vanished(spool),
        };
        if let Some(f) = fault {
            hand_back(spool, &claimed);
            return Ok(Step::Fault(FaultRecord::new(f, e, Some(claimed.queue.to_string()), Some(key))));
        }
    }
    let step = match result {
        Ok(()) => {
            let own: Vec<JobKey> =
                follow_ups.iter().filter(|t| t.queue == claimed.queue).map(|t| t.key.clone()).collect();
            spool.complete_batch(&claimed, outputs, &follow_ups).map(|_| {
                own.into_iter().for_each(|k| claimer.hint(k));
                sum.done += 1;
                if args.verbose {
                    eprintln!("frispool: done {key} (attempt {})", claimed.attempt);
                }
            })
        }
        Err(e) => {
            let text = error_chain(&e);
            spool.fail(&claimed, &text, e.disposition == Disposition::Permanent).map(|o| match o {
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
            eprintln!(
                "frispool: job {key}: lease lost ({} was recovered as stale); not recording this run",
                path.display()
            );
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
