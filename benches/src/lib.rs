//! Shared setup for the benchmarks: test cards, a vault with customers, the raw RocksDB
//! peer opened with the vault's options, and the SQLCipher peer.

pub mod cards;
pub mod peers;
pub mod setup;
