//! The sparse Merkle tree of accounts: depth [`TREE_DEPTH`], index = account id, Poseidon throughout.
//!
//! Only non-empty nodes are stored; an absent node is the root of an empty subtree of its height, whose
//! digests are precomputed once.

use std::collections::HashMap;
use std::sync::OnceLock;

use plonky2::hash::poseidon::PoseidonHash;
use plonky2::plonk::config::Hasher;

use crate::account::Account;
use crate::limits::TREE_DEPTH;
use crate::Digest;

/// `EMPTY[h]` is the root of an empty subtree of height `h` (`EMPTY[0]` is the empty account's leaf).
pub fn empty_subtree_roots() -> &'static [Digest; TREE_DEPTH + 1] {
    static EMPTY: OnceLock<[Digest; TREE_DEPTH + 1]> = OnceLock::new();
    EMPTY.get_or_init(|| {
        let mut out = [Account::EMPTY.leaf_hash(); TREE_DEPTH + 1];
        for h in 1..=TREE_DEPTH {
            out[h] = PoseidonHash::two_to_one(out[h - 1], out[h - 1]);
        }
        out
    })
}

/// The root of the empty tree (the state before the first deposit).
pub fn empty_root() -> Digest {
    empty_subtree_roots()[TREE_DEPTH]
}

/// The root reached from `leaf` at `index` through `siblings` (bottom-up); bit `h` of the index says whether
/// the node at height `h` is a right child. This is exactly what the circuit computes per level.
pub fn root_from_path(leaf: Digest, index: u32, siblings: &[Digest]) -> Digest {
    let mut node = leaf;
    for (h, sibling) in siblings.iter().enumerate() {
        node = if (index >> h) & 1 == 1 {
            PoseidonHash::two_to_one(*sibling, node)
        } else {
            PoseidonHash::two_to_one(node, *sibling)
        };
    }
    node
}

#[derive(Clone, Debug, Default)]
pub struct StateTree {
    accounts: HashMap<u32, Account>,
    /// Keyed by (height, index at that height); height 0 are leaves, height TREE_DEPTH the root.
    nodes: HashMap<(u8, u32), Digest>,
}

impl StateTree {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn root(&self) -> Digest {
        self.node(TREE_DEPTH, 0)
    }

    pub fn account(&self, index: u32) -> Account {
        self.accounts.get(&index).copied().unwrap_or(Account::EMPTY)
    }

    /// The non-empty accounts, in no particular order.
    pub fn accounts(&self) -> impl Iterator<Item = (u32, &Account)> {
        self.accounts.iter().map(|(i, a)| (*i, a))
    }

    /// The 32 siblings of `index`'s path, bottom-up.
    pub fn siblings(&self, index: u32) -> Vec<Digest> {
        (0..TREE_DEPTH).map(|h| self.node(h, (index >> h) ^ 1)).collect()
    }

    /// Writes `account` at `index` and rehashes its path; returns the account it replaced.
    pub fn set(&mut self, index: u32, account: Account) -> Account {
        let previous =
            if account.is_empty() { self.accounts.remove(&index) } else { self.accounts.insert(index, account) }
                .unwrap_or(Account::EMPTY);
        let mut node = account.leaf_hash();
        self.put_node(0, index, node);
        for h in 0..TREE_DEPTH {
            let sibling = self.node(h, (index >> h) ^ 1);
            node = if (index >> h) & 1 == 1 {
                PoseidonHash::two_to_one(sibling, node)
            } else {
                PoseidonHash::two_to_one(node, sibling)
            };
            // At the root the index is shifted out entirely: 32-bit shifts of a u32 overflow, so use u64.
            let parent = ((index as u64) >> (h + 1)) as u32;
            self.put_node(h + 1, parent, node);
        }
        previous
    }

    fn node(&self, height: usize, index: u32) -> Digest {
        self.nodes.get(&(height as u8, index)).copied().unwrap_or(empty_subtree_roots()[height])
    }

    fn put_node(&mut self, height: usize, index: u32, digest: Digest) {
        if digest == empty_subtree_roots()[height] {
            self.nodes.remove(&(height as u8, index));
        } else {
            self.nodes.insert((height as u8, index), digest);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use plonky2::field::types::Field;

    fn keyed(balance: u64) -> Account {
        Account { pubkey: [crate::F::ONE; 5], balance, nonce: 0 }
    }

    #[test]
    fn paths_recompute_the_root() {
        let mut tree = StateTree::new();
        assert_eq!(tree.root(), empty_root());
        for (i, idx) in [0u32, 1, 7, u32::MAX, 1 << 31].into_iter().enumerate() {
            tree.set(idx, keyed(i as u64 + 1));
        }
        for idx in [0u32, 1, 7, u32::MAX, 1 << 31, 12345] {
            let leaf = tree.account(idx).leaf_hash();
            assert_eq!(root_from_path(leaf, idx, &tree.siblings(idx)), tree.root());
        }
    }

    #[test]
    fn emptying_an_account_restores_the_empty_tree() {
        let mut tree = StateTree::new();
        tree.set(42, keyed(5));
        assert_ne!(tree.root(), empty_root());
        assert_eq!(tree.set(42, Account::EMPTY), keyed(5));
        assert_eq!(tree.root(), empty_root());
        assert!(tree.nodes.is_empty(), "empty nodes must not be stored");
    }
}
