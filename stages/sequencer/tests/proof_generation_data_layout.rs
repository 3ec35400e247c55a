//! The byte layout that openapi.json's `ProofGenerationData` spells out, checked against the bytes this build
//! sends: a decoder written from the document's words alone (no bincode, no serde) reads a real block, field
//! by field, and must find every value of the block where the document says it is. If the payload's layout
//! changes, this fails, and the format version and the document must change with it.

use frispool_rollup::{BlockGenerator, BlockWitness, Digest, Signature, Tx};
use frispool_sequencer::{Store, BLOCK_INPUT, PROOF_GENERATION_DATA_VERSION};
use plonky2::field::goldilocks_field::GoldilocksField as F;
use plonky2::field::types::{Field, Field64, PrimeField64};

/// Reads the document's encodings: "an unsigned integer is one byte if below 251, else the byte 251 then a
/// u16, 252 then a u32, or 253 then a u64 (little-endian)".
struct Reader<'a> {
    bytes: &'a [u8],
    at: usize,
}

impl Reader<'_> {
    fn take(&mut self, n: usize) -> &[u8] {
        let out = &self.bytes[self.at..self.at + n];
        self.at += n;
        out
    }
    fn uint(&mut self) -> u64 {
        match self.take(1)[0] {
            b @ 0..=250 => b as u64,
            251 => u16::from_le_bytes(self.take(2).try_into().unwrap()) as u64,
            252 => u32::from_le_bytes(self.take(4).try_into().unwrap()) as u64,
            253 => u64::from_le_bytes(self.take(8).try_into().unwrap()),
            b => panic!("byte {b} starts no unsigned integer the document describes (at {})", self.at - 1),
        }
    }
    fn field(&mut self) -> u64 {
        self.uint()
    }
    fn option(&mut self) -> bool {
        match self.take(1)[0] {
            0 => false,
            1 => true,
            b => panic!("option tag {b} at {}", self.at - 1),
        }
    }
    fn digest(&mut self, want: &Digest, what: &str) {
        for (i, e) in want.elements.iter().enumerate() {
            assert_eq!(self.field(), e.to_canonical_u64(), "{what}.elements[{i}]");
        }
    }
    fn pubkey(&mut self, want: &[F; 5], what: &str) {
        for (i, e) in want.iter().enumerate() {
            assert_eq!(self.field(), e.to_canonical_u64(), "{what}[{i}]");
        }
    }
}

fn check_payload(payload: &[u8], block: &BlockWitness) {
    let mut r = Reader { bytes: payload, at: 0 };
    let h = &block.header;
    assert_eq!(r.uint(), h.number, "header.number");
    r.digest(&h.prev_root, "header.prev_root");
    r.digest(&h.new_root, "header.new_root");
    r.digest(&h.tx_hash, "header.tx_hash");
    r.digest(&h.withdrawals_hash, "header.withdrawals_hash");
    assert_eq!(r.uint(), h.tx_count, "header.tx_count");
    assert_eq!(r.uint(), block.transactions.len() as u64, "transactions: list length");
    for (i, stx) in block.transactions.iter().enumerate() {
        let variant = r.uint();
        match stx.tx {
            Tx::Noop => assert_eq!(variant, 0, "tx {i}"),
            Tx::Deposit { to, amount, pubkey } => {
                assert_eq!(variant, 1, "tx {i}");
                assert_eq!((r.uint(), r.uint()), (to as u64, amount), "tx {i}: deposit to, amount");
                r.pubkey(&pubkey, &format!("tx {i}: deposit pubkey"));
            }
            Tx::Transfer { from, to, amount, nonce } => {
                assert_eq!(variant, 2, "tx {i}");
                let got = (r.uint(), r.uint(), r.uint(), r.uint());
                assert_eq!(got, (from as u64, to as u64, amount, nonce), "tx {i}: transfer");
            }
            Tx::Withdrawal { from, amount, nonce } => {
                assert_eq!(variant, 3, "tx {i}");
                assert_eq!((r.uint(), r.uint(), r.uint()), (from as u64, amount, nonce), "tx {i}: withdrawal");
            }
        }
        assert_eq!(r.option(), stx.signature.is_some(), "tx {i}: signature present");
        if let Some(sig) = &stx.signature {
            r.pubkey(&sig.r, &format!("tx {i}: signature.r"));
            for (j, limb) in sig.s.iter().enumerate() {
                assert_eq!(r.uint(), *limb, "tx {i}: signature.s[{j}]");
            }
        }
    }
    assert_eq!(r.uint(), block.witnesses.len() as u64, "witnesses: list length");
    for (i, w) in block.witnesses.iter().enumerate() {
        for (role, aw) in [("sender", &w.sender), ("receiver", &w.receiver)] {
            assert_eq!(r.option(), aw.is_some(), "witness {i}: {role} present");
            let Some(aw) = aw else { continue };
            assert_eq!(r.uint(), aw.index as u64, "witness {i}: {role}.index");
            r.pubkey(&aw.account.pubkey, &format!("witness {i}: {role}.account.pubkey"));
            assert_eq!((r.uint(), r.uint()), (aw.account.balance, aw.account.nonce), "witness {i}: {role} account");
            assert_eq!(r.uint(), 32, "witness {i}: {role}.siblings: list length");
            assert_eq!(aw.siblings.len(), 32);
            for (j, s) in aw.siblings.iter().enumerate() {
                r.digest(s, &format!("witness {i}: {role}.siblings[{j}]"));
            }
        }
    }
    assert_eq!(r.at, payload.len(), "bytes left over after the last field the document names");
}

#[test]
fn the_document_describes_the_bytes_of_a_real_block() {
    assert_eq!(PROOF_GENERATION_DATA_VERSION, 2, "a new format version needs this decoder rewritten from the document");
    let dir = tempfile::tempdir().unwrap();
    let mut store = Store::open(dir.path()).unwrap();
    let txs = BlockGenerator::new(11).next_block(store.state(), 16);
    let number = store.produce(txs).unwrap().header.number;
    let mut block = store.block(number).unwrap();
    let kinds: Vec<u64> = block.transactions.iter().map(|t| t.tx.kind().code()).collect();
    assert!((1..=3).all(|k| kinds.contains(&k)), "the block should hold every kind of transaction: {kinds:?}");
    assert!(block.transactions.iter().all(|t| t.signature.is_some() == t.tx.sender().is_some()), "signed as produced");
    // Transfers and withdrawals are signed; give transaction 1 a signature of large field elements and limbs
    // (its validity is no matter here) so that every integer prefix (251, 252, 253) is read too.
    let big = F::from_canonical_u64(F::ORDER - 1);
    block.transactions[1].signature = Some(Signature { r: [big; 5], s: [0, 250, 251, 65_536, u64::MAX] });

    let bytes = frispool_spool::encode_artifact(std::path::Path::new("body"), BLOCK_INPUT, &block).unwrap();
    // The header: "bytes 16..24 the payload length in bytes, u64; 24..56 blake3 of the payload".
    let payload = &bytes[64..];
    assert_eq!(u64::from_le_bytes(bytes[16..24].try_into().unwrap()), payload.len() as u64);
    assert_eq!(&bytes[24..56], blake3::hash(payload).as_bytes());
    assert_eq!(&bytes[56..64], &blake3::hash(&bytes[..56]).as_bytes()[..8]);
    assert_eq!(&bytes[12..16], &[0; 4]);
    check_payload(payload, &block);
}
