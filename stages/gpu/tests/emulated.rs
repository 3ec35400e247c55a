//! Runs the generated CUDA source on the CPU and checks it against plonky2, with no GPU.
//!
//! The kernel text is compiled by the host C++ compiler under a small shim (`__global__` and
//! friends defined away, `__umul64hi`/`__brev` written out) and launched with one thread per
//! block: every kernel strides its loops by blockDim, so one thread per block runs each block's
//! work in order and the barriers are no-ops. The launch sequence is the crate's own
//! (`frispool_gpu::commit` over the [`Backend`] trait), so plans, grids' index math, twiddle and
//! scale tables, digest layout and cap are all exercised. Skips (with a message) without g++.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Mutex, OnceLock};

use frispool_gpu::backend::{Backend, PoseidonVariant};
use frispool_gpu::plan::NttPass;
use frispool_gpu::{commit, source, GpuError, F};
use plonky2::field::fft::fft;
use plonky2::field::polynomial::{PolynomialCoeffs, PolynomialValues};
use plonky2::field::types::{Field, PrimeField64, Sample};
use plonky2::fri::oracle::PolynomialBatch;
use plonky2::hash::poseidon::Poseidon;
use plonky2::plonk::config::PoseidonGoldilocksConfig;
use plonky2::util::reverse_index_bits;
use plonky2::util::timing::TimingTree;

type C = PoseidonGoldilocksConfig;

#[path = "support/gxx.rs"]
mod gxx;
use gxx::SHIM;

const MAIN: &str = r#"
template <class K> static void launch(unsigned gx, unsigned gy, K k) {
  blockDim = {1, 1, 1}; gridDim = {gx, gy, 1}; threadIdx = {0, 0, 0};
  for (unsigned y = 0; y < gy; y++) for (unsigned x = 0; x < gx; x++) { blockIdx = {x, y, 0}; k(); }
}
int main(int argc, char **argv) {
  std::string k = argv[1];
  auto U = [&](int i) { return (unsigned long long)strtoull(argv[i], 0, 10); };
  if (k.rfind("perm_", 0) == 0) {
    auto in = rd(argv[2]); std::vector<u64> out(in.size()); u32 count = U(3);
    if (k == "perm_fast") launch(count, 1, [&] { poseidon_batch_fast(in.data(), out.data(), count); });
    else if (k == "perm_fast2") launch(count, 1, [&] { poseidon_batch_fast2(in.data(), out.data(), count); });
    else if (k == "perm_fast3") launch(count, 1, [&] { poseidon_batch_fast3(in.data(), out.data(), count); });
    else if (k == "perm_fast3lb") launch(count, 1, [&] { poseidon_batch_fast3lb(in.data(), out.data(), count); });
    else if (k == "perm_fast4") launch(count, 1, [&] { poseidon_batch_fast4(in.data(), out.data(), count); });
    else launch(count, 1, [&] { poseidon_batch_naive(in.data(), out.data(), count); });
    wr(argv[4], out);
  } else if (k == "ntt" || k == "ntt1") {
    auto d = rd(argv[2]); auto tw = rd(argv[3]);
    u32 ncols = U(4), log_len = U(5), s0 = U(6), t = U(7), log_c = U(8);
    if (k == "ntt") launch(1u << (log_len - t - log_c), ncols, [&] { ntt_dif_pass(d.data(), tw.data(), log_len, s0, t, log_c); });
    else launch(1u << (log_len - t - log_c), ncols, [&] { ntt_dif_pass_v1(d.data(), tw.data(), log_len, s0, t, log_c); });
    wr(argv[2], d);
  } else if (k == "expand") {
    auto cbr = rd(argv[2]); auto sc = rd(argv[3]); auto co = rd(argv[4]); auto out = rd(argv[5]);
    u64 n_inv = U(6); u32 ncols = U(7), log_n = U(8), rate = U(9);
    launch(1u << (log_n + rate), ncols, [&] { lde_expand(cbr.data(), sc.data(), n_inv, co.data(), out.data(), log_n, rate); });
    wr(argv[4], co); wr(argv[5], out);
  } else if (k == "leaves") {
    auto lde = rd(argv[2]); auto dg = rd(argv[3]); auto cap = rd(argv[4]);
    u32 ncols = U(5), log_n = U(6), sub_log = U(7);
    launch(1u << log_n, 1, [&] { merkle_leaves(lde.data(), ncols, log_n, sub_log, dg.data(), cap.data()); });
    wr(argv[3], dg); wr(argv[4], cap);
  } else if (k == "layer") {
    auto dg = rd(argv[2]); auto cap = rd(argv[3]);
    u32 log_n = U(4), sub_log = U(5), layer = U(6);
    launch(1u << (log_n - layer - 1), 1, [&] { merkle_layer(dg.data(), cap.data(), log_n, sub_log, layer); });
    wr(argv[2], dg); wr(argv[3], cap);
  } else if (k == "transpose") {
    auto in = rd(argv[2]); auto out = rd(argv[3]); u32 ncols = U(4); u64 len = U(5);
    launch((len + 31) / 32, (ncols + 31) / 32, [&] { transpose_cols_to_rows(in.data(), out.data(), ncols, len); });
    wr(argv[3], out);
  } else if (k == "pow") {
    auto st = rd(argv[2]); std::vector<u64> best(1, ~0ULL);
    u32 pos = U(3); u64 start = U(4); u32 count = U(5), min_zeros = U(6);
    launch(count, 1, [&] { pow_search(st.data(), pos, start, count, min_zeros, best.data()); });
    wr(argv[7], best);
  } else if (k == "ppq") {
    auto w = rd(argv[2]); auto sg = rd(argv[3]); auto pa = rd(argv[4]); auto q = rd(argv[5]);
    u32 log_n = U(6), routed = U(7), nc = U(8), chunk = U(9), nchunks = U(10);
    launch(nc << log_n, 1, [&] { pp_quotients(w.data(), sg.data(), pa.data(), q.data(), log_n, routed, nc, chunk, nchunks); });
    wr(argv[5], q);
  } else if (k == "pps") {
    auto q = rd(argv[2]); auto out = rd(argv[3]); u32 log_n = U(4), nc = U(5), nchunks = U(6);
    launch(nc, 1, [&] { pp_scan(q.data(), out.data(), log_n, nc, nchunks); });
    wr(argv[3], out);
  } else if (k == "fcomb") {
    auto a = rd(argv[2]); auto b = rd(argv[3]); auto c = rd(argv[4]); auto d = rd(argv[5]);
    auto pa = rd(argv[6]); auto out = rd(argv[7]);
    u32 w0 = U(8), w1 = U(9), w2 = U(10), w3 = U(11), nc = U(12), log_len = U(13), ab = U(14);
    launch(1u << log_len, 1, [&] { fri_combine(a.data(), b.data(), c.data(), d.data(), w0, w1, w2, w3, nc, pa.data(), out.data(), log_len, ab); });
    wr(argv[7], out);
  } else if (k == "ffold") {
    auto in = rd(argv[2]); auto out = rd(argv[3]); auto pa = rd(argv[4]); u32 log_len = U(5), ab = U(6), ob = U(7);
    launch(1u << (log_len - ab), 1, [&] { fri_fold(in.data(), out.data(), pa.data(), log_len, ab, ob); });
    wr(argv[3], out);
  } else { fprintf(stderr, "unknown kernel %s\n", k.c_str()); return 2; }
  return 0;
}
"#;

struct Emu {
    exe: PathBuf,
    dir: tempfile::TempDir,
    /// Commitments' rows kept "on the device" (see `KEEP_ROWS`): (cap, rows).
    kept: Mutex<Vec<(Vec<u64>, Vec<u64>)>>,
    /// Rows handed out by `fetch_rows`.
    fetched: AtomicUsize,
}

thread_local! {
    /// Run the v1 NTT pass kernel instead of v2 (per test thread).
    static NTT_V1: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
    /// Keep commitments' rows on the emulated device, as CUDA does with the device quotient on (per test
    /// thread): commitments then leave their leaves there and proofs fetch the ones they open.
    static KEEP_ROWS: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

fn cap_key(cap: &plonky2::hash::merkle_tree::MerkleCap<F, plonky2::hash::poseidon::PoseidonHash>) -> Vec<u64> {
    cap.0.iter().flat_map(|h| h.elements.map(|e| e.to_canonical_u64())).collect()
}

fn emulator() -> Option<&'static Emu> {
    static EMU: OnceLock<Option<Emu>> = OnceLock::new();
    EMU.get_or_init(|| {
        if !gxx::have_gxx() {
            return None;
        }
        let dir = tempfile::tempdir().unwrap();
        let kernels = source::kernel_source(source::KernelSet::Bench).unwrap();
        let exe = gxx::compile(dir.path(), "emu", &kernels, MAIN);
        Some(Emu { exe, dir, kept: Mutex::new(Vec::new()), fetched: AtomicUsize::new(0) })
    })
    .as_ref()
}

macro_rules! emu_or_skip {
    () => {
        match emulator() {
            Some(e) => e,
            None => {
                eprintln!("skipping: no g++ on this machine to compile the CUDA source for CPU emulation");
                return;
            }
        }
    };
}

impl Emu {
    fn file(&self, name: &str, data: &[u64]) -> PathBuf {
        let p = self.dir.path().join(format!("{name}.{:?}.bin", std::thread::current().id()));
        let bytes: Vec<u8> = data.iter().flat_map(|x| x.to_le_bytes()).collect();
        std::fs::write(&p, bytes).unwrap();
        p
    }
    fn read(p: &Path, into: &mut Vec<u64>) {
        let bytes = std::fs::read(p).unwrap();
        *into = bytes.chunks_exact(8).map(|c| u64::from_le_bytes(c.try_into().unwrap())).collect();
    }
    fn run(&self, args: &[String]) -> Result<(), GpuError> {
        let out = Command::new(&self.exe).args(args).output().map_err(|e| GpuError::Backend(e.to_string()))?;
        if !out.status.success() {
            return Err(GpuError::Backend(String::from_utf8_lossy(&out.stderr).into_owned()));
        }
        Ok(())
    }
}

fn s(p: &Path) -> String {
    p.to_string_lossy().into_owned()
}

impl Backend for Emu {
    type Buf = Vec<u64>;

    fn keeps_rows(&self) -> bool {
        KEEP_ROWS.with(|c| c.get())
    }
    fn keep_rows(
        &self,
        cap: &plonky2::hash::merkle_tree::MerkleCap<F, plonky2::hash::poseidon::PoseidonHash>,
        rows: Vec<u64>,
    ) {
        if self.keeps_rows() {
            self.kept.lock().unwrap().push((cap_key(cap), rows));
        }
    }
    fn fetch_rows(
        &self,
        cap: &plonky2::hash::merkle_tree::MerkleCap<F, plonky2::hash::poseidon::PoseidonHash>,
        width: usize,
        indices: &[usize],
    ) -> Result<Option<Vec<Vec<F>>>, GpuError> {
        let key = cap_key(cap);
        let kept = self.kept.lock().unwrap();
        let Some((_, rows)) = kept.iter().find(|(k, _)| *k == key) else {
            return Ok(None);
        };
        self.fetched.fetch_add(indices.len(), Ordering::Relaxed);
        Ok(Some(
            indices
                .iter()
                .map(|&i| rows[i * width..(i + 1) * width].iter().map(|&x| F::from_canonical_u64(x)).collect())
                .collect(),
        ))
    }
    fn release_rows(&self, cap: &plonky2::hash::merkle_tree::MerkleCap<F, plonky2::hash::poseidon::PoseidonHash>) {
        let key = cap_key(cap);
        self.kept.lock().unwrap().retain(|(k, _)| *k != key);
    }

    fn alloc(&self, len: usize) -> Result<Vec<u64>, GpuError> {
        // Poisoned, so an unwritten output shows.
        Ok(vec![0xDEAD_BEEF_DEAD_BEEF; len.max(1)])
    }
    fn upload_with(&self, len: usize, fill: &dyn Fn(&mut [u64])) -> Result<Vec<u64>, GpuError> {
        let mut v = vec![0; len];
        fill(&mut v);
        Ok(v)
    }
    fn download_with<R>(&self, buf: &Vec<u64>, read: impl FnOnce(&[u64]) -> R) -> Result<R, GpuError> {
        Ok(read(buf))
    }
    fn write_at(&self, buf: &mut Vec<u64>, offset: usize, data: &[u64]) -> Result<(), GpuError> {
        buf[offset..offset + data.len()].copy_from_slice(data);
        Ok(())
    }
    fn ntt_pass(
        &self,
        data: &mut Vec<u64>,
        tw: &Vec<u64>,
        ncols: u32,
        log_len: u32,
        p: NttPass,
    ) -> Result<(), GpuError> {
        let d = self.file("d", data);
        let t = self.file("tw", tw);
        self.run(&[
            if NTT_V1.with(|c| c.get()) { "ntt1" } else { "ntt" }.into(),
            s(&d),
            s(&t),
            ncols.to_string(),
            log_len.to_string(),
            p.s0.to_string(),
            p.t.to_string(),
            p.log_c.to_string(),
        ])?;
        Emu::read(&d, data);
        Ok(())
    }
    fn lde_expand(
        &self,
        coeffs_br: &Vec<u64>,
        scale: &Vec<u64>,
        n_inv: u64,
        coeffs: &mut Vec<u64>,
        out: &mut Vec<u64>,
        ncols: u32,
        log_n: u32,
        rate_bits: u32,
    ) -> Result<(), GpuError> {
        let (a, b, c, d) =
            (self.file("cbr", coeffs_br), self.file("sc", scale), self.file("co", coeffs), self.file("out", out));
        self.run(&[
            "expand".into(),
            s(&a),
            s(&b),
            s(&c),
            s(&d),
            n_inv.to_string(),
            ncols.to_string(),
            log_n.to_string(),
            rate_bits.to_string(),
        ])?;
        Emu::read(&c, coeffs);
        Emu::read(&d, out);
        Ok(())
    }
    fn merkle_leaves(
        &self,
        lde: &Vec<u64>,
        ncols: u32,
        log_n: u32,
        sub_log: u32,
        digests: &mut Vec<u64>,
        cap: &mut Vec<u64>,
    ) -> Result<(), GpuError> {
        let (a, b, c) = (self.file("lde", lde), self.file("dg", digests), self.file("cap", cap));
        self.run(&["leaves".into(), s(&a), s(&b), s(&c), ncols.to_string(), log_n.to_string(), sub_log.to_string()])?;
        Emu::read(&b, digests);
        Emu::read(&c, cap);
        Ok(())
    }
    fn merkle_layer(
        &self,
        digests: &mut Vec<u64>,
        cap: &mut Vec<u64>,
        log_n: u32,
        sub_log: u32,
        layer: u32,
    ) -> Result<(), GpuError> {
        let (b, c) = (self.file("dg", digests), self.file("cap", cap));
        self.run(&["layer".into(), s(&b), s(&c), log_n.to_string(), sub_log.to_string(), layer.to_string()])?;
        Emu::read(&b, digests);
        Emu::read(&c, cap);
        Ok(())
    }
    fn transpose(&self, input: &Vec<u64>, out: &mut Vec<u64>, ncols: u32, len: u64) -> Result<(), GpuError> {
        let (a, b) = (self.file("tin", input), self.file("tout", out));
        self.run(&["transpose".into(), s(&a), s(&b), ncols.to_string(), len.to_string()])?;
        Emu::read(&b, out);
        Ok(())
    }
    fn pow_search(&self, state: &[u64; 12], pos: u32, start: u64, count: u32, min_zeros: u32) -> Result<u64, GpuError> {
        let (st, best) = (self.file("pst", state), self.file("pbest", &[0]));
        self.run(&[
            "pow".into(),
            s(&st),
            pos.to_string(),
            start.to_string(),
            count.to_string(),
            min_zeros.to_string(),
            s(&best),
        ])?;
        let mut out = Vec::new();
        Emu::read(&best, &mut out);
        Ok(out[0])
    }
    fn pp_quotients(
        &self,
        wires: &Vec<u64>,
        sigmas: &Vec<u64>,
        params: &Vec<u64>,
        q: &mut Vec<u64>,
        log_n: u32,
        routed: u32,
        nc: u32,
        chunk: u32,
        nchunks: u32,
    ) -> Result<(), GpuError> {
        let (a, b, c, d) =
            (self.file("ppw", wires), self.file("pps", sigmas), self.file("ppp", params), self.file("ppq", q));
        self.run(&[
            "ppq".into(),
            s(&a),
            s(&b),
            s(&c),
            s(&d),
            log_n.to_string(),
            routed.to_string(),
            nc.to_string(),
            chunk.to_string(),
            nchunks.to_string(),
        ])?;
        Emu::read(&d, q);
        Ok(())
    }
    fn pp_scan(&self, q: &Vec<u64>, out: &mut Vec<u64>, log_n: u32, nc: u32, nchunks: u32) -> Result<(), GpuError> {
        let (a, b) = (self.file("ppsq", q), self.file("ppso", out));
        self.run(&["pps".into(), s(&a), s(&b), log_n.to_string(), nc.to_string(), nchunks.to_string()])?;
        Emu::read(&b, out);
        Ok(())
    }
    fn fri_combine(
        &self,
        rows: [&Vec<u64>; 4],
        widths: [u32; 4],
        nc: u32,
        params: &Vec<u64>,
        out: &mut Vec<u64>,
        log_len: u32,
        arity_bits: u32,
    ) -> Result<(), GpuError> {
        let files = [0, 1, 2, 3].map(|o| self.file(&format!("frow{o}"), rows[o]));
        let (p, o) = (self.file("fpar", params), self.file("fout", out));
        let mut args = vec!["fcomb".to_string()];
        args.extend(files.iter().map(|f| s(f)));
        args.extend([s(&p), s(&o)]);
        args.extend(widths.iter().map(|w| w.to_string()));
        args.extend([nc.to_string(), log_len.to_string(), arity_bits.to_string()]);
        self.run(&args)?;
        Emu::read(&o, out);
        Ok(())
    }
    fn fri_fold(
        &self,
        input: &Vec<u64>,
        out: &mut Vec<u64>,
        params: &Vec<u64>,
        log_len: u32,
        arity_bits: u32,
        out_bits: u32,
    ) -> Result<(), GpuError> {
        let (a, b, c) = (self.file("ffin", input), self.file("ffout", out), self.file("ffpar", params));
        self.run(&[
            "ffold".into(),
            s(&a),
            s(&b),
            s(&c),
            log_len.to_string(),
            arity_bits.to_string(),
            out_bits.to_string(),
        ])?;
        Emu::read(&b, out);
        Ok(())
    }
    fn batch_rows(
        &self,
        batch: &plonky2::fri::oracle::PolynomialBatch<F, C, 2>,
        _setup: Option<[u64; 4]>,
    ) -> Result<std::sync::Arc<Vec<u64>>, GpuError> {
        let key = cap_key(&batch.merkle_tree.cap);
        if let Some((_, rows)) = self.kept.lock().unwrap().iter().find(|(k, _)| *k == key) {
            return Ok(std::sync::Arc::new(rows.clone()));
        }
        Ok(std::sync::Arc::new(frispool_gpu::backend::upload_leaves(self, batch)?))
    }
    fn poseidon_batch(
        &self,
        states: &Vec<u64>,
        out: &mut Vec<u64>,
        count: u32,
        variant: PoseidonVariant,
    ) -> Result<(), GpuError> {
        let (a, b) = (self.file("pin", states), self.file("pout", out));
        let k = match variant {
            PoseidonVariant::Fast => "perm_fast",
            PoseidonVariant::Fast2 => "perm_fast2",
            PoseidonVariant::Fast3 => "perm_fast3",
            PoseidonVariant::Fast3Lb => "perm_fast3lb",
            PoseidonVariant::Fast4 => "perm_fast4",
            PoseidonVariant::Naive => "perm_naive",
        };
        self.run(&[k.into(), s(&a), count.to_string(), s(&b)])?;
        Emu::read(&b, out);
        Ok(())
    }
}

fn canon(v: &[F]) -> Vec<u64> {
    v.iter().map(|x| x.to_canonical_u64()).collect()
}

#[test]
fn poseidon_kernels_match_plonky2() {
    let emu = emu_or_skip!();
    let count = 64usize;
    let mut states: Vec<[F; 12]> = (0..count).map(|_| F::rand_array()).collect();
    // Edge values too: all zero, all p - 1.
    states[0] = [F::ZERO; 12];
    states[1] = [F::NEG_ONE; 12];
    let flat: Vec<u64> = states.iter().flat_map(|s| canon(s)).collect();
    let dev = emu.upload_with(flat.len(), &|d| d.copy_from_slice(&flat)).unwrap();
    for variant in PoseidonVariant::ALL {
        let mut out = emu.alloc(flat.len()).unwrap();
        emu.poseidon_batch(&dev, &mut out, count as u32, variant).unwrap();
        for (t, st) in states.iter().enumerate() {
            let want = canon(&F::poseidon(*st));
            assert_eq!(&out[t * 12..t * 12 + 12], &want[..], "{variant:?} state {t}");
        }
    }
}

#[test]
fn ntt_matches_plonky2_fft_bit_reversed() {
    let emu = emu_or_skip!();
    for (log_len, v1) in [1u32, 2, 3, 5, 12, 13, 14, 16, 1, 2, 3, 12, 13, 14].into_iter().zip((0..14).map(|i| i >= 8)) {
        NTT_V1.with(|c| c.set(v1));
        let ncols = 3u32;
        let n = 1usize << log_len;
        let cols: Vec<Vec<F>> = (0..ncols).map(|_| F::rand_vec(n)).collect();
        let flat: Vec<u64> = cols.iter().flat_map(|c| canon(c)).collect();
        for inverse in [false, true] {
            let mut buf = flat.clone();
            commit::ntt(emu, &mut buf, ncols, log_len, inverse).unwrap();
            for (c, col) in cols.iter().enumerate() {
                let want: Vec<F> = if inverse {
                    // The unscaled inverse DFT: n * ifft.
                    let co = plonky2::field::fft::ifft(PolynomialValues::new(col.clone()));
                    let nf = F::from_canonical_usize(n);
                    co.coeffs.iter().map(|&x| x * nf).collect()
                } else {
                    fft(PolynomialCoeffs::new(col.clone())).values
                };
                let want = reverse_index_bits(&canon(&want));
                assert_eq!(&buf[c * n..(c + 1) * n], &want[..], "log_len {log_len} inverse {inverse} col {c} v1 {v1}");
            }
        }
    }
}

#[test]
fn commitment_matches_plonky2_from_values() {
    let emu = emu_or_skip!();
    // (log_n, columns, rate_bits, cap_height): the all-cap tree, a single column, the
    // hash_or_noop short leaves, odd column counts, 135 columns.
    let shapes =
        [(4u32, 9usize, 3u32, 7u32), (10, 1, 3, 0), (6, 3, 3, 2), (10, 7, 4, 4), (11, 135, 3, 4), (8, 13, 4, 0)];
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
        let gpu =
            commit::polynomial_batch_from_values::<_, C>(emu, &values, rate_bits as usize, false, cap_height as usize)
                .unwrap();
        let shape = format!("log_n {log_n} cols {ncols} rate {rate_bits} cap {cap_height}");
        assert_eq!(gpu.polynomials, cpu.polynomials, "coefficients, {shape}");
        assert_eq!(gpu.merkle_tree.leaves, cpu.merkle_tree.leaves, "leaves, {shape}");
        assert_eq!(gpu.merkle_tree.digests, cpu.merkle_tree.digests, "digests, {shape}");
        assert_eq!(gpu.merkle_tree.cap, cpu.merkle_tree.cap, "cap, {shape}");
        assert!(gpu == cpu, "whole PolynomialBatch, {shape}");
    }
}

#[test]
fn blinding_adds_salt_columns_and_keeps_the_data() {
    let emu = emu_or_skip!();
    let values: Vec<PolynomialValues<F>> = (0..5).map(|_| PolynomialValues::new(F::rand_vec(1 << 6))).collect();
    let cpu = PolynomialBatch::<F, C, 2>::from_values(values.clone(), 3, false, 2, &mut TimingTree::default(), None);
    let gpu = commit::polynomial_batch_from_values::<_, C>(emu, &values, 3, true, 2).unwrap();
    assert!(gpu.blinding);
    assert_eq!(gpu.polynomials, cpu.polynomials);
    for (g, c) in gpu.merkle_tree.leaves.iter().zip(&cpu.merkle_tree.leaves) {
        assert_eq!(g.len(), c.len() + plonky2::fri::oracle::SALT_SIZE);
        assert_eq!(&g[..c.len()], &c[..]);
    }
    // The tree is plonky2's over the salted leaves.
    let tree = plonky2::hash::merkle_tree::MerkleTree::<F, plonky2::hash::poseidon::PoseidonHash>::new(
        gpu.merkle_tree.leaves.clone(),
        2,
    );
    assert_eq!(tree, gpu.merkle_tree);
}

#[test]
fn prover_kernel_set_compiles_as_cpp() {
    if Command::new("g++").arg("--version").output().is_err() {
        eprintln!("skipping: no g++ on this machine to compile the CUDA source");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let cpp = dir.path().join("prover.cpp");
    let src = format!("{SHIM}\n{}\n", source::kernel_source(source::KernelSet::Prover).unwrap());
    std::fs::write(&cpp, src).unwrap();
    let out = Command::new("g++")
        .args([
            "-fsyntax-only",
            "-std=c++17",
            "-Wall",
            "-Wno-unknown-pragmas",
            "-Wno-unused-function",
            "-Wno-unused-variable",
        ])
        .arg(&cpp)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
}

#[test]
fn commitment_from_coeffs_matches_plonky2() {
    let emu = emu_or_skip!();
    // (log_n, columns, rate_bits, cap_height): all-cap, noop-hash leaves, the quotient's 24 chunks.
    for (log_n, ncols, rate_bits, cap_height) in [(4u32, 9usize, 3u32, 7u32), (6, 3, 3, 2), (9, 24, 3, 4), (5, 1, 4, 0)]
    {
        let coeffs: Vec<PolynomialCoeffs<F>> =
            (0..ncols).map(|_| PolynomialCoeffs::new(F::rand_vec(1 << log_n))).collect();
        let cpu = PolynomialBatch::<F, C, 2>::from_coeffs(
            coeffs.clone(),
            rate_bits as usize,
            false,
            cap_height as usize,
            &mut TimingTree::default(),
            None,
        );
        let shape = format!("log_n {log_n} cols {ncols} rate {rate_bits} cap {cap_height}");
        // The device's own coefficient buffer (what the expand kernel wrote) is the input too.
        let dc = commit::commit_coeffs(emu, &coeffs, rate_bits, false, cap_height).unwrap();
        let downloaded = commit::to_polynomial_batch::<_, C>(emu, &dc).unwrap();
        assert_eq!(downloaded.polynomials, coeffs, "device coefficients, {shape}");
        let gpu =
            commit::polynomial_batch_from_coeffs::<_, C>(emu, coeffs, rate_bits as usize, false, cap_height as usize)
                .unwrap();
        assert_eq!(gpu.merkle_tree.leaves, cpu.merkle_tree.leaves, "leaves, {shape}");
        assert_eq!(gpu.merkle_tree.cap, cpu.merkle_tree.cap, "cap, {shape}");
        assert!(gpu == cpu, "whole PolynomialBatch, {shape}");
    }
}

#[test]
fn merkle_tree_from_leaves_matches_plonky2() {
    let emu = emu_or_skip!();
    // (log2 leaves, width, cap height): FRI layers have 2 × arity elements per leaf.
    for (log, width, cap) in [(12u32, 32usize, 4usize), (8, 32, 4), (4, 4, 4), (6, 1, 0), (5, 5, 2), (7, 9, 3)] {
        let leaves: Vec<Vec<F>> = (0..1usize << log).map(|_| F::rand_vec(width)).collect();
        let cpu = plonky2::hash::merkle_tree::MerkleTree::<F, plonky2::hash::poseidon::PoseidonHash>::new(
            leaves.clone(),
            cap,
        );
        let gpu = commit::merkle_tree_from_leaves(emu, leaves, cap).unwrap();
        assert_eq!(gpu, cpu, "2^{log} leaves of {width}, cap {cap}");
    }
    assert!(commit::merkle_tree_from_leaves(emu, vec![vec![F::ONE; 3]; 3], 0).is_err(), "3 leaves");
}

/// A whole proof with every commitment on the (emulated) device and the permutation argument too, then with the
/// rows kept there and FRI's commit phase on the device as well (folding twice): the same bytes as the CPU backend
/// and as plonky2, for one partition witness.
#[test]
fn a_whole_proof_through_the_emulated_device_equals_the_cpu_backend() {
    use frispool_gpu::prover::{prove, CpuCommit, DeviceCommit};
    use plonky2::iop::generator::generate_partial_witness;
    use plonky2::iop::witness::{PartialWitness, WitnessWrite};
    use plonky2::plonk::circuit_builder::CircuitBuilder;
    use plonky2::plonk::circuit_data::CircuitConfig;

    let emu = emu_or_skip!();
    // Arity 8 folds down to 2^2, so FRI folds twice at 2^8 rows (plonky2's default, arity 16 down to 2^5, once).
    let standard = CircuitConfig::standard_recursion_config();
    let fri_config = plonky2::fri::FriConfig {
        reduction_strategy: plonky2::fri::reduction_strategies::FriReductionStrategy::ConstantArityBits(3, 2),
        ..standard.fri_config.clone()
    };
    let mut b = CircuitBuilder::<F, 2>::new(CircuitConfig { num_challenges: 3, fri_config, ..standard });
    let xs: Vec<_> = (0..4000).map(|_| b.add_virtual_target()).collect();
    let h = b.hash_n_to_hash_no_pad::<plonky2::hash::poseidon::PoseidonHash>(xs[..6].to_vec());
    b.register_public_inputs(&h.elements);
    let p = b.mul_many(xs.clone());
    b.register_public_input(p);
    let data = b.build::<C>();
    let arities = &data.common.fri_params.reduction_arity_bits;
    assert!(arities.len() >= 2, "FRI folds at least twice at 2^{} rows: {arities:?}", data.common.degree_bits());
    let mut pw = PartialWitness::new();
    for (i, &x) in xs.iter().enumerate() {
        pw.set_target(x, F::from_canonical_u64(3 + i as u64)).unwrap();
    }
    let part = generate_partial_witness(pw, &data.prover_only, &data.common).unwrap();
    let cpu = prove(&data.prover_only, &data.common, part.clone(), &CpuCommit).unwrap();
    let dev = prove(&data.prover_only, &data.common, part.clone(), &DeviceCommit::new(emu)).unwrap();
    assert!(dev.to_bytes() == cpu.to_bytes(), "device-backend proof bytes differ from the CPU backend's");
    data.verify(dev).expect("plonky2's verifier accepts the device-backend proof");

    // Leaves kept on the device: no commitment downloads its leaves; the host quotient (this backend has no
    // quotient kernel) fetches every row of the wires and Z, the queries fetch theirs, and the proof releases
    // what was kept.
    KEEP_ROWS.with(|c| c.set(true));
    let before = emu.fetched.load(Ordering::Relaxed);
    let kept = prove(&data.prover_only, &data.common, part, &DeviceCommit::new(emu));
    KEEP_ROWS.with(|c| c.set(false));
    let kept = kept.unwrap();
    let fetched = emu.fetched.load(Ordering::Relaxed) - before;
    let lde = 1usize << (data.common.degree_bits() + data.common.config.fri_config.rate_bits);
    let queries = data.common.config.fri_config.num_query_rounds;
    assert_eq!(fetched, 2 * lde + 3 * queries, "rows fetched: all of wires and Z, and each query's of three oracles");
    assert!(emu.kept.lock().unwrap().is_empty(), "the proof released the rows it kept");
    assert!(kept.to_bytes() == cpu.to_bytes(), "proof bytes with the leaves kept differ from the CPU backend's");
    data.verify(kept).expect("plonky2's verifier accepts the proof made with the leaves kept");
}

/// The proof-of-work kernel against plonky2's own challenger: for transcripts of several lengths (inputs left in
/// the buffer or none), the smallest witness the kernel finds is the first candidate whose observation makes the
/// challenger's next challenge start with enough zeros; a later start finds the next one; a range without one
/// says so.
#[test]
fn pow_search_finds_the_challengers_smallest_witness() {
    use plonky2::hash::hashing::PlonkyPermutation;
    use plonky2::hash::poseidon::{PoseidonHash, PoseidonPermutation};
    use plonky2::iop::challenger::Challenger;

    let emu = emu_or_skip!();
    let zeros_of = |ch: &Challenger<F, PoseidonHash>, w: u64| {
        let mut t = ch.clone();
        t.observe_element(F::from_canonical_u64(w));
        t.get_challenge().to_canonical_u64().leading_zeros()
    };
    for (k, bits) in [(0usize, 6u32), (3, 7), (8, 5), (13, 6), (16, 4), (19, 8)] {
        let observed = F::rand_vec(k);
        let mut ch = Challenger::<F, PoseidonHash>::new();
        ch.observe_elements(&observed);
        // The duplex state the candidate completes, absorbed the challenger's way: each full rate permuted.
        let mut st = PoseidonPermutation::new(std::iter::repeat(F::ZERO));
        let full = k / 8 * 8;
        for chunk in observed[..full].chunks_exact(8) {
            st.set_from_slice(chunk, 0);
            st.permute();
        }
        st.set_from_slice(&observed[full..], 0);
        let state: [u64; 12] = std::array::from_fn(|i| st.as_ref()[i].to_canonical_u64());
        let pos = (k - full) as u32;

        let want: Vec<u64> = (0..4096u64).filter(|&w| zeros_of(&ch, w) >= bits).take(2).collect();
        assert_eq!(want.len(), 2, "two witnesses below 4096 for {bits} bits");
        let got = emu.pow_search(&state, pos, 0, 4096, bits).unwrap();
        assert_eq!(got, want[0], "{k} observed elements, {bits} bits: the smallest witness");
        let next = emu.pow_search(&state, pos, want[0] + 1, 4096, bits).unwrap();
        assert_eq!(next, want[1], "{k} observed elements, {bits} bits: the next witness");
        let none = emu.pow_search(&state, pos, 0, 64, 40).unwrap();
        assert_eq!(none, u64::MAX, "no 40-bit witness among 64 candidates");
    }
}

/// The permutation argument's kernels against the host's threads, on random wires and challenges, for shapes
/// where the last chunk is full (80 routed wires in chunks of 8), short (36 or 82 in chunks of 8) and a single
/// challenge: every Z and partial-product column equal.
#[test]
fn permutation_kernels_equal_the_host_on_random_wires() {
    let emu = emu_or_skip!();
    for (routed, nc, muls) in [(80usize, 3usize, 300usize), (36, 2, 90), (82, 1, 20)] {
        let (label, differ, total) = frispool_gpu::partial_products::check_against_host(emu, routed, nc, muls).unwrap();
        assert!(total > 0 && differ == 0, "{label}: {differ} of {total} elements differ");
    }
}

/// FRI's two kernels and their launch sequence against plonky2's commit phase on random oracles: one to three
/// foldings of arity 2 to 16, odd column counts, one to three Z columns, cap heights 0 and 2.
#[test]
fn fri_commit_phase_equals_the_host_on_random_oracles() {
    use frispool_gpu::fri_device::{check_against_host, CheckShape};

    let emu = emu_or_skip!();
    let shapes = [
        CheckShape {
            log_n: 5,
            widths: [3, 7, 4, 2],
            num_challenges: 2,
            arity_bits: vec![4],
            rate_bits: 3,
            cap_height: 2,
        },
        CheckShape {
            log_n: 6,
            widths: [1, 5, 3, 6],
            num_challenges: 3,
            arity_bits: vec![1, 3, 2],
            rate_bits: 2,
            cap_height: 0,
        },
        CheckShape {
            log_n: 4,
            widths: [2, 1, 1, 1],
            num_challenges: 1,
            arity_bits: vec![2, 2],
            rate_bits: 3,
            cap_height: 2,
        },
    ];
    for shape in shapes {
        let differ = check_against_host(emu, &shape).unwrap();
        assert!(differ.is_empty(), "{shape:?}: {differ:?}");
    }
}
