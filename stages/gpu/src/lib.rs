//! frispool-gpu: plonky2 FRI commitments on an NVIDIA GPU (issue 10).
//!
//! Goldilocks arithmetic, batched NTT / inverse NTT / coset LDE over many columns, plonky2's exact
//! Poseidon (width 12, 8 full + 22 partial rounds, constants taken from plonky2 at run time), leaf
//! hashing (`hash_or_noop`) and the Merkle tree with its cap in plonky2's `MerkleTree` layout.
//! Kernels are CUDA C generated in [`source`] and compiled at run time with NVRTC; cudarc loads
//! libcuda and libnvrtc dynamically, so the crate builds (and its CPU tests run) without CUDA.
//!
//! Everything that needs a GPU starts from [`Gpu::new`], which returns a typed [`GpuError`]
//! (`NoDriver`, `NoDevice`, `NoNvrtc`, `Compile`) on a machine without a usable GPU.
//!
//! The orchestration ([`commit`]) is generic over a [`Backend`], so the same launch sequence runs
//! on CUDA and, in this crate's tests, on a CPU emulation of the very same kernel source.
//!
//! [`prover`] is a plonky2 1.1 prover, step by step, whose commitments go through a
//! [`CommitBackend`]: [`CpuCommit`] (plonky2's own) or [`DeviceCommit`] (these kernels). For one
//! partition witness both give plonky2's proof bytes (see the module's documentation).

pub mod backend;
mod carry_chain;
pub mod commit;
pub mod cuda;
mod cuda_quotient;
pub mod error;
pub mod fri_device;
mod fri_source;
pub mod kcache;
pub mod partial_products;
mod permutation_source;
pub mod plan;
pub mod prover;
pub mod proving;
pub mod quotient_gates;
pub mod quotient_source;
mod quotient_window;
pub mod source;

pub use backend::{Backend, PoseidonVariant};
pub use commit::{
    commit_coeffs, commit_values, download_tree, lde, merkle, merkle_tree_from_leaves, ntt,
    polynomial_batch_from_coeffs, polynomial_batch_from_values, to_polynomial_batch, DeviceCommitment, DeviceTree,
    Leaves,
};
pub use cuda::{DeviceInfo, Gpu};
pub use error::GpuError;
pub use prover::{
    prove, prove_timed, CommitBackend, CpuCommit, DeviceCommit, ProveTimes, QuotientInputs, WitnessInput,
};
pub use proving::GpuProver;
pub use source::KernelSet;

/// The field of every kernel.
pub type F = plonky2::field::goldilocks_field::GoldilocksField;
