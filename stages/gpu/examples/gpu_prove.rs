//! The prover flow on the device (issue 10). For frispool's `main` circuit and a leaf over a `main`
//! proof, from one partition witness each:
//! - the proof made with the GPU commitment backend equals, byte for byte, the CPU backend's, and for
//!   `main` also plonky2's own prover's (one-thread pool: its proof-of-work search is deterministic
//!   only there); plonky2's verifier accepts the GPU proofs;
//! - the time of one proof: plonky2's `prove_with_partition_witness` on all the host's cores, this
//!   prover with the CPU backend, and with the GPU backend (medians; step breakdowns);
//! - the kernel cache: the first `Gpu::new` compiles and stores, a second one loads.
//!
//! Build here: `cargo build --release -p frispool-gpu --example gpu_prove`; run on the GPU machine
//! (`stages/gpu/run-prove.sh`). `GPU_PROVE_REPS` (default 5) timed proofs per variant.
//! Exits 2 without a usable GPU, 1 if a check fails.

#[path = "../tests/support/mod.rs"]
mod support;

use std::time::Instant;

use frispool_core::{C, D, F};
use frispool_gpu::prover::{prove, prove_timed, CommitBackend, CpuCommit, DeviceCommit, PlonkyProof, ProveTimes};
use frispool_gpu::Gpu;
use plonky2::iop::generator::generate_partial_witness;
use plonky2::iop::witness::{PartialWitness, PartitionWitness};
use plonky2::plonk::circuit_data::CircuitData;
use plonky2::plonk::prover::prove_with_partition_witness;
use plonky2::util::timing::TimingTree;

struct Out {
    failures: usize,
    summary: Vec<String>,
}

impl Out {
    fn check(&mut self, what: &str, ok: bool) {
        let line = format!("CHECK {what:<70} {}", if ok { "ok" } else { "FAILED" });
        println!("{line}");
        if !ok {
            self.failures += 1;
        }
        self.summary.push(line);
    }
    fn line(&mut self, line: String) {
        println!("{line}");
        self.summary.push(line);
    }
}

fn plonky2_prove<'a>(data: &'a CircuitData<F, C, D>, part: PartitionWitness<'a, F>) -> PlonkyProof {
    prove_with_partition_witness(&data.prover_only, &data.common, part, &mut TimingTree::default())
        .expect("plonky2 proves")
}

/// Median time (ms) of `reps` proofs with `backend`, with the step times of the median run.
fn time_ours<'a>(
    data: &'a CircuitData<F, C, D>,
    part: &PartitionWitness<'a, F>,
    backend: &dyn CommitBackend,
    reps: usize,
) -> (f64, ProveTimes) {
    let mut runs: Vec<(f64, ProveTimes)> = (0..reps)
        .map(|_| {
            let (_, t) = prove_timed(&data.prover_only, &data.common, part.clone(), backend).expect("proves");
            (t.total.as_secs_f64() * 1e3, t)
        })
        .collect();
    runs.sort_by(|a, b| a.0.partial_cmp(&b.0).unwrap());
    runs.swap_remove(reps / 2)
}

/// Median wall time (ms) of `reps` runs of `work`; what it returns is dropped inside the timing.
fn median_ms<T>(reps: usize, mut work: impl FnMut() -> T) -> f64 {
    support::median(
        (0..reps)
            .map(|_| {
                let t = Instant::now();
                drop(work());
                t.elapsed().as_secs_f64() * 1e3
            })
            .collect(),
    )
}

fn steps_line(name: &str, t: &ProveTimes) -> String {
    let parts: Vec<String> = t.steps().iter().map(|(k, ms)| format!("{k} {ms:.1}")).collect();
    format!("STEPS {name:<22} {}", parts.join(" | "))
}

/// Checks and timings of one circuit; returns the GPU-backend proof.
fn circuit(
    out: &mut Out,
    name: &str,
    data: &CircuitData<F, C, D>,
    pw: PartialWitness<F>,
    gpu: &Gpu,
    reps: usize,
    plonky2_reference: bool,
) -> PlonkyProof {
    let t = Instant::now();
    let part = generate_partial_witness(pw.clone(), &data.prover_only, &data.common).expect("witness generation");
    let gen_ms = t.elapsed().as_secs_f64() * 1e3;
    let dev = DeviceCommit::new(gpu);
    let cpu_proof = prove(&data.prover_only, &data.common, part.clone(), &CpuCommit).expect("CPU backend proves");
    let gpu_proof = prove(&data.prover_only, &data.common, part.clone(), &dev).expect("GPU backend proves");
    let bytes = gpu_proof.to_bytes();
    out.check(
        &format!("{name}: GPU-backend proof bytes == CPU-backend proof bytes ({} B)", bytes.len()),
        bytes == cpu_proof.to_bytes(),
    );
    out.check(
        &format!("{name}: plonky2's verifier accepts the GPU-backend proof"),
        data.verify(gpu_proof.clone()).is_ok(),
    );
    if plonky2_reference {
        let pool = rayon::ThreadPoolBuilder::new().num_threads(1).build().unwrap();
        let t = Instant::now();
        let reference = pool.install(|| plonky2_prove(data, part.clone()));
        let one_ms = t.elapsed().as_secs_f64() * 1e3;
        out.check(
            &format!("{name}: GPU-backend proof bytes == plonky2's own (1 thread, {one_ms:.0} ms)"),
            reference.to_bytes() == bytes,
        );
    }

    let threads = rayon::current_num_threads();
    let plonky2_ms = median_ms(reps, || plonky2_prove(data, part.clone()));
    let (cpu_ms, cpu_t) = time_ours(data, &part, &CpuCommit, reps);
    let (gpu_ms, gpu_t) = time_ours(data, &part, &dev, reps);
    let host_trees = DeviceCommit::new(gpu).with_min_device_tree_leaves(1 << 10);
    let (gpu2_ms, gpu2_t) = time_ours(data, &part, &host_trees, reps);
    out.line(format!(
        "TIME  {name} (2^{} rows), median of {reps}, from a partition witness (generators: {gen_ms:.1} ms, not included):",
        data.common.degree_bits()
    ));
    out.line(format!("TIME    plonky2 prove_with_partition_witness, {threads} threads   {plonky2_ms:>9.1} ms"));
    out.line(format!("TIME    this prover, CPU backend, {threads} threads            {cpu_ms:>9.1} ms"));
    out.line(format!(
        "TIME    this prover, GPU backend                      {gpu_ms:>9.1} ms   {:.2}x vs plonky2",
        plonky2_ms / gpu_ms
    ));
    out.line(format!(
        "TIME    this prover, GPU backend, FRI trees < 2^10 on host {gpu2_ms:>6.1} ms   {:.2}x vs plonky2",
        plonky2_ms / gpu2_ms
    ));
    // The whole proof from the inputs (witness generation included): plonky2's `CircuitData::prove`
    // against frispool's replayed witness generation and the GPU backend, as a prover job runs them.
    let whole_plonky2 = median_ms(reps, || data.prove(pw.clone()).expect("plonky2 proves"));
    frispool_core::generate_witness(pw.clone(), &data.prover_only, &data.common).expect("records the schedule");
    let whole_gpu = median_ms(reps, || {
        let part = frispool_core::generate_witness(pw.clone(), &data.prover_only, &data.common).expect("witness");
        prove(&data.prover_only, &data.common, part, &dev).expect("GPU backend proves")
    });
    out.line(format!(
        "TIME  {name} whole proof from its inputs (witness generation included): plonky2 CircuitData::prove {whole_plonky2:.1} ms, replayed witness + GPU backend {whole_gpu:.1} ms   {:.2}x",
        whole_plonky2 / whole_gpu
    ));
    out.line(steps_line(&format!("{name} cpu-backend"), &cpu_t));
    out.line(steps_line(&format!("{name} gpu-backend"), &gpu_t));
    out.line(steps_line(&format!("{name} gpu-hosttrees"), &gpu2_t));
    gpu_proof
}

fn main() {
    let reps: usize = std::env::var("GPU_PROVE_REPS").ok().and_then(|v| v.parse().ok()).unwrap_or(5).max(1);
    let t = Instant::now();
    let gpu = match Gpu::new(0) {
        Ok(g) => g,
        Err(e) => {
            eprintln!("no usable GPU: {e}");
            std::process::exit(2);
        }
    };
    let mut out = Out { failures: 0, summary: Vec::new() };
    let info = gpu.info().clone();
    out.line(format!(
        "DEVICE {} (sm_{}{}, {} SMs, {:.1} GiB); host threads {}",
        info.name,
        info.compute_capability.0,
        info.compute_capability.1,
        info.multiprocessors,
        info.total_mem as f64 / (1u64 << 30) as f64,
        rayon::current_num_threads()
    ));
    out.line(format!(
        "KERNELS first Gpu::new {:.2} s (kernels {:.2} s): {:?}",
        t.elapsed().as_secs_f64(),
        info.compile_s,
        info.kernel_cache
    ));
    {
        let t = Instant::now();
        let again = Gpu::new(0).expect("second Gpu::new");
        out.line(format!(
            "KERNELS second Gpu::new {:.2} s (kernels {:.2} s): {:?}",
            t.elapsed().as_secs_f64(),
            again.info().compile_s,
            again.info().kernel_cache
        ));
    }

    let t = Instant::now();
    let (main, chunk) = support::main_setup(7);
    out.line(format!("SETUP main circuit built in {:.1} s", t.elapsed().as_secs_f64()));
    let main_proof = circuit(&mut out, "main", &main.data, support::main_witness(&main, &chunk), &gpu, reps, true);
    out.check(
        "main: public inputs are the chunk's expected ones",
        main_proof.public_inputs == frispool_circuits::basic::main::expected_public_inputs(&chunk),
    );

    let t = Instant::now();
    let leaf = support::leaf_setup(&main.data);
    out.line(format!("SETUP leaf circuit built in {:.1} s", t.elapsed().as_secs_f64()));
    let leaf_reps = reps.min(3);
    circuit(&mut out, "leaf", &leaf.data, support::leaf_witness(&leaf, &main_proof), &gpu, leaf_reps, false);

    println!("\n==== summary ====");
    for l in &out.summary {
        println!("{l}");
    }
    println!("failures: {}", out.failures);
    std::process::exit(if out.failures == 0 { 0 } else { 1 });
}
