//! plonky2 circuits.
