//! Small real circuits that play the basic circuits in tests, and helpers around them.
#![allow(dead_code)]

use std::panic::{catch_unwind, AssertUnwindSafe};

use frispool_aggregation::Shape;
use frispool_core::layout::{basic, main_state, STATE_LEN};
use frispool_core::{circuit_config, CircuitType, Proof, C, D, F};
use plonky2::field::types::Field;
use plonky2::hash::hash_types::HashOut;
use plonky2::hash::poseidon::PoseidonHash;
use plonky2::iop::target::Target;
use plonky2::iop::witness::{PartialWitness, WitnessWrite};
use plonky2::plonk::circuit_builder::CircuitBuilder;
use plonky2::plonk::circuit_data::CircuitData;
use plonky2::plonk::config::Hasher;

/// Rows of the test basic circuits (a real basic circuit is larger; the leaf adapts its shape).
pub const BASIC_DEGREE_BITS: usize = 12;

/// A chain circuit following `layout::basic`: each instance hashes its state forward,
/// `root' = H(root ‖ instance ‖ salt)`, `tx' = H(tx ‖ root')`, `wd' = H(wd ‖ instance)`.
/// Two circuits with different `salt` have the same shape but different keys.
pub struct ChainCircuit {
    pub ty: CircuitType,
    pub salt: u64,
    pub data: CircuitData<F, C, D>,
    block: Target,
    instance: Target,
    state_in: [Target; STATE_LEN],
}

impl ChainCircuit {
    pub fn build(ty: CircuitType, salt: u64, shape: &Shape) -> Self {
        let mut b = CircuitBuilder::<F, D>::new(circuit_config());
        let ty_t = b.constant(F::from_canonical_u64(ty.id()));
        let block = b.add_virtual_target();
        let instance = b.add_virtual_target();
        let state_in: [Target; STATE_LEN] = std::array::from_fn(|_| b.add_virtual_target());
        let salt_t = b.constant(F::from_canonical_u64(salt));
        let h = |b: &mut CircuitBuilder<F, D>, v: Vec<Target>| b.hash_n_to_hash_no_pad::<PoseidonHash>(v).elements;
        let root = h(&mut b, [&state_in[0..4], &[instance, salt_t][..]].concat());
        let tx = h(&mut b, [&state_in[4..8], &root[..]].concat());
        let wd = h(&mut b, [&state_in[8..12], &[instance][..]].concat());
        let sg = h(&mut b, [&state_in[12..16], &[instance, salt_t][..]].concat());
        b.register_public_input(ty_t);
        b.register_public_input(block);
        b.register_public_input(instance);
        b.register_public_inputs(&state_in);
        b.register_public_inputs(&root);
        b.register_public_inputs(&tx);
        b.register_public_inputs(&wd);
        b.register_public_inputs(&sg);
        let mut shape = shape.clone();
        shape.degree_bits = shape.degree_bits.max(BASIC_DEGREE_BITS);
        shape.pad(&mut b);
        let data = b.build::<C>();
        assert_eq!(data.common.num_public_inputs, basic::LEN);
        ChainCircuit { ty, salt, data, block, instance, state_in }
    }

    pub fn step(&self, instance: u64, s: [F; STATE_LEN]) -> [F; STATE_LEN] {
        let h = |v: Vec<F>| PoseidonHash::hash_no_pad(&v).elements;
        let i = F::from_canonical_u64(instance);
        let root = h([&s[0..4], &[i, F::from_canonical_u64(self.salt)][..]].concat());
        let tx = h([&s[4..8], &root[..]].concat());
        let wd = h([&s[8..12], &[i][..]].concat());
        let sg = h([&s[12..16], &[i, F::from_canonical_u64(self.salt)][..]].concat());
        let mut out = [F::ZERO; STATE_LEN];
        out[0..4].copy_from_slice(&root);
        out[4..8].copy_from_slice(&tx);
        out[8..12].copy_from_slice(&wd);
        out[12..16].copy_from_slice(&sg);
        out
    }

    pub fn prove(&self, block: u64, instance: u64, state_in: [F; STATE_LEN]) -> Proof {
        let mut pw = PartialWitness::new();
        pw.set_target(self.block, F::from_canonical_u64(block)).unwrap();
        pw.set_target(self.instance, F::from_canonical_u64(instance)).unwrap();
        pw.set_target_arr(&self.state_in, &state_in).unwrap();
        self.data.prove(pw).unwrap()
    }

    /// Proofs of `count` consecutive instances from `first`, starting from `state`.
    pub fn prove_run(&self, block: u64, first: u64, count: u64, mut state: [F; STATE_LEN]) -> Vec<Proof> {
        (first..first + count)
            .map(|i| {
                let p = self.prove(block, i, state);
                state = self.step(i, state);
                p
            })
            .collect()
    }
}

/// The state a block starts from: some previous root, empty running hashes.
pub fn genesis_state() -> [F; STATE_LEN] {
    let mut s = [F::ZERO; STATE_LEN];
    for (i, x) in s[main_state::ROOT..main_state::ROOT + 4].iter_mut().enumerate() {
        *x = F::from_canonical_u64(1000 + i as u64);
    }
    s
}

pub fn digest(s: &[F]) -> HashOut<F> {
    HashOut { elements: std::array::from_fn(|i| s[i]) }
}

/// Run a prover that must fail: Ok if it returned an error or panicked, or if what it produced does not
/// verify with `verify`. Panics (fails the test) when a proof came out and verified.
pub fn must_fail<T>(
    what: &str,
    prove: impl FnOnce() -> Result<Proof, T>,
    verify: impl FnOnce(Proof) -> anyhow::Result<()>,
) where
    T: std::fmt::Debug,
{
    let outcome = catch_unwind(AssertUnwindSafe(prove));
    match outcome {
        Err(_) => eprintln!("{what}: prover panicked (rejected)"),
        Ok(Err(e)) => eprintln!("{what}: prover failed (rejected): {e:?}"),
        Ok(Ok(p)) => {
            assert!(verify(p).is_err(), "{what}: a proof came out and verified");
            eprintln!("{what}: proof does not verify (rejected)");
        }
    }
}
