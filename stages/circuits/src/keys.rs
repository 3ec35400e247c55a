//! Every circuit of one protocol version, built together, and the protocol version itself.
//!
//! The protocol version is a hash over the verifier keys (circuit digests) of every circuit, so any change
//! to any constraint gives a new version. Keys and jobs carry it: a worker serves one version and refuses
//! another's keys or jobs with a clear error.
//!
//! What goes to disk (`frispool keygen`, through the spool's artifact format) is a manifest, the verifier
//! data and the prover data of every circuit. Provers load the prover data ([`ProtocolKeys::load`]) instead
//! of building (seconds of FFTs and Merkle trees per circuit): they run only each circuit's construction to
//! recover the targets their witness is set through, and check that it fits the loaded data.

use frispool_aggregation::{AggKey, AggregationKeys, BasicKey, ProofId};
use frispool_core::{ChainBinding, CircuitType, SharedBackend, C, D, F};
use frispool_sig::{SigGateSerializer, SigGeneratorSerializer};
use plonky2::hash::hash_types::HashOut;
use plonky2::hash::poseidon::PoseidonHash;
use plonky2::plonk::circuit_data::{CircuitData, VerifierCircuitData};
use plonky2::plonk::config::Hasher;
use serde::{Deserialize, Serialize};

use crate::compress::Compressor;
use crate::error::CircuitError;
use crate::registry::{BasicCircuit, Registry};
use crate::security::SecurityLevel;

/// Names of the circuits, as in key files and proof artifacts; a basic circuit is named by its type.
pub const NODE: &str = "node";
pub const TIP: &str = "tip";
pub const SCHEDULER: &str = "scheduler";
pub const FINAL: &str = "final";

pub fn leaf_name(ty: CircuitType) -> String {
    format!("leaf-{}", ty.name())
}

/// Every circuit of one registry's protocol. A different registry gives different leaf, tip and scheduler
/// keys, so a different protocol version, which each side's keys, jobs and proofs refuse of the other.
pub struct ProtocolKeys {
    /// One per registered type, in the registry's order.
    pub basics: Vec<BasicCircuit>,
    pub agg: AggregationKeys,
    pub compressor: Compressor,
    registry: Registry,
    version: String,
}

/// One circuit as listed in the manifest.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CircuitEntry {
    pub name: String,
    pub degree_bits: usize,
    /// The circuit digest (plonky2's verifier-key hash), hex.
    pub digest: String,
    pub public_inputs: usize,
    /// The whole security level ([`SecurityLevel::bits`]): the least of FRI, permutation, constraint
    /// combination and opening point.
    pub security_bits: usize,
    /// [`SecurityLevel::describe`]: every term of it.
    pub security: String,
}

/// `keys/manifest.json`: what `frispool keygen` wrote, readable with `cat`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct KeyManifest {
    pub format: u32,
    pub protocol: String,
    /// [`SOURCE_FINGERPRINT`] of the build that wrote the keys.
    pub source: String,
    pub circuits: Vec<CircuitEntry>,
}

pub const MANIFEST_FORMAT: u32 = 3;

/// A fingerprint of the source of every crate that shapes a circuit (computed by `build.rs`). A prover loads
/// keys without building the circuits, so it cannot compute the protocol version itself; this tells it the
/// keys were written by a build of the same circuit code.
pub const SOURCE_FINGERPRINT: &str = env!("FRISPOOL_CIRCUIT_SOURCE");

pub fn digest_hex(h: &HashOut<F>) -> String {
    h.elements.iter().map(|e| format!("{:016x}", e.0)).collect()
}

/// Loading failed for one circuit (so the caller can name its file): reading its prover data (the caller's
/// error `E`), or fitting this build's circuit around it.
#[derive(Debug, thiserror::Error)]
#[error("circuit {circuit}: {source}")]
pub struct LoadError<E: std::error::Error + 'static> {
    pub circuit: String,
    pub source: LoadFailure<E>,
}

#[derive(Debug, thiserror::Error)]
pub enum LoadFailure<E: std::error::Error + 'static> {
    #[error(transparent)]
    Read(E),
    #[error(transparent)]
    Circuit(CircuitError),
}

fn read_err<E: std::error::Error>(circuit: &str) -> impl FnOnce(E) -> LoadError<E> + '_ {
    move |e| LoadError { circuit: circuit.to_string(), source: LoadFailure::Read(e) }
}

fn fit_err<E: std::error::Error>(circuit: &str) -> impl FnOnce(CircuitError) -> LoadError<E> + '_ {
    move |e| LoadError { circuit: circuit.to_string(), source: LoadFailure::Circuit(e) }
}

/// What the aggregation circuits take of the basic circuits: `bindings` in the same order.
fn basic_keys<'a>(basics: &'a [BasicCircuit], bindings: &'a [ChainBinding]) -> Vec<BasicKey<'a>> {
    basics
        .iter()
        .zip(bindings)
        .map(|(b, binding)| BasicKey {
            circuit_type: b.circuit_type,
            binding,
            common: &b.data.common,
            verifier: &b.data.verifier_only,
        })
        .collect()
}

fn layer_name(i: usize, count: usize) -> String {
    if i + 1 == count {
        FINAL.to_string()
    } else {
        format!("compress-{i}")
    }
}

impl ProtocolKeys {
    /// Builds every circuit of `registry`'s protocol. Deterministic: the same code and registry give the same
    /// keys and version.
    pub fn build(registry: &Registry) -> Result<Self, CircuitError> {
        let basics = registry.erased().iter().map(|t| BasicCircuit::build(t.clone())).collect::<Result<Vec<_>, _>>()?;
        let bindings = registry.bindings();
        let agg = AggregationKeys::build(&basic_keys(&basics, &bindings)).map_err(CircuitError::Aggregation)?;
        let compressor = Compressor::build(&agg.scheduler.data.common, &agg.scheduler.data.verifier_only);
        Ok(Self::assemble(registry.clone(), basics, agg, compressor))
    }

    /// Every circuit of `registry`'s protocol around prover data written by [`Self::prover_bytes`] of a build
    /// of the same code and registry: `data(name)` gives circuit `name`'s, innermost first (names as in
    /// [`Self::circuits`]). Nothing is built, not even the mock builds that find the aggregation shape (the
    /// loaded node's is the shape); each circuit's construction runs to recover its witness targets and must
    /// fit the loaded data. The caller compares the loaded digests with the manifest's: a construction that
    /// fits but constrains something else would show there as a different digest only at build time, which
    /// is why keys are written by the very build that serves them (the protocol version is in every key
    /// file).
    pub fn load<E: std::error::Error + 'static>(
        registry: &Registry,
        mut data: impl FnMut(&str) -> Result<CircuitData<F, C, D>, E>,
    ) -> Result<Self, LoadError<E>> {
        let mut basics = Vec::new();
        for t in registry.erased() {
            let name = t.circuit_type().name();
            let loaded = data(name).map_err(read_err(name))?;
            basics.push(BasicCircuit::from_data(t.clone(), loaded).map_err(fit_err(name))?);
        }
        let bindings = registry.bindings();
        let basic = basic_keys(&basics, &bindings);
        let mut leaves = Vec::new();
        for ty in registry.types() {
            let name = leaf_name(ty);
            leaves.push(data(&name).map_err(read_err(&name))?);
        }
        let node = data(NODE).map_err(read_err(NODE))?;
        let tip = data(TIP).map_err(read_err(TIP))?;
        let scheduler = data(SCHEDULER).map_err(read_err(SCHEDULER))?;
        let agg = AggregationKeys::from_data(&basic, leaves, node, tip, scheduler).map_err(|e| {
            let circuit = match e.key {
                Some(AggKey::Leaf(ty)) => leaf_name(ty),
                Some(AggKey::Node) => NODE.to_string(),
                Some(AggKey::Tip) => TIP.to_string(),
                Some(AggKey::Scheduler) => SCHEDULER.to_string(),
                None => "aggregation".to_string(),
            };
            fit_err(&circuit)(CircuitError::from_loading(e.source))
        })?;
        let count = Compressor::layer_count(&agg.scheduler.data.common);
        let mut current = String::new();
        let mut read_failure = None;
        let compressor = Compressor::from_data(&agg.scheduler.data.common, &agg.scheduler.data.verifier_only, |i| {
            current = layer_name(i, count);
            // The compressor knows only circuit errors: a read error waits here until it returns.
            data(&current).map_err(|e| {
                read_failure = Some(e);
                CircuitError::NoSuchCircuit(current.clone())
            })
        });
        let compressor = match (compressor, read_failure) {
            (_, Some(e)) => return Err(read_err(&current)(e)),
            (Err(e), None) => return Err(fit_err(&current)(e)),
            (Ok(c), None) => c,
        };
        Ok(Self::assemble(registry.clone(), basics, agg, compressor))
    }

    fn assemble(registry: Registry, basics: Vec<BasicCircuit>, agg: AggregationKeys, compressor: Compressor) -> Self {
        let mut keys = ProtocolKeys { basics, agg, compressor, registry, version: String::new() };
        let mut digests = Vec::new();
        for (_, data) in keys.circuits() {
            digests.extend_from_slice(&data.verifier_only.circuit_digest.elements);
        }
        let h = PoseidonHash::hash_no_pad(&digests);
        keys.version = digest_hex(&h)[..16].to_string();
        keys
    }

    /// Every circuit proves on `backend` from now on (keys start on the CPU).
    pub fn use_backend(&mut self, backend: SharedBackend) {
        self.basics.iter_mut().for_each(|b| b.use_backend(backend.clone()));
        self.agg.use_backend(&backend);
        self.compressor.use_backend(backend);
    }

    /// The registry these keys were built for.
    pub fn registry(&self) -> &Registry {
        &self.registry
    }

    /// The basic circuit of `ty`.
    pub fn basic(&self, ty: CircuitType) -> Option<&BasicCircuit> {
        self.basics.iter().find(|b| b.circuit_type == ty)
    }

    /// The protocol version: 16 hex digits of a hash over every circuit digest.
    pub fn version(&self) -> &str {
        &self.version
    }

    /// Every circuit with its name, innermost first.
    pub fn circuits(&self) -> Vec<(String, &CircuitData<F, C, D>)> {
        let mut out: Vec<(String, &CircuitData<F, C, D>)> =
            self.basics.iter().map(|b| (b.circuit_type.name().to_string(), &b.data)).collect();
        for leaf in &self.agg.leaves {
            out.push((leaf_name(leaf.circuit_type), &leaf.data));
        }
        out.push((NODE.to_string(), &self.agg.node.data));
        out.push((TIP.to_string(), &self.agg.tip.data));
        out.push((SCHEDULER.to_string(), &self.agg.scheduler.data));
        let layers = self.compressor.layers();
        for (i, layer) in layers.iter().enumerate() {
            out.push((layer_name(i, layers.len()), *layer));
        }
        out
    }

    /// The circuit that proves `id`.
    pub fn circuit_proving(&self, id: &ProofId) -> Option<&CircuitData<F, C, D>> {
        match id {
            ProofId::Basic { circuit_type, .. } => self.basic(*circuit_type).map(|b| &b.data),
            ProofId::Leaf { circuit_type, .. } => self.circuit(&leaf_name(*circuit_type)),
            ProofId::Node { .. } => self.circuit(NODE),
            ProofId::Tip => self.circuit(TIP),
            ProofId::Scheduler => self.circuit(SCHEDULER),
        }
    }

    pub fn circuit(&self, name: &str) -> Option<&CircuitData<F, C, D>> {
        self.circuits().into_iter().find(|(n, _)| n == name).map(|(_, d)| d)
    }

    pub fn manifest(&self) -> KeyManifest {
        KeyManifest {
            format: MANIFEST_FORMAT,
            protocol: self.version.clone(),
            source: SOURCE_FINGERPRINT.to_string(),
            circuits: self
                .circuits()
                .into_iter()
                .map(|(name, d)| CircuitEntry {
                    name,
                    degree_bits: d.common.degree_bits(),
                    digest: digest_hex(&d.verifier_only.circuit_digest),
                    public_inputs: d.common.num_public_inputs,
                    security_bits: SecurityLevel::of(&d.common).bits(),
                    security: SecurityLevel::of(&d.common).describe(),
                })
                .collect(),
        }
    }

    /// The verifier data of circuit `name`, serialised with plonky2's gate serializer plus `sig`'s gate
    /// (`frispool_sig::SigGateSerializer`).
    pub fn verifier_bytes(&self, name: &str) -> Result<Vec<u8>, CircuitError> {
        let data = self.circuit(name).ok_or_else(|| CircuitError::NoSuchCircuit(name.to_string()))?;
        data.verifier_data().to_bytes(&SigGateSerializer).map_err(|e| CircuitError::Encode {
            key: "verifier",
            circuit: name.to_string(),
            detail: format!("{e:?}"),
        })
    }
}

impl ProtocolKeys {
    /// The prover data of circuit `name` (everything [`ProtocolKeys::load`] needs of it), serialised with
    /// plonky2's default gate and generator serializers plus `sig`'s one custom gate and its generator
    /// (`frispool_sig::SigGateSerializer`, `SigGeneratorSerializer`; a circuit without them encodes as plonky2's
    /// defaults would).
    pub fn prover_bytes(&self, name: &str) -> Result<Vec<u8>, CircuitError> {
        let data = self.circuit(name).ok_or_else(|| CircuitError::NoSuchCircuit(name.to_string()))?;
        data.to_bytes(&SigGateSerializer, &SigGeneratorSerializer::<C, D>::default())
            .map_err(|e| CircuitError::Encode { key: "prover", circuit: name.to_string(), detail: format!("{e:?}") })
    }
}

/// Prover data read back from [`ProtocolKeys::prover_bytes`]'s bytes (borrowed: a memory map will do).
pub fn prover_from_bytes(name: &str, bytes: &[u8]) -> Result<CircuitData<F, C, D>, CircuitError> {
    CircuitData::from_bytes(bytes, &SigGateSerializer, &SigGeneratorSerializer::<C, D>::default())
        .map_err(|e| CircuitError::Decode { key: "prover", circuit: name.to_string(), detail: format!("{e:?}") })
}

/// A verifier key read back from bytes (`keys/<name>.vk`).
pub fn verifier_from_bytes(name: &str, bytes: &[u8]) -> Result<VerifierCircuitData<F, C, D>, CircuitError> {
    VerifierCircuitData::from_bytes(bytes.to_vec(), &SigGateSerializer).map_err(|e| CircuitError::Decode {
        key: "verifier",
        circuit: name.to_string(),
        detail: format!("{e:?}"),
    })
}
