//! The API the stages call: wire types that travel in spool artifacts, and one function per step —
//! execute a block into basic witnesses, prove any witness, bundle inner proofs into an aggregation
//! witness, compress, verify. Every value here is plain data (serde), so a stage moves it between
//! artifacts without knowing plonky2.

use std::panic::{catch_unwind, AssertUnwindSafe};

use frispool_aggregation::{plan_block, AggError, BlockPlan, ProofId};
use frispool_core::{layout, CircuitType, Proof, C, D, F};
use frispool_rollup::{execute_block, BlockHeader, BlockWitness, ExecuteError};
use plonky2::field::types::{Field, PrimeField64};
use plonky2::plonk::circuit_data::{CommonCircuitData, VerifierCircuitData};
use plonky2::plonk::proof::{CompressedProofWithPublicInputs, ProofWithPublicInputs};
use serde::{Deserialize, Serialize};
use thiserror::Error;

use crate::error::{BoxError, CircuitError};
use crate::keys::{self, ProtocolKeys};
use crate::registry::Registry;

/// Version of the wire types below; a reader refuses another. Format 2 dropped the proving times
/// (`prove_ms`, `compress_ms`): a proof artifact is a function of its witness alone, so two runs over the same
/// blocks write the same bytes; how long a job took is in its job record (`frispool status`, the metrics).
/// Format 3: a basic witness is a circuit type's name and an opaque payload of that type's witness
/// (`WitnessWire::Basic`), where format 2 had `main`'s witness itself. Format 4: `main`'s chained state has a
/// fourth hash (`ChainState::sig_hash`, `layout::STATE_LEN` 16), and `sig` witnesses exist.
pub const WIRE_FORMAT: u32 = 4;

/// Why a step of the API refused. plonky2's decoding and verifying errors are text with no chain of their
/// own, so they travel as `reason`; everything else keeps its source.
#[derive(Debug, Error)]
pub enum ApiError {
    #[error("block {block}: cutting it into instances failed")]
    Instances {
        block: u64,
        #[source]
        source: CircuitError,
    },
    #[error("block {block} does not re-execute")]
    Execute {
        block: u64,
        #[source]
        source: ExecuteError,
    },
    #[error("{what} is for protocol {found}, these keys are protocol {expected}")]
    Protocol { what: String, found: String, expected: String },
    #[error("{what} has wire format {found}, this build reads format {WIRE_FORMAT}")]
    Format { what: String, found: u32 },
    #[error("{0}")]
    Shape(String),
    #[error("plan of block {block}")]
    Plan {
        block: u64,
        #[source]
        source: AggError,
    },
    #[error("the final verifier key")]
    Key(#[source] CircuitError),
    #[error("proof of {circuit} does not decode: {reason}")]
    Decode { circuit: String, reason: String },
    #[error("proving {circuit} failed")]
    Prove {
        circuit: String,
        #[source]
        source: BoxError,
    },
    #[error("proof of {circuit} rejected: {reason}")]
    Rejected { circuit: String, reason: String },
}

/// A proof of any round, as stored in a proof artifact.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProofWire {
    pub format: u32,
    pub protocol: String,
    /// The circuit that proved it: a basic type's name (`main`), `leaf-<type>`, `node`, `tip`, `scheduler`.
    pub circuit: String,
    pub block: u64,
    /// The public inputs, also inside `proof`; here for `frispool inspect`.
    pub public_inputs: Vec<u64>,
    /// plonky2's own proof encoding.
    pub proof: Vec<u8>,
}

/// One instance of a basic circuit type: which type, where in the block, and the type's own witness,
/// encoded by the registry (only the type's circuit reads it).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct BasicWitnessWire {
    pub circuit_type: String,
    pub block: u64,
    pub instance: u64,
    pub payload: Vec<u8>,
}

/// What one prove job proves: everything it needs is in here.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum WitnessWire {
    Basic(BasicWitnessWire),
    /// Consecutive basic proofs of one type.
    Leaf {
        circuit_type: String,
        inputs: Vec<ProofWire>,
    },
    /// Consecutive leaf or node proofs of one type.
    Node {
        circuit_type: String,
        inputs: Vec<ProofWire>,
    },
    /// The top proof of every type, in the tip's slot order.
    Tip {
        inputs: Vec<ProofWire>,
    },
    Scheduler {
        input: ProofWire,
    },
}

impl WitnessWire {
    /// The witness of aggregation proof `id` over its inputs, in the plan's order (the witness rounds, and
    /// whoever drives the rounds without a spool).
    pub fn aggregation(id: ProofId, inputs: Vec<ProofWire>) -> Result<WitnessWire, ApiError> {
        Ok(match id {
            ProofId::Leaf { circuit_type, .. } => {
                WitnessWire::Leaf { circuit_type: circuit_type.name().into(), inputs }
            }
            ProofId::Node { circuit_type, .. } => {
                WitnessWire::Node { circuit_type: circuit_type.name().into(), inputs }
            }
            ProofId::Tip => WitnessWire::Tip { inputs },
            ProofId::Scheduler => {
                let [input]: [ProofWire; 1] = inputs.try_into().map_err(|inputs: Vec<ProofWire>| {
                    ApiError::Shape(format!("the scheduler takes 1 proof, the ticket lists {}", inputs.len()))
                })?;
                WitnessWire::Scheduler { input }
            }
            ProofId::Basic { .. } => {
                return Err(ApiError::Shape("a basic proof has no aggregation witness".into()));
            }
        })
    }
}

/// The final proof (after compression) that goes back to the sequencer.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct FinalProofWire {
    pub format: u32,
    pub protocol: String,
    pub block: u64,
    pub commitment: [u64; 4],
    /// plonky2's FRI-compressed proof encoding of the final circuit.
    pub proof: Vec<u8>,
}

/// The block's aggregation plan as stored: instance counts per type (the plan is a pure function of them).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PlanWire {
    pub format: u32,
    pub block: u64,
    pub instances: Vec<(String, u64)>,
}

impl PlanWire {
    /// The plan, its type names resolved in `registry` (the one the keys were built for).
    pub fn plan(&self, registry: &Registry) -> Result<BlockPlan, ApiError> {
        let mut counts = Vec::new();
        for (name, n) in &self.instances {
            let ty = registry.type_named(name).ok_or_else(|| {
                ApiError::Shape(format!("plan of block {} names unknown circuit type {name:?}", self.block))
            })?;
            counts.push((ty, *n));
        }
        plan_block(&counts).map_err(|source| ApiError::Plan { block: self.block, source })
    }
}

/// Round 0: re-executes a block, trusting nothing it was given, and cuts it into the instances of every
/// type of `registry`, in the registry's order, with the block's aggregation plan.
pub fn basic_witnesses(
    registry: &Registry,
    block: &BlockWitness,
) -> Result<(Vec<BasicWitnessWire>, PlanWire), ApiError> {
    let number = block.header.number;
    let executed = execute_block(block).map_err(|source| ApiError::Execute { block: number, source })?;
    let by_type = registry.instances(&executed).map_err(|source| ApiError::Instances { block: number, source })?;
    let mut witnesses = Vec::new();
    let mut instances = Vec::new();
    for (ty, payloads) in by_type {
        instances.push((ty.name().to_string(), payloads.len() as u64));
        for (i, payload) in payloads.into_iter().enumerate() {
            witnesses.push(BasicWitnessWire {
                circuit_type: ty.name().to_string(),
                block: number,
                instance: i as u64,
                payload,
            });
        }
    }
    let plan = PlanWire { format: WIRE_FORMAT, block: number, instances };
    plan.plan(registry)?;
    Ok((witnesses, plan))
}

/// Runs one proving step. Proving itself turns plonky2's panics into errors (`frispool_core::prove`); this
/// guard also covers the native checks around it, so a bad job fails and never crashes its worker.
fn run_guarded<T, E>(circuit: &str, f: impl FnOnce() -> Result<T, E>) -> Result<T, ApiError>
where
    E: std::error::Error + Send + Sync + 'static,
{
    let failed = |source: BoxError| ApiError::Prove { circuit: circuit.to_string(), source };
    match catch_unwind(AssertUnwindSafe(f)) {
        Ok(Ok(v)) => Ok(v),
        Ok(Err(e)) => Err(failed(Box::new(e))),
        Err(panic) => Err(failed(Box::new(frispool_core::ProveError::from_panic(panic)))),
    }
}

fn decode_proof(circuit: &str, bytes: &[u8], common: &CommonCircuitData<F, D>) -> Result<Proof, ApiError> {
    let decoded =
        catch_unwind(AssertUnwindSafe(|| ProofWithPublicInputs::<F, C, D>::from_bytes(bytes.to_vec(), common)));
    match decoded {
        Ok(Ok(p)) => Ok(p),
        Ok(Err(e)) => Err(ApiError::Decode { circuit: circuit.to_string(), reason: e.to_string() }),
        Err(_) => Err(ApiError::Decode { circuit: circuit.to_string(), reason: "malformed proof bytes".into() }),
    }
}

fn block_of(public_inputs: &[F], at: usize) -> u64 {
    public_inputs.get(at).map(|f| f.to_canonical_u64()).unwrap_or(0)
}

impl ProtocolKeys {
    fn check_protocol(&self, what: &str, found: &str) -> Result<(), ApiError> {
        if found != self.version() {
            return Err(ApiError::Protocol {
                what: what.to_string(),
                found: found.to_string(),
                expected: self.version().to_string(),
            });
        }
        Ok(())
    }

    /// Decodes an inner proof and checks it came from `circuit` of this protocol.
    fn inner(&self, wire: &ProofWire, circuit: &str) -> Result<Proof, ApiError> {
        if wire.format != WIRE_FORMAT {
            return Err(ApiError::Format { what: format!("proof of {}", wire.circuit), found: wire.format });
        }
        self.check_protocol(&format!("proof of {}", wire.circuit), &wire.protocol)?;
        if wire.circuit != circuit {
            return Err(ApiError::Shape(format!("expected a proof of {circuit}, got one of {}", wire.circuit)));
        }
        let data = self.circuit(circuit).ok_or_else(|| ApiError::Shape(format!("no circuit named {circuit}")))?;
        decode_proof(circuit, &wire.proof, &data.common)
    }

    fn wrap(&self, circuit: &str, proof: Proof, block_at: usize) -> ProofWire {
        ProofWire {
            format: WIRE_FORMAT,
            protocol: self.version().to_string(),
            circuit: circuit.to_string(),
            block: block_of(&proof.public_inputs, block_at),
            public_inputs: proof.public_inputs.iter().map(|f| f.to_canonical_u64()).collect(),
            proof: proof.to_bytes(),
        }
    }

    /// Proves one witness of any round.
    pub fn prove(&self, witness: &WitnessWire) -> Result<ProofWire, ApiError> {
        match witness {
            WitnessWire::Basic(w) => {
                let ty = self.parse_type(&w.circuit_type)?;
                let circuit = self.basic(ty).ok_or_else(|| ApiError::Shape(format!("no circuit of type {ty}")))?;
                let proof = run_guarded(ty.name(), || circuit.prove(&w.payload))?;
                check_basic_labels(ty, w, &proof.public_inputs)?;
                Ok(self.wrap(ty.name(), proof, layout::basic::BLOCK))
            }
            WitnessWire::Leaf { circuit_type, inputs } => {
                let ty = self.parse_type(circuit_type)?;
                let inner: Vec<Proof> = inputs.iter().map(|p| self.inner(p, ty.name())).collect::<Result<_, _>>()?;
                let name = keys::leaf_name(ty);
                let proof = run_guarded(&name, || self.agg.prove_leaf(ty, &inner))?;
                Ok(self.wrap(&name, proof, layout::agg::BLOCK))
            }
            WitnessWire::Node { circuit_type, inputs } => {
                let ty = self.parse_type(circuit_type)?;
                let leaf = keys::leaf_name(ty);
                let inner: Vec<Proof> = inputs
                    .iter()
                    .map(|p| self.inner(p, if p.circuit == keys::NODE { keys::NODE } else { &leaf }))
                    .collect::<Result<_, _>>()?;
                let proof = run_guarded(keys::NODE, || self.agg.prove_node(ty, &inner))?;
                Ok(self.wrap(keys::NODE, proof, layout::agg::BLOCK))
            }
            WitnessWire::Tip { inputs } => {
                let mut inner = Vec::new();
                for (slot, p) in inputs.iter().enumerate() {
                    let ty = *self.agg.tip.types.get(slot).ok_or_else(|| {
                        ApiError::Shape(format!(
                            "the tip has {} slots, got {} proofs",
                            self.agg.tip.types.len(),
                            inputs.len()
                        ))
                    })?;
                    let leaf = keys::leaf_name(ty);
                    inner.push(self.inner(p, if p.circuit == keys::NODE { keys::NODE } else { &leaf })?);
                }
                let refs: Vec<&Proof> = inner.iter().collect();
                let proof = run_guarded(keys::TIP, || self.agg.prove_tip(&refs))?;
                Ok(self.wrap(keys::TIP, proof, layout::tip::BLOCK))
            }
            WitnessWire::Scheduler { input } => {
                let tip = self.inner(input, keys::TIP)?;
                let proof = run_guarded(keys::SCHEDULER, || self.agg.prove_scheduler(&tip))?;
                Ok(self.wrap(keys::SCHEDULER, proof, layout::scheduler::BLOCK))
            }
        }
    }

    /// Verifies a proof of any round with its circuit's verifier key.
    pub fn verify(&self, wire: &ProofWire) -> Result<(), ApiError> {
        let proof = self.inner(wire, &wire.circuit)?;
        let data = self.circuit(&wire.circuit).expect("inner() checked the name");
        data.verify(proof).map_err(|e| ApiError::Rejected { circuit: wire.circuit.clone(), reason: e.to_string() })
    }

    /// Round 5: compresses a scheduler proof into the final proof.
    pub fn compress(&self, scheduler: &ProofWire) -> Result<FinalProofWire, ApiError> {
        let inner = self.inner(scheduler, keys::SCHEDULER)?;
        let compressed = run_guarded(keys::FINAL, || self.compressor.compress(&inner))?;
        let pis = &compressed.public_inputs;
        let mut commitment = [0u64; 4];
        for (i, c) in commitment.iter_mut().enumerate() {
            *c = pis[layout::scheduler::COMMITMENT + i].to_canonical_u64();
        }
        Ok(FinalProofWire {
            format: WIRE_FORMAT,
            protocol: self.version().to_string(),
            block: pis[layout::scheduler::BLOCK].to_canonical_u64(),
            commitment,
            proof: compressed.to_bytes(),
        })
    }

    pub fn final_verifier(&self) -> FinalVerifier {
        FinalVerifier { data: self.compressor.final_circuit().verifier_data(), protocol: self.version().to_string() }
    }
}

impl ProtocolKeys {
    fn parse_type(&self, name: &str) -> Result<CircuitType, ApiError> {
        self.registry().type_named(name).ok_or_else(|| ApiError::Shape(format!("unknown circuit type {name:?}")))
    }
}

/// A basic proof's type, block and instance must be what its witness was labelled with: the job key and the
/// plan were made from the labels, the proof from the payload.
fn check_basic_labels(ty: CircuitType, w: &BasicWitnessWire, public_inputs: &[F]) -> Result<(), ApiError> {
    let at = |i: usize| public_inputs.get(i).map(|f| f.to_canonical_u64());
    let proven = (at(layout::basic::TYPE), at(layout::basic::BLOCK), at(layout::basic::INSTANCE));
    if proven != (Some(ty.id()), Some(w.block), Some(w.instance)) {
        return Err(ApiError::Shape(format!(
            "the payload proves (type id, block, instance) {proven:?}, it is labelled ({}, {}, {})",
            ty.id(),
            w.block,
            w.instance
        )));
    }
    Ok(())
}

/// What an L1 verifier (here: the sequencer) holds: the final circuit's verifier key.
pub struct FinalVerifier {
    pub data: VerifierCircuitData<F, C, D>,
    pub protocol: String,
}

impl FinalVerifier {
    pub fn from_bytes(protocol: &str, bytes: &[u8]) -> Result<Self, ApiError> {
        let data = keys::verifier_from_bytes(keys::FINAL, bytes).map_err(ApiError::Key)?;
        Ok(FinalVerifier { data, protocol: protocol.to_string() })
    }

    /// Checks `proof` against the header of the block it claims to prove: the proof verifies under the
    /// final key, and its public inputs are exactly `block ‖ commitment(header)`.
    pub fn verify(&self, proof: &FinalProofWire, header: &BlockHeader) -> Result<(), ApiError> {
        let rejected = |reason: String| ApiError::Rejected { circuit: keys::FINAL.into(), reason };
        if proof.format != WIRE_FORMAT {
            return Err(ApiError::Format { what: "final proof".into(), found: proof.format });
        }
        if proof.protocol != self.protocol {
            return Err(ApiError::Protocol {
                what: "final proof".into(),
                found: proof.protocol.clone(),
                expected: self.protocol.clone(),
            });
        }
        let decoded = catch_unwind(AssertUnwindSafe(|| {
            CompressedProofWithPublicInputs::<F, C, D>::from_bytes(proof.proof.clone(), &self.data.common)
        }));
        let compressed = match decoded {
            Ok(Ok(p)) => p,
            Ok(Err(e)) => return Err(ApiError::Decode { circuit: keys::FINAL.into(), reason: e.to_string() }),
            Err(_) => {
                return Err(ApiError::Decode { circuit: keys::FINAL.into(), reason: "malformed proof bytes".into() })
            }
        };
        let mut expected = vec![F::from_canonical_u64(header.number)];
        expected.extend_from_slice(&header.commitment().elements);
        if compressed.public_inputs != expected {
            return Err(rejected(format!(
                "public inputs are not block {} and its commitment: the proof is for another block or state",
                header.number
            )));
        }
        let checked = catch_unwind(AssertUnwindSafe(|| self.data.verify_compressed(compressed)));
        match checked {
            Ok(Ok(())) => Ok(()),
            Ok(Err(e)) => Err(rejected(e.to_string())),
            Err(_) => Err(rejected("verifier panicked on malformed proof".into())),
        }
    }
}

/// Verifies a stored proof with a verifier key read from disk (`frispool verify`): no prover data needed.
pub fn verify_with_key(vd: &VerifierCircuitData<F, C, D>, wire: &ProofWire) -> Result<(), ApiError> {
    let proof = decode_proof(&wire.circuit, &wire.proof, &vd.common)?;
    let checked = catch_unwind(AssertUnwindSafe(|| vd.verify(proof)));
    match checked {
        Ok(Ok(())) => Ok(()),
        Ok(Err(e)) => Err(ApiError::Rejected { circuit: wire.circuit.clone(), reason: e.to_string() }),
        Err(_) => Err(ApiError::Rejected {
            circuit: wire.circuit.clone(),
            reason: "verifier panicked on malformed proof".into(),
        }),
    }
}

impl FinalVerifier {
    /// Verifies the final proof alone (no header at hand): returns its block and commitment.
    pub fn verify_standalone(&self, proof: &FinalProofWire) -> Result<(u64, [u64; 4]), ApiError> {
        let rejected = |reason: String| ApiError::Rejected { circuit: keys::FINAL.into(), reason };
        let compressed = catch_unwind(AssertUnwindSafe(|| {
            CompressedProofWithPublicInputs::<F, C, D>::from_bytes(proof.proof.clone(), &self.data.common)
        }))
        .map_err(|_| rejected("malformed proof bytes".into()))?
        .map_err(|e| ApiError::Decode { circuit: keys::FINAL.into(), reason: e.to_string() })?;
        let pis: Vec<u64> = compressed.public_inputs.iter().map(|f| f.to_canonical_u64()).collect();
        if pis.len() != layout::scheduler::LEN || pis[0] != proof.block || pis[1..] != proof.commitment {
            return Err(rejected(
                "the proof's public inputs differ from the block and commitment it is labelled with".into(),
            ));
        }
        match catch_unwind(AssertUnwindSafe(|| self.data.verify_compressed(compressed))) {
            Ok(Ok(())) => Ok((proof.block, proof.commitment)),
            Ok(Err(e)) => Err(rejected(e.to_string())),
            Err(_) => Err(rejected("verifier panicked on malformed proof".into())),
        }
    }
}
