//! FRI's commit phase on the device (step 9 of a proof, before the proof of work), generic over a [`Backend`]:
//! what `prover/fri.rs` does on the host from the oracles' coefficients, done from their LDE rows, which a proof's
//! commitments left on the device.
//!
//! Launch sequence:
//! 1. the four oracles' rows: kept by their commitments, or the circuit's resident setup rows, or uploaded;
//! 2. `fri_combine`: the composition polynomial at every point of the LDE coset, in leaf order — the values
//!    plonky2 gets from `final_poly.lde(rate_bits).coset_fft(shift)` and a bit reversal;
//! 3. for each reduction arity: the layer's Merkle tree on the device (leaves and digests come down for the
//!    query phase), its cap into the transcript, β out of it, and `fri_fold` to the next layer;
//! 4. the last layer's values come down, and a coset IFFT on the host gives the final polynomial.
//!
//! Every value is the same polynomial at the same point as plonky2's (see [`crate::fri_source`]), so the trees, the
//! transcript and the final polynomial are plonky2's exactly.

use plonky2::field::extension::{Extendable, FieldExtension};
use plonky2::field::polynomial::{PolynomialCoeffs, PolynomialValues};
use plonky2::field::types::{Field, PrimeField64};
use plonky2::fri::oracle::PolynomialBatch;
use plonky2::fri::FriParams;
use plonky2::hash::merkle_tree::MerkleTree;
use plonky2::hash::poseidon::PoseidonHash;
use plonky2::iop::challenger::Challenger;
use plonky2::util::reverse_index_bits_in_place;
use rayon::prelude::*;

use crate::backend::Backend;
use crate::commit::{download_tree, merkle};
use crate::error::GpuError;
use crate::prover::{C, D};
use crate::F;

type Ext = <F as Extendable<D>>::Extension;

/// What the commit phase starts from.
pub struct FriCommitInputs<'a> {
    /// Constants/σ, wires, Z/partial products, quotient chunks: every column opened at ζ, in this order.
    pub oracles: [&'a PolynomialBatch<F, C, D>; 4],
    /// The circuit's digest (names its resident constants/σ rows).
    pub circuit_digest: [u64; 4],
    /// The Z columns (the first `num_challenges` of oracle 2) are also opened at gζ.
    pub num_challenges: usize,
    pub alpha: Ext,
    pub zeta: Ext,
    pub zeta_next: Ext,
    /// Σ_j α^j f_j(ζ) over every column, and Σ_j α^j Z_j(gζ): from the openings.
    pub y_zeta: Ext,
    pub y_zeta_next: Ext,
    pub params: &'a FriParams,
}

/// The commit phase's trees (leaves, digests and cap on the host) and the final polynomial.
pub type CommitPhase = (Vec<MerkleTree<F, PoseidonHash>>, PolynomialCoeffs<Ext>);

fn pair(x: Ext) -> [u64; 2] {
    let [a, b] = x.to_basefield_array();
    [a.to_canonical_u64(), b.to_canonical_u64()]
}

/// Whether [`commit_phase`] takes these inputs: at least one folding, no blinding, oracles of one degree.
pub fn supports(f: &FriCommitInputs<'_>) -> bool {
    let first = f.oracles[0];
    let log_len = first.degree_log + f.params.config.rate_bits;
    !f.params.reduction_arity_bits.is_empty()
        && f.params.reduction_arity_bits.iter().sum::<usize>() <= log_len
        && f.oracles.iter().all(|o| !o.blinding && o.degree_log == first.degree_log)
}

/// Steps 1–4 above; `ch` observes each tree's cap and gives each fold's β, as in plonky2's commit phase.
pub fn commit_phase<B: Backend>(
    b: &B,
    f: &FriCommitInputs<'_>,
    ch: &mut Challenger<F, PoseidonHash>,
) -> Result<CommitPhase, GpuError> {
    if !supports(f) {
        return Err(GpuError::Unsupported(
            "FRI without folding, folding past the LDE, with blinding, or oracles of unequal degree".into(),
        ));
    }
    let arities = &f.params.reduction_arity_bits;
    let rate_bits = f.params.config.rate_bits;
    let mut log_len = (f.oracles[0].degree_log + rate_bits) as u32;
    let widths = f.oracles.map(|o| o.polynomials.len() as u32);
    let cols: usize = widths.iter().map(|&w| w as usize).sum();
    let w = <F as Extendable<D>>::W.to_canonical_u64();

    // 1. Rows.
    let rows = [0, 1, 2, 3]
        .map(|o| b.batch_rows(f.oracles[o], (o == 0).then_some(f.circuit_digest)))
        .into_iter()
        .collect::<Result<Vec<_>, _>>()?;

    // 2. The composition on the coset.
    let mut params: Vec<u64> = f.alpha.powers().take(cols).flat_map(pair).collect();
    for x in [f.zeta, f.zeta_next, f.y_zeta, f.y_zeta_next, f.alpha.exp_u64(f.num_challenges as u64)] {
        params.extend(pair(x));
    }
    let mut shift = F::coset_shift();
    params.extend([shift.to_canonical_u64(), F::primitive_root_of_unity(log_len as usize).to_canonical_u64(), w]);
    let params_buf = b.upload_with(params.len(), &|d| d.copy_from_slice(&params))?;
    let mut layer = b.alloc(2usize << log_len)?;
    let row_refs = [&*rows[0], &*rows[1], &*rows[2], &*rows[3]];
    b.fri_combine(row_refs, widths, f.num_challenges as u32, &params_buf, &mut layer, log_len, arities[0] as u32)?;
    drop(rows);

    // 3. Trees and folds.
    let cap_height = f.params.config.cap_height as u32;
    let mut trees = Vec::with_capacity(arities.len());
    for (i, &arity_bits) in arities.iter().enumerate() {
        let arity_bits = arity_bits as u32;
        let log_leaves = log_len - arity_bits;
        let width = 2usize << arity_bits;
        let tree = merkle(b, &layer, width as u32, log_leaves, cap_height)?;
        let (digests, cap) = download_tree(b, &tree)?;
        let leaf_count = 1usize << log_leaves;
        let leaves: Vec<Vec<F>> = b.download_with(&layer, |d| {
            (0..leaf_count)
                .into_par_iter()
                .map(|k| (0..width).map(|c| F::from_canonical_u64(d[c * leaf_count + k])).collect())
                .collect()
        })?;
        ch.observe_cap::<PoseidonHash>(&cap);
        trees.push(MerkleTree { leaves, digests, cap });
        let beta = ch.get_extension_challenge::<D>();
        let out_bits = arities.get(i + 1).map_or(0, |&a| a as u32);
        let omega = F::primitive_root_of_unity(log_len as usize);
        let r_inv = F::from_canonical_u64(1u64 << arity_bits).inverse();
        let mut fold = pair(beta).to_vec();
        fold.extend([shift.inverse(), omega.inverse(), r_inv].map(|x| x.to_canonical_u64()));
        fold.push(w);
        let fold_buf = b.upload_with(fold.len(), &|d| d.copy_from_slice(&fold))?;
        let mut next = b.alloc(2usize << log_leaves)?;
        b.fri_fold(&layer, &mut next, &fold_buf, log_len, arity_bits, out_bits)?;
        layer = next;
        log_len = log_leaves;
        shift = shift.exp_u64(1u64 << arity_bits);
    }

    // 4. The final polynomial: its values on the last coset (leaf order, one column per component) to coefficients,
    // the high ones (zero) dropped as plonky2 drops them.
    let len = 1usize << log_len;
    let mut values: Vec<Ext> = b.download_with(&layer, |d| {
        (0..len)
            .map(|k| Ext::from_basefield_array([F::from_canonical_u64(d[k]), F::from_canonical_u64(d[len + k])]))
            .collect()
    })?;
    reverse_index_bits_in_place(&mut values);
    let mut coeffs = PolynomialValues::new(values).coset_ifft(shift.into());
    coeffs.coeffs.truncate(len >> rate_bits);
    Ok((trees, coeffs))
}

/// A random instance of the commit phase, for [`check_against_host`]: four oracles of 2^`log_n` rows with these
/// column counts, `num_challenges` Z columns at the front of oracle 2, and the foldings.
#[derive(Clone, Debug)]
pub struct CheckShape {
    pub log_n: usize,
    pub widths: [usize; 4],
    pub num_challenges: usize,
    pub arity_bits: Vec<usize>,
    pub rate_bits: usize,
    pub cap_height: usize,
}

/// The self-check of the two kernels and their launch sequence (the tests' and `gpu_check`'s): on random oracles,
/// challenges and openings of `shape`, the device's commit phase against plonky2's on the host. Returns the parts
/// that differ (each tree's leaves, digests and cap, the final polynomial, the transcript after), empty when all
/// are equal.
pub fn check_against_host<B: Backend>(b: &B, shape: &CheckShape) -> Result<Vec<String>, GpuError> {
    use plonky2::field::types::Sample;
    use plonky2::fri::reduction_strategies::FriReductionStrategy;
    use plonky2::fri::FriConfig;
    use plonky2::util::timing::TimingTree;

    let n = 1usize << shape.log_n;
    let oracles: Vec<PolynomialBatch<F, C, D>> = shape
        .widths
        .iter()
        .map(|&w| {
            let values = (0..w).map(|_| PolynomialValues::new(F::rand_vec(n))).collect();
            PolynomialBatch::from_values(
                values,
                shape.rate_bits,
                false,
                shape.cap_height,
                &mut TimingTree::default(),
                None,
            )
        })
        .collect();
    let (alpha, zeta, zeta_next) = (Ext::rand(), Ext::rand(), Ext::rand());
    let at = |o: &PolynomialBatch<F, C, D>, z: Ext| -> Vec<Ext> {
        o.polynomials.iter().map(|p| p.to_extension::<D>().eval(z)).collect()
    };
    let reduce = |values: &[Ext]| alpha.powers().zip(values).map(|(p, &v)| p * v).fold(Ext::ZERO, |s, x| s + x);
    let every: Vec<Ext> = oracles.iter().flat_map(|o| at(o, zeta)).collect();
    let zs_next: Vec<Ext> = at(&oracles[2], zeta_next)[..shape.num_challenges].to_vec();
    let params = FriParams {
        config: FriConfig {
            rate_bits: shape.rate_bits,
            cap_height: shape.cap_height,
            proof_of_work_bits: 0,
            reduction_strategy: FriReductionStrategy::Fixed(shape.arity_bits.clone()),
            num_query_rounds: 1,
        },
        hiding: false,
        degree_bits: shape.log_n,
        reduction_arity_bits: shape.arity_bits.clone(),
    };
    let f = FriCommitInputs {
        oracles: [&oracles[0], &oracles[1], &oracles[2], &oracles[3]],
        circuit_digest: [shape.log_n as u64, 1, 2, 3],
        num_challenges: shape.num_challenges,
        alpha,
        zeta,
        zeta_next,
        y_zeta: reduce(&every),
        y_zeta_next: reduce(&zs_next),
        params: &params,
    };
    let mut start = Challenger::<F, PoseidonHash>::new();
    start.observe_elements(&F::rand_vec(5));
    let (mut ch_host, mut ch_dev) = (start.clone(), start);
    let (host_trees, host_final) = crate::prover::host_fri_commit_phase(&f, &mut ch_host)
        .map_err(|e| GpuError::Backend(format!("host commit phase: {e}")))?;
    let (dev_trees, dev_final) = commit_phase(b, &f, &mut ch_dev)?;
    let mut differ = Vec::new();
    if host_trees.len() != dev_trees.len() {
        differ.push(format!("{} trees against {}", dev_trees.len(), host_trees.len()));
    }
    for (i, (h, d)) in host_trees.iter().zip(&dev_trees).enumerate() {
        for (what, same) in
            [("leaves", h.leaves == d.leaves), ("digests", h.digests == d.digests), ("cap", h.cap == d.cap)]
        {
            if !same {
                differ.push(format!("tree {i}: {what}"));
            }
        }
    }
    if host_final != dev_final {
        differ.push("final polynomial".into());
    }
    if ch_host.get_challenge() != ch_dev.get_challenge() {
        differ.push("transcript after the commit phase".into());
    }
    Ok(differ)
}
