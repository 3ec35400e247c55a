//! The field, the hash configuration and the one circuit configuration of every frispool circuit.

use plonky2::field::goldilocks_field::GoldilocksField;
use plonky2::plonk::circuit_data::CircuitConfig;
use plonky2::plonk::proof::ProofWithPublicInputs;

/// The field of every frispool circuit.
pub type F = GoldilocksField;
/// The hash configuration of every frispool circuit (Poseidon over Goldilocks).
pub type C = plonky2::plonk::config::PoseidonGoldilocksConfig;
/// Degree of the extension field used by FRI.
pub const D: usize = 2;

/// A proof of any frispool circuit.
pub type Proof = ProofWithPublicInputs<F, C, D>;

/// Independent repetitions of the permutation and constraint-combination challenges (β, γ, α, each drawn
/// from the 64-bit base field). plonky2's default of 2 gives the permutation argument only
/// 2·(64 − log2(rows · 80 routed wires)) ≈ 87–89 bits at frispool's sizes; 3 gives ≈ 131 bits, so FRI's
/// 100 bits is the whole protocol's level (`frispool_circuits::SecurityLevel`, CIRCUITS.md).
pub const NUM_CHALLENGES: usize = 3;

/// The circuit configuration of every frispool circuit: plonky2's standard recursion configuration
/// (135 wires, 80 routed; FRI rate 1/8, 28 queries, 16 proof-of-work bits: 100 bits of conjectured
/// security) with [`NUM_CHALLENGES`] challenges. One configuration everywhere keeps recursion simple.
pub fn circuit_config() -> CircuitConfig {
    CircuitConfig { num_challenges: NUM_CHALLENGES, ..CircuitConfig::standard_recursion_config() }
}
