//! Steps 8–9: observing the openings, and the FRI opening proof (plonky2's
//! `PolynomialBatch::prove_openings` and `fri_proof`, whose commit phase, proof of work and query
//! phase are private; the proof of work here is deterministic, see [`grind`]).

use anyhow::{ensure, Result};
use plonky2::field::extension::{flatten, unflatten, FieldExtension};
use plonky2::field::polynomial::PolynomialCoeffs;
use plonky2::field::types::{Field, Field64, PrimeField64};
use plonky2::fri::oracle::PolynomialBatch;
use plonky2::fri::proof::{FriInitialTreeProof, FriProof, FriQueryRound, FriQueryStep};
use plonky2::fri::FriParams;
use plonky2::hash::hashing::PlonkyPermutation;
use plonky2::hash::merkle_proofs::MerkleProof;
use plonky2::hash::merkle_tree::MerkleTree;
use plonky2::hash::poseidon::{PoseidonHash, PoseidonPermutation};
use plonky2::iop::challenger::Challenger;
use plonky2::plonk::circuit_data::CommonCircuitData;
use plonky2::plonk::proof::OpeningSet;
use plonky2::util::reverse_index_bits_in_place;
use rayon::prelude::*;

use super::backend::CommitBackend;
use super::{Ext, C, D};
use crate::fri_device::{CommitPhase, FriCommitInputs};
use crate::F;

/// The openings enter the transcript as plonky2's `FriOpenings` (no lookups): the ζ batch
/// (constants, σ, wires, Z, partial products, quotient chunks), then the gζ batch (Z).
pub(crate) fn observe_openings(ch: &mut Challenger<F, PoseidonHash>, o: &OpeningSet<F, D>) {
    for part in [&o.constants, &o.plonk_sigmas, &o.wires, &o.plonk_zs, &o.partial_products, &o.quotient_polys] {
        ch.observe_extension_elements::<D>(part);
    }
    ch.observe_extension_elements::<D>(&o.plonk_zs_next);
}

/// Polynomials opened at one point: (oracle, polynomial index) pairs in plonky2's order.
pub(crate) struct Batch {
    pub point: Ext,
    pub polys: Vec<(usize, usize)>,
}

/// plonky2's `CommonCircuitData::get_fri_instance` (crate-private there), without lookups: every
/// polynomial at ζ; the Z polynomials at gζ. Oracles: 0 constants+σ, 1 wires, 2 Z+partial
/// products, 3 quotient chunks.
pub(crate) fn opening_batches(common: &CommonCircuitData<F, D>, zeta: Ext, zeta_next: Ext) -> [Batch; 2] {
    let nc = common.config.num_challenges;
    let counts = [
        common.sigmas_range().end,
        common.config.num_wires,
        nc * (1 + common.num_partial_products),
        nc * common.quotient_degree_factor,
    ];
    let all = counts.iter().enumerate().flat_map(|(o, &k)| (0..k).map(move |i| (o, i))).collect();
    [Batch { point: zeta, polys: all }, Batch { point: zeta_next, polys: (0..nc).map(|i| (2, i)).collect() }]
}

/// The FRI proof that the oracles' polynomials open to the observed values `openings`.
pub(crate) fn prove_openings(
    batches: &[Batch; 2],
    oracles: &[&PolynomialBatch<F, C, D>; 4],
    openings: &OpeningSet<F, D>,
    circuit_digest: [u64; 4],
    ch: &mut Challenger<F, PoseidonHash>,
    params: &FriParams,
    commit: &dyn CommitBackend,
) -> Result<FriProof<F, PoseidonHash, D>> {
    let alpha = ch.get_extension_challenge::<D>();
    let lde_size = oracles[0].polynomials[0].len() << params.config.rate_bits;
    let (trees, coeffs) =
        match device_commit_phase(batches, oracles, openings, circuit_digest, alpha, ch, params, commit)? {
            Some(phase) => phase,
            None => host_commit_phase(batches, oracles, alpha, ch, params, commit)?,
        };
    finish(oracles, trees, coeffs, lde_size, ch, params, commit)
}

/// The commit phase in the backend, on a copy of the transcript that replaces `ch` only when it is done; `None`
/// where the backend leaves it to the host, or the batches are not the two this prover opens.
#[allow(clippy::too_many_arguments)]
fn device_commit_phase(
    batches: &[Batch; 2],
    oracles: &[&PolynomialBatch<F, C, D>; 4],
    openings: &OpeningSet<F, D>,
    circuit_digest: [u64; 4],
    alpha: Ext,
    ch: &mut Challenger<F, PoseidonHash>,
    params: &FriParams,
    commit: &dyn CommitBackend,
) -> Result<Option<CommitPhase>> {
    // The kernel opens every column of the four oracles at ζ and oracle 2's first columns at gζ: check that this is
    // what the batches say, in plonky2's order.
    let every = every_column(oracles);
    let nc = batches[1].polys.len();
    if batches[0].polys != every || batches[1].polys != (0..nc).map(|i| (2, i)).collect::<Vec<_>>() {
        return Ok(None);
    }
    let at_zeta: Vec<Ext> = [
        &openings.constants,
        &openings.plonk_sigmas,
        &openings.wires,
        &openings.plonk_zs,
        &openings.partial_products,
        &openings.quotient_polys,
    ]
    .into_iter()
    .flatten()
    .copied()
    .collect();
    ensure!(at_zeta.len() == every.len(), "{} openings at ζ for {} columns", at_zeta.len(), every.len());
    let reduce = |values: &[Ext]| alpha.powers().zip(values).map(|(p, &v)| p * v).fold(Ext::ZERO, |s, x| s + x);
    let inputs = FriCommitInputs {
        oracles: *oracles,
        circuit_digest,
        num_challenges: nc,
        alpha,
        zeta: batches[0].point,
        zeta_next: batches[1].point,
        y_zeta: reduce(&at_zeta),
        y_zeta_next: reduce(&openings.plonk_zs_next),
        params,
    };
    let mut trial = ch.clone();
    let phase = commit.fri_commit_phase(&inputs, &mut trial)?;
    if phase.is_some() {
        *ch = trial;
    }
    Ok(phase)
}

/// (oracle, column) for every column of the four oracles, in order.
fn every_column(oracles: &[&PolynomialBatch<F, C, D>; 4]) -> Vec<(usize, usize)> {
    (0..4).flat_map(|o| (0..oracles[o].polynomials.len()).map(move |i| (o, i))).collect()
}

/// The reference the device's commit phase ([`crate::fri_device::commit_phase`]) is checked against: plonky2's
/// commit phase on the host for the batches this prover opens (every column of `f.oracles` at ζ, the first
/// `f.num_challenges` columns of oracle 2 at gζ), its trees built by plonky2's `MerkleTree::new`.
pub fn host_fri_commit_phase(f: &FriCommitInputs<'_>, ch: &mut Challenger<F, PoseidonHash>) -> Result<CommitPhase> {
    let every = every_column(&f.oracles);
    let batches = [
        Batch { point: f.zeta, polys: every },
        Batch { point: f.zeta_next, polys: (0..f.num_challenges).map(|i| (2, i)).collect() },
    ];
    host_commit_phase(&batches, &f.oracles, f.alpha, ch, f.params, &super::CpuCommit)
}

/// plonky2's commit phase on the host: the composition polynomial from the oracles' coefficients, its LDE, and one
/// tree per folding (the backend's `merkle_tree`).
fn host_commit_phase(
    batches: &[Batch; 2],
    oracles: &[&PolynomialBatch<F, C, D>; 4],
    alpha: Ext,
    ch: &mut Challenger<F, PoseidonHash>,
    params: &FriParams,
    commit: &dyn CommitBackend,
) -> Result<CommitPhase> {
    let n = oracles[0].polynomials[0].len();

    // final = Σ_b α^(polys after batch b) · (F_b(X) − F_b(z_b)) / (X − z_b), F_b = Σ_j α^j f_bj.
    let mut final_poly = vec![Ext::ZERO; n];
    for b in batches {
        let polys: Vec<&[F]> = b.polys.iter().map(|&(o, i)| &oracles[o].polynomials[i].coeffs[..]).collect();
        let powers: Vec<Ext> = alpha.powers().take(polys.len()).collect();
        let mut comp = vec![Ext::ZERO; n];
        comp.par_chunks_mut(256).enumerate().for_each(|(blk, out)| {
            let base = blk * 256;
            for (p, pw) in polys.iter().zip(&powers) {
                for (k, o) in out.iter_mut().enumerate() {
                    *o += FieldExtension::<D>::scalar_mul(pw, p[base + k]);
                }
            }
        });
        let mut quotient = PolynomialCoeffs::new(comp).divide_by_linear(b.point);
        quotient.coeffs.push(Ext::ZERO);
        let shift = alpha.exp_u64(polys.len() as u64);
        final_poly.par_iter_mut().zip(quotient.coeffs.par_iter()).for_each(|(f, q)| *f = *f * shift + *q);
    }
    let lde_coeffs = PolynomialCoeffs::new(final_poly).lde(params.config.rate_bits);
    let lde_values = lde_coeffs.coset_fft(F::coset_shift().into());

    // Commit phase: fold by each reduction arity, one tree per codeword.
    let mut trees: Vec<MerkleTree<F, PoseidonHash>> = Vec::with_capacity(params.reduction_arity_bits.len());
    let mut coeffs = lde_coeffs;
    let mut values = lde_values.values;
    let mut shift = F::MULTIPLICATIVE_GROUP_GENERATOR;
    let layers = params.reduction_arity_bits.len();
    for (layer, &arity_bits) in params.reduction_arity_bits.iter().enumerate() {
        let arity = 1usize << arity_bits;
        reverse_index_bits_in_place(&mut values);
        let leaves: Vec<Vec<F>> = values.par_chunks(arity).map(flatten::<F, D>).collect();
        let tree = commit.merkle_tree(leaves, params.config.cap_height)?;
        ch.observe_cap::<PoseidonHash>(&tree.cap);
        trees.push(tree);
        let beta = ch.get_extension_challenge::<D>();
        // P(x) = Σ_{i<r} x^i P_i(x^r) folds to Σ_{i<r} β^i P_i(x).
        coeffs = PolynomialCoeffs::new(
            coeffs
                .coeffs
                .par_chunks_exact(arity)
                .map(|c| c.iter().rev().fold(Ext::ZERO, |s, &x| s * beta + x))
                .collect(),
        );
        shift = shift.exp_u64(arity as u64);
        if layer + 1 < layers {
            values = coeffs.coset_fft(shift.into()).values;
        }
    }
    // The folded polynomial's high coefficients are zero.
    coeffs.coeffs.truncate(coeffs.len() >> params.config.rate_bits);
    Ok((trees, coeffs))
}

/// After the commit phase: the final polynomial into the transcript, the proof of work, the query rounds.
fn finish(
    oracles: &[&PolynomialBatch<F, C, D>; 4],
    trees: Vec<MerkleTree<F, PoseidonHash>>,
    coeffs: PolynomialCoeffs<Ext>,
    lde_size: usize,
    ch: &mut Challenger<F, PoseidonHash>,
    params: &FriParams,
    commit: &dyn CommitBackend,
) -> Result<FriProof<F, PoseidonHash, D>> {
    // The sponge right after the last challenge (β's, or α's without folding): no input is buffered after a
    // challenge, so `compact` only drops outputs nobody reads (observing drops them too). The proof of work
    // starts from it and the final polynomial's elements.
    let sponge = ch.compact();
    ch.observe_extension_elements::<D>(&coeffs.coeffs);
    let absorbed: Vec<F> = coeffs.coeffs.iter().flat_map(FieldExtension::<D>::to_basefield_array).collect();

    let pow_witness = grind(ch, sponge, &absorbed, params.config.proof_of_work_bits, commit)?;

    // Query phase. The oracles' opened leaves come through the backend, in one call per oracle: a device
    // that kept a commitment's leaves sends just these rows.
    let indices: Vec<usize> = ch
        .get_n_challenges(params.config.num_query_rounds)
        .iter()
        .map(|r| r.to_canonical_u64() as usize % lde_size)
        .collect();
    let opened: Vec<Vec<Vec<F>>> = oracles.iter().map(|o| commit.leaves(o, &indices)).collect::<Result<_>>()?;
    let query_round_proofs = indices
        .into_par_iter()
        .enumerate()
        .map(|(q, mut x)| {
            let evals_proofs = oracles
                .iter()
                .zip(&opened)
                .map(|(o, leaves)| (leaves[q].clone(), merkle_proof(&o.merkle_tree, x)))
                .collect();
            let mut steps = Vec::with_capacity(trees.len());
            for (tree, &arity_bits) in trees.iter().zip(&params.reduction_arity_bits) {
                x >>= arity_bits;
                steps.push(FriQueryStep { evals: unflatten::<F, D>(tree.get(x)), merkle_proof: tree.prove(x) });
            }
            FriQueryRound { initial_trees_proof: FriInitialTreeProof { evals_proofs }, steps }
        })
        .collect();

    Ok(FriProof {
        commit_phase_merkle_caps: trees.iter().map(|t| t.cap.clone()).collect(),
        query_round_proofs,
        final_poly: coeffs,
        pow_witness,
    })
}

/// The Merkle path of leaf `index` (plonky2's `MerkleTree::prove`, which sizes the tree by its `leaves`: a
/// commitment whose leaves stayed on the device has none on the host, but its digests are here). plonky2's
/// digest layout: `2^cap_height` subtrees, each with its layers interleaved
/// `[layer 0, layer 1, layer 0, layer 2, layer 0, layer 1, layer 0, layer 3, ...]`, a pair of siblings each.
fn merkle_proof(tree: &MerkleTree<F, PoseidonHash>, index: usize) -> MerkleProof<F, PoseidonHash> {
    let cap_height = tree.cap.0.len().trailing_zeros() as usize;
    let leaves = tree.digests.len() / 2 + (1 << cap_height);
    let layers = leaves.trailing_zeros() as usize - cap_height;
    let subtree_len = tree.digests.len() >> cap_height;
    let subtree = &tree.digests[subtree_len * (index >> layers)..][..subtree_len];
    let mut pair = index & ((1 << layers) - 1);
    let siblings = (0..layers)
        .map(|i| {
            let parity = pair & 1;
            pair >>= 1;
            subtree[2 * ((pair << (i + 1)) + (1 << i) - 1) + (1 - parity)]
        })
        .collect();
    MerkleProof { siblings }
}

/// The proof-of-work witness: the **smallest** w such that observing w and drawing a challenge gives a
/// response with `bits` leading zeros (Goldilocks fills 64 bits). plonky2 takes whichever witness a thread
/// finds first (`find_any`), which on one thread is the smallest. The transcript then observes w and draws the
/// response, as plonky2 does.
///
/// The search works on the duplex state, as plonky2's own does: `sponge` (the state after the last
/// permutation) with the elements observed since written over it the way the challenger absorbs them — each
/// full rate of 8 permuted, the rest (`pos` elements) waiting in the input buffer — and the candidate in
/// element `pos`; one permutation, and element 7 is the response. The backend searches (a device, 2^18
/// candidates a launch), or the host's threads do; the host checks the witness through the challenger itself.
pub(crate) fn grind(
    ch: &mut Challenger<F, PoseidonHash>,
    sponge: PoseidonPermutation<F>,
    absorbed: &[F],
    bits: u32,
    commit: &dyn CommitBackend,
) -> Result<F> {
    let min_zeros = bits + (64 - F::order().bits()) as u32;
    let (state, pos) = duplex_state(sponge, absorbed);
    let w = match commit.pow_witness(&state, pos, min_zeros)? {
        Some(w) => w,
        None => host_pow_search(&state, pos, min_zeros),
    };
    let w = F::from_canonical_u64(w);
    ch.observe_element(w);
    let response = ch.get_challenge();
    ensure!(
        response.to_canonical_u64().leading_zeros() >= min_zeros,
        "the proof-of-work witness {w} does not give {bits} zero bits"
    );
    Ok(w)
}

/// The duplex state the proof-of-work candidate completes, and its position (see [`grind`]).
pub(crate) fn duplex_state(mut sponge: PoseidonPermutation<F>, absorbed: &[F]) -> ([F; 12], usize) {
    let rate = PoseidonPermutation::<F>::RATE;
    let full = absorbed.len() / rate * rate;
    for chunk in absorbed[..full].chunks_exact(rate) {
        sponge.set_from_slice(chunk, 0);
        sponge.permute();
    }
    let rest = &absorbed[full..];
    sponge.set_from_slice(rest, 0);
    let state: [F; 12] = sponge.as_ref().try_into().expect("a width-12 sponge");
    (state, rest.len())
}

/// The smallest witness on the host's threads, in blocks of 4 096 candidates.
fn host_pow_search(state: &[F; 12], pos: usize, min_zeros: u32) -> u64 {
    let ok = |w: u64| {
        let mut st = PoseidonPermutation::new(state.iter().copied());
        st.set_elt(F::from_canonical_u64(w), pos);
        st.permute();
        st.squeeze()[PoseidonPermutation::<F>::RATE - 1].to_canonical_u64().leading_zeros() >= min_zeros
    };
    const BLOCK: u64 = 1 << 12;
    let mut start = 0u64;
    loop {
        let end = start.saturating_add(BLOCK).min(F::ORDER);
        if let Some(w) = (start..end).into_par_iter().find_first(|&w| ok(w)) {
            return w;
        }
        assert!(end < F::ORDER, "Proof of work failed. This is highly unlikely!");
        start = end;
    }
}
