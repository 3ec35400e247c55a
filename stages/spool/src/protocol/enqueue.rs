//! Enqueue (protocol step 1): ticket to `tmp/`, fsync, `link()` into `queued/<key>` (EEXIST: already
//! enqueued), unlink the tmp name, fsync `queued/`. A batch fsyncs all its tickets together, then each
//! touched `queued/` once. A key already queued, running, done or failed is left alone.

use std::collections::{BTreeSet, HashMap};
use std::fs;
use std::path::{Path, PathBuf};

use super::Enqueued;
use crate::error::{io_err, Result};
use crate::fsx;
use crate::key::JobKey;
use crate::layout::Spool;
use crate::queue::{Queue, State};
use crate::ticket::Ticket;

/// Tickets of a batch written to `tmp/` and not yet linked: (index into the batch, tmp path, file).
/// Whatever is still staged when this is dropped (an error on the way) is removed.
pub(super) struct StagedTickets {
    out: Vec<Enqueued>,
    staged: Vec<(usize, PathBuf, fs::File)>,
}

impl StagedTickets {
    pub(super) fn files(&self) -> impl Iterator<Item = (&Path, &fs::File)> {
        self.staged.iter().map(|(_, p, f)| (p.as_path(), f))
    }
}

impl Drop for StagedTickets {
    fn drop(&mut self) {
        self.staged.iter().for_each(|(_, p, _)| drop(fs::remove_file(p)));
    }
}

impl Spool {
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
        if let Err((p, e)) = self.sync(batch.files(), &[]) {
            return Err(io_err("fsync ticket", &p)(e));
        }
        self.link_tickets(tickets, &mut batch)
    }

    /// Step 1a of enqueue for a batch: each new ticket written to `<queue>/tmp/` (not yet fsynced).
    /// Keys already done, failed or running are answered without staging.
    pub(super) fn stage_tickets(&self, tickets: &[Ticket]) -> Result<StagedTickets> {
        let mut batch = StagedTickets { out: vec![Enqueued::New; tickets.len()], staged: Vec::new() };
        let mut running: HashMap<Queue, BTreeSet<JobKey>> = HashMap::new();
        for (i, t) in tickets.iter().enumerate() {
            let q = &t.queue;
            let name = t.key.to_string();
            if let Some(s) =
                [State::Done, State::Failed].into_iter().find(|s| self.state_dir(q, *s).join(&name).exists())
            {
                batch.out[i] = Enqueued::Already(s);
                continue;
            }
            if !running.contains_key(q) {
                running.insert(q.clone(), self.holders(q)?.into_iter().map(|(h, _)| h.key).collect());
            }
            if running[q].contains(&t.key) {
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
    pub(super) fn link_tickets(&self, tickets: &[Ticket], batch: &mut StagedTickets) -> Result<Vec<Enqueued>> {
        let mut touched: Vec<PathBuf> = Vec::new();
        for (i, tmp, _) in std::mem::take(&mut batch.staged).iter() {
            let t = &tickets[*i];
            let dst = self.queued_path(&t.queue, &t.key);
            let linked = fsx::link_noclobber(tmp, &dst).map_err(io_err("linking ticket", &dst));
            let _ = fs::remove_file(tmp);
            match linked {
                Ok(true) => touched.push(self.state_dir(&t.queue, State::Queued)),
                Ok(false) => batch.out[*i] = Enqueued::Already(State::Queued),
                // The rest of the batch is removed by StagedTickets' Drop.
                Err(e) => return Err(e),
            }
        }
        // Step 1's fsync of `queued/`, shared with the process's other threads (step 11).
        self.sync(std::iter::empty(), &touched).map_err(|(p, e)| io_err("fsync", &p)(e))?;
        Ok(std::mem::take(&mut batch.out))
    }
}
