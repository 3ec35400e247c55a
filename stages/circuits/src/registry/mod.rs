//! Basic circuit types as one trait ([`BasicType`]) and one ordered list of them ([`Registry`]).
//!
//! Everything that depends on which basic types a protocol has works from a registry: keygen (one basic
//! circuit and one leaf per type, the tip's slots, the scheduler's cross-checks), the witness rounds (a
//! block's instances and aggregation plan), `inspect` and the provers. Wire types carry a type by name and
//! its instance witness as an opaque payload, so no stage names a type. ARCHITECTURE.md, "Adding a circuit
//! type", walks through it.

mod basic_type;
mod circuit;
mod list;

pub use basic_type::BasicType;
pub(crate) use basic_type::ErasedType;
pub use circuit::BasicCircuit;
pub use list::{
    main_profile, sig_profile, Registry, RegistryError, TypeInstances, MAIN_PROFILE_VAR, MAX_MAIN_DEGREE_BITS,
    MAX_SIGS_PER_INSTANCE, MIN_MAIN_DEGREE_BITS, SIG_PROFILE_VAR,
};
