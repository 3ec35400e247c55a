//! Human-readable summaries of the pipeline's artifacts, for `frispool inspect`.

use frispool_circuits::{FinalProofWire, PlanWire, ProofWire, Registry, SnarkWire, WitnessWire};
use frispool_rollup::BlockWitness;
use frispool_spool::{ArtifactError, ArtifactKind, MappedArtifact};

use crate::keystore::VerifierKeyWire;
use crate::kinds::{self, KINDS};
use crate::prover_key::parse_prover_key;
use crate::trust::key_digest;
use crate::wrapper_keys::WrapperVkWire;

fn hex4(c: &[u64]) -> String {
    c.iter().map(|e| format!("{e:016x}")).collect()
}

/// A few lines describing the payload of a pipeline artifact; `None` for kinds this crate does not own.
/// `registry` (the protocol's circuit types) reads plans.
pub fn describe_artifact(a: &MappedArtifact, registry: &Registry) -> Result<Option<String>, ArtifactError> {
    let Some(kind) = ArtifactKind::find(&KINDS, a.header.kind) else { return Ok(None) };
    Ok(Some(match kind {
        kinds::BLOCK_INPUT => {
            let b: BlockWitness = a.decode(kind)?;
            let h = &b.header;
            format!(
                "block {}: {} transactions\n  prev root {}\n  new root  {}\n  tx hash   {}\n  commitment {}",
                h.number,
                h.tx_count,
                hex4(&h.prev_root.elements.map(|e| e.0)),
                hex4(&h.new_root.elements.map(|e| e.0)),
                hex4(&h.tx_hash.elements.map(|e| e.0)),
                hex4(&h.commitment().elements.map(|e| e.0)),
            )
        }
        kinds::BASIC_WITNESS | kinds::AGGREGATION_WITNESS => {
            let w: WitnessWire = a.decode(kind)?;
            match w {
                WitnessWire::Basic(w) => format!(
                    "{} witness: block {} instance {}, {} bytes of the type's own witness",
                    w.circuit_type,
                    w.block,
                    w.instance,
                    w.payload.len()
                ),
                WitnessWire::Leaf { circuit_type, inputs } => {
                    format!("leaf witness of {circuit_type}: {}", list(&inputs))
                }
                WitnessWire::Node { circuit_type, inputs } => {
                    format!("node witness of {circuit_type}: {}", list(&inputs))
                }
                WitnessWire::Tip { inputs } => format!("recursion-tip witness: {}", list(&inputs)),
                WitnessWire::Scheduler { input } => {
                    format!("scheduler witness: {}", list(std::slice::from_ref(&input)))
                }
            }
        }
        kinds::PROOF => {
            let p: ProofWire = a.decode(kind)?;
            format!(
                "{} proof of block {} (protocol {}): {} bytes\n  public inputs {:?}",
                p.circuit,
                p.block,
                p.protocol,
                p.proof.len(),
                p.public_inputs
            )
        }
        kinds::AGGREGATION_PLAN => {
            let p: PlanWire = a.decode(kind)?;
            let mut out = format!("aggregation plan of block {}: instances {:?}", p.block, p.instances);
            if let Ok(plan) = p.plan(registry) {
                for g in plan.groups() {
                    out.push_str(&format!("\n  {:?} waits for {} proofs", g.output, g.expected_inputs()));
                }
            }
            out
        }
        kinds::FINAL_PROOF => {
            let p: FinalProofWire = a.decode(kind)?;
            format!(
                "final proof of block {} (protocol {}): {} bytes\n  commitment {}",
                p.block,
                p.protocol,
                p.proof.len(),
                hex4(&p.commitment)
            )
        }
        kinds::VERIFIER_KEY => {
            let k: VerifierKeyWire = a.decode(kind)?;
            format!("verifier key of {} (protocol {}): {} bytes", k.circuit, k.protocol, k.bytes.len())
        }
        kinds::FINAL_SNARK => {
            let s: SnarkWire = a.decode(kind)?;
            format!(
                "SNARK (Groth16, BN254; format {}) of block {} (protocol {}): {} bytes\n  commitment {}\n  wrapper verifying key blake3 {} (a label: a verifier uses its pinned key)",
                s.format,
                s.block,
                s.protocol,
                s.proof.len(),
                hex4(&s.commitment),
                s.vk_digest
            )
        }
        kinds::WRAPPER_VERIFYING_KEY => {
            let k: WrapperVkWire = a.decode(kind)?;
            format!(
                "wrapper verifying key (protocol {}, wraps final circuit {}): {} bytes\n  key blake3 {} (what --snark-vk-digest pins)\n  {}",
                k.protocol,
                k.final_digest,
                k.bytes.len(),
                key_digest(&k.bytes),
                k.origin
            )
        }
        kinds::WRAPPER_PROVING_KEY => match parse_prover_key(a.payload()) {
            Some(k) => format!(
                "wrapper proving key (protocol {}, wraps final circuit {}): {:.1} MB",
                k.protocol,
                k.digest,
                k.data.len() as f64 / 1e6
            ),
            None => "a wrapper proving key whose payload does not parse".to_string(),
        },
        _ => return Ok(None),
    }))
}

fn list(inputs: &[ProofWire]) -> String {
    let names: Vec<String> = inputs.iter().map(|p| format!("{} (block {})", p.circuit, p.block)).collect();
    format!("{} inner proofs: {}", inputs.len(), names.join(", "))
}
