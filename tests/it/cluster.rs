//! Shared by the cluster tests (`cluster_slurm`, `cluster_cron`, `cluster_gluster`): they start real system
//! software (Slurm's daemons, cron, GlusterFS and FUSE mounts in network namespaces), so they need root and
//! Debian's packages. Where those are missing a test skips, saying why; with `FRISPOOL_CLUSTER_TESTS=1` (which
//! `.ci/run` sets once it has installed the packages) a missing piece is a failure instead. Every external
//! command runs under coreutils' `timeout`, so a hung daemon cannot hang the test.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::{Duration, Instant};

use crate::command::text;

/// Set to 1 to make the cluster tests mandatory: a missing package, no root or no /dev/fuse fails them.
pub const FLAG: &str = "FRISPOOL_CLUSTER_TESTS";

/// What a cluster test needs from the machine.
pub enum Need {
    /// Effective uid 0 (daemons, mounts, namespaces).
    Root,
    /// A program on PATH (or an absolute path), and the Debian package that brings it.
    Program(&'static str, &'static str),
    /// A file or device that must exist, and why.
    Path(&'static str, &'static str),
}

fn on_path(program: &str) -> bool {
    if program.starts_with('/') {
        return Path::new(program).exists();
    }
    std::env::var_os("PATH")
        .map(|p| {
            std::env::split_paths(&p).chain(["/usr/sbin".into(), "/sbin".into()]).any(|d| d.join(program).is_file())
        })
        .unwrap_or(false)
}

/// True when `test` can run here. Otherwise it prints why and returns false (skip), or panics when the
/// flag is set.
pub fn preflight(test: &str, needs: &[Need]) -> bool {
    let missing: Vec<String> = needs
        .iter()
        .filter_map(|n| match n {
            // SAFETY: geteuid has no preconditions.
            Need::Root => (unsafe { libc::geteuid() } != 0).then(|| "root (it starts daemons and mounts)".to_string()),
            Need::Program(p, pkg) => (!on_path(p)).then(|| format!("`{p}` (Debian package {pkg})")),
            Need::Path(p, why) => (!Path::new(p).exists()).then(|| format!("{p} ({why})")),
        })
        .collect();
    if missing.is_empty() {
        return true;
    }
    let why = format!("{test} cannot run here: missing {}", missing.join(", "));
    if mandatory() {
        panic!("{why}; {FLAG}=1 makes this a failure (.ci/run installs the packages)");
    }
    // Straight to stderr, not through eprintln!, which the test harness captures from a passing test: a skip
    // must be seen in `make test`'s output.
    use std::io::Write;
    let _ = writeln!(std::io::stderr(), "SKIPPED {why} (set {FLAG}=1 to make this a failure)");
    false
}

pub fn mandatory() -> bool {
    std::env::var(FLAG).is_ok_and(|v| v == "1")
}

/// The repository's root (scripts are run from there).
pub fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// The folder of this build's binaries, as the scripts' FRISPOOL_BIN.
pub fn bin_dir() -> PathBuf {
    Path::new(crate::command::ADMIN).parent().unwrap().to_path_buf()
}

/// `program args` under `timeout` (TERM after `limit`, KILL 5 s later). Returns its output, whatever its exit.
pub fn run(program: &str, args: &[&str], limit: Duration) -> Output {
    run_cmd(Command::new(program).args(args), limit)
}

/// A prepared command under `timeout` (its environment and working folder kept).
pub fn run_cmd(cmd: &mut Command, limit: Duration) -> Output {
    let mut timed = Command::new("timeout");
    timed.args(["-k", "5", &format!("{}", limit.as_secs().max(1))]).arg(cmd.get_program()).args(cmd.get_args());
    for (k, v) in cmd.get_envs() {
        match v {
            Some(v) => timed.env(k, v),
            None => timed.env_remove(k),
        };
    }
    if let Some(d) = cmd.get_current_dir() {
        timed.current_dir(d);
    }
    timed.output().unwrap_or_else(|e| panic!("cannot run {:?}: {e}", cmd))
}

/// Like `run`, and it must exit 0.
pub fn must(program: &str, args: &[&str], limit: Duration) -> String {
    let out = run(program, args, limit);
    assert!(out.status.success(), "{program} {}: {}\n{}", args.join(" "), out.status, text(&out));
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// Polls `done` every `every` until it returns Some, or panics with `what` and `context()` after `limit`.
pub fn wait_for<T>(
    what: &str,
    limit: Duration,
    every: Duration,
    mut done: impl FnMut() -> Option<T>,
    context: impl Fn() -> String,
) -> T {
    let deadline = Instant::now() + limit;
    loop {
        if let Some(v) = done() {
            return v;
        }
        if Instant::now() > deadline {
            panic!("timed out after {limit:?} waiting for {what}\n{}", context());
        }
        std::thread::sleep(every);
    }
}

/// The last `lines` lines of every file in `dir` whose name ends with `suffix`, for failure messages.
pub fn tails(dir: &Path, suffix: &str, lines: usize) -> String {
    let mut out = String::new();
    let mut files: Vec<PathBuf> =
        std::fs::read_dir(dir).map(|r| r.filter_map(|e| e.ok().map(|e| e.path())).collect()).unwrap_or_default();
    files.sort();
    for f in files.into_iter().filter(|f| f.to_string_lossy().ends_with(suffix)) {
        out.push_str(&format!("---- {} ----\n{}\n", f.display(), crate::pipeline::tail(&f, lines)));
    }
    out
}

/// SIGKILLs every process whose environment has `var=value` (a test's unique temp spool, say): what a daemon
/// (cron, slurmd) started for a test and left behind. Only processes of this test match, never by name.
pub fn kill_env_matches(var: &str, value: &str) -> Vec<u32> {
    let needle = format!("{var}={value}");
    let me = std::process::id();
    let mut killed = Vec::new();
    for e in std::fs::read_dir("/proc").into_iter().flatten().flatten() {
        let Some(pid) = e.file_name().to_str().and_then(|s| s.parse::<u32>().ok()) else { continue };
        if pid == me {
            continue;
        }
        let Ok(env) = std::fs::read(format!("/proc/{pid}/environ")) else { continue };
        if env.split(|&b| b == 0).any(|v| v == needle.as_bytes()) {
            // SAFETY: kill(2) of a pid we just read; the worst case is a process that already ended.
            unsafe { libc::kill(pid as libc::pid_t, libc::SIGKILL) };
            killed.push(pid);
        }
    }
    killed
}
