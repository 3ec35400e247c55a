//! Aggregation circuits of frispool (rounds 1–4): leaf, node, recursion tip, scheduler.
//!
//! Generic over the basic circuits: a basic circuit is anything whose public inputs follow
//! [`frispool_core::layout::basic`]. [`AggregationKeys::build`] builds every circuit from the basic
//! circuits' keys; [`plan_block`] says which proofs each aggregation proof takes.
//!
//! Arities: leaf and node share one shape, so their arities are chosen together. Measured rows before
//! padding: a leaf over four 2^12-row basic proofs 14.4k, a node over four 2^14-row children 17.4k (so
//! 2^15), over three about 13k. [`LEAF_ARITY`] 4 and [`NODE_ARITY`] 3 keep both at 2^14 rows. On the
//! 2-core dev machine (shared with other builds) a leaf or node proof takes about 4.7 s, the tip 2.3 s
//! (2^13), the scheduler 1.1 s (2^12). A block of N instances needs about N/4 leaves and N/8 nodes, a
//! tree of depth about log3(N/4); arity 2 at 2^13 would need about N proofs of half the cost each.
//!
//! Architecture invariant: no I/O here; circuits know nothing of files or the spool.

mod chain;
mod error;
mod keys;
mod leaf;
mod node;
mod plan;
mod prove;
mod scheduler;
mod shape;
mod tip;
mod vk;

pub use error::{AggError, AggKey, KeyLoadError, Result};
pub use keys::{AggregationKeys, BasicKey};
pub use leaf::{LeafCircuit, LEAF_ARITY};
pub use node::{Child, NodeCircuit, NODE_ARITY};
pub use plan::{plan_block, plan_type, BlockPlan, Group, ProofId, TypePlan};
pub use scheduler::{SchedulerCircuit, TypeOutputs};
pub use shape::{check_construction, Shape};
pub use tip::{TipCircuit, TipSlot};
