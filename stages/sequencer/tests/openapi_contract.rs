//! Issue 16: the sequencer against its own published contract. The real server is started on loopback (in
//! this process: a store with produced blocks, the real artifact encoder, a dummy proof check) and
//! schemathesis, from PyPI, fuzzes every operation of the document the server serves at `GET /openapi.json`
//! with every check it has: no 5xx, every status, content type, header and body as documented, invalid input
//! refused with a 4xx, undocumented methods answered 405 with a correct `Allow`.
//!
//! schemathesis lives in a virtual environment that `scripts/schemathesis.sh install` makes (`.ci/run` does).
//! Without it the test says so and passes, unless `FRISPOOL_SCHEMATHESIS_TESTS=1` (CI sets it) asks for it.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::PathBuf;
use std::process::Command;
use std::time::Instant;

use frispool_rollup::BlockGenerator;
use frispool_sequencer::{serve, BlockEncoder, ProofCheck, ServerConfig, Store, BLOCK_INPUT, OPENAPI};

/// The schemathesis script's "not installed" exit.
const NOT_INSTALLED: i32 = 77;

fn script() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../scripts/schemathesis.sh")
}

fn required() -> bool {
    std::env::var("FRISPOOL_SCHEMATHESIS_TESTS").is_ok_and(|v| v == "1")
}

/// One request on its own connection; the whole answer as text.
fn get(addr: SocketAddr, path: &str) -> String {
    let mut s = TcpStream::connect(addr).unwrap();
    write!(s, "GET {path} HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n").unwrap();
    let mut answer = String::new();
    s.read_to_string(&mut answer).unwrap();
    answer
}

#[test]
fn schemathesis_finds_nothing_against_a_live_sequencer() {
    let probe = Command::new(script()).arg("bin").output().expect("run scripts/schemathesis.sh");
    if probe.status.code() == Some(NOT_INSTALLED) {
        let why = String::from_utf8_lossy(&probe.stderr);
        assert!(!required(), "FRISPOOL_SCHEMATHESIS_TESTS=1 but {why}");
        eprintln!("SKIPPED: {why}(FRISPOOL_SCHEMATHESIS_TESTS=1 makes this a failure)");
        return;
    }
    assert!(probe.status.success(), "scripts/schemathesis.sh bin: {probe:?}");

    let dir = tempfile::Builder::new().prefix("sequencer-openapi-").tempdir().unwrap();
    let mut store = Store::open(&dir.path().join("store")).unwrap();
    // A few small blocks, so that GET /proof_generation_data answers 200 (with a real block-input artifact)
    // as well as 204 once they are all handed out, and /blocks/{n} finds some numbers.
    for seed in 0..3 {
        let txs = BlockGenerator::new(seed).next_block(store.state(), 16);
        store.produce(txs).unwrap();
    }
    let check: ProofCheck =
        Box::new(|header, body| Err(format!("not a proof of block {} ({} bytes)", header.number, body.len())));
    let encode: BlockEncoder = Box::new(|block| {
        frispool_spool::encode_artifact(std::path::Path::new("proof_generation_data"), BLOCK_INPUT, block)
            .map_err(|e| e.to_string())
    });
    let mut config = ServerConfig::new("127.0.0.1:0".parse().unwrap());
    config.max_body = 64 << 10;
    let server = serve(store, check, encode, config).unwrap();
    let url = format!("http://{}", server.addr());

    // The document schemathesis tests is the one the server serves (schemathesis would leave out the
    // operation that serves its own schema if it loaded it from the URL, so it gets a copy and the base URL).
    let served = get(server.addr(), "/openapi.json");
    assert!(served.starts_with("HTTP/1.1 200 OK\r\n"), "GET /openapi.json: {served}");
    let body = &served[served.find("\r\n\r\n").expect("a whole answer") + 4..];
    assert_eq!(body, OPENAPI, "GET /openapi.json serves another document than the repository's");
    let document = dir.path().join("openapi.json");
    std::fs::write(&document, body).unwrap();

    let started = Instant::now();
    let report = dir.path().join("report");
    let junit = report.join("junit.xml");
    let out = Command::new(script())
        .arg("run")
        .arg(&document)
        .args(["--url", &url, "--checks", "all"])
        // Every check but one: a body the schema allows (any bytes) is still no proof, and the server must
        // refuse it; "positive data" cannot mean "a valid proof" for a fuzzer.
        .args(["--exclude-checks", "positive_data_acceptance"])
        .args(["--max-examples", "60", "--seed", "16", "--workers", "2", "--request-timeout", "20"])
        .args(["--report", "junit", "--report-junit-path"])
        .arg(&junit)
        .env("NO_COLOR", "1")
        // It keeps a cache in its working folder: the temp dir, not the source tree.
        .current_dir(dir.path())
        .output()
        .expect("run schemathesis");
    server.shutdown();
    let text = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    eprintln!("schemathesis ran {:.1} s against {url}", started.elapsed().as_secs_f64());
    assert!(out.status.success(), "schemathesis found problems ({:?}):\n{text}", out.status);
    // A run that tested nothing passes too: make sure every operation was exercised.
    let junit = std::fs::read_to_string(&junit).expect("schemathesis wrote its JUnit report");
    for op in ["GET /proof_generation_data", "POST /submit_proof/{n}", "GET /blocks/{n}", "GET /openapi.json"] {
        assert!(junit.contains(&format!("name=\"{op}\"")), "schemathesis did not test {op}:\n{text}\n{junit}");
    }
}
