//! The whole security level of a circuit's proofs: every random challenge of plonky2's protocol, not only
//! FRI's, with the arithmetic written out (CIRCUITS.md and `frispool keygen` print it).
//!
//! Soundness errors, Goldilocks p = 2^64 − 2^32 + 1 (log2 p ≈ 64), n rows, r = `num_challenges`:
//! - **FRI** (conjectured, as plonky2 states it): `rate_bits · queries + proof_of_work_bits`.
//! - **Permutation argument**: the grand product `∏(w + β·σ + γ) = ∏(w + β·id + γ)` is a polynomial of
//!   degree n·k in (β, γ) over k routed wires, so one (β, γ) pair from the base field errs with probability
//!   ≤ n·k / p; r independent pairs give `r · (log2 p − log2(n·k))` bits.
//! - **Constraint combination**: the T constraint polynomials (gates, permutation, partial products, lookups)
//!   are folded with powers of α ∈ F_p; r independent αs give `r · (log2 p − log2 T)` bits.
//! - **Opening point**: the identity is checked at ζ ∈ F_{p^2}; a polynomial of degree ≤ (q + 1)·n (q the
//!   quotient degree factor) vanishes there with probability ≤ (q + 1)·n / p², `2·log2 p − log2((q + 1)·n)` bits.
//! - **Lookups**: none of frispool's circuits has a lookup table (checked here: a circuit with one is
//!   reported with its own term, and the level is not computed for it).
//!
//! The level is the least of these (the union bound of the errors costs under one bit more).

use frispool_core::{D, F};
use plonky2::field::types::Field64;
use plonky2::plonk::circuit_data::CommonCircuitData;

/// The security of one circuit's proofs, in bits, term by term.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct SecurityLevel {
    pub fri: f64,
    pub permutation: f64,
    pub constraints: f64,
    pub opening: f64,
    /// Lookup tables in the circuit (the level is not stated for a circuit that has any).
    pub lookup_tables: usize,
    pub num_challenges: usize,
}

fn log2_p() -> f64 {
    (F::ORDER as f64).log2()
}

impl SecurityLevel {
    pub fn of(common: &CommonCircuitData<F, D>) -> SecurityLevel {
        let c = &common.config;
        let r = c.num_challenges as f64;
        let n = common.degree() as f64;
        let fri =
            (c.fri_config.rate_bits * c.fri_config.num_query_rounds) as f64 + c.fri_config.proof_of_work_bits as f64;
        let permutation = r * (log2_p() - (n * c.num_routed_wires as f64).log2());
        // Gate constraints, Z(1) = 1, and one check per partial-product chunk plus the last, per challenge;
        // lookups would add their own.
        let terms = common.num_gate_constraints + 2 + common.num_partial_products + common.num_lookup_polys;
        let constraints = r * (log2_p() - (terms as f64).log2());
        let opening = 2.0 * log2_p() - ((common.quotient_degree_factor + 1) as f64 * n).log2();
        SecurityLevel {
            fri,
            permutation,
            constraints,
            opening,
            lookup_tables: common.luts.len(),
            num_challenges: c.num_challenges,
        }
    }

    /// The whole level in bits (the least term), rounded down; 0 for a circuit with lookups, whose argument
    /// is not analysed here.
    pub fn bits(&self) -> usize {
        if self.lookup_tables > 0 {
            return 0;
        }
        self.fri.min(self.permutation).min(self.constraints).min(self.opening).floor() as usize
    }

    /// One line: every term and the least.
    pub fn describe(&self) -> String {
        format!(
            "{} bits = min(FRI {:.0}, permutation {:.1} ({}×), constraints {:.1} ({}×), opening {:.1}{})",
            self.bits(),
            self.fri,
            self.permutation,
            self.num_challenges,
            self.constraints,
            self.num_challenges,
            self.opening,
            if self.lookup_tables > 0 {
                format!(", {} lookup tables not analysed", self.lookup_tables)
            } else {
                String::new()
            }
        )
    }
}
