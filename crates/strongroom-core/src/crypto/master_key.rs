//! Master keys supplied by the host, and the key ring that holds them by id.

use std::fmt;

use hmac::{Hmac, KeyInit, Mac};
use sha2::Sha256;
use subtle::ConstantTimeEq;
use zeroize::Zeroizing;

use crate::crypto::secret::Key32;
use crate::error::{Error, InternalError, Result};
use crate::model::text;

/// Length of the stored key check value.
pub const CHECK_VALUE_LEN: usize = 16;

/// The name of a master key in the ring (`[A-Za-z0-9_-]`, 1–64 characters), e.g. the KMS
/// key alias or a date.
#[derive(Clone, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize, serde::Deserialize)]
#[serde(transparent)]
pub struct MasterKeyId(String);

impl MasterKeyId {
    pub fn parse(value: &str) -> Result<Self> {
        text::check_token("master_key_id", value, 64)?;
        Ok(Self(value.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for MasterKeyId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Debug for MasterKeyId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "MasterKeyId({})", self.0)
    }
}

/// A 32-byte master key. Everything a profile seals is derived from it and the profile's
/// random salt. Zeroized on drop; `Debug` prints nothing of it.
#[derive(Clone)]
pub struct MasterKey(Key32);

impl MasterKey {
    pub fn from_bytes(bytes: [u8; 32]) -> Self {
        Self(Key32::from_bytes(bytes))
    }

    /// From exactly 32 bytes.
    pub fn from_slice(bytes: &[u8]) -> Result<Self> {
        let array: [u8; 32] = bytes.try_into().map_err(|_| Error::invalid("master_key", "must be exactly 32 bytes"))?;
        Ok(Self::from_bytes(array))
    }

    /// From 64 hexadecimal characters (surrounding white space ignored).
    pub fn from_hex(hex: &str) -> Result<Self> {
        let bytes = Zeroizing::new(
            crate::crypto::hex::decode::<32>(hex.trim())
                .ok_or_else(|| Error::invalid("master_key", "must be 64 hexadecimal characters (32 bytes)"))?,
        );
        Ok(Self::from_bytes(*bytes))
    }

    /// A fresh random key from the operating system.
    pub fn generate() -> Result<Self> {
        let mut bytes = Zeroizing::new([0u8; 32]);
        getrandom::fill(bytes.as_mut()).map_err(|_| InternalError::Random)?;
        Ok(Self::from_bytes(*bytes))
    }

    /// The key as 64 lowercase hex characters, for showing a freshly generated key once.
    pub fn to_hex(&self) -> Zeroizing<String> {
        let mut s = Zeroizing::new(String::with_capacity(64));
        crate::crypto::hex::encode_into(&mut s, self.0.as_bytes());
        s
    }

    pub(crate) fn key(&self) -> &Key32 {
        &self.0
    }

    /// The key check value: a keyed hash that identifies the key without revealing it.
    pub(crate) fn check_value(&self) -> [u8; CHECK_VALUE_LEN] {
        let full = self.mac(b"strongroom/v1/key-check-value", &[]);
        let mut out = [0u8; CHECK_VALUE_LEN];
        out.copy_from_slice(&full[..CHECK_VALUE_LEN]);
        out
    }

    /// HMAC-SHA256 under this key of `label`, then each of `parts` prefixed with its length
    /// (u64 BE): for what must be checked without any profile's keys (the check value; the
    /// note a profile's destroy leaves, `vault/shred.rs`). Labels keep the uses apart.
    pub(crate) fn mac(&self, label: &[u8], parts: &[&[u8]]) -> [u8; 32] {
        let mut mac = <Hmac<Sha256> as KeyInit>::new_from_slice(self.0.as_bytes()).expect("HMAC takes any key length");
        mac.update(label);
        for part in parts {
            mac.update(&(part.len() as u64).to_be_bytes());
            mac.update(part);
        }
        mac.finalize().into_bytes().into()
    }

    /// Whether `stored` is this key's check value (constant time).
    pub(crate) fn matches_check_value(&self, stored: &[u8]) -> bool {
        bool::from(self.check_value().as_slice().ct_eq(stored))
    }
}

impl fmt::Debug for MasterKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("MasterKey(***)")
    }
}

/// The master keys a vault is opened with, by id; one is active (new profile key
/// versions are derived from it).
#[derive(Clone, Debug)]
pub struct MasterKeyRing {
    keys: Vec<(MasterKeyId, MasterKey)>,
    active: MasterKeyId,
}

impl MasterKeyRing {
    /// A ring of one key, which is active.
    pub fn single(id: MasterKeyId, key: MasterKey) -> Self {
        Self { keys: vec![(id.clone(), key)], active: id }
    }

    /// A ring of several keys; `active` must be one of them and ids must be unique.
    pub fn new(keys: Vec<(MasterKeyId, MasterKey)>, active: MasterKeyId) -> Result<Self> {
        for (i, (id, _)) in keys.iter().enumerate() {
            if keys[..i].iter().any(|(other, _)| other == id) {
                return Err(Error::invalid("master_keys", "key ids must be unique"));
            }
        }
        if !keys.iter().any(|(id, _)| *id == active) {
            return Err(Error::invalid("active_master_key", "must be one of the supplied keys"));
        }
        Ok(Self { keys, active })
    }

    pub fn get(&self, id: &MasterKeyId) -> Option<&MasterKey> {
        self.keys.iter().find(|(k, _)| k == id).map(|(_, key)| key)
    }

    pub fn active_id(&self) -> &MasterKeyId {
        &self.active
    }

    /// The active key (the ring's constructors make sure it is in the ring).
    pub(crate) fn active(&self) -> Option<&MasterKey> {
        self.get(&self.active)
    }

    pub fn ids(&self) -> impl Iterator<Item = &MasterKeyId> {
        self.keys.iter().map(|(id, _)| id)
    }

    pub(crate) fn entries(&self) -> impl Iterator<Item = &(MasterKeyId, MasterKey)> {
        self.keys.iter()
    }
}

/// Supplies the master key ring at open — typically by unwrapping keys through a KMS, so
/// the host never keeps them in configuration.
pub trait KeyProvider: Send + Sync {
    fn master_keys(&self) -> Result<MasterKeyRing>;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hex_round_trip_and_errors() {
        let key = MasterKey::generate().unwrap();
        let again = MasterKey::from_hex(&key.to_hex()).unwrap();
        assert!(again.matches_check_value(&key.check_value()));
        assert!(MasterKey::from_hex("abc").is_err());
        assert!(MasterKey::from_hex(&"zz".repeat(32)).is_err());
        assert!(MasterKey::from_slice(&[0u8; 31]).is_err());
    }

    #[test]
    fn check_value_distinguishes_keys() {
        let a = MasterKey::from_bytes([1; 32]);
        let b = MasterKey::from_bytes([2; 32]);
        assert!(!a.matches_check_value(&b.check_value()));
        assert_eq!(format!("{a:?}"), "MasterKey(***)");
    }

    #[test]
    fn ring_rules() {
        let id = MasterKeyId::parse("k1").unwrap();
        let key = MasterKey::from_bytes([1; 32]);
        assert!(MasterKeyRing::new(vec![(id.clone(), key.clone()), (id.clone(), key.clone())], id.clone()).is_err());
        assert!(MasterKeyRing::new(vec![(id.clone(), key)], MasterKeyId::parse("k2").unwrap()).is_err());
    }
}
