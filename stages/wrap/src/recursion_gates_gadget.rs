//! The constraints of plonky2's recursion gates at ζ, in R1CS: the gates a compression circuit (a plonky2
//! verifier inside plonky2) is made of, so that the wrapper can verify such a circuit's proof.
//!
//! Several of these gates work in plonky2's `ExtensionAlgebra`: D consecutive wires, each opened in the
//! extension F_{p²}, read as `a₀ + a₁·Y` with `Y² = W` (= 7). A product is
//! `(a₀b₀ + W·a₁b₁) + (a₀b₁ + a₁b₀)·Y`, and each coefficient of a constraint is a constraint of its own
//! (`to_basefield_array`). Every function mirrors the gate's `eval_unfiltered`, constraint for constraint
//! and in the same order; the tests check each one against plonky2 on random openings.

use crate::goldilocks_ext_gadget::{GoldilocksExtVar, EXT_W};
use ark_relations::gr1cs::SynthesisError;
use plonky2::field::goldilocks_field::GoldilocksField;
use plonky2::hash::poseidon::{Poseidon, SPONGE_WIDTH};

type Ext = GoldilocksExtVar;
type Res = Result<Vec<Ext>, SynthesisError>;

/// An element of the extension algebra: two extension coefficients.
#[derive(Clone, Debug)]
struct Alg([Ext; 2]);

impl Alg {
    fn at(wires: &[Ext], start: usize) -> Self {
        Alg([wires[start].clone(), wires[start + 1].clone()])
    }

    fn from_ext(x: &Ext) -> Self {
        Alg([x.clone(), Ext::constant([0, 0])])
    }

    fn mul(&self, o: &Self) -> Result<Self, SynthesisError> {
        let [a0, a1] = &self.0;
        let [b0, b1] = &o.0;
        let c0 = a0.mul(b0)?.add(&a1.mul(b1)?.mul_base_const(EXT_W)?)?;
        let c1 = a0.mul(b1)?.add(&a1.mul(b0)?)?;
        Ok(Alg([c0, c1]))
    }

    fn scalar_mul(&self, c: &Ext) -> Result<Self, SynthesisError> {
        Ok(Alg([self.0[0].mul(c)?, self.0[1].mul(c)?]))
    }

    fn scalar_mul_const(&self, c: u64) -> Result<Self, SynthesisError> {
        Ok(Alg([self.0[0].mul_base_const(c)?, self.0[1].mul_base_const(c)?]))
    }

    fn add(&self, o: &Self) -> Result<Self, SynthesisError> {
        Ok(Alg([self.0[0].add(&o.0[0])?, self.0[1].add(&o.0[1])?]))
    }

    fn sub(&self, o: &Self) -> Result<Self, SynthesisError> {
        Ok(Alg([self.0[0].sub(&o.0[0])?, self.0[1].sub(&o.0[1])?]))
    }

    fn into_coeffs(self) -> [Ext; 2] {
        self.0
    }
}

/// `ArithmeticExtensionGate`: `output − (c₀·m₀·m₁ + c₁·addend)` in the algebra, per operation.
pub fn arithmetic_extension(num_ops: usize, constants: &[Ext], wires: &[Ext]) -> Res {
    let mut out = Vec::with_capacity(2 * num_ops);
    for i in 0..num_ops {
        let [m0, m1, addend, output] = [0, 1, 2, 3].map(|k| Alg::at(wires, 8 * i + 2 * k));
        let computed = m0.mul(&m1)?.scalar_mul(&constants[0])?.add(&addend.scalar_mul(&constants[1])?)?;
        out.extend(output.sub(&computed)?.into_coeffs());
    }
    Ok(out)
}

/// `MulExtensionGate`: `output − c₀·m₀·m₁` in the algebra, per operation.
pub fn mul_extension(num_ops: usize, constants: &[Ext], wires: &[Ext]) -> Res {
    let mut out = Vec::with_capacity(2 * num_ops);
    for i in 0..num_ops {
        let [m0, m1, output] = [0, 1, 2].map(|k| Alg::at(wires, 6 * i + 2 * k));
        out.extend(output.sub(&m0.mul(&m1)?.scalar_mul(&constants[0])?)?.into_coeffs());
    }
    Ok(out)
}

/// `BaseSumGate<B>`: `Σ limb_i·Bⁱ − sum`, then `∏_{k<B} (limb − k)` per limb (wire 0 the sum, then limbs).
pub fn base_sum(base: u64, num_limbs: usize, wires: &[Ext]) -> Res {
    let limbs = &wires[1..1 + num_limbs];
    let mut computed = Ext::constant([0, 0]);
    for limb in limbs.iter().rev() {
        computed = computed.mul_base_const(base)?.reduce()?.add(limb)?;
    }
    let mut out = vec![computed.sub(&wires[0])?];
    for limb in limbs {
        let mut product = Ext::constant([1, 0]);
        for k in 0..base {
            product = product.mul(&limb.sub(&Ext::constant([k, 0]))?)?;
        }
        out.push(product);
    }
    Ok(out)
}

/// `ExponentiationGate`: square-and-multiply over the power's bits, most significant first; wires: base,
/// bits, output, intermediate values.
pub fn exponentiation(num_power_bits: usize, wires: &[Ext]) -> Res {
    let base = &wires[0];
    let bit = |i: usize| &wires[1 + i];
    let output = &wires[1 + num_power_bits];
    let intermediate = |i: usize| &wires[2 + num_power_bits + i];
    let one = Ext::constant([1, 0]);
    let mut out = Vec::with_capacity(num_power_bits + 1);
    for i in 0..num_power_bits {
        let prev = if i == 0 { one.clone() } else { intermediate(i - 1).mul(intermediate(i - 1))? };
        let cur_bit = bit(num_power_bits - i - 1);
        // cur_bit·base + (1 − cur_bit)
        let factor = cur_bit.mul(base)?.add(&one.sub(cur_bit)?)?;
        out.push(prev.mul(&factor)?.sub(intermediate(i))?);
    }
    out.push(output.sub(intermediate(num_power_bits - 1))?);
    Ok(out)
}

/// `RandomAccessGate`'s layout.
#[derive(Clone, Copy, Debug, Eq, PartialEq)]
pub struct RandomAccessShape {
    pub bits: usize,
    pub num_copies: usize,
    pub num_extra_constants: usize,
}

/// `RandomAccessGate`: per copy, booleanity of the index bits, their recomposition, the list folded by the
/// bits equals the claimed element; then the extra constants.
pub fn random_access(shape: RandomAccessShape, constants: &[Ext], wires: &[Ext]) -> Res {
    let vec_size = 1 << shape.bits;
    let routed = (2 + vec_size) * shape.num_copies + shape.num_extra_constants;
    let one = Ext::constant([1, 0]);
    let mut out = Vec::new();
    for copy in 0..shape.num_copies {
        let start = (2 + vec_size) * copy;
        let (index, claimed) = (&wires[start], &wires[start + 1]);
        let mut items: Vec<Ext> = wires[start + 2..start + 2 + vec_size].to_vec();
        let bits: Vec<&Ext> = (0..shape.bits).map(|i| &wires[routed + copy * shape.bits + i]).collect();
        for b in &bits {
            out.push(b.mul(&b.sub(&one)?)?);
        }
        let mut reconstructed = Ext::constant([0, 0]);
        for b in bits.iter().rev() {
            reconstructed = reconstructed.add(&reconstructed)?.add(b)?;
        }
        out.push(reconstructed.sub(index)?);
        for b in &bits {
            items =
                items.chunks(2).map(|pair| pair[0].add(&b.mul(&pair[1].sub(&pair[0])?)?)).collect::<Result<_, _>>()?;
        }
        out.push(items[0].sub(claimed)?);
    }
    let extra_start = (2 + vec_size) * shape.num_copies;
    for i in 0..shape.num_extra_constants {
        out.push(constants[i].sub(&wires[extra_start + i])?);
    }
    Ok(out)
}

/// `ReducingGate` (base coefficients, `extension = false`) and `ReducingExtensionGate` (algebra
/// coefficients): `acc·α + coeff_i − acc_i` per coefficient; wires: output, α, old accumulator,
/// coefficients, accumulators (the last is the output).
pub fn reducing(num_coeffs: usize, extension: bool, wires: &[Ext]) -> Res {
    let alpha = Alg::at(wires, 2);
    let coeff_width = if extension { 2 } else { 1 };
    let start_accs = 6 + num_coeffs * coeff_width;
    let acc_at = |i: usize| if i == num_coeffs - 1 { Alg::at(wires, 0) } else { Alg::at(wires, start_accs + 2 * i) };
    let mut acc = Alg::at(wires, 4);
    let mut out = Vec::with_capacity(2 * num_coeffs);
    for i in 0..num_coeffs {
        let coeff = if extension { Alg::at(wires, 6 + 2 * i) } else { Alg::from_ext(&wires[6 + i]) };
        let next = acc_at(i);
        out.extend(acc.mul(&alpha)?.add(&coeff)?.sub(&next)?.into_coeffs());
        acc = next;
    }
    Ok(out)
}

/// `PoseidonMdsGate`: the 12 outputs minus Poseidon's MDS layer (circulant plus diagonal) of the 12 inputs,
/// in the algebra.
pub fn poseidon_mds(wires: &[Ext]) -> Res {
    let inputs: Vec<Alg> = (0..SPONGE_WIDTH).map(|i| Alg::at(wires, 2 * i)).collect();
    let mut out = Vec::with_capacity(2 * SPONGE_WIDTH);
    for r in 0..SPONGE_WIDTH {
        let mut computed = inputs[r].scalar_mul_const(<GoldilocksField as Poseidon>::MDS_MATRIX_DIAG[r])?;
        for i in 0..SPONGE_WIDTH {
            let c = <GoldilocksField as Poseidon>::MDS_MATRIX_CIRC[i];
            computed = computed.add(&inputs[(i + r) % SPONGE_WIDTH].scalar_mul_const(c)?)?;
        }
        out.extend(Alg::at(wires, 2 * (SPONGE_WIDTH + r)).sub(&computed)?.into_coeffs());
    }
    Ok(out)
}

/// `CosetInterpolationGate`'s parameters: the subgroup, the degree of each partial interpolation, and
/// plonky2's barycentric weights (canonical).
#[derive(Clone, Debug, Eq, PartialEq)]
pub struct CosetInterpolationShape {
    pub subgroup_bits: usize,
    pub degree: usize,
    pub weights: Vec<u64>,
}

/// `CosetInterpolationGate`: the evaluation point is `shift ·` the shifted point; the barycentric sum over
/// the subgroup runs in chunks of `degree − 1` points, each chunk's running (eval, product) pinned to
/// intermediate wires; the last must equal the claimed value.
pub fn coset_interpolation(shape: &CosetInterpolationShape, wires: &[Ext]) -> Res {
    use plonky2::field::types::{Field, PrimeField64};
    let n = 1usize << shape.subgroup_bits;
    let degree = shape.degree;
    let num_intermediates = (n - 2) / (degree - 1);
    let start_intermediates = 1 + 2 * n + 4;
    let value = |i: usize| Alg::at(wires, 1 + 2 * i);
    let intermediate_eval = |i: usize| Alg::at(wires, start_intermediates + 2 * i);
    let intermediate_prod = |i: usize| Alg::at(wires, start_intermediates + 2 * (num_intermediates + i));
    let shifted = Alg::at(wires, start_intermediates + 4 * num_intermediates);
    let domain: Vec<u64> =
        GoldilocksField::two_adic_subgroup(shape.subgroup_bits).iter().map(|x| x.to_canonical_u64()).collect();

    let mut out = Vec::new();
    out.extend(Alg::at(wires, 1 + 2 * n).sub(&shifted.scalar_mul(&wires[0])?)?.into_coeffs());
    // plonky2's `partial_interpolate_ext_algebra` over points `range`.
    let partial = |range: std::ops::Range<usize>, mut eval: Alg, mut prod: Alg| -> Result<(Alg, Alg), SynthesisError> {
        for i in range {
            let weighted = value(i).scalar_mul_const(shape.weights[i])?;
            let term = shifted.sub(&Alg::from_ext(&Ext::constant([domain[i], 0])))?;
            eval = eval.mul(&term)?.add(&weighted.mul(&prod)?)?;
            prod = prod.mul(&term)?;
        }
        Ok((eval, prod))
    };
    let one = Alg::from_ext(&Ext::constant([1, 0]));
    let zero = Alg::from_ext(&Ext::constant([0, 0]));
    let (mut eval, mut prod) = partial(0..degree, zero, one)?;
    for i in 0..num_intermediates {
        out.extend(intermediate_eval(i).sub(&eval)?.into_coeffs());
        out.extend(intermediate_prod(i).sub(&prod)?.into_coeffs());
        let start = 1 + (degree - 1) * (i + 1);
        let end = (start + degree - 1).min(n);
        (eval, prod) = partial(start..end, intermediate_eval(i), intermediate_prod(i))?;
    }
    out.extend(Alg::at(wires, 1 + 2 * n + 2).sub(&eval)?.into_coeffs());
    Ok(out)
}
