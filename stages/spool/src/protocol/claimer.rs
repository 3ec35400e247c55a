//! Which queued job to claim next (claim order, other protocol versions and jobs outside the worker's
//! [`ClaimFilter`] skipped, malformed tickets quarantined). The claim itself is `Spool::try_claim`
//! (protocol step 2).

use std::collections::{BTreeSet, HashMap};
use std::fs;
use std::time::{Duration, Instant};

use super::{ClaimFilter, Claimed};
use crate::error::{io_err, Result};
use crate::fsx;
use crate::key::JobKey;
use crate::layout::Spool;
use crate::queue::{Queue, State};
use crate::ticket::Ticket;

/// Picks the next job of one queue in claim order for one protocol version. Keeps the last listing
/// so a claim costs a rename, not a directory scan; relists when it runs dry or grows old.
pub struct Claimer {
    pub queue: Queue,
    pub protocol: String,
    /// Which jobs this worker takes (rounds, types, memory class); the rest stay queued for others.
    pub filter: ClaimFilter,
    pending: BTreeSet<JobKey>,
    listed_at: Option<Instant>,
    pub relist_every: Duration,
    /// Tickets of other protocol versions, or needing a larger memory class, by name → inode: skipped
    /// without re-reading until replaced (a recover that raises a job's class writes a new file).
    foreign: HashMap<String, u64>,
    /// Malformed tickets moved to failed/ so far.
    pub quarantined: u64,
    /// Jobs this worker would rather take next ([`crate::Handler::claim_preference`]).
    pub prefer: Option<ClaimPreference>,
}

/// Which queued jobs a worker would rather take next: a GPU prover, those whose circuit's setup data is on its
/// device already (Era's prover groups keep their setup loaded the same way).
pub type ClaimPreference = std::sync::Arc<dyn Fn(&JobKey) -> bool + Send + Sync>;

/// How far past the head of the queue a preference looks, among jobs of the head's round and block only: claim
/// order still decides between rounds and blocks, so no round or block waits longer for a worker's taste, and a
/// job passed over is passed over only by jobs of its own round and block, of which there are finitely many.
pub const PREFERENCE_WINDOW: usize = 16;

impl Claimer {
    pub fn new(queue: Queue, protocol: &str) -> Claimer {
        Claimer {
            queue,
            protocol: protocol.to_string(),
            filter: ClaimFilter::default(),
            pending: BTreeSet::new(),
            listed_at: None,
            relist_every: Duration::from_millis(1000),
            foreign: HashMap::new(),
            quarantined: 0,
            prefer: None,
        }
    }

    /// Tells the claimer about a job this process just enqueued in its own queue.
    pub fn hint(&mut self, key: JobKey) {
        self.pending.insert(key);
    }

    /// Forgets the listing, so the next claim rescans (after a wake-up).
    pub fn invalidate(&mut self) {
        self.listed_at = None;
    }

    fn relist(&mut self, spool: &Spool) -> Result<()> {
        let dir = spool.state_dir(&self.queue, State::Queued);
        let names = fsx::list(&dir).map_err(io_err("listing", &dir))?;
        self.pending.clear();
        let mut live = HashMap::new();
        for (name, ino) in names {
            if self.foreign.get(&name) == Some(&ino) {
                live.insert(name, ino);
                continue;
            }
            match name.parse::<JobKey>() {
                // Outside the filter by name alone: not even read (the common case of a specialised fleet).
                Ok(k) if !self.filter.admits_key(&k) => {}
                Ok(k) => {
                    self.pending.insert(k);
                }
                Err(e) => self.quarantine(spool, &name, &e.to_string())?,
            }
        }
        self.foreign = live;
        self.listed_at = Some(Instant::now());
        Ok(())
    }

    /// Claims the next job; `Ok(None)` when nothing claimable is queued.
    pub fn next(&mut self, spool: &Spool) -> Result<Option<Claimed>> {
        let stale = self.listed_at.is_none_or(|t| t.elapsed() >= self.relist_every);
        if stale {
            self.relist(spool)?;
        }
        let mut relisted = stale;
        loop {
            let Some(key) = self.take_next() else {
                if relisted {
                    return Ok(None);
                }
                self.relist(spool)?;
                relisted = true;
                continue;
            };
            if !self.filter.admits_key(&key) {
                continue; // a hint of a follow-up this worker does not take
            }
            let path = spool.queued_path(&self.queue, &key);
            let bytes = match fs::read(&path) {
                Ok(b) => b,
                Err(e) if fsx::is_not_found(&e) => continue,
                Err(e) => return Err(io_err("reading ticket", &path)(e)),
            };
            let seen = match Ticket::parse(&path, &bytes) {
                Ok(t) if t.key == key && t.queue == self.queue => t,
                Ok(t) => {
                    let why = format!("ticket says key {} queue {}, but lies at {}", t.key, t.queue, path.display());
                    self.quarantine(spool, &key.to_string(), &why)?;
                    continue;
                }
                Err(e) => {
                    self.quarantine(spool, &key.to_string(), &crate::error::error_chain(&e))?;
                    continue;
                }
            };
            if seen.protocol != self.protocol || !self.filter.admits_ticket(&seen) {
                use std::os::unix::fs::MetadataExt;
                if let Ok(m) = fs::metadata(&path) {
                    self.foreign.insert(key.to_string(), m.ino());
                }
                continue;
            }
            if let Some(c) = spool.try_claim(&self.queue, &seen)? {
                return Ok(Some(c));
            }
        }
    }

    /// The next key in claim order, or, with a preference and a head it does not prefer, the first preferred
    /// key among the next [`PREFERENCE_WINDOW`] of the head's round and block.
    fn take_next(&mut self) -> Option<JobKey> {
        let head = self.pending.first()?;
        if let Some(prefer) = &self.prefer {
            if !prefer(head) {
                let preferred = self
                    .pending
                    .iter()
                    .take(PREFERENCE_WINDOW)
                    .take_while(|k| k.round == head.round && k.block == head.block)
                    .find(|k| prefer(k))
                    .cloned();
                if let Some(k) = preferred {
                    self.pending.remove(&k);
                    return Some(k);
                }
            }
        }
        self.pending.pop_first()
    }

    /// A ticket that cannot be a job (bad name or content) is claimed and moved to `failed/` with
    /// a `.err` naming it, so it is visible and nothing is silently dropped.
    fn quarantine(&mut self, spool: &Spool, name: &str, reason: &str) -> Result<()> {
        let q = &self.queue;
        let src = spool.state_dir(q, State::Queued).join(name);
        let held =
            spool.state_dir(q, State::InProgress).join(format!("{name}@{}.{}.0", fsx::hostname(), std::process::id()));
        // Fresh mtime, as in a claim, so a recover meanwhile leaves it to us (best-effort: junk
        // may belong to another user).
        let _ = fsx::touch(&src);
        match fs::rename(&src, &held) {
            Ok(()) => {}
            Err(e) if fsx::is_not_found(&e) => return Ok(()),
            Err(e) => return Err(io_err("claiming malformed ticket", &src)(e)),
        }
        let failed = spool.state_dir(q, State::Failed);
        let text =
            format!("malformed ticket {} (queue {q}): {reason}\nthe file is kept as failed/{name}\n", src.display());
        let tmp = spool.tmp_dir(q).join(fsx::unique_name());
        if let Err(e) = fsx::write_new_synced(&tmp, text.as_bytes()) {
            // Put it back for a later try rather than leave it held by nobody.
            let _ = fs::rename(&held, &src);
            return Err(io_err("writing error file", &tmp)(e));
        }
        let err_path = failed.join(format!("{name}.err"));
        fs::rename(&tmp, &err_path).map_err(io_err("writing error file", &err_path))?;
        fs::rename(&held, failed.join(name)).map_err(io_err("moving malformed ticket", &held))?;
        fsx::fsync_dir(&failed).map_err(io_err("fsync", &failed))?;
        eprintln!(
            "frispool: moved malformed ticket {} to failed/: {}",
            src.display(),
            reason.lines().next().unwrap_or("")
        );
        self.quarantined += 1;
        Ok(())
    }
}
