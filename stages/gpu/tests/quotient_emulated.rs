//! The generated quotient kernel, compiled by the host C++ compiler under the CUDA shim and run on the CPU,
//! against the prover's CPU quotient (plonky2's gate evaluations): on fresh random LDE rows and challenges
//! for four circuits of different shapes (a small one, frispool's `main`, the leaf with every gate of
//! plonky2's recursive verifier, and a `sig` instance with its custom `WindowStepGate`), and
//! inside whole proofs, whose bytes must equal the CPU-quotient proof's. Skips (with a message) without g++.

mod support;

use std::path::Path;
use std::process::Command;

use anyhow::Result;
use frispool_core::{C, D, F};
use frispool_gpu::prover::quotient::cpu_values;
use frispool_gpu::quotient_source::QuotientKernel;
use frispool_gpu::{prove, source, CommitBackend, CpuCommit, QuotientInputs};
use plonky2::field::polynomial::{PolynomialCoeffs, PolynomialValues};
use plonky2::field::types::{Field, PrimeField64, Sample};
use plonky2::fri::oracle::PolynomialBatch;
use plonky2::hash::hash_types::HashOut;
use plonky2::hash::merkle_tree::{MerkleCap, MerkleTree};
use plonky2::hash::poseidon::PoseidonHash;
use plonky2::iop::witness::{PartialWitness, WitnessWrite};
use plonky2::plonk::circuit_builder::CircuitBuilder;
use plonky2::plonk::circuit_data::{CircuitConfig, CircuitData, CommonCircuitData};

#[path = "support/gxx.rs"]
mod gxx;

const DRIVER: &str = r#"
int main(int argc, char **argv) {
  if (argc != 6) return 2;
  auto cs = rd(argv[1]); auto w = rd(argv[2]); auto z = rd(argv[3]); auto prm = rd(argv[4]);
  std::vector<u64> out(QK_LDE_SIZE * QK_NC);
  blockDim = {1, 1, 1}; gridDim = {(unsigned)QK_LDE_SIZE, 1, 1}; threadIdx = {0, 0, 0};
  for (unsigned x = 0; x < QK_LDE_SIZE; x++) { blockIdx = {x, 0, 0}; quotient_values(cs.data(), w.data(), z.data(), prm.data(), out.data()); }
  wr(argv[5], out);
  return 0;
}
"#;

/// One circuit's kernel compiled for the CPU.
struct EmuKernel {
    dir: tempfile::TempDir,
    exe: std::path::PathBuf,
    kernel: QuotientKernel,
}

/// g++ is here to compile the kernel for the CPU; if not, the test skips and says why.
fn have_gxx() -> bool {
    let ok = gxx::have_gxx();
    if !ok {
        eprintln!("skipping: no g++ on this machine to compile the CUDA source for CPU emulation");
    }
    ok
}

impl EmuKernel {
    fn build(common: &CommonCircuitData<F, D>) -> EmuKernel {
        let kernel = QuotientKernel::for_circuit(common).expect("the circuit's gates are all supported");
        let dir = tempfile::tempdir().unwrap();
        let exe = gxx::compile(dir.path(), "quotient", &source::quotient_module_source(&kernel).unwrap(), DRIVER);
        EmuKernel { dir, exe, kernel }
    }

    fn values(&self, q: &QuotientInputs<'_>) -> Vec<F> {
        let shape = self.kernel.shape;
        let file = |name: &str, data: &[u64]| -> std::path::PathBuf {
            let p = self.dir.path().join(name);
            std::fs::write(&p, data.iter().flat_map(|x| x.to_le_bytes()).collect::<Vec<u8>>()).unwrap();
            p
        };
        let rows = |b: &PolynomialBatch<F, C, D>| -> Vec<u64> {
            b.merkle_tree.leaves.iter().flatten().map(|f| f.to_canonical_u64()).collect()
        };
        let params =
            frispool_gpu::quotient_source::quotient_params(q.common, &shape, q.pi_hash, q.betas, q.gammas, q.alphas);
        let args = [
            file("cs.bin", &rows(q.constants_sigmas)),
            file("w.bin", &rows(q.wires)),
            file("z.bin", &rows(q.zs)),
            file("prm.bin", &params),
        ];
        let out = self.dir.path().join("out.bin");
        let run = Command::new(&self.exe).args(&args).arg(&out).output().unwrap();
        assert!(run.status.success(), "emulated quotient kernel failed: {}", String::from_utf8_lossy(&run.stderr));
        let bytes = std::fs::read(Path::new(&out)).unwrap();
        let v: Vec<F> =
            bytes.chunks_exact(8).map(|c| F::from_canonical_u64(u64::from_le_bytes(c.try_into().unwrap()))).collect();
        assert_eq!(v.len(), shape.lde_size * shape.num_challenges);
        v
    }
}

/// A commitment whose LDE rows are random (the quotient reads nothing else).
fn random_batch(common: &CommonCircuitData<F, D>, width: usize) -> PolynomialBatch<F, C, D> {
    let rows = 1usize << (common.degree_bits() + common.config.fri_config.rate_bits);
    PolynomialBatch {
        polynomials: Vec::new(),
        merkle_tree: MerkleTree {
            leaves: (0..rows).map(|_| F::rand_vec(width)).collect(),
            digests: Vec::new(),
            cap: MerkleCap(Vec::new()),
        },
        degree_log: common.degree_bits(),
        rate_bits: common.config.fri_config.rate_bits,
        blinding: false,
    }
}

/// Random rows and challenges: the kernel's values equal the CPU's at every point.
fn check_random(common: &CommonCircuitData<F, D>, emu: &EmuKernel) {
    let nc = common.config.num_challenges;
    let cs = random_batch(common, common.num_constants + common.config.num_routed_wires);
    let wires = random_batch(common, common.config.num_wires);
    let zs = random_batch(common, nc * (1 + common.num_partial_products));
    let pi_hash = HashOut::<F>::rand();
    let (betas, gammas, alphas) = (F::rand_vec(nc), F::rand_vec(nc), F::rand_vec(nc));
    let q = QuotientInputs {
        common,
        circuit_digest: HashOut::rand(),
        constants_sigmas: &cs,
        wires: &wires,
        zs: &zs,
        pi_hash: &pi_hash,
        betas: &betas,
        gammas: &gammas,
        alphas: &alphas,
    };
    let cpu = cpu_values(&q).unwrap();
    let emu = emu.values(&q);
    let first = cpu.iter().zip(&emu).position(|(a, b)| a != b);
    assert!(first.is_none(), "kernel and CPU differ first at value {} of {}", first.unwrap(), cpu.len());
}

/// A circuit with every gate the kernel knows: Poseidon (a Merkle-style swap too), arithmetic, base sum,
/// constants, public inputs.
fn small_circuit() -> (CircuitData<F, C, D>, Vec<plonky2::iop::target::Target>) {
    let config = CircuitConfig::standard_recursion_config();
    let mut b = CircuitBuilder::<F, D>::new(config);
    let inputs = b.add_virtual_targets(4);
    let h = b.hash_n_to_hash_no_pad::<PoseidonHash>(inputs.clone());
    let prod = b.mul_add(inputs[0], inputs[1], h.elements[0]);
    let bits = b.split_le(inputs[2], 32);
    let sum = b.le_sum(bits.iter());
    let c = b.constant(F::from_canonical_u64(0x1234_5678));
    let out = b.mul(sum, c);
    b.register_public_inputs(&h.elements);
    b.register_public_input(prod);
    b.register_public_input(out);
    (b.build::<C>(), inputs)
}

#[test]
fn kernel_equals_cpu_on_random_rows_small_circuit() {
    if !have_gxx() {
        return;
    }
    let (data, _) = small_circuit();
    let emu = EmuKernel::build(&data.common);
    for _ in 0..2 {
        check_random(&data.common, &emu);
    }
}

#[test]
fn kernel_equals_cpu_on_random_rows_main() {
    if !have_gxx() {
        return;
    }
    let (main, _) = support::main_setup(7);
    let common = &main.data.common;
    let emu = EmuKernel::build(common);
    check_random(common, &emu);
}

#[test]
fn kernel_equals_cpu_on_random_rows_leaf() {
    if !have_gxx() {
        return;
    }
    // The leaf holds every gate of plonky2's recursive verifier (the node, tip, scheduler and compression
    // circuits use the same set).
    let (main, _) = support::main_setup(7);
    let leaf = support::leaf_setup(&main.data);
    let common = &leaf.data.common;
    let emu = EmuKernel::build(common);
    check_random(common, &emu);
}

/// One signature's `sig` circuit: frispool-sig's `WindowStepGate` (emitted from the gate's own definition)
/// beside plonky2's random-access, arithmetic, base-sum and Poseidon gates.
fn sig_circuit() -> frispool_sig::SigCircuit {
    frispool_sig::SigCircuit::build(CircuitConfig::standard_recursion_config(), 1)
}

#[test]
fn kernel_equals_cpu_on_random_rows_sig() {
    if !have_gxx() {
        return;
    }
    let sig = sig_circuit();
    let common = &sig.data().common;
    assert!(
        common.gates.iter().any(|g| g.0.id() == "WindowStepGate"),
        "the sig circuit uses the custom gate this test is about"
    );
    let emu = EmuKernel::build(common);
    check_random(common, &emu);
}

#[test]
fn sig_proof_with_the_kernel_quotient_has_the_cpu_bytes() {
    if !have_gxx() {
        return;
    }
    let sig = sig_circuit();
    let data = sig.data();
    let emu = EmuKernel::build(&data.common);
    let instance = frispool_sig::SigInstance::new(HashOut::ZERO, vec![frispool_sig::SigSlot::padding()]);
    let pw = sig.witness(&instance).unwrap();
    let pw = plonky2::iop::generator::generate_partial_witness(pw, &data.prover_only, &data.common).unwrap();
    let with_kernel = prove(&data.prover_only, &data.common, pw.clone(), &EmuQuotient(&emu)).unwrap();
    let with_cpu = prove(&data.prover_only, &data.common, pw, &CpuCommit).unwrap();
    data.verify(with_kernel.clone()).expect("the sig proof with the kernel's quotient verifies");
    assert!(with_kernel.to_bytes() == with_cpu.to_bytes(), "the kernel's quotient changed the sig proof's bytes");
}

/// The CPU's commitments, the emulated kernel's quotient.
struct EmuQuotient<'a>(&'a EmuKernel);

impl CommitBackend for EmuQuotient<'_> {
    fn name(&self) -> String {
        "emulated quotient".into()
    }
    fn commit_values(
        &self,
        v: &[PolynomialValues<F>],
        r: usize,
        b: bool,
        h: usize,
    ) -> Result<PolynomialBatch<F, C, D>> {
        CpuCommit.commit_values(v, r, b, h)
    }
    fn commit_coeffs(
        &self,
        c: Vec<PolynomialCoeffs<F>>,
        r: usize,
        b: bool,
        h: usize,
    ) -> Result<PolynomialBatch<F, C, D>> {
        CpuCommit.commit_coeffs(c, r, b, h)
    }
    fn merkle_tree(&self, leaves: Vec<Vec<F>>, h: usize) -> Result<MerkleTree<F, PoseidonHash>> {
        CpuCommit.merkle_tree(leaves, h)
    }
    fn quotient_values(&self, q: &QuotientInputs<'_>) -> Result<Option<Vec<F>>> {
        Ok(Some(self.0.values(q)))
    }
}

#[test]
fn proof_with_the_kernel_quotient_has_the_cpu_bytes() {
    if !have_gxx() {
        return;
    }
    let (data, inputs) = small_circuit();
    let emu = EmuKernel::build(&data.common);
    let witness = || {
        let mut pw = PartialWitness::new();
        for (i, t) in inputs.iter().enumerate() {
            pw.set_target(*t, F::from_canonical_u64(1000 + i as u64)).unwrap();
        }
        pw
    };
    // One partition witness for both (plonky2 fills unused public-input wires at random).
    let pw = plonky2::iop::generator::generate_partial_witness(witness(), &data.prover_only, &data.common).unwrap();
    let with_kernel = prove(&data.prover_only, &data.common, pw.clone(), &EmuQuotient(&emu)).unwrap();
    let with_cpu = prove(&data.prover_only, &data.common, pw, &CpuCommit).unwrap();
    data.verify(with_kernel.clone()).expect("the proof with the kernel's quotient verifies");
    assert!(with_kernel.to_bytes() == with_cpu.to_bytes(), "the kernel's quotient changed the proof's bytes");
}
