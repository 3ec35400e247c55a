//! Which heap the worker binaries allocate from: jemalloc by default, the C library's with
//! `FRISPOOL_ALLOCATOR=system` (the A/B; read once, at the process's first allocation).
//!
//! Why not the C library's: a prover allocates and frees tens of megabytes per proof step (columns, witness
//! rows, openings) from many threads at once (`--workers N`, rayon). glibc serves every block above its mmap
//! threshold (at most 32 MiB) with its own `mmap` and hands it back with `munmap` when freed, and each thread's
//! arena trims its heap the same way. Every unmap of a process with N busy threads stops them all for a TLB
//! shootdown, and every fresh page faults under the process's one address-space lock: the workers of one process
//! take turns where separate processes would not. jemalloc keeps freed extents for reuse and returns them to the
//! kernel gradually (its decay), so a steady worker maps its working set once.

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicU8, Ordering};

use tikv_jemallocator::Jemalloc;

const UNDECIDED: u8 = 0;
const JEMALLOC: u8 = 1;
const SYSTEM: u8 = 2;

static CHOICE: AtomicU8 = AtomicU8::new(UNDECIDED);

/// The heap in use, decided on the first call. `getenv` allocates nothing, so it is safe to call from inside
/// the allocator; every thread that races here reads the same environment, and none can have allocated yet.
fn choice() -> u8 {
    match CHOICE.load(Ordering::Relaxed) {
        UNDECIDED => {
            // SAFETY: a NUL-terminated name; the value is read at once and not kept.
            let value = unsafe { libc::getenv(c"FRISPOOL_ALLOCATOR".as_ptr()) };
            let system = !value.is_null() && unsafe { std::ffi::CStr::from_ptr(value) }.to_bytes() == b"system";
            let c = if system { SYSTEM } else { JEMALLOC };
            CHOICE.store(c, Ordering::Relaxed);
            c
        }
        c => c,
    }
}

/// The name of the heap this process allocates from (for logs and benchmarks).
pub fn heap_name() -> &'static str {
    if choice() == SYSTEM {
        "system"
    } else {
        "jemalloc"
    }
}

// SAFETY (all four): the choice never changes once made, so a block goes back to the heap it came from.
pub(crate) unsafe fn alloc(layout: Layout) -> *mut u8 {
    if choice() == SYSTEM {
        System.alloc(layout)
    } else {
        Jemalloc.alloc(layout)
    }
}

pub(crate) unsafe fn alloc_zeroed(layout: Layout) -> *mut u8 {
    if choice() == SYSTEM {
        System.alloc_zeroed(layout)
    } else {
        Jemalloc.alloc_zeroed(layout)
    }
}

pub(crate) unsafe fn dealloc(ptr: *mut u8, layout: Layout) {
    if choice() == SYSTEM {
        System.dealloc(ptr, layout)
    } else {
        Jemalloc.dealloc(ptr, layout)
    }
}

pub(crate) unsafe fn realloc(ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
    if choice() == SYSTEM {
        System.realloc(ptr, layout, new_size)
    } else {
        Jemalloc.realloc(ptr, layout, new_size)
    }
}
