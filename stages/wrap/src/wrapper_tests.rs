//! The wrapper circuit against real plonky2 proofs: an honest proof satisfies it, and each tampering that
//! plonky2's verifier refuses leaves it unsatisfied — each test changes one thing, checked by one part.

use crate::plonky2_hasher::{Bn254HashOut, PoseidonBn254GoldilocksConfig};
use crate::proof_var::{LastLayerCommon, LastLayerProof};
use crate::wrapper_circuit::{LastLayerVerifierKey, Plonky2VerifierCircuit, WrapperCounts};
use ark_bn254::Fr;
use ark_relations::gr1cs::ConstraintSystem;
use plonky2::field::goldilocks_field::GoldilocksField as F;
use plonky2::field::types::Field;
use plonky2::fri::reduction_strategies::FriReductionStrategy;
use plonky2::fri::FriConfig;
use plonky2::iop::witness::{PartialWitness, WitnessWrite};
use plonky2::plonk::circuit_builder::CircuitBuilder;
use plonky2::plonk::circuit_data::CircuitConfig;
use std::sync::OnceLock;

type C = PoseidonBn254GoldilocksConfig;
type Ext = <F as plonky2::field::extension::Extendable<2>>::Extension;

/// The small last layer: few, narrow gates, a high rate and few queries. Conjectured security
/// `rate_bits × queries + pow_bits` = 6·16 + 16 = 112 bits (the extension field's 128 bits bound the
/// challenges; num_challenges 2 gives the permutation/gate checks 2 × 64 bits).
pub(crate) fn small_config() -> CircuitConfig {
    CircuitConfig {
        num_wires: 12,
        num_routed_wires: 12,
        num_constants: 2,
        use_base_arithmetic_gate: true,
        security_bits: 100,
        num_challenges: 2,
        zero_knowledge: false,
        max_quotient_degree_factor: 8,
        fri_config: FriConfig {
            rate_bits: 6,
            cap_height: 2,
            proof_of_work_bits: 16,
            reduction_strategy: FriReductionStrategy::ConstantArityBits(3, 2),
            num_query_rounds: 16,
        },
    }
}

pub(crate) struct Inner {
    pub common: LastLayerCommon,
    pub key: LastLayerVerifierKey,
    pub proof: LastLayerProof,
}

/// A chain `x ← x·x + c` from a witness x₀, its end tied to a constant: arithmetic, constant and noop
/// gates. `salt` changes a constant, so another salt is another circuit of the same shape.
pub(crate) fn inner(salt: u64) -> Inner {
    let mut builder = CircuitBuilder::<F, 2>::new(small_config());
    let x0 = builder.add_virtual_target();
    let c = builder.constant(F::from_canonical_u64(7 + salt));
    let mut x = x0;
    let mut expected = F::from_canonical_u64(3);
    for _ in 0..40 {
        x = builder.mul_add(x, x, c);
        expected = expected * expected + F::from_canonical_u64(7 + salt);
    }
    let end = builder.constant(expected);
    builder.connect(x, end);
    let data = builder.build::<C>();
    let mut pw = PartialWitness::new();
    pw.set_target(x0, F::from_canonical_u64(3)).unwrap();
    let proof = data.prove(pw).unwrap();
    data.verify(proof.clone()).unwrap();
    Inner { common: data.common, key: data.verifier_only, proof }
}

/// The same chain with x₀ and the end value as public inputs: plonky2 then hashes them with a
/// `PoseidonGate`, which needs 135 wires.
pub(crate) fn inner_with_public_inputs() -> Inner {
    let mut config = small_config();
    config.num_wires = 135;
    config.num_routed_wires = 28;
    let mut builder = CircuitBuilder::<F, 2>::new(config);
    let x0 = builder.add_virtual_target();
    builder.register_public_input(x0);
    let c = builder.constant(F::from_canonical_u64(7));
    let mut x = x0;
    for _ in 0..40 {
        x = builder.mul_add(x, x, c);
    }
    builder.register_public_input(x);
    let data = builder.build::<C>();
    let mut pw = PartialWitness::new();
    pw.set_target(x0, F::from_canonical_u64(3)).unwrap();
    let proof = data.prove(pw).unwrap();
    data.verify(proof.clone()).unwrap();
    Inner { common: data.common, key: data.verifier_only, proof }
}

fn honest() -> &'static Inner {
    static INNER: OnceLock<Inner> = OnceLock::new();
    INNER.get_or_init(|| inner(0))
}

/// Synthesizes the wrapper for `proof`; returns the counts and the component of the first unsatisfied
/// constraint, if any.
fn wrap(inner: &Inner, proof: LastLayerProof) -> (Option<Component>, WrapperCounts) {
    let circuit = Plonky2VerifierCircuit::new(inner.common.clone(), inner.key.clone(), proof).unwrap();
    let cs = ConstraintSystem::<Fr>::new_ref();
    let counts = circuit.synthesize(cs.clone()).unwrap();
    let failing = cs.which_is_unsatisfied().unwrap().map(|name| {
        let index: usize = name.rsplit(' ').next().and_then(|n| n.parse().ok()).expect("R1CS - <index>");
        let ends = [
            (Component::Allocation, counts.allocation),
            (Component::Transcript, counts.transcript),
            (Component::Vanishing, counts.vanishing),
            (Component::Fri, counts.fri),
        ];
        let mut end = 0;
        ends.into_iter()
            .find(|(_, n)| {
                end += n;
                index < end
            })
            .expect("an index below the total")
            .0
    });
    (failing, counts)
}

/// The wrapper's parts, in synthesis order.
#[derive(Clone, Copy, Debug, Eq, PartialEq)]
enum Component {
    Allocation,
    Transcript,
    Vanishing,
    Fri,
}

/// plonky2's own verdict, so each negative test is known to tamper with something plonky2 refuses.
fn plonky2_accepts(inner: &Inner, proof: &LastLayerProof) -> bool {
    plonky2::plonk::circuit_data::VerifierCircuitData { verifier_only: inner.key.clone(), common: inner.common.clone() }
        .verify(proof.clone())
        .is_ok()
}

/// A new proof-of-work witness for `proof`'s (tampered) transcript under `inner`'s circuit, found by replaying
/// plonky2's challenge schedule natively. Without it every tampering with something the transcript observes
/// would be caught by the proof of work first (with probability 1 − 2⁻¹⁶), and the check under test would
/// never be reached.
fn regrind(inner: &Inner, proof: &mut LastLayerProof) {
    use crate::plonky2_hasher::PoseidonBn254Hash;
    use plonky2::field::types::PrimeField64;
    use plonky2::iop::challenger::Challenger;
    let common = &inner.common;
    let n = common.config.num_challenges;
    let p = &proof.proof;
    let mut ch = Challenger::<F, PoseidonBn254Hash>::new();
    common.fri_params.observe(&mut ch);
    ch.observe_hash::<PoseidonBn254Hash>(inner.key.circuit_digest);
    ch.observe_hash::<plonky2::hash::poseidon::PoseidonHash>(proof.get_public_inputs_hash());
    ch.observe_cap(&p.wires_cap);
    ch.get_n_challenges(2 * n);
    ch.observe_cap(&p.plonk_zs_partial_products_cap);
    ch.get_n_challenges(n);
    ch.observe_cap(&p.quotient_polys_cap);
    ch.get_extension_challenge::<2>();
    let o = &p.openings;
    for values in
        [&o.constants, &o.plonk_sigmas, &o.wires, &o.plonk_zs, &o.partial_products, &o.quotient_polys, &o.plonk_zs_next]
    {
        ch.observe_extension_elements::<2>(values);
    }
    ch.get_extension_challenge::<2>();
    for cap in &p.opening_proof.commit_phase_merkle_caps {
        ch.observe_cap(cap);
        ch.get_extension_challenge::<2>();
    }
    ch.observe_extension_elements::<2>(&p.opening_proof.final_poly.coeffs);
    let bits = common.config.fri_config.proof_of_work_bits;
    let witness = (0u64..)
        .map(F::from_canonical_u64)
        .find(|w| {
            let mut c = ch.clone();
            c.observe_element(*w);
            c.get_challenge().to_canonical_u64().leading_zeros() >= bits
        })
        .expect("a witness exists");
    proof.proof.opening_proof.pow_witness = witness;
}

/// Applies `change` to the honest proof (then a fresh proof of work, when `regrind_pow`), checks that
/// plonky2 refuses the result, and that the wrapper's first unsatisfied constraint is in `component`.
fn tampered(component: Component, regrind_pow: bool, change: impl FnOnce(&mut LastLayerProof)) {
    let inner = honest();
    let mut proof = inner.proof.clone();
    change(&mut proof);
    if regrind_pow {
        regrind(inner, &mut proof);
    }
    assert!(!plonky2_accepts(inner, &proof), "plonky2 should refuse the tampered proof");
    assert_eq!(wrap(inner, proof).0, Some(component), "the wrapper should fail in {component:?}");
}

#[test]
fn an_honest_plonky2_proof_satisfies_the_wrapper() {
    let inner = honest();
    let (ok, counts) = wrap(inner, inner.proof.clone());
    let c = &inner.common;
    eprintln!(
        "wrapper for degree 2^{} rate 2^{} {} queries arities {:?} gates {:?}: {counts:?}, {} per query",
        c.degree_bits(),
        c.config.fri_config.rate_bits,
        c.config.fri_config.num_query_rounds,
        c.fri_params.reduction_arity_bits,
        c.gates.iter().map(|g| g.0.id()).collect::<Vec<_>>(),
        counts.fri / c.config.fri_config.num_query_rounds,
    );
    assert_eq!(ok, None, "an honest proof leaves nothing unsatisfied");
}

#[test]
fn a_changed_opening_is_unsatisfiable() {
    // The vanishing identity at ζ catches it (FRI would too: the opening no longer matches the oracle).
    tampered(Component::Vanishing, true, |p| p.proof.openings.wires[1] += Ext::ONE);
}

#[test]
fn a_swapped_merkle_sibling_is_unsatisfiable() {
    // Siblings are not observed: the transcript is unchanged and the Merkle check in FRI refuses.
    tampered(Component::Fri, false, |p| {
        p.proof.opening_proof.query_round_proofs[3].initial_trees_proof.evals_proofs[1].1.siblings.swap(0, 1)
    });
}

#[test]
fn a_changed_final_poly_coefficient_is_unsatisfiable() {
    tampered(Component::Fri, true, |p| p.proof.opening_proof.final_poly.coeffs[0] += Ext::ONE);
}

#[test]
fn a_bad_pow_witness_is_unsatisfiable() {
    tampered(Component::Transcript, false, |p| p.proof.opening_proof.pow_witness += F::ONE);
}

#[test]
fn a_changed_commit_phase_cap_is_unsatisfiable() {
    tampered(Component::Fri, true, |p| {
        let cap = &mut p.proof.opening_proof.commit_phase_merkle_caps[0].0;
        cap[0] = Bn254HashOut::from_fr(cap[0].to_fr() + Fr::from(1u64));
    });
}

#[test]
fn a_proof_of_another_circuit_is_unsatisfiable() {
    let inner = honest();
    let mut proof = inner_other().proof.clone();
    // Under this circuit's digest the other proof's transcript differs; a fresh proof of work gets it past
    // that check, and the baked-in constants/sigmas then fail: the vanishing identity at ζ first.
    regrind(inner, &mut proof);
    assert!(!plonky2_accepts(inner, &proof));
    assert_eq!(wrap(inner, proof).0, Some(Component::Vanishing));
}

fn inner_other() -> &'static Inner {
    static OTHER: OnceLock<Inner> = OnceLock::new();
    OTHER.get_or_init(|| inner(1))
}

#[test]
fn the_challenges_are_plonky2s() {
    use crate::challenges_gadget::get_challenges_var;
    use crate::goldilocks_gadget::GoldilocksVar;
    use crate::proof_var::ProofVar;
    use plonky2::field::types::PrimeField64;
    let inner = honest();
    let native = inner
        .proof
        .get_challenges(inner.proof.get_public_inputs_hash(), &inner.key.circuit_digest, &inner.common)
        .unwrap();
    let cs = ConstraintSystem::<Fr>::new_ref();
    let proof = ProofVar::new_witness(cs.clone(), &inner.proof).unwrap();
    let hash = crate::goldilocks_poseidon_gadget::poseidon_hash_no_pad_var(&proof.public_inputs).unwrap();
    let got = get_challenges_var(&proof, &hash, inner.key.circuit_digest.to_fr(), &inner.common).unwrap();
    let base = |xs: &[GoldilocksVar]| xs.iter().map(|x| x.value().unwrap()).collect::<Vec<_>>();
    let canon = |xs: &[F]| xs.iter().map(|x| x.to_canonical_u64()).collect::<Vec<_>>();
    let ext = |x: &plonky2::field::extension::quadratic::QuadraticExtension<F>| canon(&x.0);
    assert_eq!(base(&got.betas), canon(&native.plonk_betas), "betas");
    assert_eq!(base(&got.gammas), canon(&native.plonk_gammas), "gammas");
    assert_eq!(base(&got.alphas), canon(&native.plonk_alphas), "alphas");
    assert_eq!(got.zeta.value().unwrap().to_vec(), ext(&native.plonk_zeta), "zeta");
    let fri = &native.fri_challenges;
    assert_eq!(got.fri_alpha.value().unwrap().to_vec(), ext(&fri.fri_alpha), "fri alpha");
    for (g, n) in got.fri_betas.iter().zip(&fri.fri_betas) {
        assert_eq!(g.value().unwrap().to_vec(), ext(n), "fri beta");
    }
    let number = |bits: &[ark_r1cs_std::boolean::Boolean<Fr>]| {
        use ark_r1cs_std::GR1CSVar;
        bits.iter().rev().fold(0u64, |acc, b| acc << 1 | b.value().unwrap() as u64)
    };
    assert_eq!(number(&got.pow_response_bits), fri.fri_pow_response.to_canonical_u64(), "pow response");
    let indices: Vec<usize> = got.query_index_bits.iter().map(|b| number(b) as usize).collect();
    assert_eq!(indices, fri.fri_query_indices, "query indices");
    assert!(cs.is_satisfied().unwrap());
}

#[test]
fn public_inputs_are_bound_through_plonky2s_hash() {
    let inner = inner_with_public_inputs();
    let (ok, counts) = wrap(&inner, inner.proof.clone());
    eprintln!(
        "wrapper with 2 public inputs (135 wires, gates {:?}): {counts:?}",
        inner.common.gates.iter().map(|g| g.0.id().chars().take(24).collect::<String>()).collect::<Vec<_>>()
    );
    assert_eq!(ok, None, "an honest proof with public inputs leaves nothing unsatisfied");

    // Another x₀: plonky2 refuses; with the proof of work re-ground for the new hash, the public-input gate
    // no longer matches the hash at ζ.
    let mut proof = inner.proof.clone();
    proof.public_inputs[0] += F::ONE;
    regrind(&inner, &mut proof);
    assert!(!plonky2_accepts(&inner, &proof));
    assert_eq!(wrap(&inner, proof).0, Some(Component::Vanishing));
}
