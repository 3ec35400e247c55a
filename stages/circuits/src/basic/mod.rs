//! Basic (round 0) circuits: each proves one chunk of a block and exposes `layout::basic` public inputs.

mod gadgets;
pub mod main;
pub mod sig;
