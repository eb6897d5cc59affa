//! The derived keys of one profile, for each of its key versions, derived on first use and
//! kept until the profile's entry leaves the vault's cache (then zeroized).

use std::sync::{Arc, OnceLock};

use zeroize::Zeroizing;

use crate::crypto::derive::{KeyPurpose, derive_key};
use crate::crypto::envelope::{self, SealContext};
use crate::crypto::fingerprint::Fingerprint;
use crate::crypto::master_key::{MasterKeyId, MasterKeyRing};
use crate::crypto::secret::Key32;
use crate::error::{Error, InternalError, Result};
use crate::model::card::CardNumber;

struct VersionKeys {
    version: u32,
    master_key_id: MasterKeyId,
    data: OnceLock<Key32>,
    pan: OnceLock<Key32>,
    fingerprint: OnceLock<Key32>,
}

/// A profile's keys. Listing only ever asks for `Data` keys; a PAN key is derived only
/// when a card number is sealed or revealed.
pub struct ProfileKeys {
    profile_id: String,
    salt: Key32,
    versions: Vec<VersionKeys>,
    active_version: u32,
    ring: Arc<MasterKeyRing>,
}

impl std::fmt::Debug for ProfileKeys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ProfileKeys")
            .field("profile_id", &self.profile_id)
            .field("active_version", &self.active_version)
            .finish_non_exhaustive()
    }
}

impl ProfileKeys {
    /// `versions` lists every version whose values may still be read, with the master key
    /// each was derived under; `active_version` seals new values.
    pub fn new(
        profile_id: &str,
        salt: [u8; 32],
        versions: impl IntoIterator<Item = (u32, MasterKeyId)>,
        active_version: u32,
        ring: Arc<MasterKeyRing>,
    ) -> Self {
        let versions = versions
            .into_iter()
            .map(|(version, master_key_id)| VersionKeys {
                version,
                master_key_id,
                data: OnceLock::new(),
                pan: OnceLock::new(),
                fingerprint: OnceLock::new(),
            })
            .collect();
        Self { profile_id: profile_id.to_owned(), salt: Key32::from_bytes(salt), versions, active_version, ring }
    }

    pub fn active_version(&self) -> u32 {
        self.active_version
    }

    /// Every version whose values can be opened.
    pub fn versions(&self) -> impl Iterator<Item = u32> + '_ {
        self.versions.iter().map(|v| v.version)
    }

    /// The key of `purpose` for `version`, derived on first use.
    pub fn key(&self, purpose: KeyPurpose, version: u32) -> Result<&Key32> {
        let slot = self
            .versions
            .iter()
            .find(|v| v.version == version)
            .ok_or_else(|| Error::integrity("key version (unknown or retired)"))?;
        let cell = match purpose {
            KeyPurpose::Data => &slot.data,
            KeyPurpose::Pan => &slot.pan,
            KeyPurpose::Fingerprint => &slot.fingerprint,
        };
        if let Some(key) = cell.get() {
            return Ok(key);
        }
        let master = self
            .ring
            .get(&slot.master_key_id)
            .ok_or_else(|| InternalError::MissingMasterKey { key_id: slot.master_key_id.to_string() })?;
        Ok(cell.get_or_init(|| derive_key(master, self.salt.as_bytes(), &self.profile_id, purpose, version)))
    }

    /// Seals under the active version's key of `purpose`.
    pub fn seal(&self, purpose: KeyPurpose, ctx: &SealContext<'_>, plaintext: &[u8]) -> Result<Vec<u8>> {
        let key = self.key(purpose, self.active_version)?;
        envelope::seal(key, self.active_version, ctx, plaintext)
    }

    /// Opens a value sealed under any readable version.
    pub fn open(&self, purpose: KeyPurpose, ctx: &SealContext<'_>, sealed: &[u8]) -> Result<Zeroizing<Vec<u8>>> {
        let version = envelope::key_version(sealed)?;
        envelope::open(self.key(purpose, version)?, ctx, sealed)
    }

    /// The card's fingerprint under the fingerprint key of `version`.
    pub fn fingerprint(&self, version: u32, number: &CardNumber) -> Result<Fingerprint> {
        Ok(Fingerprint::of(self.key(KeyPurpose::Fingerprint, version)?, number))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::crypto::master_key::MasterKey;

    fn ring() -> Arc<MasterKeyRing> {
        Arc::new(MasterKeyRing::single(MasterKeyId::parse("k1").unwrap(), MasterKey::from_bytes([1; 32])))
    }

    #[test]
    fn seal_open_across_versions() {
        let k1 = MasterKeyId::parse("k1").unwrap();
        let old = ProfileKeys::new("pro_a", [5; 32], [(1, k1.clone())], 1, ring());
        let ctx =
            SealContext { profile_id: "pro_a", record_kind: "customer", record_id: "cus_1", field: "pii", bound: &[] };
        let sealed = old.seal(KeyPurpose::Data, &ctx, b"Joseph").unwrap();
        let rotated = ProfileKeys::new("pro_a", [5; 32], [(1, k1.clone()), (2, k1)], 2, ring());
        assert_eq!(rotated.open(KeyPurpose::Data, &ctx, &sealed).unwrap().as_slice(), b"Joseph");
        let resealed = rotated.seal(KeyPurpose::Data, &ctx, b"Joseph").unwrap();
        assert_eq!(envelope::key_version(&resealed).unwrap(), 2);
        // A purpose's key never opens another purpose's value.
        assert!(rotated.open(KeyPurpose::Pan, &ctx, &sealed).is_err());
    }

    #[test]
    fn missing_master_key_and_retired_version() {
        let k2 = MasterKeyId::parse("k2").unwrap();
        let keys = ProfileKeys::new("pro_a", [5; 32], [(1, k2)], 1, ring());
        let err = keys.key(KeyPurpose::Data, 1).unwrap_err();
        assert_eq!(err.internal_kind(), Some("missing_master_key"));
        assert_eq!(keys.key(KeyPurpose::Data, 9).unwrap_err().internal_kind(), Some("integrity"));
    }
}
