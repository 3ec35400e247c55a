//! Low-level filesystem steps of the protocol. Everything durable goes through here so the fsync
//! order is visible in one place.

use std::ffi::CString;
use std::fs::{self, File, OpenOptions};
use std::io::{self, Write};
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::OnceLock;

pub fn hostname() -> &'static str {
    static HOST: OnceLock<String> = OnceLock::new();
    HOST.get_or_init(|| {
        let mut buf = [0u8; 256];
        // SAFETY: the buffer is valid for its length; gethostname NUL-terminates within it or truncates.
        let rc = unsafe { libc::gethostname(buf.as_mut_ptr().cast(), buf.len()) };
        let raw = if rc == 0 {
            let end = buf.iter().position(|&b| b == 0).unwrap_or(buf.len());
            String::from_utf8_lossy(&buf[..end]).into_owned()
        } else {
            "localhost".to_string()
        };
        // The host is part of in_progress names (`key@host.pid.attempt`) and tmp names: keep it a
        // plain token so those names stay parseable.
        let clean: String =
            raw.chars().map(|c| if c.is_ascii_alphanumeric() || c == '-' || c == '.' { c } else { '_' }).collect();
        if clean.is_empty() {
            "localhost".into()
        } else {
            clean
        }
    })
}

/// A name no other writer on any host will pick: `host.pid.counter.nanos`. Recover parses the
/// host and pid back to clean up after dead local writers.
pub fn unique_name() -> String {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    let nanos =
        std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.subsec_nanos()).unwrap_or(0);
    format!("{}.{}.{n}.{nanos}", hostname(), std::process::id())
}

/// Creates `path` (which must not exist), writes `bytes`, and fsyncs the file before closing.
/// On failure the half-written file is removed (a full disk must not leave torn files behind).
pub fn write_new_synced(path: &Path, bytes: &[u8]) -> io::Result<()> {
    write_new(path, bytes)?.sync_all().inspect_err(|_| drop(fs::remove_file(path)))
}

/// Creates `path` (which must not exist) and writes `bytes`, leaving the fsync to the caller.
/// On failure the half-written file is removed.
pub fn write_new(path: &Path, bytes: &[u8]) -> io::Result<File> {
    let mut f = OpenOptions::new().write(true).create_new(true).open(path)?;
    match f.write_all(bytes) {
        Ok(()) => Ok(f),
        Err(e) => {
            drop(f);
            let _ = fs::remove_file(path);
            Err(e)
        }
    }
}

/// fsyncs files concurrently (a few threads), so a batch costs about one journal commit instead
/// of one per file. Returns the first failure with its path.
pub fn sync_all_parallel<'a>(files: impl Iterator<Item = (&'a Path, &'a File)>) -> Result<(), (PathBuf, io::Error)> {
    let files: Vec<(&Path, &File)> = files.collect();
    if files.len() <= 1 {
        return files.first().map_or(Ok(()), |(p, f)| f.sync_all().map_err(|e| (p.to_path_buf(), e)));
    }
    let lanes = files.len().min(16);
    std::thread::scope(|s| {
        let handles: Vec<_> = (0..lanes)
            .map(|lane| {
                let mine: Vec<(&Path, &File)> = files.iter().skip(lane).step_by(lanes).copied().collect();
                s.spawn(move || mine.into_iter().try_for_each(|(p, f)| f.sync_all().map_err(|e| (p.to_path_buf(), e))))
            })
            .collect();
        handles.into_iter().try_for_each(|h| h.join().expect("fsync thread panicked"))
    })
}

pub fn fsync_dir(dir: &Path) -> io::Result<()> {
    File::open(dir)?.sync_all()
}

/// fsyncs files and directories as one batch (side by side, see `sync_all_parallel`): one round
/// trip to the disk instead of one per entry. Duplicate directories are synced once.
pub fn sync_batch<'a>(
    files: impl Iterator<Item = (&'a Path, &'a File)>,
    dirs: &'a [PathBuf],
) -> Result<(), (PathBuf, io::Error)> {
    let mut unique: Vec<&PathBuf> = dirs.iter().collect();
    unique.sort();
    unique.dedup();
    let opened: Vec<(&Path, File)> = unique
        .into_iter()
        .map(|d| File::open(d).map(|f| (d.as_path(), f)).map_err(|e| (d.clone(), e)))
        .collect::<Result<_, _>>()?;
    let mut all: Vec<(&Path, &File)> = files.collect();
    all.extend(opened.iter().map(|(p, f)| (*p, f)));
    sync_all_parallel(all.into_iter())
}

/// `link(src, dst)`; `Ok(false)` when `dst` already exists. Used wherever "no overwrite" matters:
/// link() is atomic and refuses an existing name on local filesystems and NFS alike.
pub fn link_noclobber(src: &Path, dst: &Path) -> io::Result<bool> {
    match fs::hard_link(src, dst) {
        Ok(()) => Ok(true),
        Err(e) if e.kind() == io::ErrorKind::AlreadyExists => Ok(false),
        Err(e) => Err(e),
    }
}

/// Sets mtime to "now" as the file's server sees it (times = NULL), which is what lease checks
/// compare against.
pub fn touch(path: &Path) -> io::Result<()> {
    let c = CString::new(path.as_os_str().as_bytes()).map_err(|e| io::Error::new(io::ErrorKind::InvalidInput, e))?;
    // SAFETY: c is a valid NUL-terminated path; a NULL times pointer means "now".
    let rc = unsafe { libc::utimensat(libc::AT_FDCWD, c.as_ptr(), std::ptr::null(), 0) };
    if rc == 0 {
        Ok(())
    } else {
        Err(io::Error::last_os_error())
    }
}

/// Whether a process with this pid exists on this host (EPERM still means it exists).
pub fn pid_alive(pid: u32) -> bool {
    // SAFETY: signal 0 only checks for existence and permission.
    let rc = unsafe { libc::kill(pid as libc::pid_t, 0) };
    rc == 0 || io::Error::last_os_error().raw_os_error() != Some(libc::ESRCH)
}

pub fn is_not_found(e: &io::Error) -> bool {
    e.kind() == io::ErrorKind::NotFound
}

/// Directory entries as (name, inode), skipping names that are not UTF-8.
pub fn list(dir: &Path) -> io::Result<Vec<(String, u64)>> {
    use std::os::unix::fs::DirEntryExt;
    let mut out = Vec::new();
    for e in fs::read_dir(dir)? {
        let e = e?;
        if let Ok(name) = e.file_name().into_string() {
            out.push((name, e.ino()));
        }
    }
    Ok(out)
}

/// Parses the `host.pid.` prefix of names made by `unique_name` (hosts may contain dots, so the
/// pid is the first all-digit component after at least one host component).
pub fn writer_of(name: &str) -> Option<(String, u32)> {
    let parts: Vec<&str> = name.split('.').collect();
    // host components (maybe dotted), pid, counter, nanos.
    if parts.len() < 4 {
        return None;
    }
    let pid = parts[parts.len() - 3].parse().ok()?;
    Some((parts[..parts.len() - 3].join("."), pid))
}

#[cfg(test)]
mod tests {
    #[test]
    fn unique_names_name_their_writer() {
        let n = super::unique_name();
        let (host, pid) = super::writer_of(&n).unwrap();
        assert_eq!(host, super::hostname());
        assert_eq!(pid, std::process::id());
        assert_eq!(super::writer_of("ticket.json"), None);
    }
}
