//! `frispool status`: counts and oldest age per queue and state, the spool filesystem's free
//! space and the last infrastructure fault, as a table, JSON, or node_exporter textfile metrics.
//! Taking it writes nothing but the clock probe's mtime, so it works on a full disk.

use std::fmt::Write as _;
use std::fs;
use std::path::Path;
use std::time::SystemTime;

use serde::Serialize;

use crate::error::{io_err, Result};
use crate::fault::{FaultRecord, FsSpace, SpaceLevel};
use crate::fsx;
use crate::jobstats::{job_stats, JobStats, TIME_BUCKETS};
use crate::layout::Spool;
use crate::queue::{Queue, State};

#[derive(Clone, Debug, Default, Serialize)]
pub struct StateCount {
    pub count: usize,
    /// Age of the oldest file (by the filesystem's clock), seconds.
    pub oldest_age_secs: Option<f64>,
}

#[derive(Clone, Debug, Serialize)]
pub struct QueueStatus {
    pub queue: Queue,
    pub queued: StateCount,
    pub in_progress: StateCount,
    pub done: StateCount,
    pub failed: StateCount,
    pub tmp_files: usize,
    /// Last line of the most recent `.err` files (up to 5), to see failures at a glance.
    pub recent_failures: Vec<String>,
}

impl QueueStatus {
    pub fn get(&self, s: State) -> &StateCount {
        match s {
            State::Queued => &self.queued,
            State::InProgress => &self.in_progress,
            State::Done => &self.done,
            State::Failed => &self.failed,
        }
    }
}

#[derive(Clone, Debug, Serialize)]
pub struct StatusReport {
    pub spool: String,
    pub fs_time_unix_ms: u64,
    pub queues: Vec<QueueStatus>,
    /// statvfs of the spool root (None if even that failed: see `filesystem_error`).
    pub filesystem: Option<FsSpace>,
    pub space: Option<SpaceLevel>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub filesystem_error: Option<String>,
    /// The last infrastructure fault a worker recorded (`.infra-fault`), cleared or not.
    pub last_infra_fault: Option<FaultRecord>,
    /// Per queue, round and circuit type, from the tickets themselves ([`StatusReport::add_job_stats`]:
    /// not taken by `status` alone, which only lists folders).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub jobs: Vec<JobRow>,
}

/// One (queue, round, circuit type) of [`StatusReport::jobs`].
#[derive(Clone, Debug, Serialize)]
pub struct JobRow {
    pub queue: Queue,
    pub round: u8,
    pub circuit: String,
    #[serde(flatten)]
    pub stats: JobStats,
}

fn count(dir: &Path, now: SystemTime, skip_err: bool) -> Result<(StateCount, Vec<(SystemTime, String)>)> {
    let mut c = StateCount::default();
    let mut errs = Vec::new();
    for (name, _) in fsx::list(dir).map_err(io_err("listing", dir))? {
        let Ok(meta) = fs::metadata(dir.join(&name)) else { continue };
        let mt = meta.modified().unwrap_or(now);
        if name.ends_with(".err") {
            errs.push((mt, name));
            if skip_err {
                continue;
            }
        }
        c.count += 1;
        let age = now.duration_since(mt).map(|d| d.as_secs_f64()).unwrap_or(0.0);
        c.oldest_age_secs = Some(c.oldest_age_secs.map_or(age, |o: f64| o.max(age)));
    }
    Ok((c, errs))
}

pub fn status(spool: &Spool) -> Result<StatusReport> {
    // The probe's mtime is the clock leases are judged by; a read-only spool cannot touch it,
    // and status must still answer then.
    let now = spool.fs_now().unwrap_or_else(|_| SystemTime::now());
    let mut queues = Vec::new();
    for q in spool.queues() {
        let (queued, _) = count(&spool.state_dir(q, State::Queued), now, false)?;
        let (in_progress, _) = count(&spool.state_dir(q, State::InProgress), now, false)?;
        let (done, _) = count(&spool.state_dir(q, State::Done), now, false)?;
        let (failed, mut errs) = count(&spool.state_dir(q, State::Failed), now, true)?;
        errs.sort();
        let recent_failures = errs
            .iter()
            .rev()
            .take(5)
            .map(|(_, n)| {
                let text = fs::read_to_string(spool.state_dir(q, State::Failed).join(n)).unwrap_or_default();
                let line = text.lines().nth(1).or_else(|| text.lines().next()).unwrap_or("").trim();
                format!("{}: {line}", n.trim_end_matches(".err"))
            })
            .collect();
        let tmp_dir = spool.tmp_dir(q);
        let tmp_files = fsx::list(&tmp_dir).map_err(io_err("listing", &tmp_dir))?.len();
        queues.push(QueueStatus { queue: q.clone(), queued, in_progress, done, failed, tmp_files, recent_failures });
    }
    let fs_time_unix_ms = now.duration_since(std::time::UNIX_EPOCH).map(|d| d.as_millis() as u64).unwrap_or(0);
    let (filesystem, filesystem_error) = match FsSpace::of(spool.root()) {
        Ok(f) => (Some(f), None),
        Err(e) => (None, Some(e.to_string())),
    };
    let space = filesystem.as_ref().map(FsSpace::level);
    let last_infra_fault = spool.read_fault_record().ok().flatten();
    Ok(StatusReport {
        spool: spool.root().display().to_string(),
        fs_time_unix_ms,
        queues,
        filesystem,
        space,
        filesystem_error,
        last_infra_fault,
        jobs: Vec::new(),
    })
}

fn bytes(n: u64) -> String {
    let units = ["B", "KiB", "MiB", "GiB", "TiB"];
    let mut v = n as f64;
    let mut u = 0;
    while v >= 1024.0 && u + 1 < units.len() {
        v /= 1024.0;
        u += 1;
    }
    if u == 0 {
        format!("{n} B")
    } else {
        format!("{v:.1} {}", units[u])
    }
}

fn age(c: &StateCount) -> String {
    c.oldest_age_secs.map(|a| format!("{a:.0}s")).unwrap_or_else(|| "-".into())
}

impl StatusReport {
    /// Reads every ticket for the per-round and per-type rows (job times, attempts, memory deaths).
    pub fn add_job_stats(&mut self, spool: &Spool) -> Result<()> {
        let now = std::time::UNIX_EPOCH + std::time::Duration::from_millis(self.fs_time_unix_ms);
        self.jobs = job_stats(spool, now)?
            .into_iter()
            .map(|((queue, round, circuit), stats)| JobRow { queue, round, circuit, stats })
            .collect();
        Ok(())
    }

    /// The memory line of a queue's rows, when any attempt of its jobs was lost to memory.
    fn memory_line(&self, q: &Queue) -> Option<String> {
        let rows = self.jobs.iter().filter(|r| &r.queue == q);
        let (deaths, moved, waiting) = rows.fold((0, 0, 0), |(d, m, w), r| {
            (d + r.stats.memory_deaths, m + r.stats.memory_moved, w + r.stats.memory_waiting)
        });
        (deaths > 0 || moved > 0).then(|| {
            format!("    memory: {deaths} attempts lost to memory; {moved} jobs moved to a larger memory class, {waiting} of them queued")
        })
    }

    pub fn total(&self, s: State) -> usize {
        self.queues.iter().map(|q| q.get(s).count).sum()
    }

    /// One line on the spool's filesystem: free space, and FULL / LOW when it is short.
    pub fn space_line(&self) -> String {
        let Some(f) = &self.filesystem else {
            return format!("filesystem: statvfs failed: {}", self.filesystem_error.as_deref().unwrap_or("?"));
        };
        let pct = if f.size_bytes > 0 { 100.0 * f.avail_bytes as f64 / f.size_bytes as f64 } else { 0.0 };
        let inodes =
            if f.inodes > 0 { format!(", {} of {} inodes free", f.avail_inodes, f.inodes) } else { String::new() };
        let ro = if f.read_only { ", read-only" } else { "" };
        let warn = match f.level() {
            SpaceLevel::Full => {
                " — FULL: workers hand their jobs back (no attempt spent) and wait until space is freed"
            }
            SpaceLevel::Low => " — LOW on space",
            SpaceLevel::Ok => "",
        };
        format!("filesystem: {} free of {} ({pct:.1}%){inodes}{ro}{warn}", bytes(f.avail_bytes), bytes(f.size_bytes))
    }

    /// The last infrastructure fault, with its age by the filesystem's clock, or None.
    pub fn fault_line(&self) -> Option<String> {
        let r = self.last_infra_fault.as_ref()?;
        let ago = self.fs_time_unix_ms.saturating_sub(r.at_unix_ms) / 1000;
        let errno = r.errno.map(|n| format!(" (errno {n})")).unwrap_or_default();
        let job = r.job.as_ref().map(|j| format!(", job {j}")).unwrap_or_default();
        let state = match r.cleared_unix_ms {
            Some(ms) => format!("cleared {}", crate::clock::rfc3339(ms)),
            None => "NOT cleared yet".to_string(),
        };
        let first = r.error.lines().last().unwrap_or("").trim().trim_start_matches("caused by: ");
        Some(format!(
            "last infrastructure fault: {}{errno} at {} ({ago}s ago) on {}.{}{job}: {first}; {state}",
            r.fault, r.at, r.host, r.pid
        ))
    }

    /// A table for people; queues with nothing in them are folded into one line.
    pub fn render(&self) -> String {
        let mut out = format!("spool {}\n{}\n", self.spool, self.space_line());
        if let Some(l) = self.fault_line() {
            let _ = writeln!(out, "{l}");
        }
        let _ = writeln!(
            out,
            "{:<18} {:>8} {:>6} {:>8} {:>6} {:>8} {:>6} {:>8} {:>4}",
            "queue", "queued", "oldest", "running", "oldest", "done", "failed", "oldest", "tmp"
        );
        let mut idle = Vec::new();
        for q in &self.queues {
            if State::ALL.iter().all(|s| q.get(*s).count == 0) && q.tmp_files == 0 {
                idle.push(q.queue.name());
                continue;
            }
            let _ = writeln!(
                out,
                "{:<18} {:>8} {:>6} {:>8} {:>6} {:>8} {:>6} {:>8} {:>4}",
                q.queue.name(),
                q.queued.count,
                age(&q.queued),
                q.in_progress.count,
                age(&q.in_progress),
                q.done.count,
                q.failed.count,
                age(&q.failed),
                q.tmp_files
            );
            for f in &q.recent_failures {
                let _ = writeln!(out, "    failed: {f}");
            }
            if let Some(l) = self.memory_line(&q.queue) {
                let _ = writeln!(out, "{l}");
            }
        }
        if !idle.is_empty() {
            let _ = writeln!(out, "(empty: {})", idle.join(" "));
        }
        out
    }

    /// node_exporter textfile collector format.
    pub fn prometheus(&self) -> String {
        let mut out = String::new();
        out.push_str("# HELP frispool_jobs Job tickets per queue and state.\n# TYPE frispool_jobs gauge\n");
        for q in &self.queues {
            for s in State::ALL {
                let _ = writeln!(out, "frispool_jobs{{queue=\"{}\",state=\"{}\"}} {}", q.queue, s, q.get(s).count);
            }
        }
        out.push_str("# HELP frispool_oldest_age_seconds Age of the oldest ticket per queue and state (0 when empty).\n# TYPE frispool_oldest_age_seconds gauge\n");
        for q in &self.queues {
            for s in State::ALL {
                let _ = writeln!(
                    out,
                    "frispool_oldest_age_seconds{{queue=\"{}\",state=\"{}\"}} {:.3}",
                    q.queue,
                    s,
                    q.get(s).oldest_age_secs.unwrap_or(0.0)
                );
            }
        }
        out.push_str("# HELP frispool_tmp_files Private staging files per queue (stale ones are removed by recover).\n# TYPE frispool_tmp_files gauge\n");
        for q in &self.queues {
            let _ = writeln!(out, "frispool_tmp_files{{queue=\"{}\"}} {}", q.queue, q.tmp_files);
        }
        if let Some(f) = &self.filesystem {
            out.push_str(
                "# HELP frispool_fs_size_bytes Size of the spool's filesystem.\n# TYPE frispool_fs_size_bytes gauge\n",
            );
            let _ = writeln!(out, "frispool_fs_size_bytes {}", f.size_bytes);
            out.push_str("# HELP frispool_fs_avail_bytes Free bytes on the spool's filesystem (for unprivileged writers).\n# TYPE frispool_fs_avail_bytes gauge\n");
            let _ = writeln!(out, "frispool_fs_avail_bytes {}", f.avail_bytes);
            out.push_str("# HELP frispool_fs_avail_inodes Free inodes on the spool's filesystem.\n# TYPE frispool_fs_avail_inodes gauge\n");
            let _ = writeln!(out, "frispool_fs_avail_inodes {}", f.avail_inodes);
            out.push_str("# HELP frispool_fs_full 1 when the spool's filesystem is full (workers back off), else 0.\n# TYPE frispool_fs_full gauge\n");
            let _ = writeln!(out, "frispool_fs_full {}", u8::from(f.level() == SpaceLevel::Full));
        }
        if let Some(r) = &self.last_infra_fault {
            out.push_str("# HELP frispool_infra_fault_time_seconds When a worker last met an infrastructure fault.\n# TYPE frispool_infra_fault_time_seconds gauge\n");
            let _ = writeln!(out, "frispool_infra_fault_time_seconds {:.3}", r.at_unix_ms as f64 / 1000.0);
            out.push_str("# HELP frispool_infra_fault_open 1 while the last infrastructure fault is not cleared by a finished job.\n# TYPE frispool_infra_fault_open gauge\n");
            let _ = writeln!(out, "frispool_infra_fault_open {}", u8::from(r.cleared_unix_ms.is_none()));
        }
        self.job_metrics(&mut out);
        out.push_str("# HELP frispool_status_time_seconds Filesystem time when this status was taken.\n# TYPE frispool_status_time_seconds gauge\n");
        let _ = writeln!(out, "frispool_status_time_seconds {:.3}", self.fs_time_unix_ms as f64 / 1000.0);
        out
    }
}

impl StatusReport {
    /// Per queue, round (its number: the spool knows no names) and circuit type, when the job rows were
    /// taken: job time histogram, oldest queued age, attempts, failures, memory deaths and moves.
    fn job_metrics(&self, out: &mut String) {
        if self.jobs.is_empty() {
            return;
        }
        let labels = |r: &JobRow| format!("queue=\"{}\",round=\"{}\",type=\"{}\"", r.queue, r.round, r.circuit);
        out.push_str("# HELP frispool_job_duration_seconds Claim-to-done time of done jobs.\n# TYPE frispool_job_duration_seconds histogram\n");
        for r in &self.jobs {
            let l = labels(r);
            let s = &r.stats;
            for (le, n) in TIME_BUCKETS.iter().zip(s.time_buckets.iter().chain(std::iter::repeat(&0))) {
                let _ = writeln!(out, "frispool_job_duration_seconds_bucket{{{l},le=\"{le}\"}} {n}");
            }
            let _ = writeln!(out, "frispool_job_duration_seconds_bucket{{{l},le=\"+Inf\"}} {}", s.done);
            let _ = writeln!(out, "frispool_job_duration_seconds_sum{{{l}}} {:.3}", s.time_sum_secs);
            let _ = writeln!(out, "frispool_job_duration_seconds_count{{{l}}} {}", s.done);
        }
        type Metric = (&'static str, &'static str, &'static str, fn(&JobStats) -> f64);
        let metrics: [Metric; 7] = [
            ("frispool_job_oldest_queued_seconds", "gauge", "Age of the oldest queued job (0 when none).", |s| {
                s.oldest_queued_secs.unwrap_or(0.0)
            }),
            ("frispool_job_attempts_total", "counter", "Attempts made by finished (done or failed) jobs.", |s| {
                s.attempts as f64
            }),
            (
                "frispool_job_failed_attempts_total",
                "counter",
                "Attempts that failed (not counting memory deaths).",
                |s| s.failed_attempts as f64,
            ),
            ("frispool_jobs_failed", "gauge", "Jobs in failed/ (out of attempts, or a permanent error).", |s| {
                s.failed as f64
            }),
            (
                "frispool_job_memory_deaths_total",
                "counter",
                "Attempts lost to memory (OOM kill, failed allocation).",
                |s| s.memory_deaths as f64,
            ),
            ("frispool_job_memory_moves", "gauge", "Jobs moved to a larger memory class.", |s| s.memory_moved as f64),
            ("frispool_job_memory_waiting", "gauge", "Jobs moved to a larger memory class, still queued.", |s| {
                s.memory_waiting as f64
            }),
        ];
        for (name, kind, help, value) in metrics {
            let _ = writeln!(out, "# HELP {name} {help}\n# TYPE {name} {kind}");
            for r in &self.jobs {
                let _ = writeln!(out, "{name}{{{}}} {}", labels(r), value(&r.stats));
            }
        }
    }
}

/// Writes `text` to `path` atomically (tmp in the same folder, fsync, rename), as the textfile
/// collector needs: it must never read a half-written file.
pub fn write_atomic(path: &Path, text: &str) -> Result<()> {
    let dir = path.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
    let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    // A dot-name not ending in .prom, so the collector ignores it while it is being written.
    let tmp = dir.join(format!(".{name}.{}.tmp", fsx::unique_name()));
    fsx::write_new_synced(&tmp, text.as_bytes()).map_err(io_err("writing", &tmp))?;
    fs::rename(&tmp, path).map_err(io_err("renaming into place", path))?;
    fsx::fsync_dir(dir).map_err(io_err("fsync", dir))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ticket::Ticket;

    const WVG: Queue = Queue::named("wvg");
    static QUEUES: [Queue; 1] = [WVG];

    #[test]
    fn counts_and_renders() {
        let d = tempfile::tempdir().unwrap();
        let s = Spool::init(d.path(), &QUEUES).unwrap();
        s.enqueue(&Ticket::new(WVG, "b00000001.r0.main.d0.g0000".parse().unwrap(), "v1", vec![], 1)).unwrap();
        let r = status(&s).unwrap();
        assert_eq!(r.total(State::Queued), 1);
        assert!(r.render().contains("wvg"));
        assert!(r.render().contains("filesystem: "), "{}", r.render());
        assert!(r.fault_line().is_none());
        let prom = r.prometheus();
        assert!(prom.contains("frispool_jobs{queue=\"wvg\",state=\"queued\"} 1"), "{prom}");
        let out = d.path().join("m.prom");
        write_atomic(&out, &prom).unwrap();
        assert_eq!(fs::read_to_string(out).unwrap(), prom);
    }
}
