//! Check every kernel against plonky2 on fresh random inputs, then time them (issue 10).
//!
//! Build here: `cargo build --release -p frispool-gpu --example gpu_check`; run on the GPU machine.
//! Exits 2 with the typed error on a machine without a usable GPU, 1 if any check fails.
//! `GPU_CHECK_QUICK=1` skips the timings.

use std::time::Instant;

use frispool_gpu::backend::{Backend, PoseidonVariant};
use frispool_gpu::plan::{digest_pos, ntt_plan};
use frispool_gpu::{commit, Gpu, F};
use plonky2::field::fft::{fft, ifft};
use plonky2::field::polynomial::{PolynomialCoeffs, PolynomialValues};
use plonky2::field::types::{Field, PrimeField64, Sample};
use plonky2::fri::oracle::PolynomialBatch;
use plonky2::hash::poseidon::Poseidon;
use plonky2::plonk::config::PoseidonGoldilocksConfig;
use plonky2::util::reverse_index_bits;
use plonky2::util::timing::TimingTree;
use rayon::prelude::*;

type C = PoseidonGoldilocksConfig;

fn canon(v: &[F]) -> Vec<u64> {
    v.iter().map(|x| x.to_canonical_u64()).collect()
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(|a, b| a.partial_cmp(b).unwrap());
    v[v.len() / 2]
}

struct Report {
    failures: usize,
    lines: Vec<String>,
}

impl Report {
    fn check(&mut self, what: &str, mismatches: usize, total: usize) {
        let ok = mismatches == 0;
        if !ok {
            self.failures += 1;
        }
        let line = format!(
            "CHECK {:<62} {:>10} / {:<10} {}",
            what,
            total - mismatches,
            total,
            if ok { "ok" } else { "MISMATCH" }
        );
        println!("{line}");
        self.lines.push(line);
    }
    fn time(&mut self, line: String) {
        println!("{line}");
        self.lines.push(line);
    }
}

fn count_diff<T: PartialEq>(a: &[T], b: &[T]) -> usize {
    a.iter().zip(b).filter(|(x, y)| x != y).count() + a.len().abs_diff(b.len())
}

fn main() {
    // GPU_CHECK_SET=prover: the prover's kernel set (what Gpu::new compiles); default: every variant.
    let set = match std::env::var("GPU_CHECK_SET").as_deref() {
        Ok("prover") => frispool_gpu::KernelSet::Prover,
        _ => frispool_gpu::KernelSet::Bench,
    };
    let gpu = match Gpu::with_kernels(0, set) {
        Ok(g) => g,
        Err(e) => {
            eprintln!("gpu_check: {e}");
            std::process::exit(2);
        }
    };
    let info = gpu.info().clone();
    println!(
        "device: {} (sm_{}{}, {} SMs, {:.1} GiB); kernel set {:?}: kernels ready in {:.2} s ({:?}); host threads {}",
        info.name,
        info.compute_capability.0,
        info.compute_capability.1,
        info.multiprocessors,
        info.total_mem as f64 / (1u64 << 30) as f64,
        set,
        info.compile_s,
        info.kernel_cache,
        rayon::current_num_threads()
    );
    let mut rep = Report { failures: 0, lines: Vec::new() };
    if let Ok(path) = std::env::var("GPU_DUMP_PTX") {
        match gpu.ptx() {
            Ok(ptx) => {
                let _ = std::fs::write(&path, ptx);
            }
            Err(e) => eprintln!("gpu_check: no PTX dump: {e}"),
        }
    }
    if let Err(e) = checks(&gpu, &mut rep) {
        eprintln!("gpu_check: checks stopped: {e}");
        std::process::exit(1);
    }
    if std::env::var("GPU_CHECK_QUICK").is_err() {
        if let Err(e) = timings(&gpu, &mut rep) {
            eprintln!("gpu_check: timings stopped: {e}");
            std::process::exit(1);
        }
    }
    println!(
        "\n==== summary: {} on {} ====",
        if rep.failures == 0 { "ALL CHECKS PASS" } else { "CHECKS FAILED" },
        info.name
    );
    for l in &rep.lines {
        println!("{l}");
    }
    if let Ok(dir) = std::env::var("OUT") {
        let text = format!("device: {}\n{}\n", info.name, rep.lines.join("\n"));
        let _ = std::fs::write(format!("{dir}/gpu_check_summary.txt"), text);
    }
    std::process::exit(if rep.failures == 0 { 0 } else { 1 });
}

fn checks(gpu: &Gpu, rep: &mut Report) -> Result<(), frispool_gpu::GpuError> {
    // Poseidon: fresh random states plus edge states, both kernels, vs plonky2's permutation.
    let count = 1usize << 16;
    let mut states: Vec<[F; 12]> = (0..count).map(|_| F::rand_array()).collect();
    states[0] = [F::ZERO; 12];
    states[1] = [F::NEG_ONE; 12];
    let want: Vec<u64> = states.par_iter().flat_map_iter(|s| canon(&F::poseidon(*s))).collect();
    let flat: Vec<u64> = states.iter().flat_map(|s| canon(s)).collect();
    let dev = gpu.upload(&flat)?;
    for v in PoseidonVariant::ALL {
        if !gpu.has_variant(v) {
            continue;
        }
        let mut out = gpu.alloc(flat.len())?;
        gpu.poseidon_batch(&dev, &mut out, count as u32, v)?;
        let got = gpu.download(&out)?;
        let bad = (0..count).filter(|&t| got[t * 12..t * 12 + 12] != want[t * 12..t * 12 + 12]).count();
        rep.check(&format!("poseidon permutation ({v:?}) vs plonky2"), bad, count);
    }

    // NTT alone: forward and inverse vs plonky2's fft / ifft, bit-reversed.
    for (log_len, ncols) in [(10u32, 7u32), (13, 1), (16, 135), (19, 3)] {
        let n = 1usize << log_len;
        let cols: Vec<Vec<F>> = (0..ncols).map(|_| F::rand_vec(n)).collect();
        let flat: Vec<u64> = cols.iter().flat_map(|c| canon(c)).collect();
        for inverse in [false, true] {
            let want: Vec<u64> = cols
                .par_iter()
                .flat_map_iter(|col| {
                    let w: Vec<F> = if inverse {
                        let nf = F::from_canonical_usize(n);
                        ifft(PolynomialValues::new(col.clone())).coeffs.iter().map(|&x| x * nf).collect()
                    } else {
                        fft(PolynomialCoeffs::new(col.clone())).values
                    };
                    reverse_index_bits(&canon(&w))
                })
                .collect();
            let mut buf = gpu.upload(&flat)?;
            commit::ntt(gpu, &mut buf, ncols, log_len, inverse)?;
            let got = gpu.download(&buf)?;
            rep.check(
                &format!(
                    "{} 2^{log_len} x {ncols} cols ({} passes)",
                    if inverse { "inverse NTT" } else { "NTT" },
                    ntt_plan(log_len).len()
                ),
                count_diff(&got, &want),
                want.len(),
            );
        }
    }

    // Whole commitments vs PolynomialBatch::from_values: LDE values (leaves), leaf hashes,
    // Merkle digests, cap, coefficients, whole struct.
    let shapes = [
        (4u32, 9usize, 3u32, 7u32),
        (10, 1, 3, 0),
        (10, 3, 4, 4),
        (10, 7, 4, 4),
        (12, 135, 3, 4),
        (13, 7, 4, 0),
        (14, 1, 4, 4),
        (15, 135, 4, 0),
        (16, 7, 3, 4),
        (16, 135, 3, 4),
    ];
    for (log_n, ncols, rate_bits, cap_height) in shapes {
        let values: Vec<PolynomialValues<F>> =
            (0..ncols).map(|_| PolynomialValues::new(F::rand_vec(1 << log_n))).collect();
        let cpu = PolynomialBatch::<F, C, 2>::from_values(
            values.clone(),
            rate_bits as usize,
            false,
            cap_height as usize,
            &mut TimingTree::default(),
            None,
        );
        let g =
            commit::polynomial_batch_from_values::<_, C>(gpu, &values, rate_bits as usize, false, cap_height as usize)?;
        let shape = format!("2^{log_n} x {ncols} cols, rate_bits {rate_bits}, cap {cap_height}");
        let leaves_bad = g.merkle_tree.leaves.iter().zip(&cpu.merkle_tree.leaves).filter(|(a, b)| a != b).count();
        rep.check(&format!("LDE values (leaf rows) {shape}"), leaves_bad, cpu.merkle_tree.leaves.len());
        let log_leaves = log_n + rate_bits;
        let sub_log = log_leaves - cap_height;
        if sub_log == 0 {
            rep.check(
                &format!("leaf hashes (= cap) {shape}"),
                count_diff(&g.merkle_tree.cap.0, &cpu.merkle_tree.cap.0),
                cpu.merkle_tree.cap.0.len(),
            );
        } else {
            let sub_len = 2 * ((1usize << sub_log) - 1);
            let mut bad = 0;
            for leaf in 0..(1usize << log_leaves) {
                let p = (leaf >> sub_log) * sub_len + digest_pos(0, (leaf & ((1 << sub_log) - 1)) as u64) as usize;
                bad += (g.merkle_tree.digests[p] != cpu.merkle_tree.digests[p]) as usize;
            }
            rep.check(&format!("leaf hashes {shape}"), bad, 1 << log_leaves);
        }
        rep.check(
            &format!("Merkle digests {shape}"),
            count_diff(&g.merkle_tree.digests, &cpu.merkle_tree.digests),
            cpu.merkle_tree.digests.len(),
        );
        rep.check(
            &format!("Merkle cap {shape}"),
            count_diff(&g.merkle_tree.cap.0, &cpu.merkle_tree.cap.0),
            cpu.merkle_tree.cap.0.len(),
        );
        rep.check(
            &format!("coefficients {shape}"),
            count_diff(&g.polynomials, &cpu.polynomials),
            cpu.polynomials.len(),
        );
        rep.check(&format!("whole PolynomialBatch == from_values, {shape}"), (g != cpu) as usize, 1);
    }
    permutation_checks(gpu, rep)?;
    fri_checks(gpu, rep)
}

/// FRI's commit phase (composition and fold kernels, device trees) against plonky2's on random oracles: `main`'s
/// shape (2^13 rows, 273 columns, arities 16, 16), a leaf's (2^14), and odd shapes.
fn fri_checks(gpu: &Gpu, rep: &mut Report) -> Result<(), frispool_gpu::GpuError> {
    use frispool_gpu::fri_device::{check_against_host, CheckShape};
    let shapes = [
        CheckShape {
            log_n: 13,
            widths: [86, 135, 60, 24],
            num_challenges: 3,
            arity_bits: vec![4, 4],
            rate_bits: 3,
            cap_height: 4,
        },
        CheckShape {
            log_n: 14,
            widths: [86, 135, 40, 16],
            num_challenges: 2,
            arity_bits: vec![4, 4, 1],
            rate_bits: 3,
            cap_height: 4,
        },
        CheckShape {
            log_n: 7,
            widths: [3, 7, 5, 2],
            num_challenges: 1,
            arity_bits: vec![1, 3, 2],
            rate_bits: 2,
            cap_height: 0,
        },
    ];
    for shape in shapes {
        let differ = check_against_host(gpu, &shape)?;
        let what = format!("FRI commit phase, 2^{} rows, arities {:?}", shape.log_n, shape.arity_bits);
        rep.check(&what, differ.len(), 3 * shape.arity_bits.len() + 2);
        for d in differ {
            println!("  differs: {d}");
        }
    }
    Ok(())
}

/// The permutation argument's kernels (Z and partial products) against the host's threads, on random wires and
/// challenges: circuits of 2^5 to 2^12 rows (the scan's block from 32 threads of one row to 1 024 of four), a last
/// chunk full or short, one to three challenges.
fn permutation_checks(gpu: &Gpu, rep: &mut Report) -> Result<(), frispool_gpu::GpuError> {
    for (routed, nc, muls) in [(80usize, 3usize, 300usize), (36, 2, 20_000), (80, 2, 80_000), (82, 1, 2_000)] {
        let (label, bad, total) = frispool_gpu::partial_products::check_against_host(gpu, routed, nc, muls)?;
        rep.check(&format!("Z + partial products, {label}"), bad, total);
    }
    Ok(())
}

fn timings(gpu: &Gpu, rep: &mut Report) -> Result<(), frispool_gpu::GpuError> {
    // Device-to-device copy: the bandwidth reference (bytes read + bytes written).
    let len = 1usize << 27; // 1 GiB
    let src_host: Vec<u64> = (0..len as u64).map(|i| i.wrapping_mul(0x9E37_79B9_7F4A_7C15)).collect();
    let src = gpu.upload(&src_host)?;
    drop(src_host);
    let mut dst = gpu.alloc(len)?;
    for _ in 0..2 {
        gpu.copy(&src, &mut dst)?;
    }
    let mut t = Vec::new();
    for _ in 0..10 {
        t.push(gpu.time_ms(|| gpu.copy(&src, &mut dst))?);
    }
    let copy_ms = median(t);
    let copy_gbs = 2.0 * (len * 8) as f64 / copy_ms / 1e6;
    rep.time(format!("TIME device copy 1 GiB: {copy_ms:.3} ms = {copy_gbs:.0} GB/s (read + write)"));
    drop(src);
    drop(dst);

    // Poseidon permutations/s, each thread permuting its own random state `iters` times.
    let threads: u32 = 1 << 20;
    let iters: u32 = 8;
    let st: Vec<u64> = canon(&F::rand_vec(threads as usize * 12));
    for v in PoseidonVariant::ALL {
        if !gpu.has_variant(v) {
            continue;
        }
        let mut io = gpu.upload(&st)?;
        gpu.poseidon_bench(&mut io, threads, iters, v)?;
        let mut t = Vec::new();
        for _ in 0..7 {
            t.push(gpu.time_ms(|| gpu.poseidon_bench(&mut io, threads, iters, v))?);
        }
        let ms = median(t);
        let perms = threads as f64 * iters as f64;
        rep.time(format!(
            "TIME poseidon {v:?}: {:.0} M permutations in {ms:.2} ms = {:.3} G perm/s",
            perms / 1e6,
            perms / ms / 1e6
        ));
    }

    // NTT bandwidth: 135 columns, forward 2^19 (the LDE's size) and inverse 2^16, in place.
    let ncols = 135u32;
    for (log_len, inverse, v1) in [(19u32, false, true), (19u32, false, false), (16, true, true), (16, true, false)] {
        if v1 && gpu.kernel_set() != frispool_gpu::KernelSet::Bench {
            continue;
        }
        gpu.set_ntt_v1(v1);
        let n = 1usize << log_len;
        let host = canon(&F::rand_vec(ncols as usize * n));
        let mut buf = gpu.upload(&host)?;
        commit::ntt(gpu, &mut buf, ncols, log_len, inverse)?;
        let mut t = Vec::new();
        for _ in 0..7 {
            t.push(gpu.time_ms(|| commit::ntt(gpu, &mut buf, ncols, log_len, inverse))?);
        }
        let ms = median(t);
        let bytes = (ncols as usize * n * 8) as f64;
        let passes = ntt_plan(log_len).len() as f64;
        let eff = 2.0 * bytes / ms / 1e6;
        rep.time(format!(
            "TIME {} (pass {}) 2^{log_len} x {ncols}: {ms:.3} ms; once-over bandwidth {eff:.0} GB/s = {:.0}% of copy; {passes} passes: {:.0} GB/s moved = {:.0}% of copy",
            if inverse { "inverse NTT" } else { "NTT" },
            if v1 { "v1" } else { "v4" },
            100.0 * eff / copy_gbs,
            passes * eff,
            100.0 * passes * eff / copy_gbs
        ));
    }
    gpu.set_ntt_v1(false);

    // The 135-column 2^16 rate-8 commitment, piece by piece on the device.
    let (log_n, rate_bits, cap_height) = (16u32, 3u32, 4u32);
    let n = 1usize << log_n;
    let big = n << rate_bits;
    let values: Vec<PolynomialValues<F>> = (0..ncols).map(|_| PolynomialValues::new(F::rand_vec(n))).collect();
    let host_vals: Vec<u64> = values.iter().flat_map(|v| canon(&v.values)).collect();
    let pristine = gpu.upload(&host_vals)?;
    let mut work = gpu.alloc(host_vals.len())?;
    let mut lde_ms = Vec::new();
    let mut lde_out = None;
    for k in 0..6 {
        gpu.copy(&pristine, &mut work)?;
        drop(lde_out.take());
        gpu.synchronize()?;
        let ms = gpu.time_ms(|| {
            lde_out = Some(commit::lde(gpu, &mut work, ncols, log_n, rate_bits, 0)?);
            Ok(())
        })?;
        if k > 0 {
            lde_ms.push(ms);
        }
    }
    let lde_ms = median(lde_ms);
    let min_bytes = ((ncols as usize) * (n + big + n) * 8) as f64; // read values, write LDE + coefficients
    rep.time(format!(
        "TIME LDE 2^{log_n} x {ncols} rate_bits {rate_bits} (IFFT, shift, zero-pad, NTT 2^{}): {lde_ms:.3} ms; minimum traffic {:.0} MB -> {:.0} GB/s = {:.0}% of copy",
        log_n + rate_bits,
        min_bytes / 1e6,
        min_bytes / lde_ms / 1e6,
        100.0 * min_bytes / lde_ms / 1e6 / copy_gbs
    ));
    let (lde_buf, _coeffs) = lde_out.unwrap();
    let mut mk = Vec::new();
    for k in 0..6 {
        let ms = gpu.time_ms(|| commit::merkle(gpu, &lde_buf, ncols, log_n + rate_bits, cap_height).map(|_| ()))?;
        if k > 0 {
            mk.push(ms);
        }
    }
    let mk_ms = median(mk);
    let perms = (big * (ncols as usize).div_ceil(8) + big - (1 << cap_height)) as f64;
    rep.time(format!(
        "TIME Merkle tree 2^{} leaves x {ncols} (leaf hashing + tree, cap {cap_height}): {mk_ms:.3} ms = {:.3} G perm/s ({:.1} M permutations)",
        log_n + rate_bits,
        perms / mk_ms / 1e6,
        perms / 1e6
    ));
    drop(lde_buf);
    drop(pristine);
    drop(work);

    // End to end, host values in: (a) device-resident commitment, digests and cap back on the host;
    // (b) plonky2's whole PolynomialBatch materialised on the host (leaves and coefficients too).
    let mut ta = Vec::new();
    for k in 0..6 {
        let t0 = Instant::now();
        let dc = commit::commit_values(gpu, &values, rate_bits, false, cap_height)?;
        let (digests, cap) = commit::download_tree(gpu, &dc.tree)?;
        let s = t0.elapsed().as_secs_f64() * 1e3;
        std::hint::black_box((&digests, &cap));
        drop(dc);
        if k > 0 {
            ta.push(s);
        }
    }
    let ta = median(ta);
    // Where the end-to-end time goes: the upload (canonicalise into pinned memory + copy) and the
    // download of digests and cap (+ conversion to HashOut), each timed alone.
    let (mut tu, mut td) = (Vec::new(), Vec::new());
    for _ in 0..4 {
        let t0 = Instant::now();
        let buf = gpu.upload_with(ncols as usize * n, &|dst: &mut [u64]| {
            dst.par_chunks_mut(n).zip(values.par_iter()).for_each(|(d, v)| {
                for (x, y) in d.iter_mut().zip(&v.values) {
                    *x = y.to_canonical_u64();
                }
            })
        })?;
        gpu.synchronize()?;
        tu.push(t0.elapsed().as_secs_f64() * 1e3);
        drop(buf);
        let dc = commit::commit_values(gpu, &values, rate_bits, false, cap_height)?;
        gpu.synchronize()?;
        let t0 = Instant::now();
        let tree = commit::download_tree(gpu, &dc.tree)?;
        td.push(t0.elapsed().as_secs_f64() * 1e3);
        std::hint::black_box(&tree);
    }
    rep.time(format!(
        "TIME   of which: upload {:.1} MB (canonicalise into pinned + copy) {:.1} ms; download digests+cap {:.1} MB (+ HashOut) {:.1} ms",
        (ncols as usize * n * 8) as f64 / 1e6,
        median(tu),
        ((big * 2) * 32) as f64 / 1e6,
        median(td)
    ));
    let mut tb = Vec::new();
    for k in 0..4 {
        let t0 = Instant::now();
        let pb =
            commit::polynomial_batch_from_values::<_, C>(gpu, &values, rate_bits as usize, false, cap_height as usize)?;
        let s = t0.elapsed().as_secs_f64() * 1e3;
        std::hint::black_box(&pb);
        drop(pb);
        if k > 0 {
            tb.push(s);
        }
    }
    let tb = median(tb);
    let mut tc = Vec::new();
    for _ in 0..3 {
        let v = values.clone();
        let t0 = Instant::now();
        let pb = PolynomialBatch::<F, C, 2>::from_values(
            v,
            rate_bits as usize,
            false,
            cap_height as usize,
            &mut TimingTree::default(),
            None,
        );
        let s = t0.elapsed().as_secs_f64() * 1e3;
        std::hint::black_box(&pb);
        drop(pb);
        tc.push(s);
    }
    let tc = median(tc);
    rep.time(format!(
        "TIME commit 2^{log_n} x {ncols} rate 8 cap {cap_height}, host values in, digests+cap out (LDE stays on device): {ta:.1} ms = {:.1}x the CPU",
        tc / ta
    ));
    rep.time(format!(
        "TIME same, whole plonky2 PolynomialBatch on the host (coeffs + {} MB of leaves + digests): {tb:.1} ms = {:.1}x the CPU",
        (big * ncols as usize * 8) / 1_000_000,
        tc / tb
    ));
    rep.time(format!(
        "TIME CPU plonky2 PolynomialBatch::from_values, {} threads: {tc:.1} ms",
        rayon::current_num_threads()
    ));
    Ok(())
}
