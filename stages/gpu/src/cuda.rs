//! The CUDA backend: cudarc with libcuda and libnvrtc loaded at run time.

use std::collections::hash_map::Entry;
use std::collections::HashMap;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::{Arc, Mutex};
use std::time::Instant;

use cudarc::driver::sys::{CUctx_flags, CUdevice_attribute, CUevent_flags};
use cudarc::driver::{
    CudaContext, CudaFunction, CudaModule, CudaSlice, CudaStream, LaunchConfig, PinnedHostSlice, PushKernelArg,
};
use cudarc::nvrtc::{compile_ptx_with_opts, CompileOptions, Ptx};

use crate::backend::{lde_scale_table, twiddle_table, Backend, PoseidonVariant};
use crate::error::{DriverContext, GpuError};
use crate::kcache::{self, KernelCache};
use crate::plan::NttPass;
use crate::source::{kernel_names, kernel_source, KernelSet};

/// What the device said about itself.
#[derive(Clone, Debug)]
pub struct DeviceInfo {
    pub name: String,
    pub compute_capability: (i32, i32),
    pub multiprocessors: i32,
    pub total_mem: usize,
    /// Seconds it took to get the kernels loaded (NVRTC, or a cache hit).
    pub compile_s: f64,
    /// Where the kernels came from (see [`crate::kcache`]).
    pub kernel_cache: KernelCache,
}

/// The module of `src` for compute capability `cc`: from the disk cache, else compiled by NVRTC to a
/// CUBIN (and stored), else compiled to PTX for the driver's JIT.
pub(crate) fn load_kernels(
    ctx: &Arc<CudaContext>,
    src: &str,
    cc: (i32, i32),
) -> Result<(Arc<CudaModule>, KernelCache), GpuError> {
    let file = kcache::cache_file(src, cc);
    if let Some(f) = &file {
        if let Ok(bytes) = std::fs::read(f) {
            if let Ok(m) = ctx.load_module(Ptx::from_binary(bytes)) {
                return Ok((m, KernelCache::Hit(f.clone())));
            }
        }
    }
    let cubin_err = match kcache::compile_cubin(src, cc) {
        Ok(cubin) => match ctx.load_module(Ptx::from_binary(cubin.clone())) {
            Ok(m) => {
                let outcome = match &file {
                    Some(f) => match kcache::store(f, &cubin) {
                        Ok(()) => KernelCache::Stored(f.clone()),
                        Err(e) => KernelCache::NotStored(e),
                    },
                    None => KernelCache::NotStored("cache disabled".into()),
                };
                return Ok((m, outcome));
            }
            Err(e) => format!("the driver refused the CUBIN: {e}"),
        },
        Err(e) => format!("{e}"),
    };
    let opts = CompileOptions {
        options: vec![format!("--gpu-architecture=compute_{}{}", cc.0, cc.1)],
        name: Some("frispool_gpu.cu".into()),
        ..Default::default()
    };
    let ptx = compile_ptx_with_opts(src, opts).map_err(|e| match e {
        cudarc::nvrtc::CompileError::CompileError { log, .. } => GpuError::Compile(log.to_string_lossy().into_owned()),
        other => GpuError::Compile(format!("{other:?}")),
    })?;
    let module = ctx.load_module(ptx).ctx("load module")?;
    Ok((module, KernelCache::PtxFallback(cubin_err)))
}

/// How a thread waits for the card (`FRISPOOL_GPU_SYNC`, read once per context): `spin`, `yield` or
/// `blocking` (sleep in the driver until the work is done), or `auto`, CUDA's own choice, which spins a core
/// whenever the process has fewer contexts than the host has cores (always, for a prover). Unset (or any other
/// value): a process of several workers (`--workers`, job loops sharing the card) sleeps, and a process of one
/// keeps CUDA's choice. Measured on one H100 (NOTES.md runs 22 and 25), sleeping lost with 16 one-worker processes
/// (the wake-ups lengthen every device step, device held 85 → 95 s) and won with one process of 16 workers
/// (2 074 against 1 966 tx/s), whose waiting threads would otherwise spin on cores its other workers need.
fn sync_mode(workers: usize) -> Option<CUctx_flags> {
    match std::env::var("FRISPOOL_GPU_SYNC").as_deref() {
        Ok("blocking") => Some(CUctx_flags::CU_CTX_SCHED_BLOCKING_SYNC),
        Ok("spin") => Some(CUctx_flags::CU_CTX_SCHED_SPIN),
        Ok("yield") => Some(CUctx_flags::CU_CTX_SCHED_YIELD),
        Ok("auto") => None,
        _ => (workers > 1).then_some(CUctx_flags::CU_CTX_SCHED_BLOCKING_SYNC),
    }
}

/// The device's default memory pool (the one `cuMemAllocAsync` draws from).
fn default_pool(ctx: &CudaContext) -> Result<cudarc::driver::sys::CUmemoryPool, GpuError> {
    use cudarc::driver::sys;
    ctx.bind_to_thread().ctx("bind context")?;
    let mut pool = std::ptr::null_mut();
    unsafe { sys::cuDeviceGetDefaultMemPool(&mut pool, ctx.cu_device()) }.result().ctx("default memory pool")?;
    Ok(pool)
}

/// The memory pool's high-water marks since the context opened: (reserved from the driver, in use), in bytes.
fn pool_high_water(ctx: &CudaContext) -> Result<Option<(u64, u64)>, GpuError> {
    use cudarc::driver::sys;
    if !ctx.has_async_alloc() {
        return Ok(None);
    }
    let pool = default_pool(ctx)?;
    let read = |attr| -> Result<u64, GpuError> {
        let mut value = 0u64;
        unsafe { sys::cuMemPoolGetAttribute(pool, attr, (&mut value as *mut u64).cast()) }
            .result()
            .ctx("memory pool attribute")?;
        Ok(value)
    };
    Ok(Some((
        read(sys::CUmemPool_attribute::CU_MEMPOOL_ATTR_RESERVED_MEM_HIGH)?,
        read(sys::CUmemPool_attribute::CU_MEMPOOL_ATTR_USED_MEM_HIGH)?,
    )))
}

type DeviceTable = Arc<CudaSlice<u64>>;

/// One GPU with the kernels compiled and loaded, one stream, and cached tables/staging buffers. A [`Gpu::lane`]
/// is another stream of the same card: it shares the context, the kernels and the device-resident tables and
/// setup data, and has its own stream and staging buffers, so several proofs of one process drive the card at
/// once (their host work side by side, their kernels interleaved by the hardware) instead of taking turns.
pub struct Gpu {
    shared: Arc<GpuShared>,
    pub(crate) stream: Arc<CudaStream>,
    up_stage: Mutex<HashMap<usize, PinnedHostSlice<u64>>>,
    down_stage: Mutex<HashMap<usize, PinnedHostSlice<u64>>>,
}

/// What every lane of one card shares. A table or setup buffer made on one lane's stream and read on another's
/// is ordered by cudarc's event tracking (on for the context once it has a second stream).
pub struct GpuShared {
    pub(crate) ctx: Arc<CudaContext>,
    _module: Arc<CudaModule>,
    kernels: HashMap<String, CudaFunction>,
    set: KernelSet,
    info: DeviceInfo,
    twiddles: Mutex<HashMap<(u32, bool), DeviceTable>>,
    scales: Mutex<HashMap<u32, DeviceTable>>,
    ntt_v1: std::sync::atomic::AtomicBool,
    /// Per circuit digest: its quotient kernel (`None`: a gate the kernel lacks); the commitments' kept rows.
    pub(crate) quotient: crate::cuda_quotient::QuotientCache,
    /// Setup data kept across proofs ([`Backend::resident`]), by circuit digest and name.
    resident: Mutex<HashMap<([u64; 4], &'static str), DeviceTable>>,
}

impl std::ops::Deref for Gpu {
    type Target = GpuShared;

    fn deref(&self) -> &GpuShared {
        &self.shared
    }
}

fn variant_name(v: PoseidonVariant) -> &'static str {
    match v {
        PoseidonVariant::Fast => "fast",
        PoseidonVariant::Fast2 => "fast2",
        PoseidonVariant::Fast3 => "fast3",
        PoseidonVariant::Fast3Lb => "fast3lb",
        PoseidonVariant::Fast4 => "fast4",
        PoseidonVariant::Naive => "naive",
    }
}

fn panic_text(p: Box<dyn std::any::Any + Send>) -> String {
    p.downcast_ref::<String>()
        .cloned()
        .or_else(|| p.downcast_ref::<&str>().map(|s| s.to_string()))
        .unwrap_or_else(|| "unknown panic".into())
}

impl Gpu {
    /// Load libcuda and libnvrtc, open device `ordinal`, compile and load the prover's kernels.
    /// On a machine without a usable GPU: `NoDriver`, `NoDevice` or `NoNvrtc`.
    pub fn new(ordinal: usize) -> Result<Self, GpuError> {
        Self::with_kernels(ordinal, KernelSet::Prover)
    }

    /// [`Gpu::new`] for a process of `workers` job loops sharing the card: how its threads wait for the card
    /// depends on how many there are (see `sync_mode`).
    pub fn for_workers(ordinal: usize, workers: usize) -> Result<Self, GpuError> {
        Self::opened(ordinal, KernelSet::Prover, workers)
    }

    /// [`Gpu::new`] with the kernel set named (`KernelSet::Bench` for every variant).
    pub fn with_kernels(ordinal: usize, set: KernelSet) -> Result<Self, GpuError> {
        Self::opened(ordinal, set, 1)
    }

    fn opened(ordinal: usize, set: KernelSet, workers: usize) -> Result<Self, GpuError> {
        // cudarc panics when a library is missing; probe first so the error is typed.
        if !unsafe { cudarc::driver::sys::is_culib_present() } {
            return Err(GpuError::NoDriver);
        }
        if !unsafe { cudarc::nvrtc::sys::is_culib_present() } {
            return Err(GpuError::NoNvrtc);
        }
        match catch_unwind(AssertUnwindSafe(|| Self::open(ordinal, set, workers))) {
            Ok(r) => r,
            Err(p) => Err(GpuError::NoDevice(format!("CUDA initialisation panicked: {}", panic_text(p)))),
        }
    }

    fn open(ordinal: usize, set: KernelSet, workers: usize) -> Result<Self, GpuError> {
        let count = CudaContext::device_count()
            .map_err(|e| GpuError::NoDevice(format!("the CUDA driver reports no device ({e})")))?;
        if count <= 0 {
            return Err(GpuError::NoDevice("the CUDA driver reports 0 devices".into()));
        }
        if ordinal >= count as usize {
            return Err(GpuError::NoDevice(format!("device {ordinal} asked for, the driver reports {count}")));
        }
        let ctx = CudaContext::new(ordinal)
            .map_err(|e| GpuError::NoDevice(format!("device {ordinal} could not be opened ({e})")))?;
        if let Some(flags) = sync_mode(workers) {
            ctx.set_flags(flags).ctx("context scheduling flags")?;
        }
        let name = ctx.name().ctx("device name")?;
        let cc = ctx.compute_capability().ctx("compute capability")?;
        let sms =
            ctx.attribute(CUdevice_attribute::CU_DEVICE_ATTRIBUTE_MULTIPROCESSOR_COUNT).ctx("multiprocessor count")?;
        let total_mem = ctx.total_mem().ctx("total memory")?;
        let src = kernel_source(set).map_err(GpuError::Compile)?;
        let t0 = Instant::now();
        let (module, kernel_cache) = load_kernels(&ctx, &src, cc)?;
        let compile_s = t0.elapsed().as_secs_f64();
        let mut kernels = HashMap::new();
        for k in kernel_names(set) {
            let f = module.load_function(&k).ctx("load function")?;
            kernels.insert(k, f);
        }
        let stream = ctx.default_stream();
        let shared = GpuShared {
            ctx,
            _module: module,
            kernels,
            set,
            info: DeviceInfo { name, compute_capability: cc, multiprocessors: sms, total_mem, compile_s, kernel_cache },
            twiddles: Mutex::new(HashMap::new()),
            scales: Mutex::new(HashMap::new()),
            ntt_v1: std::sync::atomic::AtomicBool::new(false),
            quotient: Default::default(),
            resident: Mutex::new(HashMap::new()),
        };
        Ok(Gpu {
            shared: Arc::new(shared),
            stream,
            up_stage: Mutex::new(HashMap::new()),
            down_stage: Mutex::new(HashMap::new()),
        })
    }

    /// Another lane of this card: a new (non-blocking) stream and its own staging buffers, sharing everything
    /// else. The first lane puts the context in cudarc's multi-stream mode, which orders shared buffers across
    /// streams with events.
    pub fn lane(&self) -> Result<Gpu, GpuError> {
        Ok(Gpu {
            shared: self.shared.clone(),
            stream: self.ctx.new_stream().ctx("new stream")?,
            up_stage: Mutex::new(HashMap::new()),
            down_stage: Mutex::new(HashMap::new()),
        })
    }

    /// Use the first NTT pass kernel (radix 2, one stage per barrier) instead of v2 (for timing).
    pub fn set_ntt_v1(&self, on: bool) {
        self.ntt_v1.store(on, std::sync::atomic::Ordering::Relaxed);
    }

    /// The PTX that NVRTC made of the kernel source (for ptxas reports), compiled again.
    pub fn ptx(&self) -> Result<String, GpuError> {
        let cc = self.info.compute_capability;
        let opts = CompileOptions {
            options: vec![format!("--gpu-architecture=compute_{}{}", cc.0, cc.1)],
            ..Default::default()
        };
        let src = kernel_source(self.set).map_err(GpuError::Compile)?;
        compile_ptx_with_opts(&src, opts).map(|p| p.to_src()).map_err(|e| GpuError::Compile(format!("{e:?}")))
    }

    pub fn info(&self) -> &DeviceInfo {
        &self.info
    }

    /// The device memory pool's high-water marks so far, reserved and in use, in bytes (`None` where the
    /// context allocates without a pool).
    pub fn pool_high_water(&self) -> Result<Option<(u64, u64)>, GpuError> {
        pool_high_water(&self.ctx)
    }

    pub fn stream(&self) -> &Arc<CudaStream> {
        &self.stream
    }

    pub fn context(&self) -> &Arc<CudaContext> {
        &self.ctx
    }

    pub fn synchronize(&self) -> Result<(), GpuError> {
        self.stream.synchronize().ctx("synchronize")
    }

    /// The kernel set this module was compiled with.
    pub fn kernel_set(&self) -> KernelSet {
        self.set
    }

    /// Whether the module holds the Poseidon kernels of `variant`.
    pub fn has_variant(&self, variant: PoseidonVariant) -> bool {
        self.kernels.contains_key(&format!("poseidon_batch_{}", variant_name(variant)))
    }

    fn f(&self, name: &str) -> Result<&CudaFunction, GpuError> {
        self.kernels
            .get(name)
            .ok_or_else(|| GpuError::Unsupported(format!("kernel {name} is not in the {:?} kernel set", self.set)))
    }

    /// Device time of `work` (CUDA events around it on this stream), in milliseconds.
    pub fn time_ms(&self, mut work: impl FnMut() -> Result<(), GpuError>) -> Result<f64, GpuError> {
        let start = self.ctx.new_event(Some(CUevent_flags::CU_EVENT_DEFAULT)).ctx("event")?;
        let end = self.ctx.new_event(Some(CUevent_flags::CU_EVENT_DEFAULT)).ctx("event")?;
        start.record(&self.stream).ctx("event record")?;
        work()?;
        end.record(&self.stream).ctx("event record")?;
        end.synchronize().ctx("event sync")?;
        Ok(start.elapsed_ms(&end).ctx("elapsed")? as f64)
    }

    /// A device-to-device copy of `src` into `dst` (the bandwidth reference).
    pub fn copy(&self, src: &CudaSlice<u64>, dst: &mut CudaSlice<u64>) -> Result<(), GpuError> {
        self.stream.memcpy_dtod(src, dst).ctx("memcpy dtod")
    }

    /// `count` threads each apply the permutation `iters` times to their state (io: 12 × count,
    /// element i of state t at i * count + t).
    pub fn poseidon_bench(
        &self,
        io: &mut CudaSlice<u64>,
        count: u32,
        iters: u32,
        variant: PoseidonVariant,
    ) -> Result<(), GpuError> {
        let f = self.f(&format!("poseidon_bench_{}", variant_name(variant)))?;
        let cfg = LaunchConfig { grid_dim: (count.div_ceil(128), 1, 1), block_dim: (128, 1, 1), shared_mem_bytes: 0 };
        unsafe { self.stream.launch_builder(f).arg(io).arg(&count).arg(&iters).launch(cfg) }
            .map(|_| ())
            .ctx("launch poseidon_bench")
    }

    /// Whether setup data of the circuit of `digest` is resident ([`Backend::resident`]).
    pub fn holds_setup(&self, digest: [u64; 4]) -> bool {
        self.resident.lock().unwrap_or_else(|p| p.into_inner()).keys().any(|(circuit, _)| *circuit == digest)
    }

    pub fn upload(&self, data: &[u64]) -> Result<CudaSlice<u64>, GpuError> {
        self.stream.clone_htod(data).ctx("upload")
    }

    pub fn download(&self, buf: &CudaSlice<u64>) -> Result<Vec<u64>, GpuError> {
        self.stream.clone_dtoh(buf).ctx("download")
    }
}

impl Backend for Gpu {
    type Buf = CudaSlice<u64>;

    fn alloc(&self, len: usize) -> Result<CudaSlice<u64>, GpuError> {
        unsafe { self.stream.alloc::<u64>(len.max(1)) }.ctx("alloc")
    }

    fn upload_with(&self, len: usize, fill: &dyn Fn(&mut [u64])) -> Result<CudaSlice<u64>, GpuError> {
        let mut stages = self.up_stage.lock().unwrap();
        let stage = match stages.entry(len) {
            Entry::Occupied(o) => o.into_mut(),
            // Write-combined pinned memory: the host only writes it.
            Entry::Vacant(v) => v.insert(unsafe { self.ctx.alloc_pinned::<u64>(len.max(1)) }.ctx("pinned alloc")?),
        };
        // cudarc records a pinned buffer's event only in multi-stream mode: with one stream its
        // `as_mut_slice` does not wait, so wait for any earlier copy out of this buffer here.
        self.stream.synchronize().ctx("synchronize")?;
        fill(&mut stage.as_mut_slice().ctx("pinned slice")?[..len]);
        let mut dst = self.alloc(len)?;
        self.stream.memcpy_htod(stage, &mut dst).ctx("upload")?;
        Ok(dst)
    }

    fn download_with<R>(&self, buf: &CudaSlice<u64>, read: impl FnOnce(&[u64]) -> R) -> Result<R, GpuError> {
        let len = buf.len();
        let mut stages = self.down_stage.lock().unwrap();
        let stage = match stages.entry(len) {
            Entry::Occupied(o) => o.into_mut(),
            // Ordinary (cached) pinned memory: the host reads it.
            Entry::Vacant(v) => {
                v.insert(unsafe { self.ctx.alloc_pinned_with_flags::<u64>(len, 0) }.ctx("pinned alloc")?)
            }
        };
        self.stream.memcpy_dtoh(buf, stage).ctx("download")?;
        // See upload_with: the pinned buffer's event is not recorded with one stream.
        self.stream.synchronize().ctx("synchronize")?;
        Ok(read(stage.as_slice().ctx("pinned slice")?))
    }

    fn write_at(&self, buf: &mut CudaSlice<u64>, offset: usize, data: &[u64]) -> Result<(), GpuError> {
        let mut view = buf.slice_mut(offset..offset + data.len());
        self.stream.memcpy_htod(data, &mut view).ctx("write_at")
    }

    fn ntt_pass(
        &self,
        data: &mut CudaSlice<u64>,
        tw: &CudaSlice<u64>,
        ncols: u32,
        log_len: u32,
        p: NttPass,
    ) -> Result<(), GpuError> {
        let tile_log = p.tile_log();
        let tiles = 1u32 << (log_len - tile_log);
        let threads = (1u32 << tile_log.saturating_sub(1)).clamp(32, 512);
        debug_assert!((1u32 << tile_log) <= 8 * threads, "one round of 8 staged loads per thread");
        let cfg =
            LaunchConfig { grid_dim: (tiles, ncols, 1), block_dim: (threads, 1, 1), shared_mem_bytes: 8 << tile_log };
        unsafe {
            self.stream
                .launch_builder(if self.ntt_v1.load(std::sync::atomic::Ordering::Relaxed) {
                    self.f("ntt_dif_pass_v1")?
                } else {
                    self.f("ntt_dif_pass")?
                })
                .arg(data)
                .arg(tw)
                .arg(&log_len)
                .arg(&p.s0)
                .arg(&p.t)
                .arg(&p.log_c)
                .launch(cfg)
        }
        .map(|_| ())
        .ctx("launch ntt_dif_pass")
    }

    fn lde_expand(
        &self,
        coeffs_br: &CudaSlice<u64>,
        scale: &CudaSlice<u64>,
        n_inv: u64,
        coeffs: &mut CudaSlice<u64>,
        out: &mut CudaSlice<u64>,
        ncols: u32,
        log_n: u32,
        rate_bits: u32,
    ) -> Result<(), GpuError> {
        let big = 1u64 << (log_n + rate_bits);
        let cfg = LaunchConfig {
            grid_dim: (big.div_ceil(256) as u32, ncols, 1),
            block_dim: (256, 1, 1),
            shared_mem_bytes: 0,
        };
        unsafe {
            self.stream
                .launch_builder(self.f("lde_expand")?)
                .arg(coeffs_br)
                .arg(scale)
                .arg(&n_inv)
                .arg(coeffs)
                .arg(out)
                .arg(&log_n)
                .arg(&rate_bits)
                .launch(cfg)
        }
        .map(|_| ())
        .ctx("launch lde_expand")
    }

    fn merkle_leaves(
        &self,
        lde: &CudaSlice<u64>,
        ncols: u32,
        log_n: u32,
        sub_log: u32,
        digests: &mut CudaSlice<u64>,
        cap: &mut CudaSlice<u64>,
    ) -> Result<(), GpuError> {
        let n = 1u64 << log_n;
        let cfg =
            LaunchConfig { grid_dim: (n.div_ceil(128) as u32, 1, 1), block_dim: (128, 1, 1), shared_mem_bytes: 0 };
        unsafe {
            self.stream
                .launch_builder(self.f("merkle_leaves")?)
                .arg(lde)
                .arg(&ncols)
                .arg(&log_n)
                .arg(&sub_log)
                .arg(digests)
                .arg(cap)
                .launch(cfg)
        }
        .map(|_| ())
        .ctx("launch merkle_leaves")
    }

    fn merkle_layer(
        &self,
        digests: &mut CudaSlice<u64>,
        cap: &mut CudaSlice<u64>,
        log_n: u32,
        sub_log: u32,
        layer: u32,
    ) -> Result<(), GpuError> {
        let total = 1u64 << (log_n - layer - 1);
        let cfg =
            LaunchConfig { grid_dim: (total.div_ceil(128) as u32, 1, 1), block_dim: (128, 1, 1), shared_mem_bytes: 0 };
        unsafe {
            self.stream
                .launch_builder(self.f("merkle_layer")?)
                .arg(digests)
                .arg(cap)
                .arg(&log_n)
                .arg(&sub_log)
                .arg(&layer)
                .launch(cfg)
        }
        .map(|_| ())
        .ctx("launch merkle_layer")
    }

    fn pow_search(&self, state: &[u64; 12], pos: u32, start: u64, count: u32, min_zeros: u32) -> Result<u64, GpuError> {
        let st = self.upload(state)?;
        let mut best = self.upload(&[u64::MAX])?;
        let cfg = LaunchConfig { grid_dim: (count.div_ceil(128), 1, 1), block_dim: (128, 1, 1), shared_mem_bytes: 0 };
        unsafe {
            self.stream
                .launch_builder(self.f("pow_search")?)
                .arg(&st)
                .arg(&pos)
                .arg(&start)
                .arg(&count)
                .arg(&min_zeros)
                .arg(&mut best)
                .launch(cfg)
        }
        .ctx("launch pow_search")?;
        Ok(self.download(&best)?[0])
    }

    fn transpose(
        &self,
        input: &CudaSlice<u64>,
        out: &mut CudaSlice<u64>,
        ncols: u32,
        len: u64,
    ) -> Result<(), GpuError> {
        let cfg = LaunchConfig {
            grid_dim: (len.div_ceil(32) as u32, ncols.div_ceil(32), 1),
            block_dim: (32, 8, 1),
            shared_mem_bytes: 0,
        };
        unsafe {
            self.stream
                .launch_builder(self.f("transpose_cols_to_rows")?)
                .arg(input)
                .arg(out)
                .arg(&ncols)
                .arg(&len)
                .launch(cfg)
        }
        .map(|_| ())
        .ctx("launch transpose")
    }

    fn poseidon_batch(
        &self,
        states: &CudaSlice<u64>,
        out: &mut CudaSlice<u64>,
        count: u32,
        variant: PoseidonVariant,
    ) -> Result<(), GpuError> {
        let f = self.f(&format!("poseidon_batch_{}", variant_name(variant)))?;
        let cfg = LaunchConfig { grid_dim: (count.div_ceil(128), 1, 1), block_dim: (128, 1, 1), shared_mem_bytes: 0 };
        unsafe { self.stream.launch_builder(f).arg(states).arg(out).arg(&count).launch(cfg) }
            .map(|_| ())
            .ctx("launch poseidon_batch")
    }

    fn pp_quotients(
        &self,
        wires: &CudaSlice<u64>,
        sigmas: &CudaSlice<u64>,
        params: &CudaSlice<u64>,
        q: &mut CudaSlice<u64>,
        log_n: u32,
        routed: u32,
        nc: u32,
        chunk: u32,
        nchunks: u32,
    ) -> Result<(), GpuError> {
        let threads = (nc as u64) << log_n;
        let cfg = LaunchConfig {
            grid_dim: (threads.div_ceil(128) as u32, 1, 1),
            block_dim: (128, 1, 1),
            shared_mem_bytes: 0,
        };
        unsafe {
            self.stream
                .launch_builder(self.f("pp_quotients")?)
                .arg(wires)
                .arg(sigmas)
                .arg(params)
                .arg(q)
                .arg(&log_n)
                .arg(&routed)
                .arg(&nc)
                .arg(&chunk)
                .arg(&nchunks)
                .launch(cfg)
        }
        .map(|_| ())
        .ctx("launch pp_quotients")
    }

    fn pp_scan(
        &self,
        q: &CudaSlice<u64>,
        out: &mut CudaSlice<u64>,
        log_n: u32,
        nc: u32,
        nchunks: u32,
    ) -> Result<(), GpuError> {
        let threads = crate::partial_products::scan_threads(log_n);
        let cfg = LaunchConfig { grid_dim: (nc, 1, 1), block_dim: (threads, 1, 1), shared_mem_bytes: 0 };
        unsafe {
            self.stream
                .launch_builder(self.f("pp_scan")?)
                .arg(q)
                .arg(out)
                .arg(&log_n)
                .arg(&nc)
                .arg(&nchunks)
                .launch(cfg)
        }
        .map(|_| ())
        .ctx("launch pp_scan")
    }

    fn fri_combine(
        &self,
        rows: [&CudaSlice<u64>; 4],
        widths: [u32; 4],
        nc: u32,
        params: &CudaSlice<u64>,
        out: &mut CudaSlice<u64>,
        log_len: u32,
        arity_bits: u32,
    ) -> Result<(), GpuError> {
        let cfg = LaunchConfig {
            grid_dim: ((1u64 << log_len).div_ceil(128) as u32, 1, 1),
            block_dim: (128, 1, 1),
            shared_mem_bytes: 0,
        };
        unsafe {
            self.stream
                .launch_builder(self.f("fri_combine")?)
                .arg(rows[0])
                .arg(rows[1])
                .arg(rows[2])
                .arg(rows[3])
                .arg(&widths[0])
                .arg(&widths[1])
                .arg(&widths[2])
                .arg(&widths[3])
                .arg(&nc)
                .arg(params)
                .arg(out)
                .arg(&log_len)
                .arg(&arity_bits)
                .launch(cfg)
        }
        .map(|_| ())
        .ctx("launch fri_combine")
    }

    fn fri_fold(
        &self,
        input: &CudaSlice<u64>,
        out: &mut CudaSlice<u64>,
        params: &CudaSlice<u64>,
        log_len: u32,
        arity_bits: u32,
        out_bits: u32,
    ) -> Result<(), GpuError> {
        let leaves = 1u64 << (log_len - arity_bits);
        let cfg =
            LaunchConfig { grid_dim: (leaves.div_ceil(128) as u32, 1, 1), block_dim: (128, 1, 1), shared_mem_bytes: 0 };
        unsafe {
            self.stream
                .launch_builder(self.f("fri_fold")?)
                .arg(input)
                .arg(out)
                .arg(params)
                .arg(&log_len)
                .arg(&arity_bits)
                .arg(&out_bits)
                .launch(cfg)
        }
        .map(|_| ())
        .ctx("launch fri_fold")
    }

    fn batch_rows(
        &self,
        batch: &plonky2::fri::oracle::PolynomialBatch<crate::F, crate::prover::C, 2>,
        setup: Option<[u64; 4]>,
    ) -> Result<Arc<CudaSlice<u64>>, GpuError> {
        self.rows_for_fri(batch, setup)
    }

    fn resident(
        &self,
        circuit: [u64; 4],
        what: &'static str,
        len: usize,
        fill: &dyn Fn(&mut [u64]),
    ) -> Result<Arc<CudaSlice<u64>>, GpuError> {
        if let Some(t) = self.resident.lock().unwrap().get(&(circuit, what)) {
            if t.len() == len.max(1) {
                return Ok(t.clone());
            }
        }
        let t = Arc::new(self.upload_with(len, fill)?);
        self.resident.lock().unwrap().insert((circuit, what), t.clone());
        Ok(t)
    }

    fn twiddles(&self, log_len: u32, inverse: bool) -> Result<Arc<CudaSlice<u64>>, GpuError> {
        let mut cache = self.twiddles.lock().unwrap();
        if let Some(t) = cache.get(&(log_len, inverse)) {
            return Ok(t.clone());
        }
        let t = Arc::new(self.upload(&twiddle_table(log_len, inverse))?);
        cache.insert((log_len, inverse), t.clone());
        Ok(t)
    }

    fn lde_scale(&self, log_n: u32) -> Result<Arc<CudaSlice<u64>>, GpuError> {
        let mut cache = self.scales.lock().unwrap();
        if let Some(t) = cache.get(&log_n) {
            return Ok(t.clone());
        }
        let t = Arc::new(self.upload(&lde_scale_table(log_n))?);
        cache.insert(log_n, t.clone());
        Ok(t)
    }

    fn quotient_values(&self, q: &crate::prover::QuotientInputs<'_>) -> Result<Option<Vec<crate::F>>, GpuError> {
        self.device_quotient(q)
    }

    fn keep_rows(
        &self,
        cap: &plonky2::hash::merkle_tree::MerkleCap<crate::F, plonky2::hash::poseidon::PoseidonHash>,
        rows: CudaSlice<u64>,
    ) {
        self.keep_commitment_rows(cap, rows)
    }

    fn keeps_rows(&self) -> bool {
        self.keeps_commitment_rows()
    }

    fn fetch_rows(
        &self,
        cap: &plonky2::hash::merkle_tree::MerkleCap<crate::F, plonky2::hash::poseidon::PoseidonHash>,
        width: usize,
        indices: &[usize],
    ) -> Result<Option<Vec<Vec<crate::F>>>, GpuError> {
        self.fetch_kept_rows(cap, width, indices)
    }

    fn release_rows(
        &self,
        cap: &plonky2::hash::merkle_tree::MerkleCap<crate::F, plonky2::hash::poseidon::PoseidonHash>,
    ) {
        self.release_kept_rows(cap)
    }
}
