//! How a held job ends: complete (protocol steps 4–6), fail (step 7), release (step 8), and the operator's
//! requeue of a failed or done job. Each state change is a rename over the held name, then a rename into
//! the target folder, so the job is in exactly one state at every instant.

use std::fs;
use std::path::{Path, PathBuf};

use super::{unhold, Claimed, Enqueued, FailOutcome};
use crate::artifact::OutputBatch;
use crate::clock::{now_unix_ms, rfc3339};
use crate::error::{io_err, Result, SpoolError};
use crate::fsx;
use crate::key::JobKey;
use crate::layout::Spool;
use crate::queue::{Queue, State};
use crate::ticket::{DoneRecord, OutputRef, Ticket};

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
    /// Replaces the content of a held in_progress ticket, then moves it to `to` (a state folder
    /// path). Both steps are renames, so the job is in exactly one state at every instant.
    pub(crate) fn rewrite_and_move(&self, q: &Queue, held: &Path, ticket: &Ticket, to: &Path) -> Result<()> {
        let tmp = self.tmp_dir(q).join(fsx::unique_name());
        let file = match fsx::write_new(&tmp, &ticket.to_bytes()) {
            Ok(f) => TmpFile(tmp, Some(f)),
            Err(e) => {
                let _ = fs::remove_file(&tmp);
                return Err(io_err("writing ticket", &tmp)(e));
            }
        };
        let f = file.1.as_ref().expect("open");
        self.sync(std::iter::once((file.0.as_path(), f)), &[]).map_err(|(p, e)| io_err("fsync ticket", &p)(e))?;
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
        let d = to.parent().expect("state folders have a parent").to_path_buf();
        // Step 6 (or 7): the target folder's fsync, shared with the process's other threads (step 11).
        self.sync(std::iter::empty(), std::slice::from_ref(&d)).map_err(|(p, e)| io_err("fsync", &p)(e))
    }

    /// Complete (protocol steps 5–6) with no follow-ups. The outputs must already be published (durable,
    /// step 4); this records them and moves the ticket to `done/`.
    pub fn complete(&self, c: &Claimed, outputs: Vec<OutputRef>) -> Result<()> {
        let t = self.done_ticket(c, outputs);
        let to = self.state_dir(&c.queue, State::Done).join(t.key.to_string());
        self.rewrite_and_move(&c.queue, &c.path, &t, &to)?;
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

    /// Complete (protocol steps 5–6) a job whose outputs were written through an `OutputBatch` (durable
    /// already: step 4), with its follow-up jobs. Returns how each follow-up was enqueued.
    pub fn complete_batch(
        &self,
        c: &Claimed,
        outputs: OutputBatch<'_>,
        follow_ups: &[Ticket],
    ) -> Result<Vec<Enqueued>> {
        let refs = outputs.into_refs();
        let t = self.done_ticket(c, refs);
        let mut batch = self.stage_tickets(follow_ups)?;
        let done_tmp = self.tmp_dir(&c.queue).join(fsx::unique_name());
        let done_file = match fsx::write_new(&done_tmp, &t.to_bytes()) {
            Ok(f) => TmpFile(done_tmp, Some(f)),
            Err(e) => {
                let _ = fs::remove_file(&done_tmp);
                return Err(io_err("writing ticket", &done_tmp)(e));
            }
        };
        let files = batch.files().chain(std::iter::once((done_file.0.as_path(), done_file.1.as_ref().expect("open"))));
        // One batch: every ticket's content at once.
        self.sync(files, &[]).map_err(|(p, e)| io_err("fsync", &p)(e))?;
        let enqueued = self.link_tickets(follow_ups, &mut batch)?;
        let to = self.state_dir(&c.queue, State::Done).join(t.key.to_string());
        self.move_synced(&c.path, done_file, &t, &to)?;
        unhold(&c.queued_path);
        Ok(enqueued)
    }

    /// Fail (protocol step 7): the attempt is spent. With attempts left (and a retryable error) the
    /// ticket goes back to `queued/`; otherwise to `failed/` beside `<key>.err` with the whole chain.
    pub fn fail(&self, c: &Claimed, error_chain: &str, permanent: bool) -> Result<FailOutcome> {
        let mut t = c.ticket.clone();
        t.attempt = c.attempt;
        let first_line = error_chain.lines().next().unwrap_or("").to_string();
        t.errors.push(format!(
            "attempt {} on {}.{} at {}: {first_line}",
            c.attempt,
            fsx::hostname(),
            std::process::id(),
            rfc3339(now_unix_ms())
        ));
        if !permanent && c.attempt < t.max_attempts {
            self.rewrite_and_move(&c.queue, &c.path, &t, &self.queued_path(&c.queue, &t.key))?;
            unhold(&c.queued_path);
            return Ok(FailOutcome::Requeued(c.attempt));
        }
        let why = if permanent { "permanent error, not retried" } else { "out of attempts" };
        let text = format!(
            "job {} in queue {} failed on attempt {} of {} ({why})\n{error_chain}\n",
            t.key, c.queue, c.attempt, t.max_attempts
        );
        self.move_to_failed(&c.queue, &c.path, &t, &text)?;
        unhold(&c.queued_path);
        Ok(FailOutcome::Failed)
    }

    /// Writes `failed/<key>.err` first, so a failed ticket never lacks its reason.
    pub(crate) fn move_to_failed(&self, q: &Queue, held: &Path, t: &Ticket, err_text: &str) -> Result<()> {
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

    /// Release (protocol step 8): the ticket goes back to `queued/` unchanged — the attempt is not spent.
    pub fn release(&self, c: &Claimed) -> Result<()> {
        let to = self.queued_path(&c.queue, c.key());
        fs::rename(&c.path, &to).map_err(io_err("releasing", &c.path))?;
        unhold(&c.queued_path);
        let d = self.state_dir(&c.queue, State::Queued);
        self.sync(std::iter::empty(), std::slice::from_ref(&d)).map_err(|(p, e)| io_err("fsync", &p)(e))
    }

    /// Operator's `requeue KEY`: a failed or done ticket goes back to `queued/` with its attempts
    /// reset (its error history kept). Returns the queue and the state it came from.
    pub fn requeue(&self, key: &JobKey, queue: Option<&Queue>) -> Result<(Queue, State)> {
        let mut found = Vec::new();
        for q in self.queues().iter().filter(|q| queue.is_none_or(|want| want == *q)) {
            for s in [State::Failed, State::Done] {
                if self.state_dir(q, s).join(key.to_string()).exists() {
                    found.push((q, s));
                }
            }
        }
        let (q, s) = match found.as_slice() {
            [] => return Err(SpoolError::NotFound { key: key.to_string(), queue: queue.cloned() }),
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
        Ok((q.clone(), s))
    }
}
