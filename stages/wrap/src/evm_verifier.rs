//! The generated verifier, compiled and deployed in an in-memory EVM: the L1 side of the wrap, end to end.

use crate::calldata::{verify_calldata, SolidityProof, Word};
use crate::error::WrapError;
use crate::evm::{CallOutcome, Evm};
use crate::solc;
use crate::verifier_sol::{selector, SolidityVerifier};
use ark_bn254::Bn254;
use ark_groth16::VerifyingKey;
use revm::primitives::Address;

/// What the contract said about a proof.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum EvmVerdict {
    /// `verifyProof` returned true.
    Accepted,
    /// `verifyProof` returned false: a well-formed proof that does not prove these inputs.
    Rejected,
    /// The call reverted or halted: a malformed proof or input.
    Reverted(RevertReason),
}

/// Why the verifier reverted, decoded from its custom errors.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum RevertReason {
    PublicInputNotInField(u64),
    ProofCoordinateNotInField(u64),
    PrecompileFailed(u8),
    /// Anything else: the raw revert data, or the halt reason.
    Other(String),
}

/// A verifier contract deployed in its own in-memory chain.
pub struct DeployedVerifier {
    evm: Evm,
    address: Address,
    verifier: SolidityVerifier,
    /// Gas of the deploying transaction.
    pub deploy_gas: u64,
    /// Size of the deployed code (EIP-170 caps it at 24 576 bytes).
    pub runtime_size: usize,
}

/// A verdict and the gas its transaction used.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EvmCheck {
    pub verdict: EvmVerdict,
    pub gas_used: u64,
}

impl DeployedVerifier {
    /// Generates the verifier of `vk`, compiles it with solcjs and deploys it.
    pub fn deploy(vk: &VerifyingKey<Bn254>) -> Result<Self, WrapError> {
        let verifier = SolidityVerifier::generate(vk, "FrispoolGroth16Verifier");
        let compiled = solc::compile(&verifier.source, &verifier.contract)?;
        let mut evm = Evm::new();
        let (address, deploy_gas) = evm.deploy(&compiled.creation_code)?;
        Ok(DeployedVerifier { evm, address, verifier, deploy_gas, runtime_size: compiled.runtime_code.len() })
    }

    /// The generated contract.
    pub fn verifier(&self) -> &SolidityVerifier {
        &self.verifier
    }

    /// Calls `verifyProof(proof, inputs)` in a transaction. `inputs` are raw words, so that callers can send
    /// what no `Fr` can hold (an input ≥ r) and see it refused.
    pub fn check(&mut self, proof: &SolidityProof, inputs: &[Word]) -> Result<EvmCheck, WrapError> {
        if inputs.len() != self.verifier.num_inputs {
            return Err(WrapError::PublicInputCount { expected: self.verifier.num_inputs, actual: inputs.len() });
        }
        let data = verify_calldata(self.verifier.selector(), proof, inputs);
        let report = self.evm.call(self.address, &data)?;
        let verdict = match report.outcome {
            CallOutcome::Returned(out) => decode_bool(&out)?,
            CallOutcome::Reverted(data) => EvmVerdict::Reverted(decode_revert(&data)),
            CallOutcome::Halted(reason) => EvmVerdict::Reverted(RevertReason::Other(reason)),
        };
        Ok(EvmCheck { verdict, gas_used: report.gas_used })
    }
}

fn decode_bool(out: &[u8]) -> Result<EvmVerdict, WrapError> {
    match out {
        [zeros @ .., last] if out.len() == 32 && zeros.iter().all(|b| *b == 0) && *last <= 1 => {
            Ok(if *last == 1 { EvmVerdict::Accepted } else { EvmVerdict::Rejected })
        }
        _ => Err(WrapError::EvmOutput { len: out.len() }),
    }
}

fn decode_revert(data: &[u8]) -> RevertReason {
    let other = || RevertReason::Other(data.iter().map(|b| format!("{b:02x}")).collect());
    if data.len() != 36 {
        return other();
    }
    // Each error takes one uint256 (an address is left-padded to a word too); its value fits a u64.
    let arg = &data[4..];
    if arg[..24].iter().any(|b| *b != 0) {
        return other();
    }
    let value = u64::from_be_bytes(arg[24..].try_into().expect("8 bytes"));
    let sel = [data[0], data[1], data[2], data[3]];
    if sel == selector("PublicInputNotInField(uint256)") {
        RevertReason::PublicInputNotInField(value)
    } else if sel == selector("ProofCoordinateNotInField(uint256)") {
        RevertReason::ProofCoordinateNotInField(value)
    } else if sel == selector("PrecompileFailed(address)") && value < 256 {
        RevertReason::PrecompileFailed(value as u8)
    } else {
        other()
    }
}
