//! The directory layout of a spool. Only this crate builds these paths.

use std::fs;
use std::io;
use std::path::{Path, PathBuf};

use crate::error::{io_err, Result, SpoolError};
use crate::fsx;
use crate::queue::{Queue, State};

pub(crate) const TMP: &str = "tmp";
const KEYS: &str = "keys";
const ARTIFACTS: &str = "artifacts";
/// The empty file at the spool root whose mtime `fs_now` reads: the filesystem's own clock.
pub const CLOCK_PROBE: &str = ".clock-probe";

/// An opened spool: a root folder whose layout has been checked, with the queues of the stages that use it.
#[derive(Clone, Debug)]
pub struct Spool {
    root: PathBuf,
    queues: &'static [Queue],
    /// Whether directory fsyncs go through the process's group committer (step 11); off by default: on this
    /// project's disk it saves directory fsyncs but no measurable time (BENCHMARKS.md, issue 13).
    group_commit: bool,
}

impl Spool {
    /// Every folder a working spool with these queues must have, relative to the root.
    pub fn required_folders(queues: &[Queue]) -> Vec<PathBuf> {
        let mut v = vec![PathBuf::from(KEYS), PathBuf::from(ARTIFACTS), Path::new(ARTIFACTS).join(TMP)];
        for q in queues {
            v.push(Path::new(q.name()).join(TMP));
            for s in State::ALL {
                v.push(Path::new(q.name()).join(s.dir_name()));
            }
        }
        v
    }

    /// Opens an existing spool with the stages' `queues`; a missing folder is a configuration error naming it.
    pub fn open(root: impl Into<PathBuf>, queues: &'static [Queue]) -> Result<Spool> {
        let root = root.into();
        for rel in Self::required_folders(queues) {
            let p = root.join(&rel);
            match fs::metadata(&p) {
                Ok(m) if m.is_dir() => {}
                Ok(_) => return Err(SpoolError::MissingFolder { root, missing: rel }),
                Err(e) if fsx::is_not_found(&e) => return Err(SpoolError::MissingFolder { root, missing: rel }),
                Err(e) => return Err(io_err("checking", &p)(e)),
            }
        }
        Ok(Spool { root, queues, group_commit: false })
    }

    /// Creates the layout with `queues` (idempotent) and opens it.
    pub fn init(root: impl Into<PathBuf>, queues: &'static [Queue]) -> Result<Spool> {
        let root = root.into();
        for rel in Self::required_folders(queues) {
            let p = root.join(rel);
            fs::create_dir_all(&p).map_err(io_err("creating", &p))?;
        }
        for q in queues {
            let p = root.join(q.name());
            fsx::fsync_dir(&p).map_err(io_err("fsync", &p))?;
        }
        fsx::fsync_dir(&root).map_err(io_err("fsync", &root))?;
        let spool = Spool::open(root, queues)?;
        // Allocated now, while there is room, so a worker can record a fault on a full disk.
        let _ = spool.prepare_fault_record();
        Ok(spool)
    }

    /// Turns group commit (ARCHITECTURE.md step 11) on or off for this handle. Off (the default), every
    /// directory fsync is its own, as before issue 13; durability is the same either way.
    pub fn with_group_commit(mut self, on: bool) -> Spool {
        self.group_commit = on;
        self
    }

    pub fn group_commit(&self) -> bool {
        self.group_commit
    }

    /// Makes `files` and `dirs` durable, side by side: the files by this thread, the directories through the
    /// process's group commit (step 11) or, with it off, by this thread too (`fsx::sync_batch`, as before
    /// issue 13). Either way it returns only after fsyncs issued after the caller's changes have returned.
    pub(crate) fn sync<'a>(
        &self,
        files: impl Iterator<Item = (&'a Path, &'a fs::File)>,
        dirs: &'a [PathBuf],
    ) -> std::result::Result<(), (PathBuf, io::Error)> {
        if !self.group_commit {
            return fsx::sync_batch(files, dirs);
        }
        fsx::sync_all_parallel(files)?;
        crate::commit::GroupCommit::global().sync_dirs(dirs)
    }

    pub fn root(&self) -> &Path {
        &self.root
    }

    /// The queues this spool was opened with: what status, recover and requeue go through.
    pub fn queues(&self) -> &'static [Queue] {
        self.queues
    }

    pub fn state_dir(&self, q: &Queue, s: State) -> PathBuf {
        self.root.join(q.name()).join(s.dir_name())
    }

    pub fn tmp_dir(&self, q: &Queue) -> PathBuf {
        self.root.join(q.name()).join(TMP)
    }

    pub fn keys_dir(&self) -> PathBuf {
        self.root.join(KEYS)
    }

    pub fn artifact_tmp_dir(&self) -> PathBuf {
        self.root.join(ARTIFACTS).join(TMP)
    }

    /// `artifacts/b00000042`, relative to the root (tickets store relative paths so a spool can move).
    pub fn block_dir_rel(block: u64) -> PathBuf {
        Path::new(ARTIFACTS).join(format!("b{block:08}"))
    }

    /// The finished tickets of `q` (done/), for reports; tickets that do not parse are skipped.
    pub fn done_tickets(&self, q: &Queue) -> Result<Vec<crate::Ticket>> {
        let dir = self.state_dir(q, State::Done);
        let names = fsx::list(&dir).map_err(io_err("listing", &dir))?;
        Ok(names.into_iter().filter_map(|(n, _)| crate::Ticket::read(&dir.join(n)).ok()).collect())
    }

    /// Blocks that have an artifact folder, ascending.
    pub fn artifact_blocks(&self) -> Result<Vec<u64>> {
        let dir = self.root.join(ARTIFACTS);
        let names = fsx::list(&dir).map_err(io_err("listing", &dir))?;
        let mut out: Vec<u64> =
            names.into_iter().filter_map(|(n, _)| n.strip_prefix('b').and_then(|d| d.parse().ok())).collect();
        out.sort_unstable();
        Ok(out)
    }

    /// A path inside the spool from its relative form; refuses paths that escape the root.
    pub fn resolve(&self, rel: &str) -> Result<PathBuf> {
        let p = Path::new(rel);
        if p.is_absolute() || p.components().any(|c| matches!(c, std::path::Component::ParentDir)) {
            return Err(SpoolError::Config(format!("path `{rel}` must be relative to the spool and stay inside it")));
        }
        Ok(self.root.join(p))
    }

    /// The filesystem's own idea of "now": touch a probe file and read its mtime back. Lease ages
    /// are measured against this so hosts with skewed clocks judge leases alike.
    pub fn fs_now(&self) -> Result<std::time::SystemTime> {
        let probe = self.root.join(CLOCK_PROBE);
        let touched = match fsx::touch(&probe) {
            Err(e) if fsx::is_not_found(&e) => fs::OpenOptions::new()
                .create(true)
                .truncate(false)
                .write(true)
                .open(&probe)
                .map(|_| ())
                .and_then(|_| fsx::touch(&probe)),
            r => r,
        };
        touched.map_err(io_err("touching clock probe", &probe))?;
        fs::metadata(&probe).and_then(|m| m.modified()).map_err(io_err("reading clock probe", &probe))
    }
}

pub(crate) fn mtime(path: &Path) -> io::Result<std::time::SystemTime> {
    fs::metadata(path)?.modified()
}

#[cfg(test)]
mod tests {
    use super::*;

    const PROVE: Queue = Queue::named("prove");
    const WVG: Queue = Queue::named("wvg");
    static QUEUES: [Queue; 2] = [PROVE, WVG];

    #[test]
    fn init_then_open_and_missing_folder_is_named() {
        let dir = tempfile::tempdir().unwrap();
        let spool = Spool::init(dir.path(), &QUEUES).unwrap();
        assert!(spool.state_dir(&PROVE, State::InProgress).is_dir());
        fs::remove_dir(spool.state_dir(&WVG, State::Done)).unwrap();
        let e = Spool::open(dir.path(), &QUEUES).unwrap_err();
        assert!(e.to_string().contains("wvg/done"), "{e}");
        assert_eq!(e.exit_code(), crate::exit::USAGE);
    }

    #[test]
    fn resolve_refuses_escapes() {
        let dir = tempfile::tempdir().unwrap();
        let spool = Spool::init(dir.path(), &QUEUES).unwrap();
        assert!(spool.resolve("../etc/passwd").is_err());
        assert!(spool.resolve("/etc/passwd").is_err());
        assert!(spool.resolve("artifacts/b00000001/x").is_ok());
        assert!(spool.fs_now().is_ok());
    }
}
