//! The witness-vector generator's proving backend (`frispool-wvg`): it computes every wire value of a proof
//! here, on the CPU, and streams the vector to a GPU prover that announced itself in the spool, then checks
//! the proof that comes back under the circuit's own verifier data before the job saves it.
//!
//! The generator keeps the job from claim to saved proof, so the spool protocol is the prover's; only the
//! middle of the proof runs elsewhere. A prover that cannot be reached or fails is skipped for this vector
//! and the next live one is tried; when none is live the generator waits (the job's lease stays fresh)
//! until one announces itself or `wait` passes, and then gives the job back for a retry.

use std::collections::HashSet;
use std::io::{BufReader, BufWriter};
use std::net::{SocketAddr, TcpStream};
use std::time::{Duration, Instant};

use frispool_core::{BackendError, Proof, ProvingBackend, WitnessVector, C, D, F};
use frispool_spool::Spool;
use plonky2::plonk::circuit_data::{
    CommonCircuitData, ProverOnlyCircuitData, VerifierCircuitData, VerifierOnlyCircuitData,
};
use plonky2::plonk::proof::ProofWithPublicInputs;
use thiserror::Error;

use super::announce::live_provers;
use super::frame::{self, Status};

/// No prover could take a vector: the job is not at fault, so it goes back to the queue for a retry
/// (the prover stage tells this error from a refusal).
#[derive(Debug, Error)]
#[error("{job}: no GPU prover took the witness vector within {waited:?}{}", last.as_ref().map(|l| format!(" (last: {l})")).unwrap_or_default())]
pub struct NoProver {
    pub job: String,
    pub waited: Duration,
    pub last: Option<String>,
}

/// A prover refused the vector (it does not fit the circuit, or its witness is inconsistent): the job is bad.
#[derive(Debug, Error)]
#[error("{job}: {reason}")]
pub struct VectorRefused {
    pub job: String,
    pub reason: String,
}

/// Where vectors go: announced provers of `protocol`, or fixed addresses.
pub struct RemoteProver {
    spool: Spool,
    protocol: String,
    fixed: Vec<SocketAddr>,
    /// An announcement older than this is ignored.
    pub stale: Duration,
    /// How long to wait for a live prover before giving the job back.
    pub wait: Duration,
    /// How long one prover may take for one vector (queueing behind its slots included).
    pub answer_timeout: Duration,
}

impl RemoteProver {
    pub fn new(spool: Spool, protocol: &str, fixed: Vec<SocketAddr>) -> RemoteProver {
        RemoteProver {
            spool,
            protocol: protocol.to_string(),
            fixed,
            stale: Duration::from_secs(10),
            wait: Duration::from_secs(300),
            answer_timeout: Duration::from_secs(600),
        }
    }

    fn candidates(&self) -> Vec<SocketAddr> {
        if !self.fixed.is_empty() {
            return self.fixed.clone();
        }
        match live_provers(&self.spool, &self.protocol, self.stale) {
            Ok(live) => live.into_iter().map(|a| a.addr).collect(),
            Err(e) => {
                eprintln!("frispool-wvg: reading the prover announcements failed: {e}");
                Vec::new()
            }
        }
    }

    /// Sends `vector` to one prover after another until one answers with a proof.
    fn send(
        &self,
        job: &str,
        vector: &[u8],
        prover: &ProverOnlyCircuitData<F, C, D>,
        common: &CommonCircuitData<F, D>,
    ) -> Result<Proof, BackendError> {
        let started = Instant::now();
        let mut last = None;
        let mut failed: HashSet<SocketAddr> = HashSet::new();
        loop {
            let fresh: Vec<SocketAddr> = self.candidates().into_iter().filter(|a| !failed.contains(a)).collect();
            // Spread generators over provers: each starts at its own offset in the list.
            let offset = (std::process::id() as usize).checked_rem(fresh.len()).unwrap_or(0);
            for addr in fresh.iter().cycle().skip(offset).take(fresh.len()) {
                match self.exchange(*addr, job, vector) {
                    Ok((Status::Proof, bytes)) => match check(bytes, prover, common) {
                        Ok(proof) => return Ok(proof),
                        // A prover whose proofs do not verify is broken (a faulty device): never trust it
                        // again for this vector, and say so loudly.
                        Err(why) => {
                            eprintln!("frispool-wvg: {job}: prover {addr} answered with {why}; trying another");
                            last = Some(format!("{addr}: {why}"));
                        }
                    },
                    Ok((Status::Refused, text)) => {
                        return Err(Box::new(VectorRefused {
                            job: job.to_string(),
                            reason: format!("prover {addr} refused: {}", String::from_utf8_lossy(&text)),
                        }))
                    }
                    Ok((Status::Failed, text)) => last = Some(format!("{addr}: {}", String::from_utf8_lossy(&text))),
                    Err(e) => last = Some(format!("{addr}: {e}")),
                }
                failed.insert(*addr);
            }
            if started.elapsed() >= self.wait {
                return Err(Box::new(NoProver { job: job.to_string(), waited: started.elapsed(), last }));
            }
            // A prover that failed once may be back after a restart: forget failures now and then.
            if fresh.is_empty() {
                failed.clear();
            }
            std::thread::sleep(Duration::from_millis(500));
        }
    }

    fn exchange(&self, addr: SocketAddr, job: &str, vector: &[u8]) -> std::io::Result<(Status, Vec<u8>)> {
        let conn = TcpStream::connect_timeout(&addr, Duration::from_secs(5))?;
        conn.set_nodelay(true)?;
        conn.set_write_timeout(Some(Duration::from_secs(60)))?;
        conn.set_read_timeout(Some(self.answer_timeout))?;
        frame::write_request(&mut BufWriter::with_capacity(1 << 20, &conn), job, vector)?;
        frame::read_answer(&mut BufReader::new(&conn))
    }
}

/// The proof a prover sent, decoded and verified under the circuit's own data (its constants/sigmas cap
/// and digest come from the prover data this generator loaded, never from the answer).
fn check(
    bytes: Vec<u8>,
    prover: &ProverOnlyCircuitData<F, C, D>,
    common: &CommonCircuitData<F, D>,
) -> Result<Proof, String> {
    let proof = ProofWithPublicInputs::<F, C, D>::from_bytes(bytes, common)
        .map_err(|e| format!("an answer that is not a proof ({e})"))?;
    let verifier = VerifierCircuitData::<F, C, D> {
        verifier_only: VerifierOnlyCircuitData {
            constants_sigmas_cap: prover.constants_sigmas_commitment.merkle_tree.cap.clone(),
            circuit_digest: prover.circuit_digest,
        },
        common: common.clone(),
    };
    verifier.verify(proof.clone()).map_err(|e| format!("a proof that does not verify ({e})"))?;
    Ok(proof)
}

impl ProvingBackend for RemoteProver {
    fn name(&self) -> &'static str {
        "wvg"
    }

    fn prove_vector(
        &self,
        prover: &ProverOnlyCircuitData<F, C, D>,
        common: &CommonCircuitData<F, D>,
        vector: &WitnessVector,
    ) -> Result<Proof, BackendError> {
        vector.check_circuit(prover, common)?;
        let job = frispool_core::current_job().unwrap_or_else(|| "unnamed job".into());
        self.send(&job, &vector.encode(), prover, common)
    }
}
