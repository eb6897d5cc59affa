//! Storage: column families, key encoding, the record codec, the stored record types, and
//! the narrow [`Store`] trait the vault runs on.
//!
//! RocksDB is the store (feature `rocksdb`, on by default). The in-memory store (feature
//! `memory-store`) exists for what cannot link RocksDB — the fuzz targets — and marks the
//! seam where a distributed backend would plug in.

pub(crate) mod backend;
pub(crate) mod cf;
pub(crate) mod codec;
pub(crate) mod keys;
#[cfg(feature = "memory-store")]
pub(crate) mod memory;
pub(crate) mod record_reader;
pub(crate) mod records;
#[cfg(feature = "rocksdb")]
pub(crate) mod rocks;
pub(crate) mod stored_id;
pub(crate) mod wire;

pub(crate) use backend::{Batch, KeyRange, Store};
pub(crate) use cf::Cf;
