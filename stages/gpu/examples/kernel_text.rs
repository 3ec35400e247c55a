//! Prints the generated CUDA source of a kernel set (`bench`, the default, or `prover`), for
//! compiling it with NVRTC off the GPU machine (`stages/gpu/sass-local.sh`): no GPU is needed.

fn main() {
    let set = match std::env::args().nth(1).as_deref() {
        Some("prover") => frispool_gpu::KernelSet::Prover,
        Some("bench") | None => frispool_gpu::KernelSet::Bench,
        Some(other) => {
            eprintln!("kernel_text: unknown kernel set {other:?} (bench | prover)");
            std::process::exit(2);
        }
    };
    match frispool_gpu::source::kernel_source(set) {
        Ok(text) => print!("{text}"),
        Err(e) => {
            eprintln!("kernel_text: {e}");
            std::process::exit(1);
        }
    }
}
