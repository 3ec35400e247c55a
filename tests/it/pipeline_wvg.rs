//! Issue 10, the seed's split with the real binaries: `frispool-wvg` claims the prove jobs, computes each
//! witness vector on the CPU and streams it to `frispool-prover --serve-vectors` (here on the CPU backend;
//! on the GPU machine the same run uses `--backend gpu`), which announced itself in the spool. A block goes
//! from the sequencer to an accepted proof that way; then the only vector server is killed mid-block, the
//! generators wait, a new server announces itself, and the next block is proven too, every job once.

use frispool_pipeline::vectors::PROVERS_DIR;
use frispool_pipeline::PROVE;

use crate::command::binary;
use crate::pipeline::*;

#[test]
fn witness_vector_generators_feed_an_announced_prover_and_survive_losing_it() {
    let mut p = Pipeline::new();
    let blocks = p.produce(2, 48, 21);
    let (url, servers) = p.start_all_with(1, 2, &[]);
    p.wait_proven(&url, blocks[0]);

    let server_log = p.log_of("prover-1");
    assert!(server_log.contains("serving witness vectors"), "{server_log}");
    let announced: Vec<_> = std::fs::read_dir(p.spool_path().join(PROVERS_DIR)).unwrap().flatten().collect();
    assert_eq!(announced.len(), 1, "one announcement while the server runs");
    for wvg in ["wvg-1", "wvg-2"] {
        assert!(p.log_of(wvg).contains("frispool: done b"), "{wvg} proved nothing:\n{}", p.log_of(wvg));
    }

    // Lose the only vector server while the second block is in flight, then bring up another: the
    // generators keep their jobs (or give them back) and the block completes with every job done once.
    p.signal(servers[0], libc::SIGKILL);
    std::thread::sleep(std::time::Duration::from_secs(2));
    let args = ["--backend", "cpu", "--verbose", "--serve-vectors", "127.0.0.1:0", "--rescan-secs", "0.5"];
    p.start("prover-2", binary("frispool-prover"), &args);
    p.wait_proven(&url, blocks[1]);
    let done = p.assert_every_job_done_once();
    assert!(done[&PROVE].len() >= 6, "two blocks' proofs: {}", done[&PROVE].len());
    let served: usize = ["prover-1", "prover-2"].iter().map(|n| p.log_of(n).matches("proven in").count()).sum();
    assert!(served >= done[&PROVE].len(), "every prove job went through a vector server ({served} served)");
}
