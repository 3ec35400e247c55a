//! Heartbeat (protocol step 3): touch the in_progress ticket every lease/3 (times = NULL, so the file
//! server's clock is used); the first lease/3 is covered by the claim's touch.

use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{mpsc, Arc};
use std::thread;
use std::time::Duration;

use crate::fsx;

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
