//! Artifacts: a fixed header (magic, format version, kind, payload length, blake3) followed by a
//! bincode-2 payload. Published write-once and read through mmap, header first.

use std::fmt;
use std::fs::{self, File};
use std::io;
use std::path::{Path, PathBuf};

use memmap2::Mmap;
use serde::de::DeserializeOwned;
use serde::Serialize;

use crate::fsx;
use crate::layout::Spool;
use crate::ticket::OutputRef;

pub const MAGIC: [u8; 8] = *b"FRSPOOL\x1a";
/// The header format this build writes; it reads `MIN_FORMAT..=FORMAT`.
pub const FORMAT: u16 = 1;
pub const MIN_FORMAT: u16 = 1;
pub const HEADER_LEN: usize = 64;

/// What an artifact holds: a number (in the header, on disk) and a name (in done tickets and messages). The
/// spool knows none: each stage declares its own kinds (`frispool_pipeline::kinds`, the sequencer's store,
/// [`crate::SYNTHETIC`]), and numbers must never be reused.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct ArtifactKind {
    number: u16,
    name: &'static str,
}

impl ArtifactKind {
    pub const fn new(number: u16, name: &'static str) -> ArtifactKind {
        ArtifactKind { number, name }
    }

    pub fn number(self) -> u16 {
        self.number
    }

    pub fn name(self) -> &'static str {
        self.name
    }

    /// The kind numbered `number` in `catalog`.
    pub fn find(catalog: &[ArtifactKind], number: u16) -> Option<ArtifactKind> {
        catalog.iter().copied().find(|k| k.number == number)
    }
}

impl fmt::Display for ArtifactKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name)
    }
}

/// The decoded, checked header.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Header {
    pub format: u16,
    /// The kind's number ([`ArtifactKind::number`]).
    pub kind: u16,
    pub payload_len: u64,
    pub blake3: [u8; 32],
}

#[derive(Debug, thiserror::Error)]
#[error("artifact {}: {problem}", path.display())]
pub struct ArtifactError {
    pub path: PathBuf,
    #[source]
    pub problem: ArtifactProblem,
}

#[derive(Debug, thiserror::Error)]
pub enum ArtifactProblem {
    #[error("i/o error")]
    Io(#[source] io::Error),
    #[error("truncated: {len} bytes, the header alone needs {HEADER_LEN}")]
    ShortHeader { len: u64 },
    #[error("not a frispool artifact (magic {found:02x?}, want {MAGIC:02x?})")]
    ForeignMagic { found: [u8; 8] },
    #[error("format version {found} is newer than this build reads (up to {FORMAT}): upgrade the reader")]
    FutureVersion { found: u16 },
    #[error("format version {found} is older than this build reads (from {MIN_FORMAT}): regenerate it")]
    OldVersion { found: u16 },
    #[error("header checksum mismatch (header damaged)")]
    HeaderChecksum,
    #[error("unknown artifact kind number {0}")]
    UnknownKind(u16),
    #[error("truncated or torn: header promises {want} payload bytes, file has {have}")]
    Truncated { want: u64, have: u64 },
    #[error("{extra} trailing bytes after the payload")]
    Trailing { extra: u64 },
    #[error("payload checksum mismatch: header says {want}, payload hashes to {have}")]
    PayloadChecksum { want: String, have: String },
    #[error("kind is number {found}, expected {want} (number {})", want.number())]
    WrongKind { want: ArtifactKind, found: u16 },
    #[error("payload does not decode as the expected type: {0}")]
    Decode(String),
    #[error("payload does not encode: {0}")]
    Encode(String),
    #[error("already published with different contents (artifacts are write-once)")]
    Conflict,
}

impl ArtifactError {
    fn new(path: &Path, problem: ArtifactProblem) -> ArtifactError {
        ArtifactError { path: path.to_path_buf(), problem }
    }

    /// False only for I/O errors: anything else will fail the same way on every retry.
    pub fn is_permanent(&self) -> bool {
        !matches!(self.problem, ArtifactProblem::Io(_))
    }

    /// The infrastructure fault behind an I/O error (a full disk, EIO, …): not the job's doing.
    pub fn infra(&self) -> Option<crate::fault::InfraFault> {
        match &self.problem {
            ArtifactProblem::Io(e) => crate::fault::InfraFault::of_io(e),
            _ => None,
        }
    }
}

fn io(path: &Path) -> impl FnOnce(io::Error) -> ArtifactError + '_ {
    move |e| ArtifactError::new(path, ArtifactProblem::Io(e))
}

impl Header {
    pub fn encode(&self) -> [u8; HEADER_LEN] {
        let mut h = [0u8; HEADER_LEN];
        h[0..8].copy_from_slice(&MAGIC);
        h[8..10].copy_from_slice(&self.format.to_le_bytes());
        h[10..12].copy_from_slice(&self.kind.to_le_bytes());
        // 12..16 reserved, zero.
        h[16..24].copy_from_slice(&self.payload_len.to_le_bytes());
        h[24..56].copy_from_slice(&self.blake3);
        let hc = blake3::hash(&h[..56]);
        h[56..64].copy_from_slice(&hc.as_bytes()[..8]);
        h
    }

    /// Checks magic, version and header checksum, in that order, so the error says the most useful thing
    /// (a foreign file is "foreign", not "bad checksum"). The kind is checked by whoever expects one.
    pub fn decode(path: &Path, bytes: &[u8]) -> Result<Header, ArtifactError> {
        let err = |p| Err(ArtifactError::new(path, p));
        if bytes.len() < HEADER_LEN {
            if bytes.len() >= 8 && bytes[..8] != MAGIC {
                return err(ArtifactProblem::ForeignMagic { found: bytes[..8].try_into().unwrap() });
            }
            return err(ArtifactProblem::ShortHeader { len: bytes.len() as u64 });
        }
        let magic: [u8; 8] = bytes[..8].try_into().unwrap();
        if magic != MAGIC {
            return err(ArtifactProblem::ForeignMagic { found: magic });
        }
        let format = u16::from_le_bytes([bytes[8], bytes[9]]);
        if format > FORMAT {
            return err(ArtifactProblem::FutureVersion { found: format });
        }
        if format < MIN_FORMAT {
            return err(ArtifactProblem::OldVersion { found: format });
        }
        if blake3::hash(&bytes[..56]).as_bytes()[..8] != bytes[56..64] {
            return err(ArtifactProblem::HeaderChecksum);
        }
        Ok(Header {
            format,
            kind: u16::from_le_bytes([bytes[10], bytes[11]]),
            payload_len: u64::from_le_bytes(bytes[16..24].try_into().unwrap()),
            blake3: bytes[24..56].try_into().unwrap(),
        })
    }
}

pub fn to_hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// A checked, memory-mapped artifact. The mapping is sound because artifacts are never changed
/// in place (write-once; the protocol never truncates or rewrites a published file).
pub struct MappedArtifact {
    pub path: PathBuf,
    pub header: Header,
    map: Option<Mmap>,
}

impl MappedArtifact {
    /// Maps `path` and checks the header, the length and the payload checksum.
    pub fn open(path: &Path) -> Result<MappedArtifact, ArtifactError> {
        let file = File::open(path).map_err(io(path))?;
        let len = file.metadata().map_err(io(path))?.len();
        if len == 0 {
            return Err(ArtifactError::new(path, ArtifactProblem::ShortHeader { len: 0 }));
        }
        // SAFETY: published artifacts are immutable (see type docs); a foreign writer changing the
        // file under us is outside the protocol, and we still verify every byte we use.
        let map = unsafe { Mmap::map(&file) }.map_err(io(path))?;
        let header = check_artifact(path, &map)?;
        Ok(MappedArtifact { path: path.to_path_buf(), header, map: Some(map) })
    }

    pub fn payload(&self) -> &[u8] {
        self.map.as_ref().map(|m| &m[HEADER_LEN..]).unwrap_or(&[])
    }

    pub fn expect_kind(&self, want: ArtifactKind) -> Result<(), ArtifactError> {
        if self.header.kind != want.number() {
            return Err(ArtifactError::new(&self.path, ArtifactProblem::WrongKind { want, found: self.header.kind }));
        }
        Ok(())
    }

    /// The artifact's kind as `catalog` names it; a number the catalog lacks is an `UnknownKind` error.
    pub fn kind_in(&self, catalog: &[ArtifactKind]) -> Result<ArtifactKind, ArtifactError> {
        ArtifactKind::find(catalog, self.header.kind)
            .ok_or_else(|| ArtifactError::new(&self.path, ArtifactProblem::UnknownKind(self.header.kind)))
    }

    pub fn decode<T: DeserializeOwned>(&self, want: ArtifactKind) -> Result<T, ArtifactError> {
        self.expect_kind(want)?;
        decode_payload(&self.path, self.payload())
    }
}

/// Checks a whole artifact held in memory (header, length, payload checksum) and returns its header.
pub fn check_artifact(path: &Path, bytes: &[u8]) -> Result<Header, ArtifactError> {
    let header = Header::decode(path, bytes)?;
    let have = (bytes.len() - HEADER_LEN) as u64;
    if have < header.payload_len {
        return Err(ArtifactError::new(path, ArtifactProblem::Truncated { want: header.payload_len, have }));
    }
    if have > header.payload_len {
        return Err(ArtifactError::new(path, ArtifactProblem::Trailing { extra: have - header.payload_len }));
    }
    let got = blake3::hash(&bytes[HEADER_LEN..]);
    if got.as_bytes() != &header.blake3 {
        return Err(ArtifactError::new(
            path,
            ArtifactProblem::PayloadChecksum { want: to_hex(&header.blake3), have: got.to_hex().to_string() },
        ));
    }
    Ok(header)
}

/// Checks and decodes a whole artifact held in memory (an HTTP body, say); `path` names it in errors.
pub fn decode_artifact<T: DeserializeOwned>(path: &Path, bytes: &[u8], kind: ArtifactKind) -> Result<T, ArtifactError> {
    let header = check_artifact(path, bytes)?;
    if header.kind != kind.number() {
        return Err(ArtifactError::new(path, ArtifactProblem::WrongKind { want: kind, found: header.kind }));
    }
    decode_payload(path, &bytes[HEADER_LEN..])
}

fn decode_payload<T: DeserializeOwned>(path: &Path, payload: &[u8]) -> Result<T, ArtifactError> {
    let (v, used) = bincode::serde::decode_from_slice::<T, _>(payload, bincode::config::standard())
        .map_err(|e| ArtifactError::new(path, ArtifactProblem::Decode(e.to_string())))?;
    if used != payload.len() {
        let msg = format!("{} of {} payload bytes left over", payload.len() - used, payload.len());
        return Err(ArtifactError::new(path, ArtifactProblem::Decode(msg)));
    }
    Ok(v)
}

/// Writes a file outside the artifact tree (keys) write-once: tmp beside it → fsync → link without
/// overwriting → fsync the folder. Identical bytes already there are fine; different bytes a `Conflict`.
pub fn write_file_once(path: &Path, bytes: &[u8]) -> Result<(), ArtifactError> {
    let dir = path.parent().expect("key paths have a parent");
    let tmp = dir.join(format!(
        ".{}.{}",
        path.file_name().map(|n| n.to_string_lossy()).unwrap_or_default(),
        fsx::unique_name()
    ));
    fsx::write_new_synced(&tmp, bytes).map_err(io(&tmp))?;
    link_staged(&tmp, path, bytes)?;
    fsx::fsync_dir(dir).map_err(io(dir))
}

/// Reads and decodes an artifact of the expected kind.
pub fn read_artifact<T: DeserializeOwned>(path: &Path, kind: ArtifactKind) -> Result<T, ArtifactError> {
    MappedArtifact::open(path)?.decode(kind)
}

pub fn encode_artifact<T: Serialize>(path: &Path, kind: ArtifactKind, value: &T) -> Result<Vec<u8>, ArtifactError> {
    let payload = bincode::serde::encode_to_vec(value, bincode::config::standard())
        .map_err(|e| ArtifactError::new(path, ArtifactProblem::Encode(e.to_string())))?;
    let header = Header {
        format: FORMAT,
        kind: kind.number(),
        payload_len: payload.len() as u64,
        blake3: *blake3::hash(&payload).as_bytes(),
    };
    let mut bytes = Vec::with_capacity(HEADER_LEN + payload.len());
    bytes.extend_from_slice(&header.encode());
    bytes.extend_from_slice(&payload);
    Ok(bytes)
}

impl Spool {
    /// Publishes `value` at `rel` (relative to the spool root), write-once: tmp → fsync → link
    /// (never overwrites) → fsync the directory. Publishing identical bytes again succeeds (a
    /// retried job); different bytes are a `Conflict`.
    pub fn publish<T: Serialize>(&self, rel: &str, kind: ArtifactKind, value: &T) -> Result<OutputRef, ArtifactError> {
        let path = self
            .resolve(rel)
            .map_err(|e| ArtifactError::new(Path::new(rel), ArtifactProblem::Encode(e.to_string())))?;
        let bytes = encode_artifact(&path, kind, value)?;
        self.publish_bytes(&path, &bytes)?;
        Ok(OutputRef {
            path: rel.to_string(),
            kind: kind.name().to_string(),
            bytes: bytes.len() as u64,
            blake3: to_hex(&bytes[24..56]),
        })
    }

    /// Publishes an artifact of `kind` that arrived whole (an HTTP body) after checking its header, kind and
    /// checksum.
    pub fn publish_raw(&self, rel: &str, kind: ArtifactKind, bytes: &[u8]) -> Result<OutputRef, ArtifactError> {
        let path = self
            .resolve(rel)
            .map_err(|e| ArtifactError::new(Path::new(rel), ArtifactProblem::Encode(e.to_string())))?;
        let header = check_artifact(&path, bytes)?;
        if header.kind != kind.number() {
            return Err(ArtifactError::new(&path, ArtifactProblem::WrongKind { want: kind, found: header.kind }));
        }
        self.publish_bytes(&path, bytes)?;
        Ok(OutputRef {
            path: rel.to_string(),
            kind: kind.name().to_string(),
            bytes: bytes.len() as u64,
            blake3: to_hex(&header.blake3),
        })
    }

    /// Whether the artifact at `rel` has been published (a stale view on NFS may say no for a while).
    pub fn artifact_exists(&self, rel: &str) -> bool {
        self.resolve(rel).map(|p| p.is_file()).unwrap_or(false)
    }

    fn publish_bytes(&self, path: &Path, bytes: &[u8]) -> Result<(), ArtifactError> {
        let (tmp, file) = self.stage_bytes(path, bytes)?;
        // Step 4, with both fsyncs shared with the process's other threads (step 11).
        if let Err((_, e)) = self.sync(std::iter::once((tmp.as_path(), &file)), &[]) {
            let _ = fs::remove_file(&tmp);
            return Err(io(&tmp)(e));
        }
        link_staged(&tmp, path, bytes)?;
        let dir = path.parent().expect("artifact paths have a parent").to_path_buf();
        self.sync(std::iter::empty(), std::slice::from_ref(&dir)).map_err(|(p, e)| io(&p)(e))
    }

    /// Writes `bytes` to a fresh name in `artifacts/tmp/` (not yet fsynced) and makes sure the
    /// target's block folder exists durably.
    fn stage_bytes(&self, path: &Path, bytes: &[u8]) -> Result<(PathBuf, File), ArtifactError> {
        let dir = path.parent().expect("artifact paths have a parent");
        if !dir.is_dir() {
            fs::create_dir_all(dir).map_err(io(dir))?;
            // The new block folder must be durable before a ticket can point into it.
            fsx::fsync_dir(dir.parent().unwrap_or(dir)).map_err(io(dir))?;
        }
        let tmp = self.artifact_tmp_dir().join(fsx::unique_name());
        match fsx::write_new(&tmp, bytes) {
            Ok(f) => Ok((tmp, f)),
            Err(e) => {
                let _ = fs::remove_file(&tmp);
                Err(io(&tmp)(e))
            }
        }
    }
}

/// Links a staged (already fsynced) artifact into place without overwriting and drops the tmp name.
/// Identical bytes already there are fine (a retried job); different bytes are a `Conflict`.
fn link_staged(tmp: &Path, path: &Path, bytes: &[u8]) -> Result<(), ArtifactError> {
    let linked = fsx::link_noclobber(tmp, path).map_err(io(path));
    let _ = fs::remove_file(tmp);
    if !linked? {
        let existing = fs::read(path).map_err(io(path))?;
        if existing != bytes {
            return Err(ArtifactError::new(path, ArtifactProblem::Conflict));
        }
    }
    Ok(())
}

/// The outputs of one job, in the order the handler published them: the done ticket lists them.
/// Each is published like [`Spool::publish`] — durable, name included, when `write` returns — because
/// other workers act on an output as soon as they see it (a prover unblocks a group when every input
/// proof exists).
pub struct OutputBatch<'s> {
    spool: &'s Spool,
    refs: Vec<OutputRef>,
}

impl<'s> OutputBatch<'s> {
    pub fn new(spool: &'s Spool) -> OutputBatch<'s> {
        OutputBatch { spool, refs: Vec::new() }
    }

    pub fn write<T: Serialize>(
        &mut self,
        rel: &str,
        kind: ArtifactKind,
        value: &T,
    ) -> Result<OutputRef, ArtifactError> {
        let out = self.spool.publish(rel, kind, value)?;
        self.refs.push(out.clone());
        Ok(out)
    }

    pub(crate) fn into_refs(self) -> Vec<OutputRef> {
        self.refs
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SYNTH: ArtifactKind = crate::SYNTHETIC;
    const PROOF: ArtifactKind = ArtifactKind::new(4, "proof");

    fn setup() -> (tempfile::TempDir, Spool) {
        let d = tempfile::tempdir().unwrap();
        let s = Spool::init(d.path(), &[]).unwrap();
        (d, s)
    }

    #[test]
    fn publish_read_and_write_once() {
        let (_d, s) = setup();
        let out = s.publish("artifacts/b00000001/x", SYNTH, &(7u64, "hi".to_string())).unwrap();
        let p = s.resolve(&out.path).unwrap();
        let v: (u64, String) = read_artifact(&p, SYNTH).unwrap();
        assert_eq!(v, (7, "hi".into()));
        s.publish("artifacts/b00000001/x", SYNTH, &(7u64, "hi".to_string())).unwrap();
        let e = s.publish("artifacts/b00000001/x", SYNTH, &(8u64, "hi".to_string())).unwrap_err();
        assert!(matches!(e.problem, ArtifactProblem::Conflict), "{e}");
        let e = read_artifact::<(u64, String)>(&p, PROOF).unwrap_err();
        assert!(e.to_string().contains("expected proof"), "{e}");
        assert_eq!(fs::read_dir(s.artifact_tmp_dir()).unwrap().count(), 0);
    }

    #[test]
    fn refuses_damaged_files() {
        let (_d, s) = setup();
        let out = s.publish("artifacts/b00000001/x", SYNTH, &vec![1u8; 100]).unwrap();
        let p = s.resolve(&out.path).unwrap();
        let good = fs::read(&p).unwrap();
        let check = |bytes: &[u8], needle: &str| {
            let q = p.with_file_name("damaged");
            let _ = fs::remove_file(&q);
            fs::write(&q, bytes).unwrap();
            let e = MappedArtifact::open(&q).map(|_| ()).unwrap_err().to_string();
            assert!(e.contains(needle) && e.contains("damaged"), "want {needle}: {e}");
        };
        check(&good[..good.len() - 1], "truncated");
        check(&good[..30], "truncated");
        check(&[], "truncated");
        let mut flip = good.clone();
        flip[HEADER_LEN + 50] ^= 1;
        check(&flip, "payload checksum mismatch");
        let mut flip = good.clone();
        flip[20] ^= 1;
        check(&flip, "header checksum");
        check(
            b"#!/bin/sh\necho this is not an artifact, but long enough to have a header......",
            "not a frispool artifact",
        );
        let mut future = good.clone();
        future[8..10].copy_from_slice(&(FORMAT + 1).to_le_bytes());
        check(&future, "newer than this build");
        let mut longer = good.clone();
        longer.push(0);
        check(&longer, "trailing");
    }
}
