//! The step-by-step prover (`frispool_gpu::prover`) with the CPU backend gives the bytes of plonky2's
//! own `CircuitData::prove` for the same witness: a small circuit, frispool's `main` circuit and a leaf
//! over a `main` proof.
//!
//! "The same witness" is the same *partition witness* (every wire's value): plonky2's witness
//! generation fills the public-input gate's unused wires with random values (its division-by-zero
//! guard), so two `CircuitData::prove` calls on one `PartialWitness` never agree. The generators run
//! once (`generate_partial_witness`); plonky2's `prove_with_partition_witness` (the second half of
//! `CircuitData::prove`) and ours start from that result.
//!
//! plonky2's proof-of-work search takes whichever witness one of its threads finds first, so its
//! proofs are deterministic only on one thread, where it returns the smallest witness; this prover
//! always takes the smallest. plonky2's reference proof is therefore made inside a one-thread rayon
//! pool. No GPU needed.

use std::sync::OnceLock;
use std::time::Instant;

use frispool_circuits::basic::main::expected_public_inputs;
use frispool_circuits::{MainChunkWitness, MainCircuit};
use frispool_core::{circuit_config, ProvingBackend, C, D, F};
use frispool_gpu::prover::{prove, prove_timed, CommitBackend, CpuCommit, PlonkyProof};
use plonky2::field::polynomial::{PolynomialCoeffs, PolynomialValues};
use plonky2::field::types::Field;
use plonky2::fri::oracle::PolynomialBatch;
use plonky2::hash::merkle_tree::{MerkleCap, MerkleTree};
use plonky2::hash::poseidon::PoseidonHash;
use plonky2::iop::generator::generate_partial_witness;
use plonky2::iop::target::Target;
use plonky2::iop::witness::{PartialWitness, PartitionWitness, WitnessWrite};
use plonky2::plonk::circuit_builder::CircuitBuilder;
use plonky2::plonk::circuit_data::{CircuitConfig, CircuitData};
use plonky2::plonk::prover::prove_with_partition_witness;
use plonky2::util::timing::TimingTree;

/// plonky2's own prover on one thread (deterministic proof of work), from a partition witness.
fn plonky2_reference<'a>(data: &'a CircuitData<F, C, D>, pw: PartitionWitness<'a, F>) -> PlonkyProof {
    let pool = rayon::ThreadPoolBuilder::new().num_threads(1).build().unwrap();
    pool.install(|| prove_with_partition_witness(&data.prover_only, &data.common, pw, &mut TimingTree::default()))
        .expect("plonky2 proves")
}

/// Ours (CPU backend) equals plonky2's, byte for byte, and plonky2's verifier accepts it.
fn assert_same_proof(name: &str, data: &CircuitData<F, C, D>, pw: PartialWitness<F>) -> PlonkyProof {
    let part = generate_partial_witness(pw, &data.prover_only, &data.common).expect("witness generation");
    let t = Instant::now();
    let want = plonky2_reference(data, part.clone());
    let t_ref = t.elapsed();
    let (got, times) = prove_timed(&data.prover_only, &data.common, part, &CpuCommit).expect("our prover proves");
    eprintln!(
        "{name}: 2^{} rows, plonky2 (1 thread) {:.2} s, ours {:.2} s; steps (ms): {:?}",
        data.common.degree_bits(),
        t_ref.as_secs_f64(),
        times.total.as_secs_f64(),
        times.steps()
    );
    assert_eq!(got.public_inputs, want.public_inputs, "{name}: public inputs");
    assert_eq!(got.proof.wires_cap, want.proof.wires_cap, "{name}: wires cap");
    assert_eq!(got.proof.plonk_zs_partial_products_cap, want.proof.plonk_zs_partial_products_cap, "{name}: Z cap");
    assert_eq!(got.proof.quotient_polys_cap, want.proof.quotient_polys_cap, "{name}: quotient cap");
    assert_eq!(got.proof.openings, want.proof.openings, "{name}: openings");
    assert_eq!(got.proof.opening_proof.pow_witness, want.proof.opening_proof.pow_witness, "{name}: pow witness");
    assert!(got.to_bytes() == want.to_bytes(), "{name}: proof bytes differ");
    data.verify(got.clone()).expect("plonky2's verifier accepts our proof");
    got
}

/// Arithmetic, constants, Poseidon, random access, bit splits, public inputs.
fn small_circuit(config: CircuitConfig) -> (CircuitData<F, C, D>, Vec<Target>) {
    let mut b = CircuitBuilder::<F, D>::new(config);
    let xs: Vec<Target> = (0..8).map(|_| b.add_virtual_target()).collect();
    b.register_public_inputs(&xs[..2]);
    let h = b.hash_n_to_hash_no_pad::<PoseidonHash>(xs.clone());
    b.register_public_inputs(&h.elements);
    let mut acc = xs[0];
    for &x in &xs[1..] {
        acc = b.mul_add(acc, x, xs[0]);
    }
    let seven = b.constant(F::from_canonical_u64(7));
    let y = b.mul(acc, seven);
    b.register_public_input(y);
    let idx = b.constant(F::from_canonical_u64(5));
    let r = b.random_access(idx, xs.clone());
    b.register_public_input(r);
    let bits = b.split_le(xs[3], 40);
    let back = b.le_sum(bits.into_iter());
    b.connect(back, xs[3]);
    (b.build::<C>(), xs)
}

fn small_witness(xs: &[Target]) -> PartialWitness<F> {
    let mut pw = PartialWitness::new();
    for (i, &x) in xs.iter().enumerate() {
        pw.set_target(x, F::from_canonical_u64(1000 + 17 * i as u64)).unwrap();
    }
    pw
}

#[test]
fn small_circuit_proof_bytes_equal_plonky2() {
    let (data, xs) = small_circuit(circuit_config());
    assert_same_proof("small", &data, small_witness(&xs));
}

#[test]
fn partial_witness_input_proves_verifies_and_proves_again_to_the_same_bytes() {
    // Generators run inside `prove`.
    let (data, xs) = small_circuit(circuit_config());
    let p = prove(&data.prover_only, &data.common, small_witness(&xs), &CpuCommit).unwrap();
    data.verify(p.clone()).expect("verifies");
    // The public-input gate's random wires are fixed as the CPU backend fixes them: the same job proves to the
    // same bytes every time, so a duplicate run of it writes the artifact already there, not a conflict.
    let again = prove(&data.prover_only, &data.common, small_witness(&xs), &CpuCommit).unwrap();
    assert!(p.to_bytes() == again.to_bytes(), "two proofs of one partial witness differ");
    // plonky2's proof of work is the smallest witness only on one thread (module comment).
    let one = rayon::ThreadPoolBuilder::new().num_threads(1).build().unwrap();
    let cpu = one.install(|| frispool_core::CpuProver.prove(&data.prover_only, &data.common, small_witness(&xs)));
    let cpu = cpu.unwrap();
    assert!(p.to_bytes() == cpu.to_bytes(), "the CPU backend's proof of the same partial witness differs");
}

#[test]
fn the_same_partition_witness_gives_the_same_bytes_twice() {
    let (data, xs) = small_circuit(circuit_config());
    let part = generate_partial_witness(small_witness(&xs), &data.prover_only, &data.common).unwrap();
    let a = prove(&data.prover_only, &data.common, part.clone(), &CpuCommit).unwrap();
    let b = prove(&data.prover_only, &data.common, part, &CpuCommit).unwrap();
    assert!(a.to_bytes() == b.to_bytes());
}

#[test]
fn zero_knowledge_proofs_verify() {
    let config = CircuitConfig { num_challenges: 3, ..CircuitConfig::standard_recursion_zk_config() };
    let (data, xs) = small_circuit(config);
    let p = prove(&data.prover_only, &data.common, small_witness(&xs), &CpuCommit).unwrap();
    data.verify(p).expect("a blinded proof verifies");
}

#[test]
fn a_witness_that_breaks_a_constraint_is_refused() {
    let (data, xs) = small_circuit(circuit_config());
    let mut part = generate_partial_witness(small_witness(&xs), &data.prover_only, &data.common).unwrap();
    // Change one value after the generators ran: the Poseidon gate's output no longer matches its
    // input, so the vanishing polynomial is not divisible by Z_H.
    let public = data.prover_only.public_inputs[2];
    let rep = part.representative_map[public.index(part.num_wires, part.degree)];
    part.values[rep] = Some(part.values[rep].unwrap() + F::ONE);
    match std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        prove(&data.prover_only, &data.common, part, &CpuCommit)
    })) {
        Ok(Err(e)) => assert!(e.to_string().contains("not divisible"), "{e}"),
        Err(_) => {}
        Ok(Ok(p)) => assert!(data.verify(p).is_err(), "an unsatisfied witness must not verify"),
    }
}

// ---- frispool's `main` circuit and a leaf ---------------------------------------------------------

mod support;

struct MainFixture {
    circuit: MainCircuit,
    chunk: MainChunkWitness,
}

fn main_fixture() -> &'static MainFixture {
    static FIX: OnceLock<MainFixture> = OnceLock::new();
    FIX.get_or_init(|| {
        let (circuit, chunk) = support::main_setup(7);
        MainFixture { circuit, chunk }
    })
}

fn main_proof() -> &'static PlonkyProof {
    static PROOF: OnceLock<PlonkyProof> = OnceLock::new();
    PROOF.get_or_init(|| {
        let f = main_fixture();
        let proof = assert_same_proof("main", &f.circuit.data, support::main_witness(&f.circuit, &f.chunk));
        assert_eq!(proof.public_inputs, expected_public_inputs(&f.chunk), "main's public inputs");
        proof
    })
}

#[test]
fn main_circuit_proof_bytes_equal_plonky2() {
    main_proof();
}

#[test]
fn leaf_over_a_main_proof_bytes_equal_plonky2() {
    let f = main_fixture();
    let inner = main_proof();
    let leaf = support::leaf_setup(&f.circuit.data);
    let ours = assert_same_proof("leaf", &leaf.data, support::leaf_witness(&leaf, inner));
    let theirs = leaf.prove(std::slice::from_ref(inner)).expect("the leaf's own prover");
    assert_eq!(ours.public_inputs, theirs.public_inputs, "the leaf's public inputs");
}

/// `CpuCommit` that records which commitments' rows the prover releases, and fails its `fail_at`-th
/// commitment (0: none): a device backend keeps rows per commitment until the proof releases them.
struct Releases {
    made: std::sync::Mutex<Vec<Vec<F>>>,
    released: std::sync::Mutex<Vec<Vec<F>>>,
    fail_at: usize,
}

impl Releases {
    fn new(fail_at: usize) -> Releases {
        Releases { made: Default::default(), released: Default::default(), fail_at }
    }

    fn made(&self, b: anyhow::Result<PolynomialBatch<F, C, D>>) -> anyhow::Result<PolynomialBatch<F, C, D>> {
        let mut made = self.made.lock().unwrap();
        if made.len() + 1 == self.fail_at {
            anyhow::bail!("commitment {} fails here", self.fail_at);
        }
        let b = b?;
        made.push(cap_elements(&b.merkle_tree.cap));
        Ok(b)
    }
}

fn cap_elements(cap: &MerkleCap<F, PoseidonHash>) -> Vec<F> {
    cap.0.iter().flat_map(|h| h.elements).collect()
}

impl CommitBackend for Releases {
    fn name(&self) -> String {
        "releases".into()
    }
    fn commit_values(
        &self,
        values: &[PolynomialValues<F>],
        rate_bits: usize,
        blinding: bool,
        cap_height: usize,
    ) -> anyhow::Result<PolynomialBatch<F, C, D>> {
        self.made(CpuCommit.commit_values(values, rate_bits, blinding, cap_height))
    }
    fn commit_coeffs(
        &self,
        coeffs: Vec<PolynomialCoeffs<F>>,
        rate_bits: usize,
        blinding: bool,
        cap_height: usize,
    ) -> anyhow::Result<PolynomialBatch<F, C, D>> {
        self.made(CpuCommit.commit_coeffs(coeffs, rate_bits, blinding, cap_height))
    }
    fn merkle_tree(&self, leaves: Vec<Vec<F>>, cap_height: usize) -> anyhow::Result<MerkleTree<F, PoseidonHash>> {
        CpuCommit.merkle_tree(leaves, cap_height)
    }
    fn release(&self, cap: &MerkleCap<F, PoseidonHash>) {
        self.released.lock().unwrap().push(cap_elements(cap));
    }
}

#[test]
fn every_commitment_of_a_proof_is_released_when_it_ends_made_or_failed() {
    let (data, xs) = small_circuit(circuit_config());
    let made = Releases::new(0);
    let p = prove(&data.prover_only, &data.common, small_witness(&xs), &made).unwrap();
    let want: Vec<Vec<F>> = [&p.proof.wires_cap, &p.proof.plonk_zs_partial_products_cap, &p.proof.quotient_polys_cap]
        .into_iter()
        .map(cap_elements)
        .collect();
    assert_eq!(*made.released.lock().unwrap(), want, "the wires, Z and quotient commitments, each once");
    // A proof that fails at its second, then third commitment still releases the ones it made: with many
    // proofs on one device, rows left behind would crowd out the others'.
    for fail_at in [2, 3] {
        let failing = Releases::new(fail_at);
        let e = prove(&data.prover_only, &data.common, small_witness(&xs), &failing).unwrap_err();
        assert!(e.to_string().contains("fails here"), "{e:#}");
        let made = failing.made.lock().unwrap().clone();
        assert_eq!(made.len(), fail_at - 1);
        assert_eq!(*failing.released.lock().unwrap(), made, "failing at commitment {fail_at}");
    }
}
