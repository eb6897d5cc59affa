//! The maps every operation looks its profile up in (twice per call: the runtime with its
//! gate, and the cached keys), keyed by profile id with a cheaper hash than std's SipHash.
//!
//! SipHash's keyed hashing defends a map whose keys an attacker chooses; these only hold
//! profiles that were created (`Engine::runtime` makes no runtime for an unknown id, the
//! profile cache caches only records it found, and is bounded), and profiles are made by
//! the vault's administrator, so a multiply-rotate hash over 8-byte words, mixed at the
//! end, is enough. Under callgrind it took the start of an operation (`Op::enter`, both lookups
//! with their locks) from ~660 to ~400 instructions.

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};

/// A map from profile id.
pub(crate) type ProfileMap<V> = HashMap<String, V, BuildHasherDefault<ProfileIdHasher>>;

/// Multiply-rotate over 8-byte little-endian words, then the remaining bytes as one word.
#[derive(Default)]
pub(crate) struct ProfileIdHasher(u64);

const MULTIPLIER: u64 = 0x517c_c1b7_2722_0a95;

impl ProfileIdHasher {
    fn add(&mut self, word: u64) {
        self.0 = (self.0.rotate_left(5) ^ word).wrapping_mul(MULTIPLIER);
    }
}

impl Hasher for ProfileIdHasher {
    fn write(&mut self, bytes: &[u8]) {
        let mut words = bytes.chunks_exact(8);
        for word in &mut words {
            let mut w = [0u8; 8];
            w.copy_from_slice(word);
            self.add(u64::from_le_bytes(w));
        }
        let rest = words.remainder();
        if !rest.is_empty() {
            let mut w = [0u8; 8];
            w[..rest.len()].copy_from_slice(rest);
            // The length keeps "a" and "a\0" apart.
            self.add(u64::from_le_bytes(w) ^ ((rest.len() as u64) << 59));
        }
    }

    fn write_u8(&mut self, byte: u8) {
        self.add(u64::from(byte));
    }

    /// The state, mixed so that its low bits (which pick the bucket) depend on every input
    /// bit: the multiply only carries upward, so ids differing in a word's upper bytes would
    /// otherwise share their low bits.
    fn finish(&self) -> u64 {
        let mut h = self.0;
        h ^= h >> 33;
        h = h.wrapping_mul(0xff51_afd7_ed55_8ccd);
        h ^= h >> 33;
        h
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;
    use std::hash::BuildHasher;

    fn hash(s: &str) -> u64 {
        BuildHasherDefault::<ProfileIdHasher>::default().hash_one(s)
    }

    #[test]
    fn lookups_find_what_was_inserted_and_nothing_else() {
        let mut map = ProfileMap::default();
        for i in 0..1000 {
            map.insert(format!("pro_{i}"), i);
        }
        for i in 0..1000 {
            assert_eq!(map.get(&format!("pro_{i}")), Some(&i));
        }
        assert_eq!(map.get("pro_1000"), None);
        assert_eq!(map.get("pro_"), None);
    }

    #[test]
    fn similar_ids_hash_apart() {
        let ids = ["", "a", "a\0", "\0", "\0\0", "pro_a", "pro_b", "pro_aaaaaaaa", "pro_aaaaaaaaa", "pro_bench"];
        let hashes: HashSet<u64> = ids.iter().map(|id| hash(id)).collect();
        assert_eq!(hashes.len(), ids.len());
        let numbered: HashSet<u64> = (0..10_000).map(|i| hash(&format!("pro_{i:04}"))).collect();
        assert_eq!(numbered.len(), 10_000);
    }

    /// The bucket comes from the low bits: sequential ids must spread over them about as
    /// well as random values would (10,000 into 16,384 slots: ~7,490 distinct expected).
    #[test]
    fn sequential_ids_spread_over_the_low_bits() {
        for shape in ["pro_{}", "merchant_{}", "m{}"] {
            let low: HashSet<u64> =
                (0..10_000).map(|i| hash(&shape.replace("{}", &format!("{i:06}"))) & 0x3fff).collect();
            assert!(low.len() > 7_000, "{shape}: {} distinct low 14-bit values", low.len());
        }
    }
}
