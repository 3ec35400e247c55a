//! The SNARK path end to end on a SMALL last layer (the real wrap-ready layer's wrapper is about 4 M
//! constraints: `FRISPOOL_WRAP_E2E=1` and `WRAP=1 make demo` run it). A plonky2 circuit under the BN254
//! configuration exposes a real block's final public inputs (`block ‖ commitment(header)`); the wrapper over
//! it gets a Groth16 setup, the SNARK is proven through the compressor's code (`Wrapper::prove`), written as
//! the `final-snark` artifact, and checked as the sequencer checks a submission (`check_submission` under a
//! pinned key read by `snark_trust`) and by the generated Solidity verifier in revm. Every tampering — a
//! flipped proof byte, a wrong public input, a proof of another block — is refused in Rust and in the EVM.

use std::path::Path;
use std::sync::OnceLock;

use ark_std::rand::SeedableRng;
use frispool_circuits::{
    final_public_inputs, snark_input, verifying_key_bytes, FinalVerifier, SnarkWire, WrapC, Wrapper,
};
use frispool_core::{circuit_config, C, D, F};
use frispool_pipeline::{check_submission, key_digest, kinds, snark_trust, SnarkTrust, SnarkTrustError, WrapperVkWire};
use frispool_rollup::{BlockGenerator, BlockHeader, State};
use frispool_spool::encode_artifact;
use frispool_wrap::{input_words, DeployedVerifier, EvmVerdict, Groth16Keys, SolidityProof};
use plonky2::field::types::Field;
use plonky2::fri::reduction_strategies::FriReductionStrategy;
use plonky2::fri::FriConfig;
use plonky2::iop::target::Target;
use plonky2::iop::witness::{PartialWitness, WitnessWrite};
use plonky2::plonk::circuit_builder::CircuitBuilder;
use plonky2::plonk::circuit_data::{CircuitConfig, CircuitData};

struct Fixture {
    headers: [BlockHeader; 2],
    keys: Groth16Keys,
    /// The SNARK of block 1 (`headers[0]`), and of block 2.
    snarks: [SnarkWire; 2],
    vk_dir: tempfile::TempDir,
    digest: String,
}

/// Two real blocks from the seeded generator.
fn headers() -> [BlockHeader; 2] {
    let mut state = State::new();
    let mut generator = BlockGenerator::new(5);
    let mut header = || {
        let txs = generator.next_block(&state, 4);
        state.apply_block(txs).expect("generated blocks apply").header
    };
    [header(), header()]
}

/// The small last layer: the final public inputs (PoseidonGate hashes them: 135 wires) and a short chain
/// of arithmetic. Rate 2^-3, 4 queries: a test's shape, far below the system's 100 bits, so that the
/// wrapper is about a million constraints.
fn small_last_layer() -> (CircuitData<F, WrapC, D>, Vec<Target>) {
    let config = CircuitConfig {
        num_routed_wires: 28,
        num_challenges: 2,
        // 3·4 + 8: plonky2 refuses a configuration below its target.
        security_bits: 20,
        fri_config: FriConfig {
            rate_bits: 3,
            cap_height: 2,
            proof_of_work_bits: 8,
            reduction_strategy: FriReductionStrategy::ConstantArityBits(3, 2),
            num_query_rounds: 4,
        },
        ..circuit_config()
    };
    let mut b = CircuitBuilder::<F, D>::new(config);
    let pis: Vec<Target> = (0..5).map(|_| b.add_virtual_public_input()).collect();
    let mut x = pis[0];
    for &p in &pis[1..] {
        x = b.mul_add(x, x, p);
    }
    let _ = b.add(x, pis[0]);
    (b.build::<WrapC>(), pis)
}

fn fixture() -> &'static Fixture {
    static FIXTURE: OnceLock<Fixture> = OnceLock::new();
    FIXTURE.get_or_init(|| {
        let headers = headers();
        let (layer, targets) = small_last_layer();
        let prove_layer = |header: &BlockHeader| {
            let mut pw = PartialWitness::new();
            for (t, v) in targets.iter().zip(final_public_inputs(header)) {
                pw.set_target(*t, v).unwrap();
            }
            layer.prove(pw).unwrap()
        };
        let wrapper = Wrapper::new(layer.common.clone(), layer.verifier_only.clone());
        let first = prove_layer(&headers[0]);
        let counts = wrapper.count(first.clone()).unwrap();
        let started = std::time::Instant::now();
        let mut rng = ark_std::rand::rngs::StdRng::seed_from_u64(11);
        let keys = wrapper.setup(first.clone(), &mut rng).unwrap();
        let setup = started.elapsed();
        let digest = key_digest(&verifying_key_bytes(&keys.verifying_key));
        let started = std::time::Instant::now();
        let snark = wrapper.prove(&keys.proving_key, first, "test", &digest).unwrap();
        eprintln!("small wrapper: {counts:?}, setup {setup:.1?}, prove {:.1?}", started.elapsed());
        let other = wrapper.prove(&keys.proving_key, prove_layer(&headers[1]), "test", &digest).unwrap();

        // The key file as `frispool keygen --wrapper` writes it.
        let vk_dir = tempfile::tempdir().unwrap();
        let wire = WrapperVkWire {
            protocol: "test".into(),
            final_digest: "small last layer".into(),
            origin: "local setup (test)".into(),
            bytes: verifying_key_bytes(&keys.verifying_key),
        };
        let file = vk_dir.path().join("wrapper.vk");
        std::fs::write(&file, encode_artifact(&file, kinds::WRAPPER_VERIFYING_KEY, &wire).unwrap()).unwrap();
        Fixture { headers, keys, snarks: [snark, other], vk_dir, digest }
    })
}

fn trust(f: &Fixture) -> SnarkTrust {
    snark_trust(Some(&f.vk_dir.path().join("wrapper.vk")), Some(&f.digest)).unwrap().expect("pinned")
}

/// A FRI verifier the SNARK path never consults (of a trivial circuit): the submission's kind picks the
/// check.
fn unused_final_verifier() -> FinalVerifier {
    let mut b = CircuitBuilder::<F, D>::new(circuit_config());
    let t = b.add_virtual_public_input();
    b.register_public_input(t);
    FinalVerifier { data: b.build::<C>().verifier_data(), protocol: "test".into() }
}

fn body(snark: &SnarkWire) -> Vec<u8> {
    encode_artifact(Path::new("final.snark"), kinds::FINAL_SNARK, snark).unwrap()
}

#[test]
fn a_snark_artifact_is_accepted_under_the_pinned_key_and_every_tampering_is_refused() {
    let f = fixture();
    let trust = trust(f);
    let fri = unused_final_verifier();
    let [h1, h2] = &f.headers;
    let [s1, s2] = &f.snarks;
    assert_eq!(s1.block, h1.number);
    assert_eq!(s1.proof.len(), 128);
    check_submission(&fri, Some(&trust), h1, &body(s1)).unwrap();
    check_submission(&fri, Some(&trust), h2, &body(s2)).unwrap();

    let refused = |header: &BlockHeader, bytes: &[u8], needle: &str| {
        let e = check_submission(&fri, Some(&trust), header, bytes).expect_err("accepted");
        assert!(e.contains(needle), "{e}");
    };
    // No pinned key: SNARKs are refused, whatever they prove.
    let e = check_submission(&fri, None, h1, &body(s1)).unwrap_err();
    assert!(e.contains("no pinned wrapper key"), "{e}");

    // A flipped proof byte: it no longer decodes or no longer verifies.
    for i in (0..128).step_by(9) {
        let mut flipped = s1.clone();
        flipped.proof[i] ^= 0x01;
        let e = check_submission(&fri, Some(&trust), h1, &body(&flipped)).expect_err("a flipped byte accepted");
        assert!(e.contains("does not decode") || e.contains("does not verify"), "byte {i}: {e}");
    }
    // A flipped byte of the artifact itself: its checksum.
    let mut torn = body(s1);
    let last = torn.len() - 1;
    torn[last] ^= 0x01;
    refused(h1, &torn, "payload checksum mismatch");

    // A wrong public input: the labels changed to another commitment are refused against the header, and
    // the Groth16 proof does not verify for them either.
    let mut relabelled = s1.clone();
    relabelled.commitment[3] ^= 1;
    refused(h1, &body(&relabelled), "another commitment");
    let e = trust.verifier.verify_inputs(s1, &relabelled.public_inputs()).unwrap_err();
    assert!(e.to_string().contains("does not verify"), "{e}");

    // A proof of another block: block 1's SNARK posted for block 2, as it is and relabelled as block 2's
    // (then only the pairing can refuse it, with the commitment recomputed from block 2's header).
    refused(h2, &body(s1), &format!("not a proof of block {}", h2.number));
    let mut forged = s1.clone();
    forged.block = s2.block;
    forged.commitment = s2.commitment;
    refused(h2, &body(&forged), "does not verify");
}

#[test]
fn the_snark_key_is_trusted_only_with_its_pinned_digest() {
    let f = fixture();
    let file = f.vk_dir.path().join("wrapper.vk");
    assert!(snark_trust(None, None).unwrap().is_none());
    let e = snark_trust(Some(&file), None).err().expect("unpinned key trusted");
    assert!(matches!(e, SnarkTrustError::Unpinned { .. }), "{e}");
    let e = snark_trust(None, Some(&f.digest)).err().expect("a digest without a key");
    assert!(matches!(e, SnarkTrustError::NoKey { .. }), "{e}");
    let e = snark_trust(Some(&file), Some(&"0".repeat(64))).err().expect("wrong pin accepted");
    assert!(matches!(e, SnarkTrustError::PinMismatch { .. }), "{e}");
    assert!(e.to_string().contains(&file.display().to_string()), "{e}");
    assert_eq!(trust(f).digest, f.digest);
}

#[test]
fn the_evm_verifier_accepts_the_snark_and_refuses_every_tampering() {
    let f = fixture();
    let [h1, h2] = &f.headers;
    let [s1, s2] = &f.snarks;
    let mut chain = DeployedVerifier::deploy(&f.keys.verifying_key).unwrap();
    let proof = SolidityProof::from_ark(&frispool_wrap::proof_from_bytes(&s1.proof).unwrap());
    let input = input_words(&[snark_input(&final_public_inputs(h1))]);
    let ok = chain.check(&proof, &input).unwrap();
    assert_eq!(ok.verdict, EvmVerdict::Accepted);
    eprintln!("small wrapper's SNARK on the EVM: {} gas", ok.gas_used);

    // A flipped proof byte (in A's x coordinate, as calldata): off the curve or another point.
    let mut flipped = proof;
    flipped.0[0][31] ^= 0x01;
    assert_ne!(chain.check(&flipped, &input).unwrap().verdict, EvmVerdict::Accepted);
    // A wrong public input: the commitment to block 1's inputs with one element changed.
    let mut changed = final_public_inputs(h1);
    changed[4] += F::ONE;
    let wrong = input_words(&[snark_input(&changed)]);
    assert_eq!(chain.check(&proof, &wrong).unwrap().verdict, EvmVerdict::Rejected);
    // A proof of another block: block 1's proof with block 2's input, and block 2's proof with block 1's.
    let other = input_words(&[snark_input(&final_public_inputs(h2))]);
    assert_eq!(chain.check(&proof, &other).unwrap().verdict, EvmVerdict::Rejected);
    let proof2 = SolidityProof::from_ark(&frispool_wrap::proof_from_bytes(&s2.proof).unwrap());
    assert_eq!(chain.check(&proof2, &other).unwrap().verdict, EvmVerdict::Accepted);
    assert_eq!(chain.check(&proof2, &input).unwrap().verdict, EvmVerdict::Rejected);
}

/// A real (full-size) SNARK from a spool, after `WRAP=1 make demo` (`FRISPOOL_WRAP_EVM_SPOOL=$PWD/spool`, an
/// absolute path: cargo runs tests in the crate's folder): every block's `final.snark` verifies in revm through
/// the Solidity verifier generated from `keys/wrapper.vk`, with its gas printed, and a tampered proof or input
/// does not.
#[test]
fn a_demo_blocks_snark_verifies_on_the_evm_and_a_tampered_one_does_not() {
    let Some(spool) = std::env::var_os("FRISPOOL_WRAP_EVM_SPOOL").map(std::path::PathBuf::from) else {
        eprintln!("skipped: FRISPOOL_WRAP_EVM_SPOOL=DIR checks the SNARKs of a spool (after WRAP=1 make demo)");
        return;
    };
    let vk = frispool_pipeline::read_wrapper_vk(&spool.join("keys").join("wrapper.vk")).unwrap();
    let verifier = frispool_circuits::SnarkVerifier::from_bytes(&vk.bytes).unwrap();
    let mut chain = DeployedVerifier::deploy(&verifier.key).unwrap();
    let mut checked = 0;
    for entry in std::fs::read_dir(spool.join("artifacts")).unwrap() {
        let file = entry.unwrap().path().join("final.snark");
        if !file.is_file() {
            continue;
        }
        let wire: SnarkWire = frispool_spool::read_artifact(&file, kinds::FINAL_SNARK).unwrap();
        let proof = SolidityProof::from_ark(&frispool_wrap::proof_from_bytes(&wire.proof).unwrap());
        let input = input_words(&[snark_input(&wire.public_inputs())]);
        let ok = chain.check(&proof, &input).unwrap();
        eprintln!("{}: {:?}, {} gas, proof {} bytes", file.display(), ok.verdict, ok.gas_used, wire.proof.len());
        assert_eq!(ok.verdict, EvmVerdict::Accepted);
        let mut flipped = proof;
        flipped.0[2][31] ^= 0x01;
        assert_ne!(chain.check(&flipped, &input).unwrap().verdict, EvmVerdict::Accepted);
        let mut changed = wire.public_inputs();
        changed[0] += F::ONE;
        let other = input_words(&[snark_input(&changed)]);
        assert_eq!(chain.check(&proof, &other).unwrap().verdict, EvmVerdict::Rejected);
        checked += 1;
    }
    assert!(checked > 0, "no final.snark under {}", spool.display());
}

/// A ceremony's keys plug in through `import_wrapper_keys`: a matching pair is taken, a verifying key that is
/// not the proving key's is refused naming the file.
#[test]
fn imported_wrapper_keys_must_be_one_pair() {
    use ark_ec::AffineRepr;
    use ark_serialize::CanonicalSerialize;
    let f = fixture();
    let dir = tempfile::tempdir().unwrap();
    let (pk, vk, other_vk) = (dir.path().join("pk"), dir.path().join("vk"), dir.path().join("other-vk"));
    let mut bytes = Vec::new();
    f.keys.proving_key.serialize_uncompressed(&mut bytes).unwrap();
    std::fs::write(&pk, &bytes).unwrap();
    std::fs::write(&vk, verifying_key_bytes(&f.keys.verifying_key)).unwrap();
    let imported = frispool_pipeline::import_wrapper_keys(&pk, &vk).unwrap();
    assert_eq!(imported.verifying_key, f.keys.verifying_key);

    let mut other = f.keys.verifying_key.clone();
    other.alpha_g1 = (other.alpha_g1 + ark_bn254::G1Affine::generator()).into();
    std::fs::write(&other_vk, verifying_key_bytes(&other)).unwrap();
    let e = frispool_pipeline::import_wrapper_keys(&pk, &other_vk).expect_err("a foreign verifying key imported");
    assert!(e.to_string().contains("its verifying key is not"), "{e}");
    assert!(e.to_string().contains(&pk.display().to_string()), "{e}");
}
