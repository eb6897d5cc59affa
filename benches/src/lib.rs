//! Shared setup for the benchmarks: test cards, a vault with customers, the raw RocksDB
//! peer opened with the vault's options, the SQLCipher peer, and percentiles.

pub mod cards;
pub mod latency;
pub mod peers;
pub mod setup;
