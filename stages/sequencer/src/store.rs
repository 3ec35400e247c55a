//! The sequencer's own store: the rollup state after the last produced block, every produced block's
//! witness, and one human-readable status record per block.
//!
//! ```text
//! <dir>/state.bin                 rollup state snapshot after the newest block
//! <dir>/blocks/b00000042.block    the block's witness: header, transactions, Merkle witnesses
//! <dir>/blocks/b00000042.json     its status: produced → handed_out → proven, with times
//! ```
//!
//! The binary files use the spool's artifact format (header, checksum, bincode payload), so
//! `frispool inspect` reads them and a torn file is refused by name. Every write is tmp → fsync → rename → fsync(dir), so a crash leaves either the old or the new file.
//! A block's witness is written before the state that includes it, so a crash between the two leaves a
//! block file whose number the state has not reached yet: [`Store::open`] replays it.

use std::fs::{self, File};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::{SystemTime, UNIX_EPOCH};

use frispool_rollup::{BlockError, BlockWitness, SignedTx, State};
use frispool_spool::{decode_artifact, encode_artifact, ArtifactError, ArtifactKind};
use serde::{Deserialize, Serialize};
use thiserror::Error;

/// A block in the store, and the body of `GET /proof_generation_data`: the gateway stores it as the
/// block's input under the same number (`frispool_pipeline::kinds::BLOCK_INPUT`).
pub const BLOCK_INPUT: ArtifactKind = ArtifactKind::new(1, "block-input");
/// The store's state snapshot.
pub const SEQUENCER_STATE: ArtifactKind = ArtifactKind::new(9, "sequencer-state");
/// The kinds of the store's files.
pub const STORE_KINDS: [ArtifactKind; 2] = [BLOCK_INPUT, SEQUENCER_STATE];

#[derive(Debug, Error)]
pub enum StoreError {
    #[error("sequencer store {path}: {source}")]
    Io { path: PathBuf, source: std::io::Error },
    #[error("sequencer store {path}: cannot decode")]
    Corrupt {
        path: PathBuf,
        #[source]
        source: ArtifactError,
    },
    #[error("sequencer store {path}: cannot decode")]
    Record {
        path: PathBuf,
        #[source]
        source: serde_json::Error,
    },
    #[error("sequencer store {path}: cannot decode: replaying the block gives another header than the one stored")]
    Replay { path: PathBuf },
    #[error("block {0} is not in the sequencer store")]
    UnknownBlock(u64),
    #[error(transparent)]
    Rule(#[from] BlockError),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum BlockStatus {
    /// Produced, not yet given to a prover.
    Produced,
    /// Given out by `GET /proof_generation_data`; given out again if no proof comes within the hand-out timeout.
    HandedOut,
    /// A proof was submitted and accepted.
    Proven,
}

/// The status record of one block, `blocks/bNNNNNNNN.json`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct BlockRecord {
    pub number: u64,
    pub status: BlockStatus,
    pub tx_count: u64,
    /// The block commitment the final proof must carry, as four decimal field elements.
    pub commitment: [u64; 4],
    pub produced_at_ms: u64,
    pub handed_out_at_ms: Option<u64>,
    pub handouts: u32,
    pub proven_at_ms: Option<u64>,
    /// blake3 of the accepted proof bytes.
    pub proof_blake3: Option<String>,
}

pub struct Store {
    dir: PathBuf,
    state: State,
}

pub fn now_ms() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_millis() as u64).unwrap_or(0)
}

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> StoreError + '_ {
    move |source| StoreError::Io { path: path.to_path_buf(), source }
}

fn encode<T: Serialize>(path: &Path, kind: ArtifactKind, value: &T) -> Result<Vec<u8>, StoreError> {
    encode_artifact(path, kind, value).map_err(|source| StoreError::Corrupt { path: path.to_path_buf(), source })
}

fn decode<T: serde::de::DeserializeOwned>(path: &Path, bytes: &[u8], kind: ArtifactKind) -> Result<T, StoreError> {
    decode_artifact(path, bytes, kind).map_err(|source| StoreError::Corrupt { path: path.to_path_buf(), source })
}

impl Store {
    /// Opens (creating if needed) the store in `dir`, replaying a block whose state write a crash cut off.
    pub fn open(dir: &Path) -> Result<Store, StoreError> {
        let blocks = dir.join("blocks");
        fs::create_dir_all(&blocks).map_err(io(&blocks))?;
        let state_path = dir.join("state.bin");
        let mut state = if state_path.exists() {
            let bytes = fs::read(&state_path).map_err(io(&state_path))?;
            decode(&state_path, &bytes, SEQUENCER_STATE)?
        } else {
            State::new()
        };
        let mut store = Store { dir: dir.to_path_buf(), state: State::new() };
        // A block file ahead of the state: the state write after it never happened. Replay it.
        loop {
            let next = state.next_block_number();
            let path = store.block_path(next);
            if !path.exists() {
                break;
            }
            let witness = store.read_block_file(&path)?;
            let replayed = state.apply_block(witness.transactions.clone())?;
            if replayed.header != witness.header {
                return Err(StoreError::Replay { path });
            }
        }
        store.state = state;
        store.write_state()?;
        Ok(store)
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    pub fn state(&self) -> &State {
        &self.state
    }

    /// Applies `transactions` as the next block, persists it, and returns its witness.
    pub fn produce(&mut self, transactions: Vec<SignedTx>) -> Result<BlockWitness, StoreError> {
        let mut next = self.state.clone();
        let witness = next.apply_block(transactions)?;
        let number = witness.header.number;
        let c = witness.header.commitment();
        let record = BlockRecord {
            number,
            status: BlockStatus::Produced,
            tx_count: witness.header.tx_count,
            commitment: c.elements.map(|e| e.0),
            produced_at_ms: now_ms(),
            handed_out_at_ms: None,
            handouts: 0,
            proven_at_ms: None,
            proof_blake3: None,
        };
        // Order matters: block, then its record, then the state (see the module comment).
        let bytes = encode(&self.block_path(number), BLOCK_INPUT, &witness)?;
        write_atomic(&self.block_path(number), &bytes)?;
        self.write_record(&record)?;
        self.state = next;
        self.write_state()?;
        Ok(witness)
    }

    /// Numbers of all produced blocks, ascending.
    pub fn block_numbers(&self) -> Result<Vec<u64>, StoreError> {
        let blocks = self.dir.join("blocks");
        let mut out = Vec::new();
        for entry in fs::read_dir(&blocks).map_err(io(&blocks))? {
            let name = entry.map_err(io(&blocks))?.file_name();
            let name = name.to_string_lossy();
            if let Some(n) = name.strip_prefix('b').and_then(|r| r.strip_suffix(".block")) {
                if let Ok(n) = n.parse() {
                    out.push(n);
                }
            }
        }
        out.sort_unstable();
        Ok(out)
    }

    pub fn record(&self, number: u64) -> Result<BlockRecord, StoreError> {
        let path = self.record_path(number);
        let bytes = match fs::read(&path) {
            Ok(b) => b,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Err(StoreError::UnknownBlock(number)),
            Err(e) => return Err(StoreError::Io { path, source: e }),
        };
        serde_json::from_slice(&bytes).map_err(|source| StoreError::Record { path, source })
    }

    pub fn block(&self, number: u64) -> Result<BlockWitness, StoreError> {
        let path = self.block_path(number);
        if !path.exists() {
            return Err(StoreError::UnknownBlock(number));
        }
        self.read_block_file(&path)
    }

    /// The oldest block that is neither proven nor handed out within the last `handout_timeout_ms`; marks
    /// it handed out. A gateway that died after a hand-out thus gets the block again later, and its enqueue
    /// is idempotent, so a block is never lost and never proven twice by design.
    pub fn hand_out(&mut self, handout_timeout_ms: u64) -> Result<Option<BlockWitness>, StoreError> {
        let now = now_ms();
        for number in self.block_numbers()? {
            let mut record = self.record(number)?;
            let due = match record.status {
                BlockStatus::Proven => false,
                BlockStatus::Produced => true,
                BlockStatus::HandedOut => {
                    record.handed_out_at_ms.is_none_or(|t| now.saturating_sub(t) >= handout_timeout_ms)
                }
            };
            if due {
                record.status = BlockStatus::HandedOut;
                record.handed_out_at_ms = Some(now);
                record.handouts += 1;
                self.write_record(&record)?;
                return Ok(Some(self.block(number)?));
            }
        }
        Ok(None)
    }

    /// Marks `number` proven by a proof whose bytes hash to `proof_blake3`.
    pub fn mark_proven(&mut self, number: u64, proof_blake3: String) -> Result<BlockRecord, StoreError> {
        let mut record = self.record(number)?;
        if record.status != BlockStatus::Proven {
            record.status = BlockStatus::Proven;
            record.proven_at_ms = Some(now_ms());
            record.proof_blake3 = Some(proof_blake3);
            self.write_record(&record)?;
        }
        Ok(record)
    }

    fn block_path(&self, number: u64) -> PathBuf {
        self.dir.join("blocks").join(format!("b{number:08}.block"))
    }

    fn record_path(&self, number: u64) -> PathBuf {
        self.dir.join("blocks").join(format!("b{number:08}.json"))
    }

    fn read_block_file(&self, path: &Path) -> Result<BlockWitness, StoreError> {
        let bytes = fs::read(path).map_err(io(path))?;
        decode(path, &bytes, BLOCK_INPUT)
    }

    fn write_record(&self, record: &BlockRecord) -> Result<(), StoreError> {
        let mut bytes = serde_json::to_vec_pretty(record).expect("a block record always serialises");
        bytes.push(b'\n');
        write_atomic(&self.record_path(record.number), &bytes)
    }

    fn write_state(&self) -> Result<(), StoreError> {
        let path = self.dir.join("state.bin");
        let bytes = encode(&path, SEQUENCER_STATE, &self.state)?;
        write_atomic(&path, &bytes)
    }
}

/// tmp → fsync → rename → fsync(dir).
fn write_atomic(path: &Path, bytes: &[u8]) -> Result<(), StoreError> {
    let dir = path.parent().expect("store paths have a parent");
    let tmp = dir.join(format!(".{}.tmp", path.file_name().unwrap().to_string_lossy()));
    let mut f = File::create(&tmp).map_err(io(&tmp))?;
    f.write_all(bytes).map_err(io(&tmp))?;
    f.sync_all().map_err(io(&tmp))?;
    drop(f);
    fs::rename(&tmp, path).map_err(io(path))?;
    File::open(dir).and_then(|d| d.sync_all()).map_err(io(dir))?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use frispool_rollup::BlockGenerator;

    #[test]
    fn produce_hand_out_prove_and_reopen() {
        let dir = tempfile::tempdir().unwrap();
        let mut store = Store::open(dir.path()).unwrap();
        let mut gen = BlockGenerator::new(7);
        for _ in 0..2 {
            let txs = gen.next_block(store.state(), 8);
            store.produce(txs).unwrap();
        }
        assert_eq!(store.block_numbers().unwrap(), vec![1, 2]);
        let first = store.hand_out(60_000).unwrap().unwrap();
        assert_eq!(first.header.number, 1);
        let second = store.hand_out(60_000).unwrap().unwrap();
        assert_eq!(second.header.number, 2);
        assert!(store.hand_out(60_000).unwrap().is_none(), "both are handed out and not yet due again");
        // A zero timeout hands the oldest unproven block out again.
        assert_eq!(store.hand_out(0).unwrap().unwrap().header.number, 1);
        store.mark_proven(1, "x".into()).unwrap();
        assert_eq!(store.hand_out(0).unwrap().unwrap().header.number, 2);

        let root = store.state().root();
        drop(store);
        let reopened = Store::open(dir.path()).unwrap();
        assert_eq!(reopened.state().root(), root);
        assert_eq!(reopened.record(1).unwrap().status, BlockStatus::Proven);
        assert_eq!(reopened.state().next_block_number(), 3);
    }

    #[test]
    fn a_block_written_before_a_crash_is_replayed() {
        let dir = tempfile::tempdir().unwrap();
        let mut store = Store::open(dir.path()).unwrap();
        let mut gen = BlockGenerator::new(9);
        let before = fs::read(dir.path().join("state.bin")).unwrap();
        let txs = gen.next_block(store.state(), 5);
        let witness = store.produce(txs).unwrap();
        drop(store);
        // Simulate the crash: the state write after the block file was lost.
        fs::write(dir.path().join("state.bin"), before).unwrap();
        let reopened = Store::open(dir.path()).unwrap();
        assert_eq!(reopened.state().root(), witness.header.new_root);
        assert_eq!(reopened.state().next_block_number(), 2);
    }

    #[test]
    fn a_corrupt_state_file_is_named() {
        let dir = tempfile::tempdir().unwrap();
        Store::open(dir.path()).unwrap();
        fs::write(dir.path().join("state.bin"), b"garbage").unwrap();
        let err = Store::open(dir.path()).err().unwrap().to_string();
        assert!(err.contains("state.bin"), "{err}");
    }
}
