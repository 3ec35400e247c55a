//! Watching for work: filesystem events are only a hint to look sooner; the periodic
//! rescan is the truth (inotify sees nothing another NFS client did).

use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use notify::{RecursiveMode, Watcher};

pub struct Waker {
    rx: mpsc::Receiver<()>,
    _watcher: Option<notify::RecommendedWatcher>,
    rescan: Duration,
}

impl Waker {
    /// Watches `dirs` unless `poll` is set (NFS), in which case only the rescan timer wakes us.
    /// A watcher that cannot start (e.g. inotify limits) degrades to polling with a warning.
    pub fn new(dirs: &[PathBuf], poll: bool, rescan: Duration) -> Waker {
        let (tx, rx) = mpsc::channel();
        let watcher = if poll {
            None
        } else {
            let started = notify::recommended_watcher(move |_ev: notify::Result<notify::Event>| {
                let _ = tx.send(());
            })
            .and_then(|mut w| {
                for d in dirs {
                    w.watch(d, RecursiveMode::NonRecursive)?;
                }
                Ok(w)
            });
            match started {
                Ok(w) => Some(w),
                Err(e) => {
                    eprintln!("frispool: filesystem events unavailable ({e}); polling every {rescan:?}");
                    None
                }
            }
        };
        Waker { rx, _watcher: watcher, rescan }
    }

    /// Sleeps until an event, the rescan period, or `stop`; returns early within ~100 ms of `stop`.
    pub fn wait(&self, stop: &AtomicBool) {
        while self.rx.try_recv().is_ok() {}
        let until = Instant::now() + self.rescan;
        while !stop.load(Ordering::SeqCst) {
            let left = until.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return;
            }
            match self.rx.recv_timeout(left.min(Duration::from_millis(100))) {
                Ok(()) => return,
                Err(mpsc::RecvTimeoutError::Timeout) => {}
                // No watcher: only the timer and the stop flag remain.
                Err(mpsc::RecvTimeoutError::Disconnected) => std::thread::sleep(left.min(Duration::from_millis(100))),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wakes_on_event_before_rescan() {
        let d = tempfile::tempdir().unwrap();
        let w = Waker::new(&[d.path().to_path_buf()], false, Duration::from_secs(30));
        let p = d.path().join("x");
        let t = std::thread::spawn(move || {
            std::thread::sleep(Duration::from_millis(200));
            std::fs::write(p, "x").unwrap();
        });
        let start = Instant::now();
        w.wait(&AtomicBool::new(false));
        assert!(start.elapsed() < Duration::from_secs(10));
        t.join().unwrap();
        let polled = Waker::new(&[], true, Duration::from_millis(150));
        let start = Instant::now();
        polled.wait(&AtomicBool::new(false));
        assert!(start.elapsed() >= Duration::from_millis(140));
    }
}
