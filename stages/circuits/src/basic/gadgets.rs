//! Small constraint gadgets shared by the basic circuits.

use frispool_core::{D, F};
use plonky2::hash::hash_types::{HashOutTarget, NUM_HASH_OUT_ELTS};
use plonky2::hash::hashing::PlonkyPermutation;
use plonky2::hash::poseidon::PoseidonHash;
use plonky2::iop::target::{BoolTarget, Target};
use plonky2::plonk::circuit_builder::CircuitBuilder;
use plonky2::plonk::config::AlgebraicHasher;

type Perm = <PoseidonHash as AlgebraicHasher<F>>::AlgebraicPermutation;

/// One Merkle path walked twice: from `old_leaf` and from `new_leaf`, with the same `siblings` and index
/// `bits`. Returns `(old_root, new_root)`. Each level is one PoseidonGate row per walk: the gate's swap wire
/// takes the index bit, so no selects are spent ordering left and right.
pub fn merkle_update(
    b: &mut CircuitBuilder<F, D>,
    old_leaf: HashOutTarget,
    new_leaf: HashOutTarget,
    bits: &[BoolTarget],
    siblings: &[HashOutTarget],
) -> (HashOutTarget, HashOutTarget) {
    assert_eq!(bits.len(), siblings.len());
    let mut old = old_leaf;
    let mut new = new_leaf;
    for (&bit, sibling) in bits.iter().zip(siblings) {
        old = compress_swapped(b, old, *sibling, bit);
        new = compress_swapped(b, new, *sibling, bit);
    }
    (old, new)
}

/// `two_to_one(node, sibling)`, or `two_to_one(sibling, node)` when `swap` is set, in one PoseidonGate.
fn compress_swapped(
    b: &mut CircuitBuilder<F, D>,
    node: HashOutTarget,
    sibling: HashOutTarget,
    swap: BoolTarget,
) -> HashOutTarget {
    let zero = b.zero();
    let mut perm = Perm::new(core::iter::repeat(zero));
    perm.set_from_slice(&node.elements, 0);
    perm.set_from_slice(&sibling.elements, NUM_HASH_OUT_ELTS);
    let out = PoseidonHash::permute_swapped(perm, swap, b);
    HashOutTarget::from_partial(&out.squeeze()[..NUM_HASH_OUT_ELTS], zero)
}

/// True exactly when every target is zero.
pub fn all_zero(b: &mut CircuitBuilder<F, D>, xs: &[Target]) -> BoolTarget {
    let zero = b.zero();
    let mut acc = b._true();
    for &x in xs {
        let z = b.is_equal(x, zero);
        acc = b.and(acc, z);
    }
    acc
}

/// Enforces `x == y` when `cond` is set; nothing otherwise.
pub fn connect_if(b: &mut CircuitBuilder<F, D>, cond: Target, x: Target, y: Target) {
    let diff = b.sub(x, y);
    let gated = b.mul(cond, diff);
    b.assert_zero(gated);
}

/// `x` when `cond`, else `y`, element-wise.
pub fn select_hash(
    b: &mut CircuitBuilder<F, D>,
    cond: BoolTarget,
    x: HashOutTarget,
    y: HashOutTarget,
) -> HashOutTarget {
    HashOutTarget { elements: core::array::from_fn(|i| b.select(cond, x.elements[i], y.elements[i])) }
}

/// Range-checks `x` to `bits` bits when `cond` is set; checks zero (which always passes) otherwise.
pub fn range_check_if(b: &mut CircuitBuilder<F, D>, cond: Target, x: Target, bits: usize) {
    let gated = b.mul(cond, x);
    b.range_check(gated, bits);
}
