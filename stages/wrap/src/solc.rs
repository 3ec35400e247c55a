//! Compiles Solidity with solcjs, the npm package `solc` (solc built to WebAssembly, run by node).
//!
//! solcjs rather than a native solc: npm is on every machine this project runs on and in CI, and a native
//! binary would have to be fetched per platform. It is driven through its standard-JSON interface, so the
//! bytecode and the errors come back as data, not as files in a directory.

use crate::error::WrapError;
use serde_json::{json, Value};
use std::io::Write;
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::sync::Mutex;

/// A compiled contract.
#[derive(Clone, Debug)]
pub struct CompiledContract {
    /// The contract's name.
    pub name: String,
    /// Creation bytecode: what a deploying transaction carries.
    pub creation_code: Vec<u8>,
    /// Runtime bytecode: what the deployed account holds (the 24 KiB limit of EIP-170 applies to it).
    pub runtime_code: Vec<u8>,
}

/// Where solcjs is: `$FRISPOOL_SOLCJS`, else where `tools/install-solc.sh` puts it.
pub fn solcjs_path() -> PathBuf {
    match std::env::var_os("FRISPOOL_SOLCJS") {
        Some(path) => PathBuf::from(path),
        None => PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tools/solc/node_modules/solc/solc.js"),
    }
}

/// solcjs, installed first if need be: when `$FRISPOOL_SOLCJS` is unset and the default location is empty,
/// `tools/install-solc.sh` (npm) runs once per process, so that a fresh checkout's `make test` needs no manual
/// step. CI installs it up front (`.ci/run`); without npm this stays a [`WrapError::SolcMissing`].
fn ensure_solcjs() -> Result<PathBuf, WrapError> {
    static INSTALL: Mutex<()> = Mutex::new(());
    let path = solcjs_path();
    if path.is_file() || std::env::var_os("FRISPOOL_SOLCJS").is_some() {
        return if path.is_file() { Ok(path) } else { Err(WrapError::SolcMissing { path }) };
    }
    // Tests compile in parallel: one installs, the others wait and then find it.
    let _one_at_a_time = INSTALL.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
    if !path.is_file() {
        let script = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tools/install-solc.sh");
        // Its failure shows as the missing file below, with the fix in the message.
        let _ = Command::new("bash").arg(&script).stdout(Stdio::null()).status();
    }
    if path.is_file() {
        Ok(path)
    } else {
        Err(WrapError::SolcMissing { path })
    }
}

/// Compiles `source` with the optimizer on and returns contract `name` from it.
pub fn compile(source: &str, name: &str) -> Result<CompiledContract, WrapError> {
    let solcjs = ensure_solcjs()?;
    let node = std::env::var("FRISPOOL_NODE").unwrap_or_else(|_| "node".to_string());
    let input = json!({
        "language": "Solidity",
        "sources": { "Verifier.sol": { "content": source } },
        "settings": {
            // The verifier is called far more often than deployed: optimise for calls.
            "optimizer": { "enabled": true, "runs": 10000 },
            "outputSelection": { "*": { "*": ["evm.bytecode.object", "evm.deployedBytecode.object"] } }
        }
    });
    let failed = |message: String| WrapError::SolcFailed { contract: name.to_string(), message };
    let spawn_err = |source| WrapError::SolcSpawn { program: format!("{node} {}", solcjs.display()), source };

    let mut child = Command::new(&node)
        .arg(&solcjs)
        .arg("--standard-json")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(spawn_err)?;
    child.stdin.take().expect("stdin was piped").write_all(input.to_string().as_bytes()).map_err(spawn_err)?;
    let output = child.wait_with_output().map_err(spawn_err)?;
    let stdout = String::from_utf8_lossy(&output.stdout);
    if !output.status.success() {
        return Err(failed(format!(
            "solcjs exited with {}: {}",
            output.status,
            String::from_utf8_lossy(&output.stderr).trim()
        )));
    }
    // solcjs may print a notice (no SMT solver) before the JSON on stdout.
    let json_start = stdout.find('{').ok_or_else(|| failed(format!("no JSON in solcjs output: {stdout}")))?;
    let result: Value =
        serde_json::from_str(&stdout[json_start..]).map_err(|e| failed(format!("unreadable solcjs output: {e}")))?;

    let errors: Vec<String> = result["errors"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|e| e["severity"] == "error")
        .map(|e| e["formattedMessage"].as_str().unwrap_or("?").to_string())
        .collect();
    if !errors.is_empty() {
        return Err(failed(errors.join("\n")));
    }
    let evm = &result["contracts"]["Verifier.sol"][name]["evm"];
    let code = |field: &str| -> Result<Vec<u8>, WrapError> {
        let hex = evm[field]["object"].as_str().ok_or_else(|| failed(format!("no {field} in solcjs output")))?;
        decode_hex(hex).ok_or_else(|| failed(format!("{field} is not hex")))
    };
    Ok(CompiledContract {
        name: name.to_string(),
        creation_code: code("bytecode")?,
        runtime_code: code("deployedBytecode")?,
    })
}

fn decode_hex(hex: &str) -> Option<Vec<u8>> {
    if !hex.len().is_multiple_of(2) {
        return None;
    }
    (0..hex.len()).step_by(2).map(|i| u8::from_str_radix(hex.get(i..i + 2)?, 16).ok()).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hex_decoding() {
        assert_eq!(decode_hex("00ff10"), Some(vec![0, 255, 16]));
        assert_eq!(decode_hex("0"), None);
        assert_eq!(decode_hex("zz"), None);
    }

    #[test]
    fn compile_errors_come_back_as_errors() {
        let err = compile("pragma solidity ^0.8.0; contract A { function f() { } }", "A").unwrap_err();
        match err {
            WrapError::SolcFailed { message, .. } => assert!(message.contains("Error"), "{message}"),
            other => panic!("expected a solc error, got {other}"),
        }
    }
}
