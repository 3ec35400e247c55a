//! The ordered list of a protocol's basic circuit types.

use std::sync::Arc;

use frispool_core::{ChainBinding, CircuitType};
use frispool_rollup::ExecutedBlock;
use thiserror::Error;

use super::{BasicType, ErasedType};
use crate::basic::main::MainType;
use crate::basic::sig::{SigType, SIGS_PER_INSTANCE};
use crate::error::CircuitError;

/// Why a type was not registered.
#[derive(Debug, Error)]
pub enum RegistryError {
    #[error("circuit type {new} has the id of {registered}")]
    DuplicateId { new: CircuitType, registered: CircuitType },
    #[error("circuit type {0} is registered already")]
    DuplicateName(CircuitType),
    /// The name is a job-key field and part of key file names: 1 to 16 of `a-z 0-9 -`, and none of the
    /// names the aggregation circuits and job keys use.
    #[error("circuit type name {0:?} is not 1 to 16 of a-z, 0-9 and -, or is reserved")]
    BadName(&'static str),
    #[error("{MAIN_PROFILE_VAR}={0:?}: expected the rows of a main instance as a power of two, {MIN_MAIN_DEGREE_BITS} to {MAX_MAIN_DEGREE_BITS}")]
    BadMainProfile(String),
    #[error("{SIG_PROFILE_VAR}={0:?}: expected a number of signatures per sig instance, 0 (no sig) to {MAX_SIGS_PER_INSTANCE}")]
    BadProfile(String),
}

/// One type's instances of a block: encoded witness payloads, in chain order.
pub type TypeInstances = (CircuitType, Vec<Vec<u8>>);

/// Names other circuits or job keys already use.
const RESERVED: [&str; 5] = ["all", "node", "tip", "scheduler", "final"];

/// A protocol's basic circuit types, in the tip's slot order. Cheap to clone (the types are shared).
#[derive(Clone)]
pub struct Registry {
    types: Vec<Arc<dyn ErasedType>>,
}

/// The keygen profile's variable: `K` registers `sig` with K signatures an instance after `main`; unset, K is
/// [`SIGS_PER_INSTANCE`] (10, a 2^13 instance); `0` leaves `sig` out, a protocol whose proofs say nothing
/// about who authorised a transaction (for measuring `main` alone). Every process of one pipeline (sequencer, stages, `frispool keygen`)
/// must see the same value: it is part of the protocol version, so a process with another profile refuses
/// the keys, tickets and proofs of this one by version, naming both.
pub const SIG_PROFILE_VAR: &str = "FRISPOOL_SIG_PER_INSTANCE";
/// The largest K the profile takes: 80 signatures fill 2^16 rows (about 770 rows each).
pub const MAX_SIGS_PER_INSTANCE: usize = 80;

/// The keygen profile's variable for `main`'s instance size: `B` makes every `main` instance 2^B rows (as many
/// transactions as fit: 54 at 13, about 8 × 54 at 16). Unset, 13. Like [`SIG_PROFILE_VAR`], every process of
/// a pipeline must see the same value (the circuit digests, hence the protocol version, differ).
///
/// Why larger instances: a block of N transactions needs N / capacity `main` proofs and about a quarter as
/// many leaves, and a leaf costs the same whatever its children's size, so aggregation shrinks with the
/// instance. Measured (BENCHMARKS.md, "Larger `main` instances"): 1.25–1.39× on CPUs at 2^16, but not on a GPU
/// (0.87–1.03×), whose host's per-proof work grows with the rows; the protocol's default stays 2^13.
pub const MAIN_PROFILE_VAR: &str = "FRISPOOL_MAIN_DEGREE_BITS";
/// The protocol's default `main` instance: 2^13 rows.
pub const MIN_MAIN_DEGREE_BITS: usize = 13;
/// The largest `main` instance the profile takes: 2^18 rows (a 2^21-row LDE of 135 columns, 2.3 GB, per
/// proof in flight).
pub const MAX_MAIN_DEGREE_BITS: usize = 18;

/// The profile's `main` degree from [`MAIN_PROFILE_VAR`]: 13 when unset.
pub fn main_profile() -> Result<usize, RegistryError> {
    let Ok(text) = std::env::var(MAIN_PROFILE_VAR) else { return Ok(MIN_MAIN_DEGREE_BITS) };
    match text.trim().parse::<usize>() {
        Ok(b) if (MIN_MAIN_DEGREE_BITS..=MAX_MAIN_DEGREE_BITS).contains(&b) => Ok(b),
        _ => Err(RegistryError::BadMainProfile(text)),
    }
}

/// The profile's K from [`SIG_PROFILE_VAR`]: `None` without `sig`, [`SIGS_PER_INSTANCE`] when unset.
pub fn sig_profile() -> Result<Option<usize>, RegistryError> {
    let Ok(text) = std::env::var(SIG_PROFILE_VAR) else { return Ok(Some(SIGS_PER_INSTANCE)) };
    match text.trim().parse::<usize>() {
        Ok(0) => Ok(None),
        Ok(k) if k <= MAX_SIGS_PER_INSTANCE => Ok(Some(k)),
        _ => Err(RegistryError::BadProfile(text)),
    }
}

impl Default for Registry {
    /// The protocol's registry: `main` (2^13 rows, or what [`main_profile`] asks for), then `sig` with
    /// [`SIGS_PER_INSTANCE`] signatures an instance, or as many as [`sig_profile`] asks for, or none.
    ///
    /// Why `sig` by default: without it a final proof says nothing about who authorised a transfer, and
    /// whoever feeds the sequencer could move anyone's balance. Since the window-step gate a signature is
    /// about 770 rows (0.4 s of two cores), so ten take one 2^13 instance. A malformed value panics with the
    /// variable named: a process must not serve a protocol it was not asked for.
    fn default() -> Self {
        let registry = match main_profile().and_then(Registry::main_of_degree) {
            Ok(registry) => registry,
            Err(e) => panic!("{e}"),
        };
        match sig_profile() {
            Ok(None) => registry,
            Ok(Some(k)) => registry.with(SigType::new(k)).expect("sig's id and name are free after main"),
            Err(e) => panic!("{e}"),
        }
    }
}

impl Registry {
    /// `main` alone at 2^13 rows, whatever the profiles: what a test registers its own types after.
    pub fn main_only() -> Self {
        Registry { types: vec![Arc::new(MainType::standard())] }
    }

    /// `main` alone with instances of `2^degree_bits` rows ([`MIN_MAIN_DEGREE_BITS`] to
    /// [`MAX_MAIN_DEGREE_BITS`]): what [`MAIN_PROFILE_VAR`] selects, for a test to name directly.
    pub fn main_of_degree(degree_bits: usize) -> Result<Self, RegistryError> {
        let main = match degree_bits {
            MIN_MAIN_DEGREE_BITS => MainType::standard(),
            b if (MIN_MAIN_DEGREE_BITS..=MAX_MAIN_DEGREE_BITS).contains(&b) => MainType::with_degree_bits(b),
            b => return Err(RegistryError::BadMainProfile(b.to_string())),
        };
        Ok(Registry { types: vec![Arc::new(main)] })
    }

    /// This registry and `ty` after it (the next tip slot). Ids and names must be new; the scheduler's own
    /// checks (a binding to `main`) run when keys are built.
    pub fn with<T: BasicType>(mut self, ty: T) -> Result<Self, RegistryError> {
        let new = BasicType::circuit_type(&ty);
        let name = new.name();
        let well_formed = (1..=16).contains(&name.len())
            && name.bytes().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == b'-')
            && !name.starts_with("leaf-")
            && !name.starts_with("compress-")
            && !RESERVED.contains(&name);
        if !well_formed {
            return Err(RegistryError::BadName(name));
        }
        for registered in self.types() {
            if registered.name() == name {
                return Err(RegistryError::DuplicateName(new));
            }
            if registered.id() == new.id() {
                return Err(RegistryError::DuplicateId { new, registered });
            }
        }
        self.types.push(Arc::new(ty));
        Ok(self)
    }

    /// The types, in slot order.
    pub fn types(&self) -> impl Iterator<Item = CircuitType> + '_ {
        self.types.iter().map(|t| t.circuit_type())
    }

    /// The registered type named `name` (a job key's or a wire type's circuit field).
    pub fn type_named(&self, name: &str) -> Option<CircuitType> {
        self.types().find(|t| t.name() == name)
    }

    /// Each type's chain binding, in slot order.
    pub fn bindings(&self) -> Vec<ChainBinding> {
        self.types.iter().map(|t| t.binding()).collect()
    }

    /// Each type's capacity per instance (items an instance holds), in slot order: `frispool keygen` prints them.
    pub fn capacities(&self) -> Vec<(CircuitType, usize)> {
        self.types.iter().map(|t| (t.circuit_type(), t.capacity())).collect()
    }

    /// Every type's instances of `block`, as encoded witness payloads, in slot order.
    pub fn instances(&self, block: &ExecutedBlock) -> Result<Vec<TypeInstances>, CircuitError> {
        self.types.iter().map(|t| Ok((t.circuit_type(), t.instances(block)?))).collect()
    }

    pub(crate) fn erased(&self) -> &[Arc<dyn ErasedType>] {
        &self.types
    }
}
