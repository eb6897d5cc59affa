//! Per-profile key derivation (HKDF-SHA256).
//!
//! `prk = HKDF-Extract(salt, master_key)`, then for key version `v`:
//! `Expand(prk, "strongroom/v1/{purpose}" ‖ profile_id ‖ v as u32 BE)`. The profile id has
//! a fixed-width suffix after it, and the purposes differ in their first byte after the
//! common prefix, so no two (purpose, profile, version) triples share an info string.

use hkdf::Hkdf;
use sha2::Sha256;
use zeroize::Zeroizing;

use crate::crypto::master_key::MasterKey;
use crate::crypto::secret::Key32;

/// What a derived key is for. Keys of different purposes are independent.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum KeyPurpose {
    /// Personal data and metadata.
    Data,
    /// Card numbers, network token numbers and CVCs.
    Pan,
    /// The keyed hash that finds duplicate cards.
    Fingerprint,
}

impl KeyPurpose {
    fn label(self) -> &'static [u8] {
        match self {
            Self::Data => b"strongroom/v1/data",
            Self::Pan => b"strongroom/v1/pan",
            Self::Fingerprint => b"strongroom/v1/fingerprint",
        }
    }
}

/// Derives one key of a profile.
pub fn derive_key(master: &MasterKey, salt: &[u8; 32], profile_id: &str, purpose: KeyPurpose, version: u32) -> Key32 {
    let hk = Hkdf::<Sha256>::new(Some(salt), master.key().as_bytes());
    let mut okm = Zeroizing::new([0u8; 32]);
    let version = version.to_be_bytes();
    // 32 bytes is far below HKDF-SHA256's 8160-byte limit: expansion cannot fail.
    if hk.expand_multi_info(&[purpose.label(), profile_id.as_bytes(), &version], okm.as_mut()).is_err() {
        unreachable!("HKDF-SHA256 expands 32 bytes");
    }
    Key32::from_bytes(*okm)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_independent_and_deterministic() {
        let master = MasterKey::from_bytes([7; 32]);
        let salt = [9u8; 32];
        let a = derive_key(&master, &salt, "pro_a", KeyPurpose::Data, 1);
        assert_eq!(a.as_bytes(), derive_key(&master, &salt, "pro_a", KeyPurpose::Data, 1).as_bytes());
        let others = [
            derive_key(&master, &salt, "pro_a", KeyPurpose::Pan, 1),
            derive_key(&master, &salt, "pro_a", KeyPurpose::Fingerprint, 1),
            derive_key(&master, &salt, "pro_a", KeyPurpose::Data, 2),
            derive_key(&master, &salt, "pro_b", KeyPurpose::Data, 1),
            derive_key(&master, &[8u8; 32], "pro_a", KeyPurpose::Data, 1),
            derive_key(&MasterKey::from_bytes([6; 32]), &salt, "pro_a", KeyPurpose::Data, 1),
        ];
        for other in &others {
            assert_ne!(a.as_bytes(), other.as_bytes());
        }
    }

    /// Pins the derivation: a change here makes every stored value unreadable.
    #[test]
    fn golden_derivation() {
        let master = MasterKey::from_bytes([0x11; 32]);
        let salt = [0x22; 32];
        let key = derive_key(&master, &salt, "pro_golden", KeyPurpose::Data, 1);
        let golden = include_str!("../../tests/golden/derive_data_v1.hex").trim();
        assert_eq!(crate::crypto::hex::encode(key.as_bytes()), golden);
    }
}
