//! Launch plans and layouts that need no GPU: the NTT pass plan and plonky2's Merkle digest layout.

use crate::source::TILE_LOG;

/// One launch of `ntt_dif_pass`: stages `s0 .. s0 + t` of a DIF NTT, in tiles of 2^t strided
/// elements times 2^log_c consecutive ones.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct NttPass {
    pub s0: u32,
    pub t: u32,
    pub log_c: u32,
}

impl NttPass {
    pub fn tile_log(&self) -> u32 {
        self.t + self.log_c
    }
}

/// Split the log_len stages of a DIF NTT into shared-memory passes. Every pass but the last keeps
/// at least 16 consecutive elements per tile row (128-byte runs); the last pass does the final
/// (up to TILE_LOG) stages on contiguous tiles.
pub fn ntt_plan(log_len: u32) -> Vec<NttPass> {
    let mut passes = Vec::new();
    let mut s0 = 0;
    while log_len - s0 > TILE_LOG {
        let rem = log_len - s0;
        let t = (rem - TILE_LOG).min(TILE_LOG - 4);
        let lo = rem - t;
        let log_c = (TILE_LOG - t).min(lo);
        passes.push(NttPass { s0, t, log_c });
        s0 += t;
    }
    if log_len > s0 {
        passes.push(NttPass { s0, t: log_len - s0, log_c: 0 });
    }
    passes
}

/// Index in plonky2's `MerkleTree::digests` (within one cap sub-tree) of node `n` of layer `layer`
/// (layer 0: the leaf hashes): sibling pairs sit together, pair j of layer i at
/// 2 * ((j << (i + 1)) + 2^i - 1), as plonky2's `merkle_tree_prove` reads them.
pub fn digest_pos(layer: u32, n: u64) -> u64 {
    2 * (((n >> 1) << (layer + 1)) + (1u64 << layer) - 1) + (n & 1)
}

/// Number of digests plonky2 stores for 2^log_leaves leaves under a cap of height cap_height.
pub fn num_digests(log_leaves: u32, cap_height: u32) -> u64 {
    2 * ((1u64 << log_leaves) - (1u64 << cap_height))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plans_cover_every_stage_once_with_full_tiles() {
        for log_len in 1..=24u32 {
            let plan = ntt_plan(log_len);
            let mut next = 0;
            for (k, p) in plan.iter().enumerate() {
                assert_eq!(p.s0, next, "log_len {log_len}");
                assert!(p.t >= 1 && p.tile_log() <= TILE_LOG);
                let lo = log_len - p.s0 - p.t;
                assert!(p.log_c <= lo);
                if k + 1 < plan.len() {
                    assert_eq!(p.tile_log(), TILE_LOG, "non-final passes use full tiles");
                    assert!(p.log_c >= 4);
                } else {
                    assert_eq!(lo, 0);
                }
                next += p.t;
            }
            assert_eq!(next, log_len);
        }
        assert_eq!(ntt_plan(19).len(), 2);
        assert_eq!(ntt_plan(12).len(), 1);
    }

    #[test]
    fn digest_positions_fill_the_subtree_exactly_once() {
        for k in 1..=10u32 {
            let len = num_digests(k, 0) as usize;
            let mut seen = vec![false; len];
            for layer in 0..k {
                for n in 0..(1u64 << (k - layer)) {
                    let p = digest_pos(layer, n) as usize;
                    assert!(!seen[p]);
                    seen[p] = true;
                }
            }
            assert!(seen.iter().all(|&s| s));
        }
    }
}
