//! The command helper every test runs the binaries through (ripgrep's `TestCommand` is the model): it
//! asserts the exit code, and when that is not the one expected it panics with the command line, its
//! stdout and stderr, and the whole spool tree.

use std::ffi::OsStr;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// A binary of this package, as cargo built it for the tests.
pub const ADMIN: &str = env!("CARGO_BIN_EXE_frispool");
pub const SYNTH: &str = env!("CARGO_BIN_EXE_frispool-synthetic");
pub const SEQUENCER: &str = env!("CARGO_BIN_EXE_frispool-sequencer");
pub const GATEWAY: &str = env!("CARGO_BIN_EXE_frispool-gateway");
pub const WITNESS: &str = env!("CARGO_BIN_EXE_frispool-witness");
pub const PROVER: &str = env!("CARGO_BIN_EXE_frispool-prover");
pub const COMPRESSOR: &str = env!("CARGO_BIN_EXE_frispool-compressor");
pub const WVG: &str = env!("CARGO_BIN_EXE_frispool-wvg");

/// The path of a binary of this package by its name (`frispool-prover`).
pub fn binary(name: &str) -> &'static str {
    match name {
        "frispool" => ADMIN,
        "frispool-synthetic" => SYNTH,
        "frispool-sequencer" => SEQUENCER,
        "frispool-gateway" => GATEWAY,
        "frispool-witness" => WITNESS,
        "frispool-prover" => PROVER,
        "frispool-compressor" => COMPRESSOR,
        "frispool-wvg" => WVG,
        other => panic!("no binary {other} in this package"),
    }
}

/// One command to run, on a spool whose tree is printed when the command ends unexpectedly.
pub struct TestCommand {
    cmd: Command,
    spool: Option<PathBuf>,
}

impl TestCommand {
    /// `bin` with `FRISPOOL_SPOOL` set to `spool`.
    pub fn new(bin: &str, spool: &Path) -> TestCommand {
        let mut cmd = Command::new(bin);
        cmd.env("FRISPOOL_SPOOL", spool);
        TestCommand { cmd, spool: Some(spool.to_path_buf()) }
    }

    pub fn arg(&mut self, arg: impl AsRef<OsStr>) -> &mut TestCommand {
        self.cmd.arg(arg);
        self
    }

    pub fn args<I: IntoIterator<Item = S>, S: AsRef<OsStr>>(&mut self, args: I) -> &mut TestCommand {
        self.cmd.args(args);
        self
    }

    /// Runs it and returns what it did, whatever its exit.
    pub fn output(&mut self) -> Output {
        self.cmd.output().unwrap_or_else(|e| panic!("cannot run {:?}: {e}", self.cmd))
    }

    /// Runs it and asserts it exits with `code` (README's: 0, 1, 2, 75).
    pub fn expect_code(&mut self, code: i32) -> Output {
        let out = self.output();
        if out.status.code() != Some(code) {
            panic!("{}", self.report(&format!("expected exit code {code}, got {}", out.status), &out));
        }
        out
    }

    /// Runs it and asserts it succeeds.
    pub fn expect_success(&mut self) -> Output {
        self.expect_code(0)
    }

    /// The command, what it printed and the spool tree, under `what` went wrong.
    fn report(&self, what: &str, out: &Output) -> String {
        let tree = self.spool.as_deref().map(tree).unwrap_or_default();
        format!("{what}\ncommand: {:?}\n{}\n---- spool tree ----\n{tree}", self.cmd, text(out))
    }
}

/// A command's stdout and stderr, for assertion messages.
pub fn text(out: &Output) -> String {
    format!("stdout:\n{}\nstderr:\n{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr))
}

/// Every file and folder under `root`, one line each with its size.
pub fn tree(root: &Path) -> String {
    fn walk(root: &Path, dir: &Path, out: &mut String) {
        let mut entries: Vec<PathBuf> =
            std::fs::read_dir(dir).map(|r| r.filter_map(|e| e.ok().map(|e| e.path())).collect()).unwrap_or_default();
        entries.sort();
        for p in entries {
            let rel = p.strip_prefix(root).unwrap().display().to_string();
            if p.is_dir() {
                out.push_str(&format!("{rel}/\n"));
                walk(root, &p, out);
            } else {
                let len = std::fs::metadata(&p).map(|m| m.len()).unwrap_or(0);
                out.push_str(&format!("{rel} ({len} B)\n"));
            }
        }
    }
    let mut out = String::new();
    walk(root, root, &mut out);
    out
}
