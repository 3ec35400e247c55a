//! Every wire column of a partition witness whose generators ran: what plonky2's
//! `PartitionWitness::full_witness` returns, read in the order the memory holds it.
//!
//! A wire's value is `values[representative_map[row * num_wires + col]]`: the map is row-major.
//! Reading a column at a time strides `num_wires` entries through it, a cache miss a wire (about 14 ms
//! of `main`'s 1.1 M wires on one core, a third of its witness step in the GPU prover). Here the map is
//! read row by row, 256 rows at a time, into a block-major buffer (each block holds its rows column by
//! column), and each column is then gathered from the blocks: both passes are sequential.

use plonky2::field::types::Field;
use plonky2::iop::target::Target;
use plonky2::iop::witness::{PartitionWitness, Witness};
use rayon::prelude::*;

use crate::F;

/// The A/B switch: `FRISPOOL_WIRE_COLUMNS=off` reads each column target by target.
pub const WIRE_COLUMNS_SWITCH_VAR: &str = "FRISPOOL_WIRE_COLUMNS";

const BLOCK_ROWS: usize = 256;

/// `num_wires` columns of `degree` rows; a wire nothing set is zero.
pub fn wire_columns(pw: &PartitionWitness<'_, F>) -> Vec<Vec<F>> {
    static BY_TARGET: std::sync::OnceLock<bool> = std::sync::OnceLock::new();
    if *BY_TARGET.get_or_init(|| std::env::var(WIRE_COLUMNS_SWITCH_VAR).as_deref() == Ok("off")) {
        by_target(pw)
    } else {
        by_row_blocks(pw)
    }
}

fn by_row_blocks(pw: &PartitionWitness<'_, F>) -> Vec<Vec<F>> {
    let (wires, degree) = (pw.num_wires, pw.degree);
    let blocks: Vec<Vec<F>> = (0..degree.div_ceil(BLOCK_ROWS))
        .into_par_iter()
        .map(|b| {
            let rows = (b * BLOCK_ROWS)..degree.min((b + 1) * BLOCK_ROWS);
            let height = rows.len();
            let mut block = vec![F::ZERO; height * wires];
            for (r, row) in rows.enumerate() {
                let reps = &pw.representative_map[row * wires..(row + 1) * wires];
                for (col, &rep) in reps.iter().enumerate() {
                    if let Some(v) = pw.values[rep] {
                        block[col * height + r] = v;
                    }
                }
            }
            block
        })
        .collect();
    (0..wires)
        .into_par_iter()
        .map(|col| {
            let mut column = Vec::with_capacity(degree);
            for block in &blocks {
                let height = block.len() / wires;
                column.extend_from_slice(&block[col * height..(col + 1) * height]);
            }
            column
        })
        .collect()
}

/// One target at a time, column by column (the A/B baseline, and the tests' reference).
fn by_target(pw: &PartitionWitness<'_, F>) -> Vec<Vec<F>> {
    (0..pw.num_wires)
        .into_par_iter()
        .map(|col| (0..pw.degree).map(|row| pw.try_get_target(Target::wire(row, col)).unwrap_or(F::ZERO)).collect())
        .collect()
}

#[cfg(test)]
mod tests {
    use plonky2::hash::poseidon::PoseidonHash;
    use plonky2::iop::witness::{PartialWitness, WitnessWrite};
    use plonky2::plonk::circuit_builder::CircuitBuilder;

    use super::*;
    use crate::{circuit_config, C, D};

    /// A circuit of more than one block of rows (a Poseidon row a hash), with copy constraints (every
    /// hash feeds the next), public inputs and wires nothing sets: both readings give the same columns, and they are
    /// plonky2's `full_witness`.
    #[test]
    fn row_blocks_read_what_plonky2_reads() {
        let mut b = CircuitBuilder::<F, D>::new(circuit_config());
        let x = b.add_virtual_target();
        b.register_public_input(x);
        let mut acc = x;
        for i in 0..300u64 {
            let c = b.constant(F::from_canonical_u64(i + 3));
            acc = b.mul_add(acc, c, x);
            acc = b.hash_n_to_hash_no_pad::<PoseidonHash>(vec![acc, x]).elements[0];
        }
        b.register_public_input(acc);
        let data = b.build::<C>();
        let mut inputs = PartialWitness::new();
        inputs.set_target(x, F::from_canonical_u64(5)).unwrap();
        let pw = crate::generate_witness(inputs, &data.prover_only, &data.common).unwrap();
        assert!(pw.degree > BLOCK_ROWS, "{} rows: one block only", pw.degree);

        let fast = by_row_blocks(&pw);
        assert_eq!(fast, by_target(&pw));
        let plonky2s = pw.clone().full_witness();
        for (col, column) in fast.iter().enumerate() {
            assert!(column.iter().enumerate().all(|(row, v)| *v == plonky2s.get_wire(row, col)), "column {col}");
        }
        assert!(fast.iter().flatten().any(|v| *v != F::ZERO));
    }
}
