//! plonky2's Goldilocks Poseidon (width 12, x⁷, 8 full + 22 partial rounds) in R1CS: the permutation behind
//! the public-inputs hash the wrapper must recompute, and the constraints of `PoseidonGate`.
//!
//! Both follow plonky2's own fast form (hash/poseidon.rs): the partial rounds run through
//! `partial_first_constant_layer`, `mds_partial_layer_init` and per round `mds_partial_layer_fast`, with the
//! `FAST_PARTIAL_*` constants. It is an exact rewriting of the naive rounds, and it is what `PoseidonGate`'s
//! constraints are written in: the gate's wires hold the S-box inputs of this form, so the gate must be
//! evaluated in it, at ζ, where the two forms are different polynomials of the wires unless rewritten
//! identically — which they are, and the tests check it against plonky2 on random openings.
//!
//! Generic over [`PoseidonElem`]: base-field values for the hash, extension values for the gate at ζ.

use crate::goldilocks_ext_gadget::GoldilocksExtVar;
use crate::goldilocks_gadget::GoldilocksVar;
use ark_relations::gr1cs::SynthesisError;
use plonky2::field::goldilocks_field::GoldilocksField;
use plonky2::hash::poseidon::{Poseidon, ALL_ROUND_CONSTANTS, HALF_N_FULL_ROUNDS, N_PARTIAL_ROUNDS, SPONGE_WIDTH};

type G = GoldilocksField;
type R<T> = Result<T, SynthesisError>;

/// What a Poseidon state element must do: ring operations with constants.
pub trait PoseidonElem: Clone {
    fn constant(c: u64) -> Self;
    fn plus(&self, o: &Self) -> R<Self>;
    fn times(&self, o: &Self) -> R<Self>;
    fn times_const(&self, c: u64) -> R<Self>;
}

impl PoseidonElem for GoldilocksVar {
    fn constant(c: u64) -> Self {
        GoldilocksVar::constant(c)
    }
    fn plus(&self, o: &Self) -> R<Self> {
        self.add(o)
    }
    fn times(&self, o: &Self) -> R<Self> {
        self.mul(o)
    }
    fn times_const(&self, c: u64) -> R<Self> {
        self.mul_const(c)
    }
}

impl PoseidonElem for GoldilocksExtVar {
    fn constant(c: u64) -> Self {
        GoldilocksExtVar::constant([c, 0])
    }
    fn plus(&self, o: &Self) -> R<Self> {
        self.add(o)
    }
    fn times(&self, o: &Self) -> R<Self> {
        self.mul(o)
    }
    fn times_const(&self, c: u64) -> R<Self> {
        self.mul_base_const(c)
    }
}

type State<E> = [E; SPONGE_WIDTH];

fn constant_layer<E: PoseidonElem>(state: &mut State<E>, round: usize) -> R<()> {
    for (i, s) in state.iter_mut().enumerate() {
        *s = s.plus(&E::constant(ALL_ROUND_CONSTANTS[i + SPONGE_WIDTH * round]))?;
    }
    Ok(())
}

/// x⁷ as plonky2 computes it: x², x⁴, x³ = x·x², x³·x⁴.
pub fn sbox<E: PoseidonElem>(x: &E) -> R<E> {
    let x2 = x.times(x)?;
    let x4 = x2.times(&x2)?;
    x.times(&x2)?.times(&x4)
}

fn mds_layer<E: PoseidonElem>(state: &State<E>) -> R<State<E>> {
    let mut out = Vec::with_capacity(SPONGE_WIDTH);
    for r in 0..SPONGE_WIDTH {
        let mut acc = state[r].times_const(<G as Poseidon>::MDS_MATRIX_DIAG[r])?;
        for i in 0..SPONGE_WIDTH {
            acc = acc.plus(&state[(i + r) % SPONGE_WIDTH].times_const(<G as Poseidon>::MDS_MATRIX_CIRC[i])?)?;
        }
        out.push(acc);
    }
    Ok(to_state(out))
}

fn to_state<E>(v: Vec<E>) -> State<E> {
    v.try_into().unwrap_or_else(|_| unreachable!("a Poseidon state has SPONGE_WIDTH elements"))
}

fn partial_first_constant_layer<E: PoseidonElem>(state: &mut State<E>) -> R<()> {
    for (i, s) in state.iter_mut().enumerate() {
        *s = s.plus(&E::constant(<G as Poseidon>::FAST_PARTIAL_FIRST_ROUND_CONSTANT[i]))?;
    }
    Ok(())
}

fn mds_partial_layer_init<E: PoseidonElem>(state: &State<E>) -> R<State<E>> {
    let mut out: Vec<E> = (0..SPONGE_WIDTH).map(|_| E::constant(0)).collect();
    out[0] = state[0].clone();
    for (row, s) in <G as Poseidon>::FAST_PARTIAL_ROUND_INITIAL_MATRIX.iter().zip(&state[1..]) {
        for (o, t) in out[1..].iter_mut().zip(row) {
            *o = o.plus(&s.times_const(*t)?)?;
        }
    }
    Ok(to_state(out))
}

fn mds_partial_layer_fast<E: PoseidonElem>(state: &State<E>, r: usize) -> R<State<E>> {
    let mds0to0 = <G as Poseidon>::MDS_MATRIX_CIRC[0] + <G as Poseidon>::MDS_MATRIX_DIAG[0];
    let mut d = state[0].times_const(mds0to0)?;
    for (s, w) in state[1..].iter().zip(&<G as Poseidon>::FAST_PARTIAL_ROUND_W_HATS[r]) {
        d = d.plus(&s.times_const(*w)?)?;
    }
    let mut out = vec![d];
    for (s, v) in state[1..].iter().zip(&<G as Poseidon>::FAST_PARTIAL_ROUND_VS[r]) {
        out.push(state[0].times_const(*v)?.plus(s)?);
    }
    Ok(to_state(out))
}

/// The permutation, with a hook at every S-box input: `pin(kind, value)` may replace the value (the gate
/// pins it to a wire and emits a constraint; the hash keeps it). `kind` is `(0, round, lane)` for the
/// first full rounds after the first, `(1, round, 0)` for partial rounds, `(2, round, lane)` for the second
/// full rounds — the gate's wire layout. Returns the output state.
pub fn permute_with<E: PoseidonElem>(
    mut state: State<E>,
    mut pin: impl FnMut((usize, usize, usize), E) -> R<E>,
) -> R<State<E>> {
    let mut round_ctr = 0;
    for r in 0..HALF_N_FULL_ROUNDS {
        constant_layer(&mut state, round_ctr)?;
        for (i, s) in state.iter_mut().enumerate() {
            let input = if r != 0 { pin((0, r, i), s.clone())? } else { s.clone() };
            *s = sbox(&input)?;
        }
        state = mds_layer(&state)?;
        round_ctr += 1;
    }
    partial_first_constant_layer(&mut state)?;
    state = mds_partial_layer_init(&state)?;
    for r in 0..N_PARTIAL_ROUNDS {
        let input = pin((1, r, 0), state[0].clone())?;
        state[0] = sbox(&input)?;
        // plonky2's gate skips the last round's constant and its native permutation adds it: it is zero.
        state[0] = state[0].plus(&E::constant(<G as Poseidon>::FAST_PARTIAL_ROUND_CONSTANTS[r]))?;
        state = mds_partial_layer_fast(&state, r)?;
    }
    round_ctr += N_PARTIAL_ROUNDS;
    for r in 0..HALF_N_FULL_ROUNDS {
        constant_layer(&mut state, round_ctr)?;
        for (i, s) in state.iter_mut().enumerate() {
            let input = pin((2, r, i), s.clone())?;
            *s = sbox(&input)?;
        }
        state = mds_layer(&state)?;
        round_ctr += 1;
    }
    Ok(state)
}

/// plonky2's `PoseidonHash::hash_no_pad` (overwrite-mode sponge, rate 8, four outputs) of canonical
/// elements: the public-inputs hash.
pub fn poseidon_hash_no_pad_var(inputs: &[GoldilocksVar]) -> R<[GoldilocksVar; 4]> {
    let mut state: State<GoldilocksVar> = std::array::from_fn(|_| GoldilocksVar::constant(0));
    for chunk in inputs.chunks(8) {
        for (s, x) in state.iter_mut().zip(chunk) {
            *s = x.clone();
        }
        state = permute_with(state, |_, x| Ok(x))?;
    }
    let [a, b, c, d] = [0, 1, 2, 3].map(|i| state[i].reduce());
    Ok([a?, b?, c?, d?])
}

/// `PoseidonGate`'s constraints at ζ: `swap` boolean, the four deltas, every stored S-box input equal to
/// the state it replaces, the outputs equal to the permuted state.
pub fn poseidon_gate(wires: &[GoldilocksExtVar]) -> R<Vec<GoldilocksExtVar>> {
    const W: usize = SPONGE_WIDTH;
    let swap_wire = 2 * W;
    let delta = |i: usize| &wires[2 * W + 1 + i];
    let start_full_0 = 2 * W + 5;
    let start_partial = start_full_0 + W * (HALF_N_FULL_ROUNDS - 1);
    let start_full_1 = start_partial + N_PARTIAL_ROUNDS;
    let one = GoldilocksExtVar::constant([1, 0]);
    let swap = &wires[swap_wire];
    let mut out = vec![swap.mul(&swap.sub(&one)?)?];
    for i in 0..4 {
        out.push(swap.mul(&wires[i + 4].sub(&wires[i])?)?.sub(delta(i))?);
    }
    let mut state: Vec<GoldilocksExtVar> = wires[..W].to_vec();
    for i in 0..4 {
        state[i] = wires[i].add(delta(i))?;
        state[i + 4] = wires[i + 4].sub(delta(i))?;
    }
    let output = permute_with(to_state(state), |(set, r, i), x| {
        let wire = match set {
            0 => &wires[start_full_0 + W * (r - 1) + i],
            1 => &wires[start_partial + r],
            _ => &wires[start_full_1 + W * r + i],
        };
        out.push(x.sub(wire)?);
        Ok(wire.clone())
    })?;
    for (i, s) in output.iter().enumerate() {
        out.push(s.sub(&wires[W + i])?);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use ark_bn254::Fr;
    use ark_relations::gr1cs::ConstraintSystem;
    use plonky2::field::types::{Field, PrimeField64, Sample};
    use plonky2::hash::poseidon::PoseidonHash;
    use plonky2::plonk::config::Hasher;

    #[test]
    fn the_public_inputs_hash_is_plonky2s() {
        assert_eq!(<G as Poseidon>::FAST_PARTIAL_ROUND_CONSTANTS[N_PARTIAL_ROUNDS - 1], 0);
        for len in [0, 3, 8, 13] {
            let inputs: Vec<G> = (0..len).map(|_| G::rand()).collect();
            let expected = PoseidonHash::hash_no_pad(&inputs);
            let cs = ConstraintSystem::<Fr>::new_ref();
            let vars: Vec<_> = inputs
                .iter()
                .map(|x| GoldilocksVar::new_witness(cs.clone(), Some(x.to_canonical_u64())).unwrap())
                .collect();
            let before = cs.num_constraints();
            let got = poseidon_hash_no_pad_var(&vars).unwrap();
            if len == 8 {
                eprintln!("Goldilocks Poseidon, one permutation: {} constraints", cs.num_constraints() - before);
            }
            for (g, e) in got.iter().zip(expected.elements) {
                assert_eq!(g.value().unwrap(), e.to_canonical_u64(), "{len} inputs");
            }
            assert!(cs.is_satisfied().unwrap());
            // A claimed hash one off is refused.
            got[0]
                .enforce_equal(
                    &GoldilocksVar::new_witness(cs.clone(), Some((expected.elements[0] + G::ONE).to_canonical_u64()))
                        .unwrap(),
                )
                .unwrap();
            assert!(!cs.is_satisfied().unwrap());
        }
    }
}
