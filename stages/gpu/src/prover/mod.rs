//! A plonky2 1.1 prover, step by step, whose commitments go through a [`CommitBackend`] (the CPU's
//! `PolynomialBatch`, or the GPU's [`crate::commit`]).
//!
//! plonky2's `prove_with_partition_witness` is one function, and its partial-products and quotient
//! helpers are private; this module follows the same steps with plonky2's public API:
//!
//! 1. witness generation (`frispool_core::generate_witness`: plonky2's generators in a replayed order), the
//!    wire columns;
//! 2. the wires commitment (backend);
//! 3. the challenger (plonky2's public `Challenger`): FRI parameters, circuit digest, public-inputs
//!    hash, wires cap → β, γ;
//! 4. permutation partial products and Z (backend, or `permutation.rs` on the host);
//! 5. their commitment (backend) → α;
//! 6. the quotient polynomials on the coset, divided by Z_H, cut into degree-n chunks (`quotient.rs`);
//! 7. the quotient commitment from coefficients (backend) → ζ;
//! 8. the openings: plonky2's `OpeningSet`, evaluated against each point's powers (`openings.rs`);
//! 9. FRI (`fri.rs`): the composition polynomial and the commit phase (one tree per folding) in the backend
//!    (`crate::fri_device`) or on the host, proof of work, the query rounds.
//!
//! Determinism. plonky2's witness generation is random in every circuit (it fills the public-input
//! gate's unused wires with random values), so "the same witness" means the same
//! [`PartitionWitness`]: run the generators once and prove from the result. From there, with zero
//! knowledge off (frispool's configuration), every step is deterministic except plonky2's
//! proof-of-work search, which takes *any* witness its threads find first. This prover takes the
//! **smallest** valid witness, which is what plonky2 returns when it runs on one thread. So from one
//! partition witness, `prove` with any backend gives the bytes of plonky2's
//! `prove_with_partition_witness` run inside a one-thread rayon pool (the tests show it for a small
//! circuit, `main` and a leaf), and the CPU and GPU backends give the same bytes as each other.
//! Proofs made with plonky2's multi-threaded search differ only in the proof-of-work witness and
//! what follows from it; both verify.
//!
//! Limits: Goldilocks, `PoseidonGoldilocksConfig`, D = 2 (frispool's one configuration); circuits
//! without lookup tables (frispool has none: [`prove`] returns an error on one).
//!
//! ```ignore
//! use frispool_gpu::prover::{prove, CpuCommit, DeviceCommit};
//! let proof = prove(&data.prover_only, &data.common, pw, &CpuCommit)?;            // CPU
//! let gpu = frispool_gpu::Gpu::new(0)?;
//! let proof = prove(&data.prover_only, &data.common, pw, &DeviceCommit::new(&gpu))?; // GPU
//! ```

pub mod backend;
mod fri;
mod openings;
mod permutation;
pub mod quotient;

use std::time::{Duration, Instant};

use anyhow::{anyhow, ensure, Result};
use frispool_core::WitnessVector;
use plonky2::field::extension::Extendable;
use plonky2::field::polynomial::PolynomialValues;
use plonky2::field::types::Field;
use plonky2::fri::oracle::PolynomialBatch;
use plonky2::hash::merkle_tree::MerkleCap;
use plonky2::hash::poseidon::PoseidonHash;
use plonky2::iop::challenger::Challenger;
use plonky2::iop::witness::{PartialWitness, PartitionWitness, Witness};
use plonky2::plonk::circuit_data::{CommonCircuitData, ProverOnlyCircuitData};
use plonky2::plonk::config::{Hasher, PoseidonGoldilocksConfig};
use plonky2::plonk::proof::{OpeningSet, Proof, ProofWithPublicInputs};

pub use backend::{CommitBackend, CpuCommit, DeviceCommit};
/// FRI's commit phase on the host (the reference the device's [`crate::fri_device`] is checked against).
pub use fri::host_fri_commit_phase;
/// Step 4 on the host's threads (the reference the device's [`crate::partial_products`] is checked against).
pub use permutation::zs_and_partial_products as host_zs_and_partial_products;
pub use quotient::QuotientInputs;

use crate::F;

/// The configuration every frispool circuit uses.
pub type C = PoseidonGoldilocksConfig;
/// Extension degree.
pub const D: usize = 2;
/// What [`prove`] returns: plonky2's proof type.
pub type PlonkyProof = ProofWithPublicInputs<F, C, D>;
type Ext = <F as Extendable<D>>::Extension;

/// The witness a proof starts from: the inputs the caller set (the generators then run), or a
/// partition witness in which the generators already ran (e.g. made by a witness-vector generator).
pub enum WitnessInput<'a> {
    Partial(PartialWitness<F>),
    Partition(PartitionWitness<'a, F>),
    /// Every wire value, from a witness-vector generator (checked against the circuit first).
    Vector(&'a WitnessVector),
}

impl From<PartialWitness<F>> for WitnessInput<'_> {
    fn from(w: PartialWitness<F>) -> Self {
        WitnessInput::Partial(w)
    }
}

impl<'a> From<&'a WitnessVector> for WitnessInput<'a> {
    fn from(w: &'a WitnessVector) -> Self {
        WitnessInput::Vector(w)
    }
}

impl<'a> From<PartitionWitness<'a, F>> for WitnessInput<'a> {
    fn from(w: PartitionWitness<'a, F>) -> Self {
        WitnessInput::Partition(w)
    }
}

/// Wall time of each step of one proof (what [`prove_timed`] measured).
#[derive(Clone, Debug, Default)]
pub struct ProveTimes {
    /// Generators (zero when a partition witness was given) and the wire columns.
    pub witness: Duration,
    pub wires_commit: Duration,
    pub partial_products: Duration,
    pub zs_commit: Duration,
    pub quotient: Duration,
    pub quotient_commit: Duration,
    pub openings: Duration,
    /// Composition polynomial, commit phase, proof of work and queries.
    pub fri: Duration,
    pub total: Duration,
}

impl std::ops::AddAssign<&ProveTimes> for ProveTimes {
    fn add_assign(&mut self, t: &ProveTimes) {
        self.witness += t.witness;
        self.wires_commit += t.wires_commit;
        self.partial_products += t.partial_products;
        self.zs_commit += t.zs_commit;
        self.quotient += t.quotient;
        self.quotient_commit += t.quotient_commit;
        self.openings += t.openings;
        self.fri += t.fri;
        self.total += t.total;
    }
}

impl ProveTimes {
    /// `name ms` pairs in step order.
    pub fn steps(&self) -> [(&'static str, f64); 9] {
        let ms = |d: Duration| d.as_secs_f64() * 1e3;
        [
            ("witness", ms(self.witness)),
            ("wires_commit", ms(self.wires_commit)),
            ("partial_products", ms(self.partial_products)),
            ("zs_commit", ms(self.zs_commit)),
            ("quotient", ms(self.quotient)),
            ("quotient_commit", ms(self.quotient_commit)),
            ("openings", ms(self.openings)),
            ("fri", ms(self.fri)),
            ("total", ms(self.total)),
        ]
    }
}

/// Proves `witness` for the circuit of `prover` / `common` with the commitments computed by
/// `commit`. The equivalent of plonky2's `prove(prover, common, inputs, timing)`; see the module
/// documentation for what is equal to plonky2's output.
pub fn prove<'a>(
    prover: &'a ProverOnlyCircuitData<F, C, D>,
    common: &'a CommonCircuitData<F, D>,
    witness: impl Into<WitnessInput<'a>>,
    commit: &dyn CommitBackend,
) -> Result<PlonkyProof> {
    prove_timed(prover, common, witness, commit).map(|(p, _)| p)
}

/// [`prove`], and the wall time of each step.
pub fn prove_timed<'a>(
    prover: &'a ProverOnlyCircuitData<F, C, D>,
    common: &'a CommonCircuitData<F, D>,
    witness: impl Into<WitnessInput<'a>>,
    commit: &dyn CommitBackend,
) -> Result<(PlonkyProof, ProveTimes)> {
    let start = Instant::now();
    let mut times = ProveTimes::default();
    let mut lap = Instant::now();
    let mut step = |slot: &mut Duration| {
        let now = Instant::now();
        *slot = now - lap;
        lap = now;
    };

    ensure!(
        common.luts.is_empty() && common.num_lookup_polys == 0,
        "circuits with lookup tables are not supported by this prover"
    );
    let config = &common.config;
    let nc = config.num_challenges;
    let rate_bits = config.fri_config.rate_bits;
    let cap_height = config.fri_config.cap_height;
    // plonky2's oracles: constants/sigmas never blinded; wires, Z/partial products, quotient blinded
    // when zero knowledge is on.
    let blinding = config.zero_knowledge;

    // 1. Witness: the generators, then every wire of every row (unset wires are zero).
    let (public_inputs, wires) = match witness.into() {
        // The random wires fixed as the CPU backend fixes them: one job, one proof, on any backend.
        WitnessInput::Partial(inputs) => of_partition(
            &frispool_core::reproducible_witness(inputs, prover, common).map_err(|e| anyhow!("witness: {e}"))?,
            prover,
            common,
        ),
        WitnessInput::Partition(pw) => of_partition(&pw, prover, common),
        WitnessInput::Vector(v) => {
            v.check_circuit(prover, common)?;
            (v.public_inputs.clone(), v.columns())
        }
    };
    let public_inputs_hash = PoseidonHash::hash_no_pad(&public_inputs);
    step(&mut times.witness);

    // What the backend keeps on the device for this proof's commitments goes when the proof ends, made or
    // not: an error on the way (any `?` below) must not leave its rows behind.
    let mut kept = Kept { commit, caps: Vec::new() };

    // 2. Wires commitment.
    let wires_commitment = commit.commit_values(&wires, rate_bits, blinding, cap_height)?;
    kept.caps.push(wires_commitment.merkle_tree.cap.clone());
    step(&mut times.wires_commit);

    // 3. The transcript so far.
    let mut challenger = Challenger::<F, PoseidonHash>::new();
    common.fri_params.observe(&mut challenger);
    challenger.observe_hash::<PoseidonHash>(prover.circuit_digest);
    challenger.observe_hash::<PoseidonHash>(public_inputs_hash);
    challenger.observe_cap::<PoseidonHash>(&wires_commitment.merkle_tree.cap);
    let betas = challenger.get_n_challenges(nc);
    let gammas = challenger.get_n_challenges(nc);

    // 4. Permutation argument.
    ensure!(
        common.quotient_degree_factor < config.num_routed_wires,
        "fewer routed wires than the quotient degree factor"
    );
    let zs_partial_products = match commit.zs_partial_products(&wires, &betas, &gammas, prover, common)? {
        Some(columns) => columns,
        None => permutation::zs_and_partial_products(&wires, &betas, &gammas, prover, common),
    };
    drop(wires);
    step(&mut times.partial_products);

    // 5. Its commitment.
    let zs_commitment = commit.commit_values(&zs_partial_products, rate_bits, blinding, cap_height)?;
    kept.caps.push(zs_commitment.merkle_tree.cap.clone());
    drop(zs_partial_products);
    challenger.observe_cap::<PoseidonHash>(&zs_commitment.merkle_tree.cap);
    let alphas = challenger.get_n_challenges(nc);
    step(&mut times.zs_commit);

    // 6. Quotient, in degree-n chunks.
    let chunks = quotient::quotient_chunks(
        &QuotientInputs {
            common,
            circuit_digest: prover.circuit_digest,
            constants_sigmas: &prover.constants_sigmas_commitment,
            wires: &wires_commitment,
            zs: &zs_commitment,
            pi_hash: &public_inputs_hash,
            betas: &betas,
            gammas: &gammas,
            alphas: &alphas,
        },
        commit,
    )?;
    step(&mut times.quotient);

    // 7. Quotient commitment.
    let quotient_commitment = commit.commit_coeffs(chunks, rate_bits, blinding, cap_height)?;
    kept.caps.push(quotient_commitment.merkle_tree.cap.clone());
    challenger.observe_cap::<PoseidonHash>(&quotient_commitment.merkle_tree.cap);
    step(&mut times.quotient_commit);

    // 8. Openings at ζ and gζ.
    let zeta = challenger.get_extension_challenge::<D>();
    let g = Ext::primitive_root_of_unity(common.degree_bits());
    ensure!(zeta.exp_power_of_2(common.degree_bits()) != Ext::ONE, "Opening point is in the subgroup.");
    // The A/B switch: FRISPOOL_GPU_OPENINGS=off evaluates with plonky2's own `OpeningSet::new`.
    static POWERS: std::sync::OnceLock<bool> = std::sync::OnceLock::new();
    type Open = fn(
        Ext,
        Ext,
        &PolynomialBatch<F, C, D>,
        &PolynomialBatch<F, C, D>,
        &PolynomialBatch<F, C, D>,
        &PolynomialBatch<F, C, D>,
        &CommonCircuitData<F, D>,
    ) -> OpeningSet<F, D>;
    let open: Open = if crate::cuda_quotient::switch("FRISPOOL_GPU_OPENINGS", &POWERS) {
        openings::opening_set
    } else {
        OpeningSet::new::<C>
    };
    let openings = open(
        zeta,
        g,
        &prover.constants_sigmas_commitment,
        &wires_commitment,
        &zs_commitment,
        &quotient_commitment,
        common,
    );
    fri::observe_openings(&mut challenger, &openings);
    step(&mut times.openings);

    // 9. FRI.
    let oracles = [&prover.constants_sigmas_commitment, &wires_commitment, &zs_commitment, &quotient_commitment];
    let batches = fri::opening_batches(common, zeta, g * zeta);
    let opening_proof = fri::prove_openings(
        &batches,
        &oracles,
        &openings,
        prover.circuit_digest.elements.map(|e| plonky2::field::types::PrimeField64::to_canonical_u64(&e)),
        &mut challenger,
        &common.fri_params,
        commit,
    );
    drop(kept);
    let opening_proof = opening_proof?;
    step(&mut times.fri);
    times.total = start.elapsed();

    let proof = Proof {
        wires_cap: wires_commitment.merkle_tree.cap,
        plonk_zs_partial_products_cap: zs_commitment.merkle_tree.cap,
        quotient_polys_cap: quotient_commitment.merkle_tree.cap,
        openings,
        opening_proof,
    };
    Ok((ProofWithPublicInputs { proof, public_inputs }, times))
}

/// A proof's commitments whose rows a backend may keep on the device (by cap), released when the proof ends:
/// on success, on an error, on a panic. Several proofs share one device, each keeping a few commitments, so
/// a proof that left its rows behind would crowd out the others'.
struct Kept<'c> {
    commit: &'c dyn CommitBackend,
    caps: Vec<MerkleCap<F, PoseidonHash>>,
}

impl Drop for Kept<'_> {
    fn drop(&mut self) {
        for cap in &self.caps {
            self.commit.release(cap);
        }
    }
}

/// The public inputs and the wire columns of a partition witness.
fn of_partition(
    pw: &PartitionWitness<'_, F>,
    prover: &ProverOnlyCircuitData<F, C, D>,
    common: &CommonCircuitData<F, D>,
) -> (Vec<F>, Vec<PolynomialValues<F>>) {
    (pw.get_targets(&prover.public_inputs), wire_columns(pw, common))
}

/// Every wire column of the circuit (`num_wires` columns of `degree` rows), as plonky2's
/// `PartitionWitness::full_witness` fills them: a wire nothing set is zero.
fn wire_columns(pw: &PartitionWitness<'_, F>, common: &CommonCircuitData<F, D>) -> Vec<PolynomialValues<F>> {
    assert_eq!((pw.num_wires, pw.degree), (common.config.num_wires, common.degree()), "another circuit's witness");
    frispool_core::wire_columns(pw).into_iter().map(PolynomialValues::new).collect()
}

/// `anyhow` error from a backend's error.
pub(crate) fn backend_err(what: &str, e: impl std::fmt::Display) -> anyhow::Error {
    anyhow!("{what}: {e}")
}
