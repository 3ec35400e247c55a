//! The one error type of this crate: every way an encoding, a key or a signature can be refused.

use thiserror::Error;

#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum SigError {
    /// A limb of a GF(p^5) element is not below the Goldilocks prime.
    #[error("limb {index} of a field element is not canonical: {value} >= p")]
    NonCanonicalLimb { index: usize, value: u64 },
    /// A scalar's integer value is not below the group order n.
    #[error("scalar is not canonical: its value is >= the group order n")]
    NonCanonicalScalar,
    /// An input has the wrong number of bytes.
    #[error("expected {expected} bytes, got {got}")]
    WrongLength { expected: usize, got: usize },
    /// The field element is not the encoding of any point of the group.
    #[error("not the encoding of an ECgFp5 point")]
    NotAPoint,
    /// The public key is the neutral point (the key of secret 0, which anyone can sign for).
    #[error("the public key is the neutral point")]
    NeutralPublicKey,
    /// A secret key of value zero.
    #[error("the secret key is zero")]
    ZeroSecretKey,
    /// The signature does not verify under this key and message.
    #[error("signature does not verify")]
    BadSignature,
    /// A circuit witness could not be set (a target given two different values).
    #[error("circuit witness: {0}")]
    Witness(String),
    /// More signatures than an instance of the `sig` circuit has slots.
    #[error("{got} signatures do not fit an instance of {capacity} slots")]
    TooManySignatures { capacity: usize, got: usize },
    /// plonky2 refused to prove (an unsatisfiable witness) or the proof did not verify.
    #[error("proving failed: {0}")]
    Prove(String),
}
