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

    fn stripe(&self, parts: &[&[u8]]) -> usize {
        let mut h = self.hasher.build_hasher();
        for part in parts {
            h.write(part);
            h.write_u8(0);
        }
        (h.finish() as usize) % STRIPES
    }

    /// Locks the stripe of the key made of `parts` (e.g. profile, "customer", id).
    pub(crate) fn lock(&self, parts: &[&[u8]]) -> MutexGuard<'_, ()> {
        self.stripes[self.stripe(parts)].lock()
    }

    /// Locks the stripes of several keys at once, each stripe once and in stripe order, so
    /// two callers locking many keys cannot deadlock each other (for batch maintenance).
    pub(crate) fn lock_many<'a>(&self, keys: impl IntoIterator<Item = [&'a [u8]; 3]>) -> Vec<MutexGuard<'_, ()>> {
        let mut stripes: Vec<usize> = keys.into_iter().map(|parts| self.stripe(&parts)).collect();
        stripes.sort_unstable();
        stripes.dedup();
        stripes.into_iter().map(|i| self.stripes[i].lock()).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lock_many_takes_each_stripe_once() {
        let table = LockTable::new();
        // The same key twice would deadlock a non-reentrant mutex if locked twice.
        let guards = table.lock_many([[b"p".as_slice(), b"customer", b"c1"], [b"p", b"customer", b"c1"]]);
        assert_eq!(guards.len(), 1);
        drop(guards);
        let _one = table.lock(&[b"p", b"customer", b"c1"]);
    }
}
