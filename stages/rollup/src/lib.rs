//! The native rollup model.
