//! Every circuit of one protocol version, built together, and the protocol version itself.
//!
//! The protocol version is a hash over the verifier keys (circuit digests) of every circuit, so any change
//! to any constraint gives a new version. Keys and jobs carry it: a worker serves one version and refuses
//! another's keys or jobs with a clear error.
//!
//! What goes to disk (`frispool keygen`, through the spool's artifact format) is the verifier data of every
//! circuit plus a manifest; provers build their prover data in memory, deterministically, and check that
//! their version equals the manifest's before they take a job.

use frispool_aggregation::layout::{CircuitType, C, D, F};
use frispool_aggregation::{AggregationKeys, BasicKey};
use plonky2::hash::hash_types::HashOut;
use plonky2::hash::poseidon::PoseidonHash;
use plonky2::plonk::circuit_data::{CircuitData, VerifierCircuitData};
use plonky2::plonk::config::Hasher;
use plonky2::util::serialization::DefaultGateSerializer;
use serde::{Deserialize, Serialize};

use crate::compress::{conjectured_security_bits, Compressor};
use crate::error::CircuitError;
use crate::MainCircuit;

/// Names of the circuits, as in key files and proof artifacts.
pub const MAIN: &str = "main";
pub const NODE: &str = "node";
pub const TIP: &str = "tip";
pub const SCHEDULER: &str = "scheduler";
pub const FINAL: &str = "final";

pub fn leaf_name(ty: CircuitType) -> String {
    format!("leaf-{}", ty.name())
}

pub struct ProtocolKeys {
    pub main: MainCircuit,
    pub agg: AggregationKeys,
    pub compressor: Compressor,
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
    pub security_bits: usize,
}

/// `keys/manifest.json`: what `frispool keygen` wrote, readable with `cat`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct KeyManifest {
    pub format: u32,
    pub protocol: String,
    pub circuits: Vec<CircuitEntry>,
}

pub const MANIFEST_FORMAT: u32 = 1;

pub fn digest_hex(h: &HashOut<F>) -> String {
    h.elements.iter().map(|e| format!("{:016x}", e.0)).collect()
}

impl ProtocolKeys {
    /// Builds every circuit. Deterministic: the same code gives the same keys and version.
    pub fn build() -> Result<Self, CircuitError> {
        let main = MainCircuit::build();
        let basics = [BasicKey {
            circuit_type: CircuitType::Main,
            common: &main.data.common,
            verifier: &main.data.verifier_only,
        }];
        let agg = AggregationKeys::build(&basics).map_err(|e| CircuitError::Keys(e.to_string()))?;
        let compressor = Compressor::build(&agg.scheduler.data.common, &agg.scheduler.data.verifier_only);
        let mut keys = ProtocolKeys { main, agg, compressor, version: String::new() };
        let mut digests = Vec::new();
        for (_, data) in keys.circuits() {
            digests.extend_from_slice(&data.verifier_only.circuit_digest.elements);
        }
        let h = PoseidonHash::hash_no_pad(&digests);
        keys.version = digest_hex(&h)[..16].to_string();
        Ok(keys)
    }

    /// The protocol version: 16 hex digits of a hash over every circuit digest.
    pub fn version(&self) -> &str {
        &self.version
    }

    /// Every circuit with its name, innermost first.
    pub fn circuits(&self) -> Vec<(String, &CircuitData<F, C, D>)> {
        let mut out = vec![(MAIN.to_string(), &self.main.data)];
        for leaf in &self.agg.leaves {
            out.push((leaf_name(leaf.circuit_type), &leaf.data));
        }
        out.push((NODE.to_string(), &self.agg.node.data));
        out.push((TIP.to_string(), &self.agg.tip.data));
        out.push((SCHEDULER.to_string(), &self.agg.scheduler.data));
        let layers = self.compressor.layers();
        for (i, layer) in layers.iter().enumerate() {
            let name = if i + 1 == layers.len() { FINAL.to_string() } else { format!("compress-{i}") };
            out.push((name, *layer));
        }
        out
    }

    pub fn circuit(&self, name: &str) -> Option<&CircuitData<F, C, D>> {
        self.circuits().into_iter().find(|(n, _)| n == name).map(|(_, d)| d)
    }

    pub fn manifest(&self) -> KeyManifest {
        KeyManifest {
            format: MANIFEST_FORMAT,
            protocol: self.version.clone(),
            circuits: self
                .circuits()
                .into_iter()
                .map(|(name, d)| CircuitEntry {
                    name,
                    degree_bits: d.common.degree_bits(),
                    digest: digest_hex(&d.verifier_only.circuit_digest),
                    public_inputs: d.common.num_public_inputs,
                    security_bits: conjectured_security_bits(&d.common.config),
                })
                .collect(),
        }
    }

    /// The verifier data of circuit `name`, serialised with plonky2's gate serializer.
    pub fn verifier_bytes(&self, name: &str) -> Result<Vec<u8>, CircuitError> {
        let data = self.circuit(name).ok_or_else(|| CircuitError::Keys(format!("no circuit named {name}")))?;
        data.verifier_data()
            .to_bytes(&DefaultGateSerializer)
            .map_err(|e| CircuitError::Keys(format!("cannot serialise the verifier key of {name}: {e:?}")))
    }
}

/// A verifier key read back from bytes (`keys/<name>.vk`).
pub fn verifier_from_bytes(name: &str, bytes: &[u8]) -> Result<VerifierCircuitData<F, C, D>, CircuitError> {
    VerifierCircuitData::from_bytes(bytes.to_vec(), &DefaultGateSerializer)
        .map_err(|e| CircuitError::Keys(format!("verifier key {name} does not decode: {e:?}")))
}
