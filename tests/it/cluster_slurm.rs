//! Issue 14, Slurm: a one-node Slurm cluster from Debian's packages (munge, slurmctld, slurmd) on loopback
//! (`scripts/slurm/local-cluster.sh`), the whole pipeline submitted with `sbatch` by `scripts/slurm/submit.sh`
//! (one job per stage of `frispool stages`, a job array of provers, the recovery job), two demo blocks proven.
//! On the way: `scancel` of a prover holding a proof hands its job back (SIGTERM, no attempt spent); at the end
//! every job's time limit is shortened so that Slurm's own warning (`--signal=B:TERM@120`) ends it before the
//! limit, and every job must end COMPLETED with exit 0.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use frispool_pipeline::PROVE;
use frispool_spool::State;

use crate::cluster::{self, preflight, run, run_cmd, tails, wait_for, Need};
use crate::pipeline::{get, holders, Pipeline};

const CMD: Duration = Duration::from_secs(30);

/// The cluster's daemons under a temp folder. Dropping it cancels every job, waits for them, stops the daemons.
struct Slurm {
    dir: tempfile::TempDir,
    conf: PathBuf,
}

impl Slurm {
    fn start() -> Slurm {
        let dir = tempfile::Builder::new().prefix("slurm-test-").tempdir().unwrap();
        let script = cluster::repo().join("scripts/slurm/local-cluster.sh");
        let out = run(script.to_str().unwrap(), &["start", dir.path().to_str().unwrap()], Duration::from_secs(90));
        let conf = dir.path().join("slurm.conf");
        let s = Slurm { dir, conf };
        assert!(out.status.success(), "local-cluster.sh start: {}\n{}", crate::command::text(&out), s.logs());
        s
    }

    fn cmd(&self, program: &str) -> Command {
        let mut c = Command::new(program);
        c.env("SLURM_CONF", &self.conf);
        c
    }

    /// A Slurm client command that must succeed; its stdout.
    fn ok(&self, program: &str, args: &[&str]) -> String {
        let out = run_cmd(self.cmd(program).args(args), CMD);
        assert!(out.status.success(), "{program} {args:?}: {}\n{}", crate::command::text(&out), self.logs());
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    /// Job id → state of every job slurmctld knows (running or finished in the last MinJobAge).
    fn states(&self) -> BTreeMap<String, String> {
        self.jobs().into_iter().map(|(id, _, state)| (id, state)).collect()
    }

    /// (job id, the id scontrol and scancel take: `ARRAY_TASK` for an array task, state) of every job.
    fn jobs(&self) -> Vec<(String, String, String)> {
        self.ok("squeue", &["-h", "-t", "all", "-o", "%A %i %T"])
            .lines()
            .filter_map(|l| {
                let mut w = l.split_whitespace().map(str::to_string);
                Some((w.next()?, w.next()?, w.next()?))
            })
            .collect()
    }

    /// `scontrol show job ID`, as key=value pairs.
    fn job(&self, id: &str) -> BTreeMap<String, String> {
        self.ok("scontrol", &["show", "job", "-o", id])
            .split_whitespace()
            .filter_map(|w| w.split_once('=').map(|(k, v)| (k.to_string(), v.to_string())))
            .collect()
    }

    fn logs(&self) -> String {
        tails(&self.dir.path().join("log"), ".log", 30)
    }
}

impl Drop for Slurm {
    fn drop(&mut self) {
        let _ = run_cmd(self.cmd("scancel").args(["--full", "--state=RUNNING", "-u", "root"]), CMD);
        let _ = run_cmd(self.cmd("scancel").args(["-u", "root"]), CMD);
        for _ in 0..90 {
            let out = run_cmd(self.cmd("squeue").args(["-h", "-o", "%A"]), CMD);
            if !out.status.success() || out.stdout.is_empty() {
                break;
            }
            std::thread::sleep(Duration::from_millis(500));
        }
        let script = cluster::repo().join("scripts/slurm/local-cluster.sh");
        let _ = run(script.to_str().unwrap(), &["stop", self.dir.path().to_str().unwrap()], Duration::from_secs(60));
    }
}

#[test]
fn slurm_pipeline_proves_demo_blocks_and_jobs_hand_back_on_sigterm() {
    let needs = [
        Need::Root,
        Need::Program("munged", "munge"),
        Need::Program("slurmctld", "slurmctld"),
        Need::Program("slurmd", "slurmd"),
        Need::Program("sbatch", "slurm-client"),
        Need::Program("python3", "python3"),
    ];
    if !preflight("cluster_slurm", &needs) {
        return;
    }
    let t0 = Instant::now();
    let step = |what: &str| eprintln!("cluster_slurm: {:>5.1} s {what}", t0.elapsed().as_secs_f64());
    let mut p = Pipeline::new();
    let blocks = p.produce(2, 64, 21);
    let url = p.start_sequencer("sequencer", &[]);
    let slurm = Slurm::start();
    step("keys, blocks, sequencer, Slurm cluster up");
    let logs = tempfile::Builder::new().prefix("slurm-jobs-").tempdir().unwrap();
    let context =
        || format!("{}\n{}{}", slurm.ok("squeue", &["-t", "all"]), tails(logs.path(), ".log", 25), slurm.logs());

    // The whole pipeline, as an operator submits it: two provers of one core each on this 2-core machine.
    let submitted = must_submit(&slurm, &p, &url, logs.path(), &[]);
    let jobs: BTreeMap<String, String> =
        submitted.lines().filter_map(|l| l.split_once(' ')).map(|(a, b)| (a.to_string(), b.to_string())).collect();
    for name in ["gateway", "witness-basic", "witness-leaf", "witness-tip", "compressor", "prover", "recover"] {
        assert!(jobs.contains_key(name), "submit.sh submitted no {name} job: {submitted}");
    }

    // scancel of a prover while it proves: its job goes back to queued/ with no attempt spent.
    let (key, attempt) = scancel_a_prover_mid_proof(&slurm, &p, logs.path(), &context);
    step(&format!("a prover scancelled mid-proof handed {key} back"));

    for &b in &blocks {
        wait_for(
            &format!("block {b} proven through Slurm"),
            Duration::from_secs(420),
            Duration::from_millis(500),
            || {
                let (code, body) = get(&format!("{url}/blocks/{b}"));
                assert_eq!(code, 200, "GET /blocks/{b}: {body}");
                let failed = crate::pipeline::names_in(&p.spool.spool.state_dir(&PROVE, State::Failed));
                assert!(failed.is_empty(), "prove jobs failed: {failed:?}\n{}\n{}", p.failure_reasons(), context());
                body.contains("\"proven\"").then_some(())
            },
            context,
        );
    }
    step("blocks proven");
    let done = p.spool.done_ticket(&key);
    assert_eq!(done.attempt, attempt, "the job handed back on SIGTERM kept its attempt: {done:?}");
    assert!(done.errors.is_empty(), "the handed-back job recorded no error: {:?}", done.errors);

    // Every job still running gets a time limit under two minutes from now: Slurm's --signal=B:TERM@120 is
    // then due, so slurmctld's SIGTERM (not a kill at the limit) must end each one, COMPLETED with exit 0.
    let running: Vec<(String, String, String)> =
        slurm.jobs().into_iter().filter(|(_, _, state)| state == "RUNNING").collect();
    assert!(running.len() >= 8, "gateway, 5 witness rounds, compressor, a prover and recover still run: {running:?}");
    for (_, target, _) in &running {
        let elapsed = slurm.job(target)["RunTime"].clone();
        let minutes = 2 + minutes_of(&elapsed);
        slurm.ok("scontrol", &["update", &format!("JobId={target}"), &format!("TimeLimit={minutes}")]);
    }
    let running: Vec<(String, String)> = running.into_iter().map(|(id, target, _)| (id, target)).collect();
    wait_for(
        "every job to end on Slurm's time-limit warning",
        Duration::from_secs(150),
        Duration::from_secs(1),
        || running.iter().all(|(id, _)| slurm.states().get(id).is_some_and(|s| s != "RUNNING")).then_some(()),
        context,
    );
    for (id, target) in &running {
        let job = slurm.job(target);
        assert_eq!(
            (job["JobState"].as_str(), job["ExitCode"].as_str()),
            ("COMPLETED", "0:0"),
            "job {id} ({}) must end itself on the warning signal, before its limit\n{}",
            job["JobName"],
            context()
        );
        let log = job_log(logs.path(), id);
        assert!(
            log.contains("stopped by signal") || log.contains("SIGTERM, stopping"),
            "job {id} ({}) did not log its SIGTERM stop:\n{log}",
            job["JobName"]
        );
    }
    step("every job ended on Slurm's warning signal");
    p.assert_every_job_done_once();
    drop(slurm);
}

/// Runs submit.sh for this test's spool, sequencer and log folder; its stdout (`NAME JOBID` lines).
fn must_submit(slurm: &Slurm, p: &Pipeline, url: &str, logs: &Path, env: &[(&str, &str)]) -> String {
    let mut c = slurm.cmd(cluster::repo().join("scripts/slurm/submit.sh").to_str().unwrap());
    c.env("FRISPOOL_SPOOL", p.spool_path())
        .env("FRISPOOL_BIN", cluster::bin_dir())
        .env("FRISPOOL_SEQUENCER", url)
        .env("LOGS", logs)
        .env("PROVERS", "2")
        .env("PROVER_CPUS", "1")
        .env("STAGE_CPUS", "1")
        .env("TIME", "00:15:00")
        .env("FRISPOOL_LEASE_SECS", "60")
        .env("FRISPOOL_RESCAN_SECS", "0.5")
        .env("FRISPOOL_RECOVER_EVERY", "5")
        .current_dir(logs);
    for (k, v) in env {
        c.env(k, v);
    }
    let out = run_cmd(&mut c, Duration::from_secs(60));
    assert!(out.status.success(), "submit.sh: {}\n{}", crate::command::text(&out), slurm.logs());
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// Waits for a prover task of the array to hold a prove job, scancels that task, and checks its log says the
/// job went back to queued/, then submits a prover in its place. A proof that finished before the signal
/// arrived hands nothing back: then it tries again (three times at most). Returns the key and its attempt.
fn scancel_a_prover_mid_proof(slurm: &Slurm, p: &Pipeline, logs: &Path, context: &dyn Fn() -> String) -> (String, u32) {
    let in_progress = p.spool.spool.state_dir(&PROVE, State::InProgress);
    for round in 0..3 {
        // A held ticket whose holder is a Slurm prover: its job id from the process's own environment.
        let (key, pid, job, target) = wait_for(
            "a Slurm prover holding a prove job",
            Duration::from_secs(240),
            Duration::from_millis(20),
            || {
                holders(&in_progress).into_iter().find_map(|(key, pid)| {
                    let env = std::fs::read(format!("/proc/{pid}/environ")).ok()?;
                    let env = String::from_utf8_lossy(&env);
                    let var = |name: &str| env.split('\0').find_map(|v| v.strip_prefix(name)).map(str::to_string);
                    let job = var("SLURM_JOB_ID=")?;
                    // An array task by ARRAY_TASK: the array's own id would cancel every task.
                    let target = match (var("SLURM_ARRAY_JOB_ID="), var("SLURM_ARRAY_TASK_ID=")) {
                        (Some(a), Some(t)) => format!("{a}_{t}"),
                        _ => job.clone(),
                    };
                    env.contains("SLURM_JOB_NAME=frispool-prover").then_some((key, pid, job, target))
                })
            },
            context,
        );
        let held = crate::pipeline::names_in(&in_progress)
            .into_iter()
            .find(|n| n.starts_with(&format!("{key}@")))
            .unwrap_or_default();
        slurm.ok("scancel", &[&target]);
        wait_for(
            &format!("prover job {job} (pid {pid}) to end after scancel"),
            Duration::from_secs(60),
            Duration::from_millis(200),
            || slurm.states().get(&job).is_some_and(|s| s != "RUNNING" && s != "COMPLETING").then_some(()),
            context,
        );
        let log = job_log(logs, &job);
        assert!(log.contains("stopped by signal"), "prover job {job} did not stop cleanly on scancel:\n{log}");
        // The operator's answer to a pre-empted prover: one more (also when the proof won the race below).
        let mut c = slurm.cmd("sbatch");
        c.env("FRISPOOL_SPOOL", p.spool_path())
            .env("FRISPOOL_BIN", cluster::bin_dir())
            .env("FRISPOOL_LEASE_SECS", "60")
            .env("FRISPOOL_RESCAN_SECS", "0.5")
            .args(["--parsable", "--time=15", "--cpus-per-task=1", "--job-name=frispool-prover"])
            .arg(format!("--output={}/prover-extra-j%j.log", logs.display()))
            .arg(cluster::repo().join("scripts/slurm/provers.sbatch"));
        let out = run_cmd(&mut c, CMD);
        assert!(out.status.success(), "sbatch provers.sbatch: {}", crate::command::text(&out));
        if log.contains(&format!("shutdown: returned {key} to queued/")) {
            let attempt = held.rsplit('.').next().and_then(|a| a.parse().ok()).expect("attempt in the held name");
            return (key, attempt);
        }
        eprintln!("cluster_slurm: {key} finished before scancel's SIGTERM reached job {job} (try {round})");
    }
    panic!("three provers finished their proof before scancel's SIGTERM arrived\n{}", context());
}

/// Whole minutes of a Slurm duration (`[D-]HH:MM:SS` or `MM:SS`).
fn minutes_of(t: &str) -> u64 {
    let (days, hms) = t.split_once('-').map_or((0, t), |(d, r)| (d.parse().unwrap_or(0), r));
    let parts: Vec<u64> = hms.split(':').map(|x| x.parse().unwrap_or(0)).collect();
    let secs = match parts.as_slice() {
        [h, m, s] => h * 3600 + m * 60 + s,
        [m, s] => m * 60 + s,
        _ => 0,
    };
    days * 1440 + secs / 60
}

/// The log of job `id` in `logs`: submit.sh and this test name every job's log `...-j<JOBID>.log`.
fn job_log(logs: &Path, id: &str) -> String {
    let suffix = format!("-j{id}.log");
    crate::pipeline::names_in(logs)
        .into_iter()
        .find(|n| n.ends_with(&suffix))
        .map(|n| std::fs::read_to_string(logs.join(n)).unwrap_or_default())
        .unwrap_or_else(|| panic!("no log of job {id} in {}: {:?}", logs.display(), crate::pipeline::names_in(logs)))
}
