//! Issue 14, cron: Debian's cron daemon runs `scripts/cron/frispool.crontab` (every stage `--once` under
//! `flock -n`, `frispool recover`, the status metrics) and a demo block is proven. The crontab's one-minute
//! schedule is shortened the way the crontab's header describes: cron starts `scripts/cron/run-crontab.sh`,
//! which runs the crontab's own lines every 2 seconds with its variables and SHELL. The crontab is installed as
//! /etc/cron.d/frispool-test-PID (the same lines with cron.d's user column), removed again when the test ends.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::cluster::{self, kill_env_matches, preflight, tails, wait_for, Need};
use crate::pipeline::{get, Pipeline};

/// The crontab with this test's values for its variables.
fn test_crontab(text: &str, vars: &[(&str, String)]) -> String {
    let mut out = String::new();
    for line in text.lines() {
        let name = line.split_once('=').map(|(n, _)| n.trim()).filter(|n| !n.contains(' ') && !n.starts_with('#'));
        match name.and_then(|n| vars.iter().find(|(k, _)| *k == n)) {
            Some((k, v)) => out.push_str(&format!("{k}={v}\n")),
            None => out.push_str(&format!("{line}\n")),
        }
    }
    for (k, _) in vars {
        assert!(out.contains(&format!("\n{k}=")), "the crontab has no variable {k}: the test is out of date");
    }
    out
}

/// A user crontab turned into an /etc/cron.d file: `root` after the five schedule fields of each job line.
fn cron_d(crontab: &str) -> String {
    let mut out = String::new();
    for line in crontab.lines() {
        let t = line.trim_start();
        let is_var = t.split_once('=').is_some_and(|(n, _)| !n.trim().contains(' '));
        if t.is_empty() || t.starts_with('#') || is_var {
            out.push_str(line);
        } else {
            // Five fields, each followed by blanks; the command is the rest, untouched.
            let mut rest = t;
            let mut sched = Vec::new();
            for _ in 0..5 {
                let end = rest.find(char::is_whitespace).unwrap_or_else(|| panic!("not a crontab line: {line}"));
                sched.push(&rest[..end]);
                rest = rest[end..].trim_start();
            }
            out.push_str(&format!("{} root {rest}", sched.join(" ")));
        }
        out.push('\n');
    }
    out
}

/// The cron daemon and the files this test put in /etc/cron.d; dropping it stops cron, the tick loop and every
/// process that runs on this test's spool.
struct Cron {
    daemon: Option<Child>,
    cron_d: PathBuf,
    stop_file: PathBuf,
    spool: PathBuf,
}

impl Drop for Cron {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.cron_d);
        let _ = std::fs::write(&self.stop_file, b"stop");
        if let Some(c) = &mut self.daemon {
            // SAFETY: kill(2) of our own child, not yet reaped.
            unsafe { libc::kill(c.id() as libc::pid_t, libc::SIGTERM) };
            let _ = c.wait();
        }
        // The tick loop sees the stop file within a tick; its stages run --once and end by themselves. Whatever
        // still runs on this spool after that is killed.
        std::thread::sleep(Duration::from_secs(3));
        kill_env_matches("FRISPOOL_SPOOL", self.spool.to_str().unwrap());
    }
}

/// A cron daemon already running (its pid file names a live process called cron)? A stale pid file of an
/// earlier daemon may name a pid reused by anything else.
fn cron_running() -> bool {
    std::fs::read_to_string("/run/crond.pid")
        .ok()
        .and_then(|s| std::fs::read_to_string(format!("/proc/{}/comm", s.trim())).ok())
        .is_some_and(|comm| comm.trim() == "cron")
}

#[test]
fn cron_runs_the_crontab_and_proves_a_block() {
    let needs = [Need::Root, Need::Program("cron", "cron"), Need::Program("flock", "util-linux")];
    if !preflight("cluster_cron", &needs) {
        return;
    }
    let t0 = Instant::now();
    let mut p = Pipeline::new();
    let block = p.produce(1, 64, 31)[0];
    let url = p.start_sequencer("sequencer", &[]);
    let work = tempfile::Builder::new().prefix("cron-test-").tempdir().unwrap();
    let (locks, logs) = (work.path().join("locks"), work.path().join("logs"));
    std::fs::create_dir_all(&locks).unwrap();
    std::fs::create_dir_all(&logs).unwrap();

    let repo = cluster::repo();
    let original = std::fs::read_to_string(repo.join("scripts/cron/frispool.crontab")).unwrap();
    let vars = [
        ("FRISPOOL_SPOOL", p.spool_path().display().to_string()),
        ("FRISPOOL_SEQUENCER", url.clone()),
        ("BIN", cluster::bin_dir().display().to_string()),
        ("LOCK", locks.display().to_string()),
        ("LOGS", logs.display().to_string()),
        ("FRISPOOL_LEASE", "60".to_string()),
    ];
    let crontab = test_crontab(&original, &vars);
    let crontab_path = work.path().join("frispool.crontab");
    std::fs::write(&crontab_path, &crontab).unwrap();

    // cron's part: the crontab's lines as they are (they fire at each minute), and the tick loop, started at
    // once (@reboot, when this test starts the daemon) and every minute (in case a cron daemon already runs);
    // one flock keeps it single.
    let stop_file = work.path().join("stop");
    let ticks = format!(
        "flock -n {}/fs-ticks {} {} 2 600 {} >> {}/ticks.log 2>&1",
        locks.display(),
        repo.join("scripts/cron/run-crontab.sh").display(),
        crontab_path.display(),
        stop_file.display(),
        logs.display()
    );
    let mut cron_d_text = cron_d(&crontab);
    cron_d_text.push_str(&format!("@reboot root {ticks}\n* * * * * root {ticks}\n"));
    let cron_d_path = Path::new("/etc/cron.d").join(format!("frispool-test-{}", std::process::id()));
    std::fs::write(&cron_d_path, &cron_d_text).unwrap();
    let mut guard = Cron { daemon: None, cron_d: cron_d_path, stop_file, spool: p.spool_path().to_path_buf() };
    if cron_running() {
        eprintln!("cluster_cron: a cron daemon already runs: using it (the first tick comes at the next minute)");
    } else {
        // Debian's cron runs @reboot lines only when this marker of an earlier start since boot is absent.
        let _ = std::fs::remove_file("/run/crond.reboot");
        let child = Command::new("cron")
            .args(["-f", "-L", "15"])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(std::fs::File::create(logs.join("cron-daemon.log")).unwrap())
            .spawn()
            .expect("starting cron");
        guard.daemon = Some(child);
    }
    eprintln!("cluster_cron: {:>5.1} s keys, block, sequencer, cron up", t0.elapsed().as_secs_f64());

    let context = || format!("{}\n---- {} ----\n{cron_d_text}", tails(&logs, ".log", 30), guard.cron_d.display());
    wait_for(
        &format!("block {block} proven from cron"),
        Duration::from_secs(360),
        Duration::from_millis(500),
        || {
            if let Some(c) = &mut guard.daemon {
                assert!(c.try_wait().unwrap().is_none(), "cron exited\n{}", context());
            }
            let (code, body) = get(&format!("{url}/blocks/{block}"));
            assert_eq!(code, 200, "GET /blocks/{block}: {body}");
            body.contains("\"proven\"").then_some(())
        },
        context,
    );
    eprintln!("cluster_cron: {:>5.1} s block proven", t0.elapsed().as_secs_f64());

    // The lines ran as cron runs them: the tick loop's log exists and every stage's log has its summary line.
    assert!(logs.join("ticks.log").exists(), "cron never started the tick loop\n{}", context());
    for log in ["gateway", "witness", "prover-1", "compressor"] {
        let text = std::fs::read_to_string(logs.join(format!("{log}.log"))).unwrap_or_default();
        assert!(text.contains("frispool: "), "{log}.log has no summary line of a --once run\n{}", context());
    }
    // The housekeeping lines: `frispool recover` ran on the first tick and the metrics file is written.
    wait_for(
        "recover and status lines to have run",
        Duration::from_secs(20),
        Duration::from_millis(500),
        || (logs.join("recover.log").exists() && logs.join("frispool.prom").exists()).then_some(()),
        context,
    );
    drop(guard);
    // Nothing of the spool may be left in flight or failed: every --once run finished what it claimed.
    p.assert_every_job_done_once();
}
