//! Aggregation circuits of frispool (rounds 1–4): leaf, node, recursion tip, scheduler.
//!
//! Architecture invariant: no I/O here; circuits know nothing of files or the spool.

pub mod layout;
