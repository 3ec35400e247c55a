//! A real EVM in memory (revm, mainnet rules of its default hardfork): deploy a contract, call it, read gas.
//!
//! Every call is a committed transaction from one funded account, so the gas reported is what an L1
//! transaction would pay: the 21 000 base, calldata, and execution.

use crate::error::WrapError;
use revm::context::{Context, TxEnv};
use revm::context_interface::result::{ExecutionResult, Output};
use revm::database::{CacheDB, EmptyDB};
use revm::handler::{MainBuilder, MainContext, MainnetContext, MainnetEvm};
use revm::primitives::{Address, Bytes, TxKind, U256};
use revm::state::AccountInfo;
use revm::ExecuteCommitEvm;

type Db = CacheDB<EmptyDB>;

/// What a call did.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum CallOutcome {
    /// It returned these bytes.
    Returned(Vec<u8>),
    /// It reverted with these bytes (an ABI error, or empty).
    Reverted(Vec<u8>),
    /// It halted exceptionally (out of gas, invalid opcode, ...): the reason, for humans.
    Halted(String),
}

/// A call's outcome and the gas its transaction used.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CallReport {
    pub outcome: CallOutcome,
    pub gas_used: u64,
}

/// An in-memory chain with one funded sender.
pub struct Evm {
    evm: MainnetEvm<MainnetContext<Db>>,
    sender: Address,
    nonce: u64,
}

impl Default for Evm {
    fn default() -> Self {
        Self::new()
    }
}

impl Evm {
    /// A fresh chain: empty state but for the sender.
    pub fn new() -> Self {
        let sender = Address::repeat_byte(0x5e);
        let mut db = Db::new(EmptyDB::new());
        db.insert_account_info(sender, AccountInfo::from_balance(U256::from(10u128.pow(24))));
        let evm = Context::mainnet().with_db(db).build_mainnet();
        Evm { evm, sender, nonce: 0 }
    }

    /// Deploys `creation_code`; returns the contract's address and the deployment's gas.
    pub fn deploy(&mut self, creation_code: &[u8]) -> Result<(Address, u64), WrapError> {
        let result = self.transact(TxKind::Create, creation_code)?;
        let gas = result.tx_gas_used();
        match result {
            ExecutionResult::Success { output: Output::Create(_, Some(address)), .. } => Ok((address, gas)),
            other => Err(WrapError::EvmDeploy(format!("{other:?}"))),
        }
    }

    /// Calls `to` with `data`.
    pub fn call(&mut self, to: Address, data: &[u8]) -> Result<CallReport, WrapError> {
        let result = self.transact(TxKind::Call(to), data)?;
        let gas_used = result.tx_gas_used();
        let outcome = match result {
            ExecutionResult::Success { output, .. } => CallOutcome::Returned(output.into_data().to_vec()),
            ExecutionResult::Revert { output, .. } => CallOutcome::Reverted(output.to_vec()),
            ExecutionResult::Halt { reason, .. } => CallOutcome::Halted(format!("{reason:?}")),
        };
        Ok(CallReport { outcome, gas_used })
    }

    fn transact(&mut self, kind: TxKind, data: &[u8]) -> Result<ExecutionResult, WrapError> {
        let tx = TxEnv::builder()
            .caller(self.sender)
            .kind(kind)
            .data(Bytes::copy_from_slice(data))
            .nonce(self.nonce)
            .gas_limit(10_000_000)
            .build()
            .map_err(|e| WrapError::EvmTransaction(format!("{e:?}")))?;
        let result = self.evm.transact_commit(tx).map_err(|e| WrapError::EvmTransaction(format!("{e:?}")))?;
        // A committed transaction spends the nonce whether it succeeded or reverted.
        self.nonce += 1;
        Ok(result)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn deploys_and_calls_raw_bytecode() {
        // Runtime code: return the 32-byte word 42 (PUSH1 42 PUSH1 0 MSTORE PUSH1 32 PUSH1 0 RETURN).
        let runtime = [0x60, 42, 0x60, 0, 0x52, 0x60, 32, 0x60, 0, 0xf3];
        // Creation code: copy the runtime code to memory and return it.
        let mut creation =
            vec![0x60, runtime.len() as u8, 0x60, 12, 0x60, 0, 0x39, 0x60, runtime.len() as u8, 0x60, 0, 0xf3];
        creation.extend_from_slice(&runtime);
        let mut evm = Evm::new();
        let (address, deploy_gas) = evm.deploy(&creation).unwrap();
        assert!(deploy_gas > 21_000);
        let report = evm.call(address, &[]).unwrap();
        let mut expected = [0u8; 32];
        expected[31] = 42;
        assert_eq!(report.outcome, CallOutcome::Returned(expected.to_vec()));
        // A second call works too: the sender's nonce advanced.
        assert!(evm.call(address, &[1, 2, 3]).is_ok());
    }
}
