//! Issue 8, part 1: the sequencer's HTTP server against hostile clients. Each test starts the real server on
//! 127.0.0.1:0 (in this process, with a dummy proof check and a store in a temp dir), attacks it with raw
//! sockets, then checks that a normal request is still answered correctly and that the process's open
//! descriptors come back to where they were.
//!
//! The tests take one lock: the descriptor counts are of the whole process.

use std::io::{ErrorKind, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::sync::{Arc, Barrier, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use frispool_rollup::BlockGenerator;
use frispool_sequencer::{serve, BlockEncoder, ProofCheck, ServerConfig, ServerHandle, Store};

/// The only body the dummy check accepts.
const GOOD_PROOF: &[u8] = b"a proof the dummy check accepts";
const MAX_BODY: usize = 4096;

static ONE_AT_A_TIME: Mutex<()> = Mutex::new(());

fn one_at_a_time() -> MutexGuard<'static, ()> {
    ONE_AT_A_TIME.lock().unwrap_or_else(|p| p.into_inner())
}

struct Server {
    handle: Option<ServerHandle>,
    addr: SocketAddr,
    block: u64,
    _dir: tempfile::TempDir,
}

impl Drop for Server {
    fn drop(&mut self) {
        if let Some(h) = self.handle.take() {
            h.shutdown();
        }
    }
}

/// A server with one produced block, short timeouts (1 s) and a 4 KiB body limit; `tweak` changes more.
fn start(tweak: impl FnOnce(&mut ServerConfig)) -> Server {
    let dir = tempfile::Builder::new().prefix("sequencer-http-").tempdir().unwrap();
    let mut store = Store::open(dir.path()).unwrap();
    let txs = BlockGenerator::new(7).next_block(store.state(), 4);
    let block = store.produce(txs).unwrap().header.number;
    let check: ProofCheck = Box::new(|header, body| {
        if body == GOOD_PROOF {
            Ok(())
        } else {
            Err(format!("not a proof of block {} ({} bytes)", header.number, body.len()))
        }
    });
    let encode: BlockEncoder = Box::new(|b| Ok(format!("block {}", b.header.number).into_bytes()));
    let mut config = ServerConfig::new("127.0.0.1:0".parse().unwrap());
    config.max_body = MAX_BODY;
    config.header_timeout = Duration::from_secs(1);
    config.body_timeout = Duration::from_secs(1);
    config.idle_timeout = Duration::from_secs(1);
    tweak(&mut config);
    let handle = serve(store, check, encode, config).unwrap();
    let addr = handle.addr();
    let server = Server { handle: Some(handle), addr, block, _dir: dir };
    // One request first, so that whatever the server opens lazily is open before the baseline is taken,
    // and a moment for the server to close its end of it.
    server.assert_still_serves();
    std::thread::sleep(Duration::from_millis(200));
    server
}

impl Server {
    fn connect(&self) -> TcpStream {
        let s = TcpStream::connect(self.addr).unwrap();
        s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
        s
    }

    fn submit_head(&self, content_length: &str) -> String {
        format!("POST /submit_proof/{} HTTP/1.1\r\nHost: t\r\nContent-Length: {content_length}\r\n\r\n", self.block)
    }

    /// A normal `GET /blocks/{block}` on a fresh connection: 200, the block's record, promptly.
    fn assert_still_serves(&self) {
        let started = Instant::now();
        let mut s = self.connect();
        s.write_all(format!("GET /blocks/{} HTTP/1.1\r\nHost: t\r\n\r\n", self.block).as_bytes()).unwrap();
        let r = read_response(&mut s).expect("an answer to GET /blocks");
        assert_eq!(r.status, 200, "GET /blocks/{}: {}", self.block, r.text());
        let record: serde_json::Value = serde_json::from_slice(&r.body).unwrap();
        assert_eq!(record["number"], self.block, "{record}");
        assert_eq!(record["status"], "produced", "{record}");
        assert!(started.elapsed() < Duration::from_secs(1), "GET took {:?}", started.elapsed());
    }
}

/// The descriptors this process has open.
fn open_fds() -> usize {
    std::fs::read_dir("/proc/self/fd").unwrap().count()
}

/// Waits (up to `within`) for the process's descriptors to come back to `baseline` (+ a small margin).
fn assert_fds_back(baseline: usize, within: Duration, what: &str) {
    let started = Instant::now();
    loop {
        let now = open_fds();
        if now <= baseline + 2 {
            return;
        }
        if started.elapsed() > within {
            panic!("{what}: {now} descriptors open, {baseline} before, after {within:?}");
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

struct Reply {
    status: u16,
    head: String,
    body: Vec<u8>,
}

impl Reply {
    fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }
    fn closes(&self) -> bool {
        self.head.to_ascii_lowercase().contains("connection: close")
    }
}

/// Reads one response (head and a Content-Length body). `None` when the server closed (or reset) the
/// connection before a single byte of an answer.
fn read_response(s: &mut TcpStream) -> Option<Reply> {
    let mut buf = Vec::new();
    let mut byte = [0u8; 1];
    while !buf.ends_with(b"\r\n\r\n") {
        match s.read(&mut byte) {
            Ok(0) => break,
            Ok(_) => buf.push(byte[0]),
            Err(e) if e.kind() == ErrorKind::ConnectionReset => break,
            Err(e) => panic!("reading an answer: {e} (after {} bytes)", buf.len()),
        }
    }
    if buf.is_empty() {
        return None;
    }
    let head = String::from_utf8(buf).expect("an ASCII head");
    assert!(head.ends_with("\r\n\r\n"), "a whole response head: {head:?}");
    let status = head.split(' ').nth(1).and_then(|c| c.parse().ok()).unwrap_or_else(|| panic!("status line: {head:?}"));
    let len = head
        .lines()
        .find_map(|l| {
            l.to_ascii_lowercase().strip_prefix("content-length:").map(|v| v.trim().parse::<usize>().unwrap())
        })
        .unwrap_or(0);
    let mut body = vec![0u8; len];
    s.read_exact(&mut body).unwrap();
    Some(Reply { status, head, body })
}

/// Waits for the server to close the connection (EOF or reset) within `within`; returns the bytes it sent
/// on the way.
fn read_to_close(s: &mut TcpStream, within: Duration) -> Vec<u8> {
    s.set_read_timeout(Some(within)).unwrap();
    let mut got = Vec::new();
    let mut buf = [0u8; 4096];
    loop {
        match s.read(&mut buf) {
            Ok(0) => return got,
            Ok(n) => got.extend_from_slice(&buf[..n]),
            Err(e) if e.kind() == ErrorKind::ConnectionReset => return got,
            Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => {
                panic!(
                    "the server did not close the connection within {within:?} (got {:?})",
                    String::from_utf8_lossy(&got)
                )
            }
            Err(e) => panic!("reading to the close: {e}"),
        }
    }
}

/// `Content-Length` far beyond the body limit, including values whose allocation aborted the old server:
/// 413 at once, with nothing read (no body is sent at all) and the connection closed at once.
#[test]
fn huge_declared_lengths_get_413_at_once_and_the_connection_closed() {
    let _one = one_at_a_time();
    // A long body timeout: an answer or a close that waited for it would show.
    let server = start(|c| c.body_timeout = Duration::from_secs(20));
    let baseline = open_fds();
    for declared in ["1000000000000", "9223372036854775807", "68719476736", "18446744073709551613"] {
        for _ in 0..6 {
            let started = Instant::now();
            let mut s = server.connect();
            s.write_all(server.submit_head(declared).as_bytes()).unwrap();
            let r = read_response(&mut s).unwrap_or_else(|| panic!("Content-Length {declared}: no answer"));
            assert_eq!(r.status, 413, "Content-Length {declared}: {}", r.text());
            assert!(r.text().contains(&format!("body larger than {MAX_BODY} bytes")), "{}", r.text());
            assert!(r.closes(), "Content-Length {declared}: the answer says the connection closes: {}", r.head);
            assert!(read_to_close(&mut s, Duration::from_secs(2)).is_empty());
            assert!(started.elapsed() < Duration::from_secs(1), "Content-Length {declared}: {:?}", started.elapsed());
        }
        server.assert_still_serves();
    }
    assert_fds_back(baseline, Duration::from_secs(3), "after the huge Content-Lengths");
}

/// A body over the limit but small enough to discard: 413 at once, and a client that then sends (or had
/// already sent) its whole body sees the answer and a clean close, not a reset.
#[test]
fn oversized_bodies_get_413_and_their_senders_see_it() {
    let _one = one_at_a_time();
    let server = start(|c| c.body_timeout = Duration::from_secs(20));
    let baseline = open_fds();
    // Announced, the answer read before the body is sent.
    let mut s = server.connect();
    s.write_all(server.submit_head(&(MAX_BODY + 1).to_string()).as_bytes()).unwrap();
    let r = read_response(&mut s).expect("an answer before the body");
    assert_eq!(r.status, 413, "{}", r.text());
    s.write_all(&vec![1u8; MAX_BODY + 1]).unwrap();
    assert!(read_to_close(&mut s, Duration::from_secs(2)).is_empty(), "closed once the body is discarded");
    drop(s);

    // Announced and sent whole before reading (as ureq does), 256 times the limit: beyond the socket buffers.
    let big = vec![2u8; MAX_BODY * 256];
    let mut s = server.connect();
    s.write_all(server.submit_head(&big.len().to_string()).as_bytes()).unwrap();
    s.write_all(&big).unwrap();
    let r = read_response(&mut s).expect("an answer after the body");
    assert_eq!(r.status, 413, "{}", r.text());
    read_to_close(&mut s, Duration::from_secs(2));
    drop(s);

    // Chunked: counted while read, cut at the limit.
    let mut s = server.connect();
    let head = format!("POST /submit_proof/{} HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n", server.block);
    s.write_all(head.as_bytes()).unwrap();
    for _ in 0..64 {
        s.write_all(format!("{:x}\r\n", 1024).as_bytes()).unwrap();
        s.write_all(&[3u8; 1024]).unwrap();
        s.write_all(b"\r\n").unwrap();
    }
    s.write_all(b"0\r\n\r\n").unwrap();
    let r = read_response(&mut s).expect("an answer to the chunked body");
    assert_eq!(r.status, 413, "{}", r.text());
    assert!(r.text().contains("body larger than"), "{}", r.text());
    read_to_close(&mut s, Duration::from_secs(2));

    drop(s);
    server.assert_still_serves();
    assert_fds_back(baseline, Duration::from_secs(3), "after the oversized bodies");
}

/// `Content-Length` values that are no valid length: a 4xx from hyper's parser and the connection closed.
#[test]
fn invalid_declared_lengths_get_4xx_and_the_connection_closed() {
    let _one = one_at_a_time();
    let server = start(|c| c.header_timeout = Duration::from_secs(20));
    let baseline = open_fds();
    let cases = [
        // Within u64 but beyond hyper's largest length (u64::MAX - 2): its "too large" answer.
        ("18446744073709551615", 431),
        ("18446744073709551614", 431),
        // Beyond u64, negative, not a number, two values, a sign, an exponent.
        ("18446744073709551616", 400),
        ("99999999999999999999999999", 400),
        ("-1", 400),
        ("abc", 400),
        ("12, 13", 400),
        ("+5", 400),
        ("1e3", 400),
    ];
    for (declared, want) in cases {
        for _ in 0..5 {
            let started = Instant::now();
            let mut s = server.connect();
            // Head and a body start in one write: hyper reads them together, nothing is left unread.
            s.write_all(format!("{}abc", server.submit_head(declared)).as_bytes()).unwrap();
            let r = read_response(&mut s).unwrap_or_else(|| panic!("Content-Length {declared}: no answer"));
            assert_eq!(r.status, want, "Content-Length {declared}: {}", r.head);
            read_to_close(&mut s, Duration::from_secs(2));
            assert!(started.elapsed() < Duration::from_secs(1), "Content-Length {declared}: {:?}", started.elapsed());
        }
        server.assert_still_serves();
    }
    assert_fds_back(baseline, Duration::from_secs(3), "after the invalid Content-Lengths");
}

/// Uploads that declare 100000 bytes, send 3 and stall, four times as many as the old server had worker
/// threads: the API keeps answering at once, and each stalled upload gets 408 at the body timeout.
#[test]
fn stalled_uploads_hold_no_thread_and_get_408() {
    let _one = one_at_a_time();
    let server = start(|c| {
        c.max_body = 200_000;
        c.body_timeout = Duration::from_secs(3);
        c.idle_timeout = Duration::from_secs(30);
        c.max_uploads = 32;
    });
    let baseline = open_fds();
    let started = Instant::now();
    let mut stalled: Vec<TcpStream> = (0..16)
        .map(|_| {
            let mut s = server.connect();
            s.write_all(server.submit_head("100000").as_bytes()).unwrap();
            s.write_all(b"abc").unwrap();
            s
        })
        .collect();
    // While all sixteen hang, the API answers, again and again.
    std::thread::sleep(Duration::from_millis(300));
    for _ in 0..10 {
        server.assert_still_serves();
        std::thread::sleep(Duration::from_millis(50));
    }
    assert!(started.elapsed() < Duration::from_millis(2800), "the checks ran within the body timeout");
    for s in &mut stalled {
        let r = read_response(s).expect("an answer to a stalled upload");
        assert_eq!(r.status, 408, "{}", r.text());
        assert!(r.text().contains("did not arrive within 3 s"), "{}", r.text());
        read_to_close(s, Duration::from_secs(2));
    }
    let took = started.elapsed();
    assert!(took >= Duration::from_secs(3) && took < Duration::from_secs(5), "408s after {took:?}");
    server.assert_still_serves();
    drop(stalled);
    assert_fds_back(baseline, Duration::from_secs(3), "after the stalled uploads");
}

/// More uploads at once than `max_uploads`: the extra one gets 503 at once; the API still answers.
#[test]
fn uploads_beyond_the_limit_get_503_at_once() {
    let _one = one_at_a_time();
    let server = start(|c| {
        c.max_uploads = 4;
        c.body_timeout = Duration::from_secs(3);
    });
    let baseline = open_fds();
    let stalled: Vec<TcpStream> = (0..4)
        .map(|_| {
            let mut s = server.connect();
            s.write_all(server.submit_head("1000").as_bytes()).unwrap();
            s.write_all(b"abc").unwrap();
            s
        })
        .collect();
    std::thread::sleep(Duration::from_millis(300));
    let started = Instant::now();
    let mut s = server.connect();
    s.write_all(server.submit_head(&GOOD_PROOF.len().to_string()).as_bytes()).unwrap();
    s.write_all(GOOD_PROOF).unwrap();
    let r = read_response(&mut s).expect("an answer");
    assert_eq!(r.status, 503, "{}", r.text());
    assert!(r.text().contains("too many uploads"), "{}", r.text());
    assert!(started.elapsed() < Duration::from_millis(500));
    read_to_close(&mut s, Duration::from_secs(2));
    server.assert_still_serves();
    drop(stalled);
    // The stalled ones end when their client goes away; a real upload then goes through.
    std::thread::sleep(Duration::from_millis(300));
    let mut s = server.connect();
    s.write_all(server.submit_head(&GOOD_PROOF.len().to_string()).as_bytes()).unwrap();
    s.write_all(GOOD_PROOF).unwrap();
    let r = read_response(&mut s).expect("an answer");
    assert_eq!(r.status, 200, "{}", r.text());
    drop(s);
    assert_fds_back(baseline, Duration::from_secs(3), "after the uploads");
}

/// `HTTP/2.0` request lines (which the old server left open forever): 400 at once, and closed. The HTTP/2
/// preface itself: closed at once without an answer.
#[test]
fn http2_request_lines_get_400_and_the_connection_closed() {
    let _one = one_at_a_time();
    let server = start(|c| {
        c.header_timeout = Duration::from_secs(20);
        c.idle_timeout = Duration::from_secs(20);
    });
    let baseline = open_fds();
    let started = Instant::now();
    let mut held = Vec::new();
    for i in 0..30 {
        let mut s = server.connect();
        let line = match i % 3 {
            0 => format!("GET /blocks/{} HTTP/2.0\r\nHost: t\r\n\r\n", server.block),
            1 => format!("POST /submit_proof/{} HTTP/2.0\r\nContent-Length: 3\r\n\r\nabc", server.block),
            _ => "GET / HTTP/2.0\r\n\r\n".to_string(),
        };
        s.write_all(line.as_bytes()).unwrap();
        let r = read_response(&mut s).unwrap_or_else(|| panic!("{line:?}: no answer"));
        assert_eq!(r.status, 400, "{line:?}: {}", r.head);
        read_to_close(&mut s, Duration::from_secs(2));
        held.push(s);
    }
    for _ in 0..5 {
        let mut s = server.connect();
        s.write_all(b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n").unwrap();
        assert!(read_to_close(&mut s, Duration::from_secs(2)).is_empty(), "the preface gets no HTTP/1 answer");
        held.push(s);
    }
    assert!(started.elapsed() < Duration::from_secs(3), "{:?}", started.elapsed());
    // The client ends are still open here: only they may count.
    assert_fds_back(baseline + held.len(), Duration::from_secs(2), "the server's ends of the HTTP/2.0 connections");
    server.assert_still_serves();
    drop(held);
    assert_fds_back(baseline, Duration::from_secs(2), "after the HTTP/2.0 request lines");
}

/// 100 connections at once, each with two requests kept alive: all answered. Then, with a limit of 16
/// connections, 100 silent ones: 16 are held (until the header timeout closes them) and the other 84 get a
/// 503 at once, as does a normal request while the 16 are held; afterwards the server answers again.
#[test]
fn a_hundred_concurrent_connections() {
    let _one = one_at_a_time();
    let server = start(|c| c.max_connections = 256);
    let baseline = open_fds();
    let barrier = Arc::new(Barrier::new(100));
    let (addr, block) = (server.addr, server.block);
    let clients: Vec<_> = (0..100)
        .map(|_| {
            let barrier = Arc::clone(&barrier);
            std::thread::spawn(move || {
                let mut s = TcpStream::connect(addr).unwrap();
                s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
                barrier.wait();
                for _ in 0..2 {
                    s.write_all(format!("GET /blocks/{block} HTTP/1.1\r\nHost: t\r\n\r\n").as_bytes()).unwrap();
                    let r = read_response(&mut s).expect("an answer");
                    assert_eq!(r.status, 200, "{}", r.text());
                    assert!(!r.closes(), "kept alive: {}", r.head);
                }
            })
        })
        .collect();
    for c in clients {
        c.join().unwrap();
    }
    server.assert_still_serves();
    assert_fds_back(baseline, Duration::from_secs(3), "after 100 concurrent connections");
    drop(server);

    let server = start(|c| {
        c.max_connections = 16;
        c.header_timeout = Duration::from_millis(1500);
        c.idle_timeout = Duration::from_secs(20);
    });
    let baseline = open_fds();
    let started = Instant::now();
    let mut silent: Vec<TcpStream> = (0..100).map(|_| server.connect()).collect();
    // One more, with a request, while the limit is reached.
    let mut s = server.connect();
    s.write_all(format!("GET /blocks/{} HTTP/1.1\r\nHost: t\r\n\r\n", server.block).as_bytes()).unwrap();
    let r = read_response(&mut s).expect("an answer");
    assert_eq!(r.status, 503, "{}", r.text());
    assert_eq!(r.text(), "too many connections\n");
    assert!(started.elapsed() < Duration::from_secs(1), "{:?}", started.elapsed());
    read_to_close(&mut s, Duration::from_secs(2));
    let (mut refused, mut held) = (0, 0);
    for s in &mut silent {
        match read_response(s) {
            Some(r) => {
                assert_eq!(r.status, 503, "{}", r.text());
                refused += 1;
            }
            None => held += 1,
        }
    }
    assert_eq!((held, refused), (16, 84));
    let took = started.elapsed();
    assert!(
        took >= Duration::from_millis(1400) && took < Duration::from_secs(4),
        "the held ones closed after {took:?}"
    );
    server.assert_still_serves();
    drop(silent);
    drop(s);
    assert_fds_back(baseline, Duration::from_secs(3), "after the connection limit");
}

/// Connections that send nothing, an idle keep-alive, and a head trickled byte by byte: all closed by the
/// timeouts, without an answer.
#[test]
fn silent_idle_and_trickling_connections_are_closed() {
    let _one = one_at_a_time();
    let server = start(|c| {
        c.header_timeout = Duration::from_secs(1);
        c.idle_timeout = Duration::from_secs(1);
    });
    let baseline = open_fds();

    let started = Instant::now();
    let mut silent = server.connect();
    assert!(read_to_close(&mut silent, Duration::from_secs(3)).is_empty());
    let took = started.elapsed();
    assert!(took >= Duration::from_millis(900) && took < Duration::from_secs(2), "silent one closed after {took:?}");

    let mut idle = server.connect();
    idle.write_all(format!("GET /blocks/{} HTTP/1.1\r\nHost: t\r\n\r\n", server.block).as_bytes()).unwrap();
    assert_eq!(read_response(&mut idle).expect("an answer").status, 200);
    let started = Instant::now();
    assert!(read_to_close(&mut idle, Duration::from_secs(3)).is_empty());
    assert!(started.elapsed() < Duration::from_secs(2), "idle keep-alive closed after {:?}", started.elapsed());

    // Bytes keep moving, but the head never completes.
    let mut trickle = server.connect();
    trickle.write_all(b"GET /blocks/1 HTTP/1.1\r\n").unwrap();
    let started = Instant::now();
    let mut closed = false;
    for _ in 0..40 {
        std::thread::sleep(Duration::from_millis(100));
        if trickle.write_all(b"X").is_err() {
            closed = true;
            break;
        }
    }
    if !closed {
        assert!(read_to_close(&mut trickle, Duration::from_secs(1)).is_empty());
    }
    assert!(started.elapsed() < Duration::from_millis(2500), "trickled head cut after {:?}", started.elapsed());

    server.assert_still_serves();
    drop((silent, idle, trickle));
    assert_fds_back(baseline, Duration::from_secs(3), "after the idle connections");
}

/// The positive controls: what a well-behaved client gets, with the same codes and reasons as before.
#[test]
fn well_formed_requests_get_the_usual_answers() {
    let _one = one_at_a_time();
    let server = start(|_| {});
    let b = server.block;
    let ask = |request: &str, body: &[u8]| {
        let mut s = server.connect();
        s.write_all(request.as_bytes()).unwrap();
        s.write_all(body).unwrap();
        read_response(&mut s).expect("an answer")
    };
    let post = |path: &str, body: &[u8]| {
        ask(&format!("POST {path} HTTP/1.1\r\nHost: t\r\nContent-Length: {}\r\n\r\n", body.len()), body)
    };
    let get = |path: &str| ask(&format!("GET {path} HTTP/1.1\r\nHost: t\r\n\r\n"), b"");

    let r = post(&format!("/submit_proof/{b}"), b"not the proof");
    assert_eq!(
        (r.status, r.text()),
        (400, format!("proof rejected for block {b}: not a proof of block {b} (13 bytes)\n"))
    );
    assert!(r.closes());
    let r = post("/submit_proof/999", GOOD_PROOF);
    assert_eq!((r.status, r.text()), (404, "block 999 is not known to this sequencer\n".to_string()));
    let r = post("/submit_proof/abc", GOOD_PROOF);
    assert_eq!((r.status, r.text()), (400, "\"abc\" is not a block number\n".to_string()));
    assert_eq!(get("/blocks/-1").status, 400);
    assert_eq!(get("/blocks/999").status, 404);
    let r = get("/no/such/thing");
    assert_eq!((r.status, r.text()), (404, "no such endpoint: /no/such/thing\n".to_string()));
    let r = get(&format!("/submit_proof/{b}"));
    assert_eq!((r.status, r.text()), (405, format!("GET is not allowed on /submit_proof/{b}\n")));
    assert_eq!(ask(&format!("DELETE /blocks/{b} HTTP/1.1\r\nHost: t\r\n\r\n"), b"").status, 405);

    // Handed out, then nothing due.
    let r = get("/proof_generation_data");
    assert_eq!((r.status, r.text()), (200, format!("block {b}")));
    assert_eq!(get("/proof_generation_data").status, 204);

    // The accepted proof, chunked, on a connection kept alive for a second request.
    let mut s = server.connect();
    let head = format!("POST /submit_proof/{b} HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n");
    s.write_all(head.as_bytes()).unwrap();
    let (one, two) = GOOD_PROOF.split_at(10);
    for part in [one, two] {
        s.write_all(format!("{:x}\r\n", part.len()).as_bytes()).unwrap();
        s.write_all(part).unwrap();
        s.write_all(b"\r\n").unwrap();
    }
    s.write_all(b"0\r\n\r\n").unwrap();
    let r = read_response(&mut s).expect("an answer");
    assert_eq!(r.status, 200, "{}", r.text());
    let record: serde_json::Value = serde_json::from_slice(&r.body).unwrap();
    assert_eq!(record["status"], "proven", "{record}");
    assert_eq!(record["proof_blake3"].as_str(), Some(blake3::hash(GOOD_PROOF).to_hex().as_str()));
    s.write_all(format!("GET /blocks/{b} HTTP/1.1\r\nHost: t\r\n\r\n").as_bytes()).unwrap();
    let r = read_response(&mut s).expect("a second answer on the same connection");
    assert_eq!(r.status, 200, "{}", r.text());
}
