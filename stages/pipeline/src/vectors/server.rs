//! The GPU prover's side of the witness-vector stream (`frispool-prover --serve-vectors ADDR`): it announces
//! itself in the spool, takes one vector per connection, proves it on its backend with the prover data of
//! the circuit the vector names, and answers with the proof. `--vector-slots N` vectors are proven at once,
//! so one proof's host work overlaps another's device work; more connections wait in the listen backlog.
//!
//! The server owns no job: the generator that sent a vector holds the job's lease and saves the proof. A
//! server that dies mid-proof costs the generator one retry on another prover, nothing in the spool.

use std::collections::HashMap;
use std::io::{self, BufReader, BufWriter};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{mpsc, Arc, Mutex};
use std::time::{Duration, Instant};

use frispool_circuits::ProtocolKeys;
use frispool_core::{ProveError, SharedBackend, WitnessVector, C, D, F};
use frispool_spool::{error_chain, Spool};
use plonky2::plonk::circuit_data::CircuitData;

use super::announce::{self, Announcement};
use super::frame::{self, Status};

/// How a server runs.
#[derive(Clone, Debug)]
pub struct ServeOptions {
    pub listen: SocketAddr,
    /// Vectors proven at once.
    pub slots: usize,
    /// Seconds between announcement heartbeats.
    pub heartbeat: Duration,
    /// Stop after this many vectors (tests, benchmarks).
    pub max_vectors: Option<u64>,
    pub verbose: bool,
}

/// What a server did, for its exit line.
#[derive(Clone, Debug, Default)]
pub struct ServeReport {
    pub proven: u64,
    pub refused: u64,
    pub failed: u64,
    pub wall: Duration,
    /// Sum over vectors of the time from a whole request read to its proof.
    pub proving: Duration,
    /// Time the device was held, when the backend has one.
    pub device_busy: Option<Duration>,
}

impl ServeReport {
    pub fn log(&self) {
        let busy = match self.device_busy {
            Some(d) => format!(
                ", device busy {:.1} s ({:.0} % of wall)",
                d.as_secs_f64(),
                100.0 * d.as_secs_f64() / self.wall.as_secs_f64().max(1e-9)
            ),
            None => String::new(),
        };
        eprintln!(
            "frispool-prover: served {} witness vectors ({} refused, {} failed) in {:.1} s; proving {:.1} s{busy}",
            self.proven,
            self.refused,
            self.failed,
            self.wall.as_secs_f64(),
            self.proving.as_secs_f64()
        );
    }
}

/// The circuits a server proves, by digest.
struct Circuits<'k> {
    by_digest: HashMap<[u64; 4], (String, &'k CircuitData<F, C, D>)>,
}

impl<'k> Circuits<'k> {
    fn of(keys: &'k ProtocolKeys) -> Self {
        let by_digest = keys
            .circuits()
            .into_iter()
            .map(|(name, data)| (digest_words(&data.prover_only.circuit_digest), (name, data)))
            .collect();
        Circuits { by_digest }
    }
}

fn digest_words(h: &plonky2::hash::hash_types::HashOut<F>) -> [u64; 4] {
    use plonky2::field::types::PrimeField64;
    h.elements.map(|e| e.to_canonical_u64())
}

struct Counters {
    proven: AtomicU64,
    refused: AtomicU64,
    failed: AtomicU64,
    proving_ns: AtomicU64,
}

/// Serves until SIGTERM / SIGINT or `max_vectors`; the announcement is removed on the way out.
pub fn serve(
    spool: &Spool,
    keys: &ProtocolKeys,
    backend: SharedBackend,
    device: usize,
    opts: &ServeOptions,
) -> io::Result<ServeReport> {
    let started = Instant::now();
    let listener = TcpListener::bind(opts.listen)?;
    listener.set_nonblocking(true)?;
    let addr = advertised(listener.local_addr()?);
    let me = Announcement {
        addr,
        host: hostname(),
        pid: std::process::id(),
        backend: backend.name().to_string(),
        device,
        slots: opts.slots.max(1),
        protocol: keys.version().to_string(),
    };
    let path = announce::announce(spool, &me)?;
    eprintln!(
        "frispool-prover: serving witness vectors of protocol {} on {addr} ({} backend, {} slots); announced in {}",
        me.protocol,
        me.backend,
        me.slots,
        path.display()
    );
    let stop = Arc::new(AtomicBool::new(false));
    for sig in [signal_hook::consts::SIGTERM, signal_hook::consts::SIGINT] {
        signal_hook::flag::register(sig, stop.clone())?;
    }
    let circuits = Circuits::of(keys);
    let counters = Counters {
        proven: AtomicU64::new(0),
        refused: AtomicU64::new(0),
        failed: AtomicU64::new(0),
        proving_ns: AtomicU64::new(0),
    };
    let taken = AtomicU64::new(0);
    let (tx, rx) = mpsc::sync_channel::<TcpStream>(0);
    let rx = Mutex::new(rx);
    let serving = AtomicBool::new(true);
    std::thread::scope(|s| {
        for _ in 0..me.slots {
            s.spawn(|| loop {
                let next = rx.lock().unwrap_or_else(|p| p.into_inner()).recv();
                let Ok(conn) = next else { return };
                handle(conn, &circuits, &*backend, &counters, opts.verbose);
            });
        }
        // Its own thread: the accept loop below blocks while every slot is busy, and a prover busy for longer
        // than the generators' staleness limit must still look alive.
        s.spawn(|| {
            let mut last_beat = Instant::now();
            while serving.load(Ordering::Relaxed) {
                if last_beat.elapsed() >= opts.heartbeat {
                    if let Err(e) = announce::heartbeat(spool, &me) {
                        eprintln!("frispool-prover: heartbeat of {} failed: {e}", path.display());
                    }
                    last_beat = Instant::now();
                }
                std::thread::sleep(Duration::from_millis(50));
            }
            // Out of the announcements first, so no generator picks a server that is leaving.
            let _ = std::fs::remove_file(&path);
        });
        while !stop.load(Ordering::Relaxed) && opts.max_vectors.is_none_or(|m| taken.load(Ordering::Relaxed) < m) {
            match listener.accept() {
                Ok((conn, _)) => {
                    taken.fetch_add(1, Ordering::Relaxed);
                    // Blocks while every slot is busy: the next connection waits in the backlog.
                    let _ = conn.set_nonblocking(false);
                    if tx.send(conn).is_err() {
                        break;
                    }
                }
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => std::thread::sleep(Duration::from_millis(5)),
                Err(e) => eprintln!("frispool-prover: accept on {addr}: {e}"),
            }
        }
        serving.store(false, Ordering::Relaxed);
        drop(tx);
    });
    Ok(ServeReport {
        proven: counters.proven.into_inner(),
        refused: counters.refused.into_inner(),
        failed: counters.failed.into_inner(),
        wall: started.elapsed(),
        proving: Duration::from_nanos(counters.proving_ns.into_inner()),
        device_busy: backend.device_busy(),
    })
}

fn handle(
    conn: TcpStream,
    circuits: &Circuits<'_>,
    backend: &dyn frispool_core::ProvingBackend,
    counters: &Counters,
    verbose: bool,
) {
    let peer = conn.peer_addr().map(|a| a.to_string()).unwrap_or_else(|_| "?".into());
    let _ = conn.set_read_timeout(Some(Duration::from_secs(60)));
    let _ = conn.set_write_timeout(Some(Duration::from_secs(60)));
    let Ok(read_half) = conn.try_clone() else { return };
    let (job, bytes) = match frame::read_request(&mut BufReader::new(read_half)) {
        Ok(r) => r,
        Err(e) => {
            counters.refused.fetch_add(1, Ordering::Relaxed);
            eprintln!("frispool-prover: request from {peer} refused: {e}");
            let _ = frame::write_answer(&mut BufWriter::new(&conn), Status::Refused, e.to_string().as_bytes());
            return;
        }
    };
    let started = Instant::now();
    let (status, payload) = prove(&job, &bytes, circuits, backend);
    drop(bytes);
    let took = started.elapsed();
    counters.proving_ns.fetch_add(took.as_nanos() as u64, Ordering::Relaxed);
    let counter = match status {
        Status::Proof => &counters.proven,
        Status::Refused => &counters.refused,
        Status::Failed => &counters.failed,
    };
    counter.fetch_add(1, Ordering::Relaxed);
    if status != Status::Proof {
        eprintln!("frispool-prover: {job} from {peer}: {status:?}: {}", String::from_utf8_lossy(&payload));
    } else if verbose {
        eprintln!("frispool-prover: {job} from {peer}: proven in {:.0} ms", took.as_secs_f64() * 1e3);
    }
    if let Err(e) = frame::write_answer(&mut BufWriter::new(&conn), status, &payload) {
        eprintln!("frispool-prover: {job}: answering {peer} failed: {e}");
    }
}

fn prove(
    job: &str,
    bytes: &[u8],
    circuits: &Circuits<'_>,
    backend: &dyn frispool_core::ProvingBackend,
) -> (Status, Vec<u8>) {
    let refuse = |what: String| (Status::Refused, format!("{job}: {what}").into_bytes());
    let vector = match WitnessVector::decode(bytes) {
        Ok(v) => v,
        Err(e) => return refuse(format!("witness vector refused: {e}")),
    };
    let Some((name, data)) = circuits.by_digest.get(&digest_words(&vector.circuit_digest)) else {
        return refuse(format!(
            "no circuit of this prover's protocol has digest {}",
            vector.circuit_digest.elements.iter().map(|e| format!("{e}")).collect::<Vec<_>>().join(",")
        ));
    };
    if let Err(e) = vector.check_circuit(&data.prover_only, &data.common) {
        return refuse(format!("witness vector refused for {name}: {e}"));
    }
    let proved = catch_unwind(AssertUnwindSafe(|| backend.prove_vector(&data.prover_only, &data.common, &vector)));
    match proved {
        Ok(Ok(proof)) => (Status::Proof, proof.to_bytes()),
        Ok(Err(e)) => {
            let e = ProveError::Backend(e);
            (Status::Failed, format!("{job}: proving {name} failed: {}", error_chain(&e)).into_bytes())
        }
        Err(panic) => {
            let e = ProveError::from_panic(panic);
            (Status::Refused, format!("{job}: proving {name} failed: {e}").into_bytes())
        }
    }
}

/// The address generators connect to: the bound one, or for a wildcard bind (0.0.0.0, ::) this host's
/// address as its name resolves (other hosts cannot connect to a wildcard).
fn advertised(bound: SocketAddr) -> SocketAddr {
    use std::net::ToSocketAddrs;
    if !bound.ip().is_unspecified() {
        return bound;
    }
    (hostname().as_str(), bound.port())
        .to_socket_addrs()
        .ok()
        .and_then(|mut addrs| addrs.find(|a| a.is_ipv4() == bound.is_ipv4() && !a.ip().is_loopback()))
        .unwrap_or(bound)
}

fn hostname() -> String {
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .map(|h| h.trim().to_string())
        .ok()
        .filter(|h| !h.is_empty())
        .unwrap_or_else(|| "localhost".into())
}
