//! Issue 8 part 3 with the real pipeline: the spool (keys included) lives on a small tmpfs that
//! fills up in the middle of a block — after its first proof — and is freed a little later. The
//! stages meet ENOSPC, hand their jobs back and back off; `frispool status` says FULL; once the
//! space is back the block is proven with no `requeue`, nothing failed, and no attempt spent.
//!
//! Mounting needs root (as on CI); elsewhere the test skips with a printed reason.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use frispool_pipeline::{PROVE, QUEUES};
use frispool_spool::{FsSpace, State, Ticket};

use crate::pipeline::*;
use crate::spool::text;

/// Room the tmpfs keeps beyond what the spool holds when the stages start (the block's inputs,
/// witnesses and proofs need far less; the ballast takes whatever is left when the disk "fills").
const HEADROOM: u64 = 128 << 20;

/// Unmounts (lazily: children may still hold the keys mapped) when dropped, after the pipeline.
struct Unmount(Option<PathBuf>);

impl Drop for Unmount {
    fn drop(&mut self) {
        if let Some(p) = &self.0 {
            let _ = Command::new("umount").arg("-l").arg(p).status();
            // The spool's TempDir could not remove its folder while it was a mount point.
            let _ = std::fs::remove_dir(p);
        }
    }
}

fn sh(cmd: &mut Command) -> Result<(), String> {
    let out = cmd.output().map_err(|e| e.to_string())?;
    if out.status.success() {
        Ok(())
    } else {
        Err(String::from_utf8_lossy(&out.stderr).trim().to_string())
    }
}

/// Moves the spool at `root` onto a fresh tmpfs mounted there, sized to what it holds plus HEADROOM.
fn onto_tmpfs(root: &Path, unmount: &mut Unmount) -> Result<(), String> {
    let stash = tempfile::Builder::new().prefix("spool-stash-").tempdir().unwrap();
    let entries: Vec<PathBuf> = std::fs::read_dir(root).unwrap().map(|e| e.unwrap().path()).collect();
    let back = |entries: &[PathBuf]| {
        entries.iter().for_each(|e| drop(std::fs::rename(stash.path().join(e.file_name().unwrap()), e)))
    };
    for e in &entries {
        std::fs::rename(e, stash.path().join(e.file_name().unwrap())).unwrap();
    }
    if let Err(e) = sh(Command::new("mount").args(["-t", "tmpfs", "-o", "size=4g", "tmpfs"]).arg(root)) {
        back(&entries);
        return Err(e);
    }
    unmount.0 = Some(root.to_path_buf());
    sh(Command::new("cp").arg("-a").arg(format!("{}/.", stash.path().display())).arg(root))
        .expect("copying the spool onto the tmpfs");
    let fs = FsSpace::of(root).unwrap();
    let size = fs.size_bytes - fs.avail_bytes + HEADROOM;
    sh(Command::new("mount").args(["-o", &format!("remount,size={size}")]).arg(root)).expect("shrinking the tmpfs");
    Ok(())
}

/// Writes `path` until the filesystem refuses another byte (the stages keep writing meanwhile, so
/// statvfs alone cannot size it); returns its size.
fn fill(path: &Path) -> u64 {
    use std::io::Write;
    let mut f = std::fs::File::create(path).unwrap();
    let mut n = 0;
    for chunk in [1 << 20, 4096, 1] {
        let buf = vec![0u8; chunk];
        loop {
            match f.write(&buf) {
                Ok(w) if w > 0 => n += w as u64,
                Ok(_) => break,
                Err(e) => {
                    assert_eq!(e.raw_os_error(), Some(libc::ENOSPC), "filling: {e}");
                    break;
                }
            }
        }
    }
    n
}

#[test]
fn spool_fills_mid_block_then_is_freed_and_the_block_is_proven_with_no_attempt_spent() {
    // Declared first so that it drops last, after the pipeline has killed its children.
    let mut unmount = Unmount(None);
    let mut p = Pipeline::new();
    let root = p.spool_path().to_path_buf();
    if let Err(e) = onto_tmpfs(&root, &mut unmount) {
        eprintln!("SKIPPED: cannot mount a tmpfs here (needs root): {e}");
        return;
    }
    let n = p.produce(1, 64, 21)[0];
    let (url, _) = p.start_all(2, &["--fault-backoff-secs", "0.5", "--fault-backoff-max-secs", "2"]);
    let spool = p.spool.spool.clone();

    // Mid-block: once the first proof is done, take every byte that is left.
    let t0 = Instant::now();
    while spool.done_tickets(&PROVE).unwrap().is_empty() {
        p.assert_all_running();
        assert!(t0.elapsed() < PROVE_TIMEOUT, "no proof done in time\n{}", text(&p.admin(&["status"])));
        std::thread::sleep(Duration::from_millis(100));
    }
    let ballast = root.join("ballast");
    let filled = fill(&ballast);
    eprintln!("disk filled ({} MiB of ballast) {:.1?} after start", filled >> 20, t0.elapsed());

    // Some stage meets the full disk and backs off; none dies, nothing fails.
    let faulted = |p: &Pipeline| p.names().iter().any(|n| p.log_of(n).contains("infrastructure fault: no space left"));
    while !faulted(&p) {
        p.assert_all_running();
        assert!(
            QUEUES.iter().all(|q| names_in(&spool.state_dir(q, State::Failed)).is_empty()),
            "{}",
            p.failure_reasons()
        );
        assert!(t0.elapsed() < PROVE_TIMEOUT, "no stage met the full disk\n{}", text(&p.admin(&["status"])));
        std::thread::sleep(Duration::from_millis(100));
    }
    std::thread::sleep(Duration::from_secs(3));
    p.assert_all_running();
    let status = p.admin(&["status"]);
    let shown = String::from_utf8_lossy(&status.stdout);
    assert!(shown.contains("FULL") && shown.contains("last infrastructure fault: no space left"), "{}", text(&status));
    for q in &QUEUES {
        assert!(names_in(&spool.state_dir(q, State::Failed)).is_empty(), "{q}: {}", p.failure_reasons());
        for name in names_in(&spool.state_dir(q, State::Queued)) {
            let t = Ticket::read(&spool.state_dir(q, State::Queued).join(&name)).unwrap();
            assert_eq!(t.attempt, 0, "{q}/{name} spent an attempt on the full disk: {:?}", t.errors);
        }
    }

    std::fs::remove_file(&ballast).unwrap();
    let freed = Instant::now();
    let record = p.wait_proven(&url, n);
    eprintln!("block {n} proven {:.1?} after the space came back", freed.elapsed());
    assert_eq!(record["handouts"], 1, "the block was handed out once: {record}");
    let names = p.names();
    p.stop(&names.iter().map(String::as_str).collect::<Vec<_>>());

    let done = p.assert_every_job_done_once();
    for (q, tickets) in &done {
        for t in tickets {
            let d = t.done.as_ref().unwrap();
            assert_eq!(d.attempt, 1, "{q}: {} needed attempt {}: {:?}", t.key, d.attempt, t.errors);
            assert!(t.errors.is_empty(), "{q}: {}: {:?}", t.key, t.errors);
        }
    }
    let status = p.admin(&["status"]);
    let shown = String::from_utf8_lossy(&status.stdout);
    assert!(!shown.contains("FULL") && shown.contains("; cleared "), "{}", text(&status));
    let final_path = root.join(format!("artifacts/b{n:08}/final.proof"));
    p.admin_cmd(&["verify", final_path.to_str().unwrap()]).expect_success();
}
