//! The sequencer's HTTP API (a real server on loopback by default, `tiny_http`).
//!
//! | request                        | answer                                                                  |
//! |--------------------------------|-------------------------------------------------------------------------|
//! | `GET /proof_generation_data`   | 200 + a block-input artifact (header, transactions, Merkle witnesses); 204 when none is due |
//! | `POST /submit_proof/{block}`   | 200 + the block's record when the proof verifies; 400 + reason when not; 404 unknown block; 413 too large |
//! | `GET /blocks/{n}`              | 200 + the block's status record (JSON); 404 unknown                      |
//!
//! Anything else gets 404 or 405 with a one-line reason. A bad request never takes the server down.

use std::io::Read;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;

use tiny_http::{Header, Method, Request, Response, Server};

use crate::store::{Store, StoreError};
use crate::ProofCheck;

/// Encodes a block for `GET /proof_generation_data` (the binary passes the spool's artifact encoding).
pub type BlockEncoder = Box<dyn Fn(&frispool_rollup::BlockWitness) -> Result<Vec<u8>, String> + Send + Sync>;

pub struct ServerConfig {
    pub addr: SocketAddr,
    /// A handed-out block that is still unproven after this long is handed out again.
    pub handout_timeout_ms: u64,
    /// Largest accepted request body.
    pub max_body: usize,
    pub threads: usize,
}

struct Shared {
    store: Mutex<Store>,
    check: ProofCheck,
    encode: BlockEncoder,
    handout_timeout_ms: u64,
    max_body: usize,
}

pub struct ServerHandle {
    addr: SocketAddr,
    server: Arc<Server>,
    threads: Vec<JoinHandle<()>>,
}

impl ServerHandle {
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Stops accepting requests and waits for the worker threads.
    pub fn shutdown(self) {
        self.server.unblock();
        for _ in 1..self.threads.len() {
            self.server.unblock();
        }
        for t in self.threads {
            let _ = t.join();
        }
    }

    /// Blocks until the server stops (it stops only on [`ServerHandle::shutdown`] or a fatal listener error).
    pub fn join(self) {
        for t in self.threads {
            let _ = t.join();
        }
    }
}

pub fn serve(
    store: Store,
    check: ProofCheck,
    encode: BlockEncoder,
    config: ServerConfig,
) -> std::io::Result<ServerHandle> {
    let server = Arc::new(Server::http(config.addr).map_err(std::io::Error::other)?);
    let addr = server.server_addr().to_ip().ok_or_else(|| std::io::Error::other("not an IP listener"))?;
    let shared = Arc::new(Shared {
        store: Mutex::new(store),
        check,
        encode,
        handout_timeout_ms: config.handout_timeout_ms,
        max_body: config.max_body,
    });
    let threads = (0..config.threads.max(1))
        .map(|_| {
            let server = Arc::clone(&server);
            let shared = Arc::clone(&shared);
            std::thread::spawn(move || {
                while let Ok(request) = server.recv() {
                    handle(&shared, request);
                }
            })
        })
        .collect();
    Ok(ServerHandle { addr, server, threads })
}

/// An answer before it is sent: status, content type, body.
struct Answer(u16, &'static str, Vec<u8>);

impl Answer {
    fn text(status: u16, msg: impl Into<String>) -> Answer {
        let mut body = msg.into().into_bytes();
        body.push(b'\n');
        Answer(status, "text/plain; charset=utf-8", body)
    }
    fn json<T: serde::Serialize>(value: &T) -> Answer {
        let mut body = serde_json::to_vec_pretty(value).expect("records serialise");
        body.push(b'\n');
        Answer(200, "application/json", body)
    }
}

fn handle(shared: &Shared, mut request: Request) {
    let method = request.method().clone();
    let url = request.url().to_string();
    let path = url.split('?').next().unwrap_or("").to_string();
    let segments: Vec<&str> = path.trim_matches('/').split('/').collect();
    let answer = match (segments.as_slice(), &method) {
        (["proof_generation_data"], Method::Get) => proof_generation_data(shared),
        (["submit_proof", n], Method::Post) => match parse_block(n) {
            Ok(n) => match read_body(&mut request, shared.max_body) {
                Ok(body) => submit_proof(shared, n, &body),
                Err(a) => a,
            },
            Err(a) => a,
        },
        (["blocks", n], Method::Get) => match parse_block(n) {
            Ok(n) => block_status(shared, n),
            Err(a) => a,
        },
        (["proof_generation_data"], _) | (["submit_proof", _], _) | (["blocks", _], _) => {
            Answer::text(405, format!("{method} is not allowed on {path}"))
        }
        _ => Answer::text(404, format!("no such endpoint: {path}")),
    };
    let Answer(status, content_type, body) = answer;
    let response = Response::from_data(body)
        .with_status_code(status)
        .with_header(Header::from_bytes("Content-Type", content_type).expect("static header"));
    // The client may have gone away; nothing to do about it here.
    let _ = request.respond(response);
}

fn parse_block(s: &str) -> Result<u64, Answer> {
    s.parse::<u64>().map_err(|_| Answer::text(400, format!("{s:?} is not a block number")))
}

fn read_body(request: &mut Request, max: usize) -> Result<Vec<u8>, Answer> {
    if request.body_length().is_some_and(|n| n > max) {
        return Err(Answer::text(413, format!("body larger than {max} bytes")));
    }
    let mut body = Vec::new();
    let reader = request.as_reader();
    reader
        .take(max as u64 + 1)
        .read_to_end(&mut body)
        .map_err(|e| Answer::text(400, format!("cannot read the body: {e}")))?;
    if body.len() > max {
        // A client writes its whole body before it reads the answer: closing on it now would give it a
        // broken pipe instead of the 413. Discard the rest first (bounded; tiny_http itself drains a body
        // with a Content-Length, this is for chunked ones).
        let _ = std::io::copy(&mut reader.take(DRAIN_LIMIT), &mut std::io::sink());
        return Err(Answer::text(413, format!("body larger than {max} bytes")));
    }
    Ok(body)
}

/// The most of an oversized chunked body read and discarded so that its sender still gets the 413.
const DRAIN_LIMIT: u64 = 256 << 20;

fn store_error(e: StoreError) -> Answer {
    match e {
        StoreError::UnknownBlock(n) => Answer::text(404, format!("block {n} is not known to this sequencer")),
        other => Answer::text(500, other.to_string()),
    }
}

fn proof_generation_data(shared: &Shared) -> Answer {
    let mut store = shared.store.lock().unwrap_or_else(|p| p.into_inner());
    match store.hand_out(shared.handout_timeout_ms) {
        Ok(Some(block)) => match (shared.encode)(&block) {
            Ok(bytes) => Answer(200, "application/octet-stream", bytes),
            Err(e) => Answer::text(500, format!("cannot encode block {}: {e}", block.header.number)),
        },
        Ok(None) => Answer(204, "text/plain", Vec::new()),
        Err(e) => store_error(e),
    }
}

fn submit_proof(shared: &Shared, number: u64, body: &[u8]) -> Answer {
    let header = {
        let store = shared.store.lock().unwrap_or_else(|p| p.into_inner());
        match store.block(number) {
            Ok(b) => b.header,
            Err(e) => return store_error(e),
        }
    };
    // Verify outside the lock: it takes milliseconds and other requests need not wait.
    if let Err(reason) = (shared.check)(&header, body) {
        return Answer::text(400, format!("proof rejected for block {number}: {reason}"));
    }
    let digest = blake3_hex(body);
    let mut store = shared.store.lock().unwrap_or_else(|p| p.into_inner());
    match store.mark_proven(number, digest) {
        Ok(record) => Answer::json(&record),
        Err(e) => store_error(e),
    }
}

fn block_status(shared: &Shared, number: u64) -> Answer {
    let store = shared.store.lock().unwrap_or_else(|p| p.into_inner());
    match store.record(number) {
        Ok(record) => Answer::json(&record),
        Err(e) => store_error(e),
    }
}

fn blake3_hex(bytes: &[u8]) -> String {
    blake3::hash(bytes).to_hex().to_string()
}
