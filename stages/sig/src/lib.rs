//! ECgFp5 and Schnorr signatures, natively and as plonky2 circuits: the `sig` circuit type.
//!
//! What is here:
//! - GF(p^5) = GF(p)[z]/(z^5 - 3) over the Goldilocks prime: plonky2's `QuinticExtension<GoldilocksField>`
//!   ([`Fp5`]) plus the Legendre symbol, square root and canonical limb conversion ECgFp5 needs;
//! - the ECgFp5 group (T. Pornin, 2022; y^2 = x (x^2 + 2 x + 263 z), prime order n ~ 2^319): [`Point`] with the
//!   complete (x, u) formulas, scalar multiplication, the encoding w = y/x and validating decoding;
//! - [`Scalar`]: integers modulo n;
//! - Schnorr signatures ([`SecretKey`], [`PublicKey`], [`Signature`], [`verify`]) with the challenge
//!   e = Poseidon(r ‖ encode(PK) ‖ m) ([`challenge`]) over a fixed-length [`Message`] of [`MESSAGE_LEN`]
//!   Goldilocks elements.
//!
//! The `sig` circuit (plonky2, `CircuitBuilder<GoldilocksField, 2>`, Poseidon configuration), which checks
//! the statement of native [`verify`] bit for bit:
//! - GF(p^5) targets ([`Fp5Target`], [`Fp5Expr`]): sums of products emitted as `ArithmeticGate` chains, every
//!   linear term riding along a product's operation; inverse-free checks (a witnessed quotient or inverse and
//!   a product constraint);
//! - points ([`PointTarget`]): `curve.rs`'s complete add and double, coordinate for coordinate; the public key
//!   from its encoding w and the hints x, 1/w, sqrt(7 x) ([`assert_encoded_on_curve`]: w != 0, on the curve,
//!   x the non-square root that native decoding keeps; no square root in the circuit);
//! - s G - e PK by one joint double-and-add, two bits of each scalar per step, the addend chosen from the
//!   16 affine points i G - j PK (constants and witnessed hints checked against the computed points,
//!   [`generator_mul_minus`], [`table_hints`]);
//! - [`verify_schnorr_circuit`]: e from the same `hash_no_pad` over r ‖ pk ‖ m ([`CHALLENGE_INPUT_LEN`]
//!   elements), split canonically into 256 bits; s from ten 32-bit halves, range-checked s < n; r U = T on the
//!   result (encode = r, and a neutral result refused, as [`verify`] refuses it);
//! - [`SigCircuit`] / [`build_sig_circuit`]: a fixed number of signatures per instance, public inputs the
//!   running hash ([`running_hash`]: Poseidon(h ‖ pk ‖ m)) before and after ([`SIG_PI_START`],
//!   [`SIG_PI_END`]), unused slots padded with a fixed valid signature and left out of the chain; witnesses
//!   from native values ([`SigInstance`], [`SigSlot`]);
//! - one custom gate, [`WindowStepGate`]: a whole step of the double-and-add (A' = 4 A + Q) in one row, its
//!   formulas written once over a ring (`gate_ring.rs`) for plonky2's three evaluations and the generator. A
//!   circuit with it serializes with [`SigGateSerializer`] / [`SigGeneratorSerializer`] (plonky2's defaults
//!   plus the gate and its generator).
//!
//! Measured (`cargo run --release -p frispool-sig --example sig_rows -- K`, the project's 2-core AMD EPYC VM,
//! shared, a build running beside it): about 770 rows per signature, 10 ([`SIG_DEFAULT_CAPACITY`]) in 2^13
//! rows (7 683), proven in 3.9 s (0.39 s a signature); 20 in 2^14 (7.3 s), 40 in 2^15 (15.1 s). Before the
//! gate, with every GF(p^5) product on `ArithmeticGate`: 6 540 rows a signature, one in 2^13 proven in
//! 5.4–7.3 s.
//!
//! No dependency on any other frispool crate, so both the rollup model and the circuits can use it.

mod circuit_fp5;
mod circuit_msm;
mod circuit_point;
mod circuit_schnorr;
mod curve;
mod encoding;
mod error;
mod field5;
mod gate_ring;
mod gate_window;
mod scalar;
mod schnorr;
mod serialization;
mod sig_circuit;

pub use circuit_fp5::{Builder, Fp5Expr, Fp5Target};
pub use circuit_msm::{generator_mul_minus, table_hints, AffineTarget, TABLE_HINTS};
pub use circuit_point::{assert_encoded_on_curve, non_square_hint, PointTarget};
pub use circuit_schnorr::{challenge_bits, verify_schnorr_circuit, PublicKeyTarget, SignatureTarget, E_BITS, S_BITS};
pub use curve::{Point, CURVE_A, CURVE_B_Z};
pub use encoding::ENCODED_POINT_BYTES;
pub use error::SigError;
pub use field5::{fp5_from_canonical_limbs, fp5_to_fields, fp5_to_limbs, legendre, sqrt, Fp5, F, P};
pub use gate_ring::Ring;
pub use gate_window::{
    window_step, window_step_constraints, WindowStepGate, WindowStepGenerator, WINDOW_STEP_CONSTRAINTS,
};
pub use scalar::Scalar;
pub use schnorr::{challenge, verify, Message, PublicKey, SecretKey, Signature, CHALLENGE_INPUT_LEN, MESSAGE_LEN};
pub use serialization::{SigGateSerializer, SigGeneratorSerializer};
pub use sig_circuit::{
    build_sig_chain, build_sig_circuit, chain_hash, running_hash, SigCircuit, SigCircuitTargets, SigConfig,
    SigInstance, SigProof, SigSlot, SIG_DEFAULT_CAPACITY, SIG_PI_END, SIG_PI_START, SIG_PUBLIC_INPUTS,
};
