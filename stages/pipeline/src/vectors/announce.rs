//! How GPU provers find witness-vector generators and the other way round: every serving prover keeps a
//! file `provers/<host>.<pid>.json` in the spool with its address, and touches it every heartbeat. A
//! generator takes only announcements whose last touch is recent on the file server's clock (the seed's
//! availability checker): a prover that died without removing its file stops being chosen within
//! `stale` seconds, and its file is removed by the next generator that sees it long dead.

use std::fs;
use std::io;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use frispool_spool::{write_atomic, Spool};
use serde::{Deserialize, Serialize};

/// Folder of the announcements, under the spool's root.
pub const PROVERS_DIR: &str = "provers";

/// What a serving prover writes about itself.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
pub struct Announcement {
    /// Where generators connect.
    pub addr: SocketAddr,
    pub host: String,
    pub pid: u32,
    /// `gpu` or `cpu`, and the device ordinal of a GPU.
    pub backend: String,
    pub device: usize,
    /// Vectors it proves at once.
    pub slots: usize,
    /// The protocol version of its keys: a generator of another version skips it.
    pub protocol: String,
}

impl Announcement {
    /// The announcement file's name: unique per process on a shared filesystem.
    pub fn file_name(&self) -> String {
        format!("{}.{}.json", self.host, self.pid)
    }
}

pub fn provers_dir(spool: &Spool) -> PathBuf {
    spool.root().join(PROVERS_DIR)
}

/// Writes (or rewrites) `a`'s file; its mtime is the first heartbeat.
pub fn announce(spool: &Spool, a: &Announcement) -> io::Result<PathBuf> {
    let dir = provers_dir(spool);
    fs::create_dir_all(&dir)?;
    let path = dir.join(a.file_name());
    let json = serde_json::to_string_pretty(a).map_err(io::Error::other)?;
    write_atomic(&path, &json).map_err(io::Error::other)?;
    Ok(path)
}

/// One heartbeat: the file written again, so its mtime is now on the file server's clock (setting an mtime
/// explicitly would use this host's clock). A file someone removed comes back.
pub fn heartbeat(spool: &Spool, a: &Announcement) -> io::Result<()> {
    announce(spool, a).map(|_| ())
}

/// The announcements of `protocol` whose heartbeat is younger than `stale` on the file server's clock,
/// freshest first. Files dead ten times longer are removed; unreadable ones are skipped (a prover may be
/// rewriting its file).
pub fn live_provers(spool: &Spool, protocol: &str, stale: Duration) -> io::Result<Vec<Announcement>> {
    let dir = provers_dir(spool);
    let entries = match fs::read_dir(&dir) {
        Ok(e) => e,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(e),
    };
    let now = spool.fs_now().map_err(io::Error::other)?;
    let mut live = Vec::new();
    for entry in entries.flatten() {
        let path = entry.path();
        if path.extension().is_none_or(|e| e != "json") {
            continue;
        }
        let Ok(modified) = entry.metadata().and_then(|m| m.modified()) else { continue };
        let age = now.duration_since(modified).unwrap_or(Duration::ZERO);
        if age > stale * 10 {
            let _ = fs::remove_file(&path);
            continue;
        }
        if age > stale {
            continue;
        }
        let Ok(a) =
            fs::read(&path).map_err(|_| ()).and_then(|b| serde_json::from_slice::<Announcement>(&b).map_err(|_| ()))
        else {
            continue;
        };
        if a.protocol == protocol {
            live.push((age, a));
        }
    }
    live.sort_by_key(|(age, _)| *age);
    Ok(live.into_iter().map(|(_, a)| a).collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::routing::QUEUES;

    fn a(pid: u32, protocol: &str) -> Announcement {
        Announcement {
            addr: "127.0.0.1:7000".parse().unwrap(),
            host: "h".into(),
            pid,
            backend: "gpu".into(),
            device: 0,
            slots: 2,
            protocol: protocol.into(),
        }
    }

    use std::time::SystemTime;

    #[test]
    fn only_fresh_announcements_of_this_protocol_count_and_long_dead_ones_are_removed() {
        let dir = tempfile::tempdir().unwrap();
        let spool = Spool::init(dir.path(), &QUEUES).unwrap();
        let fresh = announce(&spool, &a(1, "v1")).unwrap();
        let stale = announce(&spool, &a(2, "v1")).unwrap();
        let dead = announce(&spool, &a(3, "v1")).unwrap();
        announce(&spool, &a(4, "v2")).unwrap();
        let back = |secs| SystemTime::now() - Duration::from_secs(secs);
        fs::File::options().write(true).open(&stale).unwrap().set_modified(back(20)).unwrap();
        fs::File::options().write(true).open(&dead).unwrap().set_modified(back(1000)).unwrap();

        let live = live_provers(&spool, "v1", Duration::from_secs(10)).unwrap();
        assert_eq!(live, vec![a(1, "v1")]);
        assert!(stale.exists() && !dead.exists());

        // A heartbeat brings the stale one back; one whose file vanished writes it again.
        heartbeat(&spool, &a(2, "v1")).unwrap();
        fs::remove_file(&fresh).unwrap();
        heartbeat(&spool, &a(1, "v1")).unwrap();
        let mut pids: Vec<u32> =
            live_provers(&spool, "v1", Duration::from_secs(10)).unwrap().iter().map(|a| a.pid).collect();
        pids.sort_unstable();
        assert_eq!(pids, vec![1, 2]);
    }
}
