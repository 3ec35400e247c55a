//! Issue 15 part 3: `frispool scale` on a backlog with known job times. The done tickets are written with
//! chosen claim and done times (a done ticket is all `scale` reads of a finished job); the backlog is
//! enqueued through the spool.

use frispool_pipeline::{PROVE, WITNESS_BASIC, WITNESS_LEAF};
use frispool_spool::{DoneRecord, Queue, State, Ticket};

use crate::spool::TestSpool;

fn done(s: &TestSpool, q: Queue, key: &str, secs: u64) {
    let mut t = Ticket::new(q.clone(), key.parse().unwrap(), "dev", vec![], 3);
    let start = 1_700_000_000_000;
    t.done = Some(DoneRecord {
        host: "h".into(),
        pid: 1,
        attempt: 1,
        start_unix_ms: start,
        end_unix_ms: start + secs * 1000,
        start: String::new(),
        end: String::new(),
        outputs: vec![],
    });
    std::fs::write(s.spool.state_dir(&q, State::Done).join(key), t.to_bytes()).unwrap();
}

fn queued(s: &TestSpool, q: Queue, round: u8, circuit: &str, n: u32) {
    for g in 0..n {
        let key = format!("b00000009.r{round}.{circuit}.d0.g{g:04}");
        s.spool.enqueue(&Ticket::new(q.clone(), key.parse().unwrap(), "dev", vec![], 3)).unwrap();
    }
}

#[test]
fn scale_sizes_each_kind_of_worker_by_its_backlog_and_job_times() {
    let s = TestSpool::new();
    for g in 0..10 {
        done(&s, PROVE, &format!("b00000001.r0.main.d0.g{g:04}"), 30);
    }
    for g in 0..2 {
        done(&s, PROVE, &format!("b00000001.r1.main.d0.g{g:04}"), 100);
    }
    for b in 1..4 {
        done(&s, WITNESS_BASIC, &format!("b0000000{b}.r0.main.d0.g0000"), 12);
    }
    // prove r0: 95 main × 30 s + 5 sig (no time yet: the round's mean, 30 s) = 3000 s → 5 provers in 600 s.
    queued(&s, PROVE, 0, "main", 95);
    queued(&s, PROVE, 0, "sig", 5);
    // prove r1: 7 × 100 s = 700 s → 2. witness basic: 4 × 12 s → 1. witness leaf: no time known → 1.
    queued(&s, PROVE, 1, "main", 7);
    queued(&s, WITNESS_BASIC, 0, "main", 4);
    queued(&s, WITNESS_LEAF, 1, "main", 3);
    let out = s.admin_cmd(&["scale", "--target-secs", "600", "--json"]).expect_success();
    let json = String::from_utf8(out.stdout).unwrap();
    let v: serde_json::Value = serde_json::from_str(&json).unwrap();
    let rows: Vec<(String, u64, u64, u64, String)> = v["rows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            let args: Vec<&str> = r["args"].as_array().unwrap().iter().map(|a| a.as_str().unwrap()).collect();
            (
                r["queue"].as_str().unwrap().to_string(),
                r["round"].as_u64().unwrap(),
                r["backlog"].as_u64().unwrap(),
                r["workers"].as_u64().unwrap(),
                format!("{} {}", r["binary"].as_str().unwrap(), args.join(" ")),
            )
        })
        .collect();
    let want = |q: &str, r, b, w, cmd: &str| (q.to_string(), r, b, w, cmd.to_string());
    assert_eq!(
        rows,
        vec![
            want("prove", 0, 100, 5, "frispool-prover --rounds basic"),
            want("prove", 1, 7, 2, "frispool-prover --rounds leaf"),
            want("witness-basic", 0, 4, 1, "frispool-witness --round basic"),
            want("witness-leaf", 1, 3, 1, "frispool-witness --round leaf"),
        ],
        "{json}"
    );
    // Half the time, twice the provers; a default time sizes the leaf witnesses too (3 × 400 s in 300 s).
    let out = s.admin_cmd(&["scale", "--target-secs", "300", "--default-secs", "400", "--slurm"]).expect_success();
    let slurm = String::from_utf8(out.stdout).unwrap();
    let lines: Vec<&str> = slurm.lines().filter(|l| l.contains("sbatch")).collect();
    assert_eq!(
        lines,
        [
            "FRISPOOL_PROVER_ARGS='--rounds basic' sbatch --job-name=frispool-prover-basic --array=1-10 scripts/slurm/provers.sbatch",
            "FRISPOOL_PROVER_ARGS='--rounds leaf' sbatch --job-name=frispool-prover-leaf --array=1-3 scripts/slurm/provers.sbatch",
            "sbatch --job-name=frispool-witness-basic --array=1-1 scripts/slurm/stage.sbatch frispool-witness --round basic",
            "sbatch --job-name=frispool-witness-leaf --array=1-4 scripts/slurm/stage.sbatch frispool-witness --round leaf",
        ],
        "{slurm}"
    );
}
