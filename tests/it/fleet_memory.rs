//! Issue 15 part 2: memory classes. A job whose worker dies of memory — an allocation that fails under
//! `prlimit --as` (the worker aborts), or the OOM killer of a memory cgroup (SIGKILL) — is marked in its
//! ticket by `frispool recover`, no attempt spent; small workers leave it alone from then on, and a worker
//! started with `--memory-class large` takes it and completes it.

use std::os::unix::process::ExitStatusExt;
use std::path::{Path, PathBuf};
use std::process::Command;

use frispool_pipeline::PROVE;
use frispool_spool::{State, Ticket};

use crate::spool::*;

const KEY: &str = "b00000001.r0.synth.d0.g0000";

fn worker_args(journal: &Path) -> Vec<String> {
    ["work", "--once", "--threads", "1", "--iterations", "16", "--journal"]
        .iter()
        .map(|s| s.to_string())
        .chain([journal.display().to_string()])
        .collect()
}

/// After the small worker died on KEY: recover marks it, a small worker passes it by, a large one does it.
fn moves_to_a_large_worker(s: &TestSpool, journal: &Path, how: &str) {
    let out = s.admin_cmd(&["recover"]).expect_success();
    assert!(text(&out).contains("\"memory_deaths\":1"), "{}", text(&out));
    let t = Ticket::read(&s.spool.queued_path(&PROVE, &KEY.parse().unwrap())).unwrap();
    assert_eq!((t.memory_class, t.memory_deaths, t.attempt), (1, 1, 0), "{t:?}");
    assert!(t.errors[0].contains("died of memory") && t.errors[0].contains(how), "{:?}", t.errors);
    let status = text(&s.admin_cmd(&["status"]).expect_success());
    assert!(
        status.contains("memory: 1 attempts lost to memory; 1 jobs moved to a larger memory class, 1 of them queued"),
        "{status}"
    );
    // A small worker (the default class) leaves it queued.
    s.synth_cmd(&worker_args(journal).iter().map(String::as_str).collect::<Vec<_>>()).expect_success();
    assert_eq!(s.states(&PROVE).get(KEY), Some(&vec![State::Queued]));
    let mut large = worker_args(journal);
    large.extend(["--memory-class".into(), "large".into()]);
    s.synth_cmd(&large.iter().map(String::as_str).collect::<Vec<_>>()).expect_success();
    let done = s.done_ticket(KEY);
    assert_eq!(done.memory_deaths, 1);
    assert_eq!(done.done.as_ref().unwrap().attempt, 1, "the memory death spent no attempt: {done:?}");
    let runs = std::fs::read_to_string(journal).unwrap();
    assert_eq!(runs.lines().count(), 1, "only the large worker finished it:\n{runs}");
    // The evidence is gone with the lease.
    let left: Vec<_> = std::fs::read_dir(s.spool.tmp_dir(&PROVE)).unwrap().collect();
    assert!(left.is_empty(), "{}", s.tree());
}

#[test]
fn an_allocation_failure_moves_the_job_to_a_large_worker() {
    let s = TestSpool::new();
    s.seed(1, &["--alloc-mb", "4096"]);
    let journal = s.path().join("journal.log");
    // 1 GiB of address space: the worker starts, the job's 4 GiB allocation fails, Rust aborts.
    let out = Command::new("prlimit")
        .arg("--as=1073741824")
        .arg("--")
        .arg(SYNTH)
        .args(worker_args(&journal))
        .env("FRISPOOL_SPOOL", s.path())
        .output()
        .expect("prlimit (util-linux)");
    assert_eq!(out.status.signal(), Some(libc::SIGABRT), "{}", text(&out));
    assert!(text(&out).contains("memory allocation of 4294967296 bytes failed"), "{}", text(&out));
    assert_eq!(s.states(&PROVE).get(KEY), Some(&vec![State::InProgress]));
    moves_to_a_large_worker(&s, &journal, "allocation of 4294967296 bytes failed");
}

/// A memory cgroup with a limit, removed on drop (v1's memory controller or v2).
struct MemoryCgroup(PathBuf);

impl MemoryCgroup {
    fn new(limit: u64) -> Result<MemoryCgroup, String> {
        let name = format!("frispool-test-{}", std::process::id());
        let v2 = Path::new("/sys/fs/cgroup/cgroup.controllers").exists();
        let (dir, file) = if v2 {
            let _ = std::fs::write("/sys/fs/cgroup/cgroup.subtree_control", "+memory");
            (Path::new("/sys/fs/cgroup").join(name), "memory.max")
        } else {
            (Path::new("/sys/fs/cgroup/memory").join(name), "memory.limit_in_bytes")
        };
        std::fs::create_dir(&dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
        let cg = MemoryCgroup(dir);
        std::fs::write(cg.0.join(file), limit.to_string())
            .map_err(|e| format!("cannot limit {}: {e}", cg.0.display()))?;
        Ok(cg)
    }
}

impl Drop for MemoryCgroup {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir(&self.0);
    }
}

#[test]
fn an_oom_kill_in_a_memory_cgroup_moves_the_job_to_a_large_worker() {
    let cg = match MemoryCgroup::new(256 << 20) {
        Ok(cg) => cg,
        Err(why) => {
            // Straight to stderr: the harness captures eprintln! of a passing test, and a skip must show.
            use std::io::Write;
            let _ = writeln!(std::io::stderr(), "SKIPPED needs a writable memory cgroup (root): {why}");
            return;
        }
    };
    let s = TestSpool::new();
    s.seed(1, &["--alloc-mb", "1024"]);
    let journal = s.path().join("journal.log");
    // The worker moves itself into the cgroup, then touches 1 GiB: the cgroup's OOM killer SIGKILLs it.
    let out = Command::new("sh")
        .arg("-c")
        .arg(r#"echo $$ > "$1/cgroup.procs" && shift && exec "$@""#)
        .arg("sh")
        .arg(&cg.0)
        .arg(SYNTH)
        .args(worker_args(&journal))
        .env("FRISPOOL_SPOOL", s.path())
        .output()
        .unwrap();
    assert_eq!(out.status.signal(), Some(libc::SIGKILL), "{}", text(&out));
    moves_to_a_large_worker(&s, &journal, "OOM-killed in memory cgroup");
}
