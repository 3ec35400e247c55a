//! The sequencer's HTTP API (a real server on loopback by default: HTTP/1.1 on `hyper`, async on `tokio`).
//!
//! | request                        | answer                                                                  |
//! |--------------------------------|-------------------------------------------------------------------------|
//! | `GET /proof_generation_data`   | 200 + a block-input artifact (header, transactions, Merkle witnesses), `Frispool-Format-Version: 1`; 204 (no body) when none is due |
//! | `POST /submit_proof/{block}`   | 200 + the block's record when the proof verifies; 400 + reason when not; 404 unknown block; 413 too large; 408 body too slow; 503 too many uploads at once |
//! | `GET /blocks/{n}`              | 200 + the block's status record (JSON); 400 not a block number; 404 unknown |
//! | `GET /openapi.json`            | 200 + the OpenAPI document of this API (`stages/sequencer/openapi.json`) |
//!
//! The machine-readable twin of this table is `api::ENDPOINTS` (the router matches requests with it) and a
//! unit test holds it and `openapi.json` to each other. Any other path gets 404; a listed path with another
//! method 405 with `Allow`. Errors are one line of text (`text/plain; charset=utf-8`). A bad request never
//! takes the server down.
//!
//! Hostile clients, and what they get:
//! - A declared `Content-Length` above [`ServerConfig::max_body`]: 413 at once, before anything is allocated
//!   or read; the connection is closed (after discarding up to [`DRAIN_LIMIT`] bytes within the body timeout,
//!   so that a client that writes its whole body before it reads sees the 413 and not a reset). A chunked body
//!   is counted while it is read and cut off at the limit the same way.
//! - A `Content-Length` that is no number, negative, beyond `u64`, or two that disagree: hyper answers 400;
//!   one within `u64` but beyond hyper's own maximum (2^64 − 2 and up): hyper answers 431. Request lines of
//!   another HTTP version (`HTTP/2.0`), bad methods, URIs and header lines: 400; headers over 64 KiB: 431.
//!   hyper closes the connection after each of these (its answers carry no reason text).
//! - Request head slower than [`ServerConfig::header_timeout`] (counted from when the server starts waiting
//!   for it, so it also bounds an idle keep-alive connection): closed without an answer.
//! - A body that has not fully arrived [`ServerConfig::body_timeout`] after its head: 408, closed.
//! - No byte moving either way for [`ServerConfig::idle_timeout`] while no request is being handled (a client
//!   that stopped reading its answer, an idle keep-alive): closed.
//! - More than [`ServerConfig::max_connections`] open connections: the new one gets a canned 503 and is
//!   closed; the accept loop never waits for a slot.
//! - More than [`ServerConfig::max_uploads`] request bodies being received or checked at once: 503 at once.
//!
//! Every 4xx/5xx answer closes its connection. No thread is held by a client: connections are tasks on two
//! reactor threads; the store and the proof check (blocking: filesystem, CPU) run on tokio's blocking pool,
//! at most [`ServerConfig::threads`] proof checks at a time.

use std::convert::Infallible;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use hyper::service::service_fn;
use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt, ReadBuf};
use tokio::net::TcpStream;
use tokio::sync::{watch, OwnedSemaphorePermit, Semaphore};

use crate::routes::handle;
use crate::store::Store;
use crate::ProofCheck;

/// Encodes a block for `GET /proof_generation_data` (the binary passes the spool's artifact encoding).
pub type BlockEncoder = Box<dyn Fn(&frispool_rollup::BlockWitness) -> Result<Vec<u8>, String> + Send + Sync>;

pub struct ServerConfig {
    pub addr: SocketAddr,
    /// A handed-out block that is still unproven after this long is handed out again.
    pub handout_timeout_ms: u64,
    /// Largest accepted request body.
    pub max_body: usize,
    /// Proof checks run at once (on tokio's blocking pool, which gets this many threads plus a few for the
    /// store).
    pub threads: usize,
    /// Open connections served at once; one more gets 503 and is closed.
    pub max_connections: usize,
    /// Request bodies received or checked at once (each may hold up to `max_body` bytes); one more gets 503.
    pub max_uploads: usize,
    /// The whole request head must arrive within this, counted from when the server waits for it.
    pub header_timeout: Duration,
    /// The whole request body must arrive within this, counted from its head.
    pub body_timeout: Duration,
    /// A connection with no request in hand and no byte moving either way for this long is closed.
    pub idle_timeout: Duration,
}

impl ServerConfig {
    pub const DEFAULT_MAX_BODY: usize = 16 << 20;
    pub const DEFAULT_THREADS: usize = 4;
    pub const DEFAULT_MAX_CONNECTIONS: usize = 256;
    pub const DEFAULT_MAX_UPLOADS: usize = 16;
    pub const DEFAULT_HEADER_TIMEOUT: Duration = Duration::from_secs(10);
    pub const DEFAULT_BODY_TIMEOUT: Duration = Duration::from_secs(30);
    pub const DEFAULT_IDLE_TIMEOUT: Duration = Duration::from_secs(30);

    /// A configuration with the defaults above and a 600 s hand-out timeout.
    pub fn new(addr: SocketAddr) -> ServerConfig {
        ServerConfig {
            addr,
            handout_timeout_ms: 600_000,
            max_body: Self::DEFAULT_MAX_BODY,
            threads: Self::DEFAULT_THREADS,
            max_connections: Self::DEFAULT_MAX_CONNECTIONS,
            max_uploads: Self::DEFAULT_MAX_UPLOADS,
            header_timeout: Self::DEFAULT_HEADER_TIMEOUT,
            body_timeout: Self::DEFAULT_BODY_TIMEOUT,
            idle_timeout: Self::DEFAULT_IDLE_TIMEOUT,
        }
    }
}

/// The most of a refused body read and discarded (within the body timeout) so that its sender still gets
/// the answer; a body declared larger than this is not read at all and its connection is closed at once.
pub const DRAIN_LIMIT: u64 = 256 << 20;

/// Largest request head (request line and headers); hyper answers 431 beyond it.
const MAX_HEAD: usize = 64 << 10;
/// How long a stopping server waits for its open connections to finish.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(2);
/// Connections beyond the limit that are being told 503 at once; beyond these they are dropped unanswered.
const MAX_REFUSING: usize = 256;

/// What every request's handler shares.
pub(crate) struct Shared {
    pub(crate) store: Mutex<Store>,
    pub(crate) check: ProofCheck,
    pub(crate) encode: BlockEncoder,
    pub(crate) handout_timeout_ms: u64,
    pub(crate) max_body: usize,
    pub(crate) body_timeout: Duration,
    pub(crate) uploads: Arc<Semaphore>,
    pub(crate) checks: Arc<Semaphore>,
}

pub struct ServerHandle {
    addr: SocketAddr,
    stop: watch::Sender<bool>,
    thread: JoinHandle<()>,
}

impl ServerHandle {
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Stops accepting connections, lets open ones finish (a short grace), and waits for the server thread.
    pub fn shutdown(self) {
        let _ = self.stop.send(true);
        let _ = self.thread.join();
    }

    /// Blocks until the server stops (it stops only on [`ServerHandle::shutdown`]).
    pub fn join(self) {
        let _ = self.thread.join();
    }
}

pub fn serve(
    store: Store,
    check: ProofCheck,
    encode: BlockEncoder,
    config: ServerConfig,
) -> std::io::Result<ServerHandle> {
    let threads = config.threads.max(1);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .max_blocking_threads(threads + 4)
        .thread_name("sequencer-http")
        .enable_io()
        .enable_time()
        .build()?;
    let listener = std::net::TcpListener::bind(config.addr)?;
    listener.set_nonblocking(true)?;
    let addr = listener.local_addr()?;
    let listener = {
        let _guard = runtime.enter();
        tokio::net::TcpListener::from_std(listener)?
    };
    let shared = Arc::new(Shared {
        store: Mutex::new(store),
        check,
        encode,
        handout_timeout_ms: config.handout_timeout_ms,
        max_body: config.max_body,
        body_timeout: config.body_timeout,
        uploads: Arc::new(Semaphore::new(config.max_uploads.max(1))),
        checks: Arc::new(Semaphore::new(threads)),
    });
    let mut http = hyper::server::conn::http1::Builder::new();
    http.timer(TokioTimer::new())
        .header_read_timeout(config.header_timeout)
        .keep_alive(true)
        .half_close(false)
        .max_buf_size(MAX_HEAD)
        .max_headers(64);
    let limits = Limits { http, idle_timeout: config.idle_timeout, max_connections: config.max_connections.max(1) };
    let (stop, stop_rx) = watch::channel(false);
    let thread = std::thread::Builder::new().name("sequencer-http".into()).spawn(move || {
        runtime.block_on(accept_loop(listener, shared, limits, stop_rx));
        runtime.shutdown_timeout(Duration::from_secs(1));
    })?;
    Ok(ServerHandle { addr, stop, thread })
}

struct Limits {
    http: hyper::server::conn::http1::Builder,
    idle_timeout: Duration,
    max_connections: usize,
}

/// Resolves once the handle asks the server to stop (never, if the handle is dropped without asking).
async fn stopped(mut stop: watch::Receiver<bool>) {
    loop {
        if *stop.borrow_and_update() {
            return;
        }
        if stop.changed().await.is_err() {
            std::future::pending::<()>().await;
        }
    }
}

async fn accept_loop(
    listener: tokio::net::TcpListener,
    shared: Arc<Shared>,
    limits: Limits,
    stop: watch::Receiver<bool>,
) {
    let limits = Arc::new(limits);
    let slots = Arc::new(Semaphore::new(limits.max_connections));
    let refusing = Arc::new(Semaphore::new(MAX_REFUSING));
    let mut last_error_report: Option<Instant> = None;
    loop {
        let accepted = tokio::select! {
            a = listener.accept() => a,
            _ = stopped(stop.clone()) => break,
        };
        match accepted {
            Ok((stream, _peer)) => {
                let _ = stream.set_nodelay(true);
                match Arc::clone(&slots).try_acquire_owned() {
                    Ok(slot) => {
                        tokio::spawn(connection(stream, Arc::clone(&shared), Arc::clone(&limits), slot, stop.clone()));
                    }
                    Err(_) => {
                        if let Ok(permit) = Arc::clone(&refusing).try_acquire_owned() {
                            tokio::spawn(refuse(stream, permit));
                        }
                    }
                }
            }
            Err(e) => {
                // Out of descriptors, or a connection reset before it was accepted: never fatal. Say so
                // at most once a second, and give the open connections a moment to finish.
                if last_error_report.is_none_or(|t| t.elapsed() >= Duration::from_secs(1)) {
                    eprintln!("frispool-sequencer: accept failed: {e}");
                    last_error_report = Some(Instant::now());
                }
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
        }
    }
    drop(listener);
    // Connections saw the same stop signal and are winding down; wait a little for them.
    let _ = tokio::time::timeout(
        SHUTDOWN_GRACE + Duration::from_millis(500),
        slots.acquire_many(limits.max_connections as u32),
    )
    .await;
}

/// A connection beyond the limit: a canned 503, then close. Whatever the client sent is read and discarded
/// for a moment first, so that the close does not turn into a reset that destroys the answer in flight.
async fn refuse(mut stream: TcpStream, _permit: OwnedSemaphorePermit) {
    const BUSY: &[u8] = b"HTTP/1.1 503 Service Unavailable\r\ncontent-type: text/plain; charset=utf-8\r\n\
connection: close\r\ncontent-length: 21\r\n\r\ntoo many connections\n";
    let sent = tokio::time::timeout(Duration::from_secs(1), async {
        stream.write_all(BUSY).await?;
        stream.shutdown().await
    })
    .await;
    if !matches!(sent, Ok(Ok(()))) {
        return;
    }
    let _ = tokio::time::timeout(Duration::from_millis(250), async {
        let mut buf = [0u8; 4096];
        let mut read = 0usize;
        while read < (64 << 10) {
            match stream.read(&mut buf).await? {
                0 => break,
                n => read += n,
            }
        }
        Ok::<(), std::io::Error>(())
    })
    .await;
}

/// When bytes last moved on a connection, and whether a request is being handled on it.
struct Activity {
    start: Instant,
    last_ms: AtomicU64,
    busy: AtomicUsize,
}

impl Activity {
    fn new() -> Activity {
        Activity { start: Instant::now(), last_ms: AtomicU64::new(0), busy: AtomicUsize::new(0) }
    }
    fn now_ms(&self) -> u64 {
        self.start.elapsed().as_millis() as u64
    }
    fn touch(&self) {
        self.last_ms.store(self.now_ms(), Ordering::Relaxed);
    }
    fn busy(self: &Arc<Self>) -> BusyGuard {
        self.busy.fetch_add(1, Ordering::SeqCst);
        BusyGuard(Arc::clone(self))
    }
    /// Resolves when the connection has been idle (no request in hand, no byte moved) for `limit`.
    async fn idle_for(&self, limit: Duration) {
        let limit_ms = limit.as_millis() as u64;
        loop {
            let wait = if self.busy.load(Ordering::SeqCst) > 0 {
                limit_ms
            } else {
                let idle = self.now_ms().saturating_sub(self.last_ms.load(Ordering::Relaxed));
                if idle >= limit_ms {
                    return;
                }
                limit_ms - idle
            };
            tokio::time::sleep(Duration::from_millis(wait.max(10))).await;
        }
    }
}

/// A request being handled; the idle clock starts again when it is dropped.
pub(crate) struct BusyGuard(Arc<Activity>);

impl Drop for BusyGuard {
    fn drop(&mut self) {
        self.0.touch();
        self.0.busy.fetch_sub(1, Ordering::SeqCst);
    }
}

/// A TCP stream that records when bytes last moved.
struct Watched {
    inner: TcpStream,
    activity: Arc<Activity>,
}

impl AsyncRead for Watched {
    fn poll_read(mut self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &mut ReadBuf<'_>) -> Poll<std::io::Result<()>> {
        let before = buf.filled().len();
        let poll = Pin::new(&mut self.inner).poll_read(cx, buf);
        if buf.filled().len() > before {
            self.activity.touch();
        }
        poll
    }
}

impl AsyncWrite for Watched {
    fn poll_write(mut self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &[u8]) -> Poll<std::io::Result<usize>> {
        let poll = Pin::new(&mut self.inner).poll_write(cx, buf);
        if matches!(poll, Poll::Ready(Ok(n)) if n > 0) {
            self.activity.touch();
        }
        poll
    }
    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[std::io::IoSlice<'_>],
    ) -> Poll<std::io::Result<usize>> {
        let poll = Pin::new(&mut self.inner).poll_write_vectored(cx, bufs);
        if matches!(poll, Poll::Ready(Ok(n)) if n > 0) {
            self.activity.touch();
        }
        poll
    }
    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }
    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.inner).poll_flush(cx)
    }
    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }
}

async fn connection(
    stream: TcpStream,
    shared: Arc<Shared>,
    limits: Arc<Limits>,
    _slot: OwnedSemaphorePermit,
    stop: watch::Receiver<bool>,
) {
    let activity = Arc::new(Activity::new());
    let io = TokioIo::new(Watched { inner: stream, activity: Arc::clone(&activity) });
    let service = {
        let activity = Arc::clone(&activity);
        service_fn(move |request| {
            let shared = Arc::clone(&shared);
            let busy = activity.busy();
            async move { Ok::<_, Infallible>(handle(shared, request, busy).await) }
        })
    };
    let conn = limits.http.serve_connection(io, service);
    tokio::pin!(conn);
    tokio::select! {
        // Errors here are the client's (reset, parse error already answered, header timeout): nothing to do.
        _ = conn.as_mut() => return,
        _ = activity.idle_for(limits.idle_timeout) => return,
        _ = stopped(stop) => {}
    }
    conn.as_mut().graceful_shutdown();
    let _ = tokio::time::timeout(SHUTDOWN_GRACE, conn).await;
}
