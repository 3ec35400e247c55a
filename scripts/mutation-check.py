#!/usr/bin/env python3
"""Mutation check of the circuits' negative tests (CIRCUITS.md's "mutation-checked" column).

For every constraint in the table below: delete it (or weaken it) in the source, run the negative tests
that claim to enforce it, and expect at least one of them to FAIL — a test that still passes without its
constraint proves nothing. The source is restored after each mutation, also on Ctrl-C.

    scripts/mutation-check.py            # every mutation (about 30 minutes on 2 cores)
    scripts/mutation-check.py M3 A7      # only these
    scripts/mutation-check.py --list

Prints a Markdown table (id, constraint, tests, verdict); exits 1 if any mutation survived.
"""
import os
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SLOT = "stages/circuits/src/basic/main/slot.rs"
CHAIN = "stages/aggregation/src/chain.rs"
NODE = "stages/aggregation/src/node.rs"
TIP = "stages/aggregation/src/tip.rs"
SCHED = "stages/aggregation/src/scheduler.rs"
SCHNORR = "stages/sig/src/circuit_schnorr.rs"
SIG_CHAIN = "stages/sig/src/sig_circuit.rs"
POINT = "stages/sig/src/circuit_point.rs"
GATE = "stages/sig/src/gate_window.rs"
MAIN_T = ("frispool-circuits", "main_circuit")
AGG_T = ("frispool-aggregation", "aggregation")
SIG_T = ("frispool-sig", "circuit")
SIG_TYPE_T = ("frispool-circuits", "sig_type")
SIG_LIB_T = ("frispool-sig", "lib")

# WindowStepGate: each computed five-wire value's constraints, deleted one value at a time (the `define` that
# would constrain it constrains nothing for that value).
GATE_VALUES = [
    ("first doubling: ztt", "block::DOUBLE_1"), ("first doubling: ztu", "block::DOUBLE_1 + 1"),
    ("first doubling: w1", "block::DOUBLE_1 + 2"), ("2A: X", "block::A2"), ("2A: Z", "block::A2 + 1"),
    ("2A: U", "block::A2 + 2"), ("2A: T", "block::A2 + 3"), ("second doubling: ztt", "block::DOUBLE_2"),
    ("second doubling: ztu", "block::DOUBLE_2 + 1"), ("second doubling: w1", "block::DOUBLE_2 + 2"),
    ("4A: X", "block::A4"), ("4A: Z", "block::A4 + 1"), ("4A: U", "block::A4 + 2"), ("4A: T", "block::A4 + 3"),
    ("addition: xx", "block::ADD"), ("addition: uu", "block::ADD + 1"), ("addition: m", "block::ADD + 2"),
    ("A': X", "block::OUT"), ("A': Z", "block::OUT + 1"), ("A': U", "block::OUT + 2"), ("A': T", "block::OUT + 3"),
]

# (id, constraint, file, source text, replacement, (crate, test binary), [tests])
MUTATIONS = [
    ("M1", "main: exactly one type flag", SLOT, "b.assert_bool(any);", "",
     MAIN_T, ["two_type_flags_at_once_are_rejected"]),
    ("M2", "main: amount < 2^48", SLOT, "b.range_check(amount, AMOUNT_BITS);", "",
     MAIN_T, ["amount_overflow_is_rejected"]),
    ("M3", "main: no overdraft", SLOT, "range_check_if(b, sends.target, debited, BALANCE_BITS);", "",
     MAIN_T, ["overdraft_is_rejected"]),
    ("M4", "main: no balance overflow", SLOT, "range_check_if(b, receives.target, credited, BALANCE_BITS);", "",
     MAIN_T, ["amount_overflow_is_rejected"]),
    ("M5", "main: nonce = account nonce", SLOT, "connect_if(b, sends.target, sender.nonce, nonce);", "",
     MAIN_T, ["wrong_nonce_is_rejected"]),
    ("M6", "main: nonce + 1 below 2^32", SLOT, "range_check_if(b, sends.target, bumped, NONCE_BITS);", "",
     MAIN_T, ["a_sender_at_the_last_nonce_is_rejected"]),
    ("M7", "main: the sender holds the hashed key", SLOT, "connect_if(b, sends.target, held, claimed);", "",
     MAIN_T, ["keyless_senders_and_zero_keys_are_rejected"]),
    ("M8", "main: no zero key", SLOT, "b.assert_zero(bad_key.target);", "",
     MAIN_T, ["keyless_senders_and_zero_keys_are_rejected"]),
    ("M9", "main: a keyed account's deposit carries its key", SLOT,
     "connect_if(b, keyed_deposit.target, receiver.pubkey[i], key[i]);", "",
     MAIN_T, ["a_deposit_with_another_key_is_rejected"]),
    ("M10", "main: ids are u32 (32-bit split)", SLOT, "let from_bits = b.split_le(from, TREE_DEPTH);",
     "let from_bits = b.split_le(from, TREE_DEPTH + 1)[..TREE_DEPTH].to_vec();",
     MAIN_T, ["account_ids_of_two_to_the_32_are_rejected"]),
    ("M11", "main: sender's old path gives the running root", SLOT,
     "connect_if(b, sends.target, old_root.elements[i], chain.root.elements[i]);", "",
     MAIN_T, ["a_tampered_merkle_path_is_rejected", "a_forged_root_in_is_rejected", "reordered_transactions_are_rejected"]),
    ("M12", "main: receiver's old path gives the root after the sender", SLOT,
     "connect_if(b, receives.target, old_root.elements[i], root_mid.elements[i]);", "",
     MAIN_T, ["a_tampered_merkle_path_is_rejected"]),
    ("M13", "main: padding leaves the tx hash", SLOT,
     "let tx_hash = select_hash(b, any, hashed, chain.tx_hash);", "let tx_hash = hashed;",
     MAIN_T, ["a_padding_slot_with_garbage_changes_nothing"]),
    ("M14", "main: padding leaves the root", SLOT,
     "let root_mid = select_hash(b, sends, new_root, chain.root);", "let root_mid = new_root;",
     MAIN_T, ["a_padding_slot_with_garbage_changes_nothing"]),
    ("M15", "main: only withdrawals reach the withdrawals hash", SLOT,
     "let withdrawals_hash = select_hash(b, is_withdrawal, hashed, chain.withdrawals_hash);",
     "let withdrawals_hash = hashed;",
     MAIN_T, ["a_padding_slot_with_garbage_changes_nothing"]),
    ("A1", "leaf/node: instances consecutive", CHAIN, "builder.conditional_assert_eq(on, cur.first, next);", "",
     AGG_T, ["leaf_rejects_a_skipped_instance_with_the_state_chain_intact",
             "node_rejects_a_skipped_instance_with_the_state_chain_intact"]),
    ("A2", "leaf/node: state chained", CHAIN,
     "builder.conditional_assert_eq(on, cur.state_in[j], prev.state_out[j]);", "",
     AGG_T, ["leaf_rejects_a_broken_state_chain", "node_rejects_a_broken_state_chain"]),
    ("A3", "leaf/node: one block", CHAIN, "builder.conditional_assert_eq(on, cur.block, links[0].block);", "",
     AGG_T, ["leaf_rejects_mismatched_blocks", "node_rejects_mismatched_blocks"]),
    ("A4", "leaf/node: real proofs are a prefix", CHAIN, "builder.assert_zero(both.target);", "",
     AGG_T, ["leaf_rejects_real_proofs_that_are_not_a_prefix"]),
    ("A5", "node: child digest recomputed from its cap", NODE,
     "vk::bind_digest_to_cap(&mut builder, &vd, common.degree_bits());", "",
     AGG_T, ["node_rejects_an_accepted_digest_paired_with_a_foreign_cap"]),
    ("A6", "node: child key is the leaf's or the node's", NODE,
     "builder.connect_hashes(vd.circuit_digest, accepted);", "",
     AGG_T, ["node_rejects_a_child_of_another_circuit"]),
    ("A7", "node: a node child carries the same vk commitment", NODE,
     "builder.conditional_assert_eq(is_node.target, p.public_inputs[agg::VK_COMMIT + j], commit.elements[j]);",
     "", AGG_T, ["a_node_with_a_forged_vk_commit_is_refused_as_a_child"]),
    ("A8", "tip: a node carries this version's vk commitment", TIP,
     "builder.conditional_assert_eq(b.target, p.public_inputs[agg::VK_COMMIT + j], c);", "",
     AGG_T, ["a_node_with_a_forged_vk_commit_is_refused_by_the_tip"]),
    ("A9", "tip: slot holds its type", TIP, "builder.connect(p.public_inputs[agg::TYPE], ty);", "",
     AGG_T, ["tip_checks_the_type_of_a_slot_whose_key_is_valid"]),
    ("A10", "tip: coverage starts at instance 0", TIP, "builder.connect(p.public_inputs[agg::FIRST], zero);", "",
     AGG_T, ["tip_rejects_a_first_instance_other_than_zero"]),
    ("A11", "tip: one block for all types", TIP, "Some(b0) => builder.connect(blk, b0),", "Some(_) => {}",
     AGG_T, ["the_tip_takes_one_more_type_as_one_more_leaf_key"]),
    ("A12", "scheduler: running hashes start empty", SCHED, "builder.assert_zero(main.state_in[i]);", "",
     AGG_T, ["scheduler_rejects_nonzero_initial_running_hashes"]),
    ("A13", "scheduler: each type agrees with main (sig's hash = main's signed pairs)", SCHED,
     "builder.connect(o.state_out[own], main.state_out[main_at]);", "", SIG_TYPE_T,
     ["the_scheduler_refuses_sig_proofs_of_another_block", "the_scheduler_refuses_a_sig_chain_that_skips_a_transaction"]),
    ("M16", "main: signed pairs chained", SLOT, "let sig_hash = select_hash(b, sends, hashed, chain.sig_hash);",
     "let sig_hash = chain.sig_hash; let _ = hashed;", SIG_TYPE_T,
     ["a_signed_block_is_proven_with_main_and_sig_through_every_round"]),
    ("S1", "sig: encode(s G - e PK) = r", SCHNORR, "commitment.assert_encodes_to(builder, &sig.r);", "", SIG_T,
     ["an_altered_s_is_refused", "the_wrong_public_key_is_refused", "altered_amount_recipient_or_nonce_is_refused"]),
    ("S2", "sig: the key's x is on the curve for w", POINT,
     "Fp5Expr::new().mul(x, &w2, F::ONE).square(x, -F::ONE).lin(x, -k(CURVE_A)).constant(&-b).assert_zero(builder);",
     "let _ = (&w2, &b);", SIG_LIB_T, ["circuit_point::tests::the_decoding_check_accepts_the_native_root_only"]),
    ("S5", "sig: the key's x is the non-square root", POINT,
     "Fp5Expr::new().square(x_root, F::ONE).lin(x, -k(NON_SQUARE)).assert_zero(builder);", "let _ = x_root;",
     SIG_LIB_T, ["circuit_point::tests::the_decoding_check_accepts_the_native_root_only"]),
    ("S3", "sig: s < n", SCHNORR, "builder.assert_zero(g);", "let _ = g;", SIG_T, ["s_at_or_above_n_is_refused"]),
    ("S4", "sig: enabled slots are a prefix", SIG_CHAIN, "builder.assert_zero(gap);", "let _ = gap;", SIG_LIB_T,
     ["sig_circuit::tests::an_enabled_slot_after_a_disabled_one_is_refused"]),
] + [
    (f"G{i + 1}", f"WindowStepGate: {what}", GATE, "        Mode::Constrain(out) => {",
     f"        Mode::Constrain(_) if at == {at} => {{}}\n        Mode::Constrain(out) => {{", SIG_LIB_T,
     ["gate_window::tests::each_computed_value_is_constrained"])
    for i, (what, at) in enumerate(GATE_VALUES)
]


def run_tests(crate, binary, tests):
    target = ["--lib"] if binary == "lib" else ["--test", binary]
    cmd = ["cargo", "test", "-q", "-p", crate] + target + ["--", "--exact"] + tests
    r = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True)
    out = r.stdout + r.stderr
    if "error[E" in out or "could not compile" in out:
        return "compile error", out
    return ("killed" if r.returncode != 0 else "SURVIVED"), out


def main():
    args = sys.argv[1:]
    if args == ["--list"]:
        for m in MUTATIONS:
            print(f"{m[0]:4} {m[1]}  ({m[2]})")
        return 0
    chosen = [m for m in MUTATIONS if not args or m[0] in args]
    rows, survived = [], False
    for mid, what, path, text, repl, (crate, binary), tests in chosen:
        full = os.path.join(ROOT, path)
        original = open(full).read()
        if original.count(text) != 1:
            rows.append((mid, what, tests, f"source text found {original.count(text)} times: table out of date"))
            survived = True
            continue
        started = time.time()
        try:
            open(full, "w").write(original.replace(text, repl))
            verdict, out = run_tests(crate, binary, tests)
        finally:
            open(full, "w").write(original)
        if verdict != "killed":
            survived = True
            sys.stderr.write(out[-3000:])
        sys.stderr.write(f"{mid}: {verdict} ({time.time() - started:.0f} s)\n")
        rows.append((mid, what, tests, verdict))
    print("| id | constraint deleted | negative tests run | verdict |")
    print("|---|---|---|---|")
    for mid, what, tests, verdict in rows:
        print(f"| {mid} | {what} | {', '.join('`' + t + '`' for t in tests)} | {verdict} |")
    return 1 if survived else 0


if __name__ == "__main__":
    sys.exit(main())
