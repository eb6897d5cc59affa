//! Per-key serialization of read-modify-write sequences.
//!
//! A fixed table of mutexes indexed by a hash of the key: two callers touching the same
//! customer (dedup check + insert, update, cascade delete) queue; callers touching
//! different customers almost never share a stripe. An operation holds one stripe at a
//! time, so stripes cannot deadlock.

use std::hash::{BuildHasher, Hasher};

use parking_lot::{Mutex, MutexGuard};

const STRIPES: usize = 1024;

pub(crate) struct LockTable {
    stripes: Box<[Mutex<()>]>,
    hasher: std::collections::hash_map::RandomState,
}

impl LockTable {
    pub(crate) fn new() -> Self {
        Self { stripes: (0..STRIPES).map(|_| Mutex::new(())).collect(), hasher: Default::default() }
    }

    /// Locks the stripe of the key made of `parts` (e.g. profile, "customer", id).
    pub(crate) fn lock(&self, parts: &[&[u8]]) -> MutexGuard<'_, ()> {
        let mut h = self.hasher.build_hasher();
        for part in parts {
            h.write(part);
            h.write_u8(0);
        }
        let index = (h.finish() as usize) % STRIPES;
        self.stripes[index].lock()
    }
}
