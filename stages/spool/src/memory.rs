//! Memory deaths: telling, after the fact, that a worker died of memory while it held a job, so the job
//! is claimed from then on only by workers of a larger `--memory-class` (Linea's `.large` requests).
//!
//! A worker that dies leaves nothing but its lease, so it leaves evidence beside the lease while it lives,
//! in its queue's `tmp/` under the held ticket's name (`<key>@<host>.<pid>.<attempt>`):
//!
//! - `.oom`, written by the allocator when an allocation fails (Rust then aborts: `handle_alloc_error`), for
//!   every job the process holds (`--workers N` holds up to N, and the abort ends them all).
//!   [`OomMarking`] is the global allocator of the worker binaries: the system allocator, plus, on a null
//!   return, one `open(2)`/`write(2)` of a path and text prepared at claim — nothing that allocates.
//!   `ulimit -v` / `prlimit --as`, an overcommit limit or a container without swap end a worker this way.
//! - `.mem`, written at claim when the worker runs in a memory cgroup with a limit (Slurm's job cgroup,
//!   a systemd scope, a container): the cgroup and its `oom_kill` count then. The OOM killer's SIGKILL
//!   leaves no chance to write anything; a dead holder whose cgroup's `oom_kill` count has grown since was
//!   killed for memory (unless another process of the same cgroup was: one worker per cgroup is exact).
//!
//! `recover` reads both for a dead lease ([`memory_death`]); the runner removes them when the job ends.
//! Without a memory cgroup limit, an OOM kill by the whole machine's killer is not told apart from any
//! other SIGKILL: the job is requeued like any dead lease.

use std::alloc::{GlobalAlloc, Layout, System};
use std::ffi::CString;
use std::fs;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicPtr, AtomicUsize, Ordering};
use std::sync::OnceLock;

/// What the allocator writes on failure: prepared at claim, so the failure path allocates nothing.
struct Mark {
    path: CString,
    text: Vec<u8>,
}

/// One slot per job held by this process (a process with `--workers N` holds up to N at once). A failed
/// allocation ends the whole process, so it marks every held job: the cgroup note does the same, since
/// every job's note sees the one OOM kill.
const SLOTS: usize = 1024;
static MARKS: [AtomicPtr<Mark>; SLOTS] = [const { AtomicPtr::new(std::ptr::null_mut()) }; SLOTS];
/// Allocation failures reading MARKS right now: a Mark swapped out is freed only once none is.
static READING: AtomicUsize = AtomicUsize::new(0);
/// Whether a slot's mark was written since its job started: only then does its end unlink one (on NFS an
/// unlink of a name that is not there still costs a round trip per job).
static MARKED: [AtomicBool; SLOTS] = [const { AtomicBool::new(false) }; SLOTS];

/// The global allocator of the worker binaries (`#[global_allocator]` in `bin/cli.rs`): the system's,
/// leaving a `.oom` mark for the held job when an allocation fails.
pub struct OomMarking;

// SAFETY: every call goes to `System` unchanged; on a null return the mark is written with raw syscalls
// (no allocation) and the null is passed on.
unsafe impl GlobalAlloc for OomMarking {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let p = System.alloc(layout);
        if p.is_null() {
            failed(layout.size());
        }
        p
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        let p = System.alloc_zeroed(layout);
        if p.is_null() {
            failed(layout.size());
        }
        p
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        System.dealloc(ptr, layout)
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        let p = System.realloc(ptr, layout, new_size);
        if p.is_null() {
            failed(new_size);
        }
        p
    }
}

/// Writes the held job's mark. A fallible allocation (`try_reserve`) that the job survives leaves a mark
/// too; it is removed with the job's other evidence when the job ends, so only a death reads it.
fn failed(size: usize) {
    READING.fetch_add(1, Ordering::SeqCst);
    write_mark(size);
    READING.fetch_sub(1, Ordering::SeqCst);
}

fn write_mark(size: usize) {
    for (slot, marked) in MARKS.iter().zip(&MARKED) {
        let m = slot.load(Ordering::SeqCst);
        if !m.is_null() {
            write_one(m, size, marked);
        }
    }
}

fn write_one(m: *mut Mark, size: usize, marked: &AtomicBool) {
    // SAFETY: a Mark swapped out of MARKS is freed only after READING drops to zero (`free`), and we are
    // counted in READING from before the load.
    let m = unsafe { &*m };
    let mut digits = [0u8; 20];
    let mut n = size;
    let mut i = digits.len();
    loop {
        i -= 1;
        digits[i] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    // SAFETY: plain syscalls on a NUL-terminated path and live buffers.
    unsafe {
        let fd = libc::open(m.path.as_ptr(), libc::O_WRONLY | libc::O_CREAT | libc::O_TRUNC | libc::O_CLOEXEC, 0o644);
        if fd >= 0 {
            libc::write(fd, m.text.as_ptr().cast(), m.text.len());
            libc::write(fd, digits[i..].as_ptr().cast(), digits.len() - i);
            libc::write(fd, b" bytes failed\n".as_ptr().cast(), 14);
            libc::close(fd);
            marked.store(true, Ordering::SeqCst);
        }
    }
}

/// The evidence a claimed job leaves while it runs; dropping it (the job ended, however) removes it.
pub(crate) struct Evidence {
    mark: PathBuf,
    /// The job's slot in MARKS; `None` when every slot was taken (no mark then).
    slot: Option<usize>,
    note: Option<PathBuf>,
}

impl Evidence {
    /// Prepares the `.oom` mark and writes the `.mem` note (when in a limited memory cgroup) for the job
    /// held at `held` (its in_progress path), in `tmp`, for a worker of `class`.
    pub(crate) fn start(tmp: &Path, held: &Path, class: u32) -> Evidence {
        let name = held.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
        let mark = tmp.join(format!("{name}.oom"));
        let slot = CString::new(mark.as_os_str().as_encoded_bytes()).ok().and_then(|path| {
            let text = format!("class {class}\nallocation of ").into_bytes();
            let m = Box::into_raw(Box::new(Mark { path, text }));
            let null = std::ptr::null_mut();
            let slot =
                MARKS.iter().position(|s| s.compare_exchange(null, m, Ordering::SeqCst, Ordering::SeqCst).is_ok());
            if slot.is_none() {
                free(m);
            }
            slot
        });
        let note = Cgroup::own().as_ref().filter(|c| c.limited).and_then(|c| {
            let note = tmp.join(format!("{name}.mem"));
            let text = format!("class {class}\ncgroup {}\noom_kill {}\n", c.dir.display(), c.oom_kills()?);
            fs::write(&note, text).ok().map(|_| note)
        });
        Evidence { mark, slot, note }
    }
}

impl Drop for Evidence {
    fn drop(&mut self) {
        if let Some(slot) = self.slot {
            free(MARKS[slot].swap(std::ptr::null_mut(), Ordering::SeqCst));
            if MARKED[slot].swap(false, Ordering::SeqCst) {
                let _ = fs::remove_file(&self.mark);
            }
        }
        if let Some(n) = &self.note {
            let _ = fs::remove_file(n);
        }
    }
}

fn free(m: *mut Mark) {
    if !m.is_null() {
        while READING.load(Ordering::SeqCst) > 0 {
            std::hint::spin_loop();
        }
        // SAFETY: made by Box::into_raw in `Evidence::start` and swapped out of MARKS exactly once.
        drop(unsafe { Box::from_raw(m) });
    }
}

/// A dead holder's memory death, read from its evidence in `tmp`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MemoryDeath {
    /// The memory class of the worker that died.
    pub class: u32,
    /// What showed it: the failed allocation, or the cgroup's OOM kill.
    pub how: String,
}

/// Whether the holder of `held_name` (an in_progress name) died of memory, by its evidence in `tmp`;
/// removes the evidence it read. Call it only for a dead lease.
/// `local`: the holder ran on this host (a cgroup path means something only there).
pub(crate) fn memory_death(tmp: &Path, held_name: &str, local: bool) -> Option<MemoryDeath> {
    let mark = tmp.join(format!("{held_name}.oom"));
    let note = tmp.join(format!("{held_name}.mem"));
    let from_mark = fs::read_to_string(&mark).ok().map(|text| MemoryDeath {
        class: field(&text, "class").and_then(|c| c.parse().ok()).unwrap_or(0),
        how: text.lines().nth(1).unwrap_or("an allocation failed").trim().to_string(),
    });
    let from_note = || {
        if !local {
            return None;
        }
        let text = fs::read_to_string(&note).ok()?;
        let then: u64 = field(&text, "oom_kill")?.parse().ok()?;
        let dir = PathBuf::from(field(&text, "cgroup")?);
        let now = Cgroup::at(dir.clone()).oom_kills()?;
        (now > then).then(|| MemoryDeath {
            class: field(&text, "class").and_then(|c| c.parse().ok()).unwrap_or(0),
            how: format!("OOM-killed in memory cgroup {} (oom_kill {then} → {now})", dir.display()),
        })
    };
    let death = from_mark.or_else(from_note);
    let _ = fs::remove_file(&mark);
    let _ = fs::remove_file(&note);
    death
}

fn field<'a>(text: &'a str, name: &str) -> Option<&'a str> {
    text.lines().find_map(|l| l.strip_prefix(name)?.strip_prefix(' ')).map(str::trim)
}

/// This process's memory cgroup (v2 unified, or v1's memory controller).
struct Cgroup {
    dir: PathBuf,
    v2: bool,
    /// Whether it has a memory limit (else the cgroup's OOM killer never acts on its own).
    limited: bool,
}

impl Cgroup {
    /// This process's, looked up once (a worker does not change cgroups).
    fn own() -> &'static Option<Cgroup> {
        static OWN: OnceLock<Option<Cgroup>> = OnceLock::new();
        OWN.get_or_init(Cgroup::find)
    }

    fn find() -> Option<Cgroup> {
        let text = fs::read_to_string("/proc/self/cgroup").ok()?;
        for line in text.lines() {
            let mut f = line.splitn(3, ':');
            let (_, ctrl, path) = (f.next()?, f.next()?, f.next()?);
            let rel = path.trim_start_matches('/');
            if ctrl.split(',').any(|c| c == "memory") {
                let c = Cgroup::at(Path::new("/sys/fs/cgroup/memory").join(rel));
                if c.dir.join("memory.oom_control").exists() {
                    return Some(c);
                }
            }
        }
        // v2: the unified line `0::/path`.
        let rel = text.lines().find_map(|l| l.strip_prefix("0::"))?.trim_start_matches('/');
        let c = Cgroup::at(Path::new("/sys/fs/cgroup").join(rel));
        c.v2.then_some(c)
    }

    fn at(dir: PathBuf) -> Cgroup {
        let v2 = dir.join("memory.events").exists();
        let limited = if v2 {
            fs::read_to_string(dir.join("memory.max")).is_ok_and(|m| m.trim() != "max")
        } else {
            // v1 reports "no limit" as a huge number (PAGE_COUNTER_MAX pages).
            fs::read_to_string(dir.join("memory.limit_in_bytes"))
                .ok()
                .and_then(|m| m.trim().parse::<u64>().ok())
                .is_some_and(|b| b < 1 << 60)
        };
        Cgroup { dir, v2, limited }
    }

    /// The cgroup's count of OOM kills (v2 `memory.events`, v1 `memory.oom_control`).
    fn oom_kills(&self) -> Option<u64> {
        let file = if self.v2 { "memory.events" } else { "memory.oom_control" };
        let text = fs::read_to_string(self.dir.join(file)).ok()?;
        field(&text, "oom_kill")?.parse().ok()
    }
}

/// Whether `name` in a `tmp/` is memory evidence (named for a held ticket, not by `unique_name`), which
/// recover keeps while its lease lives.
pub(crate) fn is_evidence(name: &str) -> bool {
    name.contains('@') && (name.ends_with(".oom") || name.ends_with(".mem"))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The marks are the process's: tests that fail allocations take turns.
    static SERIAL: std::sync::Mutex<()> = std::sync::Mutex::new(());

    #[test]
    fn a_failed_allocation_leaves_a_mark_that_recover_reads_and_a_finished_job_none() {
        let _turn = SERIAL.lock().unwrap_or_else(|p| p.into_inner());
        let d = tempfile::tempdir().unwrap();
        let held = d.path().join("b00000001.r0.synth.d0.g0000@h.1.1");
        let ev = Evidence::start(d.path(), &held, 0);
        failed(1 << 40);
        let name = held.file_name().unwrap().to_str().unwrap();
        let text = fs::read_to_string(d.path().join(format!("{name}.oom"))).unwrap();
        assert_eq!(text, "class 0\nallocation of 1099511627776 bytes failed\n");
        let slot = ev.slot.unwrap();
        std::mem::forget(ev); // a dead worker removes nothing
        let death = memory_death(d.path(), name, true).unwrap();
        assert_eq!(death, MemoryDeath { class: 0, how: "allocation of 1099511627776 bytes failed".into() });
        assert!(memory_death(d.path(), name, true).is_none(), "the evidence is consumed");
        free(MARKS[slot].swap(std::ptr::null_mut(), Ordering::SeqCst));

        // A job that ends (however) removes its evidence and disarms the mark.
        let d = tempfile::tempdir().unwrap();
        let held = d.path().join("b00000001.r0.synth.d0.g0001@h.1.1");
        drop(Evidence::start(d.path(), &held, 1));
        failed(1); // no job held: nothing written
        assert_eq!(fs::read_dir(d.path()).unwrap().count(), 0);
    }

    #[test]
    fn a_failed_allocation_marks_every_job_a_process_holds_and_each_end_removes_its_own() {
        let _turn = SERIAL.lock().unwrap_or_else(|p| p.into_inner());
        let d = tempfile::tempdir().unwrap();
        let names: Vec<String> = (0..3).map(|i| format!("b00000002.r0.synth.d0.g000{i}@h.1.1")).collect();
        let mut held: Vec<Evidence> = names.iter().map(|n| Evidence::start(d.path(), &d.path().join(n), 1)).collect();
        failed(4096);
        for n in &names {
            let text = fs::read_to_string(d.path().join(format!("{n}.oom"))).unwrap();
            assert_eq!(text, "class 1\nallocation of 4096 bytes failed\n", "{n}");
        }
        // The middle job ends: its mark goes, the others' stay (their holder may still die of it).
        drop(held.remove(1));
        assert!(!d.path().join(format!("{}.oom", names[1])).exists());
        assert!(d.path().join(format!("{}.oom", names[0])).exists());
        drop(held);
        assert_eq!(fs::read_dir(d.path()).unwrap().count(), 0, "every job's end removed its mark");
    }
}
