//! The hand-off protocol of DESIGN.md §2: enqueue, claim, heartbeat, complete, fail, release.
//! Every rename of a ticket happens here (and in `recover`, which uses the same helpers).
//!
//! The durability protocol (a "round trip" is one wait for the disk; fsyncs listed together run
//! side by side and cost one):
//! 1. Enqueue: ticket → `tmp/`, fsync; `link()` to `queued/<key>` (EEXIST: already enqueued);
//!    unlink the tmp name; fsync `queued/`. A batch fsyncs all its tickets together, then each
//!    touched `queued/` once.
//! 2. Claim: touch `queued/<key>` (times = NULL: the file server's clock; ENOENT: another worker
//!    won), then `rename(queued/<key>, in_progress/<key>@host.pid.attempt)`; ENOENT with the target
//!    present is a retransmitted NFS rename that won. A rename keeps the mtime, so without the
//!    touch the in_progress name would carry the time the job waited in the queue, and a recover
//!    before the first heartbeat would judge a live lease stale. The lease starts at the claim.
//! 3. Heartbeat: touch the in_progress ticket every lease/3.
//! 4. Complete (`JobContext` + `complete_batch`), in this order:
//!    a. each output: tmp → fsync → link (write-once, EEXIST with equal bytes is a retry) →
//!    fsync its folder. Durable before anyone can act on it: other workers look for outputs
//!    (a prover unblocks a group when all its input proofs exist).
//!    b. follow-up tickets and the done ticket → `tmp/`, fsynced together in one batch.
//!    c. follow-ups linked into `queued/` (step 1's link), each touched `queued/` fsynced.
//!    d. the done ticket replaces the in_progress one (rename) and moves to `done/`; fsync `done/`.
//!    So a ticket never points at an artifact that is not durable, and a done ticket implies its
//!    follow-ups. One output and a follow-up: 5 sequential fsync round trips (6 when the follow-up
//!    ticket was fsynced on its own).
//! 5. Fail: the new ticket content → `tmp/`, fsync; with attempts left rename over the held
//!    ticket and into `queued/`, else `failed/<key>.err` first, then the ticket into `failed/`;
//!    fsync the target folder.
//! 6. Recover: see `recover.rs`.

use std::collections::{BTreeSet, HashMap, HashSet};
use std::fs;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{mpsc, Arc, Mutex};
use std::thread;
use std::time::Duration;

use crate::clock::{now_unix_ms, rfc3339};
use crate::error::{io_err, Result, SpoolError};
use crate::fsx;
use crate::key::JobKey;
use crate::layout::Spool;
use crate::queue::{Queue, State};
use crate::artifact::OutputBatch;
use crate::ticket::{DoneRecord, OutputRef, Ticket};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Enqueued {
    /// Newly linked into `queued/`.
    New,
    /// Already there, or already claimed, done or failed: enqueue is idempotent.
    Already(State),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FailOutcome {
    /// Back in `queued/`, this many attempts spent.
    Requeued(u32),
    /// Out of attempts (or a permanent error): in `failed/` beside `<key>.err`.
    Failed,
}

/// `key@host.pid.attempt`: who holds an in_progress ticket.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Holder {
    pub key: JobKey,
    pub host: String,
    pub pid: u32,
    pub attempt: u32,
}

impl Holder {
    pub fn file_name(&self) -> String {
        format!("{}@{}.{}.{}", self.key, self.host, self.pid, self.attempt)
    }

    pub fn parse(name: &str) -> Option<Holder> {
        let (key, rest) = name.split_once('@')?;
        let (rest, attempt) = rest.rsplit_once('.')?;
        let (host, pid) = rest.rsplit_once('.')?;
        Some(Holder { key: key.parse().ok()?, host: host.to_string(), pid: pid.parse().ok()?, attempt: attempt.parse().ok()? })
    }
}

/// A ticket this process holds in `in_progress/`.
#[derive(Debug)]
pub struct Claimed {
    pub queue: Queue,
    pub ticket: Ticket,
    /// The attempt being made now (counted at claim).
    pub attempt: u32,
    pub path: PathBuf,
    pub start_unix_ms: u64,
    queued_path: PathBuf,
}

impl Claimed {
    pub fn key(&self) -> &JobKey {
        &self.ticket.key
    }
}

/// Jobs this process holds or is claiming. Threads of one process share host and pid, so the NFS
/// "ENOENT but the target exists" rule alone would let two of them both believe they won.
/// Keyed by the job's queued/ path, which names the spool, the queue and the key.
static HELD: Mutex<Option<HashSet<PathBuf>>> = Mutex::new(None);

fn hold(queued: &Path) -> bool {
    HELD.lock().unwrap_or_else(|e| e.into_inner()).get_or_insert_with(HashSet::new).insert(queued.to_path_buf())
}

fn unhold(queued: &Path) {
    if let Some(set) = HELD.lock().unwrap_or_else(|e| e.into_inner()).as_mut() {
        set.remove(queued);
    }
}

impl Drop for Claimed {
    fn drop(&mut self) {
        unhold(&self.queued_path);
    }
}

/// Tickets of a batch written to `tmp/` and not yet linked: (index into the batch, tmp path, file).
/// Whatever is still staged when this is dropped (an error on the way) is removed.
struct StagedTickets {
    out: Vec<Enqueued>,
    staged: Vec<(usize, PathBuf, fs::File)>,
}

impl StagedTickets {
    fn files(&self) -> impl Iterator<Item = (&Path, &fs::File)> {
        self.staged.iter().map(|(_, p, f)| (p.as_path(), f))
    }
}

impl Drop for StagedTickets {
    fn drop(&mut self) {
        self.staged.iter().for_each(|(_, p, _)| drop(fs::remove_file(p)));
    }
}

/// A file in `tmp/` that is removed unless it was moved away (path emptied).
struct TmpFile(PathBuf, Option<fs::File>);

impl Drop for TmpFile {
    fn drop(&mut self) {
        if !self.0.as_os_str().is_empty() {
            let _ = fs::remove_file(&self.0);
        }
    }
}

impl Spool {
    pub fn queued_path(&self, q: Queue, key: &JobKey) -> PathBuf {
        self.state_dir(q, State::Queued).join(key.to_string())
    }

    /// In which state `key` is, if any (in_progress by listing: holders are in the name).
    pub fn locate(&self, q: Queue, key: &JobKey) -> Result<Option<State>> {
        let name = key.to_string();
        for s in [State::Done, State::Failed, State::Queued] {
            if self.state_dir(q, s).join(&name).exists() {
                return Ok(Some(s));
            }
        }
        if self.holders(q)?.iter().any(|(h, _)| h.key == *key) {
            return Ok(Some(State::InProgress));
        }
        Ok(None)
    }

    /// Parsed holders of `in_progress/` (names that do not parse are skipped; recover reports them).
    pub fn holders(&self, q: Queue) -> Result<Vec<(Holder, String)>> {
        let dir = self.state_dir(q, State::InProgress);
        let names = fsx::list(&dir).map_err(io_err("listing", &dir))?;
        Ok(names.into_iter().filter_map(|(n, _)| Holder::parse(&n).map(|h| (h, n))).collect())
    }

    /// Enqueue (protocol step 1): ticket to `tmp/`, fsync, link into `queued/<key>`, unlink the
    /// tmp name, fsync `queued/`. Idempotent: a key already queued, running, done or failed is
    /// left alone.
    pub fn enqueue(&self, ticket: &Ticket) -> Result<Enqueued> {
        Ok(self.enqueue_many(std::slice::from_ref(ticket))?[0])
    }

    /// Enqueue several tickets with one directory fsync per queue (the durability order per ticket
    /// is unchanged: each ticket is fsynced before it is linked; the link is durable when this returns).
    pub fn enqueue_many(&self, tickets: &[Ticket]) -> Result<Vec<Enqueued>> {
        let mut batch = self.stage_tickets(tickets)?;
        // Every ticket is durable before any link makes it visible; fsyncs of a batch run side by
        // side so the filesystem can commit them together.
        if let Err((p, e)) = fsx::sync_all_parallel(batch.files()) {
            return Err(io_err("fsync ticket", &p)(e));
        }
        self.link_tickets(tickets, &mut batch)
    }

    /// Step 1a of enqueue for a batch: each new ticket written to `<queue>/tmp/` (not yet fsynced).
    /// Keys already done, failed or running are answered without staging.
    fn stage_tickets(&self, tickets: &[Ticket]) -> Result<StagedTickets> {
        let mut batch = StagedTickets { out: vec![Enqueued::New; tickets.len()], staged: Vec::new() };
        let mut running: HashMap<Queue, BTreeSet<JobKey>> = HashMap::new();
        for (i, t) in tickets.iter().enumerate() {
            let q = t.queue;
            let name = t.key.to_string();
            if let Some(s) = [State::Done, State::Failed].into_iter().find(|s| self.state_dir(q, *s).join(&name).exists()) {
                batch.out[i] = Enqueued::Already(s);
                continue;
            }
            if !running.contains_key(&q) {
                running.insert(q, self.holders(q)?.into_iter().map(|(h, _)| h.key).collect());
            }
            if running[&q].contains(&t.key) {
                batch.out[i] = Enqueued::Already(State::InProgress);
                continue;
            }
            let tmp = self.tmp_dir(q).join(fsx::unique_name());
            match fsx::write_new(&tmp, &t.to_bytes()) {
                Ok(f) => batch.staged.push((i, tmp, f)),
                Err(e) => {
                    let _ = fs::remove_file(&tmp);
                    return Err(io_err("writing ticket", &tmp)(e));
                }
            }
        }
        Ok(batch)
    }

    /// Step 1b of enqueue for a batch whose files are fsynced: link each into `queued/<key>`
    /// (EEXIST: already queued), drop the tmp names, fsync every touched `queued/` (side by side).
    fn link_tickets(&self, tickets: &[Ticket], batch: &mut StagedTickets) -> Result<Vec<Enqueued>> {
        let mut touched: Vec<PathBuf> = Vec::new();
        for (i, tmp, _) in std::mem::take(&mut batch.staged).iter() {
            let t = &tickets[*i];
            let dst = self.queued_path(t.queue, &t.key);
            let linked = fsx::link_noclobber(tmp, &dst).map_err(io_err("linking ticket", &dst));
            let _ = fs::remove_file(tmp);
            match linked {
                Ok(true) => touched.push(self.state_dir(t.queue, State::Queued)),
                Ok(false) => batch.out[*i] = Enqueued::Already(State::Queued),
                // The rest of the batch is removed by StagedTickets' Drop.
                Err(e) => return Err(e),
            }
        }
        fsx::sync_batch(std::iter::empty(), &touched).map_err(|(p, e)| io_err("fsync", &p)(e))?;
        Ok(std::mem::take(&mut batch.out))
    }

    /// Claim (protocol step 2): rename `queued/<key>` to `in_progress/<key>@host.pid.attempt`.
    /// `Ok(None)`: another worker won. `seen` is the ticket as read before claiming; the content is
    /// read again afterwards because a retry may have replaced the file in between.
    pub fn try_claim(&self, q: Queue, seen: &Ticket) -> Result<Option<Claimed>> {
        let queued = self.queued_path(q, &seen.key);
        if !hold(&queued) {
            return Ok(None);
        }
        let claimed = self.try_claim_held(q, seen);
        if !matches!(claimed, Ok(Some(_))) {
            unhold(&queued);
        }
        claimed
    }

    fn try_claim_held(&self, q: Queue, seen: &Ticket) -> Result<Option<Claimed>> {
        let src = self.queued_path(q, &seen.key);
        let mut holder = Holder { key: seen.key.clone(), host: fsx::hostname().to_string(), pid: std::process::id(), attempt: seen.attempt + 1 };
        let mut dst = self.state_dir(q, State::InProgress).join(holder.file_name());
        // The lease starts here, not when the ticket was queued: see step 2 at the top.
        match fsx::touch(&src) {
            Ok(()) => {}
            Err(e) if fsx::is_not_found(&e) => return Ok(None),
            Err(e) => return Err(io_err("touching before claim", &src)(e)),
        }
        match fs::rename(&src, &dst) {
            Ok(()) => {}
            // On NFS a retransmitted rename can report ENOENT although the first one succeeded:
            // only give up if our target does not exist either.
            Err(e) if fsx::is_not_found(&e) && !dst.exists() => return Ok(None),
            Err(e) if fsx::is_not_found(&e) => {}
            Err(e) => return Err(io_err("claiming", &src)(e)),
        }
        let ticket = match Ticket::read(&dst) {
            Ok(t) => t,
            Err(e) => {
                // Not ours to judge (EIO, a stale handle…): hand it back unspent rather than leave
                // a lease nobody heartbeats. A malformed ticket is quarantined on the next listing.
                let _ = fs::rename(&dst, &src);
                return Err(e);
            }
        };
        if ticket.attempt + 1 != holder.attempt {
            holder.attempt = ticket.attempt + 1;
            let fixed = self.state_dir(q, State::InProgress).join(holder.file_name());
            fs::rename(&dst, &fixed).map_err(io_err("renaming claim", &dst))?;
            dst = fixed;
        }
        Ok(Some(Claimed { queue: q, attempt: holder.attempt, ticket, path: dst, start_unix_ms: now_unix_ms(), queued_path: src }))
    }

    /// Replaces the content of a held in_progress ticket, then moves it to `to` (a state folder
    /// path). Both steps are renames, so the job is in exactly one state at every instant.
    pub(crate) fn rewrite_and_move(&self, q: Queue, held: &Path, ticket: &Ticket, to: &Path) -> Result<()> {
        let tmp = self.tmp_dir(q).join(fsx::unique_name());
        let file = match fsx::write_new(&tmp, &ticket.to_bytes()) {
            Ok(f) => TmpFile(tmp, Some(f)),
            Err(e) => {
                let _ = fs::remove_file(&tmp);
                return Err(io_err("writing ticket", &tmp)(e));
            }
        };
        file.1.as_ref().expect("open").sync_all().map_err(io_err("fsync ticket", &file.0))?;
        self.move_synced(held, file, ticket, to)
    }

    /// The second half of `rewrite_and_move`, for a new content already fsynced in `tmp/`.
    fn move_synced(&self, held: &Path, mut tmp: TmpFile, ticket: &Ticket, to: &Path) -> Result<()> {
        if !held.exists() {
            return Err(SpoolError::LeaseLost { key: ticket.key.to_string(), path: held.to_path_buf() });
        }
        fs::rename(&tmp.0, held).map_err(io_err("rewriting ticket", held))?;
        tmp.1 = None;
        tmp.0 = PathBuf::new();
        fs::rename(held, to).map_err(io_err("moving ticket", held))?;
        let d = to.parent().expect("state folders have a parent");
        fsx::fsync_dir(d).map_err(io_err("fsync", d))
    }

    /// Complete (protocol step 4). The outputs must already be published (durable); this records
    /// them and moves the ticket to `done/`.
    pub fn complete(&self, c: &Claimed, outputs: Vec<OutputRef>) -> Result<()> {
        let t = self.done_ticket(c, outputs);
        let to = self.state_dir(c.queue, State::Done).join(t.key.to_string());
        self.rewrite_and_move(c.queue, &c.path, &t, &to)?;
        unhold(&c.queued_path);
        Ok(())
    }

    fn done_ticket(&self, c: &Claimed, outputs: Vec<OutputRef>) -> Ticket {
        let end = now_unix_ms();
        let mut t = c.ticket.clone();
        t.attempt = c.attempt;
        t.done = Some(DoneRecord {
            host: fsx::hostname().to_string(),
            pid: std::process::id(),
            attempt: c.attempt,
            start_unix_ms: c.start_unix_ms,
            end_unix_ms: end,
            start: rfc3339(c.start_unix_ms),
            end: rfc3339(end),
            outputs,
        });
        t
    }

    /// Complete (protocol step 4) for a job whose outputs were written through an `OutputBatch`,
    /// with its follow-up jobs (step 1 for each of them), in the fewest sequential round trips
    /// that keep the order "outputs, then follow-ups, then done":
    ///
    /// - a. follow-up tickets and the done ticket are written to `tmp/`, then fsynced together (the
    ///   outputs are already durable: `OutputBatch::write` returns only then);
    /// - b. follow-ups are linked into `queued/`, every touched `queued/` fsynced (if any);
    /// - c. the done ticket replaces the in_progress one and is renamed into `done/`; fsync `done/`.
    ///
    /// So a ticket never points at an output that is not durable, and a durable done ticket implies
    /// durable follow-ups. Returns how each follow-up was enqueued.
    pub fn complete_batch(&self, c: &Claimed, outputs: OutputBatch<'_>, follow_ups: &[Ticket]) -> Result<Vec<Enqueued>> {
        let refs = outputs.into_refs();
        let t = self.done_ticket(c, refs);
        let mut batch = self.stage_tickets(follow_ups)?;
        let done_tmp = self.tmp_dir(c.queue).join(fsx::unique_name());
        let done_file = match fsx::write_new(&done_tmp, &t.to_bytes()) {
            Ok(f) => TmpFile(done_tmp, Some(f)),
            Err(e) => {
                let _ = fs::remove_file(&done_tmp);
                return Err(io_err("writing ticket", &done_tmp)(e));
            }
        };
        let files = batch.files().chain(std::iter::once((done_file.0.as_path(), done_file.1.as_ref().expect("open"))));
        // One batch: every ticket's content at once.
        fsx::sync_batch(files, &[]).map_err(|(p, e)| io_err("fsync", &p)(e))?;
        let enqueued = self.link_tickets(follow_ups, &mut batch)?;
        let to = self.state_dir(c.queue, State::Done).join(t.key.to_string());
        self.move_synced(&c.path, done_file, &t, &to)?;
        unhold(&c.queued_path);
        Ok(enqueued)
    }

    /// Fail (protocol step 5): the attempt is spent. With attempts left (and a retryable error) the
    /// ticket goes back to `queued/`; otherwise to `failed/` beside `<key>.err` with the whole chain.
    pub fn fail(&self, c: &Claimed, error_chain: &str, permanent: bool) -> Result<FailOutcome> {
        let mut t = c.ticket.clone();
        t.attempt = c.attempt;
        let first_line = error_chain.lines().next().unwrap_or("").to_string();
        t.errors.push(format!("attempt {} on {}.{} at {}: {first_line}", c.attempt, fsx::hostname(), std::process::id(), rfc3339(now_unix_ms())));
        if !permanent && c.attempt < t.max_attempts {
            self.rewrite_and_move(c.queue, &c.path, &t, &self.queued_path(c.queue, &t.key))?;
            unhold(&c.queued_path);
            return Ok(FailOutcome::Requeued(c.attempt));
        }
        let why = if permanent { "permanent error, not retried" } else { "out of attempts" };
        let text = format!(
            "job {} in queue {} failed on attempt {} of {} ({why})\n{error_chain}\n",
            t.key, c.queue, c.attempt, t.max_attempts
        );
        self.move_to_failed(c.queue, &c.path, &t, &text)?;
        unhold(&c.queued_path);
        Ok(FailOutcome::Failed)
    }

    /// Writes `failed/<key>.err` first, so a failed ticket never lacks its reason.
    pub(crate) fn move_to_failed(&self, q: Queue, held: &Path, t: &Ticket, err_text: &str) -> Result<()> {
        let failed = self.state_dir(q, State::Failed);
        let err_path = failed.join(format!("{}.err", t.key));
        let tmp = self.tmp_dir(q).join(fsx::unique_name());
        fsx::write_new_synced(&tmp, err_text.as_bytes()).map_err(io_err("writing error file", &tmp))?;
        if let Err(e) = fs::rename(&tmp, &err_path) {
            let _ = fs::remove_file(&tmp);
            return Err(io_err("writing error file", &err_path)(e));
        }
        let moved = self.rewrite_and_move(q, held, t, &failed.join(t.key.to_string()));
        if moved.is_err() && held.exists() {
            // The ticket stayed where it was (a full disk, say): no `.err` without its ticket.
            let _ = fs::remove_file(&err_path);
        }
        moved
    }

    /// Clean shutdown: the ticket goes back to `queued/` unchanged — the attempt is not spent.
    pub fn release(&self, c: &Claimed) -> Result<()> {
        let to = self.queued_path(c.queue, c.key());
        fs::rename(&c.path, &to).map_err(io_err("releasing", &c.path))?;
        unhold(&c.queued_path);
        let d = self.state_dir(c.queue, State::Queued);
        fsx::fsync_dir(&d).map_err(io_err("fsync", &d))
    }

    /// Operator's `requeue KEY`: a failed or done ticket goes back to `queued/` with its attempts
    /// reset (its error history kept). Returns the queue and the state it came from.
    pub fn requeue(&self, key: &JobKey, queue: Option<Queue>) -> Result<(Queue, State)> {
        let mut found = Vec::new();
        for q in Queue::ALL.into_iter().filter(|q| queue.is_none_or(|want| want == *q)) {
            for s in [State::Failed, State::Done] {
                if self.state_dir(q, s).join(key.to_string()).exists() {
                    found.push((q, s));
                }
            }
        }
        let (q, s) = match found.as_slice() {
            [] => return Err(SpoolError::NotFound { key: key.to_string(), queue }),
            [one] => *one,
            many => {
                let names: Vec<String> = many.iter().map(|(q, s)| format!("{q}/{s}")).collect();
                return Err(SpoolError::Ambiguous { key: key.to_string(), queues: names.join(", ") });
            }
        };
        let held = self.state_dir(q, s).join(key.to_string());
        let mut t = Ticket::read(&held)?;
        t.attempt = 0;
        t.done = None;
        t.errors.push(format!("requeued by operator from {s} at {}", rfc3339(now_unix_ms())));
        self.rewrite_and_move(q, &held, &t, &self.queued_path(q, key))?;
        let _ = fs::remove_file(self.state_dir(q, State::Failed).join(format!("{key}.err")));
        Ok((q, s))
    }
}

/// Touches a held ticket every `interval` (protocol step 3) until dropped. Notices when the
/// ticket was taken away (a recover judged the lease stale).
pub struct Heartbeat {
    stop: Option<mpsc::Sender<()>>,
    thread: Option<thread::JoinHandle<()>>,
    lost: Arc<AtomicBool>,
}

impl Heartbeat {
    pub fn start(path: PathBuf, interval: Duration) -> Heartbeat {
        let (tx, rx) = mpsc::channel::<()>();
        let lost = Arc::new(AtomicBool::new(false));
        let flag = lost.clone();
        let thread = thread::Builder::new()
            .name("heartbeat".into())
            .spawn(move || {
                while let Err(mpsc::RecvTimeoutError::Timeout) = rx.recv_timeout(interval) {
                    if let Err(e) = fsx::touch(&path) {
                        if fsx::is_not_found(&e) {
                            flag.store(true, Ordering::SeqCst);
                            return;
                        }
                        eprintln!("frispool: heartbeat on {}: {e}", path.display());
                    }
                }
            })
            .expect("spawning heartbeat thread");
        Heartbeat { stop: Some(tx), thread: Some(thread), lost }
    }

    pub fn lost(&self) -> bool {
        self.lost.load(Ordering::SeqCst)
    }
}

impl Drop for Heartbeat {
    fn drop(&mut self) {
        drop(self.stop.take());
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

pub use crate::claim::Claimer;

#[cfg(test)]
#[path = "protocol_tests.rs"]
mod tests;
