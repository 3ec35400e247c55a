//! Infrastructure faults: errors that come from the filesystem (or the network under it), not
//! from the job. A full disk, a quota, EIO, a read-only remount, a stale NFS handle, a dead
//! server or a vanished mount say nothing about the job's inputs, so they must never spend an
//! attempt: the runner hands the ticket back unchanged and backs off (`runner`), and
//! `frispool status` shows the condition (free space by statvfs, which needs no write, and the
//! last fault a worker could record).
//!
//! Classification is typed: the errno of the `io::Error` somewhere in the source chain (or its
//! `ErrorKind` when there is no errno), never the text of a message.

use std::error::Error as StdError;
use std::ffi::CString;
use std::fs::{self, OpenOptions};
use std::io;
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::FileExt;
use std::path::Path;
use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::clock::{now_unix_ms, rfc3339};
use crate::fsx;
use crate::layout::Spool;

/// What went wrong under the job. The names are in the fault record on disk: keep them.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum InfraFault {
    /// ENOSPC: the filesystem is full (blocks or inodes).
    NoSpace,
    /// EDQUOT: a user or project quota is exhausted.
    Quota,
    /// EIO, EREMOTEIO: the device or the file server failed the operation.
    Io,
    /// EROFS: the filesystem went read-only (ext4 does this after errors).
    ReadOnly,
    /// ESTALE: an NFS handle no longer names a file on the server (a server restart, an export change).
    Stale,
    /// ENOTCONN, ENETDOWN, ENETUNREACH, EHOSTDOWN, EHOSTUNREACH, ENOLINK, ECOMM, ESHUTDOWN: a
    /// network filesystem lost its server.
    Disconnected,
    /// ETIMEDOUT: a network filesystem's request timed out (soft mounts).
    TimedOut,
    /// ENODEV, ENXIO, or the spool's folders gone from under the worker: the mount vanished.
    Vanished,
}

impl InfraFault {
    pub fn of_errno(n: i32) -> Option<InfraFault> {
        use InfraFault::*;
        Some(match n {
            libc::ENOSPC => NoSpace,
            libc::EDQUOT => Quota,
            libc::EIO | libc::EREMOTEIO => Io,
            libc::EROFS => ReadOnly,
            libc::ESTALE => Stale,
            libc::ENOTCONN
            | libc::ENETDOWN
            | libc::ENETUNREACH
            | libc::EHOSTDOWN
            | libc::EHOSTUNREACH
            | libc::ENOLINK
            | libc::ECOMM
            | libc::ESHUTDOWN => Disconnected,
            libc::ETIMEDOUT => TimedOut,
            libc::ENODEV | libc::ENXIO => Vanished,
            _ => return None,
        })
    }

    /// The fault an I/O error stands for: its errno when it has one, else its kind.
    pub fn of_io(e: &io::Error) -> Option<InfraFault> {
        if let Some(n) = e.raw_os_error() {
            return InfraFault::of_errno(n);
        }
        use io::ErrorKind as K;
        Some(match e.kind() {
            K::StorageFull => InfraFault::NoSpace,
            K::QuotaExceeded => InfraFault::Quota,
            K::ReadOnlyFilesystem => InfraFault::ReadOnly,
            K::StaleNetworkFileHandle => InfraFault::Stale,
            K::NotConnected | K::NetworkDown | K::NetworkUnreachable | K::HostUnreachable => InfraFault::Disconnected,
            K::TimedOut => InfraFault::TimedOut,
            _ => return None,
        })
    }

    /// The first infrastructure fault in an error's source chain (`SpoolError::Io`,
    /// `ArtifactProblem::Io` and handlers' `because` all carry the `io::Error` as a source).
    pub fn in_chain(err: &(dyn StdError + 'static)) -> Option<InfraFault> {
        let mut cur = Some(err);
        while let Some(e) = cur {
            if let Some(f) = e.downcast_ref::<io::Error>().and_then(InfraFault::of_io) {
                return Some(f);
            }
            cur = e.source();
        }
        None
    }

    pub fn describe(self) -> &'static str {
        match self {
            InfraFault::NoSpace => "no space left on the spool's filesystem",
            InfraFault::Quota => "disk quota exceeded",
            InfraFault::Io => "I/O error from the device or file server",
            InfraFault::ReadOnly => "filesystem is read-only",
            InfraFault::Stale => "stale network file handle",
            InfraFault::Disconnected => "file server unreachable",
            InfraFault::TimedOut => "file server timed out",
            InfraFault::Vanished => "spool folders vanished (mount gone?)",
        }
    }
}

impl std::fmt::Display for InfraFault {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.describe())
    }
}

/// Exponential back-off between attempts to get past an infrastructure fault, capped.
#[derive(Clone, Debug)]
pub struct Backoff {
    base: Duration,
    cap: Duration,
    next: Duration,
}

impl Backoff {
    pub fn new(base: Duration, cap: Duration) -> Backoff {
        let base = base.max(Duration::from_millis(10));
        Backoff { base, cap: cap.max(base), next: base }
    }

    /// The wait before the next try; each call doubles the one after, up to the cap.
    pub fn step(&mut self) -> Duration {
        let now = self.next;
        self.next = (self.next * 2).min(self.cap);
        now
    }

    pub fn reset(&mut self) {
        self.next = self.base;
    }
}

/// Space left on the spool's filesystem (statvfs: no write needed, so it works on a full disk).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct FsSpace {
    pub size_bytes: u64,
    /// Bytes an unprivileged writer can still use.
    pub avail_bytes: u64,
    pub inodes: u64,
    pub avail_inodes: u64,
    pub read_only: bool,
}

/// How close to full the spool is: FULL means writes fail now or very soon.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum SpaceLevel {
    Ok,
    Low,
    Full,
}

impl FsSpace {
    pub fn of(path: &Path) -> io::Result<FsSpace> {
        let c =
            CString::new(path.as_os_str().as_bytes()).map_err(|e| io::Error::new(io::ErrorKind::InvalidInput, e))?;
        // SAFETY: c is NUL-terminated; st is plain old data that statvfs fills in.
        let mut st: libc::statvfs = unsafe { std::mem::zeroed() };
        if unsafe { libc::statvfs(c.as_ptr(), &mut st) } != 0 {
            return Err(io::Error::last_os_error());
        }
        let frsize = st.f_frsize as u64;
        Ok(FsSpace {
            size_bytes: st.f_blocks as u64 * frsize,
            avail_bytes: st.f_bavail as u64 * frsize,
            inodes: st.f_files as u64,
            avail_inodes: st.f_favail as u64,
            read_only: st.f_flag & libc::ST_RDONLY != 0,
        })
    }

    /// FULL below 2% free (at most 64 MiB: a proof is far smaller), or no inode, or read-only;
    /// LOW below 10% free (at most 1 GiB) or 1% of the inodes.
    pub fn level(&self) -> SpaceLevel {
        let (size, avail) = (self.size_bytes, self.avail_bytes);
        let inodes_out = self.inodes > 0 && self.avail_inodes == 0;
        if self.read_only || inodes_out || avail < (size / 50).min(64 << 20) {
            SpaceLevel::Full
        } else if avail < (size / 10).min(1 << 30) || (self.inodes > 0 && self.avail_inodes < self.inodes / 100) {
            SpaceLevel::Low
        } else {
            SpaceLevel::Ok
        }
    }
}

/// The fault record's file at the spool root. It is allocated once at its full size and then
/// always overwritten in place, so a worker can still record a fault when the disk is full
/// (an in-place write needs no new block; not so on copy-on-write filesystems, where the record
/// is best-effort like everywhere else). Its content is always JSON padded with spaces (`{}`
/// before the first fault), so `cat`, `jq` and `frispool inspect` read it as it is.
pub const FAULT_RECORD: &str = ".infra-fault";
const RECORD_LEN: usize = 4096;
const NO_FAULT: &[u8] = b"{}\n";

fn padded(mut bytes: Vec<u8>) -> Vec<u8> {
    bytes.resize(RECORD_LEN, b' ');
    bytes
}

/// The last infrastructure fault a worker met, and whether it got past it since.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct FaultRecord {
    pub fault: InfraFault,
    pub errno: Option<i32>,
    pub at_unix_ms: u64,
    pub at: String,
    pub host: String,
    pub pid: u32,
    pub queue: Option<String>,
    pub job: Option<String>,
    /// The error chain, shortened to fit the record.
    pub error: String,
    /// When the same worker next finished a job (the fault is over for it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cleared_unix_ms: Option<u64>,
}

impl FaultRecord {
    pub fn new(
        fault: InfraFault,
        err: &(dyn StdError + 'static),
        queue: Option<String>,
        job: Option<String>,
    ) -> FaultRecord {
        let at = now_unix_ms();
        let mut cur = Some(err);
        let mut errno = None;
        while let (Some(e), None) = (cur, errno) {
            errno = e.downcast_ref::<io::Error>().and_then(io::Error::raw_os_error);
            cur = e.source();
        }
        let mut error = crate::error::error_chain(err);
        if error.len() > RECORD_LEN / 2 {
            let mut cut = RECORD_LEN / 2;
            while !error.is_char_boundary(cut) {
                cut -= 1;
            }
            error.truncate(cut);
        }
        FaultRecord {
            fault,
            errno,
            at_unix_ms: at,
            at: rfc3339(at),
            host: fsx::hostname().to_string(),
            pid: std::process::id(),
            queue,
            job,
            error,
            cleared_unix_ms: None,
        }
    }
}

impl Spool {
    /// Makes sure the fault record's file exists at its full size while there is room, so a
    /// later fault can be recorded in place. Best-effort: a failure only costs the record.
    pub fn prepare_fault_record(&self) -> io::Result<()> {
        let path = self.root().join(FAULT_RECORD);
        if fs::metadata(&path).is_ok_and(|m| m.len() >= RECORD_LEN as u64) {
            return Ok(());
        }
        let tmp = self.root().join(format!(".{FAULT_RECORD}.{}", fsx::unique_name()));
        fsx::write_new_synced(&tmp, &padded(NO_FAULT.to_vec()))?;
        // link, not rename: a record another worker wrote meanwhile stays.
        let linked = fsx::link_noclobber(&tmp, &path);
        let _ = fs::remove_file(&tmp);
        linked.map(|_| ())
    }

    /// Overwrites the fault record in place (see `FAULT_RECORD`). Best-effort.
    pub fn write_fault_record(&self, r: &FaultRecord) -> io::Result<()> {
        let mut bytes = serde_json::to_vec(r).map_err(io::Error::other)?;
        bytes.push(b'\n');
        let bytes = padded(bytes);
        let f = OpenOptions::new().write(true).open(self.root().join(FAULT_RECORD))?;
        f.write_all_at(&bytes, 0)?;
        f.sync_data()
    }

    /// When the fault record was last written (`None`: it cannot be read): a worker that finished a job
    /// compares it with what it saw last, one stat instead of a read per job.
    pub fn fault_record_stamp(&self) -> Option<std::time::SystemTime> {
        fs::metadata(self.root().join(FAULT_RECORD)).and_then(|m| m.modified()).ok()
    }

    /// The last recorded fault: `Ok(None)` when none was ever recorded.
    pub fn read_fault_record(&self) -> io::Result<Option<FaultRecord>> {
        let bytes = match fs::read(self.root().join(FAULT_RECORD)) {
            Ok(b) => b,
            Err(e) if fsx::is_not_found(&e) => return Ok(None),
            Err(e) => return Err(e),
        };
        let text = String::from_utf8_lossy(&bytes);
        let text = text.trim();
        if text.is_empty() || text.as_bytes() == NO_FAULT.trim_ascii() {
            return Ok(None);
        }
        serde_json::from_str(text).map(Some).map_err(|e| io::Error::new(io::ErrorKind::InvalidData, e))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn errnos_and_kinds_classify_and_chains_are_walked() {
        assert_eq!(InfraFault::of_io(&io::Error::from_raw_os_error(libc::ENOSPC)), Some(InfraFault::NoSpace));
        assert_eq!(InfraFault::of_io(&io::Error::from_raw_os_error(libc::ESTALE)), Some(InfraFault::Stale));
        assert_eq!(InfraFault::of_io(&io::Error::from_raw_os_error(libc::ENOENT)), None);
        assert_eq!(InfraFault::of_io(&io::Error::from(io::ErrorKind::StorageFull)), Some(InfraFault::NoSpace));
        // A handler's own message that merely mentions the disk is not a fault.
        assert_eq!(InfraFault::of_io(&io::Error::other("No space left on device")), None);
        let e = crate::error::SpoolError::Io {
            op: "writing",
            path: "x".into(),
            source: io::Error::from_raw_os_error(libc::EDQUOT),
        };
        assert_eq!(InfraFault::in_chain(&e), Some(InfraFault::Quota));
    }

    #[test]
    fn backoff_doubles_up_to_the_cap() {
        let mut b = Backoff::new(Duration::from_millis(100), Duration::from_millis(350));
        let got: Vec<u128> = (0..4).map(|_| b.step().as_millis()).collect();
        assert_eq!(got, [100, 200, 350, 350]);
        b.reset();
        assert_eq!(b.step(), Duration::from_millis(100));
    }

    #[test]
    fn levels_and_the_record_round_trips() {
        let s =
            FsSpace { size_bytes: 100 << 30, avail_bytes: 10 << 20, inodes: 1000, avail_inodes: 500, read_only: false };
        assert_eq!(s.level(), SpaceLevel::Full);
        assert_eq!(FsSpace { avail_bytes: 500 << 20, ..s.clone() }.level(), SpaceLevel::Low);
        assert_eq!(FsSpace { avail_bytes: 50 << 30, ..s.clone() }.level(), SpaceLevel::Ok);
        assert_eq!(FsSpace { avail_bytes: 50 << 30, avail_inodes: 0, ..s }.level(), SpaceLevel::Full);
        let d = tempfile::tempdir().unwrap();
        let spool = Spool::init(d.path(), &[]).unwrap();
        assert!(FsSpace::of(d.path()).unwrap().size_bytes > 0);
        assert_eq!(spool.read_fault_record().unwrap(), None);
        let fresh: serde_json::Value = serde_json::from_slice(&fs::read(d.path().join(FAULT_RECORD)).unwrap()).unwrap();
        assert_eq!(fresh, serde_json::json!({}), "JSON before the first fault too");
        let e = io::Error::from_raw_os_error(libc::ENOSPC);
        let mut r = FaultRecord::new(InfraFault::NoSpace, &e, Some("prove".into()), None);
        assert_eq!(r.errno, Some(libc::ENOSPC));
        spool.write_fault_record(&r).unwrap();
        r.cleared_unix_ms = Some(1);
        spool.write_fault_record(&r).unwrap();
        assert_eq!(spool.read_fault_record().unwrap(), Some(r));
        assert_eq!(fs::metadata(d.path().join(FAULT_RECORD)).unwrap().len(), RECORD_LEN as u64);
    }
}
