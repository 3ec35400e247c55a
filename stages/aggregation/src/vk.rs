//! Verifier-key digests and the key commitment that leaf and node proofs expose.
//!
//! A circuit's `circuit_digest` is `Poseidon(constants_sigmas_cap ‖ domain separator digest ‖ degree_bits)`.
//! plonky2's in-circuit verifier only absorbs the digest into the transcript and opens the *cap*; it never
//! checks that the two belong together. A circuit that accepts a child key by its digest must therefore
//! recompute the digest from the cap, or a prover could pair an accepted digest with a foreign cap.

use frispool_core::layout::DIGEST_LEN;
use frispool_core::{D, F};
use plonky2::hash::hash_types::{HashOut, HashOutTarget};
use plonky2::hash::poseidon::PoseidonHash;
use plonky2::iop::target::BoolTarget;
use plonky2::plonk::circuit_builder::CircuitBuilder;
use plonky2::plonk::circuit_data::VerifierCircuitTarget;
use plonky2::plonk::config::Hasher;

use plonky2::field::types::Field;

/// The key commitment a node exposes: `Poseidon(leaf vk digest ‖ node vk digest)`.
pub fn vk_commit(leaf_digest: HashOut<F>, node_digest: HashOut<F>) -> HashOut<F> {
    let mut input = leaf_digest.elements.to_vec();
    input.extend_from_slice(&node_digest.elements);
    PoseidonHash::hash_no_pad(&input)
}

/// In-circuit [`vk_commit`].
pub fn vk_commit_target(
    builder: &mut CircuitBuilder<F, D>,
    leaf_digest: HashOutTarget,
    node_digest: HashOutTarget,
) -> HashOutTarget {
    let mut input = leaf_digest.elements.to_vec();
    input.extend_from_slice(&node_digest.elements);
    builder.hash_n_to_hash_no_pad::<PoseidonHash>(input)
}

/// Constrain `vd.circuit_digest` to be the digest of `vd.constants_sigmas_cap` for a circuit of
/// `degree_bits` rows built without a domain separator (as every frispool circuit is).
pub fn bind_digest_to_cap(builder: &mut CircuitBuilder<F, D>, vd: &VerifierCircuitTarget, degree_bits: usize) {
    let mut input: Vec<_> = vd.constants_sigmas_cap.0.iter().flat_map(|h| h.elements).collect();
    let separator = PoseidonHash::hash_pad(&[]);
    for x in separator.elements {
        input.push(builder.constant(x));
    }
    input.push(builder.constant(F::from_canonical_usize(degree_bits)));
    let digest = builder.hash_n_to_hash_no_pad::<PoseidonHash>(input);
    builder.connect_hashes(digest, vd.circuit_digest);
}

/// `if b { x } else { y }` for digests.
pub fn select_hash(
    builder: &mut CircuitBuilder<F, D>,
    b: BoolTarget,
    x: HashOutTarget,
    y: HashOutTarget,
) -> HashOutTarget {
    let elements: [_; DIGEST_LEN] = std::array::from_fn(|i| builder.select(b, x.elements[i], y.elements[i]));
    HashOutTarget { elements }
}

/// The digest a proof's public inputs carry at `at..at + 4`.
pub fn digest_at(pis: &[F], at: usize) -> HashOut<F> {
    HashOut { elements: std::array::from_fn(|i| pis[at + i]) }
}
