//! Issue 12 with the real binaries, under a keygen profile other than the default: with
//! `FRISPOOL_SIG_PER_INSTANCE=2` every process (keygen, sequencer, stages) registers `sig` after `main` with two
//! signatures an instance. A block of signed transactions goes in at the sequencer, round 0 cuts it into `main`
//! and `sig` instances, both types are aggregated and bound by the scheduler, and the sequencer — which derives
//! its final key under the same profile — accepts the final proof. (The default profile, ten an instance, is
//! what every other pipeline test proves.)

use frispool_pipeline::PROVE;

use crate::pipeline::*;

#[test]
fn a_signed_block_is_proven_with_main_and_sig_by_the_real_binaries() {
    let mut p = Pipeline::with_env(&[("FRISPOOL_SIG_PER_INSTANCE", "2")]);
    let manifest = std::fs::read_to_string(p.spool_path().join("keys/manifest.json")).unwrap();
    assert!(manifest.contains("\"leaf-sig\""), "keygen under the profile builds sig's circuits: {manifest}");
    // 16 transactions, 9 of them signed: five `sig` instances of two (the last one padded), in two round-0
    // groups of at most four (one per leaf).
    let n = p.produce(1, 16, 12)[0];
    let (url, _) = p.start_all(1, &[]);
    let record = p.wait_proven(&url, n);
    assert_eq!(record["status"], "proven");

    let done = p.assert_every_job_done_once();
    let keys: Vec<String> = done[&PROVE].iter().map(|t| t.key.to_string()).collect();
    let sig_basic = keys.iter().filter(|k| k.contains(".r0.sig.")).count();
    assert!(sig_basic >= 2, "five sig instances make two round-0 groups: {keys:?}");
    assert!(keys.iter().any(|k| k.contains(".r1.sig.")), "a sig leaf: {keys:?}");
    assert!(keys.iter().any(|k| k.contains(".r0.main.")), "and main's instance: {keys:?}");
}
