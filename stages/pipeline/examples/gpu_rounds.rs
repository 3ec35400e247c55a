//! On the GPU machine, after a block went through the pipeline: for every round and circuit type (basic `main`
//! and `sig`, their leaves, node, tip, scheduler, each compression layer) the GPU proof's bytes equal plonky2's
//! for the same witness vector.
//!
//! The witness artifacts of the spool are proven again with a capturing backend, which records each
//! proof's witness vector (and proves it on the CPU so the next round has its input); the compressor's
//! layers are captured from the block's scheduler proof. Every vector is then proven twice: by plonky2's
//! `prove_with_partition_witness` on one thread (its proof-of-work search then returns the smallest
//! witness, as this crate's GPU prover does) and by `frispool_gpu::GpuProver::prove_vector`; the bytes are
//! compared and the GPU proof is verified. Then up to 16 threads prove every vector again at once on the one
//! `GpuProver` (its lanes: a stream each), and every such proof must have the one-at-a-time proof's bytes.
//!
//!     cargo run --release --example gpu_rounds -- SPOOL [PER_ROUND] [DEVICE]

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Instant;

use anyhow::{anyhow, bail, Context, Result};
use frispool_aggregation::ProofId;
use frispool_circuits::{ProofWire, WitnessWire};
use frispool_core::{BackendError, CpuProver, Proof, ProvingBackend, WitnessVector, C, D, F};
use frispool_gpu::quotient_source::QuotientKernel;
use frispool_gpu::GpuProver;
use frispool_pipeline::{kinds, load_serving_keys, proof_key, proof_name, QUEUES};
use frispool_spool::{read_artifact, JobKey, Spool};
use plonky2::plonk::circuit_data::{CommonCircuitData, ProverOnlyCircuitData};
use plonky2::util::timing::TimingTree;

/// Records every witness vector it is given, and proves it on the CPU.
#[derive(Default)]
struct Capture {
    vectors: Mutex<Vec<(String, WitnessVector)>>,
}

impl ProvingBackend for Capture {
    fn name(&self) -> &'static str {
        "capture"
    }

    fn prove_vector(
        &self,
        prover: &ProverOnlyCircuitData<F, C, D>,
        common: &CommonCircuitData<F, D>,
        vector: &WitnessVector,
    ) -> Result<Proof, BackendError> {
        let label = frispool_core::current_job().unwrap_or_default();
        let n = self.vectors.lock().unwrap().iter().filter(|(l, _)| l.starts_with(&label)).count();
        self.vectors.lock().unwrap().push((format!("{label}#{n}"), vector.clone()));
        CpuProver.prove_vector(prover, common, vector)
    }
}

fn main() -> Result<()> {
    let args: Vec<String> = std::env::args().collect();
    let spool_dir = PathBuf::from(args.get(1).ok_or_else(|| anyhow!("usage: gpu_rounds SPOOL [PER_ROUND] [DEVICE]"))?);
    let per_round: usize = args.get(2).map(|s| s.parse()).transpose()?.unwrap_or(2);
    let device: usize = args.get(3).map(|s| s.parse()).transpose()?.unwrap_or(0);
    let spool = Spool::open(&spool_dir, &QUEUES)?;
    let mut keys = load_serving_keys(&spool, false)?;
    let capture = Arc::new(Capture::default());
    keys.use_backend(capture.clone());

    // Up to PER_ROUND witness artifacts of each round and circuit type (so a round with several types, `main`
    // and `sig` in round 0, has each checked), from the spool's artifacts.
    let mut by_round: BTreeMap<(u8, String), Vec<(JobKey, PathBuf)>> = BTreeMap::new();
    let mut blocks = Vec::new();
    for dir in std::fs::read_dir(spool.root().join("artifacts"))?.flatten() {
        let Some(block) = dir.file_name().to_str().and_then(|n| n.strip_prefix('b')?.parse::<u64>().ok()) else {
            continue;
        };
        blocks.push(block);
        for f in std::fs::read_dir(dir.path())?.flatten() {
            let name = f.file_name().to_string_lossy().into_owned();
            let Some(key) = name.strip_suffix(".witness").and_then(|k| k.parse::<JobKey>().ok()) else { continue };
            by_round.entry((key.round, key.circuit.clone())).or_default().push((key, f.path()));
        }
    }
    blocks.sort_unstable();
    for (_, files) in by_round.iter_mut() {
        files.sort_by_key(|(k, _)| k.to_string());
        files.truncate(per_round);
    }
    let started = Instant::now();
    for (key, path) in by_round.values().flatten() {
        let kind = if key.round == 0 { kinds::BASIC_WITNESS } else { kinds::AGGREGATION_WITNESS };
        let witness: WitnessWire = read_artifact(path, kind).with_context(|| format!("{}", path.display()))?;
        frispool_core::with_job(&key.to_string(), || keys.prove(&witness))?;
    }
    // The compression layers, from the first block's scheduler proof.
    let block = *blocks.first().ok_or_else(|| anyhow!("no block in {}", spool_dir.display()))?;
    let sched = proof_key(block, &ProofId::Scheduler);
    let sched_path = spool.root().join(format!("artifacts/b{block:08}/{}", proof_name(&sched)));
    let scheduler: ProofWire = read_artifact(&sched_path, kinds::PROOF)?;
    frispool_core::with_job(&format!("{sched}.compress"), || keys.compress(&scheduler))?;
    let vectors = std::mem::take(&mut *capture.vectors.lock().unwrap());
    eprintln!("captured {} witness vectors in {:.1?}", vectors.len(), started.elapsed());

    let gpu = GpuProver::open(device, 1).map_err(|e| anyhow!("GPU {device}: {e}"))?;
    let circuits = keys.circuits();
    let one_thread = rayon::ThreadPoolBuilder::new().num_threads(1).build()?;
    println!("| job | circuit | rows | quotient | plonky2, 1 thread | GPU | bytes equal | GPU proof verifies |");
    println!("|---|---|---|---|---|---|---|---|");
    let mut unequal = 0;
    let mut serial = Vec::new();
    for (label, v) in &vectors {
        let (name, data) = circuits
            .iter()
            .find(|(_, d)| d.prover_only.circuit_digest == v.circuit_digest)
            .ok_or_else(|| anyhow!("{label}: no circuit with this digest"))?;
        let t = Instant::now();
        let cpu = one_thread.install(|| {
            let pw = v.to_partition_witness(&data.prover_only)?;
            plonky2::plonk::prover::prove_with_partition_witness::<F, C, D>(
                &data.prover_only,
                &data.common,
                pw,
                &mut TimingTree::default(),
            )
            .map_err(|e| anyhow!("{e}"))
        })?;
        let cpu_ms = t.elapsed().as_secs_f64() * 1e3;
        let t = Instant::now();
        let on_gpu = gpu.prove_vector(&data.prover_only, &data.common, v).map_err(|e| anyhow!("{label}: {e}"))?;
        let gpu_ms = t.elapsed().as_secs_f64() * 1e3;
        let equal = cpu.to_bytes() == on_gpu.to_bytes();
        serial.push(on_gpu.to_bytes());
        let verifies = data.verify(on_gpu).is_ok();
        unequal += usize::from(!equal || !verifies);
        println!(
            "| {label} | {name} | 2^{} | {} | {cpu_ms:.0} ms | {gpu_ms:.0} ms | {} | {} |",
            v.degree_bits,
            if QuotientKernel::for_circuit(&data.common).is_some() { "device" } else { "host" },
            if equal { "yes" } else { "NO" },
            if verifies { "yes" } else { "NO" }
        );
    }
    if unequal > 0 {
        bail!("{unequal} of {} proofs differ or do not verify", vectors.len());
    }
    println!("every one of {} GPU proofs equals plonky2's bytes and verifies", vectors.len());
    // Many proofs on the card at once, as a prover's --workers run them: every thread proves every vector again,
    // on whichever lanes (streams) are free, and each proof must be the one-at-a-time proof's bytes.
    let threads = std::thread::available_parallelism().map_or(4, |n| n.get()).min(16);
    let t = Instant::now();
    let differ = std::sync::atomic::AtomicUsize::new(0);
    std::thread::scope(|s| {
        for w in 0..threads {
            let (gpu, circuits, vectors, serial, differ) = (&gpu, &circuits, &vectors, &serial, &differ);
            s.spawn(move || {
                // Each thread starts at another vector, so different circuits meet on the card.
                for k in 0..vectors.len() {
                    let i = (k + w) % vectors.len();
                    let (label, v) = &vectors[i];
                    let data = circuits.iter().find(|(_, d)| d.prover_only.circuit_digest == v.circuit_digest);
                    let bytes = data.and_then(|(_, d)| gpu.prove_vector(&d.prover_only, &d.common, v).ok());
                    if bytes.map(|p| p.to_bytes()).as_ref() != Some(&serial[i]) {
                        eprintln!("{label}: a concurrent GPU proof differs from the one-at-a-time proof (or failed)");
                        differ.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                    }
                }
            });
        }
    });
    let differ = differ.into_inner();
    println!(
        "{threads} threads at once on the card: {} proofs in {:.1?}, {differ} differ from the one-at-a-time bytes",
        threads * vectors.len(),
        t.elapsed()
    );
    if differ > 0 {
        bail!("{differ} concurrent GPU proofs differ from the one-at-a-time proofs");
    }
    Ok(())
}
