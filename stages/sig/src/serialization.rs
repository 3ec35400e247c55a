//! Serializers for circuits that use this crate's gate: plonky2's default ones plus [`WindowStepGate`] and its
//! generator.
//!
//! Why not plonky2's `impl_gate_serializer!` over the default list plus ours: that list names generators in
//! modules plonky2 keeps private. Instead ours are written under a tag no default one uses (the defaults are
//! numbered from 0 in their list's order) and everything else is handed to plonky2's serializer unchanged, so a
//! circuit without the gate serializes to the very bytes it did before.

use plonky2::field::extension::Extendable;
use plonky2::gates::gate::GateRef;
use plonky2::hash::hash_types::RichField;
use plonky2::iop::generator::{SimpleGenerator, WitnessGeneratorRef};
use plonky2::plonk::circuit_data::CommonCircuitData;
use plonky2::plonk::config::{AlgebraicHasher, GenericConfig};
use plonky2::util::serialization::{
    Buffer, DefaultGateSerializer, DefaultGeneratorSerializer, GateSerializer, IoResult, Read,
    WitnessGeneratorSerializer, Write,
};

use crate::gate_window::{WindowStepGate, WindowStepGenerator};

/// The tag of this crate's gate and of its generator, far past plonky2's default lists (16 gates, 25 generators).
const OWN_TAG: u32 = 0x5347_0001;

/// The tag at the front of `buf`, without consuming it.
fn peek_tag(buf: &Buffer) -> Option<u32> {
    let bytes = buf.unread_bytes();
    bytes.get(..4).map(|b| u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
}

/// Gates: plonky2's defaults and [`WindowStepGate`].
#[derive(Clone, Copy, Debug, Default)]
pub struct SigGateSerializer;

impl<F: RichField + Extendable<D>, const D: usize> GateSerializer<F, D> for SigGateSerializer {
    fn read_gate(&self, buf: &mut Buffer, common_data: &CommonCircuitData<F, D>) -> IoResult<GateRef<F, D>> {
        if peek_tag(buf) == Some(OWN_TAG) {
            buf.read_u32()?;
            let gate = <WindowStepGate as plonky2::gates::gate::Gate<F, D>>::deserialize(buf, common_data)?;
            return Ok(GateRef::new(gate));
        }
        DefaultGateSerializer.read_gate(buf, common_data)
    }

    fn write_gate(
        &self,
        buf: &mut Vec<u8>,
        gate: &GateRef<F, D>,
        common_data: &CommonCircuitData<F, D>,
    ) -> IoResult<()> {
        if gate.0.as_any().downcast_ref::<WindowStepGate>().is_some() {
            buf.write_u32(OWN_TAG)?;
            return gate.0.serialize(buf, common_data);
        }
        DefaultGateSerializer.write_gate(buf, gate, common_data)
    }
}

/// Generators: plonky2's defaults and [`WindowStepGenerator`].
#[derive(Debug)]
pub struct SigGeneratorSerializer<C: GenericConfig<D>, const D: usize> {
    inner: DefaultGeneratorSerializer<C, D>,
}

impl<C: GenericConfig<D>, const D: usize> Default for SigGeneratorSerializer<C, D> {
    fn default() -> Self {
        SigGeneratorSerializer { inner: DefaultGeneratorSerializer { _phantom: core::marker::PhantomData } }
    }
}

impl<F, C, const D: usize> WitnessGeneratorSerializer<F, D> for SigGeneratorSerializer<C, D>
where
    F: RichField + Extendable<D>,
    C: GenericConfig<D, F = F> + 'static,
    C::Hasher: AlgebraicHasher<F>,
{
    fn read_generator(
        &self,
        buf: &mut Buffer,
        common_data: &CommonCircuitData<F, D>,
    ) -> IoResult<WitnessGeneratorRef<F, D>> {
        if peek_tag(buf) == Some(OWN_TAG) {
            buf.read_u32()?;
            let generator = <WindowStepGenerator as SimpleGenerator<F, D>>::deserialize(buf, common_data)?;
            return Ok(WitnessGeneratorRef::new(SimpleGenerator::<F, D>::adapter(generator)));
        }
        self.inner.read_generator(buf, common_data)
    }

    fn write_generator(
        &self,
        buf: &mut Vec<u8>,
        generator: &WitnessGeneratorRef<F, D>,
        common_data: &CommonCircuitData<F, D>,
    ) -> IoResult<()> {
        let own = SimpleGenerator::<F, D>::id(&WindowStepGenerator::default());
        if generator.0.id() == own {
            buf.write_u32(OWN_TAG)?;
            return generator.0.serialize(buf, common_data);
        }
        self.inner.write_generator(buf, generator, common_data)
    }
}

#[cfg(test)]
mod tests {
    use plonky2::plonk::circuit_data::CircuitConfig;
    use plonky2::plonk::config::PoseidonGoldilocksConfig;

    use super::*;
    use crate::circuit_fp5::Builder;
    use crate::curve::Point;
    use crate::field5::F;
    use crate::{window_step, AffineTarget, PointTarget};

    type C = PoseidonGoldilocksConfig;

    /// A circuit without the gate encodes to plonky2's default bytes; one with it round-trips and keeps its
    /// gate and generator.
    #[test]
    fn defaults_unchanged_and_the_gate_round_trips() {
        let mut builder = Builder::new(CircuitConfig::standard_recursion_config());
        let x = builder.add_virtual_target();
        let y = builder.mul(x, x);
        builder.register_public_input(y);
        let plain = builder.build::<C>();
        let generators = SigGeneratorSerializer::<C, 2>::default();
        let ours = plain.to_bytes(&SigGateSerializer, &generators).unwrap();
        let theirs = plain.to_bytes(&DefaultGateSerializer, &DefaultGeneratorSerializer::<C, 2>::default()).unwrap();
        assert_eq!(ours, theirs);

        let mut builder = Builder::new(CircuitConfig::standard_recursion_config());
        let a = PointTarget::constant(&mut builder, &Point::GENERATOR);
        let q = AffineTarget::new_virtual(&mut builder);
        let out = window_step(&mut builder, &a, &q);
        builder.register_public_inputs(&out.x.0);
        let data = builder.build::<C>();
        let bytes = data.to_bytes(&SigGateSerializer, &generators).unwrap();
        let back =
            plonky2::plonk::circuit_data::CircuitData::<F, C, 2>::from_bytes(&bytes, &SigGateSerializer, &generators)
                .unwrap();
        assert_eq!(back.common, data.common);
        assert!(back.common.gates.iter().any(|g| g.0.id() == "WindowStepGate"));
        assert_eq!(back.prover_only.generators.len(), data.prover_only.generators.len());
        assert!(data.to_bytes(&DefaultGateSerializer, &generators).is_err(), "plonky2's own serializer lacks the gate");
    }
}
