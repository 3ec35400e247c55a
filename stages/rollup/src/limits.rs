//! Sizes and ranges that the native model and the circuits agree on.
//!
//! Balances and amounts are kept far below the field order (p ≈ 2^64) so that `balance + amount` and
//! `balance - amount` computed in the field can be range-checked to [`BALANCE_BITS`] bits: a sum of two values
//! below 2^48 cannot wrap p, and an overdraft wraps to p - k, far above 2^48.

/// Depth of the account tree: an account id is a `u32`.
pub const TREE_DEPTH: usize = 32;
/// Every balance is below `2^BALANCE_BITS`.
pub const BALANCE_BITS: usize = 48;
/// Every amount (deposit, transfer, withdrawal) is below `2^AMOUNT_BITS`.
pub const AMOUNT_BITS: usize = 48;
/// Every nonce is below `2^NONCE_BITS`; an account that reaches it can send no more.
pub const NONCE_BITS: usize = 32;

/// Largest balance an account may hold.
pub const MAX_BALANCE: u64 = (1 << BALANCE_BITS) - 1;
/// Largest amount a transaction may move.
pub const MAX_AMOUNT: u64 = (1 << AMOUNT_BITS) - 1;
/// Largest nonce an account may reach.
pub const MAX_NONCE: u64 = (1 << NONCE_BITS) - 1;
