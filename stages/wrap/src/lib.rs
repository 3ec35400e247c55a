//! frispool-wrap: the BN254 side of the compressor (issue 11) — what turns the final FRI proof into a SNARK
//! an L1 contract checks.
//!
//! # What is built
//! - **Groth16 over BN254** (ark-groth16): a local, seeded setup for tests ([`local_setup`]), [`prove`],
//!   [`verify`], the 128-byte compressed proof ([`proof_to_bytes`]).
//! - **The EVM path**: a Solidity verifier generated from the verifying key ([`SolidityVerifier`]; precompiles
//!   0x06–0x08, inputs checked below r, proof words below q), compiled by solcjs ([`compile`]), deployed and
//!   called in revm ([`DeployedVerifier`], [`Evm`]) with its gas measured; the proof as calldata
//!   ([`SolidityProof`], G2 imaginary part first).
//! - **The wrapper's public input** ([`CommitmentCircuit`]): one BN254 element committing (Poseidon-BN254,
//!   the last layer's hash) to the block's final public inputs, natively and in R1CS — the statement the
//!   tests prove and verify on the EVM until the plonky2 verifier joins it.
//! - **Poseidon over BN254** (width 4, rate 3, 8 full + 56 partial rounds, x⁵; circomlib's constants, derived
//!   with the reference Grain LFSR): natively ([`poseidon_permute`]) and in R1CS ([`poseidon_permute_var`],
//!   264 constraints), checked against gnark-plonky2-verifier's published vectors.
//! - **Goldilocks in R1CS** ([`GoldilocksVar`], [`GoldilocksExtVar`]): range-checked, lazily reduced
//!   arithmetic of the base field and its quadratic extension (W = 7), checked against plonky2's field.
//! - **The last layer's hasher** ([`PoseidonBn254Hash`], [`PoseidonBn254GoldilocksConfig`]): plonky2's
//!   `Hasher`/`GenericConfig` with Poseidon-BN254 Merkle trees and transcript, three Goldilocks elements packed
//!   per BN254 element; plonky2 proves and verifies under it.
//! - **Its hashing in R1CS**, the first pieces of the plonky2 verifier: packing, `hash_no_pad`,
//!   `hash_or_noop`, `two_to_one` ([`hash_no_pad_var`] and siblings), Merkle proofs to a cap
//!   ([`verify_merkle_proof_to_cap_var`]) and the Fiat–Shamir challenger ([`ChallengerVar`]), each checked
//!   against plonky2's native code under [`PoseidonBn254Hash`].
//! - **The plonky2 verifier in R1CS** ([`Plonky2VerifierCircuit`], a `ConstraintSynthesizer`): the last
//!   layer's verifier key baked in (constants/sigmas cap and circuit digest are R1CS constants), the proof
//!   a witness ([`ProofVar`]); its one Groth16 input the Poseidon-BN254 commitment to the inner public
//!   inputs, which are also hashed with Goldilocks Poseidon as plonky2 does ([`poseidon_hash_no_pad_var`]);
//!   the challenge schedule of plonky2's `get_challenges` ([`ChallengesVar`]), the proof of work, the
//!   vanishing identity at ζ (gates under plonky2's selector scheme, the permutation argument with partial
//!   products, L₀, the α combination against `Z_H(ζ)·t(ζ)`), and FRI (initial-tree Merkle proofs, the
//!   α-combined openings, coset interpolation per folding step, commit-phase Merkle proofs, the final
//!   polynomial). Satisfied by real plonky2 proofs; a changed opening, public input, Merkle sibling,
//!   commit-phase cap, final-polynomial coefficient or pow witness, or a proof of another circuit, is not,
//!   each in the part that should catch it.
//! - **Gates**: Arithmetic, Constant, PublicInput, Noop, Poseidon, and the recursion circuit's
//!   ArithmeticExtension, MulExtension, BaseSum (B = 2, 4), Exponentiation, RandomAccess, Reducing,
//!   ReducingExtension, PoseidonMds, CosetInterpolation — each checked against plonky2's `eval_unfiltered` on
//!   random openings. Lookups and zero knowledge are refused ([`WrapError::UnsupportedCircuit`]).
//!
//! Constraint counts (R1CS over BN254), for the tests' small last layer (degree 2⁵, rate 2⁶, 16 queries,
//! pow 16 bits, one folding step of arity 8; 112 conjectured bits):
//!
//! | inner circuit | allocation | transcript + pow | vanishing at ζ | FRI | total |
//! |---|---|---|---|---|---|
//! | 12 wires, no public inputs | 72 k | 117 k | 62 k | 462 k (28.9 k per query) | 713 k |
//! | 135 wires, 2 public inputs (PoseidonGate) | 241 k | 323 k | 374 k | 576 k (36 k per query) | 1 513 k |
//!
//! Per gate at ζ (before the filter): PoseidonGate 133 k, CosetInterpolation (16 points, degree 6) 105 k,
//! Exponentiation (66 bits) 62 k, BaseSum<2> (63 limbs) 59 k, Reducing (43) 46 k, ReducingExtension (32)
//! 34 k, RandomAccess (4 × 16) 31 k, MulExtension (13 ops) 24 k, ArithmeticExtension (10 ops) 24 k;
//! Goldilocks Poseidon as a hash 78 k per permutation.
//!
//! End to end (`FRISPOOL_WRAP_E2E=1`, the 1.51 M-constraint wrapper with public inputs, the 2-core VM under
//! load): Groth16 setup 166 s, prove 114 s (≈ 75 µs per constraint); the proof verifies in revm through the
//! generated Solidity verifier for 215 977 gas, and a wrong public input returns false.
//!
//! # Where it is used (issue 11)
//! `frispool-circuits` builds the wrap-ready layer under [`PoseidonBn254GoldilocksConfig`] (rate 2^-4, 21
//! queries, 16 pow bits: 100 conjectured bits) over the protocol's final circuit; the wrapper over it is
//! **3 883 274 constraints** (allocation 0.50 M, transcript 0.59 M, vanishing 1.19 M, FRI 1.60 M).
//! `frispool keygen --wrapper` runs the Groth16 setup (a test key) into `keys/wrapper.{pk,vk}`, the compressor
//! writes `final.snark`, the sequencer checks it under a pinned key. Still open: cheaper arithmetic where it
//! dominates (Merkle leaves' range checks, extension products reduced once per sum) and a ceremony.
//!
//! (This crate depends on no frispool crate, so it can wrap any plonky2 circuit under that configuration.)

mod calldata;
mod challenger_gadget;
mod challenges_gadget;
mod commitment;
mod error;
mod evm;
mod evm_verifier;
mod fri_gadget;
mod gates_gadget;
mod goldilocks_ext_gadget;
mod goldilocks_gadget;
mod goldilocks_poseidon_gadget;
#[cfg(test)]
mod goldilocks_tests;
mod groth16;
mod hasher_gadget;
mod merkle_gadget;
mod plonky2_hasher;
#[cfg(test)]
mod plonky2_hasher_tests;
mod poseidon;
mod poseidon_gadget;
mod poseidon_params;
mod proof_var;
mod recursion_gates_gadget;
mod solc;
mod vanishing_gadget;
mod verifier_sol;
mod wrapper_circuit;
#[cfg(test)]
mod wrapper_e2e_tests;
#[cfg(test)]
mod wrapper_tests;

pub use calldata::{field_word, g1_words, g2_words, input_words, verify_calldata, SolidityProof, Word};
pub use challenger_gadget::ChallengerVar;
pub use challenges_gadget::ChallengesVar;
pub use commitment::{commit_public_inputs, commit_public_inputs_var, sample_public_inputs, CommitmentCircuit};
pub use error::WrapError;
pub use evm::{CallOutcome, CallReport, Evm};
pub use evm_verifier::{DeployedVerifier, EvmCheck, EvmVerdict, RevertReason};
pub use goldilocks_ext_gadget::{GoldilocksExtVar, EXT_W};
pub use goldilocks_gadget::{GoldilocksVar, GOLDILOCKS_P};
pub use goldilocks_poseidon_gadget::poseidon_hash_no_pad_var;
pub use groth16::{local_setup, proof_from_bytes, proof_to_bytes, prove, setup_with_rng, verify, Groth16Keys};
pub use hasher_gadget::{hash_no_pad_var, hash_or_noop_var, pack_var, two_to_one_var};
pub use merkle_gadget::verify_merkle_proof_to_cap_var;
pub use plonky2_hasher::{Bn254HashOut, PoseidonBn254GoldilocksConfig, PoseidonBn254Hash, PoseidonBn254Permutation};
pub use poseidon::{poseidon_permute, PoseidonState};
pub use poseidon_gadget::{poseidon_permute_var, PoseidonStateVar, POSEIDON_CONSTRAINTS};
pub use poseidon_params::{
    FULL_ROUNDS as POSEIDON_FULL_ROUNDS, PARTIAL_ROUNDS as POSEIDON_PARTIAL_ROUNDS, WIDTH as POSEIDON_WIDTH,
};
pub use proof_var::{LastLayerCommon, LastLayerProof, ProofVar};
pub use solc::{compile, solcjs_path, CompiledContract};
pub use verifier_sol::{selector, SolidityVerifier};
pub use wrapper_circuit::{LastLayerVerifierKey, Plonky2VerifierCircuit, WrapperCounts};
