//! Typed errors of the aggregation crate.

use frispool_core::CircuitType;

/// plonky2 reports its failures as `anyhow::Error`; boxed here so they stay a real `source()`.
pub type BoxError = Box<dyn std::error::Error + Send + Sync + 'static>;

#[derive(Debug, thiserror::Error)]
pub enum AggError {
    #[error("a {circuit} proof takes 1..={max} inner proofs, got {got}")]
    Arity { circuit: &'static str, max: usize, got: usize },

    #[error("an inner proof of the {circuit} has {got} public inputs, expected {expected}")]
    PublicInputs { circuit: &'static str, expected: usize, got: usize },

    #[error("inner proofs of the {circuit} do not chain: {reason}")]
    Chain { circuit: &'static str, reason: String },

    #[error("no circuit types given: aggregation needs at least one")]
    NoTypes,

    #[error("circuit type {0} (id {id}) shares its id or name with another type", id = .0.id())]
    DuplicateType(CircuitType),

    #[error("circuit type {0} has no key here")]
    UnknownType(CircuitType),

    #[error("the scheduler needs circuit type main among the tip's types")]
    MainMissing,

    #[error(
        "circuit type {0} agrees with main on nothing at the end of a block; refusing to build a scheduler that \
         would accept its proofs unchecked"
    )]
    CrossTypeCheckMissing(CircuitType),

    #[error("the chain binding of circuit type {0} names an element outside a chained state")]
    BindingOutOfBounds(CircuitType),

    #[error("the scheduler got {bindings} chain bindings for a tip of {types} circuit types")]
    BindingCount { types: usize, bindings: usize },

    #[error("no aggregation plan for zero instances of {0}")]
    NoInstances(CircuitType),

    #[error("the leaf and node circuits did not settle on one shape after {0} rounds")]
    ShapeNotConverged(usize),

    #[error("the {circuit} circuit came out with another shape than the common aggregation shape: {detail}")]
    ShapeMismatch { circuit: &'static str, detail: String },

    #[error("loaded {circuit} key does not fit this build's {circuit} circuit: {detail}")]
    KeyMismatch { circuit: &'static str, detail: String },

    #[error("setting the witness of the {circuit} failed")]
    Witness {
        circuit: &'static str,
        #[source]
        source: BoxError,
    },

    #[error("proving the {circuit} failed")]
    Prove {
        circuit: &'static str,
        #[source]
        source: BoxError,
    },
}

pub type Result<T, E = AggError> = std::result::Result<T, E>;

pub(crate) fn witness_err<E: Into<BoxError>>(circuit: &'static str) -> impl FnOnce(E) -> AggError {
    move |e| AggError::Witness { circuit, source: e.into() }
}

/// One aggregation key, to say which file a loaded key came from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AggKey {
    Leaf(CircuitType),
    Node,
    Tip,
    Scheduler,
}

/// Loading the aggregation keys failed on `key` (`None`: on no key in particular, e.g. the basic types).
#[derive(Debug, thiserror::Error)]
#[error("loading the aggregation keys ({key:?})")]
pub struct KeyLoadError {
    pub key: Option<AggKey>,
    #[source]
    pub source: AggError,
}
