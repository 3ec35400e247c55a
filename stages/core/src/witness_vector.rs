//! A witness vector: every wire value of one proof, as the seed's witness-vector generator hands it to a GPU
//! prover. It is what plonky2's prover computes first (its generators, then `PartitionWitness::full_witness`)
//! and the only input the rest of a proof needs besides the circuit's prover data, so computing it on one
//! machine and proving on another yields the same proof as proving in one place.
//!
//! The encoding is raw little-endian words, so a reader can map it and hand the columns to a device:
//!
//! ```text
//! offset  size              field
//! 0       4                 magic "FSWV"
//! 4       4                 format (u32, ENCODING_FORMAT)
//! 8       32                circuit digest (4 × u64): which circuit's prover data proves it
//! 40      4                 degree_bits (u32)
//! 44      4                 num_wires (u32)
//! 48      4                 public inputs (u32)
//! 52      4                 zero
//! 56      8 × pis           public inputs
//! ...     8 × wires × 2^db  wire values, column by column
//! ```

use plonky2::field::polynomial::PolynomialValues;
use plonky2::field::types::{Field, Field64, PrimeField64};
use plonky2::hash::hash_types::HashOut;
use plonky2::iop::target::Target;
use plonky2::iop::witness::{PartialWitness, PartitionWitness, Witness, WitnessWrite};
use plonky2::plonk::circuit_data::{CommonCircuitData, ProverOnlyCircuitData};
use rayon::prelude::*;
use thiserror::Error;

use crate::{C, D, F};

/// Version of the encoding above; a reader refuses another.
pub const ENCODING_FORMAT: u32 = 1;
const MAGIC: &[u8; 4] = b"FSWV";
const HEADER: usize = 56;
/// A circuit larger than this is not one of frispool's (and a corrupt header must not allocate terabytes).
const MAX_DEGREE_BITS: u32 = 24;
const MAX_WIRES: u32 = 1 << 10;
const MAX_PUBLIC_INPUTS: u32 = 1 << 16;

#[derive(Debug, Error, PartialEq, Eq)]
pub enum WitnessVectorError {
    #[error("not a witness vector (magic {0:02x?})")]
    Magic([u8; 4]),
    #[error("witness vector format {found}, this build reads format {ENCODING_FORMAT}")]
    Format { found: u32 },
    #[error("witness vector header out of range: {0}")]
    Header(String),
    #[error("witness vector is {found} bytes, its header says {expected}")]
    Length { expected: usize, found: usize },
    #[error("word {index} of the witness vector is {value:#x}, not a field element")]
    NotCanonical { index: usize, value: u64 },
    #[error("the witness vector is for circuit {found}, not {expected}")]
    Circuit { expected: String, found: String },
    #[error("the witness vector has {found}, the circuit {expected}")]
    Shape { expected: String, found: String },
    #[error("witness generation failed: {0}")]
    Generate(String),
}

/// Every wire value of one proof of one circuit, and its public inputs.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct WitnessVector {
    /// The digest of the circuit whose prover data proves it (plonky2's `circuit_digest`).
    pub circuit_digest: HashOut<F>,
    pub degree_bits: usize,
    pub num_wires: usize,
    pub public_inputs: Vec<F>,
    /// `num_wires` columns of `2^degree_bits` rows, column after column; a wire nothing set is zero.
    pub wires: Vec<F>,
}

impl WitnessVector {
    /// Runs the circuit's witness generators on `inputs` (the random wires fixed, as every backend proves them)
    /// and reads every wire: step 1 of plonky2's prover.
    pub fn generate(
        prover: &ProverOnlyCircuitData<F, C, D>,
        common: &CommonCircuitData<F, D>,
        inputs: PartialWitness<F>,
    ) -> Result<WitnessVector, WitnessVectorError> {
        let pw = crate::reproducible_witness(inputs, prover, common)
            .map_err(|e| WitnessVectorError::Generate(e.to_string()))?;
        Ok(Self::of_partition(prover, common, &pw))
    }

    /// The witness vector of a partition witness whose generators already ran.
    pub fn of_partition(
        prover: &ProverOnlyCircuitData<F, C, D>,
        common: &CommonCircuitData<F, D>,
        pw: &PartitionWitness<'_, F>,
    ) -> WitnessVector {
        let degree = common.degree();
        let num_wires = common.config.num_wires;
        let wires = crate::wire_columns(pw).concat();
        debug_assert_eq!(wires.len(), num_wires * degree);
        WitnessVector {
            circuit_digest: prover.circuit_digest,
            degree_bits: common.degree_bits(),
            num_wires,
            public_inputs: pw.get_targets(&prover.public_inputs),
            wires,
        }
    }

    pub fn degree(&self) -> usize {
        1 << self.degree_bits
    }

    /// Column `col` (wire `col` of every row).
    pub fn column(&self, col: usize) -> &[F] {
        &self.wires[col * self.degree()..(col + 1) * self.degree()]
    }

    /// Every column, as the prover commits them.
    pub fn columns(&self) -> Vec<PolynomialValues<F>> {
        self.wires.chunks(self.degree()).map(|c| PolynomialValues::new(c.to_vec())).collect()
    }

    /// Refuses a vector of another circuit or shape than `prover` / `common`.
    pub fn check_circuit(
        &self,
        prover: &ProverOnlyCircuitData<F, C, D>,
        common: &CommonCircuitData<F, D>,
    ) -> Result<(), WitnessVectorError> {
        if self.circuit_digest != prover.circuit_digest {
            return Err(WitnessVectorError::Circuit {
                expected: digest_hex(&prover.circuit_digest),
                found: digest_hex(&self.circuit_digest),
            });
        }
        let want = (common.degree_bits(), common.config.num_wires, common.num_public_inputs);
        let got = (self.degree_bits, self.num_wires, self.public_inputs.len());
        if want != got || self.wires.len() != self.num_wires << self.degree_bits {
            let says = |(d, w, p): (usize, usize, usize)| format!("2^{d} rows, {w} wires, {p} public inputs");
            return Err(WitnessVectorError::Shape { expected: says(want), found: says(got) });
        }
        Ok(())
    }

    /// The partition witness plonky2's `prove_with_partition_witness` takes: every wire's value placed at
    /// its copy-constraint representative, the public inputs at theirs. Its `full_witness` is this vector.
    pub fn to_partition_witness<'a>(
        &self,
        prover: &'a ProverOnlyCircuitData<F, C, D>,
    ) -> Result<PartitionWitness<'a, F>, WitnessVectorError> {
        let degree = self.degree();
        let mut pw = PartitionWitness::new(self.num_wires, degree, &prover.representative_map);
        for col in 0..self.num_wires {
            for (row, &v) in self.column(col).iter().enumerate() {
                let rep = prover.representative_map[Target::wire(row, col).index(self.num_wires, degree)];
                pw.values[rep] = Some(v);
            }
        }
        for (&t, &v) in prover.public_inputs.iter().zip(&self.public_inputs) {
            // Set through the checked path: a public input whose wires disagree with it is a forged vector.
            pw.set_target(t, v).map_err(|e| WitnessVectorError::Generate(format!("public input {t:?}: {e:#}")))?;
        }
        Ok(pw)
    }

    /// Bytes in the layout of the module documentation.
    pub fn encode(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(HEADER + 8 * (self.public_inputs.len() + self.wires.len()));
        out.extend_from_slice(MAGIC);
        out.extend_from_slice(&ENCODING_FORMAT.to_le_bytes());
        for e in self.circuit_digest.elements {
            out.extend_from_slice(&e.to_canonical_u64().to_le_bytes());
        }
        for n in [self.degree_bits, self.num_wires, self.public_inputs.len(), 0] {
            out.extend_from_slice(&(n as u32).to_le_bytes());
        }
        for v in self.public_inputs.iter().chain(&self.wires) {
            out.extend_from_slice(&v.to_canonical_u64().to_le_bytes());
        }
        out
    }

    /// Reads [`Self::encode`]'s bytes, refusing a foreign, torn or corrupt vector.
    pub fn decode(bytes: &[u8]) -> Result<WitnessVector, WitnessVectorError> {
        if bytes.len() < HEADER {
            return Err(WitnessVectorError::Length { expected: HEADER, found: bytes.len() });
        }
        let magic: [u8; 4] = bytes[0..4].try_into().expect("4 bytes");
        if &magic != MAGIC {
            return Err(WitnessVectorError::Magic(magic));
        }
        let u32_at = |at: usize| u32::from_le_bytes(bytes[at..at + 4].try_into().expect("4 bytes"));
        let u64_at = |at: usize| u64::from_le_bytes(bytes[at..at + 8].try_into().expect("8 bytes"));
        let found = u32_at(4);
        if found != ENCODING_FORMAT {
            return Err(WitnessVectorError::Format { found });
        }
        let (degree_bits, num_wires, num_pis) = (u32_at(40), u32_at(44), u32_at(48));
        if degree_bits > MAX_DEGREE_BITS || num_wires > MAX_WIRES || num_pis > MAX_PUBLIC_INPUTS || u32_at(52) != 0 {
            return Err(WitnessVectorError::Header(format!(
                "2^{degree_bits} rows, {num_wires} wires, {num_pis} public inputs"
            )));
        }
        let words = num_pis as usize + ((num_wires as usize) << degree_bits);
        let expected = HEADER + 8 * words;
        if bytes.len() != expected {
            return Err(WitnessVectorError::Length { expected, found: bytes.len() });
        }
        let field = |index: usize, value: u64| {
            if value < F::ORDER {
                Ok(F::from_canonical_u64(value))
            } else {
                Err(WitnessVectorError::NotCanonical { index, value })
            }
        };
        let mut digest = [F::ZERO; 4];
        for (i, d) in digest.iter_mut().enumerate() {
            *d = field(i, u64_at(8 + 8 * i))?;
        }
        let values: Vec<F> = bytes[HEADER..]
            .par_chunks_exact(8)
            .enumerate()
            .map(|(i, w)| field(i, u64::from_le_bytes(w.try_into().expect("8 bytes"))))
            .collect::<Result<_, _>>()?;
        let (pis, wires) = values.split_at(num_pis as usize);
        Ok(WitnessVector {
            circuit_digest: HashOut { elements: digest },
            degree_bits: degree_bits as usize,
            num_wires: num_wires as usize,
            public_inputs: pis.to_vec(),
            wires: wires.to_vec(),
        })
    }
}

fn digest_hex(h: &HashOut<F>) -> String {
    h.elements.iter().map(|e| format!("{:016x}", e.to_canonical_u64())).collect()
}

#[cfg(test)]
mod tests {
    use plonky2::field::types::Sample;
    use plonky2::iop::witness::WitnessWrite;
    use plonky2::plonk::circuit_builder::CircuitBuilder;
    use plonky2::plonk::circuit_data::CircuitData;

    use super::*;
    use crate::circuit_config;

    /// x³ + x + 5 with x private and the result public: a few gates, copy constraints, a public input.
    fn circuit() -> (CircuitData<F, C, D>, plonky2::iop::target::Target) {
        let mut b = CircuitBuilder::<F, D>::new(circuit_config());
        let x = b.add_virtual_target();
        let x2 = b.mul(x, x);
        let x3 = b.mul(x2, x);
        let s = b.add(x3, x);
        let five = b.constant(F::from_canonical_u64(5));
        let y = b.add(s, five);
        b.register_public_input(y);
        (b.build::<C>(), x)
    }

    #[test]
    fn a_vector_proves_on_plonky2_through_its_partition_witness_and_round_trips_its_bytes() {
        let (data, x) = circuit();
        let mut inputs = PartialWitness::new();
        inputs.set_target(x, F::from_canonical_u64(3)).unwrap();
        let wv = WitnessVector::generate(&data.prover_only, &data.common, inputs).unwrap();
        assert_eq!(wv.public_inputs, vec![F::from_canonical_u64(35)]);
        wv.check_circuit(&data.prover_only, &data.common).unwrap();
        assert_eq!(WitnessVector::decode(&wv.encode()).unwrap(), wv);

        let pw = wv.to_partition_witness(&data.prover_only).unwrap();
        assert_eq!(WitnessVector::of_partition(&data.prover_only, &data.common, &pw), wv);
        let proof = plonky2::plonk::prover::prove_with_partition_witness::<F, C, D>(
            &data.prover_only,
            &data.common,
            pw,
            &mut plonky2::util::timing::TimingTree::default(),
        )
        .unwrap();
        assert_eq!(proof.public_inputs, wv.public_inputs);
        data.verify(proof).unwrap();
    }

    #[test]
    fn a_forged_public_input_or_a_wire_out_of_the_field_or_a_torn_vector_is_refused() {
        let (data, x) = circuit();
        let mut inputs = PartialWitness::new();
        inputs.set_target(x, F::rand()).unwrap();
        let wv = WitnessVector::generate(&data.prover_only, &data.common, inputs).unwrap();

        // The public input is copy-constrained to a wire: claiming another value conflicts.
        let mut forged = wv.clone();
        forged.public_inputs[0] += F::ONE;
        assert!(forged.to_partition_witness(&data.prover_only).is_err());

        let bytes = wv.encode();
        let mut bad = bytes.clone();
        bad[HEADER + 8..HEADER + 16].copy_from_slice(&u64::MAX.to_le_bytes());
        assert!(matches!(WitnessVector::decode(&bad), Err(WitnessVectorError::NotCanonical { .. })));
        assert!(matches!(WitnessVector::decode(&bytes[..bytes.len() - 8]), Err(WitnessVectorError::Length { .. })));
        assert!(matches!(
            WitnessVector::decode(b"FSWX and more bytes than a header has........................"),
            Err(WitnessVectorError::Magic(_))
        ));
        let mut other = wv.clone();
        other.circuit_digest.elements[0] += F::ONE;
        assert!(matches!(
            other.check_circuit(&data.prover_only, &data.common),
            Err(WitnessVectorError::Circuit { .. })
        ));
    }
}
