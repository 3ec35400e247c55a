//! Claim (protocol step 2): touch `queued/<key>` (times = NULL: the file server's clock; ENOENT: another
//! worker won), then `rename(queued/<key>, in_progress/<key>@host.pid.attempt)`. The touch starts the
//! lease: a rename keeps the mtime, so without it the in_progress name would carry the time the job
//! waited in the queue, and a recover before the first heartbeat would judge a live lease stale.

use std::fs;

use super::{hold, unhold, Claimed, Holder};
use crate::clock::now_unix_ms;
use crate::error::{io_err, Result};
use crate::fsx;
use crate::layout::Spool;
use crate::queue::{Queue, State};
use crate::ticket::Ticket;

impl Spool {
    /// Claim (protocol step 2): rename `queued/<key>` to `in_progress/<key>@host.pid.attempt`.
    /// `Ok(None)`: another worker won. `seen` is the ticket as read before claiming; the content is
    /// read again afterwards because a retry may have replaced the file in between.
    pub fn try_claim(&self, q: &Queue, seen: &Ticket) -> Result<Option<Claimed>> {
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

    fn try_claim_held(&self, q: &Queue, seen: &Ticket) -> Result<Option<Claimed>> {
        let src = self.queued_path(q, &seen.key);
        let mut holder = Holder {
            key: seen.key.clone(),
            host: fsx::hostname().to_string(),
            pid: std::process::id(),
            attempt: seen.attempt + 1,
        };
        let mut dst = self.state_dir(q, State::InProgress).join(holder.file_name());
        // The lease starts here, not when the ticket was queued (see the module comment).
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
        Ok(Some(Claimed {
            queue: q.clone(),
            attempt: holder.attempt,
            ticket,
            path: dst,
            start_unix_ms: now_unix_ms(),
            queued_path: src,
        }))
    }
}
