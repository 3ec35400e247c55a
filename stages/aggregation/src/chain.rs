//! Chaining of consecutive inner proofs, shared by leaf and node.
//!
//! Both circuits have a fixed number of slots; the first `n` hold the real inner proofs and the rest hold
//! copies of the last real one (they are verified like any other slot, so no dummy circuit is needed, but
//! their values are ignored). `enabled[i]` says slot `i` is real; slot 0 always is.

use plonky2::iop::target::{BoolTarget, Target};
use plonky2::plonk::circuit_builder::CircuitBuilder;

use frispool_core::layout::{agg, basic, STATE_LEN};
use frispool_core::{D, F};
use plonky2::field::types::{Field, PrimeField64};

use crate::error::{AggError, Result};

/// The chained values of one slot, as targets.
#[derive(Clone, Debug)]
pub struct Link {
    pub ty: Target,
    pub block: Target,
    pub first: Target,
    pub last: Target,
    pub state_in: [Target; STATE_LEN],
    pub state_out: [Target; STATE_LEN],
}

impl Link {
    /// A basic proof covers one instance: first = last = its instance number.
    pub fn of_basic(pis: &[Target]) -> Self {
        Link {
            ty: pis[basic::TYPE],
            block: pis[basic::BLOCK],
            first: pis[basic::INSTANCE],
            last: pis[basic::INSTANCE],
            state_in: std::array::from_fn(|i| pis[basic::STATE_IN + i]),
            state_out: std::array::from_fn(|i| pis[basic::STATE_OUT + i]),
        }
    }

    pub fn of_agg(pis: &[Target]) -> Self {
        Link {
            ty: pis[agg::TYPE],
            block: pis[agg::BLOCK],
            first: pis[agg::FIRST],
            last: pis[agg::LAST],
            state_in: std::array::from_fn(|i| pis[agg::STATE_IN + i]),
            state_out: std::array::from_fn(|i| pis[agg::STATE_OUT + i]),
        }
    }

    /// Register in the leaf/node layout order, all but the vk commitment.
    pub fn register(&self, builder: &mut CircuitBuilder<F, D>) {
        builder.register_public_input(self.ty);
        builder.register_public_input(self.block);
        builder.register_public_input(self.first);
        builder.register_public_input(self.last);
        builder.register_public_inputs(&self.state_in);
        builder.register_public_inputs(&self.state_out);
    }
}

/// Witnessed flags for `slots` slots: slot 0 always on, and a slot only on when the one before is, so the
/// real proofs are a prefix.
pub fn enabled_flags(builder: &mut CircuitBuilder<F, D>, slots: usize) -> Vec<BoolTarget> {
    let mut flags = vec![builder._true()];
    for i in 1..slots {
        let b = builder.add_virtual_bool_target_safe();
        // b ⇒ previous: b · (1 − previous) = 0.
        let prev = flags[i - 1];
        let not_prev = builder.not(prev);
        let both = builder.and(b, not_prev);
        builder.assert_zero(both.target);
        flags.push(b);
    }
    flags
}

/// Constrain every enabled slot to continue the one before it (same type and block, next instance, state
/// handed on) and return the link of the whole run: the start of slot 0 and the end of the last enabled slot.
pub fn chain(builder: &mut CircuitBuilder<F, D>, links: &[Link], enabled: &[BoolTarget]) -> Link {
    assert_eq!(links.len(), enabled.len());
    let mut out = links[0].clone();
    for i in 1..links.len() {
        let (prev, cur, on) = (&links[i - 1], &links[i], enabled[i].target);
        builder.conditional_assert_eq(on, cur.ty, links[0].ty);
        builder.conditional_assert_eq(on, cur.block, links[0].block);
        let next = builder.add_const(prev.last, F::from_canonical_u64(1));
        builder.conditional_assert_eq(on, cur.first, next);
        for j in 0..STATE_LEN {
            builder.conditional_assert_eq(on, cur.state_in[j], prev.state_out[j]);
        }
        out.last = builder.select(enabled[i], cur.last, out.last);
        for j in 0..STATE_LEN {
            out.state_out[j] = builder.select(enabled[i], cur.state_out[j], out.state_out[j]);
        }
    }
    out
}

/// The same values natively, read from proofs' public inputs.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NativeLink {
    pub ty: u64,
    pub block: u64,
    pub first: u64,
    pub last: u64,
    pub state_in: [F; STATE_LEN],
    pub state_out: [F; STATE_LEN],
}

impl NativeLink {
    pub fn of_basic(pis: &[F]) -> Self {
        NativeLink {
            ty: pis[basic::TYPE].to_canonical_u64(),
            block: pis[basic::BLOCK].to_canonical_u64(),
            first: pis[basic::INSTANCE].to_canonical_u64(),
            last: pis[basic::INSTANCE].to_canonical_u64(),
            state_in: std::array::from_fn(|i| pis[basic::STATE_IN + i]),
            state_out: std::array::from_fn(|i| pis[basic::STATE_OUT + i]),
        }
    }

    pub fn of_agg(pis: &[F]) -> Self {
        NativeLink {
            ty: pis[agg::TYPE].to_canonical_u64(),
            block: pis[agg::BLOCK].to_canonical_u64(),
            first: pis[agg::FIRST].to_canonical_u64(),
            last: pis[agg::LAST].to_canonical_u64(),
            state_in: std::array::from_fn(|i| pis[agg::STATE_IN + i]),
            state_out: std::array::from_fn(|i| pis[agg::STATE_OUT + i]),
        }
    }
}

/// The rules of [`chain`], checked natively so a prover reports a bad group by name instead of a failed
/// witness generation.
pub fn check_native(circuit: &'static str, links: &[NativeLink]) -> Result<()> {
    let fail = |reason: String| Err(AggError::Chain { circuit, reason });
    for (i, w) in links.windows(2).enumerate() {
        let (prev, cur) = (&w[0], &w[1]);
        if cur.ty != links[0].ty {
            return fail(format!("slot {} has type {} after type {}", i + 1, cur.ty, links[0].ty));
        }
        if cur.block != links[0].block {
            return fail(format!("slot {} is of block {}, slot 0 of block {}", i + 1, cur.block, links[0].block));
        }
        if cur.first != prev.last + 1 {
            return fail(format!("slot {} starts at instance {}, after instance {}", i + 1, cur.first, prev.last));
        }
        if cur.state_in != prev.state_out {
            return fail(format!("slot {} does not start from the state slot {} ended with", i + 1, i));
        }
    }
    Ok(())
}
