//! The on-disk form of a prover key (`keys/<circuit>.prover`, artifact kind `prover-key`), read in place from
//! its memory map: a key is hundreds of megabytes, and copying it out of the map would double the memory a
//! prover needs while loading.

use serde::Serialize;

/// A prover key as stored (artifact kind `prover-key`): which protocol and circuit, the circuit digest
/// (hex, as in the manifest), then plonky2's serialised `CircuitData`. The payload is this struct in
/// bincode-2 standard layout, which [`parse_prover_key`] reads in place so the large `data` stays in the
/// memory map instead of being copied out.
#[derive(Serialize)]
pub(crate) struct ProverKeyWire<'a> {
    pub protocol: &'a str,
    pub circuit: &'a str,
    pub digest: &'a str,
    pub data: RawBytes<'a>,
}

/// Bytes serialised as one length-prefixed run (serde's `serialize_bytes`), not element by element.
pub(crate) struct RawBytes<'a>(pub &'a [u8]);

impl Serialize for RawBytes<'_> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_bytes(self.0)
    }
}

/// The fields of a prover key payload, `data` borrowed from it.
#[derive(Debug)]
pub(crate) struct ProverKeyRef<'a> {
    pub protocol: &'a str,
    pub circuit: &'a str,
    pub digest: &'a str,
    pub data: &'a [u8],
}

/// Reads bincode-2's standard varint: one byte up to 250, else a marker (251/252/253) and a little-endian
/// u16/u32/u64.
fn take_varint(p: &mut &[u8]) -> Option<u64> {
    let (&first, rest) = p.split_first()?;
    let width = match first {
        0..=250 => {
            *p = rest;
            return Some(first as u64);
        }
        251 => 2,
        252 => 4,
        253 => 8,
        _ => return None,
    };
    let bytes = rest.get(..width)?;
    let mut le = [0u8; 8];
    le[..width].copy_from_slice(bytes);
    *p = &rest[width..];
    Some(u64::from_le_bytes(le))
}

fn take_bytes<'a>(p: &mut &'a [u8]) -> Option<&'a [u8]> {
    let n = usize::try_from(take_varint(p)?).ok()?;
    let (head, rest) = (p.get(..n)?, &p[n..]);
    *p = rest;
    Some(head)
}

/// Splits a prover key payload (see [`ProverKeyWire`]) without copying; `None` if it is not one.
pub(crate) fn parse_prover_key(payload: &[u8]) -> Option<ProverKeyRef<'_>> {
    let mut p = payload;
    let protocol = std::str::from_utf8(take_bytes(&mut p)?).ok()?;
    let circuit = std::str::from_utf8(take_bytes(&mut p)?).ok()?;
    let digest = std::str::from_utf8(take_bytes(&mut p)?).ok()?;
    let data = take_bytes(&mut p)?;
    p.is_empty().then_some(ProverKeyRef { protocol, circuit, digest, data })
}
